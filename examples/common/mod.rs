//! What the examples share: which endpoint they call, and with what key.
//!
//! - `AZURE_AI_INFERENCE_ENDPOINT` (else `AZURE_OPENAI_ENDPOINT`, the name
//!   Microsoft's v1 samples use) set: that endpoint, e.g.
//!   `https://<resource>.openai.azure.com/openai/v1`, with the key in
//!   `AZURE_AI_INFERENCE_KEY` (else `AZURE_OPENAI_API_KEY`; required) and
//!   the model, on v1 the deployment name, in `AZURE_AI_INFERENCE_MODEL`
//!   (required on v1). The crate's own names win (see `EndpointEnv`).
//! - Unset: the crate's built-in demo endpoint on 127.0.0.1
//!   (`MockInferenceServer`) at its v1 base, which speaks the real wire
//!   format with canned answers. The examples then need no network at all.
//!
//! And the two pipelines the exporter and instrumentation examples share:
//! [`install_braintrust_or_stdout`] and [`ticket_spans_in_memory`].
#![allow(dead_code)] // each example uses part of this

/// The variables `EndpointEnv` reads, named in the examples' messages.
const AZURE_AI_INFERENCE_ENDPOINT: &str = "AZURE_AI_INFERENCE_ENDPOINT";
const AZURE_AI_INFERENCE_KEY: &str = "AZURE_AI_INFERENCE_KEY";
const AZURE_OPENAI_API_KEY: &str = "AZURE_OPENAI_API_KEY";
/// The Braintrust key the examples check before sending anything there.
pub const BRAINTRUST_API_KEY: &str = "BRAINTRUST_API_KEY";

use std::error::Error;

use azure_ai_inference_otel::client::{
    ChatCompletionsClient, ClientOptions, Credential, EmbeddingsClient, EndpointEnv,
    ResponsesClient,
};
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions,
};
use azure_ai_inference_otel::setup::{
    ExporterKind, PipelineBuilder, SetupError, TelemetryGuard, TelemetryPipeline,
};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::MockInferenceServer;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use tracing::Instrument as _;
use tracing_subscriber::prelude::*;

/// The model the demo endpoint is asked for when none is configured (a v1
/// base needs one).
const DEMO_MODEL: &str = "gpt-4o-mini";

/// The endpoint an example calls.
#[derive(Debug)]
pub struct Target {
    /// The endpoint URL.
    pub endpoint: String,
    /// The key to send.
    pub credential: Credential,
    /// The model to ask for, if any.
    pub model: Option<String>,
    /// The built-in endpoint, when no real one is configured (kept alive
    /// while the example runs; it stops when dropped).
    pub demo: Option<MockInferenceServer>,
}

impl Target {
    /// The configured endpoint, else the built-in demo endpoint (said on stderr).
    pub fn from_env() -> Result<Target, Box<dyn Error>> {
        let env = EndpointEnv::from_env();
        let model = env.model;
        match env.endpoint {
            Some(endpoint) => {
                let key = env.key.ok_or_else(|| {
                    format!(
                        "{} is set, so {AZURE_AI_INFERENCE_KEY} (or {AZURE_OPENAI_API_KEY}) must hold its key",
                        env.endpoint_variable.unwrap_or(AZURE_AI_INFERENCE_ENDPOINT)
                    )
                })?;
                Ok(Target {
                    endpoint,
                    credential: Credential::api_key(key)?,
                    model,
                    demo: None,
                })
            }
            None => {
                let server = MockInferenceServer::start_background()?;
                eprintln!(
                    "using the built-in demo endpoint; set {AZURE_AI_INFERENCE_ENDPOINT} for a real one"
                );
                Ok(Target {
                    endpoint: server.v1_endpoint(),
                    credential: Credential::api_key("demo-key")?,
                    model: model.or_else(|| Some(DEMO_MODEL.to_owned())),
                    demo: Some(server),
                })
            }
        }
    }

    /// Whether this is the built-in demo endpoint.
    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    /// Client options with the model, if one is configured.
    pub fn options(&self) -> ClientOptions {
        let options = ClientOptions::new();
        match &self.model {
            Some(model) => options.with_model(model.clone()),
            None => options,
        }
    }

    /// A chat client for this endpoint.
    pub fn chat_client(
        &self,
        telemetry: TelemetryOptions,
    ) -> azure_ai_inference_otel::Result<ChatCompletionsClient> {
        self.client(ChatCompletionsClient::new, telemetry)
    }

    /// A Responses API client for this endpoint (a v1 base on Azure).
    pub fn responses_client(
        &self,
        telemetry: TelemetryOptions,
    ) -> azure_ai_inference_otel::Result<ResponsesClient> {
        self.client(ResponsesClient::new, telemetry)
    }

    /// An embeddings client for this endpoint.
    pub fn embeddings_client(
        &self,
        telemetry: TelemetryOptions,
    ) -> azure_ai_inference_otel::Result<EmbeddingsClient> {
        self.client(EmbeddingsClient::new, telemetry)
    }

    /// Any client for this endpoint: every client's `new` takes the same
    /// endpoint, credential and options.
    fn client<C>(
        &self,
        new: impl FnOnce(
            String,
            Credential,
            Option<ClientOptions>,
        ) -> azure_ai_inference_otel::Result<C>,
        telemetry: TelemetryOptions,
    ) -> azure_ai_inference_otel::Result<C> {
        new(
            self.endpoint.clone(),
            self.credential.clone(),
            Some(self.options().with_telemetry(telemetry)),
        )
    }
}

/// A small piece of application work for the exporter examples: a
/// `handle_ticket` span (the application's own, through `tracing`) holding an
/// embedding of a support ticket and a chat completion answering it. Build
/// the pipeline, with its `tracing` layer, first.
pub async fn handle_ticket(
    target: &Target,
    telemetry: TelemetryOptions,
) -> Result<(), Box<dyn Error>> {
    let ticket = "My order #1234 arrived damaged. Can I get a replacement?";
    async {
        let embeddings = target.embeddings_client(telemetry.clone())?;
        let chat = target.chat_client(telemetry)?;
        // Find similar tickets (the vector would go to a search index).
        let vector = embeddings.embed(EmbeddingsOptions::new([ticket])).await?;
        println!(
            "ticket embedded: {} dimensions",
            vector
                .data
                .first()
                .and_then(|item| item.embedding.to_f32().ok())
                .map_or(0, |v| v.len())
        );
        let reply = chat
            .complete(
                ChatCompletionsOptions::new(vec![
                    ChatRequestMessage::system("You are a support agent. Reply in two sentences."),
                    ChatRequestMessage::user(ticket),
                ])
                .with_max_tokens(120),
            )
            .await?;
        println!("reply: {}", reply.content().unwrap_or_default());
        Ok::<_, Box<dyn Error>>(())
    }
    .instrument(tracing::info_span!("handle_ticket", ticket_id = 1234))
    .await
}

/// The one-call pipeline named `service_name`: to Braintrust when
/// `BRAINTRUST_API_KEY` is set, else the spans printed on stdout.
pub fn install_braintrust_or_stdout(service_name: &str) -> Result<TelemetryGuard, SetupError> {
    let to_braintrust = std::env::var(BRAINTRUST_API_KEY).is_ok_and(|k| !k.trim().is_empty());
    let kind = if to_braintrust {
        ExporterKind::Braintrust
    } else {
        ExporterKind::Stdout
    };
    TelemetryPipeline::builder()
        .with_service_name(service_name)
        .with_exporter(kind)
        .install()
}

/// The exporter examples' offline mode: runs [`handle_ticket`] under
/// `pipeline` with its spans kept in memory instead of exported, and
/// returns them once they are all finished.
pub async fn ticket_spans_in_memory(
    pipeline: PipelineBuilder,
    target: &Target,
    telemetry: TelemetryOptions,
) -> Result<Vec<SpanData>, Box<dyn Error>> {
    let spans = InMemorySpanExporter::default();
    let (guard, otel_layer) = pipeline
        .with_span_exporter(spans.clone())
        .install_with_tracing()?;
    tracing_subscriber::registry().with(otel_layer).init();

    handle_ticket(target, telemetry).await?;

    // Flush before reading: the exporter forgets its spans at shutdown.
    guard.force_flush()?;
    let finished = spans.get_finished_spans()?;
    guard.shutdown_async().await?;
    Ok(finished)
}
