//! What the telemetry core needs to know about a request and its response,
//! as plain borrowed views: any HTTP client can fill them in.

use super::semconv;

/// The kind of operation, which fixes `gen_ai.operation.name` and the span name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Chat completions (streaming or not).
    Chat,
    /// Text or image embeddings.
    Embeddings,
}

impl Operation {
    /// The `gen_ai.operation.name` value.
    pub const fn name(self) -> &'static str {
        match self {
            Operation::Chat => semconv::OPERATION_CHAT,
            Operation::Embeddings => semconv::OPERATION_EMBEDDINGS,
        }
    }
}

/// Request parameters recorded as span attributes, each only when set.
///
/// Numbers keep their JSON type: integers become int attributes, floats
/// double attributes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestAttributes<'a> {
    /// The request's model, else the client's default; `None` when neither is known.
    pub model: Option<&'a str>,
    /// `max_tokens`.
    pub max_tokens: Option<i64>,
    /// `temperature`.
    pub temperature: Option<f64>,
    /// `top_p`.
    pub top_p: Option<f64>,
    /// `frequency_penalty`.
    pub frequency_penalty: Option<f64>,
    /// `presence_penalty`.
    pub presence_penalty: Option<f64>,
    /// `seed`.
    pub seed: Option<i64>,
    /// `stop`.
    pub stop_sequences: Option<&'a [String]>,
    /// Embeddings `encoding_format`.
    pub encoding_format: Option<&'a str>,
    /// `response_format.type` as sent (`text`, `json_object`, `json_schema`).
    pub response_format: Option<&'a str>,
}

impl<'a> RequestAttributes<'a> {
    /// Attributes with only the model set.
    pub fn with_model(model: Option<&'a str>) -> Self {
        RequestAttributes {
            model,
            ..Default::default()
        }
    }

    /// `gen_ai.output.type` for the response format: `text` stays `text`,
    /// `json_object` and `json_schema` become `json`.
    pub(crate) fn output_type(&self) -> Option<&'static str> {
        match self.response_format? {
            "text" => Some(semconv::OUTPUT_TYPE_TEXT),
            "json_object" | "json_schema" => Some(semconv::OUTPUT_TYPE_JSON),
            _ => None,
        }
    }
}

/// Token counts the service reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageRecord {
    /// `usage.prompt_tokens`.
    pub input_tokens: Option<u64>,
    /// `usage.completion_tokens` (chat only).
    pub output_tokens: Option<u64>,
}

/// One tool call of a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolCallRecord<'a> {
    /// The call's `id`.
    pub id: &'a str,
    /// The call's `type` (`function`).
    pub kind: &'a str,
    /// The function name (content: recorded only when recording is on).
    pub name: &'a str,
    /// The arguments as sent (content: recorded only when recording is on).
    pub arguments: &'a str,
}

/// One choice of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceRecord<'a> {
    /// The choice's `index`.
    pub index: u32,
    /// Its finish reason; `None` when the service never finished it.
    pub finish_reason: Option<&'a str>,
    /// The text (content: recorded only when recording is on).
    pub content: Option<&'a str>,
    /// The tool calls.
    pub tool_calls: Vec<ToolCallRecord<'a>>,
}

/// What a response said, for the span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseRecord<'a> {
    /// The response `id`.
    pub id: Option<&'a str>,
    /// The model that answered.
    pub model: Option<&'a str>,
    /// Token usage.
    pub usage: Option<UsageRecord>,
    /// The choices, in any order (they are sorted by index when recorded).
    pub choices: Vec<ChoiceRecord<'a>>,
}
