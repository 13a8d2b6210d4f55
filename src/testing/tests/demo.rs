//! Demo mode: the canned answers when nothing is scripted.

use super::*;

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
