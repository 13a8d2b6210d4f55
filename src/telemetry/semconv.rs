//! Every convention name the crate emits, in one place.
//!
//! This module is the Rust mirror of `semconv/registry.toml`; its unit test
//! fails when the two disagree, and `tests/semconv_registry.rs` when code
//! outside this module spells a `gen_ai.*`, `az.*` or `braintrust.*` name by hand.
//!
//! Names that are stable upstream (`error.type`, `server.address`,
//! `server.port`, `exception.*`) are re-exported from
//! `opentelemetry-semantic-conventions`; its GenAI constants are deprecated
//! there, so those are defined here.
//!
//! The two vocabularies (today's `az.ai.inference` names and the newer
//! `gen_ai_latest_experimental` ones) differ in a handful of names; they are
//! the two rows of [`Vocabulary`], chosen once per client by [`SemconvMode`].

pub use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, EXCEPTION_MESSAGE, EXCEPTION_TYPE, HTTP_REQUEST_RESEND_COUNT,
    HTTP_RESPONSE_STATUS_CODE, SERVER_ADDRESS, SERVER_PORT,
};

/// Declares string constants and a list of them all, so the list used by the
/// registry test can never miss a constant.
macro_rules! names {
    ($list:ident: $( $(#[$doc:meta])* $name:ident = $value:literal; )*) => {
        $( $(#[$doc])* pub const $name: &str = $value; )*
        /// Every name declared in this group, in declaration order.
        pub const $list: &[&str] = &[$($value),*];
    };
}

names! { GEN_AI_ATTRIBUTES:
    /// The GenAI provider (today's name); value [`SYSTEM_VALUE`].
    GEN_AI_SYSTEM = "gen_ai.system";
    /// The GenAI provider (newer name); value [`PROVIDER_NAME_VALUE`].
    GEN_AI_PROVIDER_NAME = "gen_ai.provider.name";
    /// Azure resource provider namespace (today's name).
    AZ_NAMESPACE = "az.namespace";
    /// Azure resource provider namespace (newer name).
    AZURE_RESOURCE_PROVIDER_NAMESPACE = "azure.resource_provider.namespace";
    /// The service's request id (today's name).
    AZ_SERVICE_REQUEST_ID = "az.service_request_id";
    /// The service's request id (newer name).
    AZURE_SERVICE_REQUEST_ID = "azure.service.request.id";
    /// `chat` or `embeddings`.
    GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
    /// The model asked for.
    GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
    /// `max_tokens`.
    GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens";
    /// `temperature`.
    GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature";
    /// `top_p`.
    GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p";
    /// `frequency_penalty`.
    GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty";
    /// `presence_penalty`.
    GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty";
    /// `seed`.
    GEN_AI_REQUEST_SEED = "gen_ai.request.seed";
    /// `stop`.
    GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences";
    /// Embeddings `encoding_format`.
    GEN_AI_REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats";
    /// `text` or `json`.
    GEN_AI_OUTPUT_TYPE = "gen_ai.output.type";
    /// Newer names only: `true` on streamed calls (absent otherwise).
    GEN_AI_REQUEST_STREAM = "gen_ai.request.stream";
    /// Newer names only: `n`, when the request asks for other than one choice.
    GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count";
    /// The completion's `id`.
    GEN_AI_RESPONSE_ID = "gen_ai.response.id";
    /// The model that answered.
    GEN_AI_RESPONSE_MODEL = "gen_ai.response.model";
    /// One finish reason per choice.
    GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons";
    /// `usage.prompt_tokens`.
    GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens";
    /// `usage.completion_tokens`.
    GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
    /// `usage.prompt_tokens_details.cached_tokens`, when reported.
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens";
    /// `usage.completion_tokens_details.reasoning_tokens`, when reported.
    GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens";
    /// Streaming: seconds from request start to the first chunk.
    GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk";
    /// Content recording only: the request's `tools` as JSON.
    GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions";
    /// Content recording only, newer conventions: request messages with `parts`.
    GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages";
    /// Content recording only, newer conventions: choices with `parts`.
    GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages";
    /// On message and choice events: the body as compact JSON.
    GEN_AI_EVENT_CONTENT = "gen_ai.event.content";
    /// On token-usage metric points: `input` or `output`.
    GEN_AI_TOKEN_TYPE = "gen_ai.token.type";
    /// Content recording only: how many request messages were not recorded
    /// as events, to leave room under the per-span event limit.
    AZ_AI_INFERENCE_MESSAGE_EVENTS_OMITTED = "az.ai.inference.message_events.omitted";
    /// Streams only, when the answer had more choices than the accumulator
    /// keeps: how many choice deltas were dropped.
    AZ_AI_INFERENCE_RESPONSE_DROPPED_CHOICE_DELTAS = "az.ai.inference.response.dropped_choice_deltas";
    /// Streams only, when a choice had more tool calls than the accumulator
    /// keeps: how many tool-call deltas were dropped.
    AZ_AI_INFERENCE_RESPONSE_DROPPED_TOOL_CALL_DELTAS = "az.ai.inference.response.dropped_tool_call_deltas";
    /// `tool_choice` as sent: a preset (`auto`, `none`, `required`) as it
    /// is, the named-function form as compact JSON with content recording
    /// on, its `{"type"}` alone otherwise (a tool's name is content). The
    /// conventions have no name for it.
    AZ_AI_INFERENCE_REQUEST_TOOL_CHOICE = "az.ai.inference.request.tool_choice";
    /// `parallel_tool_calls` as sent. The conventions have no name for it.
    AZ_AI_INFERENCE_REQUEST_PARALLEL_TOOL_CALLS = "az.ai.inference.request.parallel_tool_calls";
    /// `response_format` as sent, compact JSON: the whole object with
    /// content recording on, `{"type"}` alone otherwise (a JSON schema's
    /// names and descriptions are content). [`GEN_AI_OUTPUT_TYPE`] is the
    /// conventions' coarser `text` / `json`.
    AZ_AI_INFERENCE_REQUEST_RESPONSE_FORMAT = "az.ai.inference.request.response_format";
    /// `max_completion_tokens` as sent (v1 API, reasoning models). The
    /// conventions' [`GEN_AI_REQUEST_MAX_TOKENS`] is `max_tokens`'.
    AZ_AI_INFERENCE_REQUEST_MAX_COMPLETION_TOKENS = "az.ai.inference.request.max_completion_tokens";
    /// `reasoning_effort` as sent. The conventions have no name for it.
    AZ_AI_INFERENCE_REQUEST_REASONING_EFFORT = "az.ai.inference.request.reasoning_effort";
    /// Embeddings `dimensions` as sent: the vector size asked for.
    /// [`GEN_AI_EMBEDDINGS_DIMENSION_COUNT`] is also set from the answer.
    AZ_AI_INFERENCE_REQUEST_DIMENSIONS = "az.ai.inference.request.dimensions";
    /// Embeddings: how many embeddings the answer holds.
    AZ_AI_INFERENCE_EMBEDDINGS_COUNT = "az.ai.inference.embeddings.count";
    /// Embeddings, content recording only: the request's text inputs, as
    /// a compact JSON array of strings in request order.
    AZ_AI_INFERENCE_EMBEDDINGS_INPUTS = "az.ai.inference.embeddings.inputs";
    /// Embeddings: the vector size, from the request's `dimensions` or,
    /// when it set none, the answer's first vector.
    GEN_AI_EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count";
    /// The OpenAI API a call used (`chat_completions`, `responses`), on
    /// calls to v1 and Azure OpenAI deployment endpoints.
    OPENAI_API_TYPE = "openai.api.type";
    /// Responses `reasoning.summary` as sent.
    AZ_AI_INFERENCE_REQUEST_REASONING_SUMMARY = "az.ai.inference.request.reasoning_summary";
    /// Responses `previous_response_id`.
    AZ_AI_INFERENCE_REQUEST_PREVIOUS_RESPONSE_ID = "az.ai.inference.request.previous_response_id";
    /// Responses `store`.
    AZ_AI_INFERENCE_REQUEST_STORE = "az.ai.inference.request.store";
    /// Responses `truncation`.
    AZ_AI_INFERENCE_REQUEST_TRUNCATION = "az.ai.inference.request.truncation";
    /// Responses: the answer's `output` items as JSON, as returned with
    /// content recording on; without it only their content-free fields
    /// (`type`, `id`, `status`, `role`, `call_id`, and the `type` of each
    /// content and summary part). What the Braintrust row's `output` is.
    AZ_AI_INFERENCE_RESPONSE_OUTPUT = "az.ai.inference.response.output";
    /// Content recording only, newer conventions: the Responses
    /// `instructions` as system instruction parts.
    GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions";
    /// Braintrust-bound OTLP copies only, when the span was over the request
    /// limit: the content attributes whose texts were cut.
    AZ_AI_INFERENCE_TRUNCATED = "az.ai.inference.truncated";
}

names! { BRAINTRUST_ATTRIBUTES:
    /// The destination parent: on Braintrust-bound OTLP copies, and on the
    /// crate's spans started under a `braintrust.parent` baggage entry.
    BRAINTRUST_PARENT = "braintrust.parent";
    /// Braintrust-bound OTLP copies: the row's `span_attributes`.
    BRAINTRUST_SPAN_ATTRIBUTES = "braintrust.span_attributes";
    /// Braintrust-bound OTLP copies: the row's `input`.
    BRAINTRUST_INPUT_JSON = "braintrust.input_json";
    /// Braintrust-bound OTLP copies: the row's `output`.
    BRAINTRUST_OUTPUT_JSON = "braintrust.output_json";
    /// Braintrust-bound OTLP copies: the row's `metadata`.
    BRAINTRUST_METADATA = "braintrust.metadata";
    /// Braintrust-bound OTLP copies: the row's `metrics`.
    BRAINTRUST_METRICS = "braintrust.metrics";
    /// The Braintrust organization name (a routing attribute; not set by this crate).
    BRAINTRUST_ORG = "braintrust.org";
    /// The Braintrust app URL (a routing attribute; not set by this crate).
    BRAINTRUST_APP_URL = "braintrust.app_url";
}

/// Attribute-key prefixes that mark a span as AI instrumentation for
/// Braintrust's AI-span filter (its `filter-ai-spans` feature).
pub const AI_ATTRIBUTE_PREFIXES: &[&str] = &["gen_ai.", "braintrust.", "llm.", "ai.", "traceloop."];

/// Stable names this crate takes from `opentelemetry-semantic-conventions`.
pub const STABLE_ATTRIBUTES: &[&str] = &[
    ERROR_TYPE,
    SERVER_ADDRESS,
    SERVER_PORT,
    EXCEPTION_TYPE,
    EXCEPTION_MESSAGE,
    HTTP_REQUEST_RESEND_COUNT,
    HTTP_RESPONSE_STATUS_CODE,
];

names! { EVENTS:
    /// A system message (content recording only).
    EVENT_SYSTEM_MESSAGE = "gen_ai.system.message";
    /// A developer message (content recording only).
    EVENT_DEVELOPER_MESSAGE = "gen_ai.developer.message";
    /// A user message (content recording only).
    EVENT_USER_MESSAGE = "gen_ai.user.message";
    /// An assistant message (content recording only).
    EVENT_ASSISTANT_MESSAGE = "gen_ai.assistant.message";
    /// A tool message (content recording only).
    EVENT_TOOL_MESSAGE = "gen_ai.tool.message";
    /// One per choice.
    EVENT_CHOICE = "gen_ai.choice";
    /// The failure of an operation.
    EVENT_EXCEPTION = "exception";
    /// A failed attempt that was retried.
    EVENT_RETRY = "az.ai.inference.retry";
}

/// Prefix and suffix of a message event for a role not listed above
/// (`gen_ai.{role}.message`).
pub const EVENT_MESSAGE_PREFIX: &str = "gen_ai.";
/// See [`EVENT_MESSAGE_PREFIX`].
pub const EVENT_MESSAGE_SUFFIX: &str = ".message";

names! { METRICS:
    /// Histogram, seconds: each operation, success or failure.
    METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration";
    /// Histogram, tokens: one point per token type.
    METRIC_TOKEN_USAGE = "gen_ai.client.token.usage";
    /// Histogram, seconds: streaming only, request start to first chunk.
    METRIC_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk";
    /// Histogram, seconds: streaming only, time between consecutive chunks.
    METRIC_TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk";
}

/// Bucket boundaries for the duration and chunk-time histograms (seconds).
pub const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/// Bucket boundaries for the token-usage histogram.
pub const TOKEN_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

names! { ERROR_TYPES:
    /// A connect, request or read deadline passed.
    ERROR_TIMEOUT = "timeout";
    /// No response: DNS, connect, TLS or I/O failure.
    ERROR_CONNECTION = "connection";
    /// A body or SSE event that is not the expected JSON.
    ERROR_INVALID_RESPONSE = "invalid_response";
    /// The stream ended before `[DONE]` and before every choice finished.
    ERROR_STREAM_TRUNCATED = "stream_truncated";
    /// The caller dropped the future or stream before it completed.
    ERROR_CANCELLED = "cancelled";
    /// Anything else.
    ERROR_OTHER = "_OTHER";
}

names! { VALUES:
    /// `gen_ai.operation.name` for chat completions.
    OPERATION_CHAT = "chat";
    /// `gen_ai.operation.name` for text and image embeddings.
    OPERATION_EMBEDDINGS = "embeddings";
    /// `gen_ai.system` under today's names.
    SYSTEM_VALUE = "az.ai.inference";
    /// `gen_ai.provider.name` under the newer names.
    PROVIDER_NAME_VALUE = "azure.ai.inference";
    /// Azure OpenAI as `gen_ai.system` (today's names; conventions 1.34).
    SYSTEM_VALUE_AZURE_OPENAI = "az.ai.openai";
    /// Azure OpenAI as `gen_ai.provider.name` (the newer names; v1.41).
    PROVIDER_NAME_VALUE_AZURE_OPENAI = "azure.ai.openai";
    /// The Azure resource provider namespace.
    NAMESPACE_VALUE = "Microsoft.CognitiveServices";
    /// `gen_ai.output.type` for plain text.
    OUTPUT_TYPE_TEXT = "text";
    /// `gen_ai.output.type` for JSON object / JSON schema output.
    OUTPUT_TYPE_JSON = "json";
    /// `gen_ai.token.type` for prompt tokens.
    TOKEN_TYPE_INPUT = "input";
    /// `gen_ai.token.type` for completion tokens.
    TOKEN_TYPE_OUTPUT = "output";
    /// Finish reason of a choice the service never finished.
    FINISH_REASON_ERROR = "error";
    /// `openai.api.type` of chat completions calls.
    OPENAI_API_TYPE_CHAT_COMPLETIONS = "chat_completions";
    /// `openai.api.type` of Responses API calls.
    OPENAI_API_TYPE_RESPONSES = "responses";
}

/// Schema URL of the conventions version today's names come from.
pub const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.34.0";
/// Schema URL of the newer names: semantic-conventions v1.41.0, the last
/// release with the Azure AI Inference page.
pub const SCHEMA_URL_LATEST: &str = "https://opentelemetry.io/schemas/1.41.0";

/// The environment variable that turns content recording on (`true`, any case).
pub const CONTENT_RECORDING_ENV: &str = "AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED";
/// The standard switch for newer convention names.
pub const SEMCONV_OPT_IN_ENV: &str = "OTEL_SEMCONV_STABILITY_OPT_IN";
/// The value of `SEMCONV_OPT_IN_ENV` (one of a comma-separated list) that
/// selects the newer GenAI names.
pub const SEMCONV_OPT_IN_GEN_AI_LATEST: &str = "gen_ai_latest_experimental";

/// How recorded content travels in a vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentForm {
    /// One `gen_ai.{role}.message` event per request message and one
    /// `gen_ai.choice` event per choice (today's names).
    Events,
    /// `gen_ai.input.messages` / `gen_ai.output.messages` (and, for the
    /// Responses API, `gen_ai.system_instructions`) span attributes with
    /// structured `parts` (newer names), finish reasons in
    /// `gen_ai.response.finish_reasons` only: no event that v1.41 deprecates
    /// (`gen_ai.choice`, `gen_ai.{role}.message`, `gen_ai.event.content`).
    Attributes,
}

/// The names that differ between the two convention versions: one row each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vocabulary {
    /// Key of the provider attribute.
    pub system_key: &'static str,
    /// Value of the provider attribute.
    pub system_value: &'static str,
    /// Key of the resource-provider namespace attribute.
    pub namespace_key: &'static str,
    /// Value of the resource-provider namespace attribute.
    pub namespace_value: &'static str,
    /// How recorded content travels.
    pub content: ContentForm,
    /// Key of the service's request id attribute.
    pub request_id_key: &'static str,
    /// The schema URL of the instrumentation scope (tracer and meter).
    pub schema_url: &'static str,
    /// The mode this row belongs to: request parameters pick their key by it
    /// (see [`ParamSpec::key_in`](crate::telemetry::ParamSpec::key_in)).
    pub mode: SemconvMode,
}

/// Today's `az.ai.inference` names (the default).
pub const VOCABULARY_DEFAULT: Vocabulary = Vocabulary {
    system_key: GEN_AI_SYSTEM,
    system_value: SYSTEM_VALUE,
    namespace_key: AZ_NAMESPACE,
    namespace_value: NAMESPACE_VALUE,
    content: ContentForm::Events,
    request_id_key: AZ_SERVICE_REQUEST_ID,
    schema_url: SCHEMA_URL,
    mode: SemconvMode::Default,
};

/// The newer names (`OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`).
pub const VOCABULARY_LATEST: Vocabulary = Vocabulary {
    system_key: GEN_AI_PROVIDER_NAME,
    system_value: PROVIDER_NAME_VALUE,
    namespace_key: AZURE_RESOURCE_PROVIDER_NAMESPACE,
    namespace_value: NAMESPACE_VALUE,
    content: ContentForm::Attributes,
    request_id_key: AZURE_SERVICE_REQUEST_ID,
    schema_url: SCHEMA_URL_LATEST,
    mode: SemconvMode::LatestExperimental,
};

/// Provider values that name one provider in both vocabularies, as
/// (today's `gen_ai.system` value, the newer `gen_ai.provider.name` value):
/// conventions 1.34 spelled Azure's providers `az.ai.*`, v1.41 `azure.ai.*`.
/// A provider value set on [`TelemetryOptions`](crate::telemetry::TelemetryOptions)
/// is translated along these pairs; any other value is the same in both.
pub const PROVIDER_VALUE_PAIRS: &[(&str, &str)] = &[
    (SYSTEM_VALUE, PROVIDER_NAME_VALUE),
    (SYSTEM_VALUE_AZURE_OPENAI, PROVIDER_NAME_VALUE_AZURE_OPENAI),
];

impl Vocabulary {
    /// `value`, a provider given in either vocabulary, as this vocabulary
    /// spells it: the member of its [`PROVIDER_VALUE_PAIRS`] pair (a
    /// `'static` constant); `None` when `value` is in no pair (it is then
    /// the same in both vocabularies).
    pub fn provider_value(&self, value: &str) -> Option<&'static str> {
        PROVIDER_VALUE_PAIRS
            .iter()
            .find(|(default, latest)| value == *default || value == *latest)
            .map(|(default, latest)| match self.mode {
                SemconvMode::Default => *default,
                SemconvMode::LatestExperimental => *latest,
            })
    }
}

/// Which convention version a client emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SemconvMode {
    /// Today's `az.ai.inference` names, which dashboards use.
    #[default]
    Default,
    /// The newer upstream names (`gen_ai.provider.name`, structured messages).
    LatestExperimental,
}

impl SemconvMode {
    /// The row of names for this mode: the single place the switch happens.
    pub const fn vocabulary(self) -> &'static Vocabulary {
        match self {
            SemconvMode::Default => &VOCABULARY_DEFAULT,
            SemconvMode::LatestExperimental => &VOCABULARY_LATEST,
        }
    }

    /// Reads `OTEL_SEMCONV_STABILITY_OPT_IN`: a comma-separated list that selects the
    /// newer names when it contains `SEMCONV_OPT_IN_GEN_AI_LATEST`.
    pub fn from_env() -> Self {
        Self::from_opt_in(std::env::var(SEMCONV_OPT_IN_ENV).ok().as_deref())
    }

    /// Parses a value of `SEMCONV_OPT_IN_ENV`.
    pub fn from_opt_in(value: Option<&str>) -> Self {
        let latest = value.is_some_and(|v| {
            v.split(',').any(|item| {
                item.trim()
                    .eq_ignore_ascii_case(SEMCONV_OPT_IN_GEN_AI_LATEST)
            })
        });
        if latest {
            SemconvMode::LatestExperimental
        } else {
            SemconvMode::Default
        }
    }
}

/// The event name for a request message of `role`: a constant for the known
/// roles, so the common path never allocates.
pub fn message_event_name(role: &str) -> std::borrow::Cow<'static, str> {
    match role {
        "system" => EVENT_SYSTEM_MESSAGE.into(),
        "developer" => EVENT_DEVELOPER_MESSAGE.into(),
        "user" => EVENT_USER_MESSAGE.into(),
        "assistant" => EVENT_ASSISTANT_MESSAGE.into(),
        "tool" => EVENT_TOOL_MESSAGE.into(),
        other => format!("{EVENT_MESSAGE_PREFIX}{other}{EVENT_MESSAGE_SUFFIX}").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opt_in_parses_lists_and_case() {
        assert_eq!(SemconvMode::from_opt_in(None), SemconvMode::Default);
        assert_eq!(SemconvMode::from_opt_in(Some("http")), SemconvMode::Default);
        assert_eq!(
            SemconvMode::from_opt_in(Some("http, GEN_AI_LATEST_EXPERIMENTAL")),
            SemconvMode::LatestExperimental
        );
    }

    /// `semconv/registry.toml` (the documented names) and this module agree.
    #[test]
    fn registry_matches_the_constants() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/semconv/registry.toml");
        let text = std::fs::read_to_string(path).expect("semconv/registry.toml is readable");
        let r: toml::Value = toml::from_str(&text).expect("valid TOML");
        let names = |table: &str, key: &str| -> std::collections::BTreeSet<String> {
            let entries = r[table].as_array().expect("entries");
            entries.iter().map(|e| e[key].as_str().expect(key).to_owned()).collect()
        };
        let set = |lists: &[&[&str]]| lists.iter().flat_map(|l| l.iter()).map(|s| s.to_string()).collect();
        let attributes = set(&[GEN_AI_ATTRIBUTES, BRAINTRUST_ATTRIBUTES, STABLE_ATTRIBUTES]);
        assert_eq!(names("attribute", "name"), attributes);
        assert_eq!(names("event", "name"), set(&[EVENTS]));
        let mut errors: std::collections::BTreeSet<String> = set(&[ERROR_TYPES]);
        errors.extend(["{status}".to_owned(), "{service_code}".to_owned()]);
        assert_eq!(names("error_type", "value"), errors);
        assert_eq!(names("metric", "name"), set(&[METRICS]));
        for m in r["metric"].as_array().unwrap() {
            let name = m["name"].as_str().unwrap();
            let buckets: Vec<f64> = (m["buckets"].as_array().unwrap().iter())
                .map(|b| b.as_float().or_else(|| b.as_integer().map(|i| i as f64)).unwrap())
                .collect();
            let (unit, expected) = match name {
                METRIC_TOKEN_USAGE => ("{token}", TOKEN_BUCKETS),
                _ => ("s", DURATION_BUCKETS),
            };
            assert_eq!((m["unit"].as_str(), &buckets[..]), (Some(unit), expected), "{name}");
        }
        for (key, v) in [("default", VOCABULARY_DEFAULT), ("latest", VOCABULARY_LATEST)] {
            let row = &r["vocabulary"][key];
            let content = match v.content {
                ContentForm::Events => "events",
                ContentForm::Attributes => "attributes",
            };
            for (field, value) in [
                ("system_key", v.system_key),
                ("system_value", v.system_value),
                ("namespace_key", v.namespace_key),
                ("namespace_value", v.namespace_value),
                ("content", content),
                ("request_id_key", v.request_id_key),
                ("schema_url", v.schema_url),
            ] {
                assert_eq!(row[field].as_str(), Some(value), "{key}.{field}");
            }
        }
        assert_eq!(r["schema_url"].as_str(), Some(SCHEMA_URL));
    }

    #[test]
    fn provider_values_follow_the_vocabulary() {
        for value in ["az.ai.inference", "azure.ai.inference"] {
            assert_eq!(
                VOCABULARY_DEFAULT.provider_value(value),
                Some(SYSTEM_VALUE)
            );
            assert_eq!(
                VOCABULARY_LATEST.provider_value(value),
                Some(PROVIDER_NAME_VALUE)
            );
        }
        assert_eq!(
            VOCABULARY_DEFAULT.provider_value("azure.ai.openai"),
            Some("az.ai.openai")
        );
        assert_eq!(
            VOCABULARY_LATEST.provider_value("az.ai.openai"),
            Some("azure.ai.openai")
        );
        assert_eq!(VOCABULARY_DEFAULT.provider_value("openai"), None);
        assert_eq!(VOCABULARY_LATEST.provider_value("openai"), None);
    }

    #[test]
    fn message_events_for_known_and_other_roles() {
        assert_eq!(message_event_name("user"), "gen_ai.user.message");
        assert_eq!(message_event_name("critic"), "gen_ai.critic.message");
    }
}
