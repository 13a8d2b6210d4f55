//! Which option a configuration error is about.

use std::fmt;

/// Which client option an [`Error::InvalidConfig`](super::Error::InvalidConfig) is about.
///
/// `Display` prints the option's name as spelled in
/// [`ClientOptions`](crate::client::ClientOptions) and the constructors
/// (`api_key`, `endpoint`, …), so a front end can map it to its own flag
/// without matching strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigField {
    /// The endpoint URL.
    Endpoint,
    /// The API key.
    ApiKey,
    /// An Entra ID token credential (the token it returned).
    Credential,
    /// The Entra ID scope.
    Scope,
    /// The `api-version` query parameter.
    ApiVersion,
    /// The default model.
    Model,
    /// The policy for unknown request parameters.
    ExtraParameters,
    /// The connect timeout.
    ConnectTimeout,
    /// The read timeout.
    ReadTimeout,
    /// The `User-Agent` header.
    UserAgent,
    /// The largest server-sent event a stream accepts.
    MaxEventBytes,
    /// The largest non-streaming answer a client reads.
    MaxResponseBytes,
    /// The HTTP client (or a request it could not build).
    HttpClient,
    /// A request's `stream` flag, set against the method called.
    Stream,
}

impl ConfigField {
    /// The option's name, e.g. `"api_key"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConfigField::Endpoint => "endpoint",
            ConfigField::ApiKey => "api_key",
            ConfigField::Credential => "credential",
            ConfigField::Scope => "scope",
            ConfigField::ApiVersion => "api_version",
            ConfigField::Model => "model",
            ConfigField::ExtraParameters => "extra_parameters",
            ConfigField::ConnectTimeout => "connect_timeout",
            ConfigField::ReadTimeout => "read_timeout",
            ConfigField::UserAgent => "user_agent",
            ConfigField::MaxEventBytes => "max_event_bytes",
            ConfigField::MaxResponseBytes => "max_response_bytes",
            ConfigField::HttpClient => "http_client",
            ConfigField::Stream => "stream",
        }
    }
}

impl fmt::Display for ConfigField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
