//! `semconv/registry.toml` and `src/telemetry/semconv.rs` must agree, and no
//! code outside that module may spell a convention name by hand.

use std::collections::BTreeSet;
use std::path::Path;

use azure_ai_inference_otel::telemetry::semconv as sc;
use toml::Value;

fn registry() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("semconv/registry.toml");
    let text = std::fs::read_to_string(&path).expect("semconv/registry.toml is readable");
    toml::from_str(&text).expect("semconv/registry.toml is valid TOML")
}

fn names(registry: &Value, table: &str, key: &str) -> BTreeSet<String> {
    registry[table]
        .as_array()
        .unwrap_or_else(|| panic!("[[{table}]] entries"))
        .iter()
        .map(|e| e[key].as_str().expect("string").to_owned())
        .collect()
}

fn set(items: &[&[&str]]) -> BTreeSet<String> {
    items
        .iter()
        .flat_map(|s| s.iter())
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn attributes_match() {
    let r = registry();
    let code = set(&[
        sc::GEN_AI_ATTRIBUTES,
        sc::BRAINTRUST_ATTRIBUTES,
        sc::STABLE_ATTRIBUTES,
    ]);
    assert_eq!(
        names(&r, "attribute", "name"),
        code,
        "registry vs semconv.rs attributes"
    );
}

#[test]
fn every_attribute_is_documented() {
    let r = registry();
    for entry in r["attribute"].as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        for key in ["type", "requirement", "vocabulary", "brief"] {
            assert!(
                entry
                    .get(key)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                "{name}: {key}"
            );
        }
        let vocab = entry["vocabulary"].as_str().unwrap();
        assert!(
            ["both", "default", "latest"].contains(&vocab),
            "{name}: vocabulary {vocab}"
        );
    }
}

#[test]
fn events_match() {
    assert_eq!(names(&registry(), "event", "name"), set(&[sc::EVENTS]));
}

#[test]
fn error_types_match() {
    let mut code = set(&[sc::ERROR_TYPES]);
    code.insert("{status}".into());
    code.insert("{service_code}".into());
    assert_eq!(names(&registry(), "error_type", "value"), code);
}

#[test]
fn metrics_match_with_units_and_buckets() {
    let r = registry();
    assert_eq!(names(&r, "metric", "name"), set(&[sc::METRICS]));
    for m in r["metric"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let buckets: Vec<f64> = m["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                b.as_float()
                    .or_else(|| b.as_integer().map(|i| i as f64))
                    .unwrap()
            })
            .collect();
        let (unit, expected) = if name == sc::METRIC_TOKEN_USAGE {
            ("{token}", sc::TOKEN_BUCKETS)
        } else {
            ("s", sc::DURATION_BUCKETS)
        };
        assert_eq!(m["unit"].as_str(), Some(unit), "{name}");
        assert_eq!(buckets, expected, "{name}");
    }
}

#[test]
fn vocabularies_match() {
    let r = registry();
    for (key, vocab) in [
        ("default", sc::VOCABULARY_DEFAULT),
        ("latest", sc::VOCABULARY_LATEST),
    ] {
        let row = &r["vocabulary"][key];
        assert_eq!(row["system_key"].as_str(), Some(vocab.system_key), "{key}");
        assert_eq!(
            row["system_value"].as_str(),
            Some(vocab.system_value),
            "{key}"
        );
        assert_eq!(
            row["namespace_key"].as_str(),
            Some(vocab.namespace_key),
            "{key}"
        );
        assert_eq!(
            row["namespace_value"].as_str(),
            Some(vocab.namespace_value),
            "{key}"
        );
        let content = match vocab.content {
            sc::ContentForm::Events => "events",
            sc::ContentForm::Attributes => "attributes",
        };
        assert_eq!(row["content"].as_str(), Some(content), "{key}");
        assert_eq!(
            row["request_id_key"].as_str(),
            Some(vocab.request_id_key),
            "{key}"
        );
        assert_eq!(row["schema_url"].as_str(), Some(vocab.schema_url), "{key}");
    }
    assert_eq!(r["schema_url"].as_str(), Some(sc::SCHEMA_URL));
}

/// Lines of library code (before `#[cfg(test)]`, not comments) that spell a
/// convention name as a string literal.
fn hand_spelled(text: &str) -> Vec<(usize, String)> {
    let prefixes = [
        "\"gen_ai.",
        "\"az.namespace",
        "\"azure.resource_provider",
        "\"braintrust.",
    ];
    let library = text.split("#[cfg(test)]").next().unwrap_or("");
    library
        .lines()
        .enumerate()
        .map(|(n, line)| (n + 1, line.trim_start()))
        .filter(|(_, code)| !code.starts_with("//") && prefixes.iter().any(|p| code.contains(p)))
        .map(|(n, code)| (n, code.to_owned()))
        .collect()
}

/// Library code outside semconv.rs must take convention names from the
/// module, never from a string literal.
#[test]
fn no_hand_spelled_names_in_library_code() {
    let mut offenders = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("telemetry/semconv.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for (line, code) in hand_spelled(&text) {
                    offenders.push(format!("{}:{line}: {code}", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "convention names spelled by hand:\n{}",
        offenders.join("\n")
    );
}

/// The detector above can fail: it flags a literal in code, not in comments
/// or test modules.
#[test]
fn hand_spelled_name_detector_can_fail() {
    let sample = "/// \"gen_ai.system\" in a doc\nlet k = \"gen_ai.request.model\";\n#[cfg(test)]\nlet t = \"gen_ai.x\";";
    assert_eq!(
        hand_spelled(sample),
        vec![(2, "let k = \"gen_ai.request.model\";".to_owned())]
    );
}
