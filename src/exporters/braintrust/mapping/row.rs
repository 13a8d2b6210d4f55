//! The Braintrust log row (`InsertProjectLogsEvent`) and its parts, as they
//! serialize for Braintrust's insert API.

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::telemetry::semconv;

/// Operation names whose spans are Braintrust `llm` spans.
pub(crate) const LLM_OPERATIONS: &[&str] = &[
    semconv::OPERATION_CHAT,
    "text_completion",
    semconv::OPERATION_EMBEDDINGS,
];

/// Operation name of a tool execution span (a Braintrust `tool` span).
pub(crate) const TOOL_OPERATION: &str = "execute_tool";

/// `metadata.provider` of spans from Azure AI Inference, whichever vocabulary.
pub(crate) const PROVIDER_AZURE: &str = "azure";

/// One Braintrust log row (`InsertProjectLogsEvent`), built by `span_to_row`.
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
    /// The project or experiment the span asked for (its
    /// `BRAINTRUST_PARENT` attribute, from
    /// baggage); `None`: the exporter's. Not part of the row's JSON.
    #[serde(skip)]
    pub route: Option<crate::exporters::braintrust::Parent>,
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

/// `metrics` of a row. Its field names are the guide's metric names; the
/// token counts are filled from the core's table through one `match`
/// (`mapping/names.rs`).
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
    /// Prompt tokens read from the provider's cache (a part of `prompt_tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_cached_tokens: Option<i64>,
    /// Output tokens spent on reasoning (a part of `completion_tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_reasoning_tokens: Option<i64>,
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
    pub instrumentation: InstrumentationInfo,
}

/// `context.span_origin.instrumentation` of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstrumentationInfo {
    /// The span's instrumentation scope name.
    pub name: String,
}
