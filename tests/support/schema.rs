//! Braintrust's insert-event schema (OpenAPI 3.0, from its public spec) as
//! JSON Schema, and row validation against it.

use std::sync::OnceLock;

use serde_json::{Value, json};

/// The schema as published, copied into the repository (see
/// `tests/data/README.md` for its source).
const SCHEMA: &str = include_str!("../data/braintrust-insert-schema.json");

/// The schema file as published (OpenAPI flavour).
pub fn load_openapi() -> Value {
    serde_json::from_str(SCHEMA).expect("tests/data/braintrust-insert-schema.json is JSON")
}

/// Rewrites OpenAPI 3.0's `nullable: true` into JSON Schema, recursively:
/// - next to a `type`: the type becomes `[type, "null"]` (and an `enum` gains `null`);
/// - next to a `$ref` / `allOf` / `anyOf` / `oneOf` / `enum` without a type
///   (where adding to `type` is impossible or, for `$ref` in older drafts,
///   ignored): the node becomes `{"anyOf": [node, {"type": "null"}]}`;
/// - with no type constraint at all, null is already allowed: just dropped.
///
/// Only a boolean `nullable` is the keyword, so a property that happens to be
/// named `nullable` is left alone.
pub fn nullable_to_json_schema(node: &mut Value) {
    match node {
        Value::Array(items) => items.iter_mut().for_each(nullable_to_json_schema),
        Value::Object(map) => {
            for child in map.values_mut() {
                nullable_to_json_schema(child);
            }
            let Some(Value::Bool(nullable)) = map.get("nullable").cloned() else {
                return;
            };
            map.remove("nullable");
            if !nullable {
                return;
            }
            if let Some(ty) = map.get_mut("type") {
                match ty {
                    Value::String(s) => *ty = json!([s.clone(), "null"]),
                    Value::Array(types) if !types.contains(&json!("null")) => {
                        types.push(json!("null"))
                    }
                    _ => {}
                }
                if let Some(Value::Array(values)) = map.get_mut("enum")
                    && !values.contains(&Value::Null)
                {
                    values.push(Value::Null);
                }
            } else if ["$ref", "allOf", "anyOf", "oneOf", "enum"]
                .iter()
                .any(|k| map.contains_key(*k))
            {
                let inner = std::mem::take(map);
                map.insert(
                    "anyOf".to_owned(),
                    json!([Value::Object(inner), {"type": "null"}]),
                );
            }
        }
        _ => {}
    }
}

/// A validator for one definition of the schema.
pub struct Schema {
    validator: jsonschema::Validator,
}

impl Schema {
    fn for_definition(name: &str) -> Schema {
        let mut spec = load_openapi();
        nullable_to_json_schema(&mut spec);
        let root = json!({
            "$ref": format!("#/definitions/{name}"),
            "definitions": spec["definitions"].clone(),
        });
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema for {name} does not compile: {e}"));
        Schema { validator }
    }

    /// Every way `value` breaks the schema (empty when valid).
    pub fn errors(&self, value: &Value) -> Vec<String> {
        self.validator
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// Panics with every error when `value` is invalid.
    pub fn assert_valid(&self, value: &Value) {
        let errors = self.errors(value);
        assert!(
            errors.is_empty(),
            "schema violations: {errors:#?}\nin {value:#}"
        );
    }
}

/// `InsertProjectLogsEvent`: one row.
pub fn row_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::for_definition("InsertProjectLogsEvent"))
}

/// `InsertProjectLogsEventRequest`: an insert request body.
pub fn request_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::for_definition("InsertProjectLogsEventRequest"))
}
