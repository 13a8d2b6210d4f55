//! [`DeliveryProcessor`]: the span processor in front of every exporter path.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

use super::engine::{Delivery, Engine, ShutdownOutcome};
use super::sink::{Encoded, Outcome, Sink};
use super::{DeliveryConfig, DeliveryStats};

/// A [`SpanProcessor`] that queues finished spans by bytes and delivers
/// them from its own thread, with retries; see the [module docs](super)
/// for the limits (what is dropped, when, how it is counted).
///
/// Built by the pipeline for every exporter kind; build one yourself for
/// any [`SpanExporter`] with [`DeliveryProcessor::for_exporter`]. With an
/// SDK exporter, requests go one at a time and every export error is
/// retried (the processor cannot tell a 4xx from an outage behind it).
///
/// Dropped without a shutdown (a provider dropped without one), it still
/// delivers what it holds, waiting up to its flush timeout.
pub struct DeliveryProcessor {
    engine: Arc<dyn Delivery>,
    name: &'static str,
    hooks: ProcessorHooks,
}

/// What an exporter path adds around the delivery: which spans it takes,
/// and what a flush waits for once the spans are delivered.
#[derive(Clone, Default)]
pub(crate) struct ProcessorHooks {
    /// `false`: the span is not this path's (not counted anywhere).
    pub(crate) keep: Option<KeepFn>,
    /// After the spans are flushed, with the time left; `false`: timed out.
    pub(crate) then_flush: Option<ThenFlushFn>,
}

/// Whether a path takes a span.
pub(crate) type KeepFn = Arc<dyn Fn(&SpanData) -> bool + Send + Sync>;
/// What a flush waits for after the spans, given the time left.
pub(crate) type ThenFlushFn = Arc<dyn Fn(Duration) -> bool + Send + Sync>;

impl DeliveryProcessor {
    /// A processor in front of any SDK exporter. `name` labels its log lines,
    /// errors and statistics.
    pub fn for_exporter<E>(exporter: E, config: DeliveryConfig, name: &'static str) -> Self
    where
        E: SpanExporter + 'static,
    {
        Self::with_sink(ExporterSink(exporter), config, name)
    }

    pub(crate) fn with_sink<S: Sink>(sink: S, config: DeliveryConfig, name: &'static str) -> Self {
        DeliveryProcessor {
            engine: Arc::new(Engine::new(sink, config, name)),
            name,
            hooks: ProcessorHooks::default(),
        }
    }

    pub(crate) fn with_hooks(mut self, hooks: ProcessorHooks) -> Self {
        self.hooks = hooks;
        self
    }

    /// The path's counters (a handle that stays valid after the processor
    /// moves into a provider, and after shutdown).
    pub fn stats(&self) -> DeliveryStats {
        self.engine.stats()
    }

    /// The label given when it was built.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A handle on the same engine, for the pipeline's guard (which shuts
    /// the paths down itself, with its own deadline).
    pub(crate) fn handle(&self) -> Arc<dyn Delivery> {
        Arc::clone(&self.engine)
    }
}

impl fmt::Debug for DeliveryProcessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryProcessor")
            .field("name", &self.name)
            .field("stats", &self.engine.stats().snapshot())
            .finish_non_exhaustive()
    }
}

impl SpanProcessor for DeliveryProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    /// Queues the span (or counts it dropped); never waits.
    fn on_end(&self, span: SpanData) {
        if span.span_context.is_sampled() && self.hooks.keep.as_ref().is_none_or(|keep| keep(&span))
        {
            self.engine.enqueue(span);
        }
    }

    /// Waits up to the configured flush timeout for everything queued so far.
    fn force_flush(&self) -> OTelSdkResult {
        let started = std::time::Instant::now();
        let timeout = self.engine.config().flush_timeout;
        self.engine
            .flush(timeout)
            .map_err(OTelSdkError::InternalFailure)?;
        match &self.hooks.then_flush {
            Some(then) if !then(timeout.saturating_sub(started.elapsed())) => {
                Err(OTelSdkError::Timeout(timeout))
            }
            _ => Ok(()),
        }
    }

    /// Sends everything, waiting up to `timeout`; spans still unsent then
    /// are counted and reported.
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self.engine.shutdown(timeout) {
            ShutdownOutcome::Done => Ok(()),
            // Shut down by the pipeline's guard first; its result is the guard's.
            ShutdownOutcome::AlreadyShutDown => Ok(()),
            ShutdownOutcome::Lost(summary) => Err(OTelSdkError::InternalFailure(summary)),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.engine.set_resource(resource);
    }
}

/// Any SDK exporter as a sink: one export per request, one at a time.
struct ExporterSink<E>(E);

impl<E: SpanExporter + 'static> Sink for ExporterSink<E> {
    type Request = Vec<SpanData>;

    fn max_in_flight(&self) -> Option<usize> {
        Some(1)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }

    fn encode(&self, spans: Vec<SpanData>) -> Encoded<Vec<SpanData>> {
        let n = spans.len();
        Encoded::one(spans, n)
    }

    async fn send(&self, request: &Vec<SpanData>) -> Outcome {
        match self.0.export(request.clone()).await {
            Ok(()) => Outcome::Delivered,
            Err(error) => Outcome::Retry {
                reason: format!("export failed: {error}"),
                retry_after: None,
            },
        }
    }

    fn shutdown(&self) {
        let _ = self.0.shutdown();
    }
}
