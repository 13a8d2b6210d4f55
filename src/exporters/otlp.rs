//! OTLP to any collector: span and metric exporters configured from the
//! standard OpenTelemetry environment variables, with overrides from code.
//!
//! [`OtlpConfig`] resolves where and how to send, then builds an
//! [`opentelemetry_otlp::SpanExporter`] or [`opentelemetry_otlp::MetricExporter`];
//! `OtlpConfig::new()` alone takes everything from the environment.
//!
//! ```no_run
//! use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
//!
//! // Everything from the environment (`OTEL_EXPORTER_OTLP_*`) ...
//! let spans = OtlpConfig::new().build_span_exporter()?;
//! // ... or a code override that beats it.
//! let config = OtlpConfig::new()
//!     .with_endpoint("http://collector.internal:4318")
//!     .with_header("x-tenant", "blue");
//! let metrics = config.build_metric_exporter()?; // posts to .../v1/metrics
//! # Ok::<(), azure_ai_inference_otel::exporters::otlp::OtlpBuildError>(())
//! ```
//!
//! # Precedence
//!
//! For each signal (traces, metrics) endpoint, protocol and timeout are taken
//! from the first source that has them; an empty variable counts as unset.
//! Headers are merged instead (see below the table).
//!
//! | setting | 1. code | 2. signal-specific variable | 3. generic variable | 4. default |
//! |---|---|---|---|---|
//! | endpoint | [`OtlpConfig::with_traces_endpoint`] / [`with_metrics_endpoint`](OtlpConfig::with_metrics_endpoint) used as is, else [`OtlpConfig::with_endpoint`] + `/v1/traces` or `/v1/metrics` | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, used as is | `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces` or `/v1/metrics` | `http://localhost:4318` + the path |
//! | protocol | [`OtlpConfig::with_protocol`] | `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL` | `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` |
//! | headers (merged) | [`OtlpConfig::with_header`] | `OTEL_EXPORTER_OTLP_TRACES_HEADERS` / `OTEL_EXPORTER_OTLP_METRICS_HEADERS` | `OTEL_EXPORTER_OTLP_HEADERS`, only when the signal variable is unset | none |
//! | timeout | [`OtlpConfig::with_timeout`] | `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_TIMEOUT` | `OTEL_EXPORTER_OTLP_TIMEOUT` | 10 s |
//!
//! With `grpc` the paths are not appended (gRPC routes by service name) and
//! the default endpoint is `http://localhost:4317`.
//!
//! The path is appended to the generic endpoint here, and the result handed
//! to `opentelemetry-otlp` as an explicit endpoint, which it uses verbatim:
//! nothing is appended twice.
//!
//! **Headers are merged by name.** Headers from code and from the variable
//! are all sent. When the same header name is set in both, the variable's
//! value is what goes on the wire (as `opentelemetry-otlp` 0.33 does for
//! the metric exporter, which applies the variable after the builder's
//! headers); building the exporter logs a warning when this happens. Header
//! values from the variables are percent-decoded (`a%20b` is sent as `a b`).
//!
//! # Spans and metrics travel differently
//!
//! The pipeline sends spans with [`OtlpConfig::build_span_processor`]: a
//! `DeliveryProcessor` whose worker posts OTLP/HTTP protobuf itself, so
//! that its queue bound, retries and `Retry-After` handling apply and its
//! counters are exact (see [`delivery`](crate::exporters::delivery)). Over
//! HTTP it does not compress (`OTEL_EXPORTER_OTLP_COMPRESSION` is not
//! applied to spans). [`OtlpConfig::build_span_exporter`] still builds
//! `opentelemetry-otlp`'s exporter, for providers built by hand.
//! Metrics use `opentelemetry-otlp`'s exporter behind the SDK's periodic
//! reader; compression, temporality
//! (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`) and gRPC
//! `INSECURE` are read by `opentelemetry-otlp` itself, unchanged.
//!
//! # Runtime
//!
//! Over `http/protobuf` nothing needs the application's runtime: spans go
//! from the delivery worker's own runtime, metrics through a blocking HTTP
//! client with its own thread; they work from a plain `main`, from any
//! Tokio runtime flavour. Over `grpc` (feature `grpc`) the exporters are
//! driven by the Tokio runtime they were built in: build them inside a
//! runtime (else [`OtlpBuildError::GrpcNeedsRuntime`]), and on a
//! `current_thread` runtime shut the pipeline down from `spawn_blocking`
//! (as [`TelemetryGuard::shutdown_async`](crate::setup::TelemetryGuard::shutdown_async) does).
//! The gRPC span exporter's own retries are turned off: the delivery
//! processor in front retries, within its budget.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};

mod grpc;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod settings;
mod spans;

pub(crate) use settings::OtlpSignal;
use settings::parse_protocol;
pub use settings::{ConfigSource, OtlpProtocol};
pub(crate) use settings::{
    DEFAULT_GRPC_ENDPOINT, DEFAULT_HTTP_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_TIMEOUT,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
};

/// Label of the OTLP span path's logs, errors and statistics.
pub(crate) const SPAN_PATH_NAME: &str = "otlp";

/// An OTLP exporter could not be built. Nothing has been sent; the message
/// names the setting at fault and where it came from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtlpBuildError {
    /// The protocol is neither `http/protobuf` nor `grpc`.
    #[error(
        "unsupported OTLP protocol `{value}` ({origin}); use `http/protobuf`, or `grpc` with the `grpc` feature of azure-ai-inference-otel"
    )]
    UnsupportedProtocol {
        /// What was asked for.
        value: String,
        /// Where it came from.
        origin: ConfigSource,
    },

    /// `grpc` was asked for but this build has no gRPC transport.
    #[error(
        "OTLP over gRPC was requested ({origin}) but azure-ai-inference-otel was built without its `grpc` feature; enable the feature or use `http/protobuf`"
    )]
    GrpcFeatureDisabled {
        /// Where `grpc` was asked for.
        origin: ConfigSource,
    },

    /// The gRPC exporter has to be built inside a Tokio runtime, which drives it.
    #[error(
        "the OTLP gRPC exporter must be built inside a Tokio runtime; build the pipeline from async code or use `http/protobuf`"
    )]
    GrpcNeedsRuntime,

    /// The endpoint is not an `http` or `https` URL.
    #[error("invalid OTLP endpoint `{value}` ({origin}): {reason}")]
    InvalidEndpoint {
        /// The endpoint, as resolved (including any appended path).
        value: String,
        /// Where it came from.
        origin: ConfigSource,
        /// What is wrong with it.
        reason: String,
    },

    /// A header set in code has an invalid name or value. The value is never
    /// shown: headers usually carry credentials.
    #[error("invalid OTLP header `{name}` set in code: {reason}")]
    InvalidHeader {
        /// The header name as given.
        name: String,
        /// Whether the name or the value is invalid.
        reason: &'static str,
    },

    /// `opentelemetry-otlp` refused the configuration or could not create its client.
    #[error("could not build the OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),

    /// The HTTP client of the span path could not be built (TLS initialisation).
    #[error("could not build the OTLP HTTP client: {0}")]
    HttpClient(String),
}

/// Where and how one signal will be sent, as resolved by [`OtlpConfig::resolve_traces`] and [`OtlpConfig::resolve_metrics`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtlpTarget {
    /// The full URL (HTTP) or channel address (gRPC) the exporter uses.
    pub endpoint: String,
    /// Where the endpoint came from.
    pub endpoint_source: ConfigSource,
    /// The transport.
    pub protocol: OtlpProtocol,
    /// Where the protocol came from.
    pub protocol_source: ConfigSource,
}

/// Code-side OTLP settings. Anything left unset comes from the standard
/// variables, then from the defaults (see the [module docs](self) for the
/// full precedence).
///
/// `Debug` shows header names only: header values usually carry credentials.
#[derive(Clone, Default)]
pub struct OtlpConfig {
    endpoint: Option<String>,
    traces_endpoint: Option<String>,
    metrics_endpoint: Option<String>,
    headers: Vec<(String, String)>,
    protocol: Option<OtlpProtocol>,
    timeout: Option<Duration>,
}

impl fmt::Debug for OtlpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("OtlpConfig")
            .field("endpoint", &self.endpoint)
            .field("traces_endpoint", &self.traces_endpoint)
            .field("metrics_endpoint", &self.metrics_endpoint)
            .field("headers", &header_names)
            .field("protocol", &self.protocol)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl OtlpConfig {
    /// No code overrides: everything from the variables and defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The collector's base URL for both signals, like
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` and beating it: over HTTP `/v1/traces`
    /// and `/v1/metrics` are appended.
    pub fn with_endpoint(mut self, base: impl Into<String>) -> Self {
        self.endpoint = Some(base.into());
        self
    }

    /// The full URL for spans, used as is; beats every other endpoint setting.
    pub fn with_traces_endpoint(mut self, url: impl Into<String>) -> Self {
        self.traces_endpoint = Some(url.into());
        self
    }

    /// The full URL for metrics, used as is; beats every other endpoint setting.
    pub fn with_metrics_endpoint(mut self, url: impl Into<String>) -> Self {
        self.metrics_endpoint = Some(url.into());
        self
    }

    /// Adds a header sent with every export (both signals). Setting the same
    /// name twice keeps the last value. See the module docs for how it
    /// combines with `OTEL_EXPORTER_OTLP_HEADERS`.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Adds several headers, as [`with_header`](Self::with_header) does.
    pub fn with_headers<I, K, V>(self, headers: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        headers
            .into_iter()
            .fold(self, |config, (k, v)| config.with_header(k, v))
    }

    /// The transport, beating `OTEL_EXPORTER_OTLP_PROTOCOL` and the signal-specific variables.
    pub fn with_protocol(mut self, protocol: OtlpProtocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// How long one export may take, beating `OTEL_EXPORTER_OTLP_TIMEOUT`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Where and how spans will be sent, resolved from this configuration
    /// and the process environment without building anything: what
    /// [`build_span_exporter`](Self::build_span_exporter) will use.
    pub fn resolve_traces(&self) -> Result<OtlpTarget, OtlpBuildError> {
        self.resolve(OtlpSignal::Traces)
    }

    /// Where and how metrics will be sent, as
    /// [`resolve_traces`](Self::resolve_traces) for spans: what
    /// [`build_metric_exporter`](Self::build_metric_exporter) will use.
    pub fn resolve_metrics(&self) -> Result<OtlpTarget, OtlpBuildError> {
        self.resolve(OtlpSignal::Metrics)
    }

    /// Endpoint and protocol for `signal` from this configuration and the
    /// process environment.
    pub(crate) fn resolve(&self, signal: OtlpSignal) -> Result<OtlpTarget, OtlpBuildError> {
        self.resolve_with(signal, &env_var)
    }

    /// [`resolve`](Self::resolve) over any variable lookup, so the precedence
    /// can be tested without touching the process environment.
    fn resolve_with(
        &self,
        signal: OtlpSignal,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<OtlpTarget, OtlpBuildError> {
        let (protocol, protocol_source) = match self.protocol {
            Some(p) => (p, ConfigSource::Code),
            None => [signal.protocol_var(), OTEL_EXPORTER_OTLP_PROTOCOL]
                .into_iter()
                .find_map(|var| env(var).map(|value| (var, value)))
                .map(|(var, value)| {
                    let source = ConfigSource::Variable(var);
                    parse_protocol(&value, source).map(|p| (p, source))
                })
                .transpose()?
                .unwrap_or((OtlpProtocol::HttpProtobuf, ConfigSource::Default)),
        };
        if protocol == OtlpProtocol::Grpc && !cfg!(feature = "grpc") {
            return Err(OtlpBuildError::GrpcFeatureDisabled {
                origin: protocol_source,
            });
        }

        let grpc = protocol == OtlpProtocol::Grpc;
        let with_path = |base: &str| {
            if grpc {
                base.to_owned()
            } else {
                append_path(base, signal.path())
            }
        };
        let code_signal = match signal {
            OtlpSignal::Traces => self.traces_endpoint.as_deref(),
            OtlpSignal::Metrics => self.metrics_endpoint.as_deref(),
        };
        let non_empty = |s: &&str| !s.trim().is_empty();
        let (endpoint, endpoint_source) = if let Some(url) = code_signal.filter(non_empty) {
            (url.trim().to_owned(), ConfigSource::Code)
        } else if let Some(base) = self.endpoint.as_deref().filter(non_empty) {
            (with_path(base.trim()), ConfigSource::Code)
        } else if let Some(url) = env(signal.endpoint_var()) {
            (
                url.trim().to_owned(),
                ConfigSource::Variable(signal.endpoint_var()),
            )
        } else if let Some(base) = env(OTEL_EXPORTER_OTLP_ENDPOINT) {
            (
                with_path(base.trim()),
                ConfigSource::Variable(OTEL_EXPORTER_OTLP_ENDPOINT),
            )
        } else if grpc {
            (DEFAULT_GRPC_ENDPOINT.to_owned(), ConfigSource::Default)
        } else {
            (with_path(DEFAULT_HTTP_ENDPOINT), ConfigSource::Default)
        };
        if !grpc {
            validate_http_endpoint(&endpoint, endpoint_source)?;
        }
        Ok(OtlpTarget {
            endpoint,
            endpoint_source,
            protocol,
            protocol_source,
        })
    }

    /// Builds the span exporter (see the module docs for what is read from where).
    pub fn build_span_exporter(&self) -> Result<opentelemetry_otlp::SpanExporter, OtlpBuildError> {
        let target = self.resolve(OtlpSignal::Traces)?;
        self.check_headers(OtlpSignal::Traces)?;
        match target.protocol {
            OtlpProtocol::HttpProtobuf => Ok(self
                .http_builder(
                    opentelemetry_otlp::SpanExporter::builder().with_http(),
                    OtlpSignal::Traces,
                    target.endpoint,
                )?
                .build()?),
            OtlpProtocol::Grpc => grpc::span_exporter(self, target.endpoint),
        }
    }

    /// Builds the metric exporter (see the module docs for what is read from
    /// where). Temporality follows
    /// `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`, cumulative by default.
    pub fn build_metric_exporter(
        &self,
    ) -> Result<opentelemetry_otlp::MetricExporter, OtlpBuildError> {
        let target = self.resolve(OtlpSignal::Metrics)?;
        self.check_headers(OtlpSignal::Metrics)?;
        match target.protocol {
            OtlpProtocol::HttpProtobuf => Ok(self
                .http_builder(
                    opentelemetry_otlp::MetricExporter::builder().with_http(),
                    OtlpSignal::Metrics,
                    target.endpoint,
                )?
                .build()?),
            OtlpProtocol::Grpc => grpc::metric_exporter(self, target.endpoint),
        }
    }

    /// An `opentelemetry-otlp` HTTP exporter builder (spans or metrics) set
    /// up from this config: its blocking client, protobuf, `endpoint`, the
    /// headers and the timeout.
    fn http_builder<B: WithExportConfig + WithHttpConfig>(
        &self,
        builder: B,
        signal: OtlpSignal,
        endpoint: String,
    ) -> Result<B, OtlpBuildError> {
        let builder = builder
            .with_http_client(self.blocking_client(signal)?)
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .with_headers(self.header_map());
        Ok(match self.timeout {
            Some(timeout) => builder.with_timeout(timeout),
            None => builder,
        })
    }

    /// The HTTP client of the `opentelemetry-otlp` exporters: the one they
    /// would build themselves (blocking reqwest, built on a thread of its
    /// own so that building it inside a Tokio runtime does not panic), but
    /// following redirects only within the collector's origin, so that
    /// `OTEL_EXPORTER_OTLP_HEADERS` keys and the metrics never follow a
    /// 307 to another host.
    fn blocking_client(
        &self,
        signal: OtlpSignal,
    ) -> Result<reqwest::blocking::Client, OtlpBuildError> {
        let timeout = self.timeout_for(signal, &env_var);
        std::thread::Builder::new()
            .name("otlp-http-client".to_owned())
            .spawn(move || {
                reqwest::blocking::Client::builder()
                    .redirect(crate::client::same_origin_redirects())
                    .timeout(timeout)
                    .build()
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| e.to_string())
            .and_then(|t| {
                t.join()
                    .unwrap_or_else(|_| Err("the thread building it panicked".to_owned()))
            })
            .map_err(|e| {
                OtlpBuildError::HttpClient(format!("could not build the HTTP client: {e}"))
            })
    }

    fn header_map(&self) -> HashMap<String, String> {
        self.headers.iter().cloned().collect()
    }

    /// Rejects invalid code headers (`opentelemetry-otlp` would drop them
    /// silently) and warns about names the variables will override.
    fn check_headers(&self, signal: OtlpSignal) -> Result<(), OtlpBuildError> {
        for (name, value) in &self.headers {
            http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                OtlpBuildError::InvalidHeader {
                    name: name.clone(),
                    reason: "not a valid HTTP header name",
                }
            })?;
            http::HeaderValue::from_str(value).map_err(|_| OtlpBuildError::InvalidHeader {
                name: name.clone(),
                reason: "the value has characters not allowed in an HTTP header",
            })?;
        }
        let Some((var, list)) = [signal.headers_var(), OTEL_EXPORTER_OTLP_HEADERS]
            .into_iter()
            .find_map(|var| std::env::var(var).ok().map(|v| (var, v)))
        else {
            return Ok(());
        };
        for clash in env_header_names(&list).filter(|env_name| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(env_name))
        }) {
            tracing::warn!(
                header = clash,
                variable = var,
                "OTLP header set both in code and in {var}; opentelemetry-otlp sends the variable's value"
            );
        }
        Ok(())
    }
}

/// A variable's value, with empty (or blank) treated as unset as the spec asks.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Joins a base URL and a signal path without doubling the slash.
fn append_path(base: &str, path: &str) -> String {
    match base.strip_suffix('/') {
        Some(stripped) => format!("{stripped}{path}"),
        None => format!("{base}{path}"),
    }
}

/// The names in a `name=value,name=value` header list.
fn env_header_names(list: &str) -> impl Iterator<Item = &str> {
    list.split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, _)| name.trim())
        .filter(|name| !name.is_empty())
}

fn validate_http_endpoint(endpoint: &str, origin: ConfigSource) -> Result<(), OtlpBuildError> {
    let invalid = |reason: String| OtlpBuildError::InvalidEndpoint {
        // Redacted: a query or `user:password@` may hold a credential.
        value: crate::net::redact_url(endpoint),
        origin,
        reason,
    };
    let url = url::Url::parse(endpoint).map_err(|e| invalid(e.to_string()))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(()),
        "http" | "https" => Err(invalid("the URL has no host".into())),
        other => Err(invalid(format!(
            "the scheme must be http or https, not `{other}`"
        ))),
    }
}

#[cfg(test)]
mod tests;
