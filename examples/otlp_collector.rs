//! OTLP to a collector: traces and metrics over OTLP/HTTP, configured by the
//! standard `OTEL_EXPORTER_OTLP_*` variables.
//!
//! ```text
//! # any OTLP/HTTP receiver on localhost:4318, for example Jaeger (traces
//! # only; open http://localhost:16686):
//! docker run --rm -p 4318:4318 -p 16686:16686 jaegertracing/jaeger:latest
//! cargo run --example otlp_collector
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 cargo run --example otlp_collector
//! ```
//!
//! The endpoint is `OTEL_EXPORTER_OTLP_ENDPOINT` (default
//! `http://localhost:4318`; `/v1/traces` and `/v1/metrics` are appended),
//! headers come from `OTEL_EXPORTER_OTLP_HEADERS`, the service name from
//! `OTEL_SERVICE_NAME` (default `otlp-collector-example`). The example makes
//! two chat completions and an embedding inside a `batch_job` span, then
//! shuts the pipeline down, which delivers the spans and the metrics
//! (`gen_ai.client.operation.duration`, `gen_ai.client.token.usage`).
//!
//! With no collector listening, nothing hangs: the exports are refused at
//! once, and the shutdown reports the failure (exit status 1).
//!
//! The model is the built-in demo endpoint unless
//! `AZURE_AI_INFERENCE_ENDPOINT` (and `AZURE_AI_INFERENCE_KEY`) name a real one.

mod common;

use std::error::Error;
use std::process::ExitCode;

use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions,
};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use tracing::Instrument as _;
use tracing_subscriber::prelude::*;

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn Error>> {
    let target = common::Target::from_env()?;

    let config = OtlpConfig::new();
    for (signal, resolved) in [
        ("traces", config.resolve_traces()?),
        ("metrics", config.resolve_metrics()?),
    ] {
        println!(
            "{signal} -> {} ({}, endpoint from {:?})",
            resolved.endpoint, resolved.protocol, resolved.endpoint_source
        );
    }
    let mut pipeline = TelemetryPipeline::builder()
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(config);
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        pipeline = pipeline.with_service_name("otlp-collector-example");
    }
    let (guard, otel_layer) = pipeline.install_with_tracing()?;
    tracing_subscriber::registry().with(otel_layer).init();

    let chat = target.chat_client(TelemetryOptions::new())?;
    let embeddings = target.embeddings_client(TelemetryOptions::new())?;
    async {
        for topic in ["traces", "metrics"] {
            let answer = chat
                .complete(ChatCompletionsOptions::new(vec![ChatRequestMessage::user(
                    format!("Explain OpenTelemetry {topic} in one sentence."),
                )]))
                .await?;
            println!("{topic}: {}", answer.content().unwrap_or_default());
        }
        let result = embeddings
            .embed(EmbeddingsOptions::new(["traces", "metrics"]))
            .await?;
        println!("embedded {} texts", result.data.len());
        Ok::<_, Box<dyn Error>>(())
    }
    .instrument(tracing::info_span!("batch_job"))
    .await?;

    // Delivers the spans and a final metrics export.
    match guard.shutdown_async().await {
        Ok(()) => {
            println!("delivered the spans and metrics to the collector");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            eprintln!(
                "is an OTLP/HTTP collector listening there? set OTEL_EXPORTER_OTLP_ENDPOINT to point at one"
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
