//! Why a Braintrust exporter could not be built.

use super::BRAINTRUST_API_KEY;

/// Why a Braintrust exporter could not be built. Export-time failures are
/// reported differently: as `OTelSdkError` from the exporter, in
/// `BraintrustStats` and in the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BraintrustBuildError {
    /// No key in code nor in the environment.
    #[error(
        "no Braintrust API key: set {BRAINTRUST_API_KEY} or call BraintrustConfig::with_api_key"
    )]
    MissingApiKey,
    /// The key cannot be used (the message never contains the key).
    #[error("the Braintrust API key {reason}")]
    InvalidApiKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The API URL is not an absolute http(s) URL.
    #[error("invalid Braintrust API URL `{url}` (from {origin}): {reason}")]
    InvalidApiUrl {
        /// The value given.
        url: String,
        /// `code`, `default` or the environment variable it came from.
        origin: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The parent is not `project_id:<uuid>`, `project_name:<name>` or
    /// `experiment_id:<uuid>` (also what parsing a [`Parent`](super::Parent)
    /// from text fails with).
    #[error("invalid Braintrust parent `{value}`: {reason} (from {origin})")]
    InvalidParent {
        /// `code`, `text` (parsed), `default` or the environment variable it came from.
        origin: &'static str,
        /// The parent as given.
        value: String,
        /// What is wrong with it and what is expected.
        reason: String,
    },
    /// An environment variable is not valid UTF-8.
    #[error("the environment variable {name} is not valid UTF-8")]
    InvalidEnv {
        /// The variable.
        name: &'static str,
    },
    /// A code-only option is out of range.
    #[error("invalid Braintrust exporter option {option}: {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// What is expected.
        reason: &'static str,
    },
    /// The HTTP client could not be built (TLS initialisation).
    #[error("could not build the HTTP client for Braintrust")]
    HttpClient(#[source] reqwest::Error),
    /// The worker thread or its runtime could not start.
    #[error("could not start the Braintrust export worker")]
    Worker(#[source] std::io::Error),
    /// The wrapped OTLP exporter could not be built.
    #[error("could not build the OTLP exporter for Braintrust")]
    Otlp(#[source] opentelemetry_otlp::ExporterBuildError),
}
