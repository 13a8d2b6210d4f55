//! Braintrust over OTLP (`BraintrustOtlpExporter`): spans go as OTLP/HTTP to
//! Braintrust's `{BRAINTRUST_API_URL}/otel/v1/traces`, each carrying its
//! Braintrust row as `braintrust.*` attributes.
//!
//! ```text
//! BRAINTRUST_API_KEY=sk-... cargo run --example braintrust_otlp
//! cargo run --example braintrust_otlp   # offline: shows the attributes instead
//! ```
//!
//! Use it instead of the native exporter when spans should travel the OTLP
//! path (a collector in between, say). The request carries
//! `Authorization: Bearer {}` and `x-bt-parent:
//! {BRAINTRUST_PARENT}` (default `project_name:default-otel-project`).
//!
//! - With `BRAINTRUST_API_KEY`: the spans of one `handle_ticket` (an
//!   embedding and a chat completion, content recorded) are sent, and the
//!   shutdown reports whether they arrived.
//! - Without it, nothing is sent: the example says so and prints the row
//!   each span would carry as `braintrust.*` attributes
//!   (`exporters::braintrust::preview_row` over spans kept in memory).
//!
//! The model is the built-in demo endpoint unless
//! `AZURE_AI_INFERENCE_ENDPOINT` (and `AZURE_AI_INFERENCE_KEY`) name a real one.

mod common;
use common::BRAINTRUST_API_KEY;

use std::error::Error;

use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustOtlpExporter, preview_row,
};
use azure_ai_inference_otel::setup::TelemetryPipeline;
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use tracing_subscriber::prelude::*;

/// Longest attribute value printed in full.
const SHOWN: usize = 160;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let target = common::Target::from_env()?;
    let telemetry = TelemetryOptions::new().with_content_recording(true);
    let pipeline = TelemetryPipeline::builder().with_service_name("braintrust-otlp-example");

    match BraintrustConfig::from_env() {
        Ok(config) => {
            let exporter = BraintrustOtlpExporter::new(config)?;
            println!("sending spans over OTLP to parent {}", exporter.parent());
            let (guard, otel_layer) = pipeline
                .with_span_exporter(exporter)
                .install_with_tracing()?;
            tracing_subscriber::registry().with(otel_layer).init();

            common::handle_ticket(&target, telemetry).await?;

            guard.shutdown_async().await?;
            println!("Braintrust accepted the spans");
        }
        Err(why) => {
            println!("Braintrust is not configured ({why}).");
            println!(
                "Nothing is sent; set {BRAINTRUST_API_KEY} to send these spans to {{BRAINTRUST_API_URL}}/otel/v1/traces. The row each span would carry as braintrust.* attributes:"
            );
            let finished = common::ticket_spans_in_memory(pipeline, &target, telemetry).await?;
            for span in finished {
                println!("\nspan `{}`:", span.name);
                let row = preview_row(&span);
                for part in ["span_attributes", "input", "output", "metadata", "metrics"] {
                    let value = row[part].to_string();
                    let shown: String = value.chars().take(SHOWN).collect();
                    let more = if shown.len() < value.len() { "..." } else { "" };
                    println!("  {part} = {shown}{more}");
                }
            }
        }
    }
    Ok(())
}
