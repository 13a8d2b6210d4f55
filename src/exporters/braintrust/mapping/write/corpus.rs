//! The spans the row writers are held to the reference with: hand-made
//! ones (every attribute value type, every request parameter and token
//! count, content of the common and the unusual shapes, errors, parents,
//! texts that need escaping) and spans recorded by the instrumentation in
//! both vocabularies, content on and off. Shared by the row writer's tests
//! and the Braintrust OTLP annotation's.

use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, Status};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;
use serde_json::json;

use crate::exporters::braintrust::test_spans::{chat_span, content_event, padded_span};
use crate::telemetry::{
    ChoiceRecord, ErrorClass, Operation, REQUEST_PARAMS, RequestAttributes, ResponseRecord,
    SemconvMode, TOKEN_COUNTS, TelemetryOptions, ToolCallRecord, UsageRecord, semconv,
};

/// Every span of the corpus: the hand-made ones, then the recorded ones of
/// both vocabularies, content off and on.
pub(crate) fn corpus() -> Vec<SpanData> {
    let mut spans = hand_made();
    for mode in [SemconvMode::Default, SemconvMode::LatestExperimental] {
        for content in [false, true] {
            spans.extend(recorded(mode, content));
        }
    }
    spans
}

fn chat(attributes: Vec<KeyValue>, events: Vec<opentelemetry::trace::Event>) -> SpanData {
    let mut attributes = attributes;
    attributes.insert(
        0,
        KeyValue::new(semconv::GEN_AI_OPERATION_NAME, semconv::OPERATION_CHAT),
    );
    chat_span(attributes, events)
}

/// Every attribute value type, arrays included, and awkward texts.
fn every_value() -> Vec<KeyValue> {
    vec![
        KeyValue::new("v.bool", true),
        KeyValue::new("v.int", -7i64),
        KeyValue::new("v.double", 0.1),
        KeyValue::new("v.nan", f64::NAN),
        KeyValue::new("v.inf", f64::INFINITY),
        KeyValue::new("v.text", "tab\t \"quoted\" \\ é ✓ 🎉 \u{1} \u{7f}"),
        KeyValue::new("v.bools", Value::Array(Array::Bool(vec![true, false]))),
        KeyValue::new("v.ints", Value::Array(Array::I64(vec![1, -2, i64::MAX]))),
        KeyValue::new(
            "v.doubles",
            Value::Array(Array::F64(vec![1.5, f64::NAN, 1e300])),
        ),
        KeyValue::new(
            "v.texts",
            Value::Array(Array::String(vec![StringValue::from("a\nb"), "".into()])),
        ),
        KeyValue::new("v.empty", Value::Array(Array::String(vec![]))),
        KeyValue::new("ключ \"key\"", "value"),
    ]
}

/// Spans made by hand for the cases the instrumentation does not record.
pub(crate) fn hand_made() -> Vec<SpanData> {
    let mut corpus: Vec<SpanData> = vec![
        // The application's own spans: every attribute kept, events ignored.
        chat_span(every_value(), vec![]),
        padded_span(3, 100),
        chat_span(
            every_value(),
            vec![content_event(
                semconv::EVENT_USER_MESSAGE,
                r#"{"content":"hi"}"#,
            )],
        ),
        // Duplicate keys: the last wins, named keys over raw ones.
        chat_span(
            vec![
                KeyValue::new("model", "raw"),
                KeyValue::new("dup", 1i64),
                KeyValue::new("dup", "two"),
                KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "gpt-4o"),
                KeyValue::new("temperature", "raw"),
                KeyValue::new(semconv::GEN_AI_REQUEST_TEMPERATURE, 0.5),
                KeyValue::new("provider", "raw"),
                KeyValue::new(semconv::GEN_AI_PROVIDER_NAME, "someone-else"),
            ],
            vec![],
        ),
    ];
    // The same duplicates on llm rows (whose metadata goes into slots), and
    // rows whose type the last `gen_ai.operation.name` decides.
    let duplicates = || {
        vec![
            KeyValue::new("model", "raw"),
            KeyValue::new(semconv::GEN_AI_REQUEST_TEMPERATURE, 0.5),
            KeyValue::new("temperature", "raw"),
            KeyValue::new(semconv::GEN_AI_REQUEST_TOP_P, 0.9),
            KeyValue::new("top_p", 1i64),
            KeyValue::new("tools", "raw"),
            KeyValue::new(semconv::GEN_AI_TOOL_DEFINITIONS, r#"[{"type":"function"}]"#),
            KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "gpt-4o"),
        ]
    };
    corpus.push(chat(duplicates(), vec![]));
    let operation = |value: Value| KeyValue::new(semconv::GEN_AI_OPERATION_NAME, value);
    for (first, last) in [
        (Some("execute_tool"), Value::from(semconv::OPERATION_CHAT)),
        (Some(semconv::OPERATION_CHAT), Value::from("execute_tool")),
        (Some(semconv::OPERATION_CHAT), Value::from(7i64)),
        (None, Value::from(semconv::OPERATION_EMBEDDINGS)),
    ] {
        let mut attributes = duplicates();
        if let Some(first) = first {
            attributes.insert(0, operation(Value::from(first)));
        }
        attributes.push(operation(last));
        corpus.push(chat_span(attributes, vec![]));
    }
    // Llm rows: the data policy, every parameter and token count of the tables.
    let mut params: Vec<KeyValue> = REQUEST_PARAMS
        .iter()
        .flat_map(|p| [p.key, p.latest_key])
        .flatten()
        .map(|key| KeyValue::new(key, 2i64))
        .collect();
    params.extend(TOKEN_COUNTS.iter().map(|t| KeyValue::new(t.key, 5i64)));
    params.extend(every_value());
    params.push(KeyValue::new(semconv::GEN_AI_SYSTEM, semconv::SYSTEM_VALUE));
    params.push(KeyValue::new(semconv::GEN_AI_RESPONSE_MODEL, "gpt-4o-mini"));
    params.push(KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, "gpt-4o"));
    params.push(KeyValue::new(
        semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
        0.25,
    ));
    corpus.push(chat(params.clone(), vec![]));
    // The same on a tool span and on an embeddings span.
    let mut tool = params.clone();
    tool[0] = KeyValue::new(semconv::GEN_AI_OPERATION_NAME, "execute_tool");
    corpus.push(chat_span(tool, vec![]));
    let mut embeddings = params;
    embeddings.insert(
        0,
        KeyValue::new(
            semconv::GEN_AI_OPERATION_NAME,
            semconv::OPERATION_EMBEDDINGS,
        ),
    );
    corpus.push(chat_span(embeddings, vec![]));
    // Every parameter with a text value: JSON-valued rows read it back.
    for text in [
        r#"{"type":"json_schema","json_schema":{"name":"x","strict":true}}"#,
        r#"[{"type":"function"}]"#,
        "auto",
        "[1",
        "",
    ] {
        let params = REQUEST_PARAMS
            .iter()
            .flat_map(|p| [p.key, p.latest_key])
            .flatten()
            .map(|key| KeyValue::new(key, text))
            .collect();
        corpus.push(chat(params, vec![]));
    }
    // Tokens: one total alone, a count that is not a count.
    corpus.push(chat(
        vec![
            KeyValue::new(semconv::GEN_AI_USAGE_INPUT_TOKENS, 3.0),
            KeyValue::new(semconv::GEN_AI_USAGE_OUTPUT_TOKENS, "many"),
            KeyValue::new(semconv::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, "soon"),
        ],
        vec![],
    ));
    // Content events: common shapes (fast) and the others (general path).
    let messages = [
        (
            semconv::EVENT_SYSTEM_MESSAGE,
            r#"{"role":"system","content":"be \"brief\"\n"}"#,
        ),
        (
            semconv::EVENT_USER_MESSAGE,
            r#"{"content":"héllo ✓ \u0001"}"#,
        ),
        (
            semconv::EVENT_USER_MESSAGE,
            r#"{"role":"user","content":[{"type":"text","text":"one"}]}"#,
        ),
        (
            semconv::EVENT_USER_MESSAGE,
            r#"{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]}"#,
        ),
        (
            semconv::EVENT_ASSISTANT_MESSAGE,
            r#"{"role":"assistant","content":null,"name":"bot","reasoning_content":"hm","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{ \"b\" : 1, \"a\": [1.0] }"}},{"function":{"arguments":{"z":1}}},{"function":{"name":"g"}},{"id":"c3"}]}"#,
        ),
        (
            semconv::EVENT_TOOL_MESSAGE,
            r#"{"role":"tool","tool_call_id":"c1","content":"21 °C"}"#,
        ),
        (semconv::EVENT_USER_MESSAGE, "not json"),
        (semconv::EVENT_USER_MESSAGE, "[1,2]"),
        (
            semconv::EVENT_USER_MESSAGE,
            r#"{"role":"user","extra":{"k":1}}"#,
        ),
        (
            semconv::EVENT_ASSISTANT_MESSAGE,
            r#"{"tool_calls":[{"function":{"arguments":"not json"}}]}"#,
        ),
    ];
    let events = || {
        messages
            .iter()
            .map(|(name, body)| content_event(name, body))
            .collect::<Vec<_>>()
    };
    corpus.push(chat(vec![], events()));
    for (_, body) in messages {
        corpus.push(chat(
            vec![],
            vec![content_event(semconv::EVENT_USER_MESSAGE, body)],
        ));
    }
    // Choices: fast, general, out of order, missing bodies, mixed.
    let choices = [
        r#"{"finish_reason":"stop","index":1}"#,
        r#"{"index":0,"finish_reason":"tool_calls","message":{"content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}}"#,
        r#"{"finish_reason":null,"message":{"role":"assistant","content":"ok ✓"}}"#,
        r#"{"message":{"role":"tool","content":"x"}}"#,
        r#"{"finish_reason":["odd"],"index":7}"#,
        r#"not json"#,
        // Near the content-free form that is read without the parser.
        r#"{"finish_reason":"length","index":12}"#,
        r#"{"finish_reason":"st\"op","index":2}"#,
        r#"{"finish_reason":"stop","index":01}"#,
        r#"{"finish_reason":"stop","index":}"#,
        r#"{"finish_reason":"stop","index":99999999999999999999}"#,
        r#"{"finish_reason":"stop","index":3}}"#,
        "{\"finish_reason\":\"tab\there\",\"index\":4}",
    ];
    for (i, body) in choices.iter().enumerate() {
        corpus.push(chat(
            vec![],
            vec![content_event(semconv::EVENT_CHOICE, body)],
        ));
        let mixed = choices[..=i]
            .iter()
            .rev()
            .map(|b| content_event(semconv::EVENT_CHOICE, b))
            .collect();
        corpus.push(chat(vec![], mixed));
    }
    let mut no_body = chat(vec![], vec![content_event(semconv::EVENT_CHOICE, "{}")]);
    no_body.events.events[0].attributes.clear();
    corpus.push(no_body);
    let mut both = events();
    both.extend(
        choices
            .iter()
            .map(|b| content_event(semconv::EVENT_CHOICE, b)),
    );
    corpus.push(chat(vec![], both));
    // Structured parts (the newer vocabulary), tool definitions in both shapes.
    let parts = json!([
        {"role":"system","parts":[{"type":"text","content":"be brief"}]},
        {"role":"user","parts":[{"type":"text","content":"look"},{"type":"uri","modality":"image","uri":"https://x/y.png"}]},
        {"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":{"temp":21}}]}
    ]);
    let output = json!([{"role":"assistant","finish_reason":"stop","parts":[{"type":"text","content":"done"}]}]);
    corpus.push(chat(
        vec![
            KeyValue::new(semconv::GEN_AI_INPUT_MESSAGES, parts.to_string()),
            KeyValue::new(semconv::GEN_AI_OUTPUT_MESSAGES, output.to_string()),
            KeyValue::new(
                semconv::GEN_AI_TOOL_DEFINITIONS,
                r#"[{"type":"function","name":"f","parameters":{"type":"object"}}]"#,
            ),
        ],
        vec![content_event(semconv::EVENT_CHOICE, choices[0])],
    ));
    corpus.push(chat(
        vec![
            KeyValue::new(semconv::GEN_AI_INPUT_MESSAGES, "not json"),
            KeyValue::new(semconv::GEN_AI_OUTPUT_MESSAGES, "{}"),
            KeyValue::new(semconv::GEN_AI_TOOL_DEFINITIONS, "not json"),
        ],
        vec![],
    ));
    corpus.push(chat(
        vec![KeyValue::new(
            semconv::GEN_AI_TOOL_DEFINITIONS,
            r#"[{"type":"function","function":{"name":"f"}}]"#,
        )],
        vec![],
    ));
    // Errors, parents, baggage routes, names and scopes that need escaping.
    let mut failed = chat(vec![KeyValue::new(semconv::ERROR_TYPE, "429")], vec![]);
    failed.status = Status::error("HTTP 429: \"slow down\"\n");
    corpus.push(failed.clone());
    failed.attributes.clear();
    failed.status = Status::error("");
    corpus.push(failed.clone());
    failed.status = Status::Ok;
    failed.parent_span_id = SpanId::INVALID;
    failed.name = Cow::Borrowed("naïve \"span\" \u{2}");
    failed.instrumentation_scope = InstrumentationScope::builder("scope \"q\" ✓").build();
    failed.start_time = UNIX_EPOCH - Duration::from_secs(3);
    failed.end_time = UNIX_EPOCH + Duration::new(400_000_000_000, 7);
    corpus.push(failed);
    for parent in [
        "project_name:other",
        "experiment_id:e-1",
        "no such kind:x",
        "",
    ] {
        corpus.push(chat(
            vec![
                KeyValue::new(semconv::BRAINTRUST_PARENT, parent),
                KeyValue::new(semconv::BRAINTRUST_PARENT, 5i64),
            ],
            vec![],
        ));
    }
    corpus
}

struct Failure;

impl ErrorClass for Failure {
    fn error_type(&self) -> Cow<'static, str> {
        "timeout".into()
    }
    fn description(&self) -> Cow<'static, str> {
        "timed out after 5 s".into()
    }
}

/// Spans as the instrumentation records them: both vocabularies, content
/// on and off, tool calls, a failure, embeddings.
pub(crate) fn recorded(mode: SemconvMode, content: bool) -> Vec<SpanData> {
    let (recorder, inst) = crate::bench_support::Recorder::new(
        TelemetryOptions::new()
            .with_semconv_mode(mode)
            .with_content_recording(content),
    );
    let stop = ["END".to_owned()];
    let request = crate::bench_support::chat_request(&stop);
    let messages = [
        json!({"role": "system", "content": "You are terse."}),
        json!({"role": "user", "content": [{"type":"text","text":"SECRET-PROMPT"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR"}}]}),
        json!({"role": "assistant", "content": null, "tool_calls": [{"id":"c0","type":"function","function":{"name":"f","arguments":"{}"}}]}),
        json!({"role": "tool", "tool_call_id": "c0", "content": "SECRET-RESULT"}),
    ];
    let tools = json!([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]);
    for tool_call in [false, true] {
        let mut span = inst.start(Operation::Chat, &request);
        span.record_input_messages(
            messages
                .iter()
                .map(|m| (m["role"].as_str().unwrap_or("user"), m)),
        );
        span.record_tool_definitions(&tools);
        let calls = if tool_call {
            vec![ToolCallRecord {
                id: "call_1",
                kind: "function",
                name: "get_weather",
                arguments: "{\"city\":\"SECRET-CITY\"}",
            }]
        } else {
            vec![]
        };
        span.record_response(&ResponseRecord {
            id: Some("chatcmpl-123"),
            model: Some("gpt-4o-mini-2024-07-18"),
            usage: Some(UsageRecord::new(Some(42), Some(17))),
            choices: vec![
                ChoiceRecord {
                    index: 1,
                    finish_reason: Some("stop"),
                    content: Some("SECRET-ANSWER ✓"),
                    reasoning: Some("SECRET-REASONING"),
                    tool_calls: vec![],
                },
                ChoiceRecord {
                    index: 0,
                    finish_reason: None,
                    content: None,
                    reasoning: None,
                    tool_calls: calls,
                },
            ],
        });
        span.end();
    }
    inst.start(Operation::Chat, &request).fail(&Failure);
    let mut span = inst.start(
        Operation::Embeddings,
        &RequestAttributes::with_model(Some("e")),
    );
    span.record_response(&ResponseRecord {
        id: None,
        model: None,
        usage: Some(UsageRecord::new(Some(9), None)),
        choices: vec![],
    });
    span.end();
    recorder.finished()
}
