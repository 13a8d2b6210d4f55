//! The crate's one error type.
//!
//! Every failure a client call can return is an [`Error`]. Its
//! [`error_type`](Error::error_type) is the low-cardinality `error.type`
//! value recorded on spans and metrics, and its `Display` says what went wrong
//! and what to try. [`Error::telemetry_description`] is the content-free text
//! that goes on spans: it never includes what the service or the model said,
//! so no prompt or completion text can leak through an error path.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::telemetry::semconv;

mod config_field;

pub use config_field::ConfigField;

/// A boxed source error.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest service message or body snippet kept in an error (bytes).
const MAX_SNIPPET: usize = 512;

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with a non-success HTTP status; what it said is
    /// parsed from the body in whichever shape it came
    /// ([`http_from_body`](Error::http_from_body)).
    #[error("{}", http_message(*.status, .code.as_deref(), message, *.retry_after, .request_id.as_deref()))]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The service's error code (`{"error":{"code":...}}`), when it sent one.
        code: Option<String>,
        /// The service's message, or the start of the body (at most 512 bytes).
        message: String,
        /// `Retry-After`, when the service sent one (seconds form or HTTP date).
        retry_after: Option<Duration>,
        /// The request id (`x-request-id` / `apim-request-id` / `x-ms-request-id`) to quote to support.
        request_id: Option<String>,
    },

    /// A connect, request or read deadline passed.
    #[error("timed out {phase}; raise the limit with ClientOptions::{} if the model is slow{}", phase.option(), request_id_suffix(.request_id.as_deref()))]
    Timeout {
        /// Which deadline passed.
        phase: TimeoutPhase,
        /// The response's request id, when the answer had started.
        request_id: Option<String>,
        /// The underlying transport error, when there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// No response: DNS, connect, TLS or I/O failure.
    #[error("could not reach the endpoint ({detail}); check the endpoint URL and the network")]
    Connection {
        /// A short, content-free description.
        detail: String,
        /// The underlying transport error.
        #[source]
        source: Option<BoxError>,
    },

    /// The service sent a body or an SSE event that is not the expected JSON.
    #[error("invalid response from the service: {reason}; received: {snippet:?}")]
    InvalidResponse {
        /// What was expected.
        reason: String,
        /// The start of what came (at most 512 bytes).
        snippet: String,
    },

    /// The service answered with a success status, but the body (or an
    /// event of a stream) is an error object: `{"error": {"code", "message"}}`
    /// (a whole body with status 200, such an SSE event, a `failed`
    /// Responses answer).
    ///
    /// The message can quote the prompt: it is shown to the caller
    /// (`Display`) and never recorded on spans, which get only the code.
    #[error("{}", service_message(.code.as_deref(), message, .request_id.as_deref()))]
    Service {
        /// The service's error code (`error.code`, else `error.type`), when it sent one.
        code: Option<String>,
        /// The service's message (at most 512 bytes).
        message: String,
        /// The response's request id, to quote to support.
        request_id: Option<String>,
    },

    /// The response started (status and headers arrived) but its body did
    /// not complete: the connection was reset or closed, a chunked body or
    /// an HTTP/2 stream ended early, or a stream ended before `data: [DONE]`
    /// while choices were unfinished.
    #[error("{}", truncated_message(*.events, *.unfinished, .request_id.as_deref()))]
    StreamTruncated {
        /// Events received before the cut; `None` for a whole (non-streamed)
        /// answer.
        events: Option<usize>,
        /// How many choices had no finish reason.
        unfinished: usize,
        /// The response's request id, to quote to support.
        request_id: Option<String>,
        /// The transport error that cut the body, when there was one.
        #[source]
        source: Option<BoxError>,
    },

    /// The client was configured with something it cannot use.
    #[error("invalid configuration: {field}: {reason}")]
    InvalidConfig {
        /// The option or argument at fault.
        field: ConfigField,
        /// What is wrong with it and what is expected.
        reason: String,
    },

    /// An Entra ID credential could not produce a token.
    #[error("could not get an Entra ID token for scope {scope}: {source}")]
    Credential {
        /// The scope asked for.
        scope: String,
        /// The credential's error.
        #[source]
        source: BoxError,
    },

    /// The request could not be serialized to JSON.
    #[error("could not serialize the request body: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// Which deadline passed in an [`Error::Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Establishing the connection.
    Connect,
    /// Waiting for the response or for the next bytes of the body.
    Read,
}

impl TimeoutPhase {
    fn option(self) -> &'static str {
        match self {
            TimeoutPhase::Connect => "with_connect_timeout",
            TimeoutPhase::Read => "with_read_timeout",
        }
    }
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connecting to the endpoint",
            TimeoutPhase::Read => "waiting for the service to send data",
        })
    }
}

/// A coarse classification of an [`Error`], one-to-one with `error.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A non-success HTTP status.
    Http(u16),
    /// A deadline passed.
    Timeout,
    /// No response.
    Connection,
    /// Unexpected body or event.
    InvalidResponse,
    /// Stream ended early.
    StreamTruncated,
    /// An error object in a success answer ([`Error::Service`]). Its
    /// `error.type` is the service's code, so [`Error::error_type`] gives it;
    /// this kind alone maps to `_OTHER`.
    Service,
    /// Anything else (configuration, credential, serialization).
    Other,
}

impl Error {
    /// The coarse kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Http { status, .. } => ErrorKind::Http(*status),
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Connection { .. } => ErrorKind::Connection,
            Error::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Error::StreamTruncated { .. } => ErrorKind::StreamTruncated,
            Error::Service { .. } => ErrorKind::Service,
            Error::InvalidConfig { .. } | Error::Credential { .. } | Error::Serialize(_) => {
                ErrorKind::Other
            }
        }
    }

    /// The `error.type` value recorded on spans and metrics.
    ///
    /// For [`Error::Service`] it is the service's code when that is a short
    /// identifier (letters, digits, `_ . -`, at most 64 characters), else
    /// `_OTHER`.
    ///
    /// A `&str`, so it can be a `tracing` field:
    /// `tracing::warn!(error.type = e.error_type(), "...")`.
    pub fn error_type(&self) -> &str {
        match self {
            Error::Service { code, .. } => service_error_type(code.as_deref()),
            _ => self.kind().error_type(),
        }
    }

    /// The request id of the response this error came with
    /// (`x-ms-request-id`, `apim-request-id` or `x-request-id`): what Azure
    /// support asks for.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Http { request_id, .. }
            | Error::Service { request_id, .. }
            | Error::StreamTruncated { request_id, .. }
            | Error::Timeout { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Fills in the request id of an error that can carry one and has none
    /// yet (errors found while reading a body do not see the headers).
    pub(crate) fn with_request_id(mut self, id: Option<&str>) -> Self {
        let Some(id) = id else { return self };
        let slot = match &mut self {
            Error::Http { request_id, .. }
            | Error::Service { request_id, .. }
            | Error::StreamTruncated { request_id, .. }
            | Error::Timeout { request_id, .. } => request_id,
            _ => return self,
        };
        if slot.is_none() {
            *slot = Some(id.to_owned());
        }
        self
    }

    /// The HTTP status, for [`Error::Http`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A short description for span status and the `exception` event: the
    /// error class, the status and the service's error code, never the
    /// service's message or any body text (which may quote the prompt).
    pub fn telemetry_description(&self) -> Cow<'static, str> {
        match self {
            Error::Http { status, code, .. } => match code {
                Some(code) => format!("HTTP {status} ({})", sanitize_code(code)).into(),
                None => format!("HTTP {status}").into(),
            },
            Error::Timeout { phase, .. } => match phase {
                TimeoutPhase::Connect => "connect timeout".into(),
                TimeoutPhase::Read => "read timeout".into(),
            },
            Error::Connection { .. } => "connection failed".into(),
            Error::InvalidResponse { .. } => "response is not the expected JSON".into(),
            Error::StreamTruncated { events: None, .. } => "response body cut short".into(),
            Error::StreamTruncated { .. } => "stream ended before [DONE]".into(),
            Error::Service { code, .. } => match code.as_deref().and_then(short_code) {
                Some(code) => format!("service error ({code})").into(),
                None => "service error".into(),
            },
            Error::InvalidConfig { field, .. } => format!("invalid configuration: {field}").into(),
            Error::Credential { .. } => "credential failed".into(),
            Error::Serialize(_) => "request serialization failed".into(),
        }
    }

    /// The name recorded as `exception.type`.
    pub fn exception_type(&self) -> &'static str {
        match self {
            Error::Http { .. } => "azure_ai_inference_otel::Error::Http",
            Error::Timeout { .. } => "azure_ai_inference_otel::Error::Timeout",
            Error::Connection { .. } => "azure_ai_inference_otel::Error::Connection",
            Error::InvalidResponse { .. } => "azure_ai_inference_otel::Error::InvalidResponse",
            Error::StreamTruncated { .. } => "azure_ai_inference_otel::Error::StreamTruncated",
            Error::Service { .. } => "azure_ai_inference_otel::Error::Service",
            Error::InvalidConfig { .. } => "azure_ai_inference_otel::Error::InvalidConfig",
            Error::Credential { .. } => "azure_ai_inference_otel::Error::Credential",
            Error::Serialize(_) => "azure_ai_inference_otel::Error::Serialize",
        }
    }

    /// Builds an [`Error::InvalidResponse`] keeping at most 512 bytes of `body`.
    pub fn invalid_response(reason: impl Into<String>, body: &[u8]) -> Self {
        Error::InvalidResponse {
            reason: reason.into(),
            snippet: snippet(body),
        }
    }

    /// Builds an [`Error::InvalidConfig`].
    pub fn invalid_config(field: ConfigField, reason: impl Into<String>) -> Self {
        Error::InvalidConfig {
            field,
            reason: reason.into(),
        }
    }
}

/// What the telemetry core records of a failure: the same `error.type`,
/// content-free description and `exception.type` as the methods above.
impl crate::telemetry::ErrorClass for Error {
    fn error_type(&self) -> Cow<'static, str> {
        match self {
            Error::Service { code, .. } => {
                Cow::Owned(service_error_type(code.as_deref()).to_owned())
            }
            _ => Cow::Borrowed(self.kind().error_type()),
        }
    }

    fn exception_type(&self) -> Cow<'static, str> {
        Error::exception_type(self).into()
    }

    fn description(&self) -> Cow<'static, str> {
        self.telemetry_description()
    }

    fn http_status(&self) -> Option<u16> {
        self.status()
    }
}

impl ErrorKind {
    /// The `error.type` value for this kind.
    pub fn error_type(self) -> &'static str {
        match self {
            ErrorKind::Http(status) => status_str(status),
            ErrorKind::Timeout => semconv::ERROR_TIMEOUT,
            ErrorKind::Connection => semconv::ERROR_CONNECTION,
            ErrorKind::InvalidResponse => semconv::ERROR_INVALID_RESPONSE,
            ErrorKind::StreamTruncated => semconv::ERROR_STREAM_TRUNCATED,
            ErrorKind::Service | ErrorKind::Other => semconv::ERROR_OTHER,
        }
    }
}

/// `"100"` to `"999"`, three bytes each: every HTTP status as a static
/// string, so `error.type` is a `&'static str` (a `tracing` value) that the
/// error path of a span never allocates.
static STATUS_DIGITS: [u8; 2700] = {
    let mut table = [0u8; 2700];
    let mut n = 0;
    while n < 900 {
        let status = n + 100;
        table[3 * n] = b'0' + (status / 100) as u8;
        table[3 * n + 1] = b'0' + (status / 10 % 10) as u8;
        table[3 * n + 2] = b'0' + (status % 10) as u8;
        n += 1;
    }
    table
};

/// The status as `error.type`; `_OTHER` outside the HTTP range 100-999.
fn status_str(status: u16) -> &'static str {
    match status {
        100..=999 => {
            let at = usize::from(status - 100) * 3;
            std::str::from_utf8(&STATUS_DIGITS[at..at + 3]).unwrap_or(semconv::ERROR_OTHER)
        }
        _ => semconv::ERROR_OTHER,
    }
}

/// Error codes are short identifiers (`content_filter`, `DeploymentNotFound`);
/// anything else is not put on a span.
fn sanitize_code(code: &str) -> &str {
    short_code(code).unwrap_or("unrecognized code")
}

/// `code` when it is a short identifier: `[A-Za-z0-9_.-]`, 1 to 64 bytes.
fn short_code(code: &str) -> Option<&str> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    ok.then_some(code)
}

fn request_id_suffix(request_id: Option<&str>) -> String {
    request_id.map_or_else(String::new, |id| format!(" [request id {id}]"))
}

fn truncated_message(events: Option<usize>, unfinished: usize, request_id: Option<&str>) -> String {
    let mut s = match events {
        Some(n) => format!("the stream was cut after {n} event(s)"),
        None => "the response body was cut before it was complete".to_owned(),
    };
    if unfinished > 0 {
        s.push_str(&format!(", with {unfinished} unfinished choice(s)"));
    }
    s.push_str("; the connection was probably cut, retry the call");
    s.push_str(&request_id_suffix(request_id));
    s
}

impl Error {
    /// An [`Error::Service`] from an error object in any of the shapes
    /// [`Error::http_from_body`] understands.
    pub(crate) fn service_from_body(body: &[u8]) -> Self {
        let (code, message) = parse_error_body(body);
        Error::Service {
            code,
            message,
            request_id: None,
        }
    }

    /// An error the service reported in a decoded object (a `failed`
    /// Responses answer, an `error` stream event); the message is cut to
    /// 512 bytes like any other.
    pub(crate) fn service(code: Option<String>, message: String, request_id: Option<&str>) -> Self {
        Error::Service {
            code,
            message: truncate(&message),
            request_id: request_id.map(str::to_owned),
        }
    }
}

/// The `error.type` of an [`Error::Service`]: the code when it is a short
/// identifier, else `_OTHER`.
fn service_error_type(code: Option<&str>) -> &str {
    code.and_then(short_code).unwrap_or(semconv::ERROR_OTHER)
}

/// [`Error::Service`]'s `Display`.
fn service_message(code: Option<&str>, message: &str, request_id: Option<&str>) -> String {
    let mut text = String::from("the service reported an error");
    if let Some(code) = code {
        text.push_str(&format!(" ({code})"));
    }
    if !message.is_empty() {
        text.push_str(&format!(": {message}"));
    }
    if let Some(id) = request_id {
        text.push_str(&format!(" [request id {id}]"));
    }
    text
}

impl Error {
    /// An [`Error::Http`] for `status` with what the service said, parsed
    /// from `body`. Understood shapes: `{"error":{"code","message"}}`,
    /// `{"error":"text"}`, `{"code","message"}`, `{"status":..,"message"|"title"|"detail"}`,
    /// `{"detail": "text" | [..]}`, `{"message": "text"}`, and plain text.
    pub fn http_from_body(status: u16, body: &[u8]) -> Self {
        Self::http(status, body, None, None)
    }

    /// [`http_from_body`](Self::http_from_body) with the answer's
    /// `Retry-After` and request id.
    pub(crate) fn http(
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        request_id: Option<String>,
    ) -> Self {
        let (code, message) = parse_error_body(body);
        Error::Http {
            status,
            code,
            message,
            retry_after,
            request_id,
        }
    }
}

/// What to do about a status, for [`Error::Http`]'s `Display`.
fn http_hint(status: u16, message: &str) -> &'static str {
    match status {
        // What a v1 endpoint (`.../openai/v1`) answers a dated version.
        400 if contains_ignore_case(message, "api version not supported") => {
            "drop the api-version parameter (ClientOptions::with_api_version, azinfer --api-version): a v1 endpoint (.../openai/v1) takes none, or `v1`"
        }
        400 => "the service rejected the request; check the parameters it names",
        401 => "check the API key or token, and that it belongs to this endpoint",
        403 => "the credential is valid but lacks access to this resource or model",
        404 => {
            "check the endpoint URL (Azure OpenAI needs .../openai/deployments/<name>), the route and the model name"
        }
        408 | 504 => "the service timed out; retry, or ask for fewer tokens",
        413 => "the request is too large; send fewer or shorter inputs",
        422 => {
            "the model does not accept a parameter; the message names it (see ClientOptions::with_extra_parameters)"
        }
        429 => "rate limited; wait and retry, or raise the deployment's quota",
        300..=399 => {
            "the service redirected the request to another origin, where credentials are never sent; use that URL as the endpoint if you trust it"
        }
        500..=599 => "the service failed; retry later",
        _ => "see the service's message",
    }
}

/// Whether `haystack` contains the ASCII `needle` (lower case), ignoring case.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// [`Error::Http`]'s `Display`.
fn http_message(
    status: u16,
    code: Option<&str>,
    message: &str,
    retry_after: Option<Duration>,
    request_id: Option<&str>,
) -> String {
    let mut text = format!("the service answered HTTP {status}");
    if let Some(code) = code {
        text.push_str(&format!(" ({code})"));
    }
    if !message.is_empty() {
        text.push_str(&format!(": {message}"));
    }
    text.push_str(&format!("; {}", http_hint(status, message)));
    if let Some(after) = retry_after {
        // Whole milliseconds: `retry-after-ms` hints are often below 1 s.
        let after = Duration::from_millis(after.as_millis().try_into().unwrap_or(u64::MAX));
        text.push_str(&format!(
            " (retry after {})",
            humantime::format_duration(after)
        ));
    }
    if let Some(id) = request_id {
        text.push_str(&format!(" [request id {id}]"));
    }
    text
}

fn parse_error_body(body: &[u8]) -> (Option<String>, String) {
    use serde_json::Value;
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return (None, snippet(body));
    };
    let text = |v: &Value| match v {
        Value::String(s) => Some(truncate(s)),
        Value::Null => None,
        other => Some(truncate(&other.to_string())),
    };
    // The object that carries `code` / `message`: `error` when it is an object.
    let obj = match value.get("error") {
        Some(Value::String(s)) => return (None, truncate(s)),
        Some(inner @ Value::Object(_)) => inner,
        _ => &value,
    };
    let code = obj
        .get("code")
        .or_else(|| obj.get("type"))
        .and_then(|c| match c {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    let message = ["message", "detail", "title", "status"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(text))
        .unwrap_or_else(|| snippet(body));
    (code, message)
}

fn truncate(s: &str) -> String {
    if s.len() <= MAX_SNIPPET {
        return s.to_owned();
    }
    let mut end = MAX_SNIPPET;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn snippet(body: &[u8]) -> String {
    truncate(String::from_utf8_lossy(&body[..body.len().min(MAX_SNIPPET + 4)]).trim())
}

#[cfg(test)]
mod tests;
