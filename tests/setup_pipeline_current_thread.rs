//! The pipeline on a `current_thread` runtime: a blocking `shutdown()` on
//! the runtime's only thread does not deadlock (the OTLP/HTTP exporter never
//! needs the runtime), and `shutdown_async()` works too. No globals: each
//! test has its own providers and a thread-local subscriber, so they can run
//! in parallel.

mod support;
use support::otlp_collector;

use azure_ai_inference_otel::client::{ClientOptions, Credential, EmbeddingsClient};
use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::models::EmbeddingsOptions;
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryGuard, TelemetryPipeline};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::MockInferenceServer;

use otlp_collector::{OtlpCollector, hex};
use tracing::Instrument;
use tracing_subscriber::prelude::*;

/// Installs a non-global pipeline to `collector`, records a tracing span
/// with an embeddings call inside (across an await point), and returns the
/// guard.
async fn record_spans(collector: &OtlpCollector) -> TelemetryGuard {
    let (guard, layer) = TelemetryPipeline::builder()
        .with_service_name("setup-current-thread")
        .with_global(false)
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(OtlpConfig::new().with_endpoint(collector.endpoint()))
        .install_with_tracing()
        .expect("pipeline installs");
    let options = TelemetryOptions::new()
        .with_tracer_provider(guard.tracer_provider())
        .with_meter_provider(guard.meter_provider());
    let server = MockInferenceServer::start().await.expect("demo endpoint");
    let client = EmbeddingsClient::new(
        server.endpoint(),
        Credential::api_key("test-key-0123456789").expect("key"),
        Some(ClientOptions::new().with_telemetry(options)),
    )
    .expect("client");

    // Everything runs on this thread, so a thread-local subscriber suffices.
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    async {
        tokio::task::yield_now().await;
        client
            .embed(EmbeddingsOptions::new(vec!["hi".to_owned()]).with_model("e"))
            .await
            .expect("embeddings");
    }
    .instrument(tracing::info_span!("outer"))
    .await;
    guard
}

fn assert_received(collector: &OtlpCollector) {
    let outer = collector.span("outer");
    let core = collector.span("embeddings e");
    assert_eq!(outer.path, "/v1/traces");
    assert_eq!(hex(&core.span.parent_span_id), hex(&outer.span.span_id));
    let metrics = collector.metrics();
    assert!(
        metrics
            .iter()
            .any(|(_, name)| name == "gen_ai.client.operation.duration"),
        "{metrics:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_shutdown_on_the_runtime_thread_does_not_deadlock() {
    let collector = OtlpCollector::start();
    let guard = record_spans(&collector).await;
    guard.shutdown().expect("clean shutdown");
    assert_received(&collector);
}

#[tokio::test(flavor = "current_thread")]
async fn shutdown_async_on_current_thread() {
    let collector = OtlpCollector::start();
    let guard = record_spans(&collector).await;
    guard.shutdown_async().await.expect("clean shutdown");
    assert_received(&collector);
}
