//! When and how a failed request is tried again.

use std::time::Duration;

use crate::net::backoff::{Backoff, retry_vocabulary};

/// When and how failed requests are retried, for every exporter path. Its
/// backoff and its words are the client's
/// [`RetryPolicy`](crate::client::RetryPolicy)'s: [`none`](Self::none),
/// [`with_max_retries`](Self::with_max_retries),
/// [`with_initial_delay`](Self::with_initial_delay),
/// [`with_max_delay`](Self::with_max_delay).
///
/// Connection failures, timeouts, 408, 429 and 5xx answers are retried with
/// exponential backoff and ±20 % jitter, waiting at least what `Retry-After`
/// asks; other 4xx answers are final. A request is given up when the next
/// wait would end more than [`max_elapsed`](Self::max_elapsed) after its
/// first attempt (a time budget, so an outage of up to that long loses
/// nothing), or after [`max_retries`](Self::max_retries) retries if a cap
/// is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    backoff: Backoff,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Backoff from 250 ms doubling up to 4 s, for at most 60 s per request,
    /// with no cap on retries: a backend refusing connections or answering
    /// 5xx for 30 s, then recovering, loses nothing.
    fn default() -> Self {
        RetryPolicy {
            backoff: Backoff {
                max_retries: u32::MAX,
                initial_delay: Duration::from_millis(250),
                max_delay: Duration::from_secs(4),
            },
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    retry_vocabulary!();

    /// The longest time from a request's first attempt to its last retry.
    #[must_use]
    pub fn with_max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// See [`with_initial_delay`](Self::with_initial_delay).
    pub fn initial_delay(&self) -> Duration {
        self.backoff.initial_delay
    }

    /// See [`with_max_delay`](Self::with_max_delay).
    pub fn max_delay(&self) -> Duration {
        self.backoff.max_delay
    }

    /// See [`with_max_elapsed`](Self::with_max_elapsed).
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// Whether a request that failed `attempt` times (1-based) and would
    /// wait `delay` more, `elapsed` after its first attempt, is given up:
    /// the retries are spent, or the wait would end past the time budget.
    pub(crate) fn gives_up(&self, attempt: u32, elapsed: Duration, delay: Duration) -> bool {
        !self.backoff.allows_retry_after(attempt)
            || elapsed.saturating_add(delay) > self.max_elapsed
    }

    /// The wait after failed attempt number `attempt` (1-based): the
    /// backoff, and never shorter than the server's `Retry-After`.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self.backoff.wait(attempt);
        retry_after.map_or(backoff, |after| after.max(backoff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let policy = RetryPolicy::default()
            .with_initial_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(400));
        for _ in 0..50 {
            let first = policy.delay(1, None);
            assert!(first >= Duration::from_millis(80) && first <= Duration::from_millis(120));
            let late = policy.delay(10, None);
            assert!(late >= Duration::from_millis(320) && late <= Duration::from_millis(400));
            let asked = policy.delay(1, Some(Duration::from_secs(3)));
            assert_eq!(asked, Duration::from_secs(3));
        }
    }

    #[test]
    fn retries_end_at_the_cap_or_the_budget() {
        let zero = Duration::ZERO;
        assert!(RetryPolicy::none().gives_up(1, zero, zero));
        let two = RetryPolicy::default().with_max_retries(2);
        assert!(!two.gives_up(2, zero, zero));
        assert!(two.gives_up(3, zero, zero));
        let budget = RetryPolicy::default().with_max_elapsed(Duration::from_secs(10));
        assert!(!budget.gives_up(100, Duration::from_secs(9), Duration::from_secs(1)));
        assert!(budget.gives_up(1, Duration::from_secs(9), Duration::from_secs(2)));
    }
}
