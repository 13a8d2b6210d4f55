//! The one log line of a pipeline that exports nothing.
//!
//! A service that forgot to configure an exporter would otherwise run, create
//! spans, shut down cleanly and never say that nothing left the process. The
//! line is logged when the first span ends rather than at `install`, because
//! a service installs the pipeline before its `tracing` subscriber (which
//! takes the pipeline's layer) exists.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use super::AZURE_AI_INFERENCE_OTEL_EXPORTERS;

/// The line, also the test's anchor.
pub(super) const NOWHERE: &str =
    "no telemetry exporter is configured: spans and metrics go nowhere";

/// Logs [`NOWHERE`] with how to configure an exporter, once, when the first
/// span ends.
#[derive(Debug, Default)]
pub(super) struct NowhereNotice {
    said: AtomicBool,
}

impl SpanProcessor for NowhereNotice {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, _span: SpanData) {
        if !self.said.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                name: "Setup.NoExporter",
                target: env!("CARGO_PKG_NAME"),
                "{NOWHERE}; set {AZURE_AI_INFERENCE_OTEL_EXPORTERS} (otlp, braintrust, \
                 braintrust-otlp, stdout) or OTEL_EXPORTER_OTLP_ENDPOINT, or add one with \
                 PipelineBuilder::with_exporter; `none` says it is meant"
            );
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}
