//! The whole pipeline, installed globally, on a multi-thread runtime:
//! `tracing` spans from a spawned task, a chat call's span nested inside
//! one, metrics through the global meter provider, `shutdown_async`.
//!
//! One test in this file: it sets the global providers and subscriber.

mod support;
use support::otlp_collector;

use azure_ai_inference_otel::client::{ChatCompletionsClient, Credential};
use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use azure_ai_inference_otel::testing::MockInferenceServer;

use otlp_collector::{OtlpCollector, attr, hex};
use tracing::Instrument;
use tracing_subscriber::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_and_metrics_arrive_after_shutdown_async() {
    let collector = OtlpCollector::start();
    let (guard, layer) = TelemetryPipeline::builder()
        .with_service_name("setup-multi-thread")
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(
            OtlpConfig::new()
                .with_endpoint(collector.endpoint())
                .with_header("x-test", "from-code"),
        )
        .install_with_tracing()
        .expect("pipeline installs");
    tracing_subscriber::registry().with(layer).init();

    // Created after install: its instruments come from the global meter provider.
    let server = MockInferenceServer::start().await.expect("demo endpoint");
    let client = ChatCompletionsClient::new(
        server.endpoint(),
        Credential::api_key("test-key-0123456789").expect("key"),
        None,
    )
    .expect("client");

    tokio::spawn(
        async move {
            let request =
                ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")]).with_model("m");
            client.complete(request).await.expect("chat");
        }
        .instrument(tracing::info_span!("outer", request = 1)),
    )
    .await
    .expect("task");
    tokio::spawn(async { tracing::info_span!("sibling").in_scope(|| {}) })
        .await
        .expect("task");

    guard.shutdown_async().await.expect("clean shutdown");

    let paths = collector.paths();
    assert!(paths.iter().any(|p| p == "/v1/traces"), "{paths:?}");
    assert!(paths.iter().any(|p| p == "/v1/metrics"), "{paths:?}");
    assert!(
        paths
            .iter()
            .all(|p| p == "/v1/traces" || p == "/v1/metrics"),
        "{paths:?}"
    );
    for request in collector.requests() {
        assert_eq!(request.header("x-test").as_deref(), Some("from-code"));
    }

    let outer = collector.span("outer");
    let chat = collector.span("chat m");
    collector.span("sibling");
    assert_eq!(outer.scope, "tracing-opentelemetry");
    assert_eq!(chat.scope, env!("CARGO_PKG_NAME"));
    assert_eq!(chat.span.trace_id, outer.span.trace_id);
    assert_eq!(
        hex(&chat.span.parent_span_id),
        hex(&outer.span.span_id),
        "the core span's parent is the tracing span"
    );
    assert!(outer.span.parent_span_id.is_empty());
    // The global propagator is W3C trace context: the service saw the call's span.
    let requests = server.requests();
    let traceparent = requests[0]
        .header("traceparent")
        .expect("traceparent injected");
    assert!(
        traceparent.contains(&hex(&chat.span.span_id)),
        "{traceparent}"
    );

    for s in collector.spans() {
        assert_eq!(
            attr(&s.resource, "service.name").as_deref(),
            Some("setup-multi-thread")
        );
        let code_or_thread: Vec<_> = s
            .span
            .attributes
            .iter()
            .map(|kv| kv.key.as_str())
            .filter(|k| k.starts_with("code.") || k.starts_with("thread."))
            .collect();
        assert!(
            code_or_thread.is_empty(),
            "{}: {code_or_thread:?}",
            s.span.name
        );
    }

    let metrics = collector.metrics();
    assert!(
        metrics
            .iter()
            .any(|(_, name)| name == "gen_ai.client.operation.duration"),
        "{metrics:?}"
    );
    for (resource, _) in &metrics {
        assert_eq!(
            attr(resource, "service.name").as_deref(),
            Some("setup-multi-thread")
        );
    }
}
