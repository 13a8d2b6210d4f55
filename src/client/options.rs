//! Client options: API version, default model, timeouts, HTTP client.

use crate::telemetry::TelemetryOptions;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use http::HeaderValue;

use crate::error::{ConfigField, Error, Result};

/// The Azure AI model inference API version sent when none is set.
pub const DEFAULT_API_VERSION: &str = "2024-05-01-preview";

/// The `User-Agent` every request carries; [`ClientOptions::with_user_agent`]
/// appends to it.
pub const DEFAULT_USER_AGENT: &str = crate::net::USER_AGENT;

/// Default [`ClientOptions::with_connect_timeout`]: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default [`ClientOptions::with_read_timeout`]: 120 s.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(120);

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
    api_version: String,
    model: Option<String>,
    extra_parameters: Option<ExtraParameters>,
    connect_timeout: Duration,
    read_timeout: Duration,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    telemetry: TelemetryOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            api_version: DEFAULT_API_VERSION.to_owned(),
            model: None,
            extra_parameters: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            user_agent: None,
            http_client: None,
            telemetry: TelemetryOptions::default(),
        }
    }
}

impl ClientOptions {
    /// The defaults: API version [`DEFAULT_API_VERSION`], no default model,
    /// no `extra-parameters` header, 10 s connect and 120 s read timeouts.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `api-version` query parameter (default [`DEFAULT_API_VERSION`]).
    pub fn with_api_version(mut self, api_version: impl Into<String>) -> Self {
        self.api_version = api_version.into();
        self
    }

    /// The model used by requests that do not name one. Endpoints serving a
    /// single model (serverless, Azure OpenAI deployments) need none.
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

    /// Text appended to the `User-Agent` header, after [`DEFAULT_USER_AGENT`].
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Uses this HTTP client instead of building one.
    ///
    /// The connect and read timeouts above are then not applied (configure
    /// them on the client), and its redirect policy is kept: the client this
    /// crate builds follows no redirects, so credentials never go to another
    /// host.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
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

    /// The `api-version` query parameter sent with every request.
    pub fn api_version(&self) -> &str {
        &self.api_version
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

    /// The HTTP client given with [`with_http_client`](Self::with_http_client).
    pub fn http_client(&self) -> Option<&reqwest::Client> {
        self.http_client.as_ref()
    }

    /// Checks every option; the client builder calls this.
    pub(crate) fn validate(&self) -> Result<()> {
        let v = &self.api_version;
        if v.is_empty()
            || !v
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
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
            // A caller's client may carry default headers; show only that there is one.
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "custom reqwest::Client"),
            )
            .field("telemetry", &self.telemetry)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let o = ClientOptions::new();
        assert_eq!(o.api_version(), "2024-05-01-preview");
        assert_eq!(o.model(), None);
        assert_eq!(o.extra_parameters(), None);
        assert_eq!(o.connect_timeout(), Duration::from_secs(10));
        assert_eq!(o.read_timeout(), Duration::from_secs(120));
        assert_eq!(o.user_agent(), DEFAULT_USER_AGENT);
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
}
