//! Retries through the public clients: transient failures are absorbed, the
//! rest reach the caller, and one span covers every attempt.

mod support;
use support::client as client_support;
use support::telemetry;

use std::time::{Duration, Instant};

use azure_ai_inference_otel::client::{ClientOptions, RetryPolicy};
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions,
};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry::Value;
use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::SpanData;
use telemetry::{Harness, attrs, kv_map};

/// The `az.ai.inference.retry` events: (error.type, status, resend number).
fn retry_events(span: &SpanData) -> Vec<(String, Option<i64>, i64)> {
    span.events
        .iter()
        .filter(|e| e.name == "az.ai.inference.retry")
        .map(|e| {
            let a = kv_map(&e.attributes);
            let status = a.get("http.response.status_code").map(|v| match v {
                Value::I64(i) => *i,
                other => panic!("{other:?}"),
            });
            let n = match &a["http.request.resend_count"] {
                Value::I64(i) => *i,
                other => panic!("{other:?}"),
            };
            (a["error.type"].as_str().into_owned(), status, n)
        })
        .collect()
}

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
    let a = attrs(&spans[0]);
    assert!(!a.contains_key("error.type"));
    assert_eq!(a["http.request.resend_count"], Value::I64(2));
    assert_eq!(
        retry_events(&spans[0]),
        [
            ("503".to_owned(), Some(503), 1),
            ("429".to_owned(), Some(429), 2)
        ]
    );
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
    let a = attrs(&spans[0]);
    assert_eq!(a["error.type"], "500".into());
    assert_eq!(a["http.request.resend_count"], Value::I64(2));
    // The last failure is the span's own: two retry events, one exception.
    assert_eq!(retry_events(&spans[0]).len(), 2);
    let exceptions = spans[0].events.iter().filter(|e| e.name == "exception");
    assert_eq!(exceptions.count(), 1);
}

#[tokio::test]
async fn a_call_sent_once_has_no_resend_count() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("once"));
    let h = Harness::new();
    let client = client_support::chat(&server, options(&h, 3));
    client.complete(request()).await.unwrap();
    let spans = h.spans();
    assert!(!attrs(&spans[0]).contains_key("http.request.resend_count"));
    assert!(retry_events(&spans[0]).is_empty());
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
    let updates = client_support::stream_items(&client, request()).await;
    assert!(updates.iter().all(Result::is_ok));
    assert_eq!(server.requests().len(), 2);

    // Cut after events reached the caller: not sent again.
    server.enqueue(Reply::chat_stream(["a", "b"]).with_disconnect_after(2));
    let results = client_support::stream_items(&client, request()).await;
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
    assert_eq!(attrs(&spans[0])["http.request.resend_count"], Value::I64(1));
    assert_eq!(
        retry_events(&spans[0]),
        [("stream_truncated".to_owned(), None, 1)]
    );
}

#[tokio::test]
async fn a_stream_stalled_before_its_first_event_is_sent_again() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a"]).with_event_delay(Duration::from_secs(30)));
    server.enqueue(Reply::chat_stream(["b"]));
    let h = Harness::new();
    let options = options(&h, 1).with_read_timeout(Duration::from_millis(200));
    let client = client_support::chat(&server, options);
    let updates = client_support::stream_items(&client, request()).await;
    assert!(updates.iter().all(Result::is_ok), "{updates:?}");
    assert_eq!(updates[0].as_ref().unwrap().content(), Some("b"));
    assert_eq!(server.requests().len(), 2);
    assert_eq!(
        retry_events(&h.spans()[0]),
        [("timeout".to_owned(), None, 1)]
    );
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
        let results = client_support::stream_items(&client, request()).await;
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
        let spans = h.spans();
        assert_eq!(spans.len(), 1);
        let expected: &[_] = if succeeds {
            &[
                ("503".to_owned(), Some(503), 1),
                ("stream_truncated".to_owned(), None, 2),
            ]
        } else {
            &[("503".to_owned(), Some(503), 1)]
        };
        assert_eq!(retry_events(&spans[0]), expected);
    }
}

#[tokio::test]
async fn the_request_id_is_recorded_on_success_and_failure_in_both_vocabularies() {
    for (mode, key) in [
        (SemconvMode::Default, "az.service_request_id"),
        (SemconvMode::LatestExperimental, "azure.service.request.id"),
    ] {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(Reply::chat_completion("ok").with_header("apim-request-id", "apim-1"));
        server.enqueue(Reply::error(400, "BadRequest", "no").with_request_id("ms-2"));
        server.enqueue(
            Reply::in_band_error("content_filter", "no").with_header("x-request-id", "x-3"),
        );
        server.enqueue(Reply::chat_stream(["a"]).with_request_id("ms-4"));
        let h = Harness::new();
        let telemetry = h.options(false).with_semconv_mode(mode);
        let options = client_support::options(&h, false).with_telemetry(telemetry);
        let client = client_support::chat(&server, options);
        client.complete(request()).await.unwrap();
        client.complete(request()).await.unwrap_err();
        client.complete(request()).await.unwrap_err();
        let _ = client_support::stream_items(&client, request()).await;
        let ids: Vec<_> = h
            .spans()
            .iter()
            .map(|s| attrs(s)[key].as_str().into_owned())
            .collect();
        assert_eq!(ids, ["apim-1", "ms-2", "x-3", "ms-4"], "{mode:?}");
    }
}
