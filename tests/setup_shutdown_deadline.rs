//! The guard's deadline bounds the whole shutdown, metrics included: with a
//! collector that takes connections and never answers, the shutdown returns
//! at its deadline with an error saying what was abandoned, instead of
//! waiting out the metrics exporter (which the SDK does not bound).

use std::time::Duration;

use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::setup::{ExporterKind, ShutdownError, TelemetryPipeline};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{Tracer as _, TracerProvider as _};

#[test]
fn a_silent_collector_is_abandoned_at_the_deadline_metrics_included() {
    // Connections complete in the kernel's backlog; nothing ever answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(
            OtlpConfig::new()
                .with_endpoint(url)
                .with_timeout(Duration::from_secs(30)),
        )
        .install()
        .expect("installs");
    guard.tracer_provider().tracer("t").in_span("work", |_| {});
    guard
        .meter_provider()
        .meter("m")
        .u64_counter("requests")
        .build()
        .add(1, &[]);

    let err = guard
        .shutdown_with_timeout(Duration::from_millis(300))
        .expect_err("nothing could be delivered");
    let ShutdownError::Undelivered { spans, metrics } = &err else {
        panic!("{err}");
    };
    assert_eq!(spans.len(), 1, "{err}");
    assert!(metrics.is_some(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("metrics: the metrics export did not finish within the shutdown deadline"),
        "{text}"
    );
    assert!(!text.contains("InternalFailure"), "{text}");
    drop(silent);
}
