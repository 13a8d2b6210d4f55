//! OTLP to Braintrust against a loopback OTLP/HTTP receiver: path, headers,
//! the Braintrust attributes on Braintrust's copy only, and request size.

mod support;

use std::collections::HashMap;

use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustOtlpExporter, Parent, preview_row,
};
use azure_ai_inference_otel::exporters::delivery::DeliveryConfig;
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span as ProtoSpan;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use serde_json::Value;
use support::braintrust_stand_in::{API_KEY, PROJECT_NAME, fast_retries};
use support::genai_spans::VOCABULARY_DEFAULT;
use support::genai_spans::{CHAT_NAME, Chat, crate_tracer, emit_chat, in_user_span};
use support::otlp_receiver::OtlpReceiver;

/// The documented request limit of the Braintrust OTLP exporter.
const MAX_OTLP_REQUEST_BYTES: usize = 10_000_000;

fn config(receiver: &OtlpReceiver) -> BraintrustConfig {
    BraintrustConfig::new()
        .with_api_key(API_KEY)
        .with_api_url(&receiver.url)
        .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned()))
        .with_retry_policy(fast_retries())
}

/// A provider sending to Braintrust over OTLP (its delivery processor, as
/// the pipeline installs it) and to memory (what every other exporter would see).
fn pipeline(receiver: &OtlpReceiver) -> (SdkTracerProvider, InMemorySpanExporter) {
    let memory = InMemorySpanExporter::default();
    let processor =
        BraintrustOtlpExporter::processor(config(receiver), DeliveryConfig::new()).expect("builds");
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_simple_exporter(memory.clone())
        .build();
    (provider, memory)
}

fn attributes(span: &ProtoSpan) -> HashMap<String, String> {
    span.attributes
        .iter()
        .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some((kv.key.clone(), s.clone())),
            _ => None,
        })
        .collect()
}

fn json(text: Option<&String>) -> Value {
    serde_json::from_str(text.expect("attribute present")).expect("attribute is JSON")
}

#[test]
fn spans_reach_braintrust_with_the_row_attributes_on_braintrusts_copy_only() {
    let receiver = OtlpReceiver::start();
    let (provider, memory) = pipeline(&receiver);
    in_user_span(&provider, |cx| {
        emit_chat(&crate_tracer(&provider), cx, Chat::new(&VOCABULARY_DEFAULT));
    });
    provider.force_flush().expect("flush");

    let requests = receiver.requests();
    assert!(!requests.is_empty());
    let parent = format!("project_name:{PROJECT_NAME}");
    for request in &requests {
        assert_eq!(request.path, "/otel/v1/traces");
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {API_KEY}").as_str())
        );
        assert_eq!(request.parent.as_deref(), Some(parent.as_str()));
        assert_eq!(
            request.content_type.as_deref(),
            Some("application/x-protobuf")
        );
    }

    // What the other exporter saw: the spans as recorded, nothing added.
    let local = memory.get_finished_spans().expect("spans");
    assert_eq!(local.len(), 2);
    for span in &local {
        for kv in &span.attributes {
            assert!(
                !kv.key.as_str().starts_with("braintrust."),
                "{} leaked into the local copy of {}",
                kv.key,
                span.name
            );
        }
    }

    // What Braintrust got: the same spans, each with the parent and the row.
    let received = receiver.spans();
    assert_eq!(received.len(), 2);
    for span in &received {
        let attrs = attributes(span);
        assert_eq!(attrs.get("braintrust.parent"), Some(&parent));
        let local = local
            .iter()
            .find(|s| s.name == span.name)
            .expect("same span locally");
        let row = preview_row(local);
        assert_eq!(
            json(attrs.get("braintrust.span_attributes")),
            row["span_attributes"]
        );
        assert_eq!(json(attrs.get("braintrust.metadata")), row["metadata"]);
        assert_eq!(json(attrs.get("braintrust.metrics")), row["metrics"]);
        for (key, field) in [
            ("braintrust.input_json", "input"),
            ("braintrust.output_json", "output"),
        ] {
            match row.get(field) {
                Some(value) => assert_eq!(&json(attrs.get(key)), value),
                None => assert!(!attrs.contains_key(key), "{key} on {}", span.name),
            }
        }
        // The original attributes travel too.
        for kv in &local.attributes {
            assert!(
                span.attributes.iter().any(|r| r.key == kv.key.as_str()),
                "{} missing on Braintrust's copy",
                kv.key
            );
        }
    }
    let chat = received
        .iter()
        .find(|s| s.name == CHAT_NAME)
        .expect("chat span");
    let chat_attrs = attributes(chat);
    assert_eq!(
        json(chat_attrs.get("braintrust.span_attributes"))["type"],
        "llm"
    );
    assert_eq!(
        json(chat_attrs.get("braintrust.metadata"))["provider"],
        "azure"
    );
    assert!(chat_attrs.contains_key("braintrust.input_json"));

    provider.shutdown().expect("shutdown");
}

#[test]
fn a_parent_set_by_the_application_is_kept() {
    let receiver = OtlpReceiver::start();
    let (provider, _memory) = pipeline(&receiver);
    let tracer = provider.tracer("app");
    let mut span = tracer.start("routed elsewhere");
    span.set_attribute(KeyValue::new("braintrust.parent", "project_name:other"));
    span.end();
    provider.force_flush().expect("flush");
    let spans = receiver.spans();
    let parents: Vec<_> = spans[0]
        .attributes
        .iter()
        .filter(|kv| kv.key == "braintrust.parent")
        .collect();
    assert_eq!(parents.len(), 1);
    assert_eq!(
        attributes(&spans[0])["braintrust.parent"],
        "project_name:other"
    );
    provider.shutdown().expect("shutdown");
}

#[test]
fn big_exports_are_split_below_the_request_limit() {
    let receiver = OtlpReceiver::start();
    let (provider, _memory) = pipeline(&receiver);
    let tracer = provider.tracer("app");
    for i in 0..12 {
        let mut span = tracer.start(format!("big {i}"));
        span.set_attribute(KeyValue::new("payload", "x".repeat(1024 * 1024)));
        span.end();
    }
    provider.force_flush().expect("flush");
    let requests = receiver.requests();
    assert!(requests.len() >= 3, "{} requests", requests.len());
    for request in &requests {
        assert!(
            request.bytes < MAX_OTLP_REQUEST_BYTES,
            "{} bytes",
            request.bytes
        );
    }
    assert_eq!(receiver.spans().len(), 12);
    provider.shutdown().expect("shutdown");
}

#[test]
fn debug_never_shows_the_key() {
    let receiver = OtlpReceiver::start();
    let exporter = BraintrustOtlpExporter::new(config(&receiver)).expect("builds");
    let text = format!("{exporter:?}");
    assert!(!text.contains(API_KEY), "{text}");
    assert!(text.contains("/otel/v1/traces"), "{text}");
}

/// The simple processor calls `export` on the thread ending the span: from
/// a Tokio thread, the exporter (which only queues, and sends from its own
/// runtime) must neither panic nor block; shutdown delivers.
#[tokio::test(flavor = "current_thread")]
async fn works_with_the_simple_processor_inside_a_runtime() {
    let receiver = OtlpReceiver::start();
    let exporter = BraintrustOtlpExporter::new(config(&receiver)).expect("builds");
    let stats = exporter.stats();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .build();
    provider.tracer("app").in_span("inside tokio", |_| {});
    provider.shutdown().expect("shutdown");
    assert_eq!(receiver.spans().len(), 1);
    assert_eq!(stats.sent(), 1);
}
