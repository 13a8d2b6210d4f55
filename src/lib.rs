//! Azure AI model inference for Rust services, with the GenAI telemetry the
//! official SDKs leave out.
//!
//! A client for Azure AI Foundry and Azure OpenAI (the OpenAI-compatible v1
//! API at `https://<resource>.openai.azure.com/openai/v1`, deployment routes,
//! and the Model Inference API that Microsoft retired on 2026-08-26, for
//! endpoints that still answer it) in which every
//! call makes an OpenTelemetry CLIENT span and GenAI metrics following the
//! `az.ai.inference` conventions, plus exporters that send those spans to
//! Braintrust (native REST or OTLP) or any OTLP collector, and one call that
//! installs the whole pipeline next to a service's existing `tracing` set-up.
//!
//! # Quick start
//!
//! ```no_run
//! use azure_ai_inference_otel::client::{ChatCompletionsClient, Credential};
//! use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
//! use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
//! use tracing_subscriber::prelude::*;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // One call: tracer + meter providers, batch export, W3C propagation.
//!     let (telemetry, otel_layer) = TelemetryPipeline::builder()
//!         .with_service_name("checkout")
//!         .with_exporter(ExporterKind::Otlp)
//!         .install_with_tracing()?;
//!     tracing_subscriber::registry().with(otel_layer).init();
//!
//!     // e.g. https://<resource>.openai.azure.com/openai/v1
//!     let client = ChatCompletionsClient::new(
//!         std::env::var("AZURE_AI_INFERENCE_ENDPOINT")?,
//!         Credential::api_key(std::env::var("AZURE_AI_INFERENCE_KEY")?)?,
//!         None,
//!     )?;
//!     let request = ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Hello!")])
//!         .with_model("gpt-4o-mini");
//!     let answer = client.complete(request).await?; // span `chat gpt-4o-mini`
//!     println!("{}", answer.content().unwrap_or_default());
//!
//!     telemetry.shutdown_async().await?; // delivers what is queued
//!     Ok(())
//! }
//! ```
//!
//! # Layout
//!
//! | module | what it holds |
//! |---|---|
//! | [`client`] | the clients ([`ChatCompletionsClient`](client::ChatCompletionsClient), [`EmbeddingsClient`](client::EmbeddingsClient), [`ImageEmbeddingsClient`](client::ImageEmbeddingsClient), [`ResponsesClient`](client::ResponsesClient), and [`ModelsClient`](client::ModelsClient), the v1 model list, which makes no span), credentials, endpoint parsing, transport, SSE decoding |
//! | [`models`] | serde types for every request and response of the API |
//! | [`telemetry`] | [`TelemetryOptions`](telemetry::TelemetryOptions) and [`SemconvMode`](telemetry::SemconvMode); inside (crate-private): the request-parameter and token-count tables, the one message model, spans, stream accumulation, metrics and the convention names (mirrored by `semconv/registry.toml`) |
//! | [`exporters`] | [`exporters::braintrust`] (native REST and OTLP exporters, their config; inside: the row mapping, attachments, truncation, the AI-span filter, baggage parents), [`exporters::otlp`] (collector config and builders) and [`exporters::delivery`] (its config and statistics) |
//! | [`setup`] | the one-call pipeline and its guard |
//! | [`testing`] | an in-process endpoint speaking the real wire format (feature `testing`): `reply/` (the [`Reply`](testing::Reply) builder, fitting it to the request, HTTP/SSE encoding), `answers` (queued replies, then a fallback source), `demo`, `server` — each room depends only on the ones before it |
//! | [`error`] | the one error type; [`Error::error_type`] is the span's `error.type` |
//!
//! # Spans
//!
//! One CLIENT span per operation, named `chat {model}` or
//! `embeddings {model}` (just the operation when no model is known: a
//! model name is never invented), child of the caller's current context —
//! which is the active `tracing` span when the tracing-opentelemetry layer
//! is installed. The W3C `traceparent` is injected into the request.
//! Listing a v1 endpoint's models ([`ModelsClient`](client::ModelsClient))
//! and `GET /info` are not GenAI operations and make no span (the context
//! is still sent).
//!
//! - At creation: `gen_ai.system` = `az.ai.inference`,
//!   `gen_ai.operation.name`, `gen_ai.request.model`, `server.address`,
//!   `server.port` (when not 443), `az.namespace`, and each request
//!   parameter the caller set (`max_tokens`, `temperature`, `top_p`,
//!   penalties, `seed`, `stop`, embeddings `encoding_format`,
//!   `gen_ai.output.type`) with its JSON type; those the conventions have
//!   no name for under `az.ai.inference.request.*`: `tool_choice`,
//!   `parallel_tool_calls`, and `response_format` as the JSON sent (only its
//!   `{"type"}` with content recording off).
//! - From the response: `gen_ai.response.id`, `.model`, `.finish_reasons`
//!   (a string array), `gen_ai.usage.input_tokens` / `.output_tokens`,
//!   `gen_ai.response.time_to_first_chunk` for streams, and with today's
//!   names one `gen_ai.choice` event per choice.
//! - On failure: status Error, an `exception` event and `error.type`: the
//!   HTTP status, the service's code for an error object in a success
//!   answer (when it is a short identifier), `timeout`, `connection` (no
//!   response at all), `invalid_response`, `stream_truncated` (the body
//!   was cut after the answer started), `cancelled` (the caller dropped the
//!   future, or a stream before every choice finished) or `_OTHER`.
//! - Always: `az.service_request_id` (`azure.service.request.id` with the
//!   newer names) from the answer's `x-ms-request-id`, `apim-request-id` or
//!   `x-request-id`; after retries, `http.request.resend_count` and one
//!   `az.ai.inference.retry` event per failed attempt (its `error.type` and
//!   `http.response.status_code`). One span and one duration point cover
//!   every attempt.
//! - The span ends exactly once on every path: the future and the
//!   [`StreamingChatCompletions`](client::StreamingChatCompletions) own it.
//!
//! Content (prompts, completions, tool names and arguments) is recorded
//! only when `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true` or
//! [`TelemetryOptions::with_content_recording`](telemetry::TelemetryOptions::with_content_recording)
//! says so (the option wins); then each request message becomes a
//! `gen_ai.{role}.message` event and `gen_ai.tool.definitions` an attribute.
//! With it off nothing of the content reaches a span, event, metric or
//! exporter on any path, errors included: error descriptions on spans carry
//! the status and the service's error code, never its message.
//! What a service logs itself is its own: the pipeline's `tracing` layer
//! exports the service's spans and its events at INFO or more severe, never a
//! library's DEBUG or TRACE events (which may quote request bodies) unless
//! `AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL` or
//! [`PipelineBuilder::with_event_level`](setup::PipelineBuilder::with_event_level)
//! lowers the level ([the tracing layer](setup#the-tracing-layer)).
//!
//! `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` (or
//! [`TelemetryOptions::with_semconv_mode`](telemetry::TelemetryOptions::with_semconv_mode))
//! switches to the newer names (semantic conventions v1.41.0):
//! `gen_ai.provider.name` = `azure.ai.inference`,
//! `azure.resource_provider.namespace`, content as the
//! `gen_ai.input.messages` / `gen_ai.output.messages` (and for the
//! Responses API `gen_ai.system_instructions`) attributes, and no event
//! v1.41 deprecates: no `gen_ai.{role}.message` or `gen_ai.choice` event,
//! the finish reasons only in `gen_ai.response.finish_reasons`.
//!
//! [`TelemetryOptions::with_provider`](telemetry::TelemetryOptions::with_provider)
//! names another provider (`azure.ai.openai`, `openai`, ...) on every span,
//! event and metric point, for the crate's clients, the async-openai layer
//! and the reqwest middleware alike; a value of a known pair is spelled as
//! the vocabulary spells it (`az.ai.openai` with today's names,
//! `azure.ai.openai` with the newer ones), any other as given.
//!
//! # Metrics
//!
//! Through the meter provider of the client's telemetry options (default:
//! the global one), instruments created once per client:
//!
//! | instrument | unit | when |
//! |---|---|---|
//! | `gen_ai.client.operation.duration` | `s` | every operation; `error.type` on failures |
//! | `gen_ai.client.token.usage` | `{token}` | when usage was reported, one point per `gen_ai.token.type` |
//! | `gen_ai.client.operation.time_to_first_chunk` | `s` | streams only |
//! | `gen_ai.client.operation.time_per_output_chunk` | `s` | streams only, one point per chunk after the first |
//!
//! Points carry the operation, provider, request and response models and
//! the server address and port — never content. Bucket boundaries are the
//! conventions' (`telemetry::semconv::DURATION_BUCKETS`, `telemetry::semconv::TOKEN_BUCKETS`).
//!
//! # Braintrust mapping
//!
//! The native exporter sends each span as a row; the Braintrust OTLP
//! exporter carries the same row as `braintrust.*` attributes on the
//! Braintrust-bound copy of the span only. Rows follow
//! Braintrust's own instrumentation guide: `llm` rows carry only the fields
//! it requires or allows. In short (the full table is on
//! `exporters::braintrust::span_to_row`):
//!
//! | row field | from the span |
//! |---|---|
//! | `id` | `{trace id}-{span id}`: a retried batch replaces rows |
//! | `span_id`, `root_span_id`, `span_parents` | span id, trace id, `[parent span id]` |
//! | `created` | span start, RFC 3339 |
//! | `span_attributes` | name and type: `llm` for chat / embeddings, `tool` for tools, `task` for the application's own spans |
//! | `input`, `output` | messages and choices rebuilt from the events (or the newer attributes); inline base64 media (data URLs in `image_url.url`, `input_audio.data`, `file.file_data`) replaced by `braintrust_attachment` references, uploaded in the background (`exporters::braintrust::attachments`) |
//! | `metadata` of `llm` rows | only `model`, `provider`, the request parameters the guide lists (`temperature`, `top_p`, `max_tokens`, `frequency_penalty`, `presence_penalty`, `stop`, `response_format`) under their wire names, `tools` when the request had tools, `tool_choice` and `parallel_tool_calls` when it set them (JSON objects as JSON) |
//! | `metadata` of other rows | every attribute, so the application's own spans keep theirs and whole traces nest |
//! | `metrics` | `start`, `end`, `prompt_tokens`, `completion_tokens`, `prompt_cached_tokens`, `completion_reasoning_tokens` (each when the service reported it), `tokens` (only when both totals are known), `time_to_first_token` (streams) |
//! | `error` | `"{error.type}: {description}"` |
//! | `context` | `span_origin`: this crate and the span's instrumentation scope |
//!
//! What the spans record but `llm` rows leave out, and why (the guide's
//! data policy: nothing it does not require or allow): `gen_ai.response.id`
//! and `server.address` / `server.port` (not allowed); the finish reasons
//! as metadata (already in `output[].finish_reason`); `error.type` as
//! metadata (in `error`); `seed` and `encoding_format` (not among the
//! listed parameters); the request model when the service answered with
//! another (`model` is the answer's); `gen_ai.output.type` (`text` / `json`
//! cannot be turned back into the request's `response_format`: that goes
//! from `az.ai.inference.request.response_format`, the object sent, as
//! JSON); `gen_ai.system`, `gen_ai.operation.name`, `az.namespace`
//! (the vocabulary itself). `tool_choice` (a preset string or the
//! `{"type":"function",...}` object) and `parallel_tool_calls` are sent
//! under their wire names, from `az.ai.inference.request.tool_choice` and
//! `az.ai.inference.request.parallel_tool_calls` (the conventions have no
//! names for them).
//!
//! Further rules, on both paths: a row over the request limit has its
//! largest texts cut with a visible marker and `metadata.truncated` listing
//! the cut fields (`exporters::braintrust::truncate`) instead of being
//! dropped (over OTLP, the span's content attributes and events are cut the
//! same way, with `az.ai.inference.truncated` listing them, so the span is
//! sent rather than refused); once attachments are converted, the OTLP
//! span's own GenAI content holds the same references, not the base64; with `BRAINTRUST_FILTER_AI_SPANS=true` only AI spans and each
//! trace's local root become rows (`exporters::braintrust::filter`); an
//! incoming `baggage: braintrust.parent=...` routes the trace's rows
//! ([`exporters::braintrust::BraintrustParentProcessor`]).
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `stdout` | no | [`ExporterKind::Stdout`](setup::ExporterKind::Stdout) (`opentelemetry-stdout`) and tracing-subscriber's `fmt` layer |
//! | `testing` | no | [`testing::MockInferenceServer`] (axum) |
//! | `entra` | no | Entra ID tokens through `azure_core`'s `TokenCredential` ([`client::Credential`]) |
//! | `grpc` | no | OTLP over gRPC (tonic) besides HTTP/protobuf |
//!
//! No feature is on by default: a library user builds no clap, no axum, no
//! `opentelemetry-stdout` and no `fmt` layer (`.ci/run` checks the
//! dependency tree). `tracing-subscriber`'s registry and filter stay: the
//! pipeline's `tracing` layer needs them. Without `stdout`, asking for the
//! `stdout` exporter (in `AZURE_AI_INFERENCE_OTEL_EXPORTERS` or in code) is
//! an error naming the feature, and the unset-variable default is `none`.
//! The `azinfer` command-line client is a package of its own in this
//! repository's workspace (`cargo run -p azinfer -- chat "Hi"`).
//! (`__internal` is this repository's own, for its tests, benchmarks and
//! CLI: doc-hidden, not API, outside semver; never enable it.)
//!
//! # Environment variables
//!
//! Code always beats the environment; the environment beats defaults.
//!
//! | variable | read by | meaning |
//! |---|---|---|
//! | `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED` | clients | `true` (any case) records prompts and completions |
//! | `OTEL_SEMCONV_STABILITY_OPT_IN` | clients | contains `gen_ai_latest_experimental`: the newer names |
//! | `AZURE_AI_INFERENCE_OTEL_EXPORTERS` | [`setup::PipelineBuilder::from_env`] | comma-separated `stdout`, `otlp`, `braintrust`, `braintrust-otlp`, `none` |
//! | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | [`setup`] | the resource |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT`, `_TRACES_ENDPOINT`, `_METRICS_ENDPOINT`, `_HEADERS`, `_TRACES_HEADERS`, `_METRICS_HEADERS`, `_PROTOCOL`, `_TRACES_PROTOCOL`, `_METRICS_PROTOCOL`, `_TIMEOUT` | [`exporters::otlp`] | the standard OTLP settings |
//! | `BRAINTRUST_API_KEY`, `BRAINTRUST_API_URL`, `BRAINTRUST_PARENT` | [`exporters::braintrust`] | key (required), API URL (default `https://api.braintrust.dev`), parent (default `project_name:default-otel-project`) |
//! | `BRAINTRUST_FILTER_AI_SPANS` (or `BRAINTRUST_OTEL_FILTER_AI_SPANS`) | [`exporters::braintrust`] | `true`: only AI spans (and each trace's local root) become rows |
//! | `BRAINTRUST_AUTO_CONVERT_AI_ATTACHMENTS` | [`exporters::braintrust`] | `false`: inline media stays inline instead of being uploaded as attachments |
//! | `OTEL_BSP_*`, `OTEL_METRIC_EXPORT_INTERVAL` | the OpenTelemetry SDK | batch sizes and delays, metric interval |
//! | `AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL` | [`setup`] | least severe `tracing` event the pipeline's layer exports (default `info`) |
//! | `AZURE_AI_INFERENCE_ENDPOINT`, `AZURE_AI_INFERENCE_KEY`, `AZURE_AI_INFERENCE_MODEL` | `azinfer` and the examples ([`EndpointEnv`](client::EndpointEnv)) | the endpoint to call; without it they start the built-in demo endpoint |
//! | `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY` | the same, when the crate's own names above are unset (they win) | the names Microsoft's v1 samples use |
//! | `AZURE_AI_INFERENCE_CONNECT_TIMEOUT`, `AZURE_AI_INFERENCE_READ_TIMEOUT`, `AZURE_AI_INFERENCE_MAX_RETRIES` | `azinfer` | its `--connect-timeout`, `--read-timeout` (durations like `5s`, `500ms`) and `--max-retries` |
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![forbid(unsafe_code)]
// docs.rs (`--cfg docsrs`, see Cargo.toml) marks items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

/// Re-exports what this repository's own tests, benchmarks and CLI reach
/// inside the crate: public but doc-hidden with the unstable `__internal`
/// feature (outside semver, never for users), crate-private without it.
macro_rules! internal_use {
    ($($path:tt)*) => {
        #[cfg(feature = "__internal")]
        #[doc(hidden)]
        pub use $($path)*;
        #[cfg(not(feature = "__internal"))]
        #[allow(unused_imports)]
        pub(crate) use $($path)*;
    };
}

/// Not API: the benchmarks' and unit tests' view of the export encoders.
#[cfg(any(test, feature = "__internal"))]
#[doc(hidden)]
#[allow(unreachable_pub)]
pub mod bench_support;
pub mod client;
pub mod error;
pub mod exporters;
mod hex;
#[cfg(any(feature = "async-openai", feature = "reqwest-middleware"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "async-openai", feature = "reqwest-middleware")))
)]
pub mod instrument;
pub mod models;
pub mod net;
pub mod setup;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{ConfigField, Error, ErrorKind, Result};

/// The `opentelemetry` API this crate is built on: use it (rather than a
/// dependency of your own, which may be another version whose contexts and
/// propagators this crate does not see) for extraction, baggage and metrics.
pub use opentelemetry;
/// The `tracing` ↔ OpenTelemetry bridge this crate's `tracing` layer is built
/// on ([`OpenTelemetrySpanExt`](tracing_opentelemetry::OpenTelemetrySpanExt)
/// and the layer's types), for the same reason.
pub use tracing_opentelemetry;

/// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
