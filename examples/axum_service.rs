//! An axum 0.8 service with this crate's telemetry: tower-http request spans,
//! the caller's trace continued, a chat call under each request, and a
//! graceful shutdown that delivers what is queued within a deadline.
//!
//! ```text
//! cargo run --example axum_service            # serves until ctrl-c / SIGTERM
//! cargo run --example axum_service -- --once  # answers one request of its own, then exits
//! curl -s localhost:3000/ask -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
//!      -H 'content-type: application/json' -d '{"question":"What is a span?"}'
//! ```
//!
//! Each trace reads: the caller's span → `request` (tower-http's
//! `TraceLayer`, continuing the caller's `traceparent`/`baggage`) →
//! `chat {model}`. Exporters come from the environment
//! (`AZURE_AI_INFERENCE_OTEL_EXPORTERS=otlp,braintrust` ...; with nothing set
//! telemetry goes nowhere and the log says so). Without
//! `AZURE_AI_INFERENCE_ENDPOINT` the model is the built-in demo endpoint, so
//! the example runs offline. `PORT` picks the port (default 3000, with
//! `--once` any free one); the address is printed on stdout.

#[path = "common/mod.rs"]
mod common;

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Json, State};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::{Router, serve};
use azure_ai_inference_otel::client::ChatCompletionsClient;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::setup::{PipelineBuilder, continue_trace};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tower_http::trace::{DefaultMakeSpan, MakeSpan as _, TraceLayer};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;

/// Kept below Kubernetes' default 30 s grace period, so the shutdown report
/// is printed before the pod is killed.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(20);

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let once = std::env::args().any(|arg| arg == "--once");
    let target = common::Target::from_env()?;

    let (guard, otel_layer) = PipelineBuilder::from_env()?
        .with_service_name("axum-service")
        .with_shutdown_timeout(SHUTDOWN_DEADLINE)
        .install_with_tracing()?;
    tracing_subscriber::registry()
        .with(otel_layer)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(LevelFilter::INFO),
        )
        .init();

    let client = target.chat_client(TelemetryOptions::new())?;
    // `--once` takes any free port unless `PORT` says otherwise.
    let port = std::env::var("PORT").unwrap_or_else(|_| if once { "0" } else { "3000" }.into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        serve(listener, app(client))
            .with_graceful_shutdown(async move {
                tokio::select! {
                    _ = stopped => {}
                    () = shutdown_signal() => {}
                }
            })
            .into_future(),
    );

    if once {
        // One request, as a traced caller would send it.
        let answer = reqwest::Client::new()
            .post(format!("http://{addr}/ask"))
            .header(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )
            .json(&Question {
                question: "What is a span?".into(),
            })
            .send()
            .await?
            .error_for_status()?
            .json::<Answer>()
            .await?;
        println!("answer: {}", answer.answer);
        let _ = stop.send(());
    }
    server.await??;

    // Deliver what is queued, within SHUTDOWN_DEADLINE.
    if let Some(summary) = guard.delivery_summary() {
        eprintln!("{summary}");
    }
    guard.shutdown_async().await?;
    Ok(())
}

/// The service: `POST /ask`, each request in a tower-http span that
/// continues the caller's trace.
pub fn app(client: ChatCompletionsClient) -> Router {
    Router::new()
        .route("/ask", post(ask))
        .with_state(Arc::new(client))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// tower-http's own request span, made to continue the W3C trace the
/// caller sent (before the span is entered, which `continue_trace` needs).
pub fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let span = DefaultMakeSpan::new().make_span(request);
    if let Err(e) = continue_trace(&span, request.headers()) {
        tracing::warn!(error = %e, "the request span cannot continue the caller's trace");
    }
    span
}

/// The body of `POST /ask`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Question {
    /// What to ask the model.
    pub question: String,
}

/// The answer to a [`Question`].
#[derive(Debug, Serialize, Deserialize)]
pub struct Answer {
    /// The model's answer.
    pub answer: String,
}

/// `POST /ask`: one chat call inside the request span.
pub async fn ask(
    State(client): State<Arc<ChatCompletionsClient>>,
    Json(question): Json<Question>,
) -> Result<Json<Answer>, (StatusCode, String)> {
    let answer = client
        .complete(ChatCompletionsOptions::new(vec![
            ChatRequestMessage::system("Answer in one sentence."),
            ChatRequestMessage::user(question.question),
        ]))
        .await
        .map_err(|e| {
            // `error_type()` is a `tracing` value: a low-cardinality field.
            tracing::error!(error.type = e.error_type(), "the model call failed");
            (StatusCode::BAD_GATEWAY, e.to_string())
        })?;
    Ok(Json(Answer {
        answer: answer.content().unwrap_or_default().to_owned(),
    }))
}

/// ctrl-c, or SIGTERM (what an orchestrator sends) on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
