//! Delivery: how finished spans get to every backend without being lost.
//!
//! Every exporter path of the pipeline (native Braintrust, Braintrust OTLP,
//! OTLP to a collector, and any other exporter) goes through one
//! `DeliveryProcessor`:
//!
//! - `on_end` appends the span to a queue bounded by **bytes** (the
//!   [memory budget](DeliveryConfig::with_memory_budget), 64 MiB by
//!   default) and returns: the application thread never waits for the
//!   network. Past the budget a span is dropped and counted
//!   ([`DeliverySnapshot::dropped_budget`]); the first drop logs one warning
//!   (target `azure-ai-inference-otel`, name `Delivery.SpansDropped`).
//! - One worker thread per path, with its own Tokio runtime (the
//!   application needs none), takes batches of up to
//!   [`max_batch_spans`](DeliveryConfig::with_max_batch_spans) spans (sooner
//!   when a batch is full than every
//!   [`schedule_delay`](DeliveryConfig::with_schedule_delay)) and sends
//!   up to [`max_in_flight`](DeliveryConfig::with_max_in_flight) requests at once.
//! - A failed request (connection refused, timeout, 408, 429, 5xx) is
//!   retried with exponential backoff and jitter, honouring `Retry-After`,
//!   within a time budget ([`RetryPolicy`], 60 s by default); a request
//!   waiting to retry holds no sending slot, so other batches keep flowing.
//!   Other 4xx answers are final and counted as rejected.
//! - `force_flush` waits (up to [`flush_timeout`](DeliveryConfig::with_flush_timeout))
//!   until everything queued before it is settled; `shutdown_with_timeout`
//!   sends everything and waits up to the deadline it is given, then counts
//!   what is left as unsent. Both report an error naming how many spans were
//!   not delivered and why, and `Ok` only when nothing was lost.
//! - [`DeliveryStats`] counts it all, while running and after shutdown; the
//!   pipeline's guard hands them out ([`TelemetryGuard::delivery_stats`](crate::setup::TelemetryGuard::delivery_stats)).
//!
//! The memory budget counts the estimated memory of the queued and
//! in-flight spans (struct sizes plus the text they hold), not their
//! encoded size: a chat span with a few dozen attributes is about 4 KiB, so
//! the default holds some 15 000 of them.
//!
//! # The whole memory bound
//!
//! Besides the budget, a path holds the encoded bodies of the requests in
//! flight or waiting to retry: one per batch, at most about 4 MiB each
//! (OTLP requests are split at 4 MiB, Braintrust inserts at 3 MiB), so at
//! most [`max_in_flight`](DeliveryConfig::with_max_in_flight) plus the
//! batches waiting out a backoff, each of whose spans is also counted in
//! the budget until it settles. The native Braintrust exporter's attachment
//! uploader keeps its own bound (256 uploads, 256 MiB by default), and
//! every backend answer is read up to 1 MiB. With the defaults a path
//! therefore peaks at about 64 MiB of spans, 2× that while their encoded
//! copies are on the wire, plus 256 MiB of attachments when conversion is on.
//!
//! # After a timed-out shutdown
//!
//! A shutdown whose deadline passes counts what is left as unsent and
//! returns. The worker thread is told to stop: it cancels its pending
//! retries and the requests on the wire at once, but the native Braintrust
//! exporter's attachment uploader then gets up to 30 s to finish the
//! uploads the sent rows refer to. These threads are not joined: they run
//! on in the background, and a process that exits right after shutdown
//! simply ends them.
//!
//! During shutdown, retries wait no longer than the deadline allows: a
//! request still failing gets one last attempt a fifth of the time given
//! (at most one attempt timeout) before the deadline, so a backend that
//! comes back during the shutdown receives everything.
//!
//! # Environment
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `AZURE_AI_INFERENCE_OTEL_DELIVERY_BUDGET_MIB` | memory budget per exporter path, MiB | 64 |
//! | `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | spans per batch | 512 |
//! | `OTEL_BSP_SCHEDULE_DELAY` | ms before a partial batch is sent (at least 10) | 1000 |
//! | `OTEL_BSP_EXPORT_TIMEOUT` | ms one attempt may take | 30 000 |
//! | `OTEL_BSP_MAX_CONCURRENT_EXPORTS` | requests in flight | 4 |
//! | `OTEL_BSP_MAX_QUEUE_SIZE` | when set, also a cap on queued spans | unset |
//!
//! Code ([`DeliveryConfig`]'s `with_*`, through
//! [`PipelineBuilder::with_delivery_config`](crate::setup::PipelineBuilder::with_delivery_config))
//! beats the variables.

mod engine;
mod otlp_http;
mod otlp_request;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod processor;
mod proto_span;
mod retry;
mod sink;
mod stats;

use std::time::Duration;

/// The shortest schedule delay ([`DeliveryConfig::with_schedule_delay`],
/// `OTEL_BSP_SCHEDULE_DELAY`): 10 ms. Shorter ones, `0` included, are
/// raised to it, so an idle worker wakes at most 100 times a second.
pub(crate) const MIN_SCHEDULE_DELAY: Duration = Duration::from_millis(10);

pub(crate) use engine::{Delivery, Engine, ShutdownOutcome};
pub(crate) use otlp_http::{OtlpHttpSink, parse_header_list};
pub use processor::DeliveryProcessor;
pub(crate) use processor::{KeepFn, ProcessorHooks, ThenFlushFn};
pub use retry::RetryPolicy;
pub(crate) use sink::{Encoded, Outcome, Sink, span_bytes};
pub use stats::{DeliverySnapshot, DeliveryStats};

/// The memory budget of each exporter path's queue, in MiB (whole number).
pub(crate) const AZURE_AI_INFERENCE_OTEL_DELIVERY_BUDGET_MIB: &str =
    "AZURE_AI_INFERENCE_OTEL_DELIVERY_BUDGET_MIB";

/// The default memory budget: 64 MiB per exporter path.
pub(crate) const DEFAULT_MEMORY_BUDGET: usize = 64 * 1024 * 1024;

/// Settings of a `DeliveryProcessor`; see the [module docs](self).
/// [`DeliveryConfig::default`] reads the environment; `with_*` beats it.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub(crate) memory_budget: usize,
    pub(crate) max_queue_spans: Option<usize>,
    pub(crate) max_batch_spans: usize,
    pub(crate) schedule_delay: Duration,
    pub(crate) attempt_timeout: Duration,
    pub(crate) max_in_flight: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) flush_timeout: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self::from_env_with(&|name| std::env::var(name).ok())
    }
}

impl DeliveryConfig {
    /// The defaults, with the variables of the [module docs](self) applied.
    pub fn new() -> Self {
        Self::default()
    }

    fn from_env_with(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let number = |name: &str| {
            let value = env(name)?;
            match value.trim().parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    tracing::warn!(
                        variable = name,
                        value = value.as_str(),
                        "ignoring {name}: not a whole number"
                    );
                    None
                }
            }
        };
        let positive = |name: &str| number(name).filter(|n| *n > 0);
        DeliveryConfig {
            memory_budget: positive(AZURE_AI_INFERENCE_OTEL_DELIVERY_BUDGET_MIB)
                .map_or(DEFAULT_MEMORY_BUDGET, |mib| {
                    usize::try_from(mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
                }),
            max_queue_spans: positive("OTEL_BSP_MAX_QUEUE_SIZE").map(|n| n as usize),
            max_batch_spans: positive("OTEL_BSP_MAX_EXPORT_BATCH_SIZE").map_or(512, |n| n as usize),
            schedule_delay: Duration::from_millis(
                number("OTEL_BSP_SCHEDULE_DELAY").unwrap_or(1000),
            )
            .max(MIN_SCHEDULE_DELAY),
            attempt_timeout: Duration::from_millis(
                positive("OTEL_BSP_EXPORT_TIMEOUT").unwrap_or(30_000),
            ),
            max_in_flight: positive("OTEL_BSP_MAX_CONCURRENT_EXPORTS").map_or(4, |n| n as usize),
            retry: RetryPolicy::default(),
            flush_timeout: Duration::from_secs(30),
        }
    }

    /// Most bytes (estimated memory) queued or in flight; past it spans are
    /// dropped and counted. At least one span is always admitted.
    pub fn with_memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Also cap the number of queued spans (`OTEL_BSP_MAX_QUEUE_SIZE`).
    pub fn with_max_queue_spans(mut self, spans: Option<usize>) -> Self {
        self.max_queue_spans = spans;
        self
    }

    /// Spans per batch (at least 1).
    pub fn with_max_batch_spans(mut self, spans: usize) -> Self {
        self.max_batch_spans = spans.max(1);
        self
    }

    /// How long a partial batch waits before it is sent anyway; at least
    /// `MIN_SCHEDULE_DELAY` (a delay of zero would wake the idle worker
    /// continuously), `Duration::MAX` for "only when a batch is full, or on
    /// flush and shutdown".
    pub fn with_schedule_delay(mut self, delay: Duration) -> Self {
        self.schedule_delay = delay.max(MIN_SCHEDULE_DELAY);
        self
    }

    /// How long one attempt may take before it counts as a timeout (retried).
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Requests on the wire at once (at least 1).
    pub fn with_max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = requests.max(1);
        self
    }

    /// When to retry.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long `force_flush` waits (default 30 s).
    pub fn with_flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// See [`with_memory_budget`](Self::with_memory_budget).
    pub fn memory_budget(&self) -> usize {
        self.memory_budget
    }

    /// See [`with_flush_timeout`](Self::with_flush_timeout).
    pub fn flush_timeout(&self) -> Duration {
        self.flush_timeout
    }

    /// See [`with_retry_policy`](Self::with_retry_policy).
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_set_the_budget_and_batches_and_bad_values_are_ignored() {
        let env = |name: &str| match name {
            AZURE_AI_INFERENCE_OTEL_DELIVERY_BUDGET_MIB => Some("8".to_owned()),
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE" => Some("100".to_owned()),
            "OTEL_BSP_MAX_QUEUE_SIZE" => Some("8192".to_owned()),
            "OTEL_BSP_SCHEDULE_DELAY" => Some("soon".to_owned()),
            _ => None,
        };
        let config = DeliveryConfig::from_env_with(&env);
        assert_eq!(config.memory_budget, 8 * 1024 * 1024);
        assert_eq!(config.max_batch_spans, 100);
        assert_eq!(config.max_queue_spans, Some(8192));
        assert_eq!(config.schedule_delay, Duration::from_millis(1000));
        let defaults = DeliveryConfig::from_env_with(&|_| None);
        assert_eq!(defaults.memory_budget, DEFAULT_MEMORY_BUDGET);
        assert_eq!(defaults.max_queue_spans, None);
    }
}
