//! The async-openai layer: the real async-openai client, with
//! `GenAiLayer` under `with_http_service`, against the loopback
//! `MockInferenceServer`'s v1 routes. For each kind of traffic, the span and
//! the Braintrust row equal those the crate's own client makes for the same
//! answer, ids and times aside.
#![cfg(all(feature = "async-openai", feature = "testing"))]

mod support;

use std::convert::Infallible;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionResponse};
use async_openai::types::embeddings::CreateEmbeddingRequest;
use azure_ai_inference_otel::instrument::GenAiLayer;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, EmbeddingsOptions};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use serde_json::{Value, json};
use tower::Layer;

use support::client::{self as crate_client, KEY, options};
use support::instrumented::{assert_same_span, span_shape, v1_chat, v1_embeddings};
use support::telemetry::{Harness, attrs, dump};

/// An async-openai client on the server's v1 base, its calls going
/// through the layer into `harness`.
fn openai(server: &MockInferenceServer, harness: &Harness, record: bool) -> Client<OpenAIConfig> {
    openai_at(&server.endpoint(), harness, record)
}

fn openai_at(endpoint: &str, harness: &Harness, record: bool) -> Client<OpenAIConfig> {
    crate_client::install_propagator();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let service = GenAiLayer::new(harness.options(record)).layer(ReqwestService::new(http));
    let config = OpenAIConfig::new()
        .with_api_base(format!("{endpoint}/openai/v1"))
        .with_api_key(KEY);
    Client::with_config(config).with_http_service(service)
}

/// One request body, as both clients' request types.
fn chat_request(body: Value) -> (ChatCompletionsOptions, CreateChatCompletionRequest) {
    (
        serde_json::from_value(body.clone()).expect("a crate request"),
        serde_json::from_value(body).expect("an async-openai request"),
    )
}

fn hello() -> Value {
    json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello secret-prompt"}
        ],
        "temperature": 0.2,
        "max_tokens": 50
    })
}

/// The crate's client and async-openai each get `reply` for `body`, whole.
async fn compare_chat(reply: Reply, body: Value, record: bool) -> (Harness, Harness) {
    let server = MockInferenceServer::start().await.unwrap();
    let (ours, theirs) = (Harness::new(), Harness::new());
    let (crate_request, openai_request) = chat_request(body);

    server.enqueue(reply.clone());
    let crate_result = v1_chat(&server.endpoint(), options(&ours, record))
        .complete(crate_request)
        .await;
    server.enqueue(reply);
    let openai_result: Result<CreateChatCompletionResponse, _> = openai(&server, &theirs, record)
        .chat()
        .create(openai_request)
        .await;
    assert_eq!(
        crate_result.is_ok(),
        openai_result.is_ok(),
        "{openai_result:?}"
    );
    assert_same_span(&ours.spans(), &theirs.spans());
    (ours, theirs)
}

/// As [`compare_chat`], streamed, each stream read to its end.
async fn compare_stream(reply: Reply, body: Value, record: bool) -> (Harness, Harness) {
    let server = MockInferenceServer::start().await.unwrap();
    let (ours, theirs) = (Harness::new(), Harness::new());
    let mut body = body;
    body["stream"] = json!(true);
    let (crate_request, openai_request) = chat_request(body);

    server.enqueue(reply.clone());
    let crate_items = crate_client::stream_items(
        &v1_chat(&server.endpoint(), options(&ours, record)),
        crate_request,
    )
    .await;
    server.enqueue(reply);
    let stream = openai(&server, &theirs, record)
        .chat()
        .create_stream(openai_request)
        .await
        .expect("the stream starts");
    let openai_items: Vec<_> = stream.collect().await;
    // async-openai reads on past an error event; the span ends at it, as
    // the crate's stream does.
    assert_eq!(
        crate_items.first().map(Result::is_ok),
        openai_items.first().map(Result::is_ok),
        "{openai_items:?}"
    );
    assert_same_span(&ours.spans(), &theirs.spans());
    (ours, theirs)
}

#[tokio::test]
async fn chat_with_content_matches_the_crates_client() {
    let (_, theirs) = compare_chat(Reply::chat_completion("Hi there!"), hello(), true).await;
    let spans = theirs.spans();
    let a = attrs(&spans[0]);
    assert_eq!(spans[0].name, "chat gpt-4o-mini");
    assert_eq!(a["gen_ai.request.temperature"], 0.2.into());
    assert!(dump(&spans).contains("Hi there!"));
    // The call's metrics too.
    assert_eq!(
        theirs.f64_points("gen_ai.client.operation.duration").len(),
        1
    );
}

#[tokio::test]
async fn chat_without_content_records_none_of_it() {
    let (_, theirs) = compare_chat(Reply::chat_completion("secret-answer"), hello(), false).await;
    let text = dump(&theirs.spans());
    assert!(
        !text.contains("secret-prompt") && !text.contains("secret-answer"),
        "{text}"
    );
}

#[tokio::test]
async fn streamed_chat_matches_the_crates_client() {
    let reply = Reply::chat_stream(["Hel", "lo", "!"]);
    let (_, theirs) = compare_stream(reply, hello(), true).await;
    let spans = theirs.spans();
    assert!(attrs(&spans[0]).contains_key("gen_ai.response.time_to_first_chunk"));
    assert!(dump(&spans).contains("Hello!"));
}

#[tokio::test]
async fn tool_call_without_content_keeps_names_and_arguments_out() {
    let mut body = hello();
    body["tools"] = json!([{
        "type": "function",
        "function": {"name": "get_secret_weather", "parameters": {"type": "object"}}
    }]);
    body["tool_choice"] = json!({"type": "function", "function": {"name": "get_secret_weather"}});
    let reply =
        Reply::chat_tool_calls([("call_1", "get_secret_weather", r#"{"city":"Secretville"}"#)]);
    let (_, theirs) = compare_chat(reply, body, false).await;
    let text = dump(&theirs.spans());
    assert!(text.contains("call_1"), "{text}");
    assert!(
        !text.contains("get_secret_weather") && !text.contains("Secretville"),
        "{text}"
    );
}

#[tokio::test]
async fn tool_call_with_content_matches() {
    let mut body = hello();
    body["tools"] = json!([{
        "type": "function",
        "function": {"name": "get_weather", "parameters": {"type": "object"}}
    }]);
    let reply = Reply::chat_tool_calls([("call_1", "get_weather", r#"{"city":"Paris"}"#)]);
    let (_, theirs) = compare_chat(reply, body, true).await;
    assert!(dump(&theirs.spans()).contains("Paris"));
}

#[tokio::test]
async fn error_answer_matches() {
    let reply = Reply::error(400, "content_filter", "secret-echo rejected");
    let (_, theirs) = compare_chat(reply, hello(), false).await;
    let spans = theirs.spans();
    assert_eq!(attrs(&spans[0])["error.type"], "400".into());
    assert!(!dump(&spans).contains("secret-echo"));
}

#[tokio::test]
async fn in_band_error_answer_matches() {
    let reply = Reply::in_band_error("server_error", "secret-echo failed");
    let (_, theirs) = compare_chat(reply, hello(), false).await;
    assert_eq!(
        attrs(&theirs.spans()[0])["error.type"],
        "server_error".into()
    );
}

#[tokio::test]
async fn in_band_error_event_matches() {
    let reply =
        Reply::chat_stream(["Hel", "lo"]).with_error_event(1, "server_error", "secret-echo");
    let (_, theirs) = compare_stream(reply, hello(), false).await;
    let spans = theirs.spans();
    assert_eq!(attrs(&spans[0])["error.type"], "server_error".into());
    assert!(!dump(&spans).contains("secret-echo"));
}

#[tokio::test]
async fn cut_stream_matches() {
    let reply = Reply::chat_stream(["Hel", "lo", "!"]).truncated_after(2);
    let (_, theirs) = compare_stream(reply, hello(), true).await;
    assert_eq!(
        attrs(&theirs.spans()[0])["error.type"],
        "stream_truncated".into()
    );
}

#[tokio::test]
async fn disconnected_stream_matches() {
    let reply = Reply::chat_stream(["Hel", "lo", "!"]).with_disconnect_after(1);
    let (_, theirs) = compare_stream(reply, hello(), false).await;
    assert_eq!(
        attrs(&theirs.spans()[0])["error.type"],
        "stream_truncated".into()
    );
}

/// Waits, without a clock, until `harness` has `n` finished spans: the
/// body async-openai reads in a task of its own ends (and with it the
/// span) once that task sees the stream dropped.
async fn spans_settled(harness: &Harness, n: usize) -> Vec<opentelemetry_sdk::trace::SpanData> {
    for _ in 0..100_000 {
        let spans = harness.spans();
        if spans.len() >= n {
            return spans;
        }
        tokio::task::yield_now().await;
    }
    panic!("the span never ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_dropped_early_matches() {
    let (release, held) = tokio::sync::watch::channel(false);
    let server = held_stream_server(held);
    let (ours, theirs) = (Harness::new(), Harness::new());
    let mut body = hello();
    body["stream"] = json!(true);
    let (crate_request, openai_request) = chat_request(body);

    let client = v1_chat(&server.url(), options(&ours, false));
    let mut stream = client.complete_streaming(crate_request).await.unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    drop(client);

    let client = openai_at(&server.url(), &theirs, false);
    let mut stream = client.chat().create_stream(openai_request).await.unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);

    let spans = spans_settled(&theirs, 1).await;
    assert_same_span(&ours.spans(), &spans);
    assert_eq!(attrs(&spans[0])["error.type"], "cancelled".into());
    drop(client);
    release.send_replace(true);
}

#[tokio::test]
async fn embeddings_match_the_crates_client() {
    let server = MockInferenceServer::start().await.unwrap();
    let (ours, theirs) = (Harness::new(), Harness::new());
    let body = json!({"model": "text-embedding-3-small", "input": ["secret-input"], "encoding_format": "float"});
    let crate_request: EmbeddingsOptions = serde_json::from_value(body.clone()).unwrap();
    let openai_request: CreateEmbeddingRequest = serde_json::from_value(body).unwrap();

    server.enqueue(Reply::embeddings(1, 8));
    v1_embeddings(&server.endpoint(), options(&ours, false))
        .embed(crate_request)
        .await
        .unwrap();
    server.enqueue(Reply::embeddings(1, 8));
    openai(&server, &theirs, false)
        .embeddings()
        .create(openai_request)
        .await
        .unwrap();

    assert_same_span(&ours.spans(), &theirs.spans());
    let spans = theirs.spans();
    assert_eq!(spans[0].name, "embeddings text-embedding-3-small");
    assert!(!dump(&spans).contains("secret-input"));
}

#[tokio::test]
async fn traceparent_of_the_span_goes_out() {
    let server = MockInferenceServer::start().await.unwrap();
    let theirs = Harness::new();
    let (_, request) = chat_request(hello());
    openai(&server, &theirs, false)
        .chat()
        .create(request)
        .await
        .unwrap();
    let span = &theirs.spans()[0];
    let sent = server.requests();
    let traceparent = sent[0].header("traceparent").expect("traceparent sent");
    assert!(
        traceparent.contains(&span.span_context.span_id().to_string()),
        "{traceparent}"
    );
    assert_eq!(sent[0].path, "/openai/v1/chat/completions");
}

#[tokio::test]
async fn an_unrecognised_request_passes_with_no_span() {
    let server = MockInferenceServer::start().await.unwrap();
    let theirs = Harness::new();
    server.enqueue(Reply::json(
        200,
        json!({"object": "list", "data": [{"id": "m", "object": "model", "created": 0, "owned_by": "me"}]}),
    ));
    let models = openai(&server, &theirs, false)
        .models()
        .list()
        .await
        .unwrap();
    assert_eq!(models.data.len(), 1);
    assert!(theirs.spans().is_empty(), "{:?}", theirs.spans());
    let sent = server.requests();
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].header("traceparent"), None);
}

/// A server of the test's own: the first event, then nothing until the
/// test sends `true`, then the rest.
fn held_stream_server(
    held: tokio::sync::watch::Receiver<bool>,
) -> support::loopback::LoopbackServer {
    use axum::body::Body;
    use axum::response::Response;
    let app = axum::Router::new().fallback(move || {
        let mut held = held.clone();
        async move {
            let first = r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#;
            let rest = r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#;
            let events = futures::stream::once(async move { Ok::<_, Infallible>(format!("{first}\n\n")) })
                .chain(futures::stream::once(async move {
                    let _ = held.wait_for(|released| *released).await;
                    Ok(format!("{rest}\n\ndata: [DONE]\n\n"))
                }));
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(events))
                .unwrap()
        }
    });
    support::loopback::LoopbackServer::start("held-stream", app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_event_reaches_the_caller_before_the_body_ends() {
    let (release, held) = tokio::sync::watch::channel(false);
    let server = held_stream_server(held);
    let theirs = Harness::new();
    let mut body = hello();
    body["stream"] = json!(true);
    let (_, request) = chat_request(body);
    let client = openai_at(&server.url(), &theirs, false);
    let mut stream = client.chat().create_stream(request).await.unwrap();
    // The server sends the rest only once this event has been read.
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.choices[0].delta.content.as_deref(), Some("Hel"));
    assert!(theirs.spans().is_empty(), "the span is still open");
    release.send_replace(true);
    let rest: Vec<_> = stream.collect().await;
    assert!(rest.iter().all(Result::is_ok), "{rest:?}");
    let spans = spans_settled(&theirs, 1).await;
    assert_eq!(spans.len(), 1);
    assert_eq!(span_shape(&spans[0])["status"], "Unset");
    drop(client);
}

fn responses_request() -> Value {
    json!({
        "model": "gpt-4o-mini",
        "instructions": "Be brief.",
        "input": "Hello secret-prompt",
        "max_output_tokens": 50
    })
}

/// The crate's Responses client and async-openai each get `reply`, whole
/// or streamed (read to the end).
async fn compare_responses(reply: Reply, body: Value, streamed: bool, record: bool) -> Harness {
    use async_openai::types::responses::CreateResponse;
    use azure_ai_inference_otel::client::{Credential, ResponsesClient};
    use azure_ai_inference_otel::models::ResponsesOptions;

    let server = MockInferenceServer::start().await.unwrap();
    let (ours, theirs) = (Harness::new(), Harness::new());
    let mut body = body;
    if streamed {
        body["stream"] = json!(true);
    }
    let crate_request: ResponsesOptions = serde_json::from_value(body.clone()).unwrap();
    let openai_request: CreateResponse = serde_json::from_value(body).unwrap();

    let crate_client = ResponsesClient::new(
        format!("{}/openai/v1", server.endpoint()),
        Credential::api_key(KEY).unwrap(),
        Some(options(&ours, record)),
    )
    .unwrap();
    let client = openai(&server, &theirs, record);
    server.enqueue(reply.clone());
    server.enqueue(reply);
    if streamed {
        let ours_items: Vec<_> = crate_client
            .create_streaming(crate_request)
            .await
            .unwrap()
            .collect()
            .await;
        let theirs_items: Vec<_> = client
            .responses()
            .create_stream(openai_request)
            .await
            .unwrap()
            .collect()
            .await;
        assert!(!ours_items.is_empty() && !theirs_items.is_empty());
    } else {
        let ours_result = crate_client.create(crate_request).await;
        let theirs_result = client.responses().create(openai_request).await;
        assert_eq!(
            ours_result.is_ok(),
            theirs_result.is_ok(),
            "{theirs_result:?}"
        );
    }
    assert_same_span(&ours.spans(), &theirs.spans());
    theirs
}

#[tokio::test]
async fn responses_match_the_crates_client() {
    use azure_ai_inference_otel::testing::ResponseAnswer;
    let reply = Reply::response(ResponseAnswer::text("secret-answer"));
    let theirs = compare_responses(reply, responses_request(), false, false).await;
    let spans = theirs.spans();
    assert_eq!(attrs(&spans[0])["openai.api.type"], "responses".into());
    assert!(!dump(&spans).contains("secret"));
}

#[tokio::test]
async fn streamed_responses_match_the_crates_client() {
    use azure_ai_inference_otel::testing::ResponseAnswer;
    let reply = Reply::response_stream(ResponseAnswer::text("Hi there"));
    let theirs = compare_responses(reply, responses_request(), true, true).await;
    assert!(dump(&theirs.spans()).contains("Hi there"));
}

#[tokio::test]
async fn a_failed_response_matches() {
    use azure_ai_inference_otel::testing::ResponseAnswer;
    let reply =
        Reply::response_stream(ResponseAnswer::text("Hi").failed("server_error", "secret-echo"));
    let theirs = compare_responses(reply, responses_request(), true, false).await;
    assert_eq!(
        attrs(&theirs.spans()[0])["error.type"],
        "server_error".into()
    );
}
