//! `PipelineBuilder::from_env` and `AZURE_AI_INFERENCE_OTEL_EXPORTERS`: a
//! clear error for an unknown name, and a `stdout` pipeline that installs
//! and shuts down from a plain thread (no Tokio reactor needed).
//!
//! One test in this file: it sets process environment variables.

use azure_ai_inference_otel::setup::{ExporterKind, PipelineBuilder, SetupError};

const AZURE_AI_INFERENCE_OTEL_EXPORTERS: &str = "AZURE_AI_INFERENCE_OTEL_EXPORTERS";
use opentelemetry::trace::{Tracer as _, TracerProvider as _};

#[test]
fn exporters_variable() {
    // SAFETY: the only test in this binary; no other thread reads the environment.
    unsafe {
        std::env::remove_var("OTEL_EXPORTER_OTLP_ENDPOINT");
        std::env::remove_var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        std::env::set_var(AZURE_AI_INFERENCE_OTEL_EXPORTERS, "stdout, jaeger");
    }
    let err = PipelineBuilder::from_env().expect_err("jaeger is unknown");
    assert!(
        matches!(err, SetupError::InvalidExporterList { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(AZURE_AI_INFERENCE_OTEL_EXPORTERS)
            && msg.contains("`jaeger`")
            && msg.contains("stdout, otlp, braintrust, braintrust-otlp, none"),
        "{msg}"
    );

    // SAFETY: as above.
    unsafe { std::env::set_var(AZURE_AI_INFERENCE_OTEL_EXPORTERS, "") };
    let builder = PipelineBuilder::from_env().expect("blank means unset");
    assert_eq!(
        builder.exporter_kinds(),
        [],
        "no collector: nothing (stdout only when asked for)"
    );

    // SAFETY: as above.
    unsafe { std::env::set_var(AZURE_AI_INFERENCE_OTEL_EXPORTERS, "STDOUT,none,stdout") };
    let builder = PipelineBuilder::from_env().expect("valid list");
    assert_eq!(
        builder.exporter_kinds(),
        [ExporterKind::Stdout, ExporterKind::None]
    );
    let guard = builder.with_global(false).install().expect("installs");
    guard
        .tracer_provider()
        .tracer("t")
        .in_span("printed", |_| {});
    guard
        .shutdown()
        .expect("stdout exporters shut down cleanly");
}
