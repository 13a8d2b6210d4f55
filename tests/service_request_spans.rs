//! A service as users build it (axum, tower-http's `TraceLayer`, the
//! pipeline's `tracing` layer): request spans are exported with their
//! `on_failure` events, the client's chat spans nest under them, and a
//! caller's `traceparent` is continued through the request span to the chat
//! span and its Braintrust row. The handler is `examples/axum_service.rs`
//! itself.

mod support;

#[path = "../examples/axum_service.rs"]
#[allow(dead_code)]
mod axum_service;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions, Credential};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryGuard, TelemetryPipeline};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::MockInferenceServer;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use serde_json::Value;
use support::braintrust_stand_in::StandIn;
use tower_http::trace::TraceLayer;
use tracing_subscriber::prelude::*;

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// The pipeline (Braintrust stand-in plus an in-memory copy of the spans),
/// its layer as this thread's subscriber, and a client of the demo
/// endpoint reporting to it.
struct Service {
    stand_in: StandIn,
    spans: InMemorySpanExporter,
    guard: TelemetryGuard,
    _subscriber: tracing::subscriber::DefaultGuard,
    _model: MockInferenceServer,
    client: ChatCompletionsClient,
}

impl Service {
    async fn start() -> Service {
        let stand_in = StandIn::start();
        let spans = InMemorySpanExporter::default();
        let (guard, layer) = TelemetryPipeline::builder()
            .with_global(false)
            .with_exporter(ExporterKind::Braintrust)
            .with_braintrust_config(stand_in.config())
            .with_span_exporter(spans.clone())
            .install_with_tracing()
            .expect("pipeline installs");
        // A current-thread runtime: the server's tasks see this subscriber.
        let subscriber =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        let model = MockInferenceServer::start().await.expect("demo endpoint");
        let telemetry = TelemetryOptions::new()
            .with_tracer_provider(guard.tracer_provider())
            .with_meter_provider(guard.meter_provider());
        let client = ChatCompletionsClient::new(
            model.endpoint(),
            Credential::api_key("demo-key").expect("key"),
            Some(ClientOptions::new().with_telemetry(telemetry)),
        )
        .expect("client");
        Service {
            stand_in,
            spans,
            guard,
            _subscriber: subscriber,
            _model: model,
            client,
        }
    }

    /// Serves `app` on loopback; returns its base URL.
    async fn serve(app: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    /// Delivers everything; the spans and the Braintrust rows.
    fn finish(self) -> (Vec<SpanData>, Vec<Value>) {
        self.guard.force_flush().expect("delivered");
        let spans = self.spans.get_finished_spans().expect("spans");
        self.guard.shutdown().expect("clean shutdown");
        (spans, self.stand_in.rows())
    }
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn chat_span(spans: &[SpanData]) -> &SpanData {
    spans
        .iter()
        .find(|s| s.name == "chat" || s.name.starts_with("chat "))
        .unwrap_or_else(|| {
            panic!(
                "no chat span in {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        })
}

fn row_of<'a>(rows: &'a [Value], span: &SpanData) -> &'a Value {
    let id = span.span_context.span_id().to_string();
    rows.iter()
        .find(|r| r["span_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no row for {}: {rows:#?}", span.name))
}

fn question() -> axum_service::Question {
    axum_service::Question {
        question: "What is a span?".into(),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn stock_trace_layer_request_spans_are_parents_and_failures_are_events() {
    let service = Service::start().await;
    let app = Router::new()
        .route("/ask", post(axum_service::ask))
        .route("/fail", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .with_state(std::sync::Arc::new(service.client.clone()))
        .layer(TraceLayer::new_for_http());
    let url = Service::serve(app).await;
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("{url}/ask"))
        .json(&question())
        .send()
        .await
        .expect("asks");
    assert_eq!(answer.status(), 200);
    let failed = http.get(format!("{url}/fail")).send().await.expect("fails");
    assert_eq!(failed.status(), 500);

    let (spans, rows) = service.finish();
    let requests = named(&spans, "request");
    assert_eq!(requests.len(), 2, "tower-http's request spans are exported");
    let chat = chat_span(&spans);
    let parent = requests
        .iter()
        .find(|r| r.span_context.span_id() == chat.parent_span_id)
        .expect("the chat span nests under a request span");
    assert_eq!(parent.span_context.trace_id(), chat.span_context.trace_id());

    let failed = requests
        .iter()
        .find(|r| r.events.iter().any(|e| e.name == "response failed"))
        .expect("on_failure's ERROR event is on the failed request's span");
    // The request's DEBUG `on_request`/`on_response` events stay in.
    assert!(
        parent.events.is_empty(),
        "{:?}",
        parent.events.iter().map(|e| &e.name).collect::<Vec<_>>()
    );

    // The Braintrust rows: the chat row under its request row; the failed
    // request's row says what failed, and carries no bookkeeping fields.
    let chat_row = row_of(&rows, chat);
    assert_eq!(
        chat_row["span_parents"],
        serde_json::json!([parent.span_context.span_id().to_string()])
    );
    let failed_row = row_of(&rows, failed);
    assert_eq!(failed_row["error"], "response failed");
    let metadata = failed_row["metadata"].as_object().expect("metadata");
    for key in [
        "target",
        "busy_ns",
        "idle_ns",
        "level",
        "thread.id",
        "code.file.path",
    ] {
        assert!(!metadata.contains_key(key), "{key} in {metadata:?}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_callers_traceparent_is_continued_to_the_chat_span_and_its_row() {
    let service = Service::start().await;
    let url = Service::serve(axum_service::app(service.client.clone())).await;
    let answer: axum_service::Answer = reqwest::Client::new()
        .post(format!("{url}/ask"))
        .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
        .json(&question())
        .send()
        .await
        .expect("asks")
        .error_for_status()
        .expect("answered")
        .json()
        .await
        .expect("an answer");
    assert!(!answer.answer.is_empty());

    let (spans, rows) = service.finish();
    let caller_trace = TraceId::from_hex(CALLER_TRACE).expect("hex");
    let caller_span = SpanId::from_hex(CALLER_SPAN).expect("hex");
    let request = named(&spans, "request");
    let [request] = request[..] else {
        panic!("one request span: {spans:#?}");
    };
    assert_eq!(request.span_context.trace_id(), caller_trace);
    assert_eq!(request.parent_span_id, caller_span);
    assert!(request.parent_span_is_remote);
    let chat = chat_span(&spans);
    assert_eq!(chat.span_context.trace_id(), caller_trace);
    assert_eq!(chat.parent_span_id, request.span_context.span_id());

    let chat_row = row_of(&rows, chat);
    assert_eq!(chat_row["root_span_id"], CALLER_TRACE);
    assert_eq!(
        chat_row["span_parents"],
        serde_json::json!([request.span_context.span_id().to_string()])
    );
    let request_row = row_of(&rows, request);
    assert_eq!(request_row["root_span_id"], CALLER_TRACE);
    assert_eq!(
        request_row["span_parents"],
        serde_json::json!([CALLER_SPAN])
    );
}
