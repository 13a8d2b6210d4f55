//! HTTP details shared by the client and the exporters: one `Retry-After`
//! reading, one `User-Agent`, one secret type. Crate-private except
//! [`Secret`], which appears in public signatures.

mod retry_after;
mod secret;

pub(crate) use retry_after::retry_after;
pub use secret::Secret;

/// The `User-Agent` product token every request of this crate carries, the
/// client's calls and the exporters' alike.
pub(crate) const USER_AGENT: &str = concat!("azure-ai-inference-otel/", env!("CARGO_PKG_VERSION"));

/// `from + after`, saturating: a "forever" setting (`Duration::MAX`) is a
/// deadline a century away instead of the panic `Instant + Duration` gives
/// on overflow. Every deadline and timer the crate computes goes through it.
pub(crate) fn saturating_deadline(
    from: std::time::Instant,
    after: std::time::Duration,
) -> std::time::Instant {
    const CENTURY: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 24 * 3600);
    from.checked_add(after)
        .or_else(|| from.checked_add(CENTURY))
        .unwrap_or(from)
}

/// [`saturating_deadline`] from now.
pub(crate) fn deadline_in(after: std::time::Duration) -> std::time::Instant {
    saturating_deadline(std::time::Instant::now(), after)
}

/// A random UUID v4 in its usual text form (attachment keys, ids of the
/// test endpoint's answers). Not for secrets: `fastrand` is not a CSPRNG.
pub(crate) fn uuid_v4() -> String {
    let mut b: [u8; 16] = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuid_v4_has_the_version_and_variant_bits() {
        let id = super::uuid_v4();
        assert_eq!(id.len(), 36);
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{id}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{id}");
        assert_ne!(id, super::uuid_v4());
    }

    #[test]
    fn forever_deadlines_saturate() {
        let now = std::time::Instant::now();
        let far = super::saturating_deadline(now, std::time::Duration::MAX);
        assert!(far > now + std::time::Duration::from_secs(365 * 24 * 3600));
        let near = super::saturating_deadline(now, std::time::Duration::from_secs(1));
        assert_eq!(near, now + std::time::Duration::from_secs(1));
    }
}
