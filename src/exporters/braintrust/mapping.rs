//! One finished span → one Braintrust log row: wiring over the telemetry
//! core's tables (request parameters, the message model). The mapping itself
//! is documented as a table on `span_to_row`.
//!
//! Rooms: [`row`] (the row types), [`messages`] (recorded content → `input`
//! and `output`), [`policy`] (what an llm row may carry), [`names`] (the
//! Braintrust names of the core's request parameters and token counts),
//! [`values`] (attribute values, times, texts).

use opentelemetry::KeyValue;
use opentelemetry::trace::{SpanId, Status};
use opentelemetry_sdk::trace::SpanData;
use serde_json::Map;

use crate::telemetry::{ParamSpec, TOKEN_COUNTS, TokenCountSpec, semconv};

mod messages;
mod names;
mod policy;
mod responses;
mod row;
mod values;

use messages::{build_input, build_output};
pub(crate) use row::{
    BraintrustRow, InstrumentationInfo, PROVIDER_AZURE, RowContext, RowMetrics, RowSpanAttributes,
    SpanOrigin, SpanType,
};
use values::{
    as_count, as_seconds, as_str, error_text, parse_or_text, rfc3339, unix_seconds, value_to_json,
};

/// Maps one finished span to one Braintrust log row (`InsertProjectLogsEvent`).
///
/// Pure functions over [`SpanData`]: no I/O, no clock, no global state, so the
/// native exporter and the OTLP exporter produce the same row from the same
/// span. Attribute names come from `semconv`; the tables below name the
/// constants rather than spelling the conventions again.
///
/// # The mapping
///
/// | row field | from the span |
/// |---|---|
/// | `id` | `"{trace id}-{span id}"` (32 + 1 + 16 lowercase hex): deterministic, so a retried batch replaces its rows instead of duplicating them |
/// | `span_id` | span id, 16 lowercase hex |
/// | `root_span_id` | trace id, 32 lowercase hex |
/// | `span_parents` | `[parent span id]` when the span has a parent (local or remote); absent on a root span |
/// | `created` | span start, RFC 3339 UTC with microseconds |
/// | `span_attributes` | `{"name": span name, "type": T}`: T = `llm` when [`GEN_AI_OPERATION_NAME`](semconv::GEN_AI_OPERATION_NAME) is `chat`, `text_completion` or `embeddings`; `tool` for `execute_tool`; `task` otherwise (the application's own spans) |
/// | `input` | recorded request messages in chat format `{"role","content"?,"tool_calls"?,"tool_call_id"?}`: from [`GEN_AI_INPUT_MESSAGES`](semconv::GEN_AI_INPUT_MESSAGES) (structured `parts`) when present, else from the message events ([`message_event_name`](semconv::message_event_name)) and their [`GEN_AI_EVENT_CONTENT`](semconv::GEN_AI_EVENT_CONTENT); absent when content was not recorded |
/// | `output` | `[{"index","finish_reason","message":{"role":"assistant","content"?,"tool_calls"?}}]` from the [`EVENT_CHOICE`](semconv::EVENT_CHOICE) events (today's names), else from [`GEN_AI_OUTPUT_MESSAGES`](semconv::GEN_AI_OUTPUT_MESSAGES) (the newer names, content recording on), else from [`GEN_AI_RESPONSE_FINISH_REASONS`](semconv::GEN_AI_RESPONSE_FINISH_REASONS) (the newer names without content: finish reasons only, no tool-call ids); content-free when content was not recorded |
/// | `metadata.model` | [`GEN_AI_RESPONSE_MODEL`](semconv::GEN_AI_RESPONSE_MODEL), else [`GEN_AI_REQUEST_MODEL`](semconv::GEN_AI_REQUEST_MODEL) (on non-llm rows the request model also stays under its own key when it differs) |
/// | `metadata.provider` | `azure` when the provider attribute ([`GEN_AI_SYSTEM`](semconv::GEN_AI_SYSTEM) or [`GEN_AI_PROVIDER_NAME`](semconv::GEN_AI_PROVIDER_NAME)) names Azure AI Inference or Azure OpenAI (either vocabulary's spelling), else its value (`openai`, ...) |
/// | `metadata.{wire name}` | request parameters of `REQUEST_PARAMS` that the guide allows (the sampling parameters, `response_format`, `tool_choice`, `parallel_tool_calls`) under their wire name; JSON-valued ones ([`AttributeType::Json`](crate::telemetry::AttributeType::Json)) parsed back, so objects are sent as objects |
/// | `metadata.tools` | [`GEN_AI_TOOL_DEFINITIONS`](semconv::GEN_AI_TOOL_DEFINITIONS), parsed, in the wire shape `{"type","function":{...}}` (the newer names record `{"type","name",...}`); absent without tools |
/// | `metadata.{attribute key}` | non-llm rows only: every other span attribute under its own key; arrays stay arrays, numbers stay numbers. `llm` rows keep only the keys above (the guide's data policy) |
/// | `metrics.start`, `metrics.end` | span start and end, unix seconds (fractional) |
/// | `metrics.{token metric}` | each token count of `TOKEN_COUNTS` the span reports: `prompt_tokens` from [`GEN_AI_USAGE_INPUT_TOKENS`](semconv::GEN_AI_USAGE_INPUT_TOKENS), `completion_tokens` from [`GEN_AI_USAGE_OUTPUT_TOKENS`](semconv::GEN_AI_USAGE_OUTPUT_TOKENS), `prompt_cached_tokens` and `completion_reasoning_tokens` from the cache-read and reasoning details; absent when not reported |
/// | `metrics.tokens` | prompt + completion tokens when both are known (never one alone); prompt tokens for embeddings (their `usage.total_tokens`) |
/// | `metrics.time_to_first_token` | [`GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK`](semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK) (seconds, streaming) |
/// | `error` | when the status is Error: `"{error.type}: {description}"` (either part alone when the other is missing; the type once when the description starts with it); with no description, the message of the span's first ERROR-level `tracing` event |
/// | `context.span_origin` | `{"name": this crate, "version": its version, "instrumentation": {"name": the span's instrumentation scope}}` |
///
/// `BRAINTRUST_PARENT` is routing, not data:
/// it becomes [`BraintrustRow::route`] and no metadata.
///
/// Attributes that became `model`, a wire-name key, `tools`, a metric,
/// `input` or `output` are not repeated under their own keys.
///
/// # Both convention vocabularies give the same row
///
/// Content recorded as events (today's names) and as structured
/// `parts` attributes (the newer names) are read into the one
/// message model and written back in chat format:
/// a `null` `content` is omitted, tool-call `arguments` are compact JSON text,
/// one text part (or a content array of one text item) becomes a string
/// `content`, several parts (or non-text parts) a content array in chat format
/// (`{"type":"text","text"}` for text, `{"type":"image_url","image_url":{"url"}}`
/// for an image `uri` part, `{"type":"input_audio","input_audio":{"data"}}` for
/// an audio `blob` part, others as they came), a `tool_call_response` part
/// becomes `tool_call_id` + `content`. Rows from the
/// two vocabularies then differ only in the metadata keys that are themselves
/// the vocabulary: [`Vocabulary::system_key`](semconv::Vocabulary::system_key)
/// and [`Vocabulary::namespace_key`](semconv::Vocabulary::namespace_key).
/// Without content recording, the newer names have no choice event (v1.41
/// deprecates `gen_ai.choice`): their chat `output` is built from
/// [`GEN_AI_RESPONSE_FINISH_REASONS`](semconv::GEN_AI_RESPONSE_FINISH_REASONS),
/// so it lacks the tool-call ids today's content-free choice events keep,
/// and a stream the caller dropped shows `error` where today's names show
/// `cancelled` (the span's `error.type` says `cancelled` in both).
///
/// # Cost
///
/// One pass over the attributes; event JSON is parsed only for GenAI spans
/// (those with an operation name), and the application's own spans never
/// touch their events. Both exporters build this row on their worker
/// thread, never on the application's.
pub fn span_to_row(span: &SpanData) -> BraintrustRow {
    let trace_id = hex_id(&span.span_context.trace_id().to_bytes());
    let span_id = hex_id(&span.span_context.span_id().to_bytes());
    let mut row_id = String::with_capacity(trace_id.len() + 1 + span_id.len());
    row_id.push_str(&trace_id);
    row_id.push('-');
    row_id.push_str(&span_id);

    // The type first: an llm row's data policy then keeps disallowed
    // attributes out of `metadata` instead of adding and removing them.
    let span_type = SpanType::from_operation(operation_of(span));
    let mut metadata = Map::new();
    let attrs = Attributes::read(span, span_type, &mut metadata);

    let genai = attrs.operation.is_some();
    let responses = attrs.api_type == Some(semconv::OPENAI_API_TYPE_RESPONSES);
    let (input, output) = if attrs.is_embeddings() {
        (attrs.embeddings_input(), attrs.embeddings_output())
    } else if genai && responses {
        (
            responses::build_input(span, attrs.input_messages, attrs.system_instructions),
            responses::build_output(attrs.response_output),
        )
    } else if genai {
        (
            build_input(span, attrs.input_messages),
            build_output(span, attrs.output_messages, attrs.finish_reasons),
        )
    } else {
        (None, None)
    };

    // Named keys go in last, so they win over a same-named raw attribute.
    attrs.named_metadata(span_type, &mut metadata);

    let metrics = attrs.metrics(span);
    if responses {
        responses::normalize_metadata(&mut metadata);
    }

    let error = match &span.status {
        Status::Error { description } => Some(error_text(span, attrs.error_type, description)),
        _ => None,
    };

    BraintrustRow {
        id: row_id,
        span_id,
        root_span_id: trace_id,
        span_parents: if span.parent_span_id == SpanId::INVALID {
            Vec::new()
        } else {
            vec![hex_id(&span.parent_span_id.to_bytes())]
        },
        created: rfc3339(span.start_time),
        span_attributes: RowSpanAttributes {
            name: span.name.to_string(),
            span_type,
        },
        input,
        output,
        metadata,
        metrics,
        error,
        route: attrs.route,
        context: RowContext {
            span_origin: SpanOrigin {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
                instrumentation: InstrumentationInfo {
                    name: span.instrumentation_scope.name().to_owned(),
                },
            },
        },
    }
}

/// Lower-case hex of an id's bytes (16 or 32 digits).
fn hex_id(bytes: &[u8]) -> String {
    let mut digits = [0u8; 32];
    let digits = &mut digits[..2 * bytes.len().min(16)];
    crate::hex::hex_into(bytes, digits);
    // Hex digits are ASCII.
    String::from_utf8(digits.to_vec()).unwrap_or_default()
}

/// The span's [`GEN_AI_OPERATION_NAME`](semconv::GEN_AI_OPERATION_NAME),
/// the last one as [`Attributes::read`] keeps it.
fn operation_of(span: &SpanData) -> Option<&str> {
    span.attributes
        .iter()
        .rev()
        .find(|kv| kv.key.as_str() == semconv::GEN_AI_OPERATION_NAME)
        .and_then(|kv| as_str(&kv.value))
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
    /// `gen_ai.response.finish_reasons`: the newer names' only outline of
    /// the choices when content was not recorded.
    finish_reasons: Option<&'a [opentelemetry::StringValue]>,
    /// `openai.api.type`.
    api_type: Option<&'a str>,
    /// Responses: the output items (`az.ai.inference.response.output`).
    response_output: Option<&'a str>,
    /// Responses, newer names: `gen_ai.system_instructions`.
    system_instructions: Option<&'a str>,
    /// Embeddings: the recorded text inputs (a JSON array of strings).
    embeddings_inputs: Option<&'a str>,
    /// Embeddings: how many vectors the answer held.
    embeddings_count: Option<i64>,
    /// Embeddings: the `dimensions` the request set.
    requested_dimensions: Option<i64>,
    /// One slot per row of `TOKEN_COUNTS`.
    token_counts: [Option<i64>; TOKEN_COUNTS.len()],
    time_to_first_token: Option<f64>,
    route: Option<crate::exporters::braintrust::Parent>,
}

impl<'a> Attributes<'a> {
    /// One pass over the span's attributes: what the row has a place for is
    /// picked out, everything else goes into `metadata`, in attribute
    /// order, under its Braintrust or own key (a later entry of the same
    /// key replaces an earlier one), when the data policy of `span_type`
    /// keeps it.
    fn read(
        span: &'a SpanData,
        span_type: SpanType,
        metadata: &mut Map<String, serde_json::Value>,
    ) -> Self {
        let mut attrs = Attributes::default();
        for kv in &span.attributes {
            if let Some((key, param)) = attrs.pick(kv)
                && policy::keeps(span_type, key)
            {
                // JSON-valued parameters (`tool_choice` objects,
                // `response_format`) go back to JSON; the rest as they are.
                let value = param
                    .and_then(|spec| spec.metadata_value(&kv.value))
                    .unwrap_or_else(|| value_to_json(&kv.value));
                metadata.insert(key.to_owned(), value);
            }
        }
        attrs
    }

    /// Picks `kv` out when the row has a place for it (model, usage, content,
    /// ...); else the `metadata` key it is kept under (its Braintrust or own
    /// key) and the request-parameter row it is filed under, if any.
    fn pick(&mut self, kv: &'a KeyValue) -> Option<(&'a str, Option<&'static ParamSpec>)> {
        let key = kv.key.as_str();
        let text = as_str(&kv.value);
        // Each arm either consumes the attribute (returns `None`) or falls
        // through to "keep it under its own key".
        match key {
            semconv::GEN_AI_OPERATION_NAME => self.operation = text,
            semconv::GEN_AI_SYSTEM | semconv::GEN_AI_PROVIDER_NAME => self.provider = text,
            semconv::ERROR_TYPE => self.error_type = text,
            semconv::GEN_AI_REQUEST_MODEL if text.is_some() => {
                self.request_model = text;
                return None;
            }
            semconv::GEN_AI_RESPONSE_MODEL if text.is_some() => {
                self.response_model = text;
                return None;
            }
            semconv::GEN_AI_TOOL_DEFINITIONS if text.is_some() => {
                self.tools = text;
                return None;
            }
            semconv::GEN_AI_INPUT_MESSAGES if text.is_some() => {
                self.input_messages = text;
                return None;
            }
            semconv::GEN_AI_OUTPUT_MESSAGES if text.is_some() => {
                self.output_messages = text;
                return None;
            }
            semconv::OPENAI_API_TYPE => self.api_type = text,
            semconv::GEN_AI_RESPONSE_FINISH_REASONS => {
                if let opentelemetry::Value::Array(opentelemetry::Array::String(reasons)) =
                    &kv.value
                {
                    self.finish_reasons = Some(reasons);
                }
            }
            semconv::AZ_AI_INFERENCE_RESPONSE_OUTPUT if text.is_some() => {
                self.response_output = text;
                return None;
            }
            semconv::GEN_AI_SYSTEM_INSTRUCTIONS if text.is_some() => {
                self.system_instructions = text;
                return None;
            }
            // The embeddings row's `input` and `output` (its own shape).
            semconv::AZ_AI_INFERENCE_EMBEDDINGS_INPUTS if text.is_some() => {
                self.embeddings_inputs = text;
                return None;
            }
            semconv::AZ_AI_INFERENCE_EMBEDDINGS_COUNT => {
                if let Some(n) = as_count(&kv.value) {
                    self.embeddings_count = Some(n);
                    return None;
                }
            }
            semconv::AZ_AI_INFERENCE_REQUEST_DIMENSIONS => {
                if let Some(n) = as_count(&kv.value) {
                    self.requested_dimensions = Some(n);
                    return None;
                }
            }
            // Routing, not data: it chooses where the row goes.
            semconv::BRAINTRUST_PARENT => {
                if let Some(parent) = text.and_then(|t| t.parse().ok()) {
                    self.route = Some(parent);
                }
                return None;
            }
            semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK => {
                if let Some(s) = as_seconds(&kv.value) {
                    self.time_to_first_token = Some(s);
                    return None;
                }
            }
            _ => {
                if let Some(spec) = TokenCountSpec::for_attribute(key)
                    && let Some(n) = as_count(&kv.value)
                    && let Some(slot) = self.token_counts.get_mut(spec.count as usize)
                {
                    *slot = Some(n);
                    return None;
                }
                // A request parameter Braintrust knows goes under its
                // metadata key ([`names::metadata_key`]); one without keeps
                // its own key (and, on an llm row, is then left out by the
                // data policy).
                if let Some(spec) = ParamSpec::for_attribute(key)
                    && let Some(wire) = names::metadata_key(spec.param)
                {
                    return Some((wire, Some(spec)));
                }
            }
        }
        Some((key, None))
    }

    /// Whether the span is an embeddings call, whose row follows
    /// Braintrust's embeddings spec rather than the chat shape.
    fn is_embeddings(&self) -> bool {
        self.operation == Some(semconv::OPERATION_EMBEDDINGS)
    }

    /// An embeddings row's `input` (Braintrust's embeddings spec):
    /// `{"inputs":[{"content":...}],"output_dimensions":N}`, the inputs in
    /// request order and only when content was recorded, `output_dimensions`
    /// only when the request set `dimensions`; `None` when neither is known.
    fn embeddings_input(&self) -> Option<serde_json::Value> {
        let mut input = Map::new();
        if let Some(text) = self.embeddings_inputs {
            let inputs = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Array(items)) => items
                    .into_iter()
                    .map(|content| serde_json::json!({ "content": content }))
                    .collect(),
                // Not the recorded shape: kept as one input, never lost.
                _ => vec![serde_json::json!({ "content": text })],
            };
            input.insert("inputs".to_owned(), serde_json::Value::Array(inputs));
        }
        if let Some(n) = self.requested_dimensions {
            input.insert("output_dimensions".to_owned(), n.into());
        }
        (!input.is_empty()).then_some(serde_json::Value::Object(input))
    }

    /// An embeddings row's `output`: `{"count":N}`, never the vectors;
    /// `None` when the call returned no answer.
    fn embeddings_output(&self) -> Option<serde_json::Value> {
        self.embeddings_count
            .map(|count| serde_json::json!({ "count": count }))
    }

    /// The `metadata` entries the row names itself, after the attributes
    /// (so they win over a same-named raw one): the request model when the
    /// response model differs, `model`, `provider`, `tools`.
    fn named_metadata(&self, span_type: SpanType, metadata: &mut Map<String, serde_json::Value>) {
        let model = self.response_model.or(self.request_model);
        if let (Some(request), Some(model)) = (self.request_model, model)
            && request != model
            && policy::keeps(span_type, semconv::GEN_AI_REQUEST_MODEL)
        {
            metadata.insert(semconv::GEN_AI_REQUEST_MODEL.to_owned(), request.into());
        }
        if let Some(model) = model {
            metadata.insert("model".to_owned(), model.into());
        }
        if let Some(provider) = self.provider {
            let provider = match provider {
                // Azure's pricing applies to Azure AI Inference and Azure
                // OpenAI, in either vocabulary's spelling.
                semconv::SYSTEM_VALUE
                | semconv::PROVIDER_NAME_VALUE
                | semconv::SYSTEM_VALUE_AZURE_OPENAI
                | semconv::PROVIDER_NAME_VALUE_AZURE_OPENAI => PROVIDER_AZURE,
                other => other,
            };
            metadata.insert("provider".to_owned(), provider.into());
        }
        if let Some(tools) = self.tools {
            // The wire shape whichever vocabulary recorded them.
            let tools = crate::telemetry::tool_definitions_to_wire(parse_or_text(tools));
            metadata.insert("tools".to_owned(), tools);
        }
    }

    /// The row's `metrics`: start and end, the token counts of
    /// `TOKEN_COUNTS` that the span
    /// reports, each in its Braintrust metric ([`names::token_metric`]),
    /// and `tokens`: the sum when both totals are known (never a guess from
    /// one of them), the prompt count for embeddings (whose
    /// `usage.total_tokens` is the prompt count).
    fn metrics(&self, span: &SpanData) -> RowMetrics {
        let mut metrics = RowMetrics {
            start: unix_seconds(span.start_time),
            end: unix_seconds(span.end_time),
            prompt_tokens: None,
            completion_tokens: None,
            tokens: None,
            prompt_cached_tokens: None,
            completion_reasoning_tokens: None,
            time_to_first_token: self.time_to_first_token,
        };
        for (spec, count) in TOKEN_COUNTS.iter().zip(self.token_counts) {
            *names::token_metric(&mut metrics, spec.count) = count;
        }
        metrics.tokens = if self.operation == Some(semconv::OPERATION_EMBEDDINGS) {
            metrics.prompt_tokens
        } else {
            match (metrics.prompt_tokens, metrics.completion_tokens) {
                (Some(p), Some(c)) => Some(p.saturating_add(c)),
                _ => None,
            }
        };
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::{chat_span as span, content_event as event};
    use opentelemetry::{Array, Value};
    use serde_json::{Value as Json, json};

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
        // An llm row: the guide's allow-list and nothing else.
        assert_eq!(
            Json::Object(row.metadata.clone()),
            json!({
                "model": "gpt-4o-2024-08-06",
                "provider": PROVIDER_AZURE,
                "temperature": 0.5,
                "max_tokens": 64,
                "stop": ["END", "STOP"],
            })
        );
        assert_eq!(row.span_attributes.span_type, SpanType::Llm);
    }

    #[test]
    fn the_applications_spans_keep_every_attribute() {
        let row = span_to_row(&span(
            vec![
                KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "gpt-4o"),
                KeyValue::new(semconv::GEN_AI_RESPONSE_MODEL, "gpt-4o-2024-08-06"),
                KeyValue::new(semconv::GEN_AI_REQUEST_TEMPERATURE, 0.5),
                KeyValue::new(semconv::GEN_AI_REQUEST_SEED, 3i64),
                KeyValue::new(semconv::SERVER_PORT, 8443i64),
                KeyValue::new("custom.flag", true),
                KeyValue::new("custom.ratio", f64::NAN),
            ],
            vec![],
        ));
        let m = &row.metadata;
        assert_eq!(row.span_attributes.span_type, SpanType::Task);
        assert_eq!(m["model"], "gpt-4o-2024-08-06");
        assert_eq!(m[semconv::GEN_AI_REQUEST_MODEL], "gpt-4o");
        assert_eq!(m["temperature"], json!(0.5));
        assert_eq!(m[semconv::GEN_AI_REQUEST_SEED], json!(3));
        assert_eq!(m[semconv::SERVER_PORT], json!(8443));
        assert_eq!(m["custom.flag"], json!(true));
        assert_eq!(m["custom.ratio"], Json::Null);
        assert!(!m.contains_key(semconv::GEN_AI_REQUEST_TEMPERATURE));
        assert!(!m.contains_key(semconv::GEN_AI_RESPONSE_MODEL));
    }

    #[test]
    fn tokens_only_when_both_totals_are_known() {
        let row = span_to_row(&span(
            vec![
                KeyValue::new(semconv::GEN_AI_OPERATION_NAME, semconv::OPERATION_CHAT),
                KeyValue::new(semconv::GEN_AI_USAGE_INPUT_TOKENS, 12i64),
            ],
            vec![],
        ));
        assert_eq!(row.metrics.prompt_tokens, Some(12));
        assert_eq!(row.metrics.tokens, None);
        let metrics = serde_json::to_value(&row.metrics).expect("metrics");
        let keys: Vec<&str> = metrics
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["end", "prompt_tokens", "start"]);
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

    /// Every row of the token-count table reaches the row's `metrics` under
    /// a name of the guide's, each under its own.
    #[test]
    fn every_token_count_becomes_its_metric() {
        let attributes = TOKEN_COUNTS
            .iter()
            .map(|spec| KeyValue::new(spec.key, 3i64))
            .collect();
        let row = span_to_row(&span(attributes, vec![]));
        let metrics = serde_json::to_value(&row.metrics).expect("metrics");
        assert_eq!(
            metrics,
            json!({
                "start": 1_700_000_000.25,
                "end": 1_700_000_001.75,
                "prompt_tokens": 3,
                "completion_tokens": 3,
                "tokens": 6,
                "prompt_cached_tokens": 3,
                "completion_reasoning_tokens": 3,
            })
        );
        for spec in TOKEN_COUNTS {
            assert!(!row.metadata.contains_key(spec.key), "{spec:?}");
        }
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
    fn error_text_is_the_error_events_message_and_never_doubles_the_type() {
        use opentelemetry::trace::Event;
        use std::time::UNIX_EPOCH;
        let mut s = span(
            vec![KeyValue::new(semconv::ERROR_TYPE, "cancelled")],
            vec![],
        );
        s.status = Status::error("cancelled: the caller dropped the call before it completed");
        assert_eq!(
            span_to_row(&s).error.as_deref(),
            Some("cancelled: the caller dropped the call before it completed")
        );
        s.status = Status::error("cancelled");
        assert_eq!(span_to_row(&s).error.as_deref(), Some("cancelled"));
        s.status = Status::error("cancelledness");
        assert_eq!(
            span_to_row(&s).error.as_deref(),
            Some("cancelled: cancelledness")
        );

        // An application span failed by `tracing::error!` (empty description).
        let level = |l: &'static str| KeyValue::new("level", l);
        let mut app = span(
            vec![],
            vec![
                Event::new("cache warm", UNIX_EPOCH, vec![level("INFO")], 0),
                Event::new("payment declined", UNIX_EPOCH, vec![level("ERROR")], 0),
                Event::new("second failure", UNIX_EPOCH, vec![level("ERROR")], 0),
            ],
        );
        app.status = Status::error("");
        assert_eq!(span_to_row(&app).error.as_deref(), Some("payment declined"));
        let mut with_exception = span(
            vec![],
            vec![Event::new(
                "lookup failed",
                UNIX_EPOCH,
                vec![
                    level("ERROR"),
                    KeyValue::new("exception.message", "connection reset"),
                ],
                0,
            )],
        );
        with_exception.status = Status::error("");
        assert_eq!(
            span_to_row(&with_exception).error.as_deref(),
            Some("lookup failed: connection reset")
        );
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
}
