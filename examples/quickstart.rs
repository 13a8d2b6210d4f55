//! Quick start: six calls, then their spans as a tree and the Braintrust
//! rows they become.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! It makes a chat completion, a streamed one, a Responses API call (plain
//! and streamed, with a reasoning effort), an embedding and one call that
//! fails (a scripted HTTP 429 from the demo endpoint; against a real
//! endpoint, a call to a closed loopback port), all inside a `tracing` span
//! named `quickstart`. The spans are collected in memory and drawn as a tree
//! (name, duration, model, tokens, finish reasons, error), and each is mapped
//! to the row the native Braintrust exporter sends
//! (`exporters::braintrust::preview_row`).
//!
//! - No network needed: without `AZURE_AI_INFERENCE_ENDPOINT` the calls go
//!   to the built-in demo endpoint on 127.0.0.1. With it (and
//!   `AZURE_AI_INFERENCE_KEY`, optionally `AZURE_AI_INFERENCE_MODEL`) they go
//!   to that endpoint.
//! - With `BRAINTRUST_API_KEY` set, the `braintrust` exporter is installed
//!   too and the rows are sent to Braintrust (`BRAINTRUST_PARENT`, default
//!   `project_name:default-otel-project`); without it they are written as
//!   JSON lines to `target/quickstart-braintrust-rows.jsonl`.
//! - Prompts and completions are recorded on the spans here, so the rows
//!   show them; content recording is off by default.

// The span tree the CLI draws for `--exporter stdout`.
#[path = "../cli/src/tree.rs"]
mod tree;

mod common;
use common::BRAINTRUST_API_KEY;

use std::error::Error;
use std::io::Write as _;
use std::path::PathBuf;

use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions, ResponsesClient};
use azure_ai_inference_otel::exporters::braintrust::preview_row;
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions, ReasoningEffort,
    ResponseStreamEvent, ResponsesOptions,
};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::Reply;
use futures::StreamExt as _;
use tracing::Instrument as _;
use tracing_subscriber::prelude::*;

use common::Target;
use tree::{SpanCollector, render_tree};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let target = Target::from_env()?;

    // Spans go to memory (for the tree) and, with a key, to Braintrust.
    let collector = SpanCollector::default();
    let to_braintrust = std::env::var(BRAINTRUST_API_KEY).is_ok_and(|k| !k.trim().is_empty());
    let mut pipeline = TelemetryPipeline::builder()
        .with_service_name("quickstart")
        .with_span_exporter(collector.clone());
    if to_braintrust {
        pipeline = pipeline.with_exporter(ExporterKind::Braintrust);
    }
    let (guard, otel_layer) = pipeline.install_with_tracing()?;
    tracing_subscriber::registry().with(otel_layer).init();

    // Built after the pipeline, so their metrics go to it.
    // Content recording is off by default; the demo turns it on so the
    // Braintrust rows below show the messages.
    let telemetry = TelemetryOptions::new().with_content_recording(true);
    eprintln!(
        "content recording: on for this demo (off by default; see AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED)"
    );
    let chat = target.chat_client(telemetry.clone())?;
    let embeddings = target.embeddings_client(telemetry.clone())?;
    let responses = target.responses_client(telemetry.clone())?;

    calls(&target, &chat, &responses, &embeddings, telemetry)
        .instrument(tracing::info_span!("quickstart"))
        .await?;

    // Shutting down delivers every span (to memory, and to Braintrust).
    let delivered = guard.shutdown_async().await;
    if let Err(e) = &delivered {
        eprintln!("warning: {e}");
    }
    let spans = collector.spans();
    println!("\nSpans ({}):\n{}", spans.len(), render_tree(&spans));

    let mut rows: Vec<_> = spans.iter().map(preview_row).collect();
    let start = |row: &serde_json::Value| row["metrics"]["start"].as_f64().unwrap_or_default();
    rows.sort_by(|a, b| start(a).total_cmp(&start(b)));
    if to_braintrust {
        match delivered {
            Ok(()) => println!(
                "Braintrust: the braintrust exporter sent these {} rows:",
                rows.len()
            ),
            Err(_) => println!(
                "Braintrust: the braintrust exporter could not deliver these {} rows (see the warning above):",
                rows.len()
            ),
        }
    } else {
        let path = rows_path();
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for row in &rows {
            serde_json::to_writer(&mut file, row)?;
            writeln!(file)?;
        }
        file.flush()?;
        println!(
            "Braintrust: {BRAINTRUST_API_KEY} is not set, so the {} rows the native exporter would send were written to {}:",
            rows.len(),
            path.display()
        );
    }
    for json in &rows {
        // Chat rows hold message and choice arrays; embeddings rows
        // (Braintrust's embeddings spec) `{"inputs":[..]}` and `{"count":N}`.
        let count = |key: &str, what: &str| {
            let value = &json[key];
            if let Some(items) = value.as_array() {
                format!("{} {what}", items.len())
            } else if let Some(inputs) = value["inputs"].as_array() {
                format!("{} inputs", inputs.len())
            } else if let Some(n) = value["count"].as_u64() {
                format!("{n} vectors")
            } else {
                "-".to_owned()
            }
        };
        println!(
            "  {:<5} {:<12} input: {:<12} output: {:<10} tokens: {}{}",
            json["span_attributes"]["type"].as_str().unwrap_or_default(),
            json["span_attributes"]["name"].as_str().unwrap_or_default(),
            count("input", "messages"),
            count("output", "items"),
            json["metrics"]["tokens"]
                .as_u64()
                .map_or("-".to_owned(), |t| t.to_string()),
            json["error"]
                .as_str()
                .map(|e| format!("  error: {e}"))
                .unwrap_or_default(),
        );
    }
    Ok(())
}

/// The six calls. Each failure is printed and the next call still made, so
/// the tree always shows all six.
async fn calls(
    target: &Target,
    chat: &ChatCompletionsClient,
    responses: &ResponsesClient,
    embeddings: &azure_ai_inference_otel::client::EmbeddingsClient,
    telemetry: TelemetryOptions,
) -> Result<(), Box<dyn Error>> {
    let question = ChatCompletionsOptions::new(vec![
        ChatRequestMessage::system("You are a terse assistant."),
        ChatRequestMessage::user("What is OpenTelemetry, in one sentence?"),
    ])
    .with_max_tokens(80);

    // 1. A chat completion.
    match chat.complete(question.clone()).await {
        Ok(answer) => println!("chat:      {}", answer.content().unwrap_or_default()),
        Err(e) => println!("chat failed: {e}"),
    }

    // 2. The same question, streamed: text printed as it arrives.
    print!("streamed:  ");
    match chat.complete_streaming(question).await {
        Ok(mut stream) => {
            while let Some(update) = stream.next().await {
                match update {
                    Ok(update) => print!("{}", update.content().unwrap_or_default()),
                    Err(e) => print!(" [stream failed: {e}]"),
                }
                std::io::stdout().flush()?;
            }
            println!();
        }
        Err(e) => println!("failed: {e}"),
    }

    // 3. The Responses API, which Azure recommends for OpenAI models: the
    //    same question with instructions and a reasoning effort...
    let ask = ResponsesOptions::new("What is OpenTelemetry, in one sentence?")
        .with_instructions("You are a terse assistant.")
        .with_reasoning_effort(ReasoningEffort::Low)
        .with_max_output_tokens(200);
    match responses.create(ask.clone()).await {
        Ok(answer) => println!("responses: {}", answer.output_text().unwrap_or_default()),
        Err(e) => println!("responses failed: {e}"),
    }
    // ...and streamed: typed events, text deltas printed as they arrive.
    print!("streamed:  ");
    match responses.create_streaming(ask).await {
        Ok(mut stream) => {
            while let Some(event) = stream.next().await {
                match event {
                    Ok(ResponseStreamEvent::OutputTextDelta { delta, .. }) => print!("{delta}"),
                    Ok(_) => {}
                    Err(e) => print!(" [stream failed: {e}]"),
                }
                std::io::stdout().flush()?;
            }
            println!();
        }
        Err(e) => println!("failed: {e}"),
    }

    // 4. Embeddings of two texts.
    match embeddings
        .embed(EmbeddingsOptions::new(["OpenTelemetry", "Braintrust"]))
        .await
    {
        Ok(result) => println!(
            "embedding: {} vectors of {} dimensions",
            result.data.len(),
            result
                .data
                .first()
                .and_then(|item| item.embedding.to_f32().ok())
                .map_or(0, |v| v.len())
        ),
        Err(e) => println!("embedding failed: {e}"),
    }

    // 5. A call that fails.
    let failing = match &target.demo {
        Some(demo) => {
            // A 429 or 503 would be retried; a 400 goes straight back.
            demo.enqueue(Reply::error(
                400,
                "content_filter",
                "demo: the prompt was filtered",
            ));
            chat.clone()
        }
        None => {
            // Nothing listens on a port just released: connection refused.
            let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            ChatCompletionsClient::new(
                format!("http://{closed}"),
                target.credential.clone(),
                Some(ClientOptions::new().with_telemetry(telemetry)),
            )?
        }
    };
    match failing
        .complete(ChatCompletionsOptions::new(vec![ChatRequestMessage::user(
            "This one fails.",
        )]))
        .await
    {
        Ok(_) => println!("failing:   unexpectedly succeeded"),
        Err(e) => println!("failing:   {e}"),
    }
    Ok(())
}

/// `target/quickstart-braintrust-rows.jsonl` in the crate (created if needed).
fn rows_path() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let _ = std::fs::create_dir_all(&dir);
    dir.join("quickstart-braintrust-rows.jsonl")
}
