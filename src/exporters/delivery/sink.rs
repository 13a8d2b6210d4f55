//! What a backend provides to the engine: encoding a batch into requests,
//! and one attempt at sending one; and the memory estimate of a span.

use std::future::Future;
use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;

/// One backend: how a batch of spans becomes requests, and how one request
/// is sent once. Retries, concurrency and accounting are the engine's.
pub(crate) trait Sink: Send + Sync + 'static {
    /// An encoded request, kept for retries.
    type Request: Send + Sync + 'static;

    /// Requests in flight at most, when the sink needs fewer than the
    /// configuration allows (an SDK exporter expects one call at a time).
    fn max_in_flight(&self) -> Option<usize> {
        None
    }

    /// The pipeline's resource, given before the worker starts.
    fn set_resource(&mut self, _resource: &Resource) {}

    /// Turns spans into requests, each with the number of spans it carries.
    fn encode(&self, spans: Vec<SpanData>) -> Encoded<Self::Request>;

    /// One attempt at sending one request.
    fn send(&self, request: &Self::Request) -> impl Future<Output = Outcome> + Send;

    /// Called once on the worker thread when it stops.
    fn shutdown(&self) {}
}

/// A batch as requests.
pub(crate) struct Encoded<R> {
    /// Requests and the spans each carries.
    pub(crate) requests: Vec<(R, usize)>,
    /// Spans that could not be encoded (too large on their own), and why.
    pub(crate) rejected: usize,
    pub(crate) reason: Option<String>,
}

impl<R> Encoded<R> {
    /// Every span in one request.
    pub(crate) fn one(request: R, spans: usize) -> Self {
        Encoded {
            requests: vec![(request, spans)],
            rejected: 0,
            reason: None,
        }
    }
}

/// How one attempt ended. Reasons are content-free and key-free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The backend took the spans.
    Delivered,
    /// Worth trying again (connection failure, timeout, 408, 429, 5xx).
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Final (other 4xx): the spans are rejected.
    Reject { reason: String },
}

impl Outcome {
    /// The usual reading of an HTTP status.
    pub(crate) fn from_status(status: u16, retry_after: Option<Duration>, hint: &str) -> Self {
        match status {
            200..=299 => Outcome::Delivered,
            408 | 429 | 500..=599 => Outcome::Retry {
                reason: format!("HTTP {status}"),
                retry_after,
            },
            _ => Outcome::Reject {
                reason: format!("HTTP {status} (not retried){hint}"),
            },
        }
    }

    /// A transport error, classified without its URL.
    pub(crate) fn from_reqwest(error: &reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            "timeout"
        } else if error.is_connect() {
            "connection failed"
        } else if error.is_body() || error.is_decode() {
            "response body could not be read"
        } else {
            "network error"
        };
        Outcome::Retry {
            reason: kind.to_owned(),
            retry_after: None,
        }
    }
}

/// Estimated memory held by a queued span: the struct, its attribute,
/// event and link vectors, and the text they own. The memory budget is
/// counted in these bytes.
pub(crate) fn span_bytes(span: &SpanData) -> usize {
    use opentelemetry::{Array, KeyValue, Value};
    fn value_len(value: &Value) -> usize {
        match value {
            Value::String(s) => s.as_str().len(),
            Value::Array(Array::String(items)) => items
                .iter()
                .map(|s| s.as_str().len() + std::mem::size_of::<opentelemetry::StringValue>())
                .sum(),
            Value::Array(Array::Bool(items)) => items.len(),
            Value::Array(Array::I64(items)) => items.len() * 8,
            Value::Array(Array::F64(items)) => items.len() * 8,
            _ => 0,
        }
    }
    fn attributes_len(attributes: &[KeyValue]) -> usize {
        attributes
            .iter()
            .map(|kv| {
                std::mem::size_of::<KeyValue>() + kv.key.as_str().len() + value_len(&kv.value)
            })
            .sum()
    }
    let events: usize = span
        .events
        .iter()
        .map(|e| {
            std::mem::size_of::<opentelemetry::trace::Event>()
                + e.name.len()
                + attributes_len(&e.attributes)
        })
        .sum();
    let links: usize = span
        .links
        .iter()
        .map(|l| std::mem::size_of::<opentelemetry::trace::Link>() + attributes_len(&l.attributes))
        .sum();
    std::mem::size_of::<SpanData>()
        + span.name.len()
        + attributes_len(&span.attributes)
        + events
        + links
}
