//! A plain synchronous `main`, no runtime of its own: install globally, add
//! the layer with the one documented line, make a chat call (on a throwaway
//! runtime, as synchronous code drives an async client), record from a
//! second thread, shut down.
//!
//! One test in this file: it sets the global providers and subscriber.

mod support;
use support::otlp_collector;

use azure_ai_inference_otel::client::{ChatCompletionsClient, Credential};
use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use azure_ai_inference_otel::testing::MockInferenceServer;
use otlp_collector::{OtlpCollector, hex};
use tracing_subscriber::prelude::*;

#[test]
fn main_like_program_loses_no_span() {
    let collector = OtlpCollector::start();
    let (guard, layer) = TelemetryPipeline::builder()
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(OtlpConfig::new().with_endpoint(collector.endpoint()))
        .install_with_tracing()
        .expect("pipeline installs");
    tracing_subscriber::registry()
        .with(layer)
        .with(tracing_subscriber::fmt::layer().with_test_writer())
        .init();

    let server = MockInferenceServer::start_background().expect("demo endpoint");
    let client = ChatCompletionsClient::new(
        server.endpoint(),
        Credential::api_key("test-key-0123456789").expect("key"),
        None,
    )
    .expect("client");
    {
        let _outer = tracing::info_span!("main_work").entered();
        let request =
            ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")]).with_model("m");
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(client.complete(request))
            .expect("chat");
        std::thread::spawn(|| {
            for i in 0..50 {
                tracing::info_span!("worker", i).in_scope(|| {});
            }
        })
        .join()
        .expect("worker thread");
    }
    guard.shutdown().expect("clean shutdown");

    let spans = collector.spans();
    assert_eq!(spans.iter().filter(|s| s.span.name == "worker").count(), 50);
    let outer = collector.span("main_work");
    let chat = collector.span("chat m");
    assert_eq!(hex(&chat.span.parent_span_id), hex(&outer.span.span_id));
    // No service name anywhere: the crate's name.
    assert_eq!(
        otlp_collector::attr(&outer.resource, "service.name").as_deref(),
        Some(env!("CARGO_PKG_NAME"))
    );
}
