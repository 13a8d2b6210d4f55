//! The guide's data policy for `llm` rows: "instrumentation MUST NOT capture
//! any data or fields unless this guide explicitly requires or allows them".
//!
//! An llm row's `metadata` keeps only:
//! - `model` and `provider` (required);
//! - the request parameters the guide lists (`temperature`, `top_p`,
//!   `max_tokens`, `frequency_penalty`, `presence_penalty`, `stop`,
//!   `response_format`) and this integration's own allow-list, which the
//!   guide permits (`max_completion_tokens` and `reasoning_effort`, the v1
//!   API's reasoning-model parameters): the parameters with a Braintrust
//!   metadata key ([`names::metadata_key`](super::names::metadata_key));
//! - the tool fields: `tools`, `tool_choice`, `parallel_tool_calls`,
//!   `max_tool_calls`.
//!
//! Everything else an llm span carries (`gen_ai.system`, `az.namespace`,
//! `server.address`, `server.port`, `gen_ai.response.id`, the finish reasons,
//! the request model when the service answered with another, `seed`, the
//! embeddings `encoding_format`, the application's own attributes on the
//! client span) is left out: the finish reasons are already in `output`,
//! the error type in `error`, and the rest is not allowed. The application's
//! own spans (`task`) and tool spans keep their attributes.

use super::SpanType;
use super::names::metadata_key;
use crate::telemetry::RequestParam;

/// The keys an llm row's `metadata` may carry besides the request parameters.
const LLM_METADATA_KEYS: &[&str] = &[
    "model",
    "provider",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_tool_calls",
];

/// Whether an llm row's `metadata` may carry `key`.
fn llm_metadata_allowed(key: &str) -> bool {
    LLM_METADATA_KEYS.contains(&key)
        || RequestParam::ALL
            .iter()
            .any(|&param| metadata_key(param) == Some(key))
}

/// Whether a row of `span_type` keeps `key` in its `metadata`: an llm row
/// only the keys above, other rows every key.
pub(super) fn keeps(span_type: SpanType, key: &str) -> bool {
    span_type != SpanType::Llm || llm_metadata_allowed(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request parameters the guide allows, as it names them, then this
    /// integration's own allow-list.
    const GUIDE_PARAMS: &[&str] = &[
        "temperature",
        "top_p",
        "max_tokens",
        "frequency_penalty",
        "presence_penalty",
        "stop",
        "response_format",
        "max_completion_tokens",
        "reasoning_effort",
    ];

    /// A parameter with a Braintrust key must have one the guide allows: a
    /// new arm with a key outside the list fails here.
    #[test]
    fn every_parameter_key_is_one_the_guide_allows() {
        for param in RequestParam::ALL {
            if let Some(key) = metadata_key(param) {
                assert!(
                    GUIDE_PARAMS.contains(&key) || LLM_METADATA_KEYS.contains(&key),
                    "{param:?}"
                );
                assert!(llm_metadata_allowed(key));
            }
        }
        for key in GUIDE_PARAMS.iter().chain(LLM_METADATA_KEYS) {
            assert!(llm_metadata_allowed(key), "{key}");
        }
        for key in ["seed", "server.address", "tool", "models", ""] {
            assert!(!llm_metadata_allowed(key), "{key}");
        }
    }

    /// Every row of the parameter table, in both vocabularies, reaches the
    /// span under its attribute key and the llm row under its wire name
    /// exactly when the guide allows it (never under the span's key): adding
    /// a row needs no other change for this to hold.
    #[test]
    fn every_request_parameter_reaches_the_span_and_the_row() {
        use crate::exporters::braintrust::mapping::span_to_row;
        use crate::telemetry::{
            AttributeType, Instrumentation, Operation, ParamValue, REQUEST_PARAMS,
            RequestAttributes, SemconvMode, TelemetryOptions,
        };
        use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

        fn sample(attribute_type: AttributeType) -> ParamValue<'static> {
            static STOP: [String; 1] = [String::new()];
            static JSON: std::sync::LazyLock<serde_json::Value> =
                std::sync::LazyLock::new(|| serde_json::json!({"type": "json_object"}));
            match attribute_type {
                AttributeType::Int => ParamValue::Int(7),
                AttributeType::Double => ParamValue::Double(0.5),
                AttributeType::StringArray => ParamValue::Texts(&STOP),
                AttributeType::OutputType => ParamValue::Text("json_object"),
                AttributeType::TrueFlag => ParamValue::Bool(true),
                AttributeType::ChoiceCount => ParamValue::Int(3),
                AttributeType::Bool => ParamValue::Bool(false),
                AttributeType::Json => ParamValue::Json(&*JSON),
                AttributeType::Text => ParamValue::Text("low"),
            }
        }
        for mode in [SemconvMode::Default, SemconvMode::LatestExperimental] {
            let exporter = InMemorySpanExporter::default();
            let provider = SdkTracerProvider::builder()
                .with_simple_exporter(exporter.clone())
                .build();
            let options = TelemetryOptions::new()
                .with_tracer_provider(&provider)
                .with_semconv_mode(mode);
            let instrumentation = Instrumentation::new(&options, "h", 443);
            for spec in REQUEST_PARAMS {
                let value = sample(spec.attribute_type);
                let request =
                    RequestAttributes::with_model(Some(spec.wire_name)).with(spec.param, value);
                instrumentation.start(Operation::Chat, &request).end();
            }
            let spans = exporter.get_finished_spans().expect("spans");
            for spec in REQUEST_PARAMS {
                let name = format!("chat {}", spec.wire_name);
                let span = spans
                    .iter()
                    .find(|s| s.name == name)
                    .expect("a span per row");
                let key = spec.key_in(mode.vocabulary());
                let attribute = span
                    .attributes
                    .iter()
                    .find(|kv| Some(kv.key.as_str()) == key);
                let expected = key.and_then(|_| spec.attribute_value(sample(spec.attribute_type)));
                assert_eq!(
                    attribute.map(|kv| kv.value.clone()),
                    expected,
                    "{mode:?} {name}"
                );
                if let Some(key) = key {
                    let row = serde_json::to_value(span_to_row(span)).expect("row");
                    let mut allowed = GUIDE_PARAMS
                        .iter()
                        .chain(&["tool_choice", "parallel_tool_calls"]);
                    let allowed = allowed.any(|p| *p == spec.wire_name);
                    assert!(row["metadata"].get(key).is_none(), "{key} in {row:#}");
                    assert_eq!(
                        row["metadata"].get(spec.wire_name).is_some(),
                        allowed,
                        "{mode:?} {name}"
                    );
                }
            }
        }
    }
}
