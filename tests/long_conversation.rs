//! Long conversations with content recording on: a request of 200 messages
//! keeps its `gen_ai.choice` and `exception` events under the SDK's default
//! limit of 128 events per span (a caller's own provider), because the
//! client records at most `MAX_MESSAGE_EVENTS` message events and says how
//! many it left out; the crate's pipeline also raises the limit.

mod support;
use support::client as client_support;
use support::semconv_v141;
use support::telemetry;

use std::time::Duration;

use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions};
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry::Value;
use opentelemetry::trace::{Span, Tracer, TracerProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use serde_json::Value as Json;
use telemetry::{Harness, attrs, kv_map};

/// Message events a chat span keeps (documented on `TelemetryOptions`).
const MAX_MESSAGE_EVENTS: usize = 100;
/// The per-span event limit the pipeline sets.
const PIPELINE_MAX_EVENTS_PER_SPAN: usize = 256;

const MESSAGES: usize = 200;

fn client(server: &MockInferenceServer, h: &Harness, mode: SemconvMode) -> ChatCompletionsClient {
    let options = ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_telemetry(h.options(true).with_semconv_mode(mode));
    client_support::chat(server, options)
}

/// A system prompt, then user and assistant turns: "turn 1" ... "turn 199".
fn long_request() -> ChatCompletionsOptions {
    let mut messages = vec![ChatRequestMessage::system("You are terse.")];
    for i in 1..MESSAGES {
        let text = format!("turn {i}");
        messages.push(if i % 2 == 1 {
            ChatRequestMessage::user(text)
        } else {
            ChatRequestMessage::assistant(text)
        });
    }
    ChatCompletionsOptions::new(messages).with_model("m")
}

fn message_events(span: &SpanData) -> Vec<Json> {
    span.events
        .iter()
        .filter(|e| e.name.ends_with(".message"))
        .map(|e| {
            let body = kv_map(&e.attributes)["gen_ai.event.content"]
                .as_str()
                .into_owned();
            serde_json::from_str(&body).expect("message event content is JSON")
        })
        .collect()
}

fn count(span: &SpanData, name: &str) -> usize {
    span.events.iter().filter(|e| e.name == name).count()
}

/// Whole answer with two choices, a streamed answer, and a failure: each
/// span keeps its choice or exception events, with the caller's own
/// provider at the SDK's default limits.
#[tokio::test]
async fn two_hundred_messages_keep_choice_and_exception_events() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = client(&server, &h, SemconvMode::Default);

    server.enqueue(Reply::chat_choices([("A.", "stop"), ("B.", "length")]));
    client.complete(long_request()).await.unwrap();
    server.enqueue(Reply::chat_stream(["Fi", "ne."]));
    let mut stream = client.complete_streaming(long_request()).await.unwrap();
    while stream.next().await.is_some() {}
    server.enqueue(Reply::error(400, "BadRequest", "context too long"));
    client.complete(long_request()).await.unwrap_err();

    let spans = h.spans();
    assert_eq!(spans.len(), 3);
    for (i, span) in spans.iter().enumerate() {
        assert_eq!(span.events.dropped_count, 0, "span {i} lost events");
        let messages = message_events(span);
        assert_eq!(messages.len(), MAX_MESSAGE_EVENTS, "span {i}");
        // The first (instructions) and the latest turns are kept, in order.
        assert_eq!(messages[0]["content"], "You are terse.", "span {i}");
        assert_eq!(
            messages[1]["content"],
            format!("turn {}", MESSAGES - MAX_MESSAGE_EVENTS + 1)
        );
        assert_eq!(
            messages.last().unwrap()["content"],
            format!("turn {}", MESSAGES - 1)
        );
        assert_eq!(
            attrs(span).get("az.ai.inference.message_events.omitted"),
            Some(&Value::I64((MESSAGES - MAX_MESSAGE_EVENTS) as i64)),
            "span {i}"
        );
    }
    assert_eq!(count(&spans[0], "gen_ai.choice"), 2);
    assert_eq!(count(&spans[1], "gen_ai.choice"), 1);
    assert_eq!(count(&spans[2], "exception"), 1);
}

/// A short conversation is recorded whole, without the attribute; with the
/// newer names all 200 messages are in `gen_ai.input.messages`, the answer
/// in `gen_ai.output.messages` (v1.41 schemas), and there is no event.
#[tokio::test]
async fn short_conversations_and_the_newer_names_lose_nothing() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let short = client(&server, &h, SemconvMode::Default);
    server.enqueue(Reply::chat_completion("Hi."));
    short
        .complete(
            ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Hello")]).with_model("m"),
        )
        .await
        .unwrap();
    let latest = client(&server, &h, SemconvMode::LatestExperimental);
    server.enqueue(Reply::chat_completion("Fine."));
    latest.complete(long_request()).await.unwrap();

    let spans = h.spans();
    assert_eq!(spans.len(), 2);
    assert_eq!(message_events(&spans[0]).len(), 1);
    assert!(!attrs(&spans[0]).contains_key("az.ai.inference.message_events.omitted"));
    let a = attrs(&spans[1]);
    assert!(!a.contains_key("az.ai.inference.message_events.omitted"));
    let input = semconv_v141::content_attribute(&spans[1], "gen_ai.input.messages")
        .expect("input messages");
    assert_eq!(input.as_array().map(Vec::len), Some(MESSAGES));
    let output = semconv_v141::content_attribute(&spans[1], "gen_ai.output.messages")
        .expect("output messages");
    assert_eq!(output[0]["parts"][0]["content"], "Fine.");
    // No event at all: v1.41 deprecates the message and choice events.
    semconv_v141::assert_no_deprecated_events(&spans[1]);
    assert!(spans[1].events.is_empty(), "{:?}", spans[1].events);
}

/// The crate's pipeline raises the per-span event limit (unless
/// `OTEL_SPAN_EVENT_COUNT_LIMIT` says otherwise).
#[test]
fn the_pipeline_keeps_more_events_per_span() {
    if std::env::var_os("OTEL_SPAN_EVENT_COUNT_LIMIT").is_some() {
        return; // The operator's limit wins; nothing of ours to check.
    }
    let exporter = InMemorySpanExporter::default();
    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::None)
        .with_span_exporter(exporter.clone())
        .install()
        .expect("pipeline installs");
    let tracer = guard.tracer_provider().tracer("long-conversation-test");
    let mut span = tracer.start("many events");
    for i in 0..300 {
        span.add_event(format!("event {i}"), vec![]);
    }
    span.end();
    guard.force_flush().expect("flush");
    let spans = exporter.get_finished_spans().expect("spans");
    guard.shutdown().expect("shutdown");
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].events.len(), PIPELINE_MAX_EVENTS_PER_SPAN);
}
