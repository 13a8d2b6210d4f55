//! The installed pipeline's owner: flushes and shuts both providers down.

use std::fmt;

use opentelemetry::InstrumentationScope;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;

use super::{HTTP_INTERNAL_TARGETS, TRACING_SCOPE_NAME, TracingLayer};

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
/// Both block (or wait) until the batch span processor's and the periodic
/// metric reader's background threads have exported what they hold: a few
/// milliseconds against a healthy collector, up to the export timeouts (about
/// 5 s per provider for flush and again for shutdown) against an unreachable one.
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
    done: bool,
}

impl fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryGuard")
            .field("tracer_provider", &self.tracer_provider)
            .field("meter_provider", &self.meter_provider)
            .field("shut_down", &self.done)
            .finish()
    }
}

impl TelemetryGuard {
    pub(super) fn new(
        tracer_provider: SdkTracerProvider,
        meter_provider: SdkMeterProvider,
    ) -> Self {
        TelemetryGuard {
            tracer_provider,
            meter_provider,
            done: false,
        }
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
    /// provider under the scope [`TRACING_SCOPE_NAME`], without the `code.*`
    /// and `thread.*` attributes `tracing-opentelemetry` adds by default, and
    /// without the spans of [`HTTP_INTERNAL_TARGETS`](super::HTTP_INTERNAL_TARGETS).
    pub fn tracing_layer<S>(&self) -> TracingLayer<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        use tracing_subscriber::Layer as _;
        use tracing_subscriber::filter::{LevelFilter, Targets};

        let scope = InstrumentationScope::builder(TRACING_SCOPE_NAME).build();
        let internals = HTTP_INTERNAL_TARGETS.iter().fold(
            Targets::new().with_default(LevelFilter::TRACE),
            |t, target| t.with_target(*target, LevelFilter::OFF),
        );
        tracing_opentelemetry::layer()
            .with_tracer(self.tracer_provider.tracer_with_scope(scope))
            .with_location(false)
            .with_threads(false)
            .with_filter(internals)
    }

    /// Exports everything queued so far without shutting down, blocking
    /// until both background threads answer.
    pub fn force_flush(&self) -> Result<(), ShutdownError> {
        let traces = self.tracer_provider.force_flush().err();
        let metrics = self.meter_provider.force_flush().err();
        ShutdownError::check(traces, metrics)
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

    fn shutdown_now(&mut self) -> Result<(), ShutdownError> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(());
        }
        // Flush first: the batch span processor's shutdown drops the result of
        // its last export, while a flush reports it.
        let traces = settle(
            self.tracer_provider.force_flush(),
            self.tracer_provider.shutdown(),
        );
        let metrics = settle(
            self.meter_provider.force_flush(),
            self.meter_provider.shutdown(),
        );
        ShutdownError::check(traces, metrics)
    }
}

/// One provider's outcome: nothing to report when someone else already shut
/// it down, else the shutdown error, else the flush error.
fn settle(
    flush: Result<(), OTelSdkError>,
    shutdown: Result<(), OTelSdkError>,
) -> Option<OTelSdkError> {
    match shutdown {
        Err(OTelSdkError::AlreadyShutdown) => None,
        Err(e) => Some(e),
        Ok(()) => flush.err(),
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown_now() {
            tracing::warn!(error = %e, "telemetry shutdown on drop failed");
        }
    }
}

/// Flushing or shutting down the pipeline failed: some spans or metrics may
/// not have been delivered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// A provider reported an error (export failure, timeout).
    #[error("telemetry was not fully delivered: {}", describe(.traces, .metrics))]
    Providers {
        /// The tracer provider's error, if it had one.
        traces: Option<OTelSdkError>,
        /// The meter provider's error, if it had one.
        metrics: Option<OTelSdkError>,
    },
    /// The task running the shutdown did not complete (the runtime was
    /// shutting down, or the task panicked); the guard's `Drop` still ran it.
    #[error("the telemetry shutdown task did not complete: {0}")]
    Task(String),
}

impl ShutdownError {
    fn check(traces: Option<OTelSdkError>, metrics: Option<OTelSdkError>) -> Result<(), Self> {
        if traces.is_none() && metrics.is_none() {
            Ok(())
        } else {
            Err(ShutdownError::Providers { traces, metrics })
        }
    }
}

fn describe(traces: &Option<OTelSdkError>, metrics: &Option<OTelSdkError>) -> String {
    let parts: Vec<String> = [("traces", traces), ("metrics", metrics)]
        .into_iter()
        .filter_map(|(signal, e)| e.as_ref().map(|e| format!("{signal}: {e}")))
        .collect();
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settle_ignores_a_provider_shut_down_elsewhere() {
        let flush_failed = || Err(OTelSdkError::InternalFailure("flush".into()));
        assert!(settle(flush_failed(), Err(OTelSdkError::AlreadyShutdown)).is_none());
        assert!(settle(flush_failed(), Ok(())).is_some());
        assert!(settle(Ok(()), Ok(())).is_none());
    }

    #[test]
    fn error_names_the_failing_signal() {
        let e = ShutdownError::check(None, Some(OTelSdkError::InternalFailure("boom".into())))
            .expect_err("metrics failed");
        let msg = e.to_string();
        assert!(
            msg.contains("metrics: ") && msg.contains("boom") && !msg.contains("traces"),
            "{msg}"
        );
    }

    #[test]
    fn shutdown_is_idempotent() {
        let mut guard = TelemetryGuard::new(
            SdkTracerProvider::builder().build(),
            SdkMeterProvider::builder().build(),
        );
        assert!(guard.shutdown_now().is_ok());
        assert!(guard.shutdown_now().is_ok());
        // Shut down behind the guard's back: still not an error.
        let guard = TelemetryGuard::new(
            SdkTracerProvider::builder().build(),
            SdkMeterProvider::builder().build(),
        );
        guard.tracer_provider().shutdown().expect("first shutdown");
        guard.meter_provider().shutdown().expect("first shutdown");
        assert!(guard.shutdown().is_ok());
    }
}
