//! The OTLP transport over gRPC (tonic).
//!
//! With the `grpc` feature this builds tonic exporters. Without it the
//! functions only keep the callers total: `resolve` has already refused
//! `grpc` with a message naming the feature.

use super::{OtlpBuildError, OtlpConfig};

#[cfg(feature = "grpc")]
fn metadata(config: &OtlpConfig) -> opentelemetry_otlp::tonic_types::metadata::MetadataMap {
    let mut headers = http::HeaderMap::new();
    for (name, value) in &config.headers {
        // Already validated by `check_headers`.
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers)
}

/// tonic spawns the channel's worker on the current runtime when the
/// exporter is built, and panics without one: refuse instead.
#[cfg(feature = "grpc")]
fn require_runtime() -> Result<(), OtlpBuildError> {
    tokio::runtime::Handle::try_current()
        .map(|_| ())
        .map_err(|_| OtlpBuildError::GrpcNeedsRuntime)
}

#[cfg(feature = "grpc")]
pub(super) fn span_exporter(
    config: &OtlpConfig,
    endpoint: String,
) -> Result<opentelemetry_otlp::SpanExporter, OtlpBuildError> {
    use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};

    require_runtime()?;
    // The delivery processor in front retries within its own budget; a
    // second layer of retries inside `export()` would multiply the waits.
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_metadata(metadata(config))
        .with_retry_policy(opentelemetry_otlp::RetryPolicy::disabled());
    if let Some(timeout) = config.timeout {
        builder = builder.with_timeout(timeout);
    }
    Ok(builder.build()?)
}

#[cfg(feature = "grpc")]
pub(super) fn metric_exporter(
    config: &OtlpConfig,
    endpoint: String,
) -> Result<opentelemetry_otlp::MetricExporter, OtlpBuildError> {
    use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};

    require_runtime()?;
    let mut builder = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_metadata(metadata(config));
    if let Some(timeout) = config.timeout {
        builder = builder.with_timeout(timeout);
    }
    Ok(builder.build()?)
}

#[cfg(not(feature = "grpc"))]
pub(super) fn span_exporter(
    _config: &OtlpConfig,
    _endpoint: String,
) -> Result<opentelemetry_otlp::SpanExporter, OtlpBuildError> {
    Err(disabled())
}

#[cfg(not(feature = "grpc"))]
pub(super) fn metric_exporter(
    _config: &OtlpConfig,
    _endpoint: String,
) -> Result<opentelemetry_otlp::MetricExporter, OtlpBuildError> {
    Err(disabled())
}

#[cfg(not(feature = "grpc"))]
fn disabled() -> OtlpBuildError {
    OtlpBuildError::GrpcFeatureDisabled {
        origin: super::ConfigSource::Code,
    }
}
