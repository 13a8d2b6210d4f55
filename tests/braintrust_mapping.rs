//! Spans → Braintrust rows: golden rows, both convention vocabularies, parent
//! links, content on and off, and every row valid against Braintrust's schema.

mod support;

use azure_ai_inference_otel::exporters::braintrust::preview_row;
use opentelemetry::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value, json};
use support::genai_spans::{
    CHAT_NAME, Chat, EMBEDDINGS_NAME, SECRET_ANSWER, SECRET_PROMPT, SECRET_TOOL, crate_tracer,
    emit_chat, emit_chat_error, emit_embeddings, in_user_span, named,
};
use support::genai_spans::{VOCABULARY_DEFAULT, VOCABULARY_LATEST};
use support::schema::row_schema;
use support::telemetry::Harness;

const CRATE: &str = env!("CARGO_PKG_NAME");

/// The row of `span` as JSON, checked against Braintrust's schema.
fn row(span: &SpanData) -> Value {
    let value = preview_row(span);
    row_schema().assert_valid(&value);
    value
}

/// Spans from one chat call (root, no user span).
fn chat_spans(chat: Chat) -> Vec<SpanData> {
    let harness = Harness::with_seq_ids();
    let provider = &harness.tracer_provider;
    emit_chat(&crate_tracer(provider), &Context::new(), chat);
    harness.spans()
}

/// The row without its timestamps, and with its ids replaced by what they
/// are, so goldens do not depend on the clock or the id generator.
fn normalized(row: &Value) -> Value {
    let mut row = row.clone();
    if let Some(obj) = row.as_object_mut() {
        obj.remove("created");
        for (key, placeholder) in [
            ("id", "<id>"),
            ("span_id", "<span>"),
            ("root_span_id", "<trace>"),
        ] {
            if obj.contains_key(key) {
                obj.insert(key.to_owned(), placeholder.into());
            }
        }
        if let Some(Value::Array(parents)) = obj.get_mut("span_parents") {
            parents.iter_mut().for_each(|p| *p = "<parent>".into());
        }
    }
    if let Some(metrics) = row.get_mut("metrics").and_then(Value::as_object_mut) {
        metrics.remove("start");
        metrics.remove("end");
    }
    row
}

/// `None` when `row` matches `golden` (ignoring timestamps and id values),
/// else both, pretty-printed.
fn golden_mismatch(row: &Value, golden: &Value) -> Option<String> {
    let actual = normalized(row);
    (actual != *golden).then(|| format!("actual:\n{actual:#}\nexpected:\n{golden:#}"))
}

fn assert_golden(row: &Value, golden: &Value) {
    if let Some(diff) = golden_mismatch(row, golden) {
        panic!("row differs from golden\n{diff}");
    }
}

/// The metadata every chat row of `emit_chat` carries, whichever vocabulary:
/// exactly what Braintrust's data policy allows (the span's `seed`, response
/// id, finish reasons, request model, system, namespace and server address
/// stay out).
fn chat_metadata() -> Value {
    json!({
        "model": "gpt-4o-mini-2024-07-18",
        "provider": "azure",
        "max_tokens": 100,
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["END"],
    })
}

fn origin() -> Value {
    json!({"span_origin": {
        "name": CRATE,
        "version": env!("CARGO_PKG_VERSION"),
        "instrumentation": {"name": CRATE},
    }})
}

#[test]
fn chat_with_content_matches_the_golden_row() {
    let spans = chat_spans(Chat::new(&VOCABULARY_DEFAULT));
    let row = row(named(&spans, CHAT_NAME));
    assert_golden(
        &row,
        &json!({
            "id": "<id>",
            "span_id": "<span>",
            "root_span_id": "<trace>",
            "span_attributes": {"name": CHAT_NAME, "type": "llm"},
            "input": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": SECRET_PROMPT},
            ],
            "output": [{
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": SECRET_ANSWER},
            }],
            "metadata": chat_metadata(),
            "metrics": {"prompt_tokens": 25, "completion_tokens": 7, "tokens": 32},
            "context": origin(),
        }),
    );
    // The timestamps that the golden leaves out, checked on their own.
    assert_eq!(row["created"], "2023-11-14T22:13:20.000000Z");
    assert_eq!(row["metrics"]["start"], json!(1_700_000_000.0));
    assert_eq!(row["metrics"]["end"], json!(1_700_000_001.5));
}

#[test]
fn chat_without_content_carries_no_content() {
    let chat = Chat {
        content: false,
        ..Chat::new(&VOCABULARY_DEFAULT)
    };
    let spans = chat_spans(chat);
    let row = row(named(&spans, CHAT_NAME));
    assert_golden(
        &row,
        &json!({
            "id": "<id>",
            "span_id": "<span>",
            "root_span_id": "<trace>",
            "span_attributes": {"name": CHAT_NAME, "type": "llm"},
            "output": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant"}}],
            "metadata": chat_metadata(),
            "metrics": {"prompt_tokens": 25, "completion_tokens": 7, "tokens": 32},
            "context": origin(),
        }),
    );
    let text = row.to_string();
    for secret in [SECRET_PROMPT, SECRET_ANSWER, "You are terse."] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
}

#[test]
fn streaming_records_time_to_first_token() {
    let chat = Chat {
        streaming: true,
        ..Chat::new(&VOCABULARY_DEFAULT)
    };
    let spans = chat_spans(chat);
    let row = row(named(&spans, CHAT_NAME));
    assert_eq!(row["metrics"]["time_to_first_token"], json!(0.125));
    assert!(
        row["metadata"]
            .get("gen_ai.response.time_to_first_chunk")
            .is_none()
    );
}

#[test]
fn tool_calls_with_content() {
    let chat = Chat {
        tools: true,
        ..Chat::new(&VOCABULARY_DEFAULT)
    };
    let spans = chat_spans(chat);
    let row = row(named(&spans, CHAT_NAME));
    assert_eq!(
        row["input"],
        json!([
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": SECRET_PROMPT},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": SECRET_TOOL, "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\":21}"},
        ])
    );
    assert_eq!(
        row["output"],
        json!([{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant",
            "tool_calls": [{"id": "call_2", "type": "function",
                "function": {"name": SECRET_TOOL, "arguments": "{\"city\":\"Lyon\"}"}}]}}])
    );
    assert_eq!(row["metadata"]["tools"][0]["function"]["name"], SECRET_TOOL);
    assert!(row["metadata"].get("gen_ai.tool.definitions").is_none());
}

#[test]
fn tool_calls_without_content_keep_only_ids_and_types() {
    let chat = Chat {
        tools: true,
        content: false,
        ..Chat::new(&VOCABULARY_DEFAULT)
    };
    let spans = chat_spans(chat);
    let row = row(named(&spans, CHAT_NAME));
    assert!(row.get("input").is_none());
    assert!(row["metadata"].get("tools").is_none());
    assert_eq!(
        row["output"],
        json!([{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant",
            "tool_calls": [{"id": "call_2", "type": "function"}]}}])
    );
    assert!(!row.to_string().contains(SECRET_TOOL));
}

#[test]
fn embeddings_count_prompt_tokens_only() {
    let harness = Harness::with_seq_ids();
    let provider = &harness.tracer_provider;
    emit_embeddings(
        &crate_tracer(provider),
        &Context::new(),
        &VOCABULARY_DEFAULT,
    );
    let spans = harness.spans();
    let row = row(named(&spans, EMBEDDINGS_NAME));
    assert_eq!(row["span_attributes"]["type"], "llm");
    assert_eq!(row["metrics"]["prompt_tokens"], 8);
    assert_eq!(row["metrics"]["tokens"], 8);
    assert!(row["metrics"].get("completion_tokens").is_none());
    assert_eq!(row["metadata"]["model"], "text-embedding-3-small");
    // `encoding_format` is not among the parameters the guide allows.
    assert_eq!(
        row["metadata"],
        json!({"model": "text-embedding-3-small", "provider": "azure"})
    );
    assert!(row.get("input").is_none() && row.get("output").is_none());
}

#[test]
fn an_error_span_carries_the_error() {
    let harness = Harness::with_seq_ids();
    let provider = &harness.tracer_provider;
    emit_chat_error(
        &crate_tracer(provider),
        &Context::new(),
        &VOCABULARY_DEFAULT,
    );
    let spans = harness.spans();
    let row = row(named(&spans, CHAT_NAME));
    assert_eq!(row["error"], "429: HTTP 429");
    assert!(row["metadata"].get("error.type").is_none());
    assert_eq!(row["metadata"]["model"], "gpt-4o-mini");
    assert!(row.get("output").is_none());
}

#[test]
fn the_user_span_is_a_task_row_and_the_parent_of_the_chat_row() {
    let harness = Harness::with_seq_ids();
    let provider = &harness.tracer_provider;
    in_user_span(provider, |cx| {
        emit_chat(&crate_tracer(provider), cx, Chat::new(&VOCABULARY_DEFAULT));
    });
    let spans = harness.spans();
    let user = row(named(&spans, "handle_request"));
    let chat = row(named(&spans, CHAT_NAME));

    assert_eq!(
        user["span_attributes"],
        json!({"name": "handle_request", "type": "task"})
    );
    assert!(
        user.get("span_parents").is_none(),
        "a root row lists no parents: {user}"
    );
    assert_eq!(user["metadata"], json!({"user.id": "u-1"}));
    assert_eq!(
        user["context"]["span_origin"]["instrumentation"]["name"],
        "my-app"
    );

    assert_eq!(chat["span_parents"], json!([user["span_id"]]));
    assert_eq!(chat["root_span_id"], user["root_span_id"]);
    assert_eq!(
        chat["id"],
        json!(format!(
            "{}-{}",
            chat["root_span_id"].as_str().unwrap_or_default(),
            chat["span_id"].as_str().unwrap_or_default()
        ))
    );
    assert_eq!(chat["span_id"].as_str().map(str::len), Some(16));
    assert_eq!(chat["root_span_id"].as_str().map(str::len), Some(32));
}

#[test]
fn spans_from_tracing_become_task_rows() {
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    let harness = Harness::with_seq_ids();
    let provider = &harness.tracer_provider;
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("my-app")));
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("handle_request", customer = "acme", attempt = 2);
        let _entered = span.enter();
        emit_chat(
            &crate_tracer(provider),
            &span.context(),
            Chat::new(&VOCABULARY_DEFAULT),
        );
    });
    let spans = harness.spans();
    let user = row(named(&spans, "handle_request"));
    let chat = row(named(&spans, CHAT_NAME));
    assert_eq!(user["span_attributes"]["type"], "task");
    assert_eq!(user["metadata"]["customer"], "acme");
    assert_eq!(user["metadata"]["attempt"], 2);
    assert_eq!(chat["span_parents"], json!([user["span_id"]]));
}

/// The metadata keys that are the vocabulary itself, and so legitimately
/// differ between the two: the provider key and the namespace key.
const VOCABULARY_KEYS: [&str; 4] = [
    VOCABULARY_DEFAULT.system_key,
    VOCABULARY_DEFAULT.namespace_key,
    VOCABULARY_LATEST.system_key,
    VOCABULARY_LATEST.namespace_key,
];

#[test]
fn both_vocabularies_give_the_same_row() {
    for (content, tools, streaming) in [
        (true, false, false),
        (true, true, true),
        (false, false, false),
        (false, true, false),
    ] {
        let rows: Vec<Value> = [&VOCABULARY_DEFAULT, &VOCABULARY_LATEST]
            .into_iter()
            .map(|vocabulary| {
                let chat = Chat {
                    vocabulary,
                    content,
                    tools,
                    streaming,
                };
                // A fresh pipeline each: same ids, same times.
                let spans = chat_spans(chat);
                row(named(&spans, CHAT_NAME))
            })
            .collect();
        let [today, latest] = <[Value; 2]>::try_from(rows).expect("two rows");

        // The keys that are the vocabulary itself are not allowed on an
        // llm row, so nothing is left to differ.
        for row in [&today, &latest] {
            for key in VOCABULARY_KEYS {
                assert!(row["metadata"].get(key).is_none(), "{key} in {row:#}");
            }
        }
        assert_eq!(
            today, latest,
            "content={content} tools={tools} streaming={streaming}"
        );
        assert_eq!(today["metadata"]["provider"], "azure");
        assert_eq!(today.get("input").is_some(), content);
    }
}

#[test]
fn the_golden_comparison_can_fail() {
    let spans = chat_spans(Chat::new(&VOCABULARY_DEFAULT));
    let row = row(named(&spans, CHAT_NAME));
    let golden = normalized(&row);
    assert_eq!(golden_mismatch(&row, &golden), None);

    // Timestamps and id values are outside the comparison...
    let mut moved = row.clone();
    moved["created"] = json!("2030-01-01T00:00:00Z");
    moved["metrics"]["start"] = json!(1.0);
    moved["span_id"] = json!("ffffffffffffffff");
    assert_eq!(golden_mismatch(&moved, &golden), None);

    // ...everything else is inside it, down to nested values.
    let mut changed = row.clone();
    changed["metadata"]["temperature"] = json!(0.3);
    assert!(golden_mismatch(&changed, &golden).is_some());
    let mut changed = row.clone();
    changed["output"][0]["message"]["content"] = json!("something else");
    assert!(golden_mismatch(&changed, &golden).is_some());
    let mut changed = row;
    changed
        .as_object_mut()
        .expect("object")
        .remove("span_parents");
    changed["span_parents"] = json!(["<parent>"]);
    assert!(golden_mismatch(&changed, &golden).is_some());
}

#[test]
fn schema_validation_can_fail() {
    let spans = chat_spans(Chat::new(&VOCABULARY_DEFAULT));
    let good = row(named(&spans, CHAT_NAME));
    let schema = row_schema();
    assert!(schema.errors(&good).is_empty());

    // OpenAPI `nullable` became JSON Schema null, also through a `$ref`.
    let mut nulls = good.clone();
    nulls["metadata"] = Value::Null;
    nulls["span_attributes"]["type"] = Value::Null;
    nulls["span_parents"] = Value::Null;
    assert_eq!(schema.errors(&nulls), Vec::<String>::new());

    for (path, bad) in [
        ("/metrics/prompt_tokens", json!("twenty-five")),
        ("/span_parents", json!("not-an-array")),
        ("/span_attributes/type", json!("banana")),
        ("/created", json!("yesterday")),
        ("/metrics/time_to_first_token", json!("fast")),
    ] {
        let mut row = good.clone();
        let (parent, key) = path.rsplit_once('/').expect("a JSON pointer");
        row.pointer_mut(parent).expect("parent exists")[key] = bad;
        assert!(!schema.errors(&row).is_empty(), "{path} should be rejected");
    }
}
