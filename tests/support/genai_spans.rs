//! Spans shaped like the ones the crate emits (TELEMETRY.md), built with the
//! SDK and the names spelled as TELEMETRY.md has them. Record them with
//! [`Harness::with_seq_ids`](super::telemetry::Harness::with_seq_ids).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use azure_ai_inference_otel::telemetry::SemconvMode;
use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Array, Context, InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, SpanData};
use serde_json::{Value as Json, json};

/// How recorded content travels in a vocabulary (TELEMETRY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentForm {
    /// One `gen_ai.{role}.message` event per message, `gen_ai.choice` events.
    Events,
    /// `gen_ai.input.messages` / `gen_ai.output.messages` attributes.
    Attributes,
}

/// The names that differ between the two convention versions, as the spec
/// spells them: the test's own reference, not the crate's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vocabulary {
    pub system_key: &'static str,
    pub system_value: &'static str,
    pub namespace_key: &'static str,
    pub namespace_value: &'static str,
    pub content: ContentForm,
    pub schema_url: &'static str,
    pub mode: SemconvMode,
}

/// Today's `az.ai.inference` names (the default).
pub const VOCABULARY_DEFAULT: Vocabulary = Vocabulary {
    system_key: "gen_ai.system",
    system_value: "az.ai.inference",
    namespace_key: "az.namespace",
    namespace_value: "Microsoft.CognitiveServices",
    content: ContentForm::Events,
    schema_url: "https://opentelemetry.io/schemas/1.34.0",
    mode: SemconvMode::Default,
};

/// The newer names (`OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`).
pub const VOCABULARY_LATEST: Vocabulary = Vocabulary {
    system_key: "gen_ai.provider.name",
    system_value: "azure.ai.inference",
    namespace_key: "azure.resource_provider.namespace",
    namespace_value: "Microsoft.CognitiveServices",
    content: ContentForm::Attributes,
    schema_url: "https://opentelemetry.io/schemas/1.41.0",
    mode: SemconvMode::LatestExperimental,
};

/// The row of `mode`.
pub fn vocabulary(mode: SemconvMode) -> &'static Vocabulary {
    match mode {
        SemconvMode::Default => &VOCABULARY_DEFAULT,
        SemconvMode::LatestExperimental => &VOCABULARY_LATEST,
    }
}

/// The event name of a request message of `role`.
pub fn message_event_name(role: &str) -> String {
    format!("gen_ai.{role}.message")
}

/// The span named `name`.
pub fn named<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        panic!(
            "no span named {name} among {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    })
}

/// The crate's tracer (its scope, as the client instrumentation uses).
pub fn crate_tracer(provider: &SdkTracerProvider) -> SdkTracer {
    provider.tracer_with_scope(
        InstrumentationScope::builder(env!("CARGO_PKG_NAME"))
            .with_version(env!("CARGO_PKG_VERSION"))
            .with_schema_url("https://opentelemetry.io/schemas/1.34.0")
            .build(),
    )
}

/// When every test span starts.
pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

pub const CHAT_NAME: &str = "chat gpt-4o-mini";
pub const EMBEDDINGS_NAME: &str = "embeddings text-embedding-3-small";
/// Text that only appears when content is recorded.
pub const SECRET_PROMPT: &str = "What is the weather in Paris?";
pub const SECRET_ANSWER: &str = "Sunny, 21 degrees.";
pub const SECRET_TOOL: &str = "get_weather";

/// What a chat call recorded.
#[derive(Debug, Clone, Copy)]
pub struct Chat {
    pub vocabulary: &'static Vocabulary,
    pub content: bool,
    /// The request has tools and a tool round trip in its history, and the
    /// answer is another tool call.
    pub tools: bool,
    pub streaming: bool,
}

impl Chat {
    pub fn new(vocabulary: &'static Vocabulary) -> Self {
        Chat {
            vocabulary,
            content: true,
            tools: false,
            streaming: false,
        }
    }
}

/// The request messages on the wire.
fn wire_messages(chat: &Chat) -> Vec<Json> {
    let mut messages = vec![
        json!({"role": "system", "content": "You are terse."}),
        json!({"role": "user", "content": SECRET_PROMPT}),
    ];
    if chat.tools {
        messages.push(json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": SECRET_TOOL, "arguments": "{\"city\": \"Paris\"}"}}
        ]}));
        messages
            .push(json!({"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\":21}"}));
    }
    messages
}

/// The same messages as structured parts (newer conventions).
fn part_messages(chat: &Chat) -> Json {
    let mut messages = vec![
        json!({"role": "system", "parts": [{"type": "text", "content": "You are terse."}]}),
        json!({"role": "user", "parts": [{"type": "text", "content": SECRET_PROMPT}]}),
    ];
    if chat.tools {
        messages.push(json!({"role": "assistant", "parts": [
            {"type": "tool_call", "id": "call_1", "name": SECRET_TOOL, "arguments": {"city": "Paris"}}
        ]}));
        messages.push(json!({"role": "tool", "parts": [
            {"type": "tool_call_response", "id": "call_1", "response": "{\"temp_c\":21}"}
        ]}));
    }
    Json::Array(messages)
}

fn finish_reason(chat: &Chat) -> &'static str {
    if chat.tools { "tool_calls" } else { "stop" }
}

/// The choice event body (`gen_ai.choice`), with or without content.
fn choice_event(chat: &Chat, with_content: bool) -> Json {
    let reason = finish_reason(chat);
    match (chat.tools, with_content) {
        (false, true) => {
            json!({"message": {"content": SECRET_ANSWER}, "finish_reason": reason, "index": 0})
        }
        (false, false) => json!({"finish_reason": reason, "index": 0}),
        (true, true) => json!({"message": {"content": null, "tool_calls": [
            {"id": "call_2", "type": "function", "function": {"name": SECRET_TOOL, "arguments": "{\"city\":\"Lyon\"}"}}
        ]}, "finish_reason": reason, "index": 0}),
        (true, false) => json!({"message": {"tool_calls": [{"id": "call_2", "type": "function"}]},
            "finish_reason": reason, "index": 0}),
    }
}

fn output_messages(chat: &Chat) -> Json {
    let part = if chat.tools {
        json!({"type": "tool_call", "id": "call_2", "name": SECRET_TOOL, "arguments": {"city": "Lyon"}})
    } else {
        json!({"type": "text", "content": SECRET_ANSWER})
    };
    json!([{"role": "assistant", "parts": [part], "finish_reason": finish_reason(chat)}])
}

fn tools_definition() -> String {
    json!([{"type": "function", "function": {"name": SECRET_TOOL, "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]).to_string()
}

fn strings(items: &[&'static str]) -> Value {
    Value::Array(Array::String(items.iter().map(|s| (*s).into()).collect()))
}

/// Attributes every operation sets at span creation.
fn common(vocabulary: &Vocabulary, operation: &'static str, model: &'static str) -> Vec<KeyValue> {
    vec![
        KeyValue::new(vocabulary.system_key, vocabulary.system_value),
        KeyValue::new("gen_ai.operation.name", operation),
        KeyValue::new("gen_ai.request.model", model),
        KeyValue::new("server.address", "example.services.ai.azure.com"),
        KeyValue::new(vocabulary.namespace_key, vocabulary.namespace_value),
    ]
}

/// Emits one chat span under `parent`, as the client would.
pub fn emit_chat(tracer: &SdkTracer, parent: &Context, chat: Chat) {
    let v = chat.vocabulary;
    let mut attributes = common(v, "chat", "gpt-4o-mini");
    attributes.extend([
        KeyValue::new("gen_ai.request.max_tokens", 100i64),
        KeyValue::new("gen_ai.request.temperature", 0.2),
        KeyValue::new("gen_ai.request.top_p", 0.9),
        KeyValue::new("gen_ai.request.seed", 42i64),
        KeyValue::new("gen_ai.request.stop_sequences", strings(&["END"])),
    ]);
    let mut span = tracer
        .span_builder(CHAT_NAME)
        .with_kind(SpanKind::Client)
        .with_start_time(t0())
        .with_attributes(attributes)
        .start_with_context(tracer, parent);

    let mut at = t0();
    let mut tick = || {
        at += Duration::from_millis(1);
        at
    };
    if chat.content && chat.tools {
        span.set_attribute(KeyValue::new("gen_ai.tool.definitions", tools_definition()));
    }
    if chat.content {
        match v.content {
            ContentForm::Events => {
                for message in wire_messages(&chat) {
                    let role = message["role"].as_str().unwrap_or("user").to_owned();
                    span.add_event_with_timestamp(
                        message_event_name(&role),
                        tick(),
                        vec![
                            KeyValue::new(v.system_key, v.system_value),
                            KeyValue::new("gen_ai.event.content", message.to_string()),
                        ],
                    );
                }
            }
            ContentForm::Attributes => {
                span.set_attribute(KeyValue::new(
                    "gen_ai.input.messages",
                    part_messages(&chat).to_string(),
                ));
                span.set_attribute(KeyValue::new(
                    "gen_ai.output.messages",
                    output_messages(&chat).to_string(),
                ));
            }
        }
    }
    // The choice event: with content only in the events vocabulary.
    let with_content = chat.content && v.content == ContentForm::Events;
    span.add_event_with_timestamp(
        "gen_ai.choice",
        tick(),
        vec![
            KeyValue::new(v.system_key, v.system_value),
            KeyValue::new(
                "gen_ai.event.content",
                choice_event(&chat, with_content).to_string(),
            ),
        ],
    );
    span.set_attributes([
        KeyValue::new("gen_ai.response.id", "chatcmpl-123"),
        KeyValue::new("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
        KeyValue::new(
            "gen_ai.response.finish_reasons",
            strings(&[finish_reason(&chat)]),
        ),
        KeyValue::new("gen_ai.usage.input_tokens", 25i64),
        KeyValue::new("gen_ai.usage.output_tokens", 7i64),
    ]);
    if chat.streaming {
        span.set_attribute(KeyValue::new("gen_ai.response.time_to_first_chunk", 0.125));
    }
    span.end_with_timestamp(t0() + Duration::from_millis(1500));
}

/// Emits an embeddings span under `parent`.
pub fn emit_embeddings(tracer: &SdkTracer, parent: &Context, vocabulary: &Vocabulary) {
    let mut attributes = common(vocabulary, "embeddings", "text-embedding-3-small");
    attributes.push(KeyValue::new(
        "gen_ai.request.encoding_formats",
        strings(&["float"]),
    ));
    let mut span = tracer
        .span_builder(EMBEDDINGS_NAME)
        .with_kind(SpanKind::Client)
        .with_start_time(t0())
        .with_attributes(attributes)
        .start_with_context(tracer, parent);
    span.set_attributes([
        KeyValue::new("gen_ai.response.model", "text-embedding-3-small"),
        KeyValue::new("gen_ai.usage.input_tokens", 8i64),
    ]);
    span.end_with_timestamp(t0() + Duration::from_millis(200));
}

/// Emits a chat span that failed with HTTP 429.
pub fn emit_chat_error(tracer: &SdkTracer, parent: &Context, vocabulary: &Vocabulary) {
    let mut span = tracer
        .span_builder(CHAT_NAME)
        .with_kind(SpanKind::Client)
        .with_start_time(t0())
        .with_attributes(common(vocabulary, "chat", "gpt-4o-mini"))
        .start_with_context(tracer, parent);
    span.add_event_with_timestamp(
        "exception",
        t0() + Duration::from_millis(3),
        vec![
            KeyValue::new("exception.type", "azure_ai_inference_otel::Error::Http"),
            KeyValue::new("exception.message", "HTTP 429"),
        ],
    );
    span.set_attribute(KeyValue::new("error.type", "429"));
    span.set_status(Status::error("HTTP 429"));
    span.end_with_timestamp(t0() + Duration::from_millis(4));
}

/// Runs `f` inside an application span `handle_request` (scope `my-app`),
/// the way a user's own instrumentation wraps model calls.
pub fn in_user_span(provider: &SdkTracerProvider, f: impl FnOnce(&Context)) {
    let app = provider.tracer("my-app");
    let span = app
        .span_builder("handle_request")
        .with_start_time(t0())
        .with_attributes([KeyValue::new("user.id", "u-1")])
        .start(&app);
    let cx = Context::current_with_span(span);
    f(&cx);
    cx.span().end_with_timestamp(t0() + Duration::from_secs(2));
}

/// Finished spans: a root `handle` task span ("my-app" scope), under it a
/// chat span (`gpt-4o`, Azure AI Inference) with `attributes` and the
/// messages of `input` as message events.
pub fn chat_under_root(attributes: Vec<KeyValue>, input: &Json) -> Vec<SpanData> {
    chat_under_root_with(attributes, input, Status::Unset)
}

/// [`chat_under_root`] with the chat span ended with `status`.
pub fn chat_under_root_with(
    attributes: Vec<KeyValue>,
    input: &Json,
    status: Status,
) -> Vec<SpanData> {
    let harness = super::telemetry::Harness::new();
    let tracer = harness.tracer_provider.tracer("my-app");
    let root = tracer.start("handle");
    let cx = Context::current_with_span(root);
    let mut chat = tracer
        .span_builder("chat gpt-4o")
        .with_kind(SpanKind::Client)
        .start_with_context(&tracer, &cx);
    chat.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
    chat.set_attribute(KeyValue::new("gen_ai.system", "az.ai.inference"));
    chat.set_attribute(KeyValue::new("gen_ai.response.model", "gpt-4o-2024-08-06"));
    for kv in attributes {
        chat.set_attribute(kv);
    }
    for message in input.as_array().into_iter().flatten() {
        chat.add_event(
            message_event_name(message["role"].as_str().unwrap_or("user")),
            vec![KeyValue::new("gen_ai.event.content", message.to_string())],
        );
    }
    chat.set_status(status);
    chat.end();
    cx.span().end();
    harness.spans()
}
