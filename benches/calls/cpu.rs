//! CPU time from `getrusage`: the calling thread's (`RUSAGE_THREAD`), which
//! on a current-thread runtime is all of a client's work, and the whole
//! process's (`RUSAGE_SELF`), which adds the exporters' threads and the
//! loopback server.

fn rusage(who: libc::c_int) -> u64 {
    // SAFETY: `getrusage` only writes the `rusage` it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(who, &mut usage) };
    if rc != 0 {
        return 0;
    }
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    us(usage.ru_utime) + us(usage.ru_stime)
}

/// User + system CPU of the calling thread, in microseconds.
pub fn thread_us() -> u64 {
    rusage(libc::RUSAGE_THREAD)
}

/// User + system CPU of the whole process, in microseconds.
pub fn process_us() -> u64 {
    rusage(libc::RUSAGE_SELF)
}
