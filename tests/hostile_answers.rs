//! A hostile or broken inference endpoint cannot take the process down:
//! bodies are read up to a limit (an announced length is checked before
//! anything is read), a stream's accumulator keeps a bounded number of
//! choices and tool calls and flags the rest on the span, and an in-band
//! error on a chunk that also carries choices fails the call.
//!
//! Each case prints its time and the process's peak memory (`VmHWM`) for the
//! record; nothing here asserts a duration.

mod support;

use std::time::Instant;

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::client::{ChatCompletionsClient, Credential};
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use opentelemetry::Value;
use opentelemetry::trace::Status;
use support::client::{options, stream_items};
use support::telemetry::{Harness, attrs};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The documented bound on choices and on tool calls a stream accumulates.
const MAX_STREAM_ENTRIES: usize = 128;

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")]).with_model("m")
}

/// The process's peak resident memory so far, in MiB (Linux), for the record.
fn peak_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or("n/a".to_owned(), |kib| format!("{} MiB", kib / 1024))
}

/// A loopback server that answers every connection with `head`, then, when
/// `endless`, 64 KiB chunks of a chunked body until the client hangs up.
/// It stops with the test's runtime.
async fn raw_server(head: &'static str, endless: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0; 64 * 1024];
                let _ = socket.read(&mut request).await;
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
                while endless && socket.write_all(chunk.as_bytes()).await.is_ok() {}
                // Hold the connection: the client must not wait for the body.
                let _ = socket.read(&mut request).await;
            });
        }
    });
    url
}

fn client(endpoint: &str, harness: &Harness, limit: usize) -> ChatCompletionsClient {
    ChatCompletionsClient::new(
        endpoint,
        Credential::api_key("sk-hostile").unwrap(),
        Some(options(harness, false).with_max_response_bytes(limit)),
    )
    .unwrap()
}

fn assert_over_limit(error: &Error, limit: usize) {
    assert!(
        matches!(error, Error::InvalidResponse { .. }),
        "invalid_response: {error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains(&format!("{limit}-byte limit")) && text.contains("with_max_response_bytes"),
        "names the limit and the option: {text}"
    );
}

#[tokio::test]
async fn a_huge_content_length_is_refused_before_the_body_is_read() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1099511627776\r\n\r\n{";
    let endpoint = raw_server(head, false).await;
    let harness = Harness::new();
    let started = Instant::now();
    let error = client(&endpoint, &harness, 1 << 20)
        .complete(request())
        .await
        .expect_err("refused");
    println!(
        "1 TiB Content-Length: refused in {:?}, peak {}",
        started.elapsed(),
        peak_mib()
    );
    assert_over_limit(&error, 1 << 20);
    assert!(error.to_string().contains("announces 1099511627776 bytes"));
    let spans = harness.spans();
    assert_eq!(
        attrs(&spans[0])["error.type"],
        Value::from("invalid_response")
    );
}

#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_limit() {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    let endpoint = raw_server(head, true).await;
    let harness = Harness::new();
    let limit = 8 << 20;
    let started = Instant::now();
    let error = client(&endpoint, &harness, limit)
        .complete(request())
        .await
        .expect_err("refused");
    println!(
        "endless chunked body, 8 MiB limit: refused in {:?}, peak {}",
        started.elapsed(),
        peak_mib()
    );
    assert_over_limit(&error, limit);
}

#[tokio::test]
async fn a_body_within_the_limit_is_read_and_one_byte_less_is_not() {
    let server = MockInferenceServer::start().await.unwrap();
    let body = serde_json::to_vec(&serde_json::json!({
        "id": "c-1", "model": "m", "created": 1,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "hello"}}]
    }))
    .unwrap();
    let harness = Harness::new();
    for (limit, ok) in [(body.len(), true), (body.len() - 1, false)] {
        server.enqueue(Reply::raw(200, "application/json", body.clone()));
        let result = client(&server.endpoint(), &harness, limit)
            .complete(request())
            .await;
        match (ok, result) {
            (true, Ok(answer)) => {
                assert_eq!(answer.choices[0].message.content.as_deref(), Some("hello"))
            }
            (false, Err(error)) => assert_over_limit(&error, limit),
            (ok, other) => panic!("limit {limit}, expected ok={ok}: {other:?}"),
        }
    }
}

/// One event of `{"index":N,"delta":{}}` items for `n` choices, each finished.
fn many_choices(n: usize) -> String {
    let mut event = String::with_capacity(n * 48 + 64);
    event.push_str(r#"{"id":"c","model":"m","choices":["#);
    for i in 0..n {
        if i > 0 {
            event.push(',');
        }
        event.push_str(&format!(
            r#"{{"index":{i},"delta":{{}},"finish_reason":"stop"}}"#
        ));
    }
    event.push_str("]}");
    event
}

#[tokio::test]
async fn a_million_choices_in_one_event_are_bounded_and_flagged() {
    let server = MockInferenceServer::start().await.unwrap();
    let n = 1_000_000;
    server.enqueue(Reply::sse([many_choices(n)]));
    let harness = Harness::new();
    let client = ChatCompletionsClient::new(
        server.endpoint(),
        Credential::api_key("sk-hostile").unwrap(),
        Some(
            options(&harness, true)
                .with_max_event_bytes(128 << 20)
                // Decoding a 1M-item event takes seconds in a debug build on a
                // loaded machine: the bound is on memory, not on time.
                .with_read_timeout(std::time::Duration::from_secs(600)),
        ),
    )
    .unwrap();
    let started = Instant::now();
    let items = stream_items(&client, request()).await;
    println!(
        "1M choices in one event: {:?}, peak {}",
        started.elapsed(),
        peak_mib()
    );
    assert_eq!(items.len(), 1);
    assert!(items[0].is_ok());
    let spans = harness.spans();
    let a = attrs(&spans[0]);
    assert_eq!(
        a["az.ai.inference.response.dropped_choice_deltas"],
        Value::I64((n - MAX_STREAM_ENTRIES) as i64)
    );
    assert_eq!(
        spans[0].status,
        Status::Unset,
        "the answer itself completed"
    );
}

#[tokio::test]
async fn a_hundred_thousand_tool_call_indices_are_bounded_and_flagged() {
    let server = MockInferenceServer::start().await.unwrap();
    let n = 100_000;
    let mut calls = String::new();
    for i in 0..n {
        if i > 0 {
            calls.push(',');
        }
        calls.push_str(&format!(
            r#"{{"index":{i},"id":"call_{i}","type":"function","function":{{"name":"f","arguments":"{{}}"}}}}"#
        ));
    }
    let event = format!(
        r#"{{"id":"c","model":"m","choices":[{{"index":0,"delta":{{"tool_calls":[{calls}]}},"finish_reason":"tool_calls"}}]}}"#
    );
    server.enqueue(Reply::sse([event]));
    let harness = Harness::new();
    let client = ChatCompletionsClient::new(
        server.endpoint(),
        Credential::api_key("sk-hostile").unwrap(),
        Some(
            options(&harness, true)
                .with_max_event_bytes(64 << 20)
                .with_read_timeout(std::time::Duration::from_secs(600)),
        ),
    )
    .unwrap();
    let started = Instant::now();
    let items = stream_items(&client, request()).await;
    println!(
        "100k tool-call indices in one event: {:?}, peak {}",
        started.elapsed(),
        peak_mib()
    );
    assert!(items.iter().all(Result::is_ok));
    let spans = harness.spans();
    let a = attrs(&spans[0]);
    assert_eq!(
        a["az.ai.inference.response.dropped_tool_call_deltas"],
        Value::I64((n - MAX_STREAM_ENTRIES) as i64)
    );
}

/// OpenAI-compatible gateways send a last chunk with choices and usage and
/// a top-level `error` with a numeric code: the call failed.
#[tokio::test]
async fn an_in_band_error_on_a_chunk_with_choices_fails_the_stream() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::sse([
        r#"{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
        r#"{"id":"c","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"error":{"code":400,"message":"upstream refused the prompt"}}"#,
    ]));
    let harness = Harness::new();
    let client = ChatCompletionsClient::new(
        server.endpoint(),
        Credential::api_key("sk-hostile").unwrap(),
        Some(options(&harness, false)),
    )
    .unwrap();
    let items = stream_items(&client, request()).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    match &items[1] {
        Err(Error::Service { code, message, .. }) => {
            assert_eq!(code.as_deref(), Some("400"));
            assert!(message.contains("upstream refused"));
        }
        other => panic!("{other:?}"),
    }
    let spans = harness.spans();
    assert_eq!(attrs(&spans[0])["error.type"], Value::from("400"));
    assert!(matches!(spans[0].status, Status::Error { .. }));
    // A null `error` is no error.
    server.enqueue(Reply::sse([
        r#"{"id":"c","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"error":null}"#,
    ]));
    let items = stream_items(&client, request()).await;
    assert!(items.iter().all(Result::is_ok), "{items:?}");
}
