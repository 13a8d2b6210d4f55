//! With content recording off, no message text, tool name, tool argument,
//! embedding input or image data reaches any exported attribute or event,
//! on any path: success, errors, truncation, cancellation.

mod support;
use support::client as client_support;
use support::telemetry;

use std::time::Duration;

use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatCompletionsToolDefinition, ChatRequestMessage, EmbeddingsOptions,
    FunctionDefinition, ImageEmbeddingInput, ImageEmbeddingsOptions,
};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use serde_json::json;
use telemetry::{Harness, dump};

/// Every secret below contains this marker.
const MARK: &str = "s3cr3t";

fn chat_request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![
        ChatRequestMessage::system("system s3cr3t prompt"),
        ChatRequestMessage::user("user s3cr3t question"),
    ])
    .with_model("m")
    .with_tools(vec![ChatCompletionsToolDefinition::function(
        FunctionDefinition::new("tool_s3cr3t_name").with_parameters(json!({"s3cr3t": "schema"})),
    )])
}

fn chat_replies() -> Vec<(&'static str, Reply)> {
    vec![
        ("completion", Reply::chat_completion("answer s3cr3t text")),
        (
            "tool call",
            Reply::chat_tool_calls([("call_1", "fn_s3cr3t", r#"{"arg":"s3cr3t value"}"#)]),
        ),
        (
            "two choices",
            Reply::chat_choices([("one s3cr3t", "stop"), ("two s3cr3t", "length")]),
        ),
        (
            "400 quoting the prompt",
            Reply::error(400, "BadRequest", "rejected: user s3cr3t question"),
        ),
        ("401", Reply::error(401, "Unauthorized", "s3cr3t")),
        ("429", Reply::error(429, "RateLimit", "s3cr3t")),
        ("500", Reply::error(500, "Internal", "s3cr3t")),
        (
            "invalid json",
            Reply::raw(200, "application/json", "{\"s3cr3t\": broken"),
        ),
        (
            "timeout",
            Reply::chat_completion("late s3cr3t").with_delay(Duration::from_secs(30)),
        ),
        (
            "error object in a 200",
            Reply::in_band_error("content_filter", "your s3cr3t prompt was filtered"),
        ),
        (
            "error object with a code that is not an identifier",
            Reply::in_band_error("bad s3cr3t code", "s3cr3t"),
        ),
        (
            "body cut",
            Reply::raw(200, "application/json", "{\"s3cr3t\": broken")
                .with_header("content-length", "400"),
        ),
    ]
}

fn stream_replies() -> Vec<(&'static str, Reply)> {
    vec![
        (
            "stream",
            Reply::chat_stream(["streamed ", "s3cr3t ", "words"]),
        ),
        (
            "stream tool call",
            Reply::chat_stream_tool_call("call_2", "stream_fn_s3cr3t", ["{\"a\":", "\"s3cr3t\"}"]),
        ),
        (
            "truncated",
            Reply::chat_stream(["partial ", "s3cr3t ", "text"]).truncated_after(2),
        ),
        (
            "malformed",
            Reply::chat_stream(["s3cr3t ", "x"]).with_malformed_line(1, "data: {\"s3cr3t\": "),
        ),
        (
            "cut",
            Reply::chat_stream(["s3cr3t ", "x", "y"]).with_disconnect_after(2),
        ),
        (
            "error event",
            Reply::chat_stream(["s3cr3t ", "x"]).with_error_event(
                1,
                "server_error",
                "s3cr3t echoed",
            ),
        ),
    ]
}

fn assert_clean(h: &Harness, scenario: &str) {
    let spans = h.spans();
    assert!(!spans.is_empty(), "{scenario}: a span was exported");
    let text = dump(&spans);
    assert!(!text.contains(MARK), "{scenario}: content leaked:\n{text}");
}

fn options(h: &Harness) -> azure_ai_inference_otel::client::ClientOptions {
    client_support::options(h, false).with_read_timeout(Duration::from_millis(300))
}

#[tokio::test]
async fn chat_paths_leak_nothing() {
    for (scenario, reply) in chat_replies() {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(reply);
        let h = Harness::new();
        let _ = client_support::chat(&server, options(&h))
            .complete(chat_request())
            .await;
        assert_clean(&h, scenario);
    }
}

#[tokio::test]
async fn stream_paths_leak_nothing() {
    for (scenario, reply) in stream_replies() {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(reply);
        let h = Harness::new();
        if let Ok(stream) = client_support::chat(&server, options(&h))
            .complete_streaming(chat_request())
            .await
        {
            let _: Vec<_> = stream.collect().await;
        }
        assert_clean(&h, scenario);
    }
}

#[tokio::test]
async fn dropped_stream_and_dropped_future_leak_nothing() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["s3cr3t ", "more ", "s3cr3t"]));
    let h = Harness::new();
    let mut stream = client_support::chat(&server, options(&h))
        .complete_streaming(chat_request())
        .await
        .unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    assert_clean(&h, "dropped stream");

    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("s3cr3t").with_delay(Duration::from_secs(30)));
    let h = Harness::new();
    let client = client_support::chat(&server, options(&h));
    let mut fut = Box::pin(client.complete(chat_request()));
    tokio::select! {
        _ = &mut fut => panic!("finished early"),
        _ = server.wait_for_requests(1) => {}
    }
    drop(fut);
    assert_clean(&h, "dropped future");
}

#[tokio::test]
async fn embeddings_paths_leak_nothing() {
    for reply in [
        Reply::embeddings(1, 4),
        Reply::error(400, "Bad", "input s3cr3t text rejected"),
    ] {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(reply.clone());
        let h = Harness::new();
        let _ = client_support::embeddings(&server, options(&h))
            .embed(EmbeddingsOptions::new(["embed s3cr3t text"]))
            .await;
        assert_clean(&h, "text embeddings");

        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(reply);
        let h = Harness::new();
        let image = ImageEmbeddingInput::from_bytes(b"s3cr3t image bytes", "image/png")
            .with_text("caption s3cr3t");
        let _ = client_support::image_embeddings(&server, options(&h))
            .embed(ImageEmbeddingsOptions::new(vec![image]))
            .await;
        assert_clean(&h, "image embeddings");
    }
}

#[tokio::test]
async fn retried_attempts_leak_nothing() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::error(500, "Internal", "s3cr3t in a 500"));
    server.enqueue(Reply::error(429, "RateLimit", "s3cr3t in a 429"));
    server.enqueue(Reply::chat_stream(["s3cr3t "]).with_disconnect_after(0));
    server.enqueue(Reply::chat_stream(["s3cr3t ", "x"]));
    let h = Harness::new();
    let retry = azure_ai_inference_otel::client::RetryPolicy::default()
        .with_initial_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(2));
    let stream = client_support::chat(&server, options(&h).with_retry(retry))
        .complete_streaming(chat_request())
        .await
        .unwrap();
    let updates: Vec<_> = stream.collect().await;
    assert!(updates.iter().all(Result::is_ok));
    assert_eq!(server.requests().len(), 4);
    assert_clean(&h, "retried attempts");
}

/// The check can fail: with recording on, the same scenario shows the secret.
#[tokio::test]
async fn the_check_detects_recorded_content() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("answer s3cr3t text"));
    let h = Harness::new();
    client_support::chat(&server, client_support::options(&h, true))
        .complete(chat_request())
        .await
        .unwrap();
    assert!(dump(&h.spans()).contains(MARK));
}
