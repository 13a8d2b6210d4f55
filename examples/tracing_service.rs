//! A service that already uses `tracing` adds this crate's telemetry with one
//! layer: its own `#[tracing::instrument]` spans become OpenTelemetry spans,
//! and the client's `chat` spans nest under them.
//!
//! ```text
//! cargo run --example tracing_service
//! ```
//!
//! The service keeps its console log (a `fmt` layer, on stderr) and adds the
//! layer returned by `install_with_tracing`. Each request is handled by
//! `handle_question`, an instrumented handler that calls the model, so each
//! trace reads `handle_question` → `chat {model}`. The exporters come from
//! the environment (`PipelineBuilder::from_env`:
//! `AZURE_AI_INFERENCE_OTEL_EXPORTERS=stdout` prints the spans at the end,
//! `otlp` or `braintrust` sends them; with nothing set they go nowhere and
//! the console log says so).
//!
//! Without `AZURE_AI_INFERENCE_ENDPOINT` the model is the built-in demo
//! endpoint (no network); with it (plus `AZURE_AI_INFERENCE_KEY`, optionally
//! `AZURE_AI_INFERENCE_MODEL`) a real one.

mod common;

use std::error::Error;

use azure_ai_inference_otel::client::ChatCompletionsClient;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::setup::PipelineBuilder;
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let target = common::Target::from_env()?;

    // The one addition to an existing `tracing` set-up: `otel_layer`.
    let (guard, otel_layer) = PipelineBuilder::from_env()?
        .with_service_name("tracing-service")
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
    let requests = [
        (17, "What is a span?"),
        (42, "Why do traces need context propagation?"),
    ];
    for (user_id, question) in requests {
        match handle_question(&client, user_id, question).await {
            Ok(answer) => println!("user {user_id}: {answer}"),
            Err(e) => println!("user {user_id}: failed: {e}"),
        }
    }

    guard.shutdown_async().await?;
    Ok(())
}

/// The service's request handler. `#[instrument]` makes its span; the layer
/// makes that span the current OpenTelemetry context while the handler runs,
/// so the client's span is its child.
#[tracing::instrument(skip(client, question), fields(question_len = question.len()))]
async fn handle_question(
    client: &ChatCompletionsClient,
    user_id: u32,
    question: &str,
) -> azure_ai_inference_otel::Result<String> {
    tracing::info!("asking the model");
    let answer = client
        .complete(
            ChatCompletionsOptions::new(vec![
                ChatRequestMessage::system("Answer in one sentence."),
                ChatRequestMessage::user(question),
            ])
            .with_max_tokens(100),
        )
        .await?;
    tracing::info!(
        total_tokens = answer.usage.as_ref().map(|u| u.total_tokens),
        "answered"
    );
    Ok(answer.content().unwrap_or_default().to_owned())
}
