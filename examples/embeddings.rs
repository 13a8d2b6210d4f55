//! Embeddings: four texts embedded in one call, then how similar each pair
//! is (cosine similarity).
//!
//! ```text
//! cargo run --example embeddings
//! ```
//!
//! The vectors are asked for as base64 (`encoding_format: base64`, smaller
//! on the wire) and decoded with `EmbeddingVector::to_f32`. Without
//! `AZURE_AI_INFERENCE_ENDPOINT` they come from the built-in demo endpoint
//! (no network), whose vectors are deterministic hashes of the text, so the
//! similarities are arbitrary; with a real embeddings endpoint
//! (`AZURE_AI_INFERENCE_ENDPOINT`, `AZURE_AI_INFERENCE_KEY`,
//! `AZURE_AI_INFERENCE_MODEL`, e.g. `text-embedding-3-small`) related texts
//! score higher.
//!
//! Telemetry comes from the environment (`PipelineBuilder::from_env`;
//! `AZURE_AI_INFERENCE_OTEL_EXPORTERS=stdout` prints the `embeddings` span at
//! the end; with nothing set it goes nowhere, and a log line says so). Inputs
//! are never recorded on embeddings spans.

mod common;

use std::error::Error;

use azure_ai_inference_otel::models::{EmbeddingEncodingFormat, EmbeddingsOptions};
use azure_ai_inference_otel::setup::PipelineBuilder;
use azure_ai_inference_otel::telemetry::TelemetryOptions;

const TEXTS: [&str; 4] = [
    "The cat sat on the mat.",
    "A kitten is sleeping on the rug.",
    "Stock markets fell sharply today.",
    "Shares dropped at the opening bell.",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let target = common::Target::from_env()?;
    let guard = PipelineBuilder::from_env()?
        .with_service_name("embeddings-example")
        .install()?;
    let client = target.embeddings_client(TelemetryOptions::new())?;

    let result = client
        .embed(EmbeddingsOptions::new(TEXTS).with_encoding_format(EmbeddingEncodingFormat::Base64))
        .await?;
    let mut vectors = vec![Vec::new(); TEXTS.len()];
    for item in &result.data {
        if let Some(slot) = vectors.get_mut(item.index as usize) {
            *slot = item.embedding.to_f32()?;
        }
    }
    println!(
        "{} vectors of {} dimensions from {}",
        result.data.len(),
        vectors.first().map_or(0, Vec::len),
        result.model.as_deref().unwrap_or("the endpoint's model")
    );
    if let Some(usage) = &result.usage {
        println!("{} input tokens", usage.prompt_tokens);
    }

    println!("\ncosine similarity:");
    for (i, a) in TEXTS.iter().enumerate() {
        for (j, b) in TEXTS.iter().enumerate().skip(i + 1) {
            println!("  {:+.3}  {a:?} ~ {b:?}", cosine(&vectors[i], &vectors[j]));
        }
    }
    if target.is_demo() {
        println!("(demo vectors are hashes of the text: these numbers carry no meaning)");
    }

    guard.shutdown_async().await?;
    Ok(())
}

/// Cosine similarity; 0 for empty or zero vectors.
fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let denominator = norm(a) * norm(b);
    if denominator == 0.0 {
        0.0
    } else {
        dot / denominator
    }
}
