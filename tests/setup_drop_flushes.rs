//! Dropping the guard (no explicit shutdown) still delivers every span, even
//! though the `tracing` layer keeps a clone of the tracer provider alive.

mod support;
use support::otlp_collector;

use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use otlp_collector::OtlpCollector;
use tracing_subscriber::prelude::*;

#[test]
fn dropping_the_guard_flushes() {
    let collector = OtlpCollector::start();
    let (guard, layer) = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(OtlpConfig::new().with_endpoint(collector.endpoint()))
        .install_with_tracing()
        .expect("pipeline installs");
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::info_span!("dropped_not_shut_down").in_scope(|| {});
        drop(guard);
        // After shutdown, new spans are not exported (and nothing panics).
        tracing::info_span!("after_drop").in_scope(|| {});
    });

    collector.span("dropped_not_shut_down");
    assert!(
        collector
            .spans()
            .iter()
            .all(|s| s.span.name != "after_drop")
    );
}

#[test]
fn nothing_is_sent_before_a_flush_with_the_default_delays() {
    // Control for the test above: without the drop, the batch is still queued
    // (default delay 5 s), so the collector has nothing yet. Proves that the
    // drop, not the timer, delivered the span.
    let collector = OtlpCollector::start();
    let (guard, layer) = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(OtlpConfig::new().with_endpoint(collector.endpoint()))
        .install_with_tracing()
        .expect("pipeline installs");
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::info_span!("queued").in_scope(|| {});
    });
    assert!(collector.spans().is_empty());
    guard.force_flush().expect("flush");
    collector.span("queued");
    guard.shutdown().expect("clean shutdown");
}
