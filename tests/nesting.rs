//! Our spans nest under the caller's `tracing` span (with the
//! tracing-opentelemetry layer installed) and under an explicit
//! OpenTelemetry context.

mod support;
use support::client as client_support;
use support::telemetry;

use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::testing::MockInferenceServer;
use futures::StreamExt;
use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider};
use telemetry::Harness;
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")]).with_model("m")
}

#[tokio::test]
async fn nests_under_an_active_tracing_span() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let layer = tracing_opentelemetry::layer().with_tracer(h.tracer_provider.tracer("app"));
    let subscriber = tracing_subscriber::registry().with(layer);
    let _default = tracing::subscriber::set_default(subscriber);

    let client = client_support::chat(&server, client_support::options(&h, false));
    let handler = tracing::info_span!("handle_request");
    async {
        client.complete(request()).await.unwrap();
        let stream = client.complete_streaming(request()).await.unwrap();
        let _: Vec<_> = stream.collect().await;
    }
    .instrument(handler)
    .await;

    let spans = h.spans();
    let parent = spans
        .iter()
        .find(|s| s.name == "handle_request")
        .expect("the tracing span is exported");
    let chats: Vec<_> = spans.iter().filter(|s| s.name == "chat m").collect();
    assert_eq!(chats.len(), 2);
    for chat in chats {
        assert_eq!(chat.parent_span_id, parent.span_context.span_id());
        assert_eq!(chat.span_context.trace_id(), parent.span_context.trace_id());
    }
    // And the service sees the same trace.
    let traceparent = server.requests()[0]
        .header("traceparent")
        .unwrap()
        .to_owned();
    assert!(traceparent.contains(&parent.span_context.trace_id().to_string()));
}

#[tokio::test]
async fn nests_under_an_explicit_opentelemetry_context() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = client_support::chat(&server, client_support::options(&h, false));
    let tracer = h.tracer_provider.tracer("app");
    let parent = tracer.start("job");
    let cx = opentelemetry::Context::current_with_span(parent);
    {
        let _guard = cx.clone().attach();
        client.complete(request()).await.unwrap();
    }
    cx.span().end();
    let spans = h.spans();
    let job = spans.iter().find(|s| s.name == "job").unwrap();
    let chat = spans.iter().find(|s| s.name == "chat m").unwrap();
    assert_eq!(chat.parent_span_id, job.span_context.span_id());
}
