//! The newer names' content as semantic-conventions v1.41.0 defines it: the
//! release's JSON schemas (copied in `tests/data/semconv-v1.41.0/`, the
//! draft-07 meta-schema beside them, nothing from the network) and the check
//! that a span carries none of the events v1.41 deprecates.

use std::sync::OnceLock;

use opentelemetry_sdk::trace::SpanData;
use serde_json::Value as Json;

const INPUT_SCHEMA: &str = include_str!("../data/semconv-v1.41.0/gen-ai-input-messages.json");
const OUTPUT_SCHEMA: &str = include_str!("../data/semconv-v1.41.0/gen-ai-output-messages.json");
const SYSTEM_SCHEMA: &str = include_str!("../data/semconv-v1.41.0/gen-ai-system-instructions.json");
const TOOLS_SCHEMA: &str = include_str!("../data/semconv-v1.41.0/gen-ai-tool-definitions.json");
/// The JSON Schema draft-07 meta-schema: the tool-definition schema's
/// `parameters` must be a draft-07 schema, checked without a network.
const DRAFT_07: &str = include_str!("../data/json-schema-draft-07.json");

/// A validator for one of the release's schemas.
pub fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Json = serde_json::from_str(schema).expect("schema is JSON");
    let draft_07: Json = serde_json::from_str(DRAFT_07).expect("draft-07 is JSON");
    let registry = jsonschema::Registry::new()
        .add("http://json-schema.org/draft-07/schema", draft_07)
        .expect("draft-07 registers")
        .prepare()
        .expect("registry");
    jsonschema::options()
        .with_registry(&registry)
        .build(&schema)
        .expect("schema compiles")
}

/// The schema of a content attribute of the newer names.
fn schema_for(key: &str) -> &'static jsonschema::Validator {
    static VALIDATORS: [OnceLock<jsonschema::Validator>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let (slot, schema) = match key {
        "gen_ai.input.messages" => (0, INPUT_SCHEMA),
        "gen_ai.output.messages" => (1, OUTPUT_SCHEMA),
        "gen_ai.system_instructions" => (2, SYSTEM_SCHEMA),
        "gen_ai.tool.definitions" => (3, TOOLS_SCHEMA),
        other => panic!("{other} has no v1.41 schema"),
    };
    VALIDATORS[slot].get_or_init(|| validator(schema))
}

/// Panics with every schema error of `value`.
pub fn assert_valid(validator: &jsonschema::Validator, value: &Json, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\nin {value:#}");
}

/// The content attribute `key` of `span`, parsed and validated against its
/// v1.41 schema; `None` when the span does not carry it.
pub fn content_attribute(span: &SpanData, key: &str) -> Option<Json> {
    let kv = span.attributes.iter().find(|kv| kv.key.as_str() == key)?;
    let value: Json = serde_json::from_str(&kv.value.as_str())
        .unwrap_or_else(|e| panic!("{}: {key} is not JSON: {e}", span.name));
    assert_valid(schema_for(key), &value, &format!("{}: {key}", span.name));
    Some(value)
}

/// Every content attribute of the newer names the span carries, validated;
/// returns how many there were.
pub fn validate_content_attributes(span: &SpanData) -> usize {
    [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.definitions",
    ]
    .into_iter()
    .filter_map(|key| content_attribute(span, key))
    .count()
}

/// Whether `name` is an event v1.41 deprecates: `gen_ai.choice` and the
/// per-role `gen_ai.{role}.message` events.
pub fn is_deprecated_event(name: &str) -> bool {
    name == "gen_ai.choice" || (name.starts_with("gen_ai.") && name.ends_with(".message"))
}

/// The span carries no deprecated event and no event attribute
/// `gen_ai.event.content`.
pub fn assert_no_deprecated_events(span: &SpanData) {
    for event in span.events.iter() {
        assert!(
            !is_deprecated_event(&event.name),
            "{}: deprecated event {}",
            span.name,
            event.name
        );
        assert!(
            event
                .attributes
                .iter()
                .all(|kv| kv.key.as_str() != "gen_ai.event.content"),
            "{}: {} on event {}",
            span.name,
            "gen_ai.event.content",
            event.name
        );
    }
}
