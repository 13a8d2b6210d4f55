//! Scripted replies: order, verbatim bodies, realistic payload helpers.

use super::*;

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
