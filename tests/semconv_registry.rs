//! Every attribute in `semconv/registry.toml` is documented, and no code
//! outside `src/telemetry/semconv.rs` spells a convention name by hand.
//! (That the registry and the module's constants agree is the module's own
//! unit test.)

use std::path::Path;

use toml::Value;

fn registry() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("semconv/registry.toml");
    let text = std::fs::read_to_string(&path).expect("semconv/registry.toml is readable");
    toml::from_str(&text).expect("semconv/registry.toml is valid TOML")
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
