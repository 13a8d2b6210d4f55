//! An error object in a 200 answer, or as an event of a stream, is a failure
//! for the caller and the span, whose `error.type` is the service's code (when
//! it is a short identifier) and whose telemetry never quotes the message.

mod support;
use support::client as client_support;
use support::telemetry;

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions, ImageEmbeddingInput,
    ImageEmbeddingsOptions,
};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry::Value;
use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::SpanData;
use telemetry::{Harness, attrs, dump};

/// The service echoes the prompt in its message: it must reach the caller
/// and never the telemetry.
const ECHOED: &str = "the prompt 'my-private-prompt' was filtered";

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("my-private-prompt")])
        .with_model("gpt-4o")
}

fn assert_service_failure(span: &SpanData, code: &str) {
    assert_eq!(attrs(span)["error.type"], Value::from(code.to_owned()));
    match &span.status {
        Status::Error { description } => {
            assert!(
                description.contains(code) || code == "_OTHER",
                "{description}"
            );
            assert!(!description.contains("private"), "{description}");
        }
        other => panic!("{other:?}"),
    }
    let exceptions = span.events.iter().filter(|e| e.name == "exception").count();
    assert_eq!(exceptions, 1);
}

#[tokio::test]
async fn a_200_error_object_fails_the_chat_call() {
    for record in [false, true] {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(Reply::in_band_error("content_filter", ECHOED).with_request_id("req-9"));
        let h = Harness::new();
        let client = client_support::chat(&server, client_support::options(&h, record));

        let e = client.complete(request()).await.unwrap_err();
        match &e {
            Error::Service {
                code,
                message,
                request_id,
            } => {
                assert_eq!(code.as_deref(), Some("content_filter"));
                assert_eq!(message, ECHOED);
                assert_eq!(request_id.as_deref(), Some("req-9"));
            }
            other => panic!("{other:?}"),
        }
        let text = e.to_string();
        assert!(text.contains(ECHOED) && text.contains("req-9"), "{text}");

        let spans = h.spans();
        assert_eq!(spans.len(), 1);
        assert_service_failure(&spans[0], "content_filter");
        let all = dump(&spans);
        assert!(!all.contains("was filtered"), "{all}");
        if !record {
            assert!(!all.contains("my-private-prompt"), "{all}");
        }
    }
}

#[tokio::test]
async fn a_code_that_is_not_an_identifier_is_other() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::in_band_error("my-private-prompt is bad", ECHOED));
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let e = client.complete(request()).await.unwrap_err();
    assert_eq!(e.error_type(), "_OTHER");
    let spans = h.spans();
    assert_service_failure(&spans[0], "_OTHER");
    assert!(!dump(&spans).contains("private"));
}

#[tokio::test]
async fn an_error_event_fails_the_stream() {
    for record in [false, true] {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(
            Reply::chat_stream(["Hel", "lo"])
                .with_error_event(2, "server_error", ECHOED)
                .with_request_id("req-s"),
        );
        let h = Harness::new();
        let client = client_support::chat(&server, client_support::options(&h, record));

        let mut stream = client.complete_streaming(request()).await.unwrap();
        assert_eq!(stream.request_id(), Some("req-s"));
        let mut updates = 0;
        let error = loop {
            match stream.next().await {
                Some(Ok(_)) => updates += 1,
                Some(Err(e)) => break e,
                None => panic!("the error event was ignored"),
            }
        };
        assert_eq!(updates, 2, "the two events before the error");
        assert!(stream.next().await.is_none(), "the error ends the stream");
        match &error {
            Error::Service {
                code, request_id, ..
            } => {
                assert_eq!(code.as_deref(), Some("server_error"));
                assert_eq!(request_id.as_deref(), Some("req-s"));
            }
            other => panic!("{other:?}"),
        }
        drop(stream);

        let spans = h.spans();
        assert_eq!(spans.len(), 1);
        assert_service_failure(&spans[0], "server_error");
        assert!(!dump(&spans).contains("was filtered"));
    }
}

#[tokio::test]
async fn embeddings_image_embeddings_and_model_info_see_error_objects() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();

    server.enqueue(Reply::in_band_error("invalid_input", ECHOED));
    let e = client_support::embeddings(&server, client_support::options(&h, false))
        .embed(EmbeddingsOptions::new(["my-private-prompt"]))
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "invalid_input");

    server.enqueue(Reply::in_band_error("invalid_image", ECHOED));
    let image = ImageEmbeddingInput::new("data:image/png;base64,iVBORw0KGgo=");
    let e = client_support::image_embeddings(&server, client_support::options(&h, false))
        .embed(ImageEmbeddingsOptions::new(vec![image]))
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "invalid_image");

    server.enqueue(Reply::in_band_error("NotFound", "no model here"));
    let e = client_support::chat(&server, client_support::options(&h, false))
        .get_model_info()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Service { .. }), "{e:?}");

    let spans = h.spans();
    assert_eq!(spans.len(), 2, "model info makes no span");
    assert_service_failure(&spans[0], "invalid_input");
    assert_service_failure(&spans[1], "invalid_image");
    assert!(!dump(&spans).contains("private"));
}
