//! Server-sent event streams: exact bytes, truncation, malformed lines, disconnects.

use super::*;

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
