//! How a stream ends on real networks: cut after some events
//! (`stream_truncated`, saying after how many), stalled (`timeout`), never
//! answered (`connection`), or dropped by a caller who had every finish
//! reason (a success).

mod support;
use support::client as client_support;
use support::telemetry;

use std::time::Duration;

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::error::TimeoutPhase;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry::Value;
use opentelemetry::trace::Status;
use telemetry::{Harness, attrs, dump, string_array};

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Tell me a story")])
        .with_model("mistral-large")
}

#[tokio::test]
async fn a_stream_cut_after_some_events_says_how_many() {
    for record in [false, true] {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(
            Reply::chat_stream(["s3cr3t-story ", "b", "c"])
                .with_disconnect_after(3)
                .with_request_id("cut-42"),
        );
        let h = Harness::new();
        let client = client_support::chat(&server, client_support::options(&h, record));
        let results = client_support::stream_items(&client, request()).await;
        assert_eq!(results.len(), 4, "three updates, then the error");
        let error = results[3].as_ref().unwrap_err();
        match error {
            Error::StreamTruncated {
                events, request_id, ..
            } => {
                assert_eq!(*events, Some(3));
                assert_eq!(request_id.as_deref(), Some("cut-42"));
            }
            other => panic!("{other:?}"),
        }
        let text = error.to_string();
        assert!(
            text.contains("cut after 3 event(s)") && text.contains("cut-42"),
            "{text}"
        );
        assert!(!text.contains("check the endpoint URL"), "{text}");

        let spans = h.spans();
        assert_eq!(spans.len(), 1);
        assert_eq!(
            attrs(&spans[0])["error.type"],
            Value::from("stream_truncated")
        );
        assert_eq!(
            dump(&spans).contains("s3cr3t-story"),
            record,
            "content only when recording"
        );
    }
}

#[tokio::test]
async fn a_stalled_stream_is_a_read_timeout() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(
        Reply::chat_stream(["a", "b"])
            .with_event_delay(Duration::from_secs(30))
            .with_request_id("slow-1"),
    );
    let h = Harness::new();
    let options = client_support::options(&h, false).with_read_timeout(Duration::from_millis(200));
    let client = client_support::chat(&server, options);
    let mut stream = client.complete_streaming(request()).await.unwrap();
    let error = stream.next().await.unwrap().unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                phase: TimeoutPhase::Read,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("[request id slow-1]"), "{error}");
    drop(stream);
    assert_eq!(attrs(&h.spans()[0])["error.type"], Value::from("timeout"));
}

#[tokio::test]
async fn no_response_at_all_is_a_connection_error() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::disconnect());
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let error = client.complete_streaming(request()).await.unwrap_err();
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert_eq!(
        attrs(&h.spans()[0])["error.type"],
        Value::from("connection")
    );
}

#[tokio::test]
async fn dropping_a_finished_stream_is_a_success() {
    let server = MockInferenceServer::start().await.unwrap();
    // Two text chunks, the finish chunk, then usage and [DONE], never read.
    server.enqueue(Reply::chat_stream(["Once", " upon"]).with_usage(4, 2));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, true));
    let mut stream = client.complete_streaming(request()).await.unwrap();
    let mut finished = false;
    while !finished {
        let update = stream.next().await.unwrap().unwrap();
        finished = update.choices.iter().any(|c| c.finish_reason.is_some());
    }
    drop(stream);

    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(s.status, Status::Unset);
    let a = attrs(s);
    assert!(!a.contains_key("error.type"), "{a:?}");
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["stop"]
    );
    assert!(!s.events.iter().any(|e| e.name == "exception"));
}

#[tokio::test]
async fn dropping_after_usage_records_the_usage() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["Once"]).with_usage(4, 1));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let mut stream = client.complete_streaming(request()).await.unwrap();
    // Role + text, finish, usage: read all three, leave [DONE] unread.
    for _ in 0..3 {
        stream.next().await.unwrap().unwrap();
    }
    drop(stream);
    let a = attrs(&h.spans()[0]);
    assert!(!a.contains_key("error.type"), "{a:?}");
    assert_eq!(a["gen_ai.usage.input_tokens"], Value::I64(4));
    assert_eq!(a["gen_ai.usage.output_tokens"], Value::I64(1));
}

#[tokio::test]
async fn dropping_before_the_finish_is_still_cancelled() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["Once", " upon", " a time"]));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let mut stream = client.complete_streaming(request()).await.unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    assert_eq!(attrs(&h.spans()[0])["error.type"], Value::from("cancelled"));
}
