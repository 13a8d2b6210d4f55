//! Streaming: the answer printed as it arrives, then a second stream dropped
//! halfway, and what each one's span recorded.
//!
//! ```text
//! cargo run --example streaming
//! ```
//!
//! A `StreamingChatCompletions` owns its span: it ends the span when the
//! stream completes (`data: [DONE]`), fails, or is dropped early (then with
//! `error.type` = `cancelled`). The spans are collected in memory here
//! (`opentelemetry_sdk`'s `InMemorySpanExporter`) so the example can print
//! what was recorded: time to the first chunk, token usage, finish reasons.
//!
//! Without `AZURE_AI_INFERENCE_ENDPOINT` it streams from the built-in demo
//! endpoint (real server-sent events, no network); with it (plus
//! `AZURE_AI_INFERENCE_KEY`, optionally `AZURE_AI_INFERENCE_MODEL`) from
//! that endpoint.

mod common;

use std::error::Error;
use std::io::Write as _;
use std::time::Instant;

use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::setup::TelemetryPipeline;
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use futures::StreamExt as _;
use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::InMemorySpanExporter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let target = common::Target::from_env()?;
    let spans = InMemorySpanExporter::default();
    let guard = TelemetryPipeline::builder()
        .with_service_name("streaming-example")
        .with_span_exporter(spans.clone())
        .install()?;
    let client = target.chat_client(TelemetryOptions::new())?;
    let question = ChatCompletionsOptions::new(vec![ChatRequestMessage::user(
        "Describe a sunrise over the sea in three sentences.",
    )]);

    // 1. Read the whole stream, printing each piece as it comes.
    let started = Instant::now();
    let mut stream = client.complete_streaming(question.clone()).await?;
    let mut first_piece = None;
    let mut text = String::new();
    while let Some(update) = stream.next().await {
        let update = update?;
        if let Some(piece) = update.content().filter(|p| !p.is_empty()) {
            first_piece.get_or_insert_with(|| started.elapsed());
            text.push_str(piece);
            print!("{piece}");
            std::io::stdout().flush()?;
        }
    }
    println!();
    if let Some(first) = first_piece {
        println!(
            "-- {} characters; first text after {:.1} ms, all after {:.1} ms",
            text.len(),
            first.as_secs_f64() * 1000.0,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }

    // 2. Stop after two updates: dropping the stream stops reading the
    //    response and ends the span as cancelled.
    let mut stream = client.complete_streaming(question).await?;
    let mut kept = 0;
    while kept < 2 {
        match stream.next().await {
            Some(update) => {
                update?;
                kept += 1;
            }
            None => break,
        }
    }
    drop(stream);
    println!("-- second stream dropped after {kept} updates");

    // Flush before reading: the exporter forgets its spans at shutdown.
    guard.force_flush()?;
    let finished = spans.get_finished_spans()?;
    guard.shutdown_async().await?;
    println!("\nWhat the spans recorded:");
    for span in finished {
        let attr = |key: &str| {
            span.attributes
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| kv.value.to_string())
                .unwrap_or_else(|| "-".to_owned())
        };
        let outcome = match &span.status {
            Status::Error { description } => {
                format!("{} ({description})", attr("error.type"))
            }
            _ => "completed".to_owned(),
        };
        println!(
            "  {}: {outcome}; time to first chunk {} s; tokens in {} out {}; finish reasons {}",
            span.name,
            attr("gen_ai.response.time_to_first_chunk"),
            attr("gen_ai.usage.input_tokens"),
            attr("gen_ai.usage.output_tokens"),
            attr("gen_ai.response.finish_reasons"),
        );
    }
    Ok(())
}
