//! The retry policy: which failures are tried again, and how long to wait.
//!
//! Shaped like azure-core's default policy (exponential backoff with jitter,
//! `Retry-After` honoured), so a transient 429 or 503 is absorbed by the
//! client as the official SDKs do.

use std::fmt;
use std::time::Duration;

use crate::error::Error;
use crate::net::backoff::{Backoff, retry_vocabulary};

/// Default [`RetryPolicy::with_max_retries`]: 3 (so at most 4 attempts).
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 3;

/// Default [`RetryPolicy::with_initial_delay`]: 0.8 s.
pub(crate) const DEFAULT_INITIAL_DELAY: Duration = Duration::from_millis(800);

/// Default [`RetryPolicy::with_max_delay`]: 60 s.
pub(crate) const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(60);

/// Default [`RetryPolicy::with_max_retry_after`]: 60 s.
pub(crate) const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

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
/// [`with_max_delay`](Self::with_max_delay): the same backoff and the same
/// builder words as the exporters'
/// [`delivery::RetryPolicy`](crate::exporters::delivery::RetryPolicy).
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
    backoff: Backoff,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, 0.8 s initial delay, waits capped at 60 s.
    fn default() -> Self {
        RetryPolicy {
            backoff: Backoff {
                max_retries: DEFAULT_MAX_RETRIES,
                initial_delay: DEFAULT_INITIAL_DELAY,
                max_delay: DEFAULT_MAX_DELAY,
            },
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    retry_vocabulary!();

    /// The longest wait honoured from a `Retry-After`-style header; a longer
    /// one is shortened to this.
    #[must_use]
    pub fn with_max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
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

    /// The wait before retry `retry` (1-based), after `error`: the
    /// service's `Retry-After` (capped), else the backoff.
    pub(crate) fn delay(&self, retry: u32, error: &Error) -> Duration {
        if let Error::Http { retry_after, .. } = error
            && let Some(after) = *retry_after
        {
            return after.min(self.max_retry_after);
        }
        self.backoff.wait(retry)
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.backoff.max_retries)
            .field("initial_delay", &self.backoff.initial_delay)
            .field("max_delay", &self.backoff.max_delay)
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
    fn without_retry_after_the_wait_is_the_backoff() {
        let p = RetryPolicy::default()
            .with_initial_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(150));
        let d = p.delay(2, &http(503, None));
        assert!(d >= Duration::from_millis(120) && d <= Duration::from_millis(150));
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
