//! Responses API rows (BRAINTRUST.md §6) and privacy: every scenario's one
//! span becomes one `llm` row, valid against the insert schema on the native
//! path and on Braintrust OTLP, with the input items as sent (instructions
//! first), the output items as returned, and the token metrics; without
//! content recording nothing of the content reaches the span or a row. With
//! the newer names, the content attributes validate against the v1.41
//! schemas for every item kind.

mod support;

use azure_ai_inference_otel::models::{
    ReasoningEffort, ResponseContentPart, ResponseItem, ResponseTool, ResponseToolChoice,
    ResponsesOptions,
};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{Reply, ResponseAnswer};
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value, json};
use support::responses::{Call, Outcome, rows, run};
use support::semconv_v141;
use support::telemetry::attrs;

const MODEL: &str = "gpt-5-mini";
const SECRET: &str = "zebra-quartz";

fn request() -> ResponsesOptions {
    ResponsesOptions::new(format!("Tell me about {SECRET}."))
        .with_model(MODEL)
        .with_instructions(format!("Never say {SECRET}-instructions."))
        .with_tools(vec![ResponseTool::function(
            format!("{SECRET}_tool"),
            format!("Looks up {SECRET}"),
            json!({"type": "object", "properties": {SECRET: {"type": "string"}}}),
        )])
        .with_tool_choice(ResponseToolChoice::function(format!("{SECRET}_tool")))
        .with_reasoning_effort(ReasoningEffort::Medium)
}

/// Every scenario: its reply and how it is called.
fn scenarios() -> Vec<(&'static str, Reply, Call)> {
    let text = || ResponseAnswer::text(format!("All about {SECRET} here.")).with_cached_tokens(2);
    let call = || {
        ResponseAnswer::new()
            .with_function_call(
                "call_1",
                format!("{SECRET}_tool"),
                format!(r#"{{"{SECRET}":"x"}}"#),
            )
            .with_cached_tokens(2)
    };
    let reasoning = || {
        ResponseAnswer::new()
            .with_reasoning(format!("Thinking about {SECRET}."))
            .with_text(format!("All about {SECRET} here."))
            .with_cached_tokens(2)
    };
    vec![
        ("plain", Reply::response(text()), Call::Plain),
        ("streamed", Reply::response_stream(text()), Call::Streamed),
        ("function call", Reply::response(call()), Call::Plain),
        (
            "streamed function call",
            Reply::response_stream(call()),
            Call::Streamed,
        ),
        ("reasoning", Reply::response(reasoning()), Call::Plain),
        (
            "streamed reasoning",
            Reply::response_stream(reasoning()),
            Call::Streamed,
        ),
        (
            "incomplete",
            Reply::response(text().incomplete("max_output_tokens")),
            Call::Plain,
        ),
        (
            "failed",
            Reply::response(text().failed("server_error", "no")),
            Call::Plain,
        ),
        (
            "streamed failed",
            Reply::response_stream(text().failed("server_error", "no")),
            Call::Streamed,
        ),
        (
            "cut",
            Reply::response_stream(reasoning()).with_disconnect_after(9),
            Call::Streamed,
        ),
        (
            "in-band error",
            Reply::response_stream(text().error_event("server_error", "no")),
            Call::Streamed,
        ),
        (
            "dropped",
            Reply::response_stream(reasoning()),
            Call::DroppedAfter(9),
        ),
    ]
}

/// Everything a span holds, as text.
fn span_text(span: &SpanData) -> String {
    format!(
        "{:?} {:?} {:?} {:?}",
        span.name, span.attributes, span.events, span.status
    )
}

fn assert_row_basics(name: &str, row: &Value, o: &Outcome) {
    assert_eq!(row["span_attributes"]["type"], "llm", "{name}");
    assert_eq!(row["metadata"]["model"], MODEL, "{name}");
    assert_eq!(row["metadata"]["provider"], "azure", "{name}");
    let metrics = &row["metrics"];
    let a = attrs(&o.span);
    if a.contains_key("gen_ai.usage.input_tokens") {
        let prompt = metrics["prompt_tokens"].as_i64().expect("prompt tokens");
        let completion = metrics["completion_tokens"]
            .as_i64()
            .expect("completion tokens");
        assert_eq!(
            metrics["tokens"].as_i64(),
            Some(prompt + completion),
            "{name}"
        );
        assert_eq!(metrics["prompt_cached_tokens"], 2, "{name}");
        assert!(
            metrics.get("completion_reasoning_tokens").is_some(),
            "{name}"
        );
    } else {
        assert!(
            metrics.get("prompt_tokens").is_none(),
            "{name}: never invented"
        );
    }
    assert_eq!(
        metrics.get("time_to_first_token").is_some(),
        a.contains_key("gen_ai.response.time_to_first_chunk"),
        "{name}"
    );
    // Braintrust reads the error of an OTLP span from its status, not from
    // a `braintrust.*` part.
    if row["id"] != "otlp" {
        assert_eq!(
            row["error"].is_string(),
            a.contains_key("error.type"),
            "{name}: {row:#}"
        );
    }
}

const MODES: [SemconvMode; 2] = [SemconvMode::Default, SemconvMode::LatestExperimental];

/// With the newer names: no event v1.41 deprecates, the content attributes
/// (when recorded) valid against the v1.41 schemas, the finish reason in
/// `gen_ai.response.finish_reasons`.
fn assert_latest_shape(name: &str, o: &Outcome, record: bool) {
    semconv_v141::assert_no_deprecated_events(&o.span);
    let recorded = semconv_v141::validate_content_attributes(&o.span);
    if record {
        // Input, system instructions, tools; output when an item came.
        assert!(recorded >= 3, "{name}: {recorded} content attributes");
    } else {
        assert_eq!(recorded, 0, "{name}");
    }
    if o.span.events.iter().any(|e| e.name == "gen_ai.choice") {
        panic!("{name}: a choice event");
    }
}

/// A row with what differs between two runs of one scenario set aside:
/// ids, times and the answer's generated item ids.
fn comparable(row: &Value) -> Value {
    fn without_ids(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("id");
                map.values_mut().for_each(without_ids);
            }
            Value::Array(items) => items.iter_mut().for_each(without_ids),
            _ => {}
        }
    }
    let mut output = row.get("output").cloned().unwrap_or(Value::Null);
    without_ids(&mut output);
    let mut metrics = row["metrics"].clone();
    for key in ["start", "end", "time_to_first_token"] {
        if let Some(v) = metrics.get_mut(key) {
            *v = json!("<masked>");
        }
    }
    json!({
        "input": row.get("input"),
        "output": output,
        "metadata": row["metadata"],
        "metrics": metrics,
        "error": row.get("error"),
        "span_attributes": row["span_attributes"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_vocabularies_give_the_same_rows_with_and_without_content() {
    for record in [true, false] {
        for (name, reply, call) in scenarios() {
            let mut per_mode = Vec::new();
            for mode in MODES {
                let o = run(reply.clone(), request(), call, record, mode).await;
                if mode == SemconvMode::LatestExperimental {
                    assert_latest_shape(name, &o, record);
                }
                let (native, otlp) = rows(&o.span);
                // Braintrust reads an OTLP span's error from its status,
                // not from a `braintrust.*` part: the rest is the same.
                let mut otlp = comparable(&otlp);
                otlp["error"] = comparable(&native)["error"].clone();
                assert_eq!(
                    comparable(&native),
                    otlp,
                    "{name} {mode:?}: native and OTLP rows"
                );
                per_mode.push(comparable(&native));
            }
            assert_eq!(
                per_mode[0], per_mode[1],
                "{name}, recording {record}: rows differ between vocabularies"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_gives_one_schema_valid_row_on_both_paths_with_content() {
    for (name, reply, call) in scenarios() {
        let o = run(reply, request(), call, true, SemconvMode::Default).await;
        let (native, otlp) = rows(&o.span);
        for (path, row) in [("native", &native), ("otlp", &otlp)] {
            let name = format!("{name} ({path})");
            assert_row_basics(&name, row, &o);
            assert_eq!(
                row["input"],
                json!([
                    {"role": "system", "content": format!("Never say {SECRET}-instructions.")},
                    {"role": "user", "content": format!("Tell me about {SECRET}.")}
                ]),
                "{name}"
            );
            assert_eq!(
                row["metadata"]["tool_choice"],
                json!({"type": "function", "function": {"name": format!("{SECRET}_tool")}}),
                "{name}"
            );
            assert_eq!(
                row["metadata"]["tools"][0]["function"]["name"],
                format!("{SECRET}_tool"),
                "{name}"
            );
        }
        assert_eq!(native["output"], otlp["output"], "{name}");
        assert_eq!(
            native["metrics"]["prompt_tokens"], otlp["metrics"]["prompt_tokens"],
            "{name}"
        );
        let output = native["output"].as_array().cloned().unwrap_or_default();
        match name {
            "plain" | "streamed" | "incomplete" => {
                assert_eq!(output[0]["type"], "message", "{name}");
                assert_eq!(output[0]["role"], "assistant", "{name}");
                assert_eq!(output[0]["content"][0]["type"], "output_text", "{name}");
                assert_eq!(
                    output[0]["content"][0]["text"],
                    format!("All about {SECRET} here."),
                    "{name}"
                );
            }
            "function call" | "streamed function call" => {
                assert_eq!(
                    output[0]["arguments"],
                    format!(r#"{{"{SECRET}":"x"}}"#),
                    "{name}: the whole arguments, also when streamed"
                );
                assert_eq!(output[0]["call_id"], "call_1", "{name}");
            }
            "reasoning" | "streamed reasoning" => {
                assert_eq!(output[0]["type"], "reasoning", "{name}");
                assert_eq!(
                    output[0]["summary"][0]["text"],
                    format!("Thinking about {SECRET}."),
                    "{name}"
                );
                assert_eq!(output[1]["type"], "message", "{name}");
            }
            "cut" | "dropped" => {
                // Nine events: created, in progress, the reasoning item, its
                // summary deltas: what came is kept, appended.
                assert_eq!(output[0]["type"], "reasoning", "{name}: {output:?}");
                assert!(
                    output[0]["summary"][0]["text"]
                        .as_str()
                        .unwrap()
                        .starts_with("Thinking"),
                    "{name}"
                );
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_recording_nothing_of_the_content_leaves() {
    for (name, reply, call) in scenarios() {
        let o = run(reply, request(), call, false, SemconvMode::Default).await;
        let text = span_text(&o.span);
        assert!(!text.contains(SECRET), "{name}: the span leaks: {text}");
        let (native, otlp) = rows(&o.span);
        for (path, row) in [("native", &native), ("otlp", &otlp)] {
            let name = format!("{name} ({path})");
            assert_row_basics(&name, row, &o);
            assert!(
                !row.to_string().contains(SECRET),
                "{name}: the row leaks: {row:#}"
            );
            assert!(row.get("input").is_none_or(Value::is_null), "{name}");
            assert_eq!(row["metadata"]["tool_choice"], "function", "{name}");
        }
        // The output keeps its shape: item types, roles, statuses, call ids.
        if let Some(items) = native["output"].as_array() {
            for item in items {
                assert!(item["type"].is_string(), "{name}: {item}");
                for key in ["text", "name", "arguments"] {
                    assert!(item.get(key).is_none(), "{name}: {item}");
                }
            }
        }
        if name == "function call" {
            assert_eq!(
                native["output"],
                json!([{"type": "function_call", "id": native["output"][0]["id"], "call_id": "call_1", "status": "completed"}])
            );
        }
    }
}

const INPUT_SCHEMA: &str = include_str!("data/semconv-v1.41.0/gen-ai-input-messages.json");
const OUTPUT_SCHEMA: &str = include_str!("data/semconv-v1.41.0/gen-ai-output-messages.json");
const SYSTEM_SCHEMA: &str = include_str!("data/semconv-v1.41.0/gen-ai-system-instructions.json");

fn assert_valid(schema: &str, value: &Value, what: &str) {
    let schema: Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\nin {value:#}");
}

#[tokio::test]
async fn newer_names_validate_for_every_item_kind() {
    let items = vec![
        ResponseItem::user(vec![
            ResponseContentPart::input_text("Compare these."),
            ResponseContentPart::input_image("https://example.com/a.png"),
            ResponseContentPart::input_image("data:image/png;base64,iVBORw0KGgo="),
            ResponseContentPart::input_file("a.pdf", "data:application/pdf;base64,JVBERi0="),
        ]),
        serde_json::from_value(json!({"type": "reasoning", "id": "rs_0", "summary": [{"type": "summary_text", "text": "Earlier thought."}]})).unwrap(),
        serde_json::from_value(json!({"type": "function_call", "call_id": "call_0", "name": "f", "arguments": "{\"a\":1}"})).unwrap(),
        ResponseItem::function_call_output("call_0", "42"),
        serde_json::from_value(json!({"type": "item_reference", "id": "msg_0"})).unwrap(),
        ResponseItem::assistant("Earlier answer."),
    ];
    let req = ResponsesOptions::new(items)
        .with_model(MODEL)
        .with_instructions("Be precise.");
    let answer = ResponseAnswer::new()
        .with_reasoning("Comparing.")
        .with_text("They differ.")
        .with_function_call("call_1", "g", "{}");
    for (reply, call) in [
        (Reply::response(answer.clone()), Call::Plain),
        (Reply::response_stream(answer.clone()), Call::Streamed),
    ] {
        let o = run(
            reply,
            req.clone(),
            call,
            true,
            SemconvMode::LatestExperimental,
        )
        .await;
        let a = attrs(&o.span);
        let json = |key: &str| -> Value { serde_json::from_str(&a[key].as_str()).unwrap() };
        let input = json("gen_ai.input.messages");
        assert_valid(INPUT_SCHEMA, &input, "input messages");
        assert_eq!(input.as_array().unwrap().len(), 6);
        assert_valid(
            OUTPUT_SCHEMA,
            &json("gen_ai.output.messages"),
            "output messages",
        );
        assert_valid(
            SYSTEM_SCHEMA,
            &json("gen_ai.system_instructions"),
            "system instructions",
        );
        semconv_v141::assert_no_deprecated_events(&o.span);
        assert!(o.span.events.is_empty(), "{:?}", o.span.events);
        assert_eq!(
            support::telemetry::string_array(&attrs(&o.span)["gen_ai.response.finish_reasons"]),
            ["tool_calls"]
        );
        let (native, otlp) = rows(&o.span);
        assert_eq!(
            native["input"][0],
            json!({"role": "system", "content": "Be precise."})
        );
        assert_eq!(native["input"], otlp["input"]);
        assert_eq!(native["output"].as_array().unwrap().len(), 3);
    }
}
