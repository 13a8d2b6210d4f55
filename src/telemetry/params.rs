//! The one table of request parameters: wire name, span attribute key per
//! vocabulary and attribute type.
//!
//! Span attributes (`OperationSpan` start) and the
//! Braintrust row's `metadata` are both read from `REQUEST_PARAMS` (the
//! Braintrust exporter names each [`RequestParam`] in one `match` of its own);
//! a client fills `RequestParams` (a fixed array indexed by
//! [`RequestParam`], no allocation). Adding a parameter is one
//! [`RequestParam`] variant, one row, and the arm the compiler then asks for
//! in each client's exhaustive fill.

use std::fmt;

use opentelemetry::{Array, StringValue, Value};

use super::semconv::{self as sc, SemconvMode, Vocabulary};

// The token-count table is its own room; named here too, where the
// request-side table's users look for it.
pub use super::token_counts::{TOKEN_COUNTS, TokenCount, TokenCountSpec};

/// A request parameter the telemetry records. The discriminant is the
/// parameter's row in `REQUEST_PARAMS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestParam {
    /// `max_tokens`.
    MaxTokens,
    /// `temperature`.
    Temperature,
    /// `top_p`.
    TopP,
    /// `frequency_penalty`.
    FrequencyPenalty,
    /// `presence_penalty`.
    PresencePenalty,
    /// `seed`.
    Seed,
    /// `stop`.
    Stop,
    /// Embeddings `encoding_format`.
    EncodingFormat,
    /// `response_format.type` as sent (`text`, `json_object`, `json_schema`),
    /// for the conventions' `gen_ai.output.type`.
    ResponseFormat,
    /// `stream`: newer names only, recorded when `true`.
    Stream,
    /// `n` (an extra parameter of this API): newer names only, recorded
    /// when not 1.
    ChoiceCount,
    /// `tool_choice`: a preset string (`auto`, `none`, `required`) as
    /// [`ParamValue::Text`], a named choice through [`named_tool_choice`]
    /// (the whole object only with content recording on).
    ToolChoice,
    /// `parallel_tool_calls` (an extra parameter of this API).
    ParallelToolCalls,
    /// `response_format` as sent, as [`ParamValue::Json`]; clients pass only
    /// its `type` (as the JSON text `{"type":..}`) when content recording is
    /// off, since a JSON schema's names and descriptions are content.
    ResponseFormatJson,
    /// `max_completion_tokens` (v1 API, reasoning models).
    MaxCompletionTokens,
    /// `reasoning_effort` (reasoning models).
    ReasoningEffort,
    /// Embeddings `dimensions`.
    Dimensions,
    /// Responses `reasoning.summary`.
    ReasoningSummary,
    /// Responses `previous_response_id`: an id, not content.
    PreviousResponseId,
    /// Responses `store`.
    Store,
    /// Responses `truncation`.
    Truncation,
}

impl RequestParam {
    /// Every parameter, in table order.
    pub const ALL: [RequestParam; 21] = [
        RequestParam::MaxTokens,
        RequestParam::Temperature,
        RequestParam::TopP,
        RequestParam::FrequencyPenalty,
        RequestParam::PresencePenalty,
        RequestParam::Seed,
        RequestParam::Stop,
        RequestParam::EncodingFormat,
        RequestParam::ResponseFormat,
        RequestParam::Stream,
        RequestParam::ChoiceCount,
        RequestParam::ToolChoice,
        RequestParam::ParallelToolCalls,
        RequestParam::ResponseFormatJson,
        RequestParam::MaxCompletionTokens,
        RequestParam::ReasoningEffort,
        RequestParam::Dimensions,
        RequestParam::ReasoningSummary,
        RequestParam::PreviousResponseId,
        RequestParam::Store,
        RequestParam::Truncation,
    ];

    /// This parameter's row (`None` only for a variant left out of the
    /// table, which the compile-time check below and the tests rule out).
    pub fn spec(self) -> Option<&'static ParamSpec> {
        REQUEST_PARAMS.get(self as usize)
    }
}

/// How a parameter's value becomes a span attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeType {
    /// An int attribute (from an int value).
    Int,
    /// A double attribute (from a double or an int value).
    Double,
    /// A string-array attribute (from one string or a list).
    StringArray,
    /// `gen_ai.output.type`: `text` stays `text`, `json_object` and
    /// `json_schema` become `json`, anything else is not recorded.
    OutputType,
    /// A boolean attribute recorded only when `true` (`gen_ai.request.stream`:
    /// "if and only if the request is streaming").
    TrueFlag,
    /// `gen_ai.request.choice.count`: an int recorded only when not 1
    /// (one choice is the default).
    ChoiceCount,
    /// A boolean attribute, `true` or `false` as set.
    Bool,
    /// A string attribute (from one string).
    Text,
    /// A string attribute holding a JSON value: a [`ParamValue::Json`] as
    /// compact JSON text, a [`ParamValue::Text`] as it is (a preset such as
    /// `tool_choice` `auto`). Braintrust metadata gets the value back as
    /// JSON (a text starting with `{` or `[` is parsed, see
    /// [`ParamSpec::metadata_value`]).
    Json,
}

/// One row of `REQUEST_PARAMS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    /// The parameter.
    pub param: RequestParam,
    /// Its name in the request body.
    pub wire_name: &'static str,
    /// Its span attribute under today's names; `None`: not recorded there.
    pub key: Option<&'static str>,
    /// Its span attribute under `gen_ai_latest_experimental`; `None`: not recorded there.
    pub latest_key: Option<&'static str>,
    /// How the value becomes the attribute.
    pub attribute_type: AttributeType,
}

const fn row(
    param: RequestParam,
    wire_name: &'static str,
    key: &'static str,
    attribute_type: AttributeType,
) -> ParamSpec {
    ParamSpec {
        param,
        wire_name,
        key: Some(key),
        latest_key: Some(key),
        attribute_type,
    }
}

/// A row recorded only under the newer names.
const fn latest_row(
    param: RequestParam,
    wire_name: &'static str,
    latest_key: &'static str,
    attribute_type: AttributeType,
) -> ParamSpec {
    ParamSpec {
        param,
        wire_name,
        key: None,
        latest_key: Some(latest_key),
        attribute_type,
    }
}

/// The request parameters, one row each, in [`RequestParam`] order.
pub const REQUEST_PARAMS: &[ParamSpec] = {
    use AttributeType::*;
    use RequestParam as P;
    &[
        row(
            P::MaxTokens,
            "max_tokens",
            sc::GEN_AI_REQUEST_MAX_TOKENS,
            Int,
        ),
        row(
            P::Temperature,
            "temperature",
            sc::GEN_AI_REQUEST_TEMPERATURE,
            Double,
        ),
        row(P::TopP, "top_p", sc::GEN_AI_REQUEST_TOP_P, Double),
        row(
            P::FrequencyPenalty,
            "frequency_penalty",
            sc::GEN_AI_REQUEST_FREQUENCY_PENALTY,
            Double,
        ),
        row(
            P::PresencePenalty,
            "presence_penalty",
            sc::GEN_AI_REQUEST_PRESENCE_PENALTY,
            Double,
        ),
        row(P::Seed, "seed", sc::GEN_AI_REQUEST_SEED, Int),
        row(
            P::Stop,
            "stop",
            sc::GEN_AI_REQUEST_STOP_SEQUENCES,
            StringArray,
        ),
        row(
            P::EncodingFormat,
            "encoding_format",
            sc::GEN_AI_REQUEST_ENCODING_FORMATS,
            StringArray,
        ),
        row(
            P::ResponseFormat,
            "response_format.type",
            sc::GEN_AI_OUTPUT_TYPE,
            OutputType,
        ),
        latest_row(P::Stream, "stream", sc::GEN_AI_REQUEST_STREAM, TrueFlag),
        latest_row(
            P::ChoiceCount,
            "n",
            sc::GEN_AI_REQUEST_CHOICE_COUNT,
            ChoiceCount,
        ),
        // The conventions (v1.41.0) have no names for these three: the
        // crate's own namespace, the same in both vocabularies.
        row(
            P::ToolChoice,
            "tool_choice",
            sc::AZ_AI_INFERENCE_REQUEST_TOOL_CHOICE,
            Json,
        ),
        row(
            P::ParallelToolCalls,
            "parallel_tool_calls",
            sc::AZ_AI_INFERENCE_REQUEST_PARALLEL_TOOL_CALLS,
            Bool,
        ),
        row(
            P::ResponseFormatJson,
            "response_format",
            sc::AZ_AI_INFERENCE_REQUEST_RESPONSE_FORMAT,
            Json,
        ),
        // The v1 API's reasoning-model parameters: the conventions have no
        // names for them; Braintrust metadata takes them by this crate's
        // allow-list (the Braintrust exporter's `mapping/names.rs`).
        row(
            P::MaxCompletionTokens,
            "max_completion_tokens",
            sc::AZ_AI_INFERENCE_REQUEST_MAX_COMPLETION_TOKENS,
            Int,
        ),
        row(
            P::ReasoningEffort,
            "reasoning_effort",
            sc::AZ_AI_INFERENCE_REQUEST_REASONING_EFFORT,
            Text,
        ),
        // Braintrust takes it as the embeddings row's
        // `input.output_dimensions`, not as metadata.
        row(
            P::Dimensions,
            "dimensions",
            sc::AZ_AI_INFERENCE_REQUEST_DIMENSIONS,
            Int,
        ),
        // The Responses API's own settings: no convention names either,
        // and not in Braintrust's metadata allow-list.
        row(
            P::ReasoningSummary,
            "reasoning.summary",
            sc::AZ_AI_INFERENCE_REQUEST_REASONING_SUMMARY,
            Text,
        ),
        row(
            P::PreviousResponseId,
            "previous_response_id",
            sc::AZ_AI_INFERENCE_REQUEST_PREVIOUS_RESPONSE_ID,
            Text,
        ),
        row(P::Store, "store", sc::AZ_AI_INFERENCE_REQUEST_STORE, Bool),
        row(
            P::Truncation,
            "truncation",
            sc::AZ_AI_INFERENCE_REQUEST_TRUNCATION,
            Text,
        ),
    ]
};

// The table, `ALL` and the discriminants agree, or the crate does not build.
const _: () = {
    assert!(REQUEST_PARAMS.len() == RequestParam::ALL.len());
    let mut i = 0;
    while i < REQUEST_PARAMS.len() {
        assert!(REQUEST_PARAMS[i].param as usize == i);
        assert!(RequestParam::ALL[i] as usize == i);
        i += 1;
    }
};

impl ParamSpec {
    /// The attribute key in `vocabulary`.
    pub(crate) fn key_in(&self, vocabulary: &Vocabulary) -> Option<&'static str> {
        match vocabulary.mode {
            SemconvMode::Default => self.key,
            SemconvMode::LatestExperimental => self.latest_key,
        }
    }

    /// The row whose attribute key (in either vocabulary) is `key`.
    pub fn for_attribute(key: &str) -> Option<&'static ParamSpec> {
        REQUEST_PARAMS
            .iter()
            .find(|p| p.key == Some(key) || p.latest_key == Some(key))
    }

    /// The attribute value for `value`, or `None` when the value does not
    /// fit the row's type (it is then not recorded).
    pub fn attribute_value(&self, value: ParamValue<'_>) -> Option<Value> {
        use AttributeType as T;
        use ParamValue as V;
        Some(match (self.attribute_type, value) {
            (T::Int, V::Int(n)) => Value::I64(n),
            (T::Double, V::Double(f)) => Value::F64(f),
            (T::Double, V::Int(n)) => Value::F64(n as f64),
            (T::StringArray, V::Text(s)) => {
                Value::Array(Array::String(vec![StringValue::from(s.to_owned())]))
            }
            (T::StringArray, V::Texts(list)) => Value::Array(Array::String(
                list.iter().map(|s| StringValue::from(s.clone())).collect(),
            )),
            (T::OutputType, V::Text(format)) => Value::from(match format {
                "text" => sc::OUTPUT_TYPE_TEXT,
                "json_object" | "json_schema" => sc::OUTPUT_TYPE_JSON,
                _ => return None,
            }),
            (T::TrueFlag, V::Bool(true)) => Value::Bool(true),
            (T::ChoiceCount, V::Int(n)) if n != 1 => Value::I64(n),
            (T::Bool, V::Bool(b)) => Value::Bool(b),
            (T::Text, V::Text(text)) => Value::from(text.to_owned()),
            (T::Json, V::Text(text)) => Value::from(text.to_owned()),
            (T::Json, V::Json(value)) => Value::from(value.to_json()?),
            _ => return None,
        })
    }

    /// The Braintrust `metadata` value of this row's attribute: JSON text
    /// parsed back for [`AttributeType::Json`] rows (so an object such as
    /// `{"type":"json_schema",...}` is sent as an object, a preset string as
    /// a string), `None` for the other rows (the caller converts the
    /// attribute value as it is).
    pub fn metadata_value(&self, value: &Value) -> Option<serde_json::Value> {
        match (self.attribute_type, value) {
            (AttributeType::Json, Value::String(text)) => {
                let text = text.as_str();
                Some(if text.starts_with(['{', '[']) {
                    serde_json::from_str(text)
                        .unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
                } else {
                    serde_json::Value::String(text.to_owned())
                })
            }
            _ => None,
        }
    }
}

/// A request value recorded as JSON text ([`ParamValue::Json`]): serialized
/// only when a span records it. Any `Serialize` type is one.
pub trait JsonParam: fmt::Debug + Sync {
    /// The value as compact JSON; `None` when it cannot be serialized.
    fn to_json(&self) -> Option<String>;
}

impl<T: serde::Serialize + fmt::Debug + Sync + ?Sized> JsonParam for T {
    fn to_json(&self) -> Option<String> {
        serde_json::to_string(self).ok()
    }
}

/// A named (object) `tool_choice` as a span records it, on every surface
/// (chat, Responses, other clients' requests): the whole object (`named`)
/// when content recording is on; otherwise only its `type`, as the JSON
/// text `{"type":".."}`, because the tool's name is content
/// (TELEMETRY.md §4). Only the tool-choice types the APIs define are
/// echoed; any other `type` is recorded as `{"type":"_OTHER"}`, so a
/// caller's own text never reaches the span that way either.
///
/// Presets (`"auto"`, `"none"`, `"required"`) are not content: record
/// them as [`ParamValue::Text`].
///
/// ```
/// use azure_ai_inference_otel::telemetry::{ParamValue, named_tool_choice};
///
/// let named = serde_json::json!({"type": "function", "function": {"name": "secret_tool"}});
/// let off = named_tool_choice("function", &named, false);
/// assert_eq!(off, ParamValue::Text(r#"{"type":"function"}"#));
/// let on = named_tool_choice("function", &named, true);
/// assert_eq!(on, ParamValue::Json(&named));
/// ```
pub fn named_tool_choice<'a>(
    kind: &str,
    named: &'a dyn JsonParam,
    record_content: bool,
) -> ParamValue<'a> {
    if record_content {
        return ParamValue::Json(named);
    }
    /// The `type` values of the chat, Responses and Assistants APIs.
    const TYPES: &[(&str, &str)] = &[
        ("function", r#"{"type":"function"}"#),
        ("allowed_tools", r#"{"type":"allowed_tools"}"#),
        ("custom", r#"{"type":"custom"}"#),
        ("mcp", r#"{"type":"mcp"}"#),
        ("file_search", r#"{"type":"file_search"}"#),
        ("web_search_preview", r#"{"type":"web_search_preview"}"#),
        ("computer_use_preview", r#"{"type":"computer_use_preview"}"#),
        ("code_interpreter", r#"{"type":"code_interpreter"}"#),
        ("image_generation", r#"{"type":"image_generation"}"#),
    ];
    let text = TYPES
        .iter()
        .find(|(name, _)| *name == kind)
        .map_or(r#"{"type":"_OTHER"}"#, |(_, json)| json);
    ParamValue::Text(text)
}

/// A parameter's value as the request carries it, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum ParamValue<'a> {
    /// An integer.
    Int(i64),
    /// A number.
    Double(f64),
    /// One string.
    Text(&'a str),
    /// A list of strings.
    Texts(&'a [String]),
    /// A boolean.
    Bool(bool),
    /// A structured value (an object of the request), serialized only
    /// when recorded.
    Json(&'a dyn JsonParam),
}

impl PartialEq for ParamValue<'_> {
    /// Structured values compare by their JSON.
    fn eq(&self, other: &Self) -> bool {
        use ParamValue as V;
        match (self, other) {
            (V::Int(a), V::Int(b)) => a == b,
            (V::Double(a), V::Double(b)) => a == b,
            (V::Text(a), V::Text(b)) => a == b,
            (V::Texts(a), V::Texts(b)) => a == b,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Json(a), V::Json(b)) => a.to_json() == b.to_json(),
            _ => false,
        }
    }
}

impl From<bool> for ParamValue<'_> {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}

impl From<i64> for ParamValue<'_> {
    fn from(v: i64) -> Self {
        ParamValue::Int(v)
    }
}
impl From<u32> for ParamValue<'_> {
    fn from(v: u32) -> Self {
        ParamValue::Int(i64::from(v))
    }
}
impl From<f64> for ParamValue<'_> {
    fn from(v: f64) -> Self {
        ParamValue::Double(v)
    }
}
impl<'a> From<&'a str> for ParamValue<'a> {
    fn from(v: &'a str) -> Self {
        ParamValue::Text(v)
    }
}
impl<'a> From<&'a [String]> for ParamValue<'a> {
    fn from(v: &'a [String]) -> Self {
        ParamValue::Texts(v)
    }
}

/// The parameters a request set, one slot per [`RequestParam`]: a fixed
/// array on the stack, so filling it never allocates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RequestParams<'a> {
    values: [Option<ParamValue<'a>>; RequestParam::ALL.len()],
}

impl<'a> RequestParams<'a> {
    /// Fills every slot from `value_of`: clients pass an exhaustive `match`
    /// over [`RequestParam`], so a new row cannot be forgotten.
    pub fn from_fn(mut value_of: impl FnMut(RequestParam) -> Option<ParamValue<'a>>) -> Self {
        let mut params = RequestParams::default();
        for (slot, param) in params.values.iter_mut().zip(RequestParam::ALL) {
            *slot = value_of(param);
        }
        params
    }

    /// Sets one parameter.
    pub fn with(mut self, param: RequestParam, value: impl Into<ParamValue<'a>>) -> Self {
        if let Some(slot) = self.values.get_mut(param as usize) {
            *slot = Some(value.into());
        }
        self
    }

    /// One parameter's value, when set.
    pub fn get(&self, param: RequestParam) -> Option<ParamValue<'a>> {
        self.values.get(param as usize).copied().flatten()
    }

    /// The set parameters with their rows, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static ParamSpec, ParamValue<'a>)> + '_ {
        REQUEST_PARAMS
            .iter()
            .zip(self.values.iter())
            .filter_map(|(spec, value)| Some((spec, (*value)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_enum_order_and_unique() {
        assert_eq!(REQUEST_PARAMS.len(), RequestParam::ALL.len());
        for (i, param) in RequestParam::ALL.into_iter().enumerate() {
            assert_eq!(param as usize, i, "{param:?} is out of place in ALL");
            assert_eq!(REQUEST_PARAMS[i].param, param, "row {i}");
        }
        for (i, a) in REQUEST_PARAMS.iter().enumerate() {
            for b in &REQUEST_PARAMS[i + 1..] {
                assert_ne!(a.wire_name, b.wire_name);
                assert!(a.key.is_none() || a.key != b.key, "{:?}", a.key);
            }
        }
    }

    #[test]
    fn values_follow_the_attribute_type() {
        let spec = RequestParam::MaxTokens.spec().unwrap();
        assert_eq!(
            spec.attribute_value(ParamValue::Int(5)),
            Some(Value::I64(5))
        );
        assert_eq!(spec.attribute_value(ParamValue::Double(0.5)), None);
        let spec = RequestParam::Temperature.spec().unwrap();
        assert_eq!(
            spec.attribute_value(ParamValue::Int(1)),
            Some(Value::F64(1.0))
        );
        let spec = RequestParam::ResponseFormat.spec().unwrap();
        assert_eq!(
            spec.attribute_value("json_schema".into()),
            Some(Value::from("json"))
        );
        assert_eq!(spec.attribute_value("yaml".into()), None);
        let spec = RequestParam::Stream.spec().unwrap();
        assert_eq!(spec.attribute_value(true.into()), Some(Value::Bool(true)));
        assert_eq!(spec.attribute_value(false.into()), None);
        assert_eq!(spec.key_in(&sc::VOCABULARY_DEFAULT), None);
        assert_eq!(
            spec.key_in(&sc::VOCABULARY_LATEST),
            Some(sc::GEN_AI_REQUEST_STREAM)
        );
        let spec = RequestParam::ChoiceCount.spec().unwrap();
        assert_eq!(spec.attribute_value(ParamValue::Int(1)), None);
        assert_eq!(
            spec.attribute_value(ParamValue::Int(3)),
            Some(Value::I64(3))
        );
        assert_eq!(
            ParamSpec::for_attribute(sc::GEN_AI_REQUEST_SEED).map(|p| p.param),
            Some(RequestParam::Seed)
        );
        let spec = RequestParam::ParallelToolCalls.spec().unwrap();
        assert_eq!(spec.attribute_value(false.into()), Some(Value::Bool(false)));
    }

    #[test]
    fn json_values_are_json_text_on_spans_and_json_in_metadata() {
        let spec = RequestParam::ToolChoice.spec().unwrap();
        let auto = spec.attribute_value("auto".into()).unwrap();
        assert_eq!(auto, Value::from("auto"));
        assert_eq!(spec.metadata_value(&auto), Some(serde_json::json!("auto")));
        let named = serde_json::json!({"type": "function", "function": {"name": "f"}});
        let value = spec.attribute_value(ParamValue::Json(&named)).unwrap();
        assert_eq!(
            value,
            Value::from(r#"{"function":{"name":"f"},"type":"function"}"#)
        );
        assert_eq!(spec.metadata_value(&value), Some(named.clone()));
        assert_eq!(ParamValue::Json(&named), ParamValue::Json(&named));
        assert_ne!(ParamValue::Json(&named), ParamValue::Text("f"));
        // Not JSON after all: kept as the text it is.
        assert_eq!(
            spec.metadata_value(&Value::from("{oops")),
            Some(serde_json::json!("{oops"))
        );
        let other = RequestParam::Temperature.spec().unwrap();
        assert_eq!(other.metadata_value(&Value::F64(0.5)), None);
    }

    #[test]
    fn params_fill_and_iterate_in_table_order() {
        let stop = ["END".to_owned()];
        let params = RequestParams::default()
            .with(RequestParam::Stop, &stop[..])
            .with(RequestParam::MaxTokens, 3u32);
        let set: Vec<_> = params.iter().map(|(spec, _)| spec.wire_name).collect();
        assert_eq!(set, ["max_tokens", "stop"]);
        assert_eq!(params.get(RequestParam::Seed), None);
    }
}
