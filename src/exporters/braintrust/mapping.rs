//! One finished span → one Braintrust log row (`InsertProjectLogsEvent`).
//!
//! Pure functions over [`SpanData`]: no I/O, no clock, no global state, so the
//! native exporter and the OTLP exporter produce the same row from the same
//! span. Attribute names come from [`semconv`]; the tables below name the
//! constants rather than spelling the conventions again.
//!
//! # The mapping
//!
//! | row field | from the span |
//! |---|---|
//! | `id` | `"{trace id}-{span id}"` (32 + 1 + 16 lowercase hex): deterministic, so a retried batch replaces its rows instead of duplicating them |
//! | `span_id` | span id, 16 lowercase hex |
//! | `root_span_id` | trace id, 32 lowercase hex |
//! | `span_parents` | `[parent span id]` when the span has a parent (local or remote); absent on a root span |
//! | `created` | span start, RFC 3339 UTC with microseconds |
//! | `span_attributes` | `{"name": span name, "type": T}`: T = `llm` when [`GEN_AI_OPERATION_NAME`](semconv::GEN_AI_OPERATION_NAME) is `chat`, `text_completion` or `embeddings`; `tool` for `execute_tool`; `task` otherwise (the application's own spans) |
//! | `input` | recorded request messages in chat format `{"role","content"?,"tool_calls"?,"tool_call_id"?}`: from [`GEN_AI_INPUT_MESSAGES`](semconv::GEN_AI_INPUT_MESSAGES) (structured `parts`) when present, else from the message events ([`message_event_name`](semconv::message_event_name)) and their [`GEN_AI_EVENT_CONTENT`](semconv::GEN_AI_EVENT_CONTENT); absent when content was not recorded |
//! | `output` | `[{"index","finish_reason","message":{"role":"assistant","content"?,"tool_calls"?}}]` from the [`EVENT_CHOICE`](semconv::EVENT_CHOICE) events, with content from [`GEN_AI_OUTPUT_MESSAGES`](semconv::GEN_AI_OUTPUT_MESSAGES) when present; content-free when content was not recorded |
//! | `metadata.model` | [`GEN_AI_RESPONSE_MODEL`](semconv::GEN_AI_RESPONSE_MODEL), else [`GEN_AI_REQUEST_MODEL`](semconv::GEN_AI_REQUEST_MODEL) (the request model also stays under its own key when it differs) |
//! | `metadata.provider` | `azure` when the provider attribute ([`GEN_AI_SYSTEM`](semconv::GEN_AI_SYSTEM) or [`GEN_AI_PROVIDER_NAME`](semconv::GEN_AI_PROVIDER_NAME)) names Azure AI Inference, else its value |
//! | `metadata.{wire name}` | request parameters and response fields, per [`METADATA_KEYS`] |
//! | `metadata.tools` | [`GEN_AI_TOOL_DEFINITIONS`](semconv::GEN_AI_TOOL_DEFINITIONS), parsed |
//! | `metadata.{attribute key}` | every other span attribute under its own key; arrays stay arrays, numbers stay numbers |
//! | `metrics.start`, `metrics.end` | span start and end, unix seconds (fractional) |
//! | `metrics.prompt_tokens` | [`GEN_AI_USAGE_INPUT_TOKENS`](semconv::GEN_AI_USAGE_INPUT_TOKENS) |
//! | `metrics.completion_tokens` | [`GEN_AI_USAGE_OUTPUT_TOKENS`](semconv::GEN_AI_USAGE_OUTPUT_TOKENS) |
//! | `metrics.tokens` | prompt + completion tokens; prompt tokens alone for embeddings |
//! | `metrics.time_to_first_token` | [`GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK`](semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK) (seconds, streaming) |
//! | `error` | when the status is Error: `"{error.type}: {description}"` (either part alone when the other is missing) |
//! | `context.span_origin` | `{"name": this crate, "version": its version, "instrumentation": {"name": the span's instrumentation scope}}` |
//!
//! Attributes that became `model`, a wire-name key, `tools`, a metric,
//! `input` or `output` are not repeated under their own keys.
//!
//! # Both convention vocabularies give the same row
//!
//! Content recorded as events (today's names) and as structured
//! `parts` attributes (the newer names) are normalized to one shape:
//! a `null` `content` is omitted, tool-call `arguments` are compact JSON text,
//! one text part (or a content array of one text item) becomes a string
//! `content`, several parts (or non-text parts) a content array in chat format
//! (`{"type":"text","text"}` for text, `{"type":"image_url","image_url":{"url"}}`
//! for an image `uri` part, `{"type":"input_audio","input_audio":{"data"}}` for
//! an audio `blob` part, others as they came), a `tool_call_response` part
//! becomes `tool_call_id` + `content`. Rows from the
//! two vocabularies then differ only in the metadata keys that are themselves
//! the vocabulary: [`Vocabulary::system_key`](semconv::Vocabulary::system_key)
//! and [`Vocabulary::namespace_key`](semconv::Vocabulary::namespace_key).
//!
//! # Cost
//!
//! One pass over the attributes; event JSON is parsed only for GenAI spans
//! (those with an operation name), and the application's own spans never
//! touch their events.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, Status};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::telemetry::semconv;

mod messages;

use messages::{build_input, build_output};

/// Span attributes stored in `metadata` under Braintrust's (OpenAI wire) names.
pub const METADATA_KEYS: &[(&str, &str)] = &[
    (semconv::GEN_AI_REQUEST_TEMPERATURE, "temperature"),
    (semconv::GEN_AI_REQUEST_TOP_P, "top_p"),
    (semconv::GEN_AI_REQUEST_MAX_TOKENS, "max_tokens"),
    (
        semconv::GEN_AI_REQUEST_FREQUENCY_PENALTY,
        "frequency_penalty",
    ),
    (semconv::GEN_AI_REQUEST_PRESENCE_PENALTY, "presence_penalty"),
    (semconv::GEN_AI_REQUEST_SEED, "seed"),
    (semconv::GEN_AI_REQUEST_STOP_SEQUENCES, "stop"),
    (semconv::GEN_AI_RESPONSE_ID, "response_id"),
    (semconv::GEN_AI_RESPONSE_FINISH_REASONS, "finish_reasons"),
];

/// Operation names whose spans are Braintrust `llm` spans.
pub const LLM_OPERATIONS: &[&str] = &[
    semconv::OPERATION_CHAT,
    "text_completion",
    semconv::OPERATION_EMBEDDINGS,
];

/// Operation name of a tool execution span (a Braintrust `tool` span).
pub const TOOL_OPERATION: &str = "execute_tool";

/// `metadata.provider` of spans from Azure AI Inference, whichever vocabulary.
pub const PROVIDER_AZURE: &str = "azure";

/// One Braintrust log row (`InsertProjectLogsEvent`), built by [`span_to_row`].
///
/// Serializes to the JSON Braintrust's insert API takes; optional fields that
/// are `None` (or an empty `span_parents`) are not sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct BraintrustRow {
    /// `"{trace id}-{span id}"`, stable across retries.
    pub id: String,
    /// The span id, 16 lowercase hex digits.
    pub span_id: String,
    /// The trace id, 32 lowercase hex digits.
    pub root_span_id: String,
    /// The parent span id, when the span has one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub span_parents: Vec<String>,
    /// Span start, RFC 3339 UTC.
    pub created: String,
    /// Display name and type.
    pub span_attributes: RowSpanAttributes,
    /// Request messages in chat format, when content was recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Json>,
    /// Choices, when the span has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Json>,
    /// Model, provider, parameters and every other attribute.
    pub metadata: Map<String, Json>,
    /// Timing and token counts.
    pub metrics: RowMetrics,
    /// `"{error.type}: {description}"` when the span status is Error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where the row comes from.
    pub context: RowContext,
}

/// `span_attributes` of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowSpanAttributes {
    /// The span name.
    pub name: String,
    /// The Braintrust span type.
    #[serde(rename = "type")]
    pub span_type: SpanType,
}

/// The Braintrust span types this mapping produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanType {
    /// A model call (chat, text completion, embeddings).
    Llm,
    /// A tool execution.
    Tool,
    /// Anything else, typically the application's own spans.
    Task,
}

impl SpanType {
    /// The type of a span with this [`GEN_AI_OPERATION_NAME`](semconv::GEN_AI_OPERATION_NAME) value.
    pub fn from_operation(operation: Option<&str>) -> Self {
        match operation {
            Some(op) if LLM_OPERATIONS.contains(&op) => SpanType::Llm,
            Some(TOOL_OPERATION) => SpanType::Tool,
            _ => SpanType::Task,
        }
    }
}

/// `metrics` of a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowMetrics {
    /// Span start, unix seconds.
    pub start: f64,
    /// Span end, unix seconds.
    pub end: f64,
    /// Input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<i64>,
    /// Output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<i64>,
    /// Prompt + completion tokens (prompt tokens alone for embeddings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<i64>,
    /// Streaming: seconds from request start to the first chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_first_token: Option<f64>,
}

/// `context` of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowContext {
    /// The software that produced the row.
    pub span_origin: SpanOrigin,
}

/// `context.span_origin` of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpanOrigin {
    /// This crate's name.
    pub name: &'static str,
    /// This crate's version.
    pub version: &'static str,
    /// The instrumentation that produced the span.
    pub instrumentation: Instrumentation,
}

/// `context.span_origin.instrumentation` of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instrumentation {
    /// The span's instrumentation scope name.
    pub name: String,
}

/// Maps one finished span to one Braintrust row (see the [module docs](self)).
pub fn span_to_row(span: &SpanData) -> BraintrustRow {
    let trace_id = span.span_context.trace_id().to_string();
    let span_id = span.span_context.span_id().to_string();
    let mut row_id = String::with_capacity(trace_id.len() + 1 + span_id.len());
    row_id.push_str(&trace_id);
    row_id.push('-');
    row_id.push_str(&span_id);

    let mut attrs = Attributes::default();
    let mut metadata = Map::new();
    for kv in &span.attributes {
        attrs.take(kv, &mut metadata);
    }

    let span_type = SpanType::from_operation(attrs.operation);
    let genai = attrs.operation.is_some();
    let (input, output) = if genai {
        (
            build_input(span, attrs.input_messages),
            build_output(span, attrs.output_messages),
        )
    } else {
        (None, None)
    };

    // Named keys go in last, so they win over a same-named raw attribute.
    let model = attrs.response_model.or(attrs.request_model);
    if let (Some(request), Some(model)) = (attrs.request_model, model)
        && request != model
    {
        metadata.insert(semconv::GEN_AI_REQUEST_MODEL.to_owned(), request.into());
    }
    if let Some(model) = model {
        metadata.insert("model".to_owned(), model.into());
    }
    if let Some(provider) = attrs.provider {
        let provider = match provider {
            semconv::SYSTEM_VALUE | semconv::PROVIDER_NAME_VALUE => PROVIDER_AZURE,
            other => other,
        };
        metadata.insert("provider".to_owned(), provider.into());
    }
    if let Some(tools) = attrs.tools {
        metadata.insert("tools".to_owned(), parse_or_text(tools));
    }

    let tokens = if attrs.operation == Some(semconv::OPERATION_EMBEDDINGS) {
        attrs.prompt_tokens
    } else {
        match (attrs.prompt_tokens, attrs.completion_tokens) {
            (Some(p), Some(c)) => Some(p.saturating_add(c)),
            (p, c) => p.or(c),
        }
    };

    let error = match &span.status {
        Status::Error { description } => Some(error_text(attrs.error_type, description)),
        _ => None,
    };

    BraintrustRow {
        id: row_id,
        span_id,
        root_span_id: trace_id,
        span_parents: if span.parent_span_id == SpanId::INVALID {
            Vec::new()
        } else {
            vec![span.parent_span_id.to_string()]
        },
        created: rfc3339(span.start_time),
        span_attributes: RowSpanAttributes {
            name: span.name.to_string(),
            span_type,
        },
        input,
        output,
        metadata,
        metrics: RowMetrics {
            start: unix_seconds(span.start_time),
            end: unix_seconds(span.end_time),
            prompt_tokens: attrs.prompt_tokens,
            completion_tokens: attrs.completion_tokens,
            tokens,
            time_to_first_token: attrs.time_to_first_token,
        },
        error,
        context: RowContext {
            span_origin: SpanOrigin {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
                instrumentation: Instrumentation {
                    name: span.instrumentation_scope.name().to_owned(),
                },
            },
        },
    }
}

/// The Braintrust span attributes carrying `row` (each a JSON string):
/// [`BRAINTRUST_SPAN_ATTRIBUTES`](semconv::BRAINTRUST_SPAN_ATTRIBUTES),
/// [`BRAINTRUST_INPUT_JSON`](semconv::BRAINTRUST_INPUT_JSON) and
/// [`BRAINTRUST_OUTPUT_JSON`](semconv::BRAINTRUST_OUTPUT_JSON) (only when the
/// row has an input / output), [`BRAINTRUST_METADATA`](semconv::BRAINTRUST_METADATA)
/// and [`BRAINTRUST_METRICS`](semconv::BRAINTRUST_METRICS).
pub fn braintrust_attributes(row: &BraintrustRow) -> Vec<KeyValue> {
    fn push<T: Serialize + ?Sized>(out: &mut Vec<KeyValue>, key: &'static str, value: &T) {
        // These values are plain JSON trees: serialization cannot fail, and if
        // it ever did, leaving one attribute out beats failing the export.
        if let Ok(text) = serde_json::to_string(value) {
            out.push(KeyValue::new(key, text));
        }
    }
    let mut out = Vec::with_capacity(5);
    push(
        &mut out,
        semconv::BRAINTRUST_SPAN_ATTRIBUTES,
        &row.span_attributes,
    );
    if let Some(input) = &row.input {
        push(&mut out, semconv::BRAINTRUST_INPUT_JSON, input);
    }
    if let Some(output) = &row.output {
        push(&mut out, semconv::BRAINTRUST_OUTPUT_JSON, output);
    }
    push(&mut out, semconv::BRAINTRUST_METADATA, &row.metadata);
    push(&mut out, semconv::BRAINTRUST_METRICS, &row.metrics);
    out
}

/// What one pass over the span attributes picked out; everything else went
/// straight into `metadata`.
#[derive(Default)]
struct Attributes<'a> {
    operation: Option<&'a str>,
    provider: Option<&'a str>,
    request_model: Option<&'a str>,
    response_model: Option<&'a str>,
    error_type: Option<&'a str>,
    tools: Option<&'a str>,
    input_messages: Option<&'a str>,
    output_messages: Option<&'a str>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    time_to_first_token: Option<f64>,
}

impl<'a> Attributes<'a> {
    fn take(&mut self, kv: &'a KeyValue, metadata: &mut Map<String, Json>) {
        let key = kv.key.as_str();
        let text = as_str(&kv.value);
        // Each arm either consumes the attribute (returns) or falls through
        // to "keep it under its own key".
        match key {
            semconv::GEN_AI_OPERATION_NAME => self.operation = text,
            semconv::GEN_AI_SYSTEM | semconv::GEN_AI_PROVIDER_NAME => self.provider = text,
            semconv::ERROR_TYPE => self.error_type = text,
            semconv::GEN_AI_REQUEST_MODEL if text.is_some() => {
                self.request_model = text;
                return;
            }
            semconv::GEN_AI_RESPONSE_MODEL if text.is_some() => {
                self.response_model = text;
                return;
            }
            semconv::GEN_AI_TOOL_DEFINITIONS if text.is_some() => {
                self.tools = text;
                return;
            }
            semconv::GEN_AI_INPUT_MESSAGES if text.is_some() => {
                self.input_messages = text;
                return;
            }
            semconv::GEN_AI_OUTPUT_MESSAGES if text.is_some() => {
                self.output_messages = text;
                return;
            }
            semconv::GEN_AI_USAGE_INPUT_TOKENS => {
                if let Some(n) = as_count(&kv.value) {
                    self.prompt_tokens = Some(n);
                    return;
                }
            }
            semconv::GEN_AI_USAGE_OUTPUT_TOKENS => {
                if let Some(n) = as_count(&kv.value) {
                    self.completion_tokens = Some(n);
                    return;
                }
            }
            semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK => {
                if let Some(s) = as_seconds(&kv.value) {
                    self.time_to_first_token = Some(s);
                    return;
                }
            }
            _ => {
                if let Some((_, wire)) = METADATA_KEYS.iter().find(|(k, _)| *k == key) {
                    metadata.insert((*wire).to_owned(), value_to_json(&kv.value));
                    return;
                }
            }
        }
        metadata.insert(key.to_owned(), value_to_json(&kv.value));
    }
}

fn as_str(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// A token count: an int, or a whole, non-negative double.
fn as_count(value: &Value) -> Option<i64> {
    match value {
        Value::I64(n) => Some(*n),
        Value::F64(f) if f.fract() == 0.0 && *f >= 0.0 && *f <= i64::MAX as f64 => Some(*f as i64),
        _ => None,
    }
}

fn as_seconds(value: &Value) -> Option<f64> {
    match value {
        Value::F64(f) if f.is_finite() => Some(*f),
        Value::I64(n) => Some(*n as f64),
        _ => None,
    }
}

/// An attribute value as JSON: numbers stay numbers, arrays stay arrays.
/// Non-finite doubles (which JSON cannot carry) become `null`.
pub fn value_to_json(value: &Value) -> Json {
    fn float(f: f64) -> Json {
        serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
    }
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::I64(n) => Json::from(*n),
        Value::F64(f) => float(*f),
        Value::String(s) => Json::from(s.as_str()),
        Value::Array(Array::Bool(v)) => v.iter().map(|b| Json::Bool(*b)).collect(),
        Value::Array(Array::I64(v)) => v.iter().map(|n| Json::from(*n)).collect(),
        Value::Array(Array::F64(v)) => v.iter().map(|f| float(*f)).collect(),
        Value::Array(Array::String(v)) => v.iter().map(|s| Json::from(s.as_str())).collect(),
        // Future value kinds: keep their text rather than lose them.
        other => Json::String(other.to_string()),
    }
}

fn parse_or_text(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_owned()))
}

fn error_text(error_type: Option<&str>, description: &str) -> String {
    match (error_type, description.is_empty()) {
        (Some(t), false) => format!("{t}: {description}"),
        (Some(t), true) => t.to_owned(),
        (None, false) => description.to_owned(),
        (None, true) => "error".to_owned(),
    }
}

/// Seconds since the unix epoch (0 for times before it).
fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// RFC 3339 with microseconds. `humantime` panics before the epoch and fails
/// from year 10000, so clamp first: the exporter must never panic.
fn rfc3339(t: SystemTime) -> String {
    const LATEST: Duration = Duration::from_secs(253_402_300_799); // 9999-12-31T23:59:59Z
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default().min(LATEST);
    humantime::format_rfc3339_micros(UNIX_EPOCH + since).to_string()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use opentelemetry::InstrumentationScope;
    use opentelemetry::trace::{Event, SpanContext, SpanKind, TraceFlags, TraceId, TraceState};
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use serde_json::json;

    pub(crate) fn span(attributes: Vec<KeyValue>, events: Vec<Event>) -> SpanData {
        let mut span_events = SpanEvents::default();
        span_events.events = events;
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(0x0af7651916cd43dd8448eb211c80319cu128),
                SpanId::from(0xb7ad6b7169203331u64),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: SpanId::from(0x00f067aa0ba902b7u64),
            parent_span_is_remote: false,
            span_kind: SpanKind::Client,
            name: "chat gpt-4o".into(),
            start_time: UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
            end_time: UNIX_EPOCH + Duration::from_millis(1_700_000_001_750),
            attributes,
            dropped_attributes_count: 0,
            events: span_events,
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("scope-under-test").build(),
        }
    }

    pub(crate) fn event(name: &'static str, content: &str) -> Event {
        Event::new(
            name,
            UNIX_EPOCH,
            vec![KeyValue::new(
                semconv::GEN_AI_EVENT_CONTENT,
                content.to_owned(),
            )],
            0,
        )
    }

    #[test]
    fn ids_times_and_origin() {
        let row = span_to_row(&span(vec![], vec![]));
        assert_eq!(row.root_span_id, "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(row.span_id, "b7ad6b7169203331");
        assert_eq!(row.id, "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331");
        assert_eq!(row.span_parents, ["00f067aa0ba902b7"]);
        assert_eq!(row.created, "2023-11-14T22:13:20.250000Z");
        assert_eq!(row.metrics.start, 1_700_000_000.25);
        assert_eq!(row.metrics.end, 1_700_000_001.75);
        assert_eq!(row.span_attributes.span_type, SpanType::Task);
        assert_eq!(
            row.context.span_origin.instrumentation.name,
            "scope-under-test"
        );
        assert_eq!(row.context.span_origin.name, env!("CARGO_PKG_NAME"));
    }

    #[test]
    fn root_spans_have_no_parents_field() {
        let mut s = span(vec![], vec![]);
        s.parent_span_id = SpanId::INVALID;
        let value = serde_json::to_value(span_to_row(&s)).expect("serializes");
        assert!(value.get("span_parents").is_none(), "{value}");
    }

    #[test]
    fn times_outside_humantime_range_do_not_panic() {
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00.000000Z"
        );
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert!(rfc3339(far).starts_with("9999-12-31T23:59:59"));
    }

    #[test]
    fn attributes_become_metadata_with_wire_names_and_json_types() {
        let row = span_to_row(&span(
            vec![
                KeyValue::new(semconv::GEN_AI_OPERATION_NAME, semconv::OPERATION_CHAT),
                KeyValue::new(semconv::GEN_AI_SYSTEM, semconv::SYSTEM_VALUE),
                KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "gpt-4o"),
                KeyValue::new(semconv::GEN_AI_RESPONSE_MODEL, "gpt-4o-2024-08-06"),
                KeyValue::new(semconv::GEN_AI_REQUEST_TEMPERATURE, 0.5),
                KeyValue::new(semconv::GEN_AI_REQUEST_MAX_TOKENS, 64i64),
                KeyValue::new(
                    semconv::GEN_AI_REQUEST_STOP_SEQUENCES,
                    Value::Array(Array::String(vec!["END".into(), "STOP".into()])),
                ),
                KeyValue::new(semconv::SERVER_PORT, 8443i64),
                KeyValue::new("custom.flag", true),
                KeyValue::new("custom.ratio", f64::NAN),
            ],
            vec![],
        ));
        let m = &row.metadata;
        assert_eq!(m["model"], "gpt-4o-2024-08-06");
        assert_eq!(m[semconv::GEN_AI_REQUEST_MODEL], "gpt-4o");
        assert_eq!(m["provider"], PROVIDER_AZURE);
        assert_eq!(m["temperature"], json!(0.5));
        assert_eq!(m["max_tokens"], json!(64));
        assert_eq!(m["stop"], json!(["END", "STOP"]));
        assert_eq!(m[semconv::SERVER_PORT], json!(8443));
        assert_eq!(m["custom.flag"], json!(true));
        assert_eq!(m["custom.ratio"], Json::Null);
        assert_eq!(m[semconv::GEN_AI_SYSTEM], semconv::SYSTEM_VALUE);
        assert!(!m.contains_key(semconv::GEN_AI_REQUEST_TEMPERATURE));
        assert!(!m.contains_key(semconv::GEN_AI_RESPONSE_MODEL));
        assert_eq!(row.span_attributes.span_type, SpanType::Llm);
    }

    #[test]
    fn the_request_model_is_not_repeated_when_it_is_the_model() {
        let row = span_to_row(&span(
            vec![KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "m")],
            vec![],
        ));
        assert_eq!(row.metadata["model"], "m");
        assert!(!row.metadata.contains_key(semconv::GEN_AI_REQUEST_MODEL));
    }

    #[test]
    fn token_metrics_and_non_integer_counts() {
        let row = span_to_row(&span(
            vec![
                KeyValue::new(semconv::GEN_AI_OPERATION_NAME, semconv::OPERATION_CHAT),
                KeyValue::new(semconv::GEN_AI_USAGE_INPUT_TOKENS, 12i64),
                KeyValue::new(semconv::GEN_AI_USAGE_OUTPUT_TOKENS, 30.0),
                KeyValue::new(semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, 0.25),
            ],
            vec![],
        ));
        assert_eq!(row.metrics.prompt_tokens, Some(12));
        assert_eq!(row.metrics.completion_tokens, Some(30));
        assert_eq!(row.metrics.tokens, Some(42));
        assert_eq!(row.metrics.time_to_first_token, Some(0.25));

        // A count that is not a count stays visible under its own key.
        let row = span_to_row(&span(
            vec![KeyValue::new(semconv::GEN_AI_USAGE_INPUT_TOKENS, "many")],
            vec![],
        ));
        assert_eq!(row.metrics.prompt_tokens, None);
        assert_eq!(row.metadata[semconv::GEN_AI_USAGE_INPUT_TOKENS], "many");
    }

    #[test]
    fn error_text_combines_type_and_description() {
        let mut s = span(vec![KeyValue::new(semconv::ERROR_TYPE, "429")], vec![]);
        s.status = Status::error("HTTP 429");
        assert_eq!(span_to_row(&s).error.as_deref(), Some("429: HTTP 429"));
        s.attributes.clear();
        assert_eq!(span_to_row(&s).error.as_deref(), Some("HTTP 429"));
        s.status = Status::error("");
        assert_eq!(span_to_row(&s).error.as_deref(), Some("error"));
        s.status = Status::Ok;
        assert_eq!(span_to_row(&s).error, None);
    }

    #[test]
    fn events_of_non_genai_spans_are_ignored() {
        let row = span_to_row(&span(
            vec![],
            vec![event(
                semconv::EVENT_USER_MESSAGE,
                r#"{"role":"user","content":"hi"}"#,
            )],
        ));
        assert_eq!((row.input, row.output), (None, None));
    }

    #[test]
    fn braintrust_attributes_are_the_row_as_json_strings() {
        let row = span_to_row(&span(
            vec![KeyValue::new(
                semconv::GEN_AI_OPERATION_NAME,
                semconv::OPERATION_CHAT,
            )],
            vec![event(
                semconv::EVENT_CHOICE,
                r#"{"finish_reason":"stop","index":0}"#,
            )],
        ));
        let attrs = braintrust_attributes(&row);
        let get = |key: &str| {
            attrs
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| serde_json::from_str::<Json>(&kv.value.as_str()).expect("JSON"))
        };
        assert_eq!(
            get(semconv::BRAINTRUST_SPAN_ATTRIBUTES),
            Some(json!({"name":"chat gpt-4o","type":"llm"}))
        );
        assert_eq!(get(semconv::BRAINTRUST_OUTPUT_JSON), row.output);
        assert_eq!(get(semconv::BRAINTRUST_INPUT_JSON), None);
        assert_eq!(
            get(semconv::BRAINTRUST_METADATA),
            Some(Json::Object(row.metadata.clone()))
        );
        assert_eq!(
            get(semconv::BRAINTRUST_METRICS),
            Some(serde_json::to_value(&row.metrics).expect("metrics"))
        );
    }
}
