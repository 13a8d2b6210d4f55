//! End to end: a chat call and a streamed one inside a `tracing` span,
//! exported by one pipeline to the Braintrust stand-in (native REST) and an
//! OTLP collector at once, arrive in both with the right parent link, and
//! shutting down from each runtime flavour loses nothing. Then
//! `braintrust-otlp` beside `otlp`: only Braintrust's copy carries the
//! `braintrust.*` attributes.
//!
//! No globals here (`with_global(false)`, the providers handed to the client,
//! a thread-local subscriber), so the tests run in parallel; the globals path
//! users take is `e2e_braintrust_and_otlp_global.rs`.

mod support;
use support::e2e;
use support::otlp_collector;

use std::collections::BTreeSet;

use azure_ai_inference_otel::exporters::braintrust::{BraintrustConfig, Parent};
use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::setup::{
    ExporterKind, TelemetryGuard, TelemetryPipeline, TracingLayer,
};
use azure_ai_inference_otel::testing::MockInferenceServer;
use e2e::{HANDLER, PLAIN_SPAN, STREAM_SPAN, Sinks};
use opentelemetry_proto::tonic::common::v1::{KeyValue as ProtoKeyValue, any_value};
use otlp_collector::{OtlpCollector, hex};
use serde_json::Value;
use support::braintrust_stand_in::{API_KEY, PROJECT_NAME};
use support::otlp_receiver::OtlpReceiver;
use tracing::Instrument;
use tracing_subscriber::Registry;
use tracing_subscriber::prelude::*;

/// A pipeline to both sinks, not global.
fn install(sinks: &Sinks, service_name: &str) -> (TelemetryGuard, TracingLayer<Registry>) {
    e2e::install_propagator();
    sinks
        .pipeline(service_name)
        .with_global(false)
        .install_with_tracing()
        .expect("pipeline installs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_with_shutdown_async() {
    let sinks = Sinks::start();
    let server = MockInferenceServer::start().await.expect("mock server");
    e2e::script(&server);
    let (guard, layer) = install(&sinks, "e2e-multi-thread");
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let client = e2e::client(&server, e2e::options_for(&guard));

    // The handler runs on a worker thread: the span carries its subscriber
    // there, and the client's spans nest under it.
    tokio::spawn(async move { e2e::calls(&client).await }.instrument(tracing::info_span!(HANDLER)))
        .await
        .expect("handler task");

    guard.shutdown_async().await.expect("clean shutdown");
    e2e::assert_delivered(&sinks, &server);
}

#[tokio::test(flavor = "current_thread")]
async fn current_thread_with_blocking_shutdown() {
    let sinks = Sinks::start();
    let server = MockInferenceServer::start().await.expect("mock server");
    e2e::script(&server);
    let (guard, layer) = install(&sinks, "e2e-current-thread");
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let client = e2e::client(&server, e2e::options_for(&guard));

    e2e::calls(&client)
        .instrument(tracing::info_span!(HANDLER))
        .await;

    // Blocks the runtime's only thread: fine, no exporter needs the runtime.
    guard.shutdown().expect("clean shutdown");
    e2e::assert_delivered(&sinks, &server);
}

#[tokio::test(flavor = "current_thread")]
async fn current_thread_with_shutdown_async() {
    let sinks = Sinks::start();
    let server = MockInferenceServer::start().await.expect("mock server");
    e2e::script(&server);
    let (guard, layer) = install(&sinks, "e2e-current-thread-async");
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let client = e2e::client(&server, e2e::options_for(&guard));

    e2e::calls(&client)
        .instrument(tracing::info_span!(HANDLER))
        .await;

    guard.shutdown_async().await.expect("clean shutdown");
    e2e::assert_delivered(&sinks, &server);
}

/// A synchronous program: its own runtime for the client calls, the span
/// entered from sync code, the runtime gone before the blocking shutdown.
#[test]
fn sync_code_with_its_own_runtime() {
    let sinks = Sinks::start();
    let server = MockInferenceServer::start_background().expect("mock server");
    e2e::script(&server);
    let (guard, layer) = install(&sinks, "e2e-sync");
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let client = e2e::client(&server, e2e::options_for(&guard));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    tracing::info_span!(HANDLER).in_scope(|| runtime.block_on(e2e::calls(&client)));
    drop(client);
    drop(runtime);

    guard.shutdown().expect("clean shutdown");
    e2e::assert_delivered(&sinks, &server);
}

/// `braintrust-otlp` and `otlp` in one pipeline: the same spans reach both
/// receivers; Braintrust's copy has `braintrust.parent` and the row
/// attributes, the collector's copy has no `braintrust.*` key at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn braintrust_otlp_beside_otlp_annotates_only_braintrusts_copy() {
    let braintrust = OtlpReceiver::start();
    let collector = OtlpCollector::start();
    let server = MockInferenceServer::start().await.expect("mock server");
    e2e::script(&server);
    e2e::install_propagator();
    let (guard, layer) = TelemetryPipeline::builder()
        .with_service_name("e2e-braintrust-otlp")
        .with_global(false)
        .with_exporters([ExporterKind::BraintrustOtlp, ExporterKind::Otlp])
        .with_braintrust_config(
            BraintrustConfig::new()
                .with_api_key(API_KEY)
                .with_api_url(&braintrust.url)
                .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned())),
        )
        .with_otlp_config(OtlpConfig::new().with_endpoint(collector.endpoint()))
        .install_with_tracing()
        .expect("pipeline installs");
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let client = e2e::client(&server, e2e::options_for(&guard));
    tokio::spawn(async move { e2e::calls(&client).await }.instrument(tracing::info_span!(HANDLER)))
        .await
        .expect("handler task");
    guard.shutdown_async().await.expect("clean shutdown");

    // Braintrust's endpoint: spans only, with its headers.
    let parent = format!("project_name:{PROJECT_NAME}");
    let requests = braintrust.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request.path, "/otel/v1/traces", "no metrics to Braintrust");
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {API_KEY}").as_str())
        );
        assert_eq!(request.parent.as_deref(), Some(parent.as_str()));
    }
    let bt_spans = braintrust.spans();
    let names: Vec<_> = bt_spans.iter().map(|s| s.name.clone()).collect();
    assert_eq!(bt_spans.len(), e2e::ALL_SPANS.len(), "{names:?}");

    // The collector: the same spans, nothing added.
    let plain = collector.spans();
    assert_eq!(plain.len(), e2e::ALL_SPANS.len());
    for s in &plain {
        assert_eq!(s.path, "/v1/traces");
        let added: Vec<_> = keys(&s.span.attributes)
            .into_iter()
            .filter(|k| k.starts_with("braintrust."))
            .collect();
        assert!(added.is_empty(), "{}: {added:?}", s.span.name);
    }

    let handler = e2e::named_span(&plain, HANDLER);
    for name in e2e::ALL_SPANS {
        let ours = &e2e::named_span(&plain, name).span;
        let theirs = bt_spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("Braintrust did not get {name}"));
        assert_eq!(hex(&theirs.span_id), hex(&ours.span_id), "{name}");
        assert_eq!(hex(&theirs.trace_id), hex(&handler.span.trace_id), "{name}");
        assert_eq!(theirs.parent_span_id, ours.parent_span_id, "{name}");

        // Braintrust's copy: every original attribute, plus exactly these.
        let mut expected: BTreeSet<String> = keys(&ours.attributes);
        expected.extend(
            [
                "braintrust.parent",
                "braintrust.span_attributes",
                "braintrust.metadata",
                "braintrust.metrics",
            ]
            .map(str::to_owned),
        );
        if name != HANDLER {
            // Chats have choices (content-free: recording is off), never input.
            expected.insert("braintrust.output_json".to_owned());
        }
        assert_eq!(keys(&theirs.attributes), expected, "{name}");
        assert_eq!(
            text(&theirs.attributes, "braintrust.parent"),
            parent,
            "{name}"
        );
        let span_attributes = json(&theirs.attributes, "braintrust.span_attributes");
        assert_eq!(span_attributes["name"], name);
        let expected_type = if name == HANDLER { "task" } else { "llm" };
        assert_eq!(span_attributes["type"], expected_type, "{name}");
    }
    for name in [PLAIN_SPAN, STREAM_SPAN] {
        let chat = &e2e::named_span(&plain, name).span;
        assert_eq!(hex(&chat.parent_span_id), hex(&handler.span.span_id));
        let theirs = bt_spans.iter().find(|s| s.name == name).expect("chat");
        let metadata = json(&theirs.attributes, "braintrust.metadata");
        assert_eq!(metadata["provider"], "azure", "{name}");
        assert!(metadata["model"].is_string(), "{name}: {metadata}");
    }
}

fn keys(attributes: &[ProtoKeyValue]) -> BTreeSet<String> {
    attributes.iter().map(|kv| kv.key.clone()).collect()
}

fn text(attributes: &[ProtoKeyValue], key: &str) -> String {
    let value = attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref());
    match value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        other => panic!("{key}: expected a string, got {other:?}"),
    }
}

fn json(attributes: &[ProtoKeyValue], key: &str) -> Value {
    serde_json::from_str(&text(attributes, key)).unwrap_or_else(|e| panic!("{key}: {e}"))
}
