//! When and how a failed request is tried again.

use std::time::Duration;

/// When and how failed requests are retried, for every exporter path.
///
/// Connection failures, timeouts, 408, 429 and 5xx answers are retried with
/// exponential backoff and jitter, waiting at least what `Retry-After` asks;
/// other 4xx answers are final. A request is given up when the next wait
/// would end more than [`max_elapsed`](Self::max_elapsed) after its first
/// attempt (a time budget, so an outage of up to that long loses nothing),
/// or after [`max_attempts`](Self::max_attempts) if one is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Backoff from 250 ms doubling up to 4 s, for at most 60 s per request,
    /// with no cap on attempts: a backend refusing connections or answering
    /// 5xx for 30 s, then recovering, loses nothing.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: u32::MAX,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts per request, the first included (at least 1; default: no cap,
    /// only the time budget).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; it doubles on each retry.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between two attempts (a `Retry-After` may ask for more).
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest time from a request's first attempt to its last retry.
    pub fn with_max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Attempts per request, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// See [`with_initial_backoff`](Self::with_initial_backoff).
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// See [`with_max_backoff`](Self::with_max_backoff).
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// See [`with_max_elapsed`](Self::with_max_elapsed).
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The wait after failed attempt number `attempt` (1-based): exponential,
    /// capped, with "equal jitter" (half fixed, half random), and never
    /// shorter than the server's `Retry-After`.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let backoff = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let half = backoff / 2;
        let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jittered = half + Duration::from_nanos(fastrand::u64(0..=jitter_nanos));
        retry_after.map_or(jittered, |after| after.max(jittered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let policy = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(400));
        for _ in 0..50 {
            let first = policy.delay(1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let late = policy.delay(10, None);
            assert!(late >= Duration::from_millis(200) && late <= Duration::from_millis(400));
            let asked = policy.delay(1, Some(Duration::from_secs(3)));
            assert_eq!(asked, Duration::from_secs(3));
        }
    }
}
