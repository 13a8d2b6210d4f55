//! A pipeline with no exporter says so, once, in the service's log: when
//! the first span ends (the subscriber exists by then), naming the variables
//! that configure one. `none` asked for explicitly is silent, and nothing is
//! ever printed on standard output by default.

mod support;

use azure_ai_inference_otel::setup::{ExporterKind, PipelineBuilder, TelemetryPipeline};
use support::log_capture::LogCapture;
use tracing_subscriber::prelude::*;

fn lines_after_three_spans(builder: PipelineBuilder) -> Vec<String> {
    let log = LogCapture::default();
    let (guard, layer) = builder
        .with_global(false)
        .install_with_tracing()
        .expect("installs");
    let subscriber = tracing_subscriber::registry().with(layer).with(log.clone());
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..3 {
            let _work = tracing::info_span!("work").entered();
        }
    });
    guard.shutdown().expect("clean shutdown");
    log.named("Setup.NoExporter")
        .into_iter()
        .map(|l| l.message)
        .collect()
}

#[test]
fn nothing_configured_is_said_once_with_how_to_configure() {
    let lines = lines_after_three_spans(TelemetryPipeline::builder());
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line = &lines[0];
    for part in [
        "go nowhere",
        "AZURE_AI_INFERENCE_OTEL_EXPORTERS",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
}

#[test]
fn none_asked_for_is_silent() {
    let lines =
        lines_after_three_spans(TelemetryPipeline::builder().with_exporter(ExporterKind::None));
    assert!(lines.is_empty(), "{lines:#?}");
}
