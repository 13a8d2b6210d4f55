//! Already using async-openai? Three lines give its calls the crate's
//! GenAI spans, metrics and Braintrust rows: `GenAiLayer` under
//! `Client::with_http_service` (async-openai's `middleware` feature).
//!
//! ```text
//! cargo run --example async_openai --features async-openai
//! BRAINTRUST_API_KEY=sk-... cargo run --example async_openai --features async-openai
//! ```
//!
//! - Offline by default: the calls go to the built-in demo endpoint's v1
//!   routes on 127.0.0.1. With `AZURE_OPENAI_ENDPOINT`
//!   (`https://<resource>.openai.azure.com/openai/v1`), `AZURE_OPENAI_API_KEY`
//!   and `AZURE_OPENAI_MODEL` (a deployment name) they go there.
//! - Spans are printed to stdout, or sent to Braintrust when
//!   `BRAINTRUST_API_KEY` is set (`BRAINTRUST_PARENT`, default
//!   `project_name:default-otel-project`), by the one-call pipeline.
//! - Content recording is off (the default): the spans carry model, tokens
//!   and finish reasons, not the messages.

mod common;

use std::error::Error;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::CreateChatCompletionRequest;
use azure_ai_inference_otel::instrument::GenAiLayer;
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::MockInferenceServer;
use futures::StreamExt as _;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The one-call pipeline: to Braintrust with BRAINTRUST_API_KEY, else stdout.
    let guard = common::install_braintrust_or_stdout("async-openai-example")?;

    // The demo endpoint, unless a real one is named.
    let demo;
    let (base, key, model) = match std::env::var("AZURE_OPENAI_ENDPOINT") {
        Ok(base) => (
            base,
            std::env::var("AZURE_OPENAI_API_KEY")?,
            std::env::var("AZURE_OPENAI_MODEL")?,
        ),
        Err(_) => {
            demo = MockInferenceServer::start().await?;
            let base = format!("{}/openai/v1", demo.endpoint());
            (base, "demo-key".to_owned(), "demo-model".to_owned())
        }
    };

    // The three lines: a layer over async-openai's own HTTP service.
    let service = tower::Layer::layer(
        &GenAiLayer::new(TelemetryOptions::new()),
        ReqwestService::new(reqwest::Client::new()),
    );
    let config = OpenAIConfig::new().with_api_base(base).with_api_key(key);
    let client = Client::with_config(config).with_http_service(service);

    let request: CreateChatCompletionRequest = serde_json::from_value(json!({
        "model": model,
        "messages": [{"role": "user", "content": "Say hello in five words."}],
        "max_tokens": 20
    }))?;
    let answer = client.chat().create(request.clone()).await?;
    let text = answer.choices[0]
        .message
        .content
        .clone()
        .unwrap_or_default();
    println!("chat: {text}");

    let mut stream = client.chat().create_stream(request).await?;
    print!("streamed:");
    while let Some(update) = stream.next().await {
        if let Some(piece) = update?
            .choices
            .first()
            .and_then(|c| c.delta.content.clone())
        {
            print!("{piece}");
        }
    }
    println!();

    // Spans are exported when the pipeline shuts down (or sooner).
    guard.shutdown_async().await?;
    Ok(())
}
