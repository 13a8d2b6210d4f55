//! The retry policy: which failures are tried again, and how long to wait.
//!
//! Shaped like azure-core's default policy (exponential backoff with jitter,
//! `Retry-After` honoured), so a transient 429 or 503 is absorbed by the
//! client as the official SDKs do.

use std::fmt;
use std::time::Duration;

use crate::error::Error;

/// Default [`RetryPolicy::with_max_retries`]: 3 (so at most 4 attempts).
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// Default [`RetryPolicy::with_initial_delay`]: 0.8 s.
pub const DEFAULT_INITIAL_DELAY: Duration = Duration::from_millis(800);

/// Default [`RetryPolicy::with_max_delay`]: 60 s.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(60);

/// Default [`RetryPolicy::with_max_retry_after`]: 60 s.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// When and how a failed request is sent again.
///
/// Retried: HTTP 408, 429, 500, 502, 503 and 504, connection failures and
/// timeouts, all of them before any successful response arrived; and a
/// stream whose body fails (cut, stalled, ended empty) before its first
/// event reached the caller. Never retried: other statuses, error objects in
/// a success answer, a whole answer whose body was cut, and a stream once an
/// event reached the caller (so no event is ever seen twice). All attempts
/// share the one budget and the one operation span.
///
/// The wait before retry `n` (1-based) is the service's `retry-after-ms`,
/// `x-ms-retry-after-ms` or `Retry-After` when it sent one (at most
/// [`with_max_retry_after`](Self::with_max_retry_after)), else
/// `initial_delay × 2^(n-1)` with ±20 % jitter, at most
/// [`with_max_delay`](Self::with_max_delay).
///
/// ```
/// use std::time::Duration;
/// use azure_ai_inference_otel::client::{ClientOptions, RetryPolicy};
///
/// let patient = RetryPolicy::default()
///     .with_max_retries(5)
///     .with_initial_delay(Duration::from_millis(200));
/// let options = ClientOptions::new().with_retry(patient);
/// let fail_fast = ClientOptions::new().with_retry(RetryPolicy::none());
/// assert_eq!(fail_fast.retry().max_retries(), 0);
/// # let _ = options;
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, 0.8 s initial delay, waits capped at 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: DEFAULT_MAX_RETRIES,
            initial_delay: DEFAULT_INITIAL_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// No retries: every failure goes straight back to the caller.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How many times a request may be sent again after the first attempt.
    #[must_use]
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The wait before the first retry; each later one doubles it.
    #[must_use]
    pub fn with_initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest computed (backoff) wait.
    #[must_use]
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest wait honoured from a `Retry-After`-style header; a longer
    /// one is shortened to this.
    #[must_use]
    pub fn with_max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// How many retries at most.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// Whether `error`, from an attempt that got no successful response, is
    /// worth another attempt.
    pub(crate) fn is_retryable(error: &Error) -> bool {
        match error {
            Error::Http { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            Error::Timeout { .. } | Error::Connection { .. } => true,
            _ => false,
        }
    }

    /// The wait before retry `retry` (1-based), after `error`.
    pub(crate) fn delay(&self, retry: u32, error: &Error) -> Duration {
        if let Error::Http { retry_after, .. } = error
            && let Some(after) = *retry_after
        {
            return after.min(self.max_retry_after);
        }
        let exponent = retry.saturating_sub(1).min(30);
        let base = self
            .initial_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        // ±20 % so that clients throttled together do not come back together.
        base.mul_f64(0.8 + 0.4 * fastrand::f64())
            .min(self.max_delay)
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.max_retries)
            .field("initial_delay", &self.initial_delay)
            .field("max_delay", &self.max_delay)
            .field("max_retry_after", &self.max_retry_after)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, retry_after: Option<Duration>) -> Error {
        Error::http(status, b"", retry_after, None)
    }

    #[test]
    fn retries_transient_failures_only() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(RetryPolicy::is_retryable(&http(status, None)), "{status}");
        }
        for status in [400, 401, 403, 404, 413, 422, 501] {
            assert!(!RetryPolicy::is_retryable(&http(status, None)), "{status}");
        }
        let connection = Error::Connection {
            detail: "refused".into(),
            source: None,
        };
        assert!(RetryPolicy::is_retryable(&connection));
        let truncated = Error::StreamTruncated {
            events: Some(1),
            unfinished: 1,
            request_id: None,
            source: None,
        };
        assert!(!RetryPolicy::is_retryable(&truncated));
        let service = Error::service_from_body(br#"{"error":{"code":"x"}}"#);
        assert!(!RetryPolicy::is_retryable(&service));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = RetryPolicy::default()
            .with_initial_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(350));
        let e = http(503, None);
        for _ in 0..50 {
            let d1 = p.delay(1, &e);
            assert!(d1 >= Duration::from_millis(80) && d1 <= Duration::from_millis(120));
            let d2 = p.delay(2, &e);
            assert!(d2 >= Duration::from_millis(160) && d2 <= Duration::from_millis(240));
            assert!(p.delay(3, &e) <= Duration::from_millis(350));
            assert!(p.delay(40, &e) <= Duration::from_millis(350));
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy::default().with_max_retry_after(Duration::from_secs(5));
        assert_eq!(
            p.delay(1, &http(429, Some(Duration::from_millis(1500)))),
            Duration::from_millis(1500)
        );
        assert_eq!(
            p.delay(1, &http(429, Some(Duration::from_secs(3600)))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn none_means_no_retries() {
        assert_eq!(RetryPolicy::none().max_retries(), 0);
        assert_eq!(RetryPolicy::default().max_retries(), 3);
    }
}
