//! Delivery counters: one [`DeliveryStats`] per exporter path.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Live counters of one exporter path (one `DeliveryProcessor`
/// or Braintrust exporter). Cheap to clone; every clone sees the same
/// counts, while the pipeline runs and after it has shut down.
///
/// Every span accepted ends in exactly one of: sent, rejected (a 4xx
/// answer other than 408/429), given up (still failing when the retry
/// budget ran out), or unsent (still queued or retrying when shutdown's
/// deadline passed), or panicked (the exporter or encoder panicked while
/// the span's batch was in its hands). Spans refused before being accepted are counted in
/// [`dropped_budget`](DeliverySnapshot::dropped_budget) (the memory budget
/// was full) and [`dropped_after_shutdown`](DeliverySnapshot::dropped_after_shutdown).
#[derive(Clone, Default)]
pub struct DeliveryStats(Arc<Counters>);

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    sent: AtomicU64,
    retried: AtomicU64,
    dropped_budget: AtomicU64,
    dropped_after_shutdown: AtomicU64,
    gave_up: AtomicU64,
    rejected: AtomicU64,
    unsent: AtomicU64,
    panicked: AtomicU64,
    queued_bytes: AtomicUsize,
    peak_bytes: AtomicUsize,
    last_failure: Mutex<Option<String>>,
}

/// What happened to a path's spans so far (see [`DeliveryStats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliverySnapshot {
    /// Spans taken into the queue.
    pub accepted: u64,
    /// Spans the backend accepted.
    pub sent: u64,
    /// Spans in requests that were tried again (once per retry).
    pub retried: u64,
    /// Spans refused because the memory budget was full.
    pub dropped_budget: u64,
    /// Spans that ended after shutdown.
    pub dropped_after_shutdown: u64,
    /// Spans given up after the retry budget.
    pub gave_up: u64,
    /// Spans the backend refused with a 4xx (or that could not be encoded).
    pub rejected: u64,
    /// Spans still queued or retrying when shutdown's deadline passed.
    pub unsent: u64,
    /// Spans of batches whose exporter or encoder panicked (the batch is
    /// released and the worker goes on; the panic message is the last failure).
    pub panicked: u64,
    /// Bytes (estimated memory) queued or in flight now.
    pub queued_bytes: usize,
    /// The most bytes queued or in flight at any time.
    pub peak_bytes: usize,
    /// The last failure's description (content-free, key-free), if any.
    pub last_failure: Option<String>,
}

impl DeliverySnapshot {
    /// Spans lost, whatever the cause.
    pub fn lost(&self) -> u64 {
        self.dropped_budget
            + self.dropped_after_shutdown
            + self.gave_up
            + self.rejected
            + self.unsent
            + self.panicked
    }

    /// Accepted spans not settled yet (queued, in flight or waiting to retry).
    pub fn pending(&self) -> u64 {
        self.accepted
            .saturating_sub(self.sent + self.gave_up + self.rejected + self.unsent + self.panicked)
    }
}

impl fmt::Display for DeliverySnapshot {
    /// `5000 spans accepted, 4990 sent, 12 retried; lost 10: 4 budget full, ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} accepted, {} sent, {} retried",
            self.accepted, self.sent, self.retried
        )?;
        let pending = self.pending();
        if pending > 0 {
            write!(f, ", {pending} pending")?;
        }
        if self.lost() > 0 {
            write!(f, "; {} not delivered:", self.lost())?;
            let mut sep = " ";
            for (n, cause) in [
                (self.dropped_budget, "memory budget full"),
                (self.dropped_after_shutdown, "ended after shutdown"),
                (self.gave_up, "gave up after retries"),
                (self.rejected, "rejected by the backend"),
                (self.unsent, "unsent at the shutdown deadline"),
                (self.panicked, "lost to a panic in the exporter"),
            ] {
                if n > 0 {
                    write!(f, "{sep}{n} {cause}")?;
                    sep = ", ";
                }
            }
            if let Some(last) = &self.last_failure {
                write!(f, " (last failure: {last})")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for DeliveryStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DeliveryStats")
            .field(&self.snapshot())
            .finish()
    }
}

impl DeliveryStats {
    /// The counters now.
    pub fn snapshot(&self) -> DeliverySnapshot {
        let c = &self.0;
        let load = |a: &AtomicU64| a.load(Ordering::Acquire);
        DeliverySnapshot {
            accepted: load(&c.accepted),
            sent: load(&c.sent),
            retried: load(&c.retried),
            dropped_budget: load(&c.dropped_budget),
            dropped_after_shutdown: load(&c.dropped_after_shutdown),
            gave_up: load(&c.gave_up),
            rejected: load(&c.rejected),
            unsent: load(&c.unsent),
            panicked: load(&c.panicked),
            queued_bytes: c.queued_bytes.load(Ordering::Relaxed),
            peak_bytes: c.peak_bytes.load(Ordering::Relaxed),
            last_failure: c
                .last_failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }

    /// Spans the backend accepted (the old `BraintrustStats::rows_sent`).
    pub fn sent(&self) -> u64 {
        self.0.sent.load(Ordering::Acquire)
    }

    /// Spans lost, whatever the cause.
    pub fn lost(&self) -> u64 {
        self.snapshot().lost()
    }

    pub(crate) fn add(&self, counter: Counter, n: usize) {
        let c = &self.0;
        let atomic = match counter {
            Counter::Accepted => &c.accepted,
            Counter::Sent => &c.sent,
            Counter::Retried => &c.retried,
            Counter::DroppedBudget => &c.dropped_budget,
            Counter::DroppedAfterShutdown => &c.dropped_after_shutdown,
            Counter::GaveUp => &c.gave_up,
            Counter::Rejected => &c.rejected,
            Counter::Unsent => &c.unsent,
            Counter::Panicked => &c.panicked,
        };
        atomic.fetch_add(n as u64, Ordering::AcqRel);
    }

    pub(crate) fn set_queued_bytes(&self, bytes: usize) {
        self.0.queued_bytes.store(bytes, Ordering::Relaxed);
        self.0.peak_bytes.fetch_max(bytes, Ordering::Relaxed);
    }

    pub(crate) fn set_last_failure(&self, reason: &str) {
        *self
            .0
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(reason.to_owned());
    }
}

/// Which counter [`DeliveryStats::add`] bumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counter {
    Accepted,
    Sent,
    Retried,
    DroppedBudget,
    DroppedAfterShutdown,
    GaveUp,
    Rejected,
    Unsent,
    Panicked,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_sums_and_reads_well() {
        let stats = DeliveryStats::default();
        stats.add(Counter::Accepted, 10);
        stats.add(Counter::Sent, 7);
        stats.add(Counter::GaveUp, 2);
        stats.add(Counter::DroppedBudget, 3);
        stats.set_last_failure("HTTP 503");
        let s = stats.snapshot();
        assert_eq!((s.lost(), s.pending()), (5, 1));
        let text = s.to_string();
        assert!(
            text.contains("10 accepted, 7 sent")
                && text.contains("5 not delivered: 3 memory budget full, 2 gave up after retries")
                && text.contains("HTTP 503"),
            "{text}"
        );
        assert_eq!(
            DeliverySnapshot::default().to_string(),
            "0 accepted, 0 sent, 0 retried"
        );
    }
}
