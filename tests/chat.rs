//! Chat completions against a loopback server speaking the real wire format:
//! the span's exact attributes and events, and what goes on the wire.

mod support;
use support::client as client_support;
use support::telemetry;

use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatCompletionsResponseFormat, ChatCompletionsToolDefinition,
    ChatRequestMessage, FunctionDefinition,
};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status};
use serde_json::json;
use telemetry::{Harness, attrs, kv_map, string_array};

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![
        ChatRequestMessage::system("You are terse."),
        ChatRequestMessage::user("What is the capital of France?"),
    ])
    .with_model("gpt-4o-mini")
    .with_temperature(0.25)
    .with_max_tokens(64)
    .with_seed(7)
    .with_stop(["END"])
}

#[tokio::test]
async fn success_records_the_exact_span() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(
        Reply::chat_completion("Paris.")
            .with_model("gpt-4o-mini-2024-07-18")
            .with_usage(20, 2),
    );
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));

    let answer = client.complete(request()).await.unwrap();
    assert_eq!(answer.content(), Some("Paris."));

    let spans = h.spans();
    assert_eq!(spans.len(), 1, "one span, ended once");
    let s = &spans[0];
    assert_eq!(s.name, "chat gpt-4o-mini");
    assert_eq!(s.span_kind, SpanKind::Client);
    assert_eq!(s.status, Status::Unset);
    let a = attrs(s);
    let keys: Vec<&str> = a.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "az.namespace",
            "gen_ai.operation.name",
            "gen_ai.request.max_tokens",
            "gen_ai.request.model",
            "gen_ai.request.seed",
            "gen_ai.request.stop_sequences",
            "gen_ai.request.temperature",
            "gen_ai.response.finish_reasons",
            "gen_ai.response.id",
            "gen_ai.response.model",
            "gen_ai.system",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "server.address",
            "server.port",
        ]
    );
    assert_eq!(a["gen_ai.system"], Value::from("az.ai.inference"));
    assert_eq!(a["gen_ai.operation.name"], Value::from("chat"));
    assert_eq!(a["server.address"], Value::from("127.0.0.1"));
    assert_eq!(
        a["server.port"],
        Value::I64(i64::from(server.addr().port()))
    );
    assert_eq!(a["gen_ai.request.max_tokens"], Value::I64(64));
    assert_eq!(a["gen_ai.request.seed"], Value::I64(7));
    assert_eq!(a["gen_ai.request.temperature"], Value::F64(0.25));
    assert_eq!(a["gen_ai.response.id"], Value::from(answer.id.clone()));
    assert_eq!(
        a["gen_ai.response.model"],
        Value::from("gpt-4o-mini-2024-07-18")
    );
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["stop"]
    );
    assert_eq!(a["gen_ai.usage.input_tokens"], Value::I64(20));
    assert_eq!(a["gen_ai.usage.output_tokens"], Value::I64(2));

    let events: Vec<_> = s.events.iter().collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name, "gen_ai.choice");
    let body = kv_map(&events[0].attributes)["gen_ai.event.content"]
        .as_str()
        .into_owned();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!({"finish_reason": "stop", "index": 0})
    );
}

#[tokio::test]
async fn request_carries_traceparent_auth_headers_and_api_version() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    client.complete(request()).await.unwrap();

    let spans = h.spans();
    let sc = spans[0].span_context.clone();
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/chat/completions");
    assert_eq!(
        r.query_param("api-version").as_deref(),
        Some("2024-05-01-preview")
    );
    assert_eq!(r.header("api-key"), Some(client_support::KEY));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {}", client_support::KEY).as_str())
    );
    let traceparent = r.header("traceparent").expect("traceparent header");
    assert_eq!(
        traceparent,
        format!("00-{}-{}-01", sc.trace_id(), sc.span_id())
    );
    let body = r.json().unwrap();
    assert_eq!(body["model"], json!("gpt-4o-mini"));
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "What is the capital of France?"})
    );
    assert!(
        body.get("stream").is_none(),
        "stream is not sent on a plain completion"
    );
}

#[tokio::test]
async fn default_model_is_sent_and_named_and_unknown_model_is_never_invented() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let with_default = client_support::chat(
        &server,
        client_support::options(&h, false).with_model("phi-4"),
    );
    let messages = vec![ChatRequestMessage::user("hi")];
    with_default
        .complete(ChatCompletionsOptions::new(messages.clone()))
        .await
        .unwrap();
    let without = client_support::chat(&server, client_support::options(&h, false));
    without
        .complete(ChatCompletionsOptions::new(messages))
        .await
        .unwrap();

    let spans = h.spans();
    assert_eq!(spans[0].name, "chat phi-4");
    assert_eq!(
        attrs(&spans[0])["gen_ai.request.model"],
        Value::from("phi-4")
    );
    assert_eq!(
        server.requests()[0].json().unwrap()["model"],
        json!("phi-4")
    );
    assert_eq!(spans[1].name, "chat");
    assert!(!attrs(&spans[1]).contains_key("gen_ai.request.model"));
    assert!(server.requests()[1].json().unwrap().get("model").is_none());
}

#[tokio::test]
async fn tool_calls_with_content_recording() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_tool_calls([(
        "call_1",
        "get_weather",
        r#"{"city":"Paris"}"#,
    )]));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, true));
    let tools = vec![ChatCompletionsToolDefinition::function(
        FunctionDefinition::new("get_weather").with_parameters(json!({"type": "object"})),
    )];
    let answer = client.complete(request().with_tools(tools)).await.unwrap();
    let calls = answer.choices[0].message.tool_calls.as_ref().unwrap();
    assert_eq!(calls[0].function.name, "get_weather");

    let spans = h.spans();
    let s = &spans[0];
    let a = attrs(s);
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["tool_calls"]
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&a["gen_ai.tool.definitions"].as_str()).unwrap(),
        json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}])
    );
    let names: Vec<&str> = s.events.iter().map(|e| e.name.as_ref()).collect();
    assert_eq!(
        names,
        vec![
            "gen_ai.system.message",
            "gen_ai.user.message",
            "gen_ai.choice"
        ]
    );
    let user = kv_map(&s.events.events[1].attributes);
    assert_eq!(
        user["gen_ai.event.content"],
        Value::from(r#"{"role":"user","content":"What is the capital of France?"}"#),
        "the message exactly as sent"
    );
    let choice = kv_map(&s.events.events[2].attributes);
    let body: serde_json::Value =
        serde_json::from_str(&choice["gen_ai.event.content"].as_str()).unwrap();
    assert_eq!(
        body,
        json!({"message": {"content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}, "finish_reason": "tool_calls", "index": 0})
    );
    let times: Vec<_> = s.events.iter().map(|e| e.timestamp).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn two_choices_are_ordered_by_index() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_choices([
        ("first", "stop"),
        ("second", "length"),
    ]));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let answer = client.complete(request()).await.unwrap();
    assert_eq!(answer.choices.len(), 2);
    let spans = h.spans();
    let s = &spans[0];
    assert_eq!(
        string_array(&attrs(s)["gen_ai.response.finish_reasons"]),
        vec!["stop", "length"]
    );
    let indices: Vec<serde_json::Value> = s
        .events
        .iter()
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(
                &kv_map(&e.attributes)["gen_ai.event.content"].as_str(),
            )
            .unwrap()["index"]
                .clone()
        })
        .collect();
    assert_eq!(indices, vec![json!(0), json!(1)]);
}

#[tokio::test]
async fn response_format_sets_output_type() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    client
        .complete(request().with_response_format(ChatCompletionsResponseFormat::JsonObject))
        .await
        .unwrap();
    assert_eq!(
        attrs(&h.spans()[0])["gen_ai.output.type"],
        Value::from("json")
    );
}

#[tokio::test]
async fn model_info_reads_the_info_route() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let info = client.get_model_info().await.unwrap();
    assert!(!info.model_name.is_empty());
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/info"));
    assert_eq!(
        r.query_param("api-version").as_deref(),
        Some("2024-05-01-preview")
    );
}
