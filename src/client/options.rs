//! Client options: API version, default model, timeouts, HTTP client.

use crate::telemetry::TelemetryOptions;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use http::HeaderValue;

use super::endpoint::DEFAULT_API_VERSION;
use super::retry::RetryPolicy;
use crate::error::{ConfigField, Error, Result};

/// The `User-Agent` every request carries; [`ClientOptions::with_user_agent`]
/// appends to it.
pub(crate) const DEFAULT_USER_AGENT: &str = crate::net::USER_AGENT;

/// Default [`ClientOptions::with_connect_timeout`]: 10 s.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default [`ClientOptions::with_read_timeout`]: 120 s.
pub(crate) const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// Default [`ClientOptions::with_max_event_bytes`]: 16 MiB.
pub(crate) const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// Default [`ClientOptions::with_max_response_bytes`]: 256 MiB, room for a
/// large embeddings batch (2,048 inputs of 3,072 floats as JSON text is
/// about 80 MiB).
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// What the service does with request parameters the model does not know,
/// sent as the `extra-parameters` header.
///
/// Without it the service answers 422 for a parameter that is not in the
/// API's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtraParameters {
    /// `error`: reject the request (the service's default).
    Error,
    /// `drop`: ignore unknown parameters.
    Drop,
    /// `pass-through`: hand them to the model as they are.
    PassThrough,
}

impl ExtraParameters {
    /// The header value: `error`, `drop` or `pass-through`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtraParameters::Error => "error",
            ExtraParameters::Drop => "drop",
            ExtraParameters::PassThrough => "pass-through",
        }
    }

    pub(crate) fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(self.as_str())
    }
}

impl fmt::Display for ExtraParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExtraParameters {
    type Err = Error;

    /// Parses `error`, `drop` or `pass-through` (also `pass_through`, `passthrough`).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Ok(ExtraParameters::Error),
            "drop" => Ok(ExtraParameters::Drop),
            "pass-through" | "pass_through" | "passthrough" => Ok(ExtraParameters::PassThrough),
            _ => Err(Error::invalid_config(
                ConfigField::ExtraParameters,
                format!("expected error, drop or pass-through, got {s:?}"),
            )),
        }
    }
}

/// Options for a client, set with `with_*` methods and checked when the
/// client is built.
///
/// ```
/// use std::time::Duration;
/// use azure_ai_inference_otel::client::{ClientOptions, ExtraParameters};
///
/// let options = ClientOptions::new()
///     .with_model("gpt-4o-mini")
///     .with_extra_parameters(ExtraParameters::Drop)
///     .with_read_timeout(Duration::from_secs(300));
/// assert_eq!(options.model(), Some("gpt-4o-mini"));
/// ```
#[derive(Clone)]
pub struct ClientOptions {
    api_version: Option<String>,
    model: Option<String>,
    extra_parameters: Option<ExtraParameters>,
    connect_timeout: Duration,
    read_timeout: Duration,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    max_event_bytes: usize,
    max_response_bytes: usize,
    telemetry: TelemetryOptions,
    retry: RetryPolicy,
    insecure_http_key: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            api_version: None,
            model: None,
            extra_parameters: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            user_agent: None,
            http_client: None,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            telemetry: TelemetryOptions::default(),
            retry: RetryPolicy::default(),
            insecure_http_key: false,
        }
    }
}

impl ClientOptions {
    /// The defaults: the endpoint's API version
    /// ([`EndpointKind::default_api_version`](super::EndpointKind::default_api_version):
    /// none on v1), no default model, no `extra-parameters` header, 10 s
    /// connect and 120 s read timeouts.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `api-version` query parameter, sent on every endpoint kind, v1
    /// included. Without it the endpoint's default is sent
    /// ([`EndpointKind::default_api_version`](super::EndpointKind::default_api_version)):
    /// nothing on v1 (`.../openai/v1`, which answers a dated version with
    /// 400 `API version not supported`), `DEFAULT_DEPLOYMENT_API_VERSION`
    /// on Azure OpenAI deployments, `DEFAULT_API_VERSION` elsewhere.
    pub fn with_api_version(mut self, api_version: impl Into<String>) -> Self {
        self.api_version = Some(api_version.into());
        self
    }

    /// The model used by requests that do not name one. Endpoints serving a
    /// single model (serverless, Azure OpenAI deployments) need none; on the
    /// v1 API the model is the deployment name and every request needs one
    /// (a call without fails with [`Error::InvalidConfig`] naming `model`
    /// before anything is sent).
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sends `extra-parameters: error|drop|pass-through` with every request.
    pub fn with_extra_parameters(mut self, extra: ExtraParameters) -> Self {
        self.extra_parameters = Some(extra);
        self
    }

    /// The longest wait for a connection (TCP and TLS) to be established
    /// (default 10 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest wait for the response to start and then between two
    /// reads of its body (default 120 s).
    ///
    /// This is an idle timeout, not a deadline for the whole call: a stream
    /// that keeps sending can last as long as it needs.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Text appended to the `User-Agent` header, after `DEFAULT_USER_AGENT`.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Uses this HTTP client instead of building one.
    ///
    /// The connect and read timeouts above are then not applied (configure
    /// them on the client), and its redirect policy is kept. The client this
    /// crate builds follows redirects only within the endpoint's origin
    /// (scheme, host, port), so credentials never go to another host; reqwest's
    /// default policy follows any redirect and strips only `Authorization`,
    /// so the `api-key` header would go along. Give your client
    /// [`same_origin_redirects`](super::same_origin_redirects) (or
    /// `reqwest::redirect::Policy::none()`): an answer that comes from
    /// another origin anyway is refused with [`Error::InvalidConfig`]
    /// (`http_client`), but by then the key was sent there.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The largest server-sent event a stream accepts, in bytes (default
    /// `DEFAULT_MAX_EVENT_BYTES`, 16 MiB): the event's data plus the line
    /// being read. A larger one fails the stream with
    /// [`Error::InvalidResponse`] rather than being buffered without bound.
    pub fn with_max_event_bytes(mut self, bytes: usize) -> Self {
        self.max_event_bytes = bytes;
        self
    }

    /// The largest non-streaming answer a client reads, in bytes (default
    /// `DEFAULT_MAX_RESPONSE_BYTES`, 256 MiB). A larger one, announced by
    /// `Content-Length` or found while reading, fails the call with
    /// [`Error::InvalidResponse`] naming the limit, instead of taking the
    /// process's memory.
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// When and how failed requests are retried (default: 3 retries with
    /// exponential backoff, see [`RetryPolicy`]); [`RetryPolicy::none`]
    /// turns retries off.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Allows sending an API key over plain `http://` to a host that is not
    /// loopback (off by default: anyone on the path could read the key).
    /// Entra ID tokens are never sent that way.
    pub fn with_insecure_http_key(mut self, allow: bool) -> Self {
        self.insecure_http_key = allow;
        self
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Whether an API key may go over plain `http://` to a non-loopback host.
    pub fn insecure_http_key(&self) -> bool {
        self.insecure_http_key
    }

    /// Telemetry settings: content recording, tracer and meter providers,
    /// convention names (see [`TelemetryOptions`]).
    pub fn with_telemetry(mut self, telemetry: TelemetryOptions) -> Self {
        self.telemetry = telemetry;
        self
    }

    /// The telemetry settings.
    pub fn telemetry(&self) -> &TelemetryOptions {
        &self.telemetry
    }

    /// The `api-version` set with [`with_api_version`](Self::with_api_version),
    /// if any (the endpoint's default is sent otherwise).
    pub fn api_version(&self) -> Option<&str> {
        self.api_version.as_deref()
    }

    /// The default model, if set.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The `extra-parameters` header value, if set.
    pub fn extra_parameters(&self) -> Option<ExtraParameters> {
        self.extra_parameters
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The read (idle) timeout.
    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// The full `User-Agent` header value.
    pub fn user_agent(&self) -> String {
        match self.user_agent.as_deref().map(str::trim) {
            Some(extra) if !extra.is_empty() => format!("{DEFAULT_USER_AGENT} {extra}"),
            _ => DEFAULT_USER_AGENT.to_owned(),
        }
    }

    /// The largest server-sent event a stream accepts, in bytes.
    pub fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    /// The largest non-streaming answer read, in bytes.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// The HTTP client given with [`with_http_client`](Self::with_http_client).
    pub fn http_client(&self) -> Option<&reqwest::Client> {
        self.http_client.as_ref()
    }

    /// Checks every option; the client builder calls this.
    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(v) = &self.api_version
            && (v.is_empty()
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')))
        {
            return Err(Error::invalid_config(
                ConfigField::ApiVersion,
                format!("expected a version like {DEFAULT_API_VERSION}, got {v:?}"),
            ));
        }
        if let Some(model) = &self.model
            && model.trim().is_empty()
        {
            return Err(Error::invalid_config(
                ConfigField::Model,
                "the default model is empty; leave it unset instead",
            ));
        }
        for (field, value) in [
            (ConfigField::ConnectTimeout, self.connect_timeout),
            (ConfigField::ReadTimeout, self.read_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::invalid_config(field, "must be greater than zero"));
            }
        }
        for (field, value) in [
            (ConfigField::MaxEventBytes, self.max_event_bytes),
            (ConfigField::MaxResponseBytes, self.max_response_bytes),
        ] {
            if value == 0 {
                return Err(Error::invalid_config(field, "must be greater than zero"));
            }
        }
        self.user_agent_header()?;
        Ok(())
    }

    pub(crate) fn user_agent_header(&self) -> Result<HeaderValue> {
        HeaderValue::from_str(&self.user_agent()).map_err(|_| {
            Error::invalid_config(
                ConfigField::UserAgent,
                "must be visible ASCII text without line breaks",
            )
        })
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_version", &self.api_version)
            .field("model", &self.model)
            .field("extra_parameters", &self.extra_parameters)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("user_agent", &self.user_agent())
            .field("max_event_bytes", &self.max_event_bytes)
            .field("max_response_bytes", &self.max_response_bytes)
            // A caller's client may carry default headers; show only that there is one.
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "custom reqwest::Client"),
            )
            .field("telemetry", &self.telemetry)
            .field("retry", &self.retry)
            .field("insecure_http_key", &self.insecure_http_key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let o = ClientOptions::new();
        assert_eq!(o.api_version(), None);
        assert_eq!(o.model(), None);
        assert_eq!(o.extra_parameters(), None);
        assert_eq!(o.connect_timeout(), Duration::from_secs(10));
        assert_eq!(o.read_timeout(), Duration::from_secs(120));
        assert_eq!(o.user_agent(), DEFAULT_USER_AGENT);
        assert_eq!(o.max_event_bytes(), 16 * 1024 * 1024);
        assert!(DEFAULT_USER_AGENT.starts_with("azure-ai-inference-otel/"));
        o.validate().unwrap();
    }

    #[test]
    fn user_agent_is_appended() {
        let o = ClientOptions::new().with_user_agent("my-app/1.2");
        assert_eq!(o.user_agent(), format!("{DEFAULT_USER_AGENT} my-app/1.2"));
        assert_eq!(
            ClientOptions::new().with_user_agent("  ").user_agent(),
            DEFAULT_USER_AGENT
        );
        let e = ClientOptions::new()
            .with_user_agent("a\nb")
            .validate()
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidConfig {
                    field: ConfigField::UserAgent,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn extra_parameters_round_trip() {
        for e in [
            ExtraParameters::Error,
            ExtraParameters::Drop,
            ExtraParameters::PassThrough,
        ] {
            assert_eq!(e.as_str().parse::<ExtraParameters>().unwrap(), e);
            assert_eq!(e.header_value(), e.as_str());
        }
        assert_eq!(ExtraParameters::PassThrough.to_string(), "pass-through");
        assert!("allow".parse::<ExtraParameters>().is_err());
    }

    #[test]
    fn validation_names_the_option() {
        let field = |o: ClientOptions| match o.validate() {
            Err(Error::InvalidConfig { field, .. }) => field.as_str(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(ClientOptions::new().with_api_version("")),
            "api_version"
        );
        assert_eq!(
            field(ClientOptions::new().with_api_version("2024 05")),
            "api_version"
        );
        assert_eq!(field(ClientOptions::new().with_model(" ")), "model");
        assert_eq!(
            field(ClientOptions::new().with_read_timeout(Duration::ZERO)),
            "read_timeout"
        );
        assert_eq!(
            field(ClientOptions::new().with_connect_timeout(Duration::ZERO)),
            "connect_timeout"
        );
        assert_eq!(
            field(ClientOptions::new().with_max_event_bytes(0)),
            "max_event_bytes"
        );
    }

    #[test]
    fn debug_lists_options() {
        let o = ClientOptions::new()
            .with_model("m")
            .with_http_client(reqwest::Client::new());
        let d = format!("{o:?}");
        assert!(
            d.contains("model: Some(\"m\")") && d.contains("custom reqwest::Client"),
            "{d}"
        );
    }

    #[test]
    fn retries_are_on_and_clear_text_keys_off_by_default() {
        let o = ClientOptions::new();
        assert_eq!(o.retry(), &RetryPolicy::default());
        assert!(!o.insecure_http_key());
        let o = o
            .with_retry(RetryPolicy::none())
            .with_insecure_http_key(true);
        assert_eq!(o.retry().max_retries(), 0);
        assert!(o.insecure_http_key());
        let d = format!("{o:?}");
        assert!(
            d.contains("max_retries: 0") && d.contains("insecure_http_key: true"),
            "{d}"
        );
    }
}
