//! A service's own reqwest code, instrumented: `GenAiMiddleware` in a
//! `reqwest_middleware` client gives its chat and embeddings calls the
//! crate's GenAI spans, metrics and Braintrust rows.
//!
//! ```text
//! cargo run --example reqwest_middleware --features reqwest-middleware
//! ```
//!
//! Offline: the calls go to the built-in demo endpoint's v1 routes on
//! 127.0.0.1, and the spans are printed to stdout (or sent to Braintrust
//! with `BRAINTRUST_API_KEY` set). Content recording is off (the default).

mod common;

use std::error::Error;

use azure_ai_inference_otel::instrument::GenAiMiddleware;
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::MockInferenceServer;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The one-call pipeline: to Braintrust with BRAINTRUST_API_KEY, else stdout.
    let guard = common::install_braintrust_or_stdout("reqwest-middleware-example")?;
    let demo = MockInferenceServer::start().await?;
    let base = format!("{}/openai/v1", demo.endpoint());

    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(GenAiMiddleware::new(TelemetryOptions::new()))
        .build();

    let chat = json!({
        "model": "demo-model",
        "messages": [{"role": "user", "content": "Say hello."}]
    });
    let answer: Value = client
        .post(format!("{base}/chat/completions"))
        .header("api-key", "demo-key")
        .header("content-type", "application/json")
        .body(chat.to_string())
        .send()
        .await?
        .json()
        .await?;
    println!("chat: {}", answer["choices"][0]["message"]["content"]);

    let embed = json!({"model": "demo-embeddings", "input": ["hello"]});
    let vectors: Value = client
        .post(format!("{base}/embeddings"))
        .header("api-key", "demo-key")
        .header("content-type", "application/json")
        .body(embed.to_string())
        .send()
        .await?
        .json()
        .await?;
    println!(
        "embedding of {} dimensions",
        vectors["data"][0]["embedding"]
            .as_array()
            .map_or(0, Vec::len)
    );

    guard.shutdown_async().await?;
    Ok(())
}
