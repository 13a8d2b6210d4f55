//! The one backoff of every retry in the crate: the client's
//! ([`client::RetryPolicy`](crate::client::RetryPolicy)) and the exporters'
//! ([`delivery::RetryPolicy`](crate::exporters::delivery::RetryPolicy), used
//! by the delivery engine and the attachment uploader). The two policies
//! differ only in what bounds them beyond the retry count (the client caps
//! a `Retry-After`, the exporters keep a time budget); how many retries
//! and how long between them is this one type, and the builder words
//! setting it are declared once ([`retry_vocabulary!`]).

use std::time::Duration;

/// How many retries, and the wait before each: `initial_delay × 2^(n-1)`
/// before retry `n` (1-based), at most `max_delay`, with ±20 % jitter (and
/// still at most `max_delay`), so that clients throttled together do not
/// come back together. azure-core's default policy has the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    /// How many times a request may be sent again after its first attempt.
    pub(crate) max_retries: u32,
    /// The wait before the first retry.
    pub(crate) initial_delay: Duration,
    /// The longest computed wait.
    pub(crate) max_delay: Duration,
}

impl Backoff {
    /// The wait before retry `retry` (1-based).
    pub(crate) fn wait(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let base = self
            .initial_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        base.mul_f64(0.8 + 0.4 * fastrand::f64())
            .min(self.max_delay)
    }

    /// Whether a request that has failed `attempts` times (1-based) may be
    /// sent again.
    pub(crate) fn allows_retry_after(&self, attempts: u32) -> bool {
        attempts <= self.max_retries
    }
}

/// The builder words every retry policy speaks, over its `backoff:
/// Backoff` field: `none`, `with_max_retries`, `with_initial_delay`,
/// `with_max_delay` and `max_retries`. Each policy documents its defaults
/// on its type and adds its own bound.
macro_rules! retry_vocabulary {
    () => {
        /// No retries: every failure is final after one attempt.
        pub fn none() -> Self {
            Self::default().with_max_retries(0)
        }

        /// How many times a request may be sent again after its first attempt.
        #[must_use]
        pub fn with_max_retries(mut self, max_retries: u32) -> Self {
            self.backoff.max_retries = max_retries;
            self
        }

        /// The wait before the first retry; each later one doubles it
        /// (with ±20 % jitter).
        #[must_use]
        pub fn with_initial_delay(mut self, delay: std::time::Duration) -> Self {
            self.backoff.initial_delay = delay;
            self
        }

        /// The longest computed (backoff) wait.
        #[must_use]
        pub fn with_max_delay(mut self, delay: std::time::Duration) -> Self {
            self.backoff.max_delay = delay;
            self
        }

        /// How many retries at most.
        pub fn max_retries(&self) -> u32 {
            self.backoff.max_retries
        }
    };
}

pub(crate) use retry_vocabulary;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_with_jitter_and_are_capped() {
        let b = Backoff {
            max_retries: 3,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
        };
        for _ in 0..50 {
            let first = b.wait(1);
            assert!(first >= Duration::from_millis(80) && first <= Duration::from_millis(120));
            let second = b.wait(2);
            assert!(second >= Duration::from_millis(160) && second <= Duration::from_millis(240));
            assert!(b.wait(3) <= Duration::from_millis(350));
            assert!(b.wait(40) <= Duration::from_millis(350));
        }
        assert!(b.allows_retry_after(3));
        assert!(!b.allows_retry_after(4));
    }
}
