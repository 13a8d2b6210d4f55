//! Streamed chat: the span ends exactly once whether the stream is read to
//! its end, fails, is cut short, or is dropped half-way.

mod support;
use support::client as client_support;
use support::telemetry;

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry::Value;
use opentelemetry::trace::Status;
use serde_json::json;
use telemetry::{Harness, attrs, kv_map, string_array};

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Tell me a story")])
        .with_model("mistral-large")
}

fn choice_bodies(span: &opentelemetry_sdk::trace::SpanData) -> Vec<serde_json::Value> {
    span.events
        .iter()
        .filter(|e| e.name == "gen_ai.choice")
        .map(|e| {
            serde_json::from_str(&kv_map(&e.attributes)["gen_ai.event.content"].as_str()).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn stream_read_to_the_end() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["Once", " upon", " a time"]).with_usage(5, 3));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, true));

    let mut stream = client.complete_streaming(request()).await.unwrap();
    let mut text = String::new();
    while let Some(update) = stream.next().await {
        text.push_str(update.unwrap().content().unwrap_or_default());
    }
    assert_eq!(text, "Once upon a time");
    assert_eq!(server.requests()[0].json().unwrap()["stream"], json!(true));
    assert_eq!(
        server.requests()[0].header("accept"),
        Some("text/event-stream")
    );
    drop(stream);

    let spans = h.spans();
    assert_eq!(spans.len(), 1, "ended once, not again on drop");
    let s = &spans[0];
    assert_eq!(s.status, Status::Unset);
    let a = attrs(s);
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["stop"]
    );
    assert_eq!(a["gen_ai.usage.input_tokens"], Value::I64(5));
    assert_eq!(a["gen_ai.usage.output_tokens"], Value::I64(3));
    assert_eq!(a["gen_ai.response.model"], Value::from("mistral-large"));
    assert!(a.contains_key("gen_ai.response.id"));
    assert!(matches!(a["gen_ai.response.time_to_first_chunk"], Value::F64(v) if v > 0.0));
    assert!(!a.contains_key("error.type"));
    assert_eq!(
        choice_bodies(s),
        vec![
            json!({"message": {"content": "Once upon a time"}, "finish_reason": "stop", "index": 0})
        ]
    );
}

#[tokio::test]
async fn streamed_tool_call_is_accumulated() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream_tool_call(
        "call_9",
        "lookup",
        ["{\"q\":", "\"rust\"}"],
    ));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, true));
    let stream = client.complete_streaming(request()).await.unwrap();
    let updates: Vec<_> = stream.collect().await;
    assert!(updates.iter().all(Result::is_ok));
    let spans = h.spans();
    assert_eq!(
        choice_bodies(&spans[0]),
        vec![
            json!({"message": {"content": null, "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":\"rust\"}"}}]}, "finish_reason": "tool_calls", "index": 0})
        ]
    );
}

#[tokio::test]
async fn stream_dropped_half_way_is_cancelled() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b", "c", "d"]));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let mut stream = client.complete_streaming(request()).await.unwrap();
    stream.next().await.unwrap().unwrap();
    stream.next().await.unwrap().unwrap();
    assert!(
        h.spans().is_empty(),
        "not ended while the caller still reads"
    );
    drop(stream);

    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    let a = attrs(s);
    assert_eq!(a["error.type"], Value::from("cancelled"));
    assert!(matches!(s.status, Status::Error { .. }));
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["error"]
    );
    assert_eq!(
        choice_bodies(s),
        vec![json!({"finish_reason": "cancelled", "index": 0})]
    );
    assert_eq!(s.events.iter().filter(|e| e.name == "exception").count(), 1);
}

#[tokio::test]
async fn truncated_stream_fails_with_stream_truncated() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b", "c"]).truncated_after(2));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, true));
    let results = client_support::stream_items(&client, request()).await;
    client_support::assert_cut_after(&results, 2);

    let spans = h.spans();
    let s = &spans[0];
    assert_eq!(attrs(s)["error.type"], Value::from("stream_truncated"));
    assert_eq!(
        choice_bodies(s),
        vec![json!({"message": {"content": "ab"}, "finish_reason": "error", "index": 0})]
    );
}

#[tokio::test]
async fn stream_without_done_but_finished_is_a_success() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b"]).without_done());
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let results = client_support::stream_items(&client, request()).await;
    assert!(results.iter().all(Result::is_ok));
    let spans = h.spans();
    assert_eq!(spans[0].status, Status::Unset);
    assert!(!attrs(&spans[0]).contains_key("error.type"));
}

#[tokio::test]
async fn malformed_sse_line_is_invalid_response() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b"]).with_malformed_line(1, "data: {\"id\": "));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let results = client_support::stream_items(&client, request()).await;
    assert!(
        matches!(results.last(), Some(Err(Error::InvalidResponse { .. }))),
        "{results:?}"
    );
    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(
        attrs(&spans[0])["error.type"],
        Value::from("invalid_response")
    );
}

#[tokio::test]
async fn connection_cut_mid_stream_is_a_truncated_stream() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b", "c"]).with_disconnect_after(2));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let results = client_support::stream_items(&client, request()).await;
    let last = results.last().unwrap();
    assert!(
        matches!(
            last,
            Err(Error::StreamTruncated {
                events: Some(2),
                ..
            })
        ),
        "{last:?}"
    );
    let text = last.as_ref().unwrap_err().to_string();
    assert!(text.contains("cut after 2 event(s)"), "{text}");
    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(
        attrs(&spans[0])["error.type"],
        Value::from("stream_truncated")
    );
}

#[tokio::test]
async fn chunks_with_empty_choices_and_filter_results_are_normal() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::sse([
        r#"{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}"#,
        r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"content_filter_results":{}}]}"#,
        r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop"}]}"#,
        r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#,
    ]));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let results = client_support::stream_items(&client, request()).await;
    assert_eq!(results.len(), 4);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let spans = h.spans();
    let a = attrs(&spans[0]);
    assert_eq!(
        a["gen_ai.response.id"],
        Value::from("c1"),
        "first non-empty id"
    );
    assert_eq!(a["gen_ai.response.model"], Value::from("m"));
    assert_eq!(a["gen_ai.usage.output_tokens"], Value::I64(1));
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["stop"]
    );
}

#[tokio::test]
async fn error_status_before_the_stream_fails_the_call() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(
        Reply::error(429, "RateLimitExceeded", "slow down").with_header("retry-after", "3"),
    );
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let err = client.complete_streaming(request()).await.unwrap_err();
    match &err {
        Error::Http {
            status,
            code,
            retry_after,
            ..
        } => {
            assert_eq!(*status, 429);
            assert_eq!(code.as_deref(), Some("RateLimitExceeded"));
            assert_eq!(*retry_after, Some(std::time::Duration::from_secs(3)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(attrs(&h.spans()[0])["error.type"], Value::from("429"));
}
