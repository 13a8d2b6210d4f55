//! The reqwest middleware: a service's own reqwest calls, through
//! `GenAiMiddleware`, against the loopback `MockInferenceServer`. The span
//! and the Braintrust row equal those of the crate's own client for the
//! same answer; other requests pass untouched.
#![cfg(all(feature = "reqwest-middleware", feature = "testing"))]

mod support;

use azure_ai_inference_otel::instrument::GenAiMiddleware;
use azure_ai_inference_otel::models::ChatCompletionsOptions;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use serde_json::{Value, json};

use support::client::{self as crate_client, KEY, options};
use support::instrumented::{assert_same_span, v1_chat};
use support::telemetry::{Harness, attrs, dump};

fn client(harness: &Harness, record: bool) -> ClientWithMiddleware {
    crate_client::install_propagator();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    ClientBuilder::new(http)
        .with(GenAiMiddleware::new(harness.options(record)))
        .build()
}

fn hello() -> Value {
    json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hello secret-prompt"}],
        "top_p": 0.5
    })
}

async fn post(client: &ClientWithMiddleware, url: &str, body: Vec<u8>) -> reqwest::Response {
    client
        .post(url)
        .header("api-key", KEY)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("an answer")
}

#[tokio::test]
async fn chat_matches_the_crates_client() {
    let server = MockInferenceServer::start().await.unwrap();
    let (ours, theirs) = (Harness::new(), Harness::new());
    let request: ChatCompletionsOptions = serde_json::from_value(hello()).unwrap();
    server.enqueue(Reply::chat_completion("secret-answer"));
    v1_chat(&server.endpoint(), options(&ours, false))
        .complete(request)
        .await
        .unwrap();

    server.enqueue(Reply::chat_completion("secret-answer"));
    let url = format!("{}/openai/v1/chat/completions", server.endpoint());
    let answer: Value = post(
        &client(&theirs, false),
        &url,
        hello().to_string().into_bytes(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(answer["choices"][0]["message"]["content"], "secret-answer");
    assert_same_span(&ours.spans(), &theirs.spans());
    let text = dump(&theirs.spans());
    assert!(!text.contains("secret"), "{text}");
}

#[tokio::test]
async fn streamed_chat_matches_and_passes_byte_for_byte() {
    let server = MockInferenceServer::start().await.unwrap();
    let (ours, theirs) = (Harness::new(), Harness::new());
    let mut body = hello();
    body["stream"] = json!(true);
    let request: ChatCompletionsOptions = serde_json::from_value(body.clone()).unwrap();
    let reply = Reply::chat_stream(["Hel", "lo"]);
    server.enqueue(reply.clone());
    crate_client::stream_items(&v1_chat(&server.endpoint(), options(&ours, true)), request).await;

    let url = format!("{}/openai/v1/chat/completions", server.endpoint());
    server.enqueue(reply.clone());
    let through = post(&client(&theirs, true), &url, body.to_string().into_bytes())
        .await
        .bytes()
        .await
        .unwrap();
    // The same answer without the middleware (the reply's times aside).
    server.enqueue(reply);
    let direct = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(&url)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        without_created(&through),
        without_created(&direct),
        "the body passes unchanged"
    );
    assert_same_span(&ours.spans(), &theirs.spans());
}

/// The event stream with its `"created":N` timestamps blanked.
fn without_created(body: &[u8]) -> String {
    let text = String::from_utf8(body.to_vec()).unwrap();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("\"created\":") {
        out.push_str(&rest[..at + 10]);
        rest = rest[at + 10..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn a_body_that_is_not_json_goes_out_unchanged_under_an_operation_span() {
    let server = MockInferenceServer::start().await.unwrap();
    let theirs = Harness::new();
    let url = format!("{}/openai/v1/chat/completions", server.endpoint());
    let response = post(&client(&theirs, true), &url, b"not json secret".to_vec()).await;
    assert_eq!(response.status(), 400);
    let _ = response.bytes().await.unwrap();
    assert_eq!(&server.requests()[0].body[..], b"not json secret");
    let spans = theirs.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "chat");
    let a = attrs(&spans[0]);
    assert_eq!(a["error.type"], "400".into());
    assert!(!a.contains_key("gen_ai.request.model"));
    assert!(!dump(&spans).contains("secret"));
}

#[tokio::test]
async fn other_requests_pass_with_no_span() {
    let server = MockInferenceServer::start().await.unwrap();
    let theirs = Harness::new();
    let client = client(&theirs, false);
    let info = client
        .get(format!("{}/openai/v1/chat/completions", server.endpoint()))
        .send()
        .await
        .unwrap();
    let _ = info.bytes().await.unwrap();
    let other = post(
        &client,
        &format!("{}/openai/v1/files", server.endpoint()),
        b"{}".to_vec(),
    )
    .await;
    let _ = other.bytes().await.unwrap();
    assert!(theirs.spans().is_empty());
    for request in server.requests() {
        assert_eq!(request.header("traceparent"), None);
    }
}
