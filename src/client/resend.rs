//! Sending a streaming request again when its body fails before the first
//! event reached the caller.
//!
//! The transport's retry loop ends once a response has arrived; a stream
//! whose body then fails before any event (reset, cut, stalled past the read
//! timeout) has shown the caller nothing yet, so it can still be sent again
//! without anyone seeing an event twice. [`Resend`] holds what that takes and
//! the retries left of the policy's budget.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

use super::propagation::TraceHeaders;
use super::retry::RetryPolicy;
use super::transport::Transport;
use crate::error::{Error, Result};

/// One more attempt, after the policy's wait.
pub(crate) type Resent = Pin<Box<dyn Future<Output = Result<reqwest::Response>> + Send>>;

/// What it takes to send a streaming request again.
pub(crate) struct Resend {
    /// The client's transport with retries off: every attempt comes back
    /// here, so the budget is counted in one place.
    transport: Transport,
    policy: RetryPolicy,
    route: &'static str,
    body: Bytes,
    trace_headers: TraceHeaders,
    /// Retries made so far, the transport's included (for the backoff).
    retries: u32,
}

impl Resend {
    /// `retries` is how many the transport already made for this request.
    pub(crate) fn new(
        transport: &Transport,
        route: &'static str,
        body: Bytes,
        trace_headers: TraceHeaders,
        retries: u32,
    ) -> Self {
        Resend {
            policy: transport.retry_policy().clone(),
            transport: transport.without_retries(),
            route,
            body,
            trace_headers,
            retries,
        }
    }

    /// The next attempt after `error`, met before the first event, when it
    /// is worth one and the budget allows; `None` otherwise.
    pub(crate) fn after(&mut self, error: &Error) -> Option<Resent> {
        let worth_it = RetryPolicy::is_retryable(error)
            || matches!(
                error,
                Error::StreamTruncated {
                    events: Some(0) | None,
                    ..
                }
            );
        if !worth_it || self.retries >= self.policy.max_retries() {
            return None;
        }
        self.retries += 1;
        let delay = self.policy.delay(self.retries, error);
        let (transport, route, body, headers) = (
            self.transport.clone(),
            self.route,
            self.body.clone(),
            self.trace_headers.clone(),
        );
        Some(Box::pin(async move {
            tokio::time::sleep(delay).await;
            let mut no_retries = |_: &Error| {};
            transport
                .post_json(route, body, &headers, true, &mut no_retries)
                .await
        }))
    }
}
