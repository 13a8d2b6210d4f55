//! Every error class of the contract, for each operation: the typed error
//! reaches the caller, and the span carries `error.type`, status Error and
//! one `exception` event, ended once.

mod support;
use support::client as client_support;
use support::telemetry;

use std::time::Duration;

use azure_ai_inference_otel::client::{
    ChatCompletionsClient, ClientOptions, Credential, EmbeddingsClient,
};
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions, ImageEmbeddingInput,
    ImageEmbeddingsOptions,
};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use azure_ai_inference_otel::{ConfigField, Error};
use opentelemetry::Value;
use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::SpanData;
use telemetry::{Harness, attrs};

fn chat_request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")]).with_model("m")
}

/// One span, ended once, status Error, the given `error.type`, one exception event.
fn assert_failed(spans: &[SpanData], error_type: &str) {
    assert_eq!(spans.len(), 1, "exactly one span");
    let s = &spans[0];
    assert_eq!(attrs(s)["error.type"], Value::from(error_type.to_owned()));
    assert!(matches!(s.status, Status::Error { .. }), "{:?}", s.status);
    assert_eq!(s.events.iter().filter(|e| e.name == "exception").count(), 1);
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Chat,
    Stream,
    Embed,
    ImageEmbed,
}

const OPS: [Op; 4] = [Op::Chat, Op::Stream, Op::Embed, Op::ImageEmbed];

async fn call(op: Op, server: &MockInferenceServer, options: ClientOptions) -> Result<(), Error> {
    match op {
        Op::Chat => client_support::chat(server, options)
            .complete(chat_request())
            .await
            .map(drop),
        Op::Stream => {
            use futures::StreamExt;
            let mut stream = client_support::chat(server, options)
                .complete_streaming(chat_request())
                .await?;
            while let Some(item) = stream.next().await {
                item?;
            }
            Ok(())
        }
        Op::Embed => client_support::embeddings(server, options)
            .embed(EmbeddingsOptions::new(["x"]).with_model("e"))
            .await
            .map(drop),
        Op::ImageEmbed => client_support::image_embeddings(server, options)
            .embed(
                ImageEmbeddingsOptions::new(vec![ImageEmbeddingInput::from_bytes(
                    b"png",
                    "image/png",
                )])
                .with_model("e"),
            )
            .await
            .map(drop),
    }
}

#[tokio::test]
async fn http_statuses_for_every_operation() {
    for op in OPS {
        for status in [400u16, 401, 429, 500] {
            let server = MockInferenceServer::start().await.unwrap();
            server.enqueue(Reply::error(status, "SomeCode", "what the service said"));
            let h = Harness::new();
            let err = call(op, &server, client_support::options(&h, false))
                .await
                .unwrap_err();
            assert_eq!(err.status(), Some(status), "{op:?}");
            assert!(err.to_string().contains("what the service said"), "{err}");
            assert_failed(&h.spans(), &status.to_string());
        }
    }
}

#[tokio::test]
async fn invalid_json_body_for_every_operation() {
    for op in [Op::Chat, Op::Embed, Op::ImageEmbed] {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(Reply::raw(200, "application/json", "{not json"));
        let h = Harness::new();
        let err = call(op, &server, client_support::options(&h, false))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidResponse { .. }),
            "{op:?}: {err:?}"
        );
        assert!(
            err.to_string().contains("{not json"),
            "the snippet names what came: {err}"
        );
        assert_failed(&h.spans(), "invalid_response");
    }
}

#[tokio::test]
async fn read_timeout_for_every_operation() {
    for op in OPS {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(Reply::chat_completion("late").with_delay(Duration::from_secs(30)));
        let h = Harness::new();
        let options =
            client_support::options(&h, false).with_read_timeout(Duration::from_millis(200));
        let err = call(op, &server, options).await.unwrap_err();
        assert_eq!(err.error_type(), "timeout", "{op:?}: {err:?}");
        assert_failed(&h.spans(), "timeout");
    }
}

#[tokio::test]
async fn connection_refused_for_every_operation() {
    // A port that was just free: bind, note it, release it.
    let port = support::loopback::closed_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let h = Harness::new();
    let options = client_support::options(&h, false);
    let key = || Credential::api_key(client_support::KEY).unwrap();
    let chat = ChatCompletionsClient::new(&endpoint, key(), Some(options.clone())).unwrap();
    let err = chat.complete(chat_request()).await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(err.to_string().contains("check the endpoint"), "{err}");
    let embed = EmbeddingsClient::new(&endpoint, key(), Some(options)).unwrap();
    let err = embed
        .embed(EmbeddingsOptions::new(["x"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    let spans = h.spans();
    assert_eq!(spans.len(), 2);
    for s in &spans {
        assert_eq!(attrs(s)["error.type"], Value::from("connection"));
    }
}

#[tokio::test]
async fn future_dropped_before_the_response_is_cancelled() {
    for op in OPS {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(Reply::chat_completion("late").with_delay(Duration::from_secs(30)));
        let h = Harness::new();
        let options = client_support::options(&h, false);
        let mut fut = Box::pin(call(op, &server, options));
        // Poll until the server has the request, then drop the call.
        tokio::select! {
            _ = &mut fut => panic!("{op:?} finished early"),
            _ = server.wait_for_requests(1) => {}
        }
        drop(fut);
        assert_failed(&h.spans(), "cancelled");
    }
}

#[tokio::test]
async fn bad_configuration_is_a_clear_error() {
    let err = ChatCompletionsClient::new("not a url", Credential::api_key("k").unwrap(), None)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidConfig {
                field: ConfigField::Endpoint,
                ..
            }
        ),
        "{err:?}"
    );
    let err = Credential::api_key("").unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    let err = Credential::api_key("abc\ndef").unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { .. }));
    assert!(
        !format!("{err} {err:?}").contains("abc"),
        "the key never shows in errors"
    );
}

#[test]
fn keys_never_show_in_debug() {
    let credential = Credential::api_key("super-secret-key").unwrap();
    assert!(!format!("{credential:?}").contains("super-secret-key"));
    let client =
        ChatCompletionsClient::new("https://x.services.ai.azure.com/models", credential, None)
            .unwrap();
    assert!(!format!("{client:?}").contains("super-secret-key"));
}
