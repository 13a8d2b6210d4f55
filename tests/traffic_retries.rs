//! Retries through the public clients: transient failures are absorbed, the
//! rest reach the caller, and one span covers every attempt.

#[path = "support/client.rs"]
mod client_support;
#[path = "support/telemetry.rs"]
mod telemetry;

use std::time::{Duration, Instant};

use azure_ai_inference_otel::client::{ClientOptions, RetryPolicy};
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions,
};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry::trace::Status;
use telemetry::{Harness, attrs};

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Hi")]).with_model("gpt-4o")
}

/// Millisecond-scale waits: no test waits real seconds.
fn fast(max_retries: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(max_retries)
        .with_initial_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(5))
}

fn options(h: &Harness, retries: u32) -> ClientOptions {
    client_support::options(h, false).with_retry(fast(retries))
}

#[test]
fn retries_are_on_by_default() {
    let policy = ClientOptions::new().retry().clone();
    assert_eq!(policy.max_retries(), 3);
    assert_eq!(policy, RetryPolicy::default());
}

#[tokio::test]
async fn a_throttled_call_succeeds_on_a_later_attempt_in_one_span() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::error(503, "ServiceUnavailable", "busy"));
    server.enqueue(Reply::error(429, "RateLimitReached", "slow down"));
    server.enqueue(Reply::chat_completion("Hello!"));
    let h = Harness::new();
    let client = client_support::chat(&server, options(&h, 3));

    let answer = client.complete(request()).await.unwrap();
    assert_eq!(answer.content(), Some("Hello!"));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let traceparents: Vec<_> = requests.iter().map(|r| r.header("traceparent")).collect();
    assert!(traceparents[0].is_some());
    assert!(
        traceparents.iter().all(|t| *t == traceparents[0]),
        "one span, one parent"
    );

    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].status, Status::Unset);
    assert!(!attrs(&spans[0]).contains_key("error.type"));
    let durations = h.f64_points("gen_ai.client.operation.duration");
    assert_eq!(durations.len(), 1);
    assert_eq!(durations[0].count(), 1, "one measurement for the operation");
}

#[tokio::test]
async fn retries_run_out_and_the_caller_gets_the_last_failure() {
    let server = MockInferenceServer::start().await.unwrap();
    for _ in 0..3 {
        server.enqueue(Reply::error(500, "InternalServerError", "oops"));
    }
    let h = Harness::new();
    let client = client_support::chat(&server, options(&h, 2));
    let e = client.complete(request()).await.unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert_eq!(server.requests().len(), 3);
    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(attrs(&spans[0])["error.type"], "500".into());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(
        Reply::error(429, "RateLimitReached", "slow down")
            .with_retry_after(Duration::from_millis(120)),
    );
    server.enqueue(Reply::embeddings(1, 4));
    let h = Harness::new();
    let client = client_support::embeddings(&server, options(&h, 1));
    let started = Instant::now();
    client.embed(EmbeddingsOptions::new(["x"])).await.unwrap();
    // The backoff alone is at most 5 ms.
    assert!(started.elapsed() >= Duration::from_millis(120));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::error(400, "BadRequest", "no"));
    let h = Harness::new();
    let client = client_support::chat(&server, options(&h, 3));
    assert_eq!(
        client.complete(request()).await.unwrap_err().status(),
        Some(400)
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_stream_is_retried_before_it_starts_and_never_after() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::error(503, "ServiceUnavailable", "busy"));
    server.enqueue(Reply::chat_stream(["a", "b"]));
    let h = Harness::new();
    let client = client_support::chat(&server, options(&h, 3));
    let updates: Vec<_> = client
        .complete_streaming(request())
        .await
        .unwrap()
        .collect()
        .await;
    assert!(updates.iter().all(Result::is_ok));
    assert_eq!(server.requests().len(), 2);

    // Cut after events reached the caller: not sent again.
    server.enqueue(Reply::chat_stream(["a", "b"]).with_disconnect_after(2));
    let results: Vec<_> = client
        .complete_streaming(request())
        .await
        .unwrap()
        .collect()
        .await;
    assert!(results.last().unwrap().is_err());
    assert_eq!(server.requests().len(), 3);
    assert_eq!(h.spans().len(), 2);
}

#[tokio::test]
async fn a_stream_cut_before_its_first_event_is_sent_again() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b"]).with_disconnect_after(0));
    server.enqueue(Reply::chat_stream(["a", "b"]));
    let h = Harness::new();
    let client = client_support::chat(&server, options(&h, 3));
    let mut stream = client.complete_streaming(request()).await.unwrap();
    let mut text = String::new();
    while let Some(update) = stream.next().await {
        text.push_str(update.unwrap().content().unwrap_or_default());
    }
    assert_eq!(text, "ab");
    drop(stream);
    assert_eq!(server.requests().len(), 2);
    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].status, Status::Unset);
}

#[tokio::test]
async fn a_stream_stalled_before_its_first_event_is_sent_again() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a"]).with_event_delay(Duration::from_secs(30)));
    server.enqueue(Reply::chat_stream(["b"]));
    let h = Harness::new();
    let options = options(&h, 1).with_read_timeout(Duration::from_millis(200));
    let client = client_support::chat(&server, options);
    let updates: Vec<_> = client
        .complete_streaming(request())
        .await
        .unwrap()
        .collect()
        .await;
    assert!(updates.iter().all(Result::is_ok), "{updates:?}");
    assert_eq!(updates[0].as_ref().unwrap().content(), Some("b"));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn status_retries_and_stream_resends_share_one_budget() {
    for (max_retries, succeeds) in [(2, true), (1, false)] {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(Reply::error(503, "ServiceUnavailable", "busy"));
        server.enqueue(Reply::chat_stream(["a"]).with_disconnect_after(0));
        server.enqueue(Reply::chat_stream(["a"]));
        let h = Harness::new();
        let client = client_support::chat(&server, options(&h, max_retries));
        let results: Vec<_> = client
            .complete_streaming(request())
            .await
            .unwrap()
            .collect()
            .await;
        assert_eq!(results.iter().all(Result::is_ok), succeeds, "{results:?}");
        if !succeeds {
            let error = results.last().unwrap().as_ref().unwrap_err();
            assert_eq!(error.error_type(), "stream_truncated");
            assert!(
                error.to_string().contains("cut after 0 event(s)"),
                "{error}"
            );
        }
        assert_eq!(server.requests().len(), max_retries as usize + 1);
        assert_eq!(h.spans().len(), 1);
    }
}
