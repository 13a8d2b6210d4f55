//! The installed pipeline's owner: flushes and shuts both providers down.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::InstrumentationScope;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;

use super::layer::LayerSettings;
use super::metrics_end::{MIN_METRICS_FLUSH, MetricsEnd, end_metrics};
use super::{TRACING_SCOPE_NAME, TracingLayer};
use crate::exporters::delivery::{Delivery, DeliveryStats, ShutdownOutcome};
use crate::net::deadline_in;

/// One exporter path of the pipeline and its delivery counters.
#[derive(Clone)]
pub struct DeliveryPath {
    name: &'static str,
    engine: Arc<dyn Delivery>,
}

impl DeliveryPath {
    pub(super) fn new(name: &'static str, engine: Arc<dyn Delivery>) -> Self {
        DeliveryPath { name, engine }
    }

    /// `braintrust`, `braintrust-otlp`, `otlp`, `stdout` or `custom`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The path's counters, live.
    pub fn stats(&self) -> DeliveryStats {
        self.engine.stats()
    }

    /// One line naming what each of `paths` lost and why, or `None` when
    /// nothing was lost; usable after the guard is gone (keep a clone of
    /// [`TelemetryGuard::delivery_stats`]).
    pub fn summary(paths: &[DeliveryPath]) -> Option<String> {
        summary(paths)
    }

    pub(super) fn flush_timeout(&self) -> Duration {
        self.engine.config().flush_timeout()
    }
}

impl fmt::Debug for DeliveryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryPath")
            .field("name", &self.name)
            .field("stats", &self.engine.stats().snapshot())
            .finish()
    }
}

/// Owns the tracer and meter providers of an installed pipeline.
///
/// Keep it alive for as long as telemetry should flow (typically a `let
/// _guard` in `main`), then end it with [`shutdown`](Self::shutdown) or
/// [`shutdown_async`](Self::shutdown_async), which deliver what is still
/// queued and report failures. Dropping the guard without calling either
/// does the same and discards the result.
///
/// The providers are shut down explicitly rather than left to their own
/// `Drop`: the global providers and the `tracing` layer hold clones, so the
/// last clone would otherwise only go away at process exit, when nothing
/// flushes any more.
///
/// # Which shutdown to call
///
/// Both block (or wait) until every exporter path has delivered what it
/// holds, or the deadline passes: a few milliseconds against a healthy
/// backend; against a failing one up to the deadline
/// ([`PipelineBuilder::with_shutdown_timeout`](super::PipelineBuilder::with_shutdown_timeout),
/// by default 30 s or the longest flush timeout of the paths, whichever is
/// longer; or the one given to [`shutdown_with_timeout`](Self::shutdown_with_timeout)).
/// All paths send at the same time, so the deadline is for all of them.
/// The result is the truth: `Ok` only when every span accepted was
/// delivered (and metrics too), otherwise [`ShutdownError::Undelivered`]
/// says how many spans each path did not deliver and why.
///
/// The deadline covers everything, metrics included: the meter provider's
/// flush and shutdown (which the SDK does not bound) run on a thread of their
/// own that the guard stops waiting for at the deadline. Keep the deadline
/// below the orchestrator's grace period (see the
/// [module docs](super#shutting-down)).
///
/// After a shutdown that ran out of time, the call returns at the deadline
/// with what was lost, and these threads are left to end on their own
/// (nothing waits for them; process exit stops them): each delivery worker
/// drops its queue and aborts its requests at once, except an attachment
/// upload already on the wire, which ends within the uploader's request
/// timeout (30 s); the metrics thread ends with the export it is waiting for,
/// within the exporter's timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`, 10 s by
/// default). None of them delivers anything counted as lost.
///
/// - From synchronous code (a plain `main`, a `Drop`, a test), call
///   [`shutdown`](Self::shutdown).
/// - From async code, prefer [`shutdown_async`](Self::shutdown_async): it runs
///   the same work on Tokio's blocking pool, so the runtime's worker threads
///   stay free meanwhile. [`shutdown`](Self::shutdown) is also correct on any
///   runtime flavour with the `stdout`, `otlp` over HTTP and Braintrust
///   exporters, because they never need the runtime, but it stalls that
///   worker (on a `current_thread` runtime: everything) until it returns.
/// - With OTLP over gRPC (feature `grpc`), the exporter is driven by the
///   runtime: on a `current_thread` runtime only
///   [`shutdown_async`](Self::shutdown_async) works; a blocking shutdown, or
///   dropping the guard there, stalls until the timeouts and loses the data.
#[must_use = "dropping the guard shuts the pipeline down at once; keep it alive while telemetry should flow"]
pub struct TelemetryGuard {
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
    paths: Vec<DeliveryPath>,
    shutdown_timeout: Duration,
    layer: LayerSettings,
    done: bool,
}

impl fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryGuard")
            .field("tracer_provider", &self.tracer_provider)
            .field("meter_provider", &self.meter_provider)
            .field("paths", &self.paths)
            .field("shut_down", &self.done)
            .finish()
    }
}

impl TelemetryGuard {
    pub(super) fn new(
        tracer_provider: SdkTracerProvider,
        meter_provider: SdkMeterProvider,
        paths: Vec<DeliveryPath>,
        shutdown_timeout: Duration,
        layer: LayerSettings,
    ) -> Self {
        TelemetryGuard {
            tracer_provider,
            meter_provider,
            paths,
            shutdown_timeout,
            layer,
            done: false,
        }
    }

    /// Every exporter path with its delivery counters (spans accepted, sent,
    /// retried, dropped by cause), readable while running and after shutdown:
    /// clone the [`DeliveryStats`] before shutting down to keep them.
    pub fn delivery_stats(&self) -> &[DeliveryPath] {
        &self.paths
    }

    /// One line naming what each path lost and why, or `None` when nothing
    /// was lost (the CLI prints it on stderr).
    pub fn delivery_summary(&self) -> Option<String> {
        summary(&self.paths)
    }

    /// The tracer provider, e.g. for
    /// [`TelemetryOptions::with_tracer_provider`](crate::telemetry::TelemetryOptions::with_tracer_provider)
    /// when the pipeline was installed with `with_global(false)`.
    pub fn tracer_provider(&self) -> &SdkTracerProvider {
        &self.tracer_provider
    }

    /// The meter provider, e.g. for
    /// [`TelemetryOptions::with_meter_provider`](crate::telemetry::TelemetryOptions::with_meter_provider)
    /// when the pipeline was installed with `with_global(false)`.
    pub fn meter_provider(&self) -> &SdkMeterProvider {
        &self.meter_provider
    }

    /// Another `tracing` layer feeding this pipeline (the one
    /// [`install_with_tracing`](super::PipelineBuilder::install_with_tracing)
    /// returns is built the same way): spans go to this guard's tracer
    /// provider under the scope `TRACING_SCOPE_NAME`, filtered as
    /// [the tracing layer](super#the-tracing-layer) says, and without
    /// tracing-opentelemetry's `target`, `busy_ns`/`idle_ns`, `code.*` and
    /// `thread.*` attributes unless
    /// [`with_tracing_bookkeeping(true)`](super::PipelineBuilder::with_tracing_bookkeeping)
    /// asked for them.
    pub fn tracing_layer<S>(&self) -> TracingLayer<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        use tracing_subscriber::Layer as _;

        let scope = InstrumentationScope::builder(TRACING_SCOPE_NAME).build();
        let bookkeeping = self.layer.bookkeeping;
        tracing_opentelemetry::layer()
            .with_tracer(self.tracer_provider.tracer_with_scope(scope))
            .with_location(bookkeeping)
            .with_threads(bookkeeping)
            .with_target(bookkeeping)
            .with_tracked_inactivity(bookkeeping)
            .with_filter(self.layer.filter)
    }

    /// Exports everything queued so far without shutting down, blocking
    /// until every path has settled it (or its flush timeout passed). An
    /// error says what was lost since the previous flush.
    pub fn force_flush(&self) -> Result<(), ShutdownError> {
        let lost: Vec<String> = self
            .paths
            .iter()
            .filter_map(|path| {
                let timeout = path.engine.config().flush_timeout();
                path.engine.flush(timeout).err()
            })
            .collect();
        let longest = self
            .paths
            .iter()
            .map(DeliveryPath::flush_timeout)
            .max()
            .unwrap_or_default()
            .max(MIN_METRICS_FLUSH);
        let deadline = deadline_in(longest);
        let metrics = end_metrics(&self.meter_provider, MetricsEnd::Flush, deadline);
        ShutdownError::check(lost, metrics)
    }

    /// Same as [`shutdown`](Self::shutdown), with `deadline` for delivery
    /// instead of the configured one.
    pub fn shutdown_with_timeout(mut self, deadline: Duration) -> Result<(), ShutdownError> {
        self.shutdown_timeout = deadline;
        self.shutdown_now()
    }

    /// Flushes and shuts down both providers, blocking until done (see
    /// [which shutdown to call](Self#which-shutdown-to-call)). A provider
    /// that was already shut down (through the accessors) is not an error.
    pub fn shutdown(mut self) -> Result<(), ShutdownError> {
        self.shutdown_now()
    }

    /// [`shutdown`](Self::shutdown) on Tokio's blocking pool
    /// (`spawn_blocking`), so no runtime worker is blocked meanwhile. Outside a
    /// Tokio runtime it uses a dedicated thread instead, so it works under any
    /// executor.
    pub async fn shutdown_async(self) -> Result<(), ShutdownError> {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle
                .spawn_blocking(move || self.shutdown())
                .await
                .map_err(|e| ShutdownError::Task(e.to_string()))?,
            Err(_) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                std::thread::Builder::new()
                    .name("telemetry-shutdown".into())
                    .spawn(move || {
                        let _ = tx.send(self.shutdown());
                    })
                    .map_err(|e| ShutdownError::Task(e.to_string()))?;
                rx.await.map_err(|e| ShutdownError::Task(e.to_string()))?
            }
        }
    }

    /// [`shutdown_async`](Self::shutdown_async) with `deadline` for delivery
    /// instead of the configured one.
    pub async fn shutdown_async_with_timeout(
        mut self,
        deadline: Duration,
    ) -> Result<(), ShutdownError> {
        self.shutdown_timeout = deadline;
        self.shutdown_async().await
    }

    fn shutdown_now(&mut self) -> Result<(), ShutdownError> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(());
        }
        let deadline = deadline_in(self.shutdown_timeout);
        // Every path starts sending what it holds at once; then each is
        // waited for within what is left of the one deadline.
        for path in &self.paths {
            path.engine.close();
        }
        let mut lost = Vec::new();
        for path in &self.paths {
            let left = deadline.saturating_duration_since(Instant::now());
            match path.engine.shutdown(left) {
                ShutdownOutcome::Lost(summary) => lost.push(summary),
                ShutdownOutcome::Done | ShutdownOutcome::AlreadyShutDown => {}
            }
        }
        // The paths are shut down: the provider's own shutdown is quick, and
        // its result adds nothing to the counters above.
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = self
            .tracer_provider
            .shutdown_with_timeout(left.min(Duration::from_millis(100)));
        let metrics = end_metrics(&self.meter_provider, MetricsEnd::Shutdown, deadline);
        ShutdownError::check(lost, metrics)
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown_now() {
            tracing::warn!(error = %e, "telemetry shutdown on drop failed");
        }
    }
}

/// Flushing or shutting down the pipeline failed: some spans or metrics
/// were not delivered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// Spans were lost (each entry: a path, its counts and the causes), or
    /// the meter provider reported an error.
    #[error("telemetry was not fully delivered: {}", describe(.spans, .metrics))]
    Undelivered {
        /// One line per exporter path that lost spans.
        spans: Vec<String>,
        /// The meter provider's error, if it had one.
        metrics: Option<OTelSdkError>,
    },
    /// The task running the shutdown did not complete (the runtime was
    /// shutting down, or the task panicked); the guard's `Drop` still ran it.
    #[error("the telemetry shutdown task did not complete: {0}")]
    Task(String),
}

impl ShutdownError {
    fn check(spans: Vec<String>, metrics: Option<OTelSdkError>) -> Result<(), Self> {
        if spans.is_empty() && metrics.is_none() {
            Ok(())
        } else {
            Err(ShutdownError::Undelivered { spans, metrics })
        }
    }
}

fn describe(spans: &[String], metrics: &Option<OTelSdkError>) -> String {
    let mut parts: Vec<String> = spans.iter().map(|s| format!("spans: {s}")).collect();
    match metrics {
        Some(OTelSdkError::InternalFailure(message)) => parts.push(format!("metrics: {message}")),
        Some(OTelSdkError::Timeout(after)) => {
            parts.push(format!("metrics: timed out after {after:?}"));
        }
        Some(e) => parts.push(format!("metrics: {e}")),
        None => {}
    }
    parts.join("; ")
}

/// `telemetry delivery: braintrust: 5000 accepted, ...; otlp: ...` for the
/// paths that lost spans.
fn summary(paths: &[DeliveryPath]) -> Option<String> {
    let lines: Vec<String> = paths
        .iter()
        .filter_map(|path| {
            let s = path.stats().snapshot();
            (s.lost() > 0).then(|| format!("{}: {s}", path.name))
        })
        .collect();
    (!lines.is_empty()).then(|| format!("telemetry delivery: {}", lines.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_the_failing_signal() {
        let e = ShutdownError::check(
            Vec::new(),
            Some(OTelSdkError::InternalFailure("boom".into())),
        )
        .expect_err("metrics failed");
        let msg = e.to_string();
        assert!(
            msg.contains("metrics: ") && msg.contains("boom") && !msg.contains("spans"),
            "{msg}"
        );
        let e = ShutdownError::check(vec!["otlp: 3 not delivered".into()], None)
            .expect_err("spans lost");
        assert!(
            e.to_string().contains("spans: otlp: 3 not delivered"),
            "{e}"
        );
    }

    #[test]
    fn shutdown_is_idempotent() {
        let mut guard = TelemetryGuard::new(
            SdkTracerProvider::builder().build(),
            SdkMeterProvider::builder().build(),
            Vec::new(),
            Duration::from_secs(1),
            LayerSettings::default(),
        );
        assert!(guard.shutdown_now().is_ok());
        assert!(guard.shutdown_now().is_ok());
        // Shut down behind the guard's back: still not an error.
        let guard = TelemetryGuard::new(
            SdkTracerProvider::builder().build(),
            SdkMeterProvider::builder().build(),
            Vec::new(),
            Duration::from_secs(1),
            LayerSettings::default(),
        );
        guard.tracer_provider().shutdown().expect("first shutdown");
        guard.meter_provider().shutdown().expect("first shutdown");
        assert!(guard.shutdown().is_ok());
    }
}
