//! The settings' vocabulary: the standard variables and defaults, where a
//! resolved value came from ([`ConfigSource`]), the transports
//! ([`OtlpProtocol`]) and the signals ([`OtlpSignal`]) with their variables
//! and paths. The precedence between them is in the [parent module's
//! docs](super).

use std::fmt;
use std::str::FromStr;

use super::OtlpBuildError;

/// Base URL of the collector for every signal, e.g. `http://collector:4318`.
/// Over HTTP, `/v1/traces` or `/v1/metrics` is appended; over gRPC it is used as is.
pub(crate) const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// Full URL for spans, used as is (no path appended). Beats `OTEL_EXPORTER_OTLP_ENDPOINT`.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// Full URL for metrics, used as is (no path appended). Beats `OTEL_EXPORTER_OTLP_ENDPOINT`.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
/// Headers for every signal, `name=value` pairs separated by commas, values
/// percent-encoded (`authorization=Bearer%20abc,x-tenant=blue`).
pub(crate) const OTEL_EXPORTER_OTLP_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
/// Headers for spans only; when set, `OTEL_EXPORTER_OTLP_HEADERS` is ignored for spans.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_HEADERS: &str = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
/// Headers for metrics only; when set, `OTEL_EXPORTER_OTLP_HEADERS` is ignored for metrics.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_HEADERS: &str = "OTEL_EXPORTER_OTLP_METRICS_HEADERS";
/// `http/protobuf` (the default) or `grpc` (needs this crate's `grpc` feature).
/// `http/json` is not supported.
pub(crate) const OTEL_EXPORTER_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
/// Protocol for spans only; beats `OTEL_EXPORTER_OTLP_PROTOCOL`.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
/// Protocol for metrics only; beats `OTEL_EXPORTER_OTLP_PROTOCOL`.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL";
/// Export timeout in milliseconds (default 10 000), read by `opentelemetry-otlp`;
/// [`OtlpConfig::with_timeout`](super::OtlpConfig::with_timeout) beats it.
pub(crate) const OTEL_EXPORTER_OTLP_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";

/// Default collector endpoint over HTTP (the OTLP/HTTP port).
pub(crate) const DEFAULT_HTTP_ENDPOINT: &str = "http://localhost:4318";
/// Default collector endpoint over gRPC (the OTLP/gRPC port).
pub(crate) const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";
/// Path appended to a base endpoint for spans over HTTP.
pub(crate) const TRACES_PATH: &str = "/v1/traces";
/// Path appended to a base endpoint for metrics over HTTP.
pub(crate) const METRICS_PATH: &str = "/v1/metrics";

/// Where a resolved setting came from, for error messages and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigSource {
    /// Set on [`OtlpConfig`](super::OtlpConfig).
    Code,
    /// Read from this environment variable.
    Variable(&'static str),
    /// Nothing was set; the default applies.
    Default,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Code => f.write_str("set in code"),
            ConfigSource::Variable(name) => write!(f, "from {name}"),
            ConfigSource::Default => f.write_str("the default"),
        }
    }
}

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OtlpProtocol {
    /// Protobuf over HTTP/1.1 with a blocking client (`http/protobuf`): the default.
    #[default]
    HttpProtobuf,
    /// gRPC with tonic (`grpc`): needs this crate's `grpc` feature and a Tokio runtime.
    Grpc,
}

impl OtlpProtocol {
    /// The value used in `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OtlpProtocol::HttpProtobuf => "http/protobuf",
            OtlpProtocol::Grpc => "grpc",
        }
    }
}

impl fmt::Display for OtlpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OtlpProtocol {
    type Err = OtlpBuildError;

    /// Parses `http/protobuf` or `grpc` (any case, surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_protocol(s, ConfigSource::Code)
    }
}

pub(super) fn parse_protocol(
    value: &str,
    origin: ConfigSource,
) -> Result<OtlpProtocol, OtlpBuildError> {
    let v = value.trim();
    if v.eq_ignore_ascii_case(OtlpProtocol::HttpProtobuf.as_str()) {
        Ok(OtlpProtocol::HttpProtobuf)
    } else if v.eq_ignore_ascii_case(OtlpProtocol::Grpc.as_str()) {
        Ok(OtlpProtocol::Grpc)
    } else {
        Err(OtlpBuildError::UnsupportedProtocol {
            value: value.to_owned(),
            origin,
        })
    }
}

/// Which signal an exporter carries: it picks the signal-specific variables
/// and the path appended to a base endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum OtlpSignal {
    /// Spans.
    Traces,
    /// Metrics.
    Metrics,
}

/// The variables and path of each signal.
impl OtlpSignal {
    pub(super) fn endpoint_var(self) -> &'static str {
        match self {
            OtlpSignal::Traces => OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
            OtlpSignal::Metrics => OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
        }
    }

    pub(super) fn protocol_var(self) -> &'static str {
        match self {
            OtlpSignal::Traces => OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
            OtlpSignal::Metrics => OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
        }
    }

    pub(super) fn headers_var(self) -> &'static str {
        match self {
            OtlpSignal::Traces => OTEL_EXPORTER_OTLP_TRACES_HEADERS,
            OtlpSignal::Metrics => OTEL_EXPORTER_OTLP_METRICS_HEADERS,
        }
    }

    pub(super) fn path(self) -> &'static str {
        match self {
            OtlpSignal::Traces => TRACES_PATH,
            OtlpSignal::Metrics => METRICS_PATH,
        }
    }
}
