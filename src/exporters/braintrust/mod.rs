//! Braintrust: finished spans as Braintrust log rows.
//!
//! Two ways out, one mapping (a pure function from a finished span to a
//! row; [`preview_row`] shows its result):
//!
//! - [`BraintrustExporter`]: rows over Braintrust's REST API
//!   (`POST {api_url}/v1/project_logs/{id}/insert`), batched, retried,
//!   bounded, on its own worker thread.
//! - [`BraintrustOtlpExporter`]: OTLP/HTTP to `{api_url}/otel/v1/traces`,
//!   each span carrying the row as `braintrust`-prefixed JSON attributes.
//!
//! Both are configured by one [`BraintrustConfig`]: code, then the
//! environment variables Braintrust's SDKs read, then defaults:
//!
//! | variable | meaning |
//! |---|---|
//! | `BRAINTRUST_API_KEY` | the API key (required) |
//! | `BRAINTRUST_API_URL` | the API base URL (default `https://api.braintrust.dev`) |
//! | `BRAINTRUST_PARENT` | where rows go: `project_id:<uuid>`, `project_name:<name>` or `experiment_id:<uuid>` (default `project_name:default-otel-project`) |
//! | `BRAINTRUST_FILTER_AI_SPANS` (or `BRAINTRUST_OTEL_FILTER_AI_SPANS`) | `true`: only AI spans and each trace's local root become rows |
//! | `BRAINTRUST_AUTO_CONVERT_AI_ATTACHMENTS` | `false`: inline base64 media stays in the rows instead of being uploaded as attachments |
//!
//! Both deliver through the [delivery](crate::exporters::delivery) engine
//! (memory-bounded queue, own worker thread, retries within a time budget,
//! counters). By hand, install the delivery processor itself:
//!
//! ```no_run
//! use azure_ai_inference_otel::exporters::braintrust::{BraintrustConfig, BraintrustExporter};
//! use azure_ai_inference_otel::exporters::delivery::DeliveryConfig;
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let processor = BraintrustExporter::processor(BraintrustConfig::from_env()?, DeliveryConfig::new())?;
//! let stats = processor.stats();
//! let provider = SdkTracerProvider::builder()
//!     .with_span_processor(processor)
//!     .build();
//! // ... use the provider ...
//! provider.shutdown()?;
//! println!("{}", stats.snapshot()); // accepted, sent, retried, lost by cause
//! # Ok(())
//! # }
//! ```

mod attachments;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod baggage;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod config;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod exporter;
mod filter;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod mapping;
pub(crate) mod options;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
pub(crate) mod otlp;
#[cfg(test)]
pub(crate) mod test_spans;
pub(crate) mod transport;
mod truncate;

pub(crate) use baggage::AdmittedParentProcessor;
pub use baggage::{BaggageParents, BraintrustParentProcessor};
#[cfg(any(test, feature = "__internal"))]
pub(crate) use config::ResolvedConfig;
/// The delivery engine's retry policy, which the Braintrust exporters use.
#[doc(no_inline)]
pub use config::RetryPolicy;
pub use config::{BraintrustBuildError, BraintrustConfig, Parent};
pub use exporter::BraintrustExporter;
// The row model and its mapping are the exporters' machinery, not API
// ([`preview_row`] shows a row); the benchmarks time the mapping alone.
internal_use!(mapping::span_to_row);
/// The Braintrust row both exporters build from `span`, as the JSON they
/// send: for a dry run (print what would be logged, without a key) and for
/// tests. Sending adds the destination's fields and, with attachment
/// conversion on, replaces inline media by attachment references.
pub fn preview_row(span: &opentelemetry_sdk::trace::SpanData) -> serde_json::Value {
    // A row is a tree of strings, numbers and maps with string keys: it
    // always converts; `Null` only to avoid a panic path.
    serde_json::to_value(mapping::span_to_row(span)).unwrap_or_default()
}

pub use otlp::BraintrustOtlpExporter;
