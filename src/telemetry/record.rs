//! What the telemetry core needs to know about a request and its response,
//! as plain borrowed views: any HTTP client can fill them in.

use std::borrow::Cow;

use super::params::{ParamValue, RequestParam, RequestParams, TokenCount};
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

/// What a span records about a request: the model and the parameters of
/// `REQUEST_PARAMS`, each only when set.
///
/// Numbers keep their JSON type: integers become int attributes, floats
/// double attributes (per the row's [`AttributeType`](super::AttributeType)).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestAttributes<'a> {
    /// The request's model, else the client's default; `None` when neither is known.
    pub model: Option<&'a str>,
    /// The request parameters that were set.
    pub params: RequestParams<'a>,
    /// `openai.api.type` (`chat_completions`, `responses`): set on calls to
    /// v1 and Azure OpenAI deployment endpoints.
    pub openai_api_type: Option<&'static str>,
}

impl<'a> RequestAttributes<'a> {
    /// Attributes with only the model set.
    pub fn with_model(model: Option<&'a str>) -> Self {
        RequestAttributes {
            model,
            ..Default::default()
        }
    }

    /// Sets `openai.api.type`.
    pub fn with_openai_api_type(mut self, api_type: Option<&'static str>) -> Self {
        self.openai_api_type = api_type;
        self
    }

    /// Sets one parameter.
    pub fn with(mut self, param: RequestParam, value: impl Into<ParamValue<'a>>) -> Self {
        self.params = self.params.with(param, value);
        self
    }
}

/// Token counts the service reported; each `None` when the service did not
/// report it (never invented: a missing detail is not recorded as 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageRecord {
    /// `usage.prompt_tokens`.
    pub input_tokens: Option<u64>,
    /// `usage.completion_tokens` (chat only).
    pub output_tokens: Option<u64>,
    /// `usage.prompt_tokens_details.cached_tokens`: prompt tokens read from
    /// the provider's cache (part of `input_tokens`).
    pub cache_read_input_tokens: Option<u64>,
    /// `usage.completion_tokens_details.reasoning_tokens`: tokens spent on
    /// reasoning (part of `output_tokens`).
    pub reasoning_output_tokens: Option<u64>,
}

impl UsageRecord {
    /// Input and output counts only.
    pub const fn new(input_tokens: Option<u64>, output_tokens: Option<u64>) -> Self {
        UsageRecord {
            input_tokens,
            output_tokens,
            cache_read_input_tokens: None,
            reasoning_output_tokens: None,
        }
    }
}

impl UsageRecord {
    /// One count of `TOKEN_COUNTS`, when reported.
    pub fn get(&self, count: TokenCount) -> Option<u64> {
        match count {
            TokenCount::Input => self.input_tokens,
            TokenCount::Output => self.output_tokens,
            TokenCount::CacheReadInput => self.cache_read_input_tokens,
            TokenCount::ReasoningOutput => self.reasoning_output_tokens,
        }
    }
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
    /// `reasoning_content`, the reasoning text of reasoning models (content:
    /// recorded only when recording is on).
    pub reasoning: Option<&'a str>,
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

/// How a failed operation is recorded: a small, content-free view that any
/// client's error type can provide (this crate's [`Error`](crate::Error)
/// implements it). [`OperationSpan::fail`](super::OperationSpan::fail) takes
/// `&dyn ErrorClass`, so `span.fail(&error)` works for any implementor.
pub trait ErrorClass {
    /// `error.type`: a low-cardinality value (an HTTP status such as `429`,
    /// `timeout`, `connection`, ..., the registry's `error.type` values).
    fn error_type(&self) -> Cow<'static, str>;

    /// `exception.type` of the exception event; `error.type` unless overridden.
    fn exception_type(&self) -> Cow<'static, str> {
        self.error_type()
    }

    /// The span status description and `exception.message`. Must not contain
    /// message content (prompts, completions, what the service echoed).
    fn description(&self) -> Cow<'static, str>;

    /// The HTTP status, when the failure is an HTTP answer. Not a span
    /// attribute itself (`error.type` carries it); there for per-attempt
    /// records and for callers that classify failures.
    fn http_status(&self) -> Option<u16> {
        None
    }
}
