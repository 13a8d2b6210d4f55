//! Braintrust's native exporter (`BraintrustExporter`): each finished span
//! becomes a Braintrust log row, sent with Braintrust's REST API.
//!
//! ```text
//! BRAINTRUST_API_KEY=sk-... cargo run --example braintrust_native
//! cargo run --example braintrust_native   # offline: shows the rows instead
//! ```
//!
//! The work is one `handle_ticket` span of the application (a Braintrust
//! `task` row) holding an `embeddings` and a `chat` span (`llm` rows, with
//! model, token metrics, and, since this example turns content recording on,
//! the messages as `input` and `output`).
//!
//! - With `BRAINTRUST_API_KEY`: the rows go to `BRAINTRUST_PARENT` (default
//!   `project_name:default-otel-project`) at `BRAINTRUST_API_URL` (default
//!   `https://api.braintrust.dev`), and the exporter's counters are printed
//!   after the pipeline is shut down.
//! - Without it, nothing is sent: the example says why and prints, as JSON,
//!   the rows the exporter would send (the same mapping,
//!   `exporters::braintrust::preview_row`, over spans kept in memory).
//!
//! The model is the built-in demo endpoint unless
//! `AZURE_AI_INFERENCE_ENDPOINT` (and `AZURE_AI_INFERENCE_KEY`) name a real one.

mod common;
use common::BRAINTRUST_API_KEY;

use std::error::Error;

use azure_ai_inference_otel::exporters::braintrust::{BraintrustConfig, preview_row};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use tracing_subscriber::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let target = common::Target::from_env()?;
    let telemetry = TelemetryOptions::new().with_content_recording(true);
    let pipeline = TelemetryPipeline::builder().with_service_name("braintrust-native-example");

    match BraintrustConfig::from_env() {
        Ok(config) => {
            let (guard, otel_layer) = pipeline
                .with_exporter(ExporterKind::Braintrust)
                .with_braintrust_config(config)
                .install_with_tracing()?;
            let stats = guard.delivery_stats()[0].stats();
            tracing_subscriber::registry().with(otel_layer).init();

            common::handle_ticket(&target, telemetry).await?;

            // Shutting down delivers the queued rows and reports a failure.
            let delivered = guard.shutdown_async().await;
            println!("Braintrust: {}", stats.snapshot());
            delivered?;
        }
        Err(why) => {
            println!("Braintrust is not configured ({why}).");
            println!(
                "Nothing is sent; set {BRAINTRUST_API_KEY} to send these rows. The rows the exporter would send:\n"
            );
            let finished = common::ticket_spans_in_memory(pipeline, &target, telemetry).await?;
            for span in finished {
                println!("{}", serde_json::to_string_pretty(&preview_row(&span))?);
            }
        }
    }
    Ok(())
}
