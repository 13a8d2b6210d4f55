//! Tests of the mock server over real loopback HTTP.

use std::io::{Read as _, Write as _};
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use futures::{FutureExt as _, StreamExt as _};
use serde_json::{Value, json};

use super::{MockInferenceServer, Reply};

const API_VERSION: &str = "api-version=2024-05-01-preview";

/// Generous bound so a broken server fails a test instead of hanging it.
const GUARD: Duration = Duration::from_secs(30);

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn url(server: &MockInferenceServer, path: &str) -> String {
    format!("{}{path}?{API_VERSION}", server.endpoint())
}

async fn post(server: &MockInferenceServer, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(url(server, path))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn post_json(server: &MockInferenceServer, path: &str, body: &Value) -> (u16, Value) {
    let response = post(server, path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn chat_body(text: &str) -> Value {
    json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]})
}

/// Splits an SSE body into its events, asserting the exact framing: every
/// event is one or more `data: ` lines ended by a blank line.
fn sse_payloads(body: &str) -> Vec<String> {
    assert!(
        body.ends_with("\n\n"),
        "SSE body must end with a blank line: {body:?}"
    );
    body[..body.len() - 2]
        .split("\n\n")
        .map(|event| {
            let payload = event
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("event without `data: `: {event:?}"));
            assert!(
                !payload.contains('\n'),
                "unexpected multi-line event: {event:?}"
            );
            payload.to_owned()
        })
        .collect()
}

fn decode_base64_f32(s: &str) -> Vec<f32> {
    BASE64_STANDARD
        .decode(s)
        .unwrap()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

// ---------------------------------------------------------------- demo mode

#[tokio::test]
async fn demo_chat_answers_realistically() {
    let server = MockInferenceServer::start().await.unwrap();
    let (status, body) = post_json(
        &server,
        "/chat/completions",
        &chat_body("What is the capital of France, please?"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body["id"].as_str().unwrap().starts_with("chatcmpl-"),
        "{body}"
    );
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(body["model"], "demo-model");
    let choice = &body["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["message"]["role"], "assistant");
    let content = choice["message"]["content"].as_str().unwrap();
    assert!(content.contains("demo endpoint"), "{content}");
    assert!(
        content.contains("\"What is the capital of France, please?\""),
        "{content}"
    );
    assert_eq!(body["choices"].as_array().unwrap().len(), 1);
    // 2 + 7 words of prompt.
    assert_eq!(body["usage"]["prompt_tokens"], 9);
    let completion = content.split_whitespace().count() as u64;
    assert_eq!(body["usage"]["completion_tokens"], completion);
    assert_eq!(body["usage"]["total_tokens"], 9 + completion);

    // Deterministic text, model echoed.
    let mut request = chat_body("What is the capital of France, please?");
    request["model"] = json!("gpt-4o-mini");
    let (_, again) = post_json(&server, "/chat/completions", &request).await;
    assert_eq!(again["choices"][0]["message"]["content"], content);
    assert_eq!(again["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn demo_chat_matches_azure_openai_paths() {
    let server = MockInferenceServer::start().await.unwrap();
    let (status, body) = post_json(
        &server,
        "/openai/deployments/gpt-4o/chat/completions",
        &chat_body("hi"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "chat.completion");
}

#[tokio::test]
async fn demo_chat_streams_the_same_answer() {
    let server = MockInferenceServer::start().await.unwrap();
    let (_, plain) = post_json(&server, "/chat/completions", &chat_body("tell me a story")).await;
    let expected = plain["choices"][0]["message"]["content"].as_str().unwrap();

    let mut request = chat_body("tell me a story");
    request["stream"] = json!(true);
    let response = post(&server, "/chat/completions", &request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    let payloads = sse_payloads(&text);
    assert_eq!(payloads.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = payloads[..payloads.len() - 1]
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-"));
    for chunk in &chunks {
        assert_eq!(chunk["id"], id);
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "demo-model");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let streamed: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(streamed, expected);
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    for chunk in &chunks[..chunks.len() - 2] {
        assert_eq!(chunk["choices"][0]["finish_reason"], Value::Null);
    }
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"], plain["usage"]);
}

#[tokio::test]
async fn demo_chat_calls_the_first_tool_then_answers_the_result() {
    let server = MockInferenceServer::start().await.unwrap();
    let tools = json!([
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "get_time"}}
    ]);
    let mut request = chat_body("weather in Paris?");
    request["tools"] = tools.clone();
    let (_, body) = post_json(&server, "/chat/completions", &request).await;
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert!(call["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(call["type"], "function");
    assert_eq!(
        call["function"],
        json!({"name": "get_weather", "arguments": "{}"})
    );

    // Streamed tool call.
    request["stream"] = json!(true);
    let text = post(&server, "/chat/completions", &request)
        .await
        .text()
        .await
        .unwrap();
    let payloads = sse_payloads(&text);
    assert_eq!(payloads.last().unwrap(), "[DONE]");
    let first: Value = serde_json::from_str(&payloads[0]).unwrap();
    assert_eq!(
        first["choices"][0]["delta"]["tool_calls"][0]["function"]["name"],
        "get_weather"
    );
    let finish: Value = serde_json::from_str(&payloads[payloads.len() - 3]).unwrap();
    assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");

    // After the tool result, a text answer (no endless tool loop).
    let request = json!({
        "tools": tools,
        "messages": [
            {"role": "user", "content": "weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny, 21 C"}
        ]
    });
    let (_, body) = post_json(&server, "/chat/completions", &request).await;
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let content = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(content.contains("sunny, 21 C"), "{content}");
}

#[tokio::test]
async fn demo_chat_honours_max_tokens() {
    let server = MockInferenceServer::start().await.unwrap();
    let mut request = chat_body("hello");
    request["max_tokens"] = json!(3);
    let (_, body) = post_json(&server, "/chat/completions", &request).await;
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    assert_eq!(body["choices"][0]["message"]["content"], "Hello! This is");
    assert_eq!(body["usage"]["completion_tokens"], 3);
}

#[tokio::test]
async fn demo_embeddings_are_deterministic_and_honour_options() {
    let server = MockInferenceServer::start().await.unwrap();
    let request =
        json!({"input": ["first text", "second one here"], "model": "text-embedding-3-small"});
    let (status, body) = post_json(&server, "/embeddings", &request).await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], "text-embedding-3-small");
    assert!(body["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 5, "total_tokens": 5})
    );
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    for (i, item) in data.iter().enumerate() {
        assert_eq!(item["object"], "embedding");
        assert_eq!(item["index"], i);
        let v = floats(&item["embedding"]);
        assert_eq!(v.len(), 8);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "norm {norm}");
    }
    assert_ne!(data[0]["embedding"], data[1]["embedding"]);

    // Same input, same vector; a single string works too.
    let (_, single) = post_json(&server, "/embeddings", &json!({"input": "first text"})).await;
    assert_eq!(single["data"][0]["embedding"], data[0]["embedding"]);
    assert_eq!(single["model"], "demo-model");

    // dimensions
    let (_, wide) = post_json(
        &server,
        "/embeddings",
        &json!({"input": ["x"], "dimensions": 32}),
    )
    .await;
    assert_eq!(wide["data"][0]["embedding"].as_array().unwrap().len(), 32);

    // base64 is the little-endian f32 of the float answer.
    let (_, b64) = post_json(
        &server,
        "/embeddings",
        &json!({"input": ["first text"], "encoding_format": "base64"}),
    )
    .await;
    let decoded = decode_base64_f32(b64["data"][0]["embedding"].as_str().unwrap());
    assert_eq!(decoded, floats(&data[0]["embedding"]));

    let (status, error) = post_json(
        &server,
        "/embeddings",
        &json!({"input": ["x"], "encoding_format": "int8"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("encoding_format")
    );
}

#[tokio::test]
async fn demo_image_embeddings() {
    let server = MockInferenceServer::start().await.unwrap();
    let request = json!({"input": [
        {"image": "data:image/png;base64,iVBORw0KGgo="},
        {"image": "data:image/png;base64,AAAA", "text": "a cat"}
    ]});
    let (status, body) = post_json(&server, "/images/embeddings", &request).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"][1]["index"], 1);
    assert_eq!(floats(&body["data"][0]["embedding"]).len(), 8);
    assert_eq!(body["usage"]["prompt_tokens"], 4);

    let (status, error) = post_json(
        &server,
        "/images/embeddings",
        &json!({"input": [{"text": "no image"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("image"),
        "{error}"
    );
}

#[tokio::test]
async fn demo_info() {
    let server = MockInferenceServer::start().await.unwrap();
    let response = client().get(url(&server, "/info")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"model_name": "demo-model", "model_type": "chat-completion", "model_provider_name": "azure-ai-inference-otel demo"})
    );
}

#[tokio::test]
async fn demo_errors_use_the_service_error_shape() {
    let server = MockInferenceServer::start().await.unwrap();

    let response = client()
        .post(url(&server, "/completions"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NotFound");
    assert_eq!(body["error"]["status"], 404);

    let response = client()
        .post(url(&server, "/chat/completions"))
        .header("content-type", "application/json")
        .body(r#"{"messages": [}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "BadRequest");
    assert_eq!(body["error"]["status"], 400);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("not valid JSON") && message.contains("line 1"),
        "{message}"
    );

    let (status, body) = post_json(&server, "/chat/completions", &json!({"model": "x"})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("messages")
    );

    let response = client()
        .get(url(&server, "/chat/completions"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

// ---------------------------------------------------------------- scripting

#[tokio::test]
async fn enqueued_replies_are_taken_in_order_by_any_route() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::json(201, json!({"first": true})));
    server.enqueue(
        Reply::error(429, "RateLimitExceeded", "Too many requests").with_header("retry-after", "7"),
    );
    assert_eq!(server.pending_replies(), 2);

    // Taken by an embeddings request although it is chat-shaped: any route.
    let (status, body) = post_json(&server, "/embeddings", &json!({"input": "x"})).await;
    assert_eq!((status, body), (201, json!({"first": true})));

    let response = client().get(url(&server, "/info")).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(response.headers()["x-ms-error-code"], "RateLimitExceeded");
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"code": "RateLimitExceeded", "message": "Too many requests", "status": 429}})
    );
    assert_eq!(server.pending_replies(), 0);

    // Queue empty: demo mode again.
    let response = client().get(url(&server, "/info")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn raw_replies_are_sent_verbatim() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::raw(
        200,
        "application/json",
        r#"{"id": "chatcmpl-1", "choices": ["#,
    ));
    server.enqueue(
        Reply::raw(502, "text/html", "<html>Bad gateway</html>")
            .with_header("content-type", "text/html; charset=utf-8"),
    );
    let response = post(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"id": "chatcmpl-1", "choices": ["#
    );
    let response = post(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers().get_all("content-type").iter().count(), 1);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap(), "<html>Bad gateway</html>");
}

#[tokio::test]
async fn chat_helpers_build_real_payloads() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("Paris is the capital."));
    server.enqueue(Reply::chat_tool_calls([
        ("call_1", "get_weather", r#"{"city":"Paris"}"#),
        ("call_2", "get_time", "{}"),
    ]));
    server.enqueue(Reply::chat_choices([
        ("one", "stop"),
        ("two two", "length"),
    ]));
    server.enqueue(
        Reply::chat_completion("pinned")
            .with_model("gpt-4o-2024-08-06")
            .with_usage(11, 22),
    );

    let mut request = chat_body("capital of France");
    request["model"] = json!("gpt-4o");
    let (status, body) = post_json(&server, "/chat/completions", &request).await;
    assert_eq!(status, 200);
    assert_eq!(body["model"], "gpt-4o", "the requested model is echoed");
    assert_eq!(body["object"], "chat.completion");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(
        body["choices"][0]["message"],
        json!({"role": "assistant", "content": "Paris is the capital."})
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9})
    );

    let (_, body) = post_json(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(body["model"], "demo-model");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(body["choices"][0]["message"]["content"], Value::Null);
    assert_eq!(
        body["choices"][0]["message"]["tool_calls"],
        json!([
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
        ])
    );

    let (_, body) = post_json(&server, "/chat/completions", &chat_body("x")).await;
    let choices = body["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 2);
    assert_eq!(choices[1]["index"], 1);
    assert_eq!(choices[1]["message"]["content"], "two two");
    assert_eq!(choices[1]["finish_reason"], "length");
    assert_eq!(body["usage"]["completion_tokens"], 3);

    let (_, body) = post_json(&server, "/chat/completions", &request).await;
    assert_eq!(body["model"], "gpt-4o-2024-08-06");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 11, "completion_tokens": 22, "total_tokens": 33})
    );
}

#[tokio::test]
async fn embeddings_and_info_helpers() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::embeddings(3, 4));
    server.enqueue(Reply::embeddings(1, 4));
    server.enqueue(Reply::model_info("Phi-4", "chat-completion", "Microsoft"));

    let (_, body) = post_json(&server, "/embeddings", &json!({"input": ["a", "b", "c d"]})).await;
    assert_eq!(body["object"], "list");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(floats(&data[2]["embedding"]).len(), 4);
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 4, "total_tokens": 4})
    );

    let (_, body) = post_json(
        &server,
        "/embeddings",
        &json!({"input": ["a"], "encoding_format": "base64"}),
    )
    .await;
    assert_eq!(
        decode_base64_f32(body["data"][0]["embedding"].as_str().unwrap()).len(),
        4
    );

    let body: Value = client()
        .get(url(&server, "/info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body,
        json!({"model_name": "Phi-4", "model_type": "chat-completion", "model_provider_name": "Microsoft"})
    );
}

// ---------------------------------------------------------------- streams

#[tokio::test]
async fn chat_stream_bytes_are_exact_sse() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["Hel", "lo", " world"]));
    let mut request = chat_body("say hello");
    request["stream"] = json!(true);
    request["model"] = json!("Phi-4");
    let response = post(&server, "/chat/completions", &request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    let payloads = sse_payloads(&text);
    assert_eq!(
        payloads.len(),
        6,
        "3 pieces + finish + usage + [DONE]: {text}"
    );
    assert!(text.ends_with("\n\ndata: [DONE]\n\n"));
    let chunks: Vec<Value> = payloads[..5]
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    let id = chunks[0]["id"].clone();
    let created = chunks[0]["created"].clone();
    let base = |choices: Value| json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": "Phi-4", "choices": choices});
    assert_eq!(
        chunks[0],
        base(
            json!([{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": null}])
        )
    );
    assert_eq!(
        chunks[1],
        base(json!([{"index": 0, "delta": {"content": "lo"}, "finish_reason": null}]))
    );
    assert_eq!(
        chunks[2],
        base(json!([{"index": 0, "delta": {"content": " world"}, "finish_reason": null}]))
    );
    assert_eq!(
        chunks[3],
        base(json!([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    );
    let mut usage = base(json!([]));
    usage["usage"] = json!({"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7});
    assert_eq!(chunks[4], usage);
    assert_eq!(payloads[5], "[DONE]");
}

#[tokio::test]
async fn raw_sse_options_shape_the_bytes() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::sse([r#"{"a":1}"#, r#"{"b":2}"#]));
    server.enqueue(Reply::sse([r#"{"a":1}"#, r#"{"b":2}"#]).without_done());
    server.enqueue(Reply::sse([r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#]).truncated_after(1));
    server
        .enqueue(Reply::sse([r#"{"a":1}"#, r#"{"b":2}"#]).with_malformed_line(1, r#"data: {"b":"#));
    server.enqueue(Reply::sse([r#"{"a":1}"#]).with_malformed_line(9, "event: error"));

    let mut bodies = Vec::new();
    for _ in 0..5 {
        bodies.push(
            post(&server, "/chat/completions", &chat_body("x"))
                .await
                .text()
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        bodies[0],
        "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n"
    );
    assert_eq!(bodies[1], "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n");
    assert!(!bodies[1].contains("[DONE]"));
    assert_eq!(bodies[2], "data: {\"a\":1}\n\n");
    assert_eq!(
        bodies[3],
        "data: {\"a\":1}\n\ndata: {\"b\":\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n"
    );
    assert_eq!(
        bodies[4],
        "data: {\"a\":1}\n\nevent: error\n\ndata: [DONE]\n\n"
    );
}

#[tokio::test]
async fn streamed_tool_call_helper() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream_tool_call(
        "call_9",
        "lookup",
        [r#"{"q":"#, r#""rust"}"#],
    ));
    let text = post(&server, "/chat/completions", &chat_body("x"))
        .await
        .text()
        .await
        .unwrap();
    let payloads = sse_payloads(&text);
    assert_eq!(payloads.len(), 6);
    let chunks: Vec<Value> = payloads[..5]
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    let opening = &chunks[0]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(opening["id"], "call_9");
    assert_eq!(opening["function"]["name"], "lookup");
    let arguments: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(arguments, r#"{"q":"rust"}"#);
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "tool_calls");
    assert!(chunks[4]["usage"].is_object());
}

#[tokio::test]
async fn disconnect_mid_stream_is_a_body_error() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b", "c"]).with_disconnect_after(2));
    let response = post(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut received = Vec::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    assert!(error.is_some(), "the body must end with an error");
    let received = String::from_utf8(received).unwrap();
    assert_eq!(sse_payloads(&received).len(), 2, "{received}");
    assert!(!received.contains("[DONE]"));

    // The server keeps serving afterwards.
    let (status, _) = post_json(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn disconnect_reply_gives_no_response() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::disconnect());
    let result = async {
        let response = client()
            .post(url(&server, "/chat/completions"))
            .json(&chat_body("x"))
            .send()
            .await?;
        response.bytes().await
    }
    .await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(server.requests().len(), 1);
}

// ---------------------------------------------------------------- delays

#[tokio::test]
async fn delayed_reply_lets_a_later_request_finish_first() {
    let server = MockInferenceServer::start().await.unwrap();
    // An hour: the ordering below cannot depend on how fast the machine is.
    server.enqueue(Reply::delayed(
        Duration::from_secs(3600),
        Reply::chat_completion("slow"),
    ));
    server.enqueue(Reply::chat_completion("fast"));

    let endpoint = url(&server, "/chat/completions");
    let slow =
        tokio::spawn(async move { client().post(endpoint).json(&chat_body("x")).send().await });
    // The slow request has taken the delayed reply before the fast one is sent.
    tokio::time::timeout(GUARD, server.wait_for_requests(1))
        .await
        .unwrap();
    let (status, body) = post_json(&server, "/chat/completions", &chat_body("y")).await;
    assert_eq!(
        (status, body["choices"][0]["message"]["content"].as_str()),
        (200, Some("fast"))
    );
    assert!(
        !slow.is_finished(),
        "the delayed reply must still be held back"
    );
    assert_eq!(server.requests().len(), 2);
    drop(server);
    let result = tokio::time::timeout(GUARD, slow).await.unwrap().unwrap();
    assert!(
        result.is_err(),
        "dropping the server cuts the delayed reply: {result:?}"
    );
}

#[tokio::test]
async fn delayed_reply_is_answered_after_the_delay() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("later").with_delay(Duration::from_millis(20)));
    let (status, body) = post_json(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(
        (status, body["choices"][0]["message"]["content"].as_str()),
        (200, Some("later"))
    );
}

#[tokio::test]
async fn event_delay_holds_events_but_not_headers() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b"]).with_event_delay(Duration::from_secs(3600)));
    server.enqueue(Reply::chat_completion("fast"));

    // Status and headers come at once; the events are held back while the
    // server goes on answering other requests.
    let response = post(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response.bytes_stream();
    let (status, body) = post_json(&server, "/chat/completions", &chat_body("y")).await;
    assert_eq!(
        (status, body["choices"][0]["message"]["content"].as_str()),
        (200, Some("fast"))
    );
    assert!(
        stream.next().now_or_never().is_none(),
        "no event may have been sent yet"
    );
    drop(server);
    let cut = tokio::time::timeout(GUARD, stream.next()).await.unwrap();
    assert!(matches!(cut, Some(Err(_))), "{cut:?}");
}

#[tokio::test]
async fn event_delay_still_sends_every_event() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b"]).with_event_delay(Duration::from_millis(5)));
    let text = post(&server, "/chat/completions", &chat_body("x"))
        .await
        .text()
        .await
        .unwrap();
    let payloads = sse_payloads(&text);
    assert_eq!(payloads.len(), 5);
    assert_eq!(payloads[4], "[DONE]");
}

// ---------------------------------------------------------------- recording

#[tokio::test]
async fn requests_are_recorded_with_headers_query_and_body() {
    let server = MockInferenceServer::start().await.unwrap();
    let body = json!({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5});
    client()
        .post(format!(
            "{}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21&x=a%20b",
            server.endpoint()
        ))
        .header("api-key", "secret-key")
        .header("X-Custom-Header", "Value")
        .header("extra-parameters", "pass-through")
        .json(&body)
        .send()
        .await
        .unwrap();
    client().get(url(&server, "/info")).send().await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let chat = &requests[0];
    assert_eq!(chat.method, "POST");
    assert_eq!(chat.path, "/openai/deployments/gpt-4o/chat/completions");
    assert_eq!(chat.query, "api-version=2024-10-21&x=a%20b");
    assert_eq!(
        chat.query_param("api-version").as_deref(),
        Some("2024-10-21")
    );
    assert_eq!(chat.query_param("x").as_deref(), Some("a b"));
    assert_eq!(chat.query_param("missing"), None);
    assert_eq!(chat.header("api-key"), Some("secret-key"));
    assert_eq!(chat.header("X-CUSTOM-HEADER"), Some("Value"));
    assert!(
        chat.headers
            .iter()
            .any(|(n, v)| n == "x-custom-header" && v == "Value")
    );
    assert!(
        chat.headers
            .iter()
            .all(|(n, _)| *n == n.to_ascii_lowercase())
    );
    assert_eq!(chat.header("content-type"), Some("application/json"));
    assert_eq!(chat.json(), Some(body.clone()));
    assert_eq!(chat.body, serde_json::to_vec(&body).unwrap());
    let info = &requests[1];
    assert_eq!((info.method.as_str(), info.path.as_str()), ("GET", "/info"));
    assert!(info.body.is_empty());
    assert_eq!(info.json(), None);
}

#[tokio::test]
async fn requests_are_recorded_before_the_answer() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("late").with_delay(Duration::from_secs(3600)));
    let endpoint = url(&server, "/chat/completions");
    let pending =
        tokio::spawn(async move { client().post(endpoint).json(&chat_body("x")).send().await });
    let requests = tokio::time::timeout(GUARD, server.wait_for_requests(1))
        .await
        .unwrap();
    assert_eq!(requests[0].json().unwrap()["messages"][1]["content"], "x");
    assert!(!pending.is_finished());
    // Dropping the server cuts the hour-long wait short.
    drop(server);
    let result = tokio::time::timeout(GUARD, pending).await.unwrap().unwrap();
    assert!(result.is_err(), "{result:?}");
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test]
async fn server_stops_on_drop() {
    let server = MockInferenceServer::start().await.unwrap();
    let endpoint = url(&server, "/info");
    // A pooled keep-alive connection must not outlive the server either.
    let pooled = client();
    assert_eq!(pooled.get(&endpoint).send().await.unwrap().status(), 200);
    drop(server);
    let fresh = client().get(&endpoint).send().await;
    let error = fresh.expect_err("a fresh connection after drop");
    assert!(error.is_connect(), "{error:?}");
    let reused = pooled.get(&endpoint).send().await;
    assert!(reused.is_err(), "{reused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stops_on_drop_multi_thread() {
    let server = MockInferenceServer::start().await.unwrap();
    let addr = server.addr();
    assert_eq!(
        client()
            .get(url(&server, "/info"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(server);
    let error = tokio::net::TcpStream::connect(addr)
        .await
        .expect_err("connect after drop");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn start_outside_a_runtime_is_an_error() {
    let error = futures::executor::block_on(MockInferenceServer::start()).expect_err("no runtime");
    assert!(error.to_string().contains("start_background"), "{error}");
}

/// A minimal blocking HTTP/1.1 exchange, to test without any runtime.
fn blocking_request(addr: std::net::SocketAddr, request: &str) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(GUARD))?;
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

#[test]
fn start_background_serves_synchronous_code() {
    let server = MockInferenceServer::start_background().unwrap();
    let addr = server.addr();
    assert!(server.endpoint().starts_with("http://127.0.0.1:"));
    assert_eq!(server.endpoint(), format!("http://{addr}"));

    let body = r#"{"messages":[{"role":"user","content":"hello from sync"}]}"#;
    let request = format!(
        "POST /chat/completions?{API_VERSION} HTTP/1.1\r\nhost: {addr}\r\napi-key: k\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = blocking_request(addr, &request).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let json_start = response.find("\r\n\r\n").unwrap() + 4;
    let answer: Value = serde_json::from_str(&response[json_start..]).unwrap();
    assert!(
        answer["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .contains("\"hello from sync\"")
    );

    server.enqueue(Reply::error(503, "ServiceUnavailable", "busy"));
    let response = blocking_request(addr, &request).unwrap();
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("api-key"), Some("k"));
    assert_eq!(requests[0].body, body.as_bytes());

    drop(server);
    let error = std::net::TcpStream::connect(addr).expect_err("connect after drop");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn start_background_works_inside_a_runtime_and_drops_promptly() {
    let server = MockInferenceServer::start_background().unwrap();
    server
        .enqueue(Reply::chat_stream(["never", "ends"]).with_event_delay(Duration::from_secs(3600)));
    let response = post(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(response.status(), 200);
    let addr = server.addr();
    // An answer still in progress must not keep the drop waiting.
    drop(server);
    let body = tokio::time::timeout(GUARD, response.bytes()).await.unwrap();
    assert!(body.is_err(), "{body:?}");
    let error = tokio::net::TcpStream::connect(addr)
        .await
        .expect_err("connect after drop");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn headers_replace_earlier_values() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(
        Reply::error(500, "InternalServerError", "boom")
            .with_header("X-MS-Error-Code", "Overridden")
            .with_header("x-custom", "1")
            .with_header("x-custom", "2")
            .with_header("bad header name", "skipped"),
    );
    let response = post(&server, "/chat/completions", &chat_body("x")).await;
    let values = |name: &str| -> Vec<String> {
        response
            .headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(values("x-ms-error-code"), ["Overridden"]);
    assert_eq!(values("x-custom"), ["2"]);
    assert_eq!(response.status(), 500);
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>(_: &T) {}
    assert_send_sync::<MockInferenceServer>();
    assert_send_sync::<Reply>();
    assert_send_sync::<super::RecordedRequest>();
    assert_send(&MockInferenceServer::start());
    let server = MockInferenceServer::start_background().unwrap();
    assert_send(&server.wait_for_requests(0));
    // Shared between threads through an Arc.
    let shared = std::sync::Arc::new(server);
    let other = std::sync::Arc::clone(&shared);
    std::thread::spawn(move || other.enqueue(Reply::chat_completion("x")))
        .join()
        .unwrap();
    assert_eq!(shared.pending_replies(), 1);
}

#[tokio::test]
async fn debug_output_is_concise() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("x"));
    let debug = format!("{server:?}");
    assert!(debug.contains("pending_replies: 1"), "{debug}");
    assert!(debug.contains(&server.addr().to_string()), "{debug}");
    assert!(format!("{:?}", Reply::chat_completion("x")).contains("Reply"));
}
