//! HTTP transport: one `reqwest::Client`, the auth and common headers, the
//! retry loop, and the mapping of statuses, in-band error objects and
//! transport failures to [`Error`].
//!
//! Nothing here records telemetry; the operation files wrap these calls in
//! spans, pass the trace context headers in, and hear about every retried
//! attempt through a callback.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::sync::LazyLock;
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{
    ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION, USER_AGENT,
};
use memchr::memmem;
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use super::credential::{Authorizer, Credential};
use super::endpoint::Endpoint;
use super::options::ClientOptions;
use super::redirect::{check_origin, origin_text, same_origin_redirects};
use super::retry::RetryPolicy;
use crate::error::{ConfigField, Error, Result, TimeoutPhase};
use crate::net::retry_after;

/// Largest error body read to build an [`Error::Http`].
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;

/// Longest root-cause text kept in an [`Error::Connection`] detail.
const MAX_DETAIL: usize = 200;

const EXTRA_PARAMETERS: HeaderName = HeaderName::from_static("extra-parameters");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const TEXT_EVENT_STREAM: HeaderValue = HeaderValue::from_static("text/event-stream");

/// Request id headers, in the order they are looked for (names, not
/// `&str`: a `&str` key is parsed as a header name at every lookup).
const REQUEST_ID_HEADERS: [HeaderName; 3] = [
    HeaderName::from_static("x-ms-request-id"),
    HeaderName::from_static("apim-request-id"),
    HeaderName::from_static("x-request-id"),
];

/// Called before each retry with the failure of the attempt just made.
pub(crate) type OnRetry<'a> = &'a mut (dyn FnMut(&Error) + Send);

/// Sends requests to one endpoint with one credential. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    endpoint: Endpoint,
    auth: Authorizer,
    /// The caller's `api-version`, else the endpoint kind's default (none on v1).
    api_version: Option<String>,
    /// `User-Agent` and `extra-parameters`, sent with every request.
    common: HeaderMap,
    retry: RetryPolicy,
    /// The largest non-streaming answer read ([`read_json_as`]).
    max_response_bytes: usize,
}

impl Transport {
    /// Checks `options` and builds the HTTP client (unless one was given).
    pub(crate) fn new(
        endpoint: Endpoint,
        credential: Credential,
        options: &ClientOptions,
    ) -> Result<Transport> {
        options.validate()?;
        let auth = credential
            .authorizer(&endpoint)?
            .bounded_by(options.read_timeout());
        if auth.kind() == "api-key"
            && !endpoint.is_https()
            && !endpoint.is_loopback()
            && !options.insecure_http_key()
        {
            return Err(Error::invalid_config(
                ConfigField::Endpoint,
                format!(
                    "an API key is only sent over https (or to a loopback address), got {endpoint}; use an https endpoint, or ClientOptions::with_insecure_http_key(true) to send the key in clear text anyway"
                ),
            ));
        }
        let http = match options.http_client() {
            Some(client) => client.clone(),
            None => super::tls::build_client(|builder| {
                builder
                    .connect_timeout(options.connect_timeout())
                    // Idle time between reads; never `.timeout()`, a whole-call
                    // deadline that would cut long streams.
                    .read_timeout(options.read_timeout())
                    // reqwest's default would carry the `api-key` header to
                    // whatever host a redirect names.
                    .redirect(same_origin_redirects())
            })
            .map_err(|e| {
                Error::invalid_config(
                    ConfigField::HttpClient,
                    format!("could not build the HTTP client: {e}"),
                )
            })?,
        };
        let mut common = HeaderMap::with_capacity(2);
        common.insert(USER_AGENT, options.user_agent_header()?);
        if let Some(extra) = options.extra_parameters() {
            common.insert(EXTRA_PARAMETERS, extra.header_value());
        }
        let api_version = options
            .api_version()
            .or(endpoint.kind().default_api_version())
            .map(str::to_owned);
        Ok(Transport {
            http,
            endpoint,
            auth,
            api_version,
            common,
            retry: options.retry().clone(),
            max_response_bytes: options.max_response_bytes(),
        })
    }

    /// The largest non-streaming answer read, in bytes.
    pub(crate) fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// The endpoint requests go to (for `server.address` / `server.port`).
    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The `api-version` sent, if any.
    pub(crate) fn api_version(&self) -> Option<&str> {
        self.api_version.as_deref()
    }

    /// The retry policy.
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The same transport, trying each request once.
    pub(crate) fn without_retries(&self) -> Transport {
        Transport {
            retry: RetryPolicy::none(),
            ..self.clone()
        }
    }

    /// POSTs a JSON body to `route`, retrying transient failures (see
    /// [`RetryPolicy`]) and calling `on_retry` before each retry. With
    /// `stream`, asks for `text/event-stream` and fails with
    /// [`Error::InvalidResponse`] when a successful answer is something else
    /// (a service that ignored `"stream": true`).
    ///
    /// A non-success status is returned as [`Error::Http`].
    pub(crate) async fn post_json(
        &self,
        route: &str,
        body: Bytes,
        trace_headers: &[(HeaderName, HeaderValue)],
        stream: bool,
        on_retry: OnRetry<'_>,
    ) -> Result<reqwest::Response> {
        let accept = if stream {
            TEXT_EVENT_STREAM
        } else {
            APPLICATION_JSON
        };
        let url = self.endpoint.url_for(route, self.api_version.as_deref());
        let response = self
            .send_with_retry(
                Method::POST,
                &url,
                Some(&body),
                trace_headers,
                accept,
                on_retry,
            )
            .await?;
        if stream {
            check_event_stream(response).await
        } else {
            Ok(response)
        }
    }

    /// GETs `route` (`info`, `models`), retrying like [`post_json`](Self::post_json).
    /// A non-success status is returned as [`Error::Http`].
    pub(crate) async fn get(
        &self,
        route: &str,
        trace_headers: &[(HeaderName, HeaderValue)],
        on_retry: OnRetry<'_>,
    ) -> Result<reqwest::Response> {
        let url = self.endpoint.url_for(route, self.api_version.as_deref());
        self.send_with_retry(
            Method::GET,
            &url,
            None,
            trace_headers,
            APPLICATION_JSON,
            on_retry,
        )
        .await
    }

    /// Sends the request (a JSON `body` when there is one) until an attempt
    /// gets a successful status, a failure that is not worth retrying, or
    /// the policy's retries run out (then the last failure is returned).
    async fn send_with_retry(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Bytes>,
        trace_headers: &[(HeaderName, HeaderValue)],
        accept: HeaderValue,
        on_retry: OnRetry<'_>,
    ) -> Result<reqwest::Response> {
        let mut retries = 0;
        loop {
            let attempt = self.attempt(method.clone(), url, body, trace_headers, accept.clone());
            match attempt.await {
                Err(error)
                    if retries < self.retry.max_retries() && RetryPolicy::is_retryable(&error) =>
                {
                    retries += 1;
                    let delay = self.retry.delay(retries, &error);
                    on_retry(&error);
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    async fn attempt(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Bytes>,
        trace_headers: &[(HeaderName, HeaderValue)],
        accept: HeaderValue,
    ) -> Result<reqwest::Response> {
        // Built per attempt: an Entra token may have been refreshed. The
        // request is assembled here, not with `RequestBuilder::headers`,
        // which moves every header into a second map (about 2,000
        // instructions per call, 4,000 with trace headers; callgrind).
        let headers = self.headers(trace_headers, accept, body.is_some()).await?;
        let mut request = reqwest::Request::new(method, url.clone());
        *request.headers_mut() = headers;
        if let Some(body) = body {
            *request.body_mut() = Some(body.clone().into());
        }
        let response = self
            .http
            .execute(request)
            .await
            .map_err(map_reqwest_error)?;
        // A caller's client may have followed a redirect elsewhere.
        check_origin(&self.endpoint, response.url())?;
        check_status(response).await
    }

    /// Trace headers first, so they can never replace ours; `Content-Type`
    /// when the request has a (JSON) body.
    async fn headers(
        &self,
        trace_headers: &[(HeaderName, HeaderValue)],
        accept: HeaderValue,
        json_body: bool,
    ) -> Result<HeaderMap> {
        // Room for ours (`Accept`, `Content-Type`, two auth headers) and
        // for `Host` and `Content-Length`, which hyper adds to its copy of
        // the map (the copy keeps this capacity): a map that has to grow
        // there costs about 1,100 instructions per call (callgrind).
        let mut headers = HeaderMap::with_capacity(trace_headers.len() + self.common.len() + 6);
        for (name, value) in trace_headers {
            headers.insert(name, value.clone());
        }
        for (name, value) in &self.common {
            headers.insert(name, value.clone());
        }
        headers.insert(ACCEPT, accept);
        if json_body {
            headers.insert(CONTENT_TYPE, APPLICATION_JSON);
        }
        self.auth.apply(&mut headers).await?;
        Ok(headers)
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("endpoint", &self.endpoint)
            .field("api_version", &self.api_version)
            .field("auth", &self.auth.kind())
            .finish_non_exhaustive()
    }
}

/// Reads the whole body (at most `limit` bytes) and decodes it as `T`. A
/// body that is an error object is [`Error::Service`]; a body cut short is
/// [`Error::StreamTruncated`]; a body over `limit` is
/// [`Error::InvalidResponse`] naming the limit. Errors carry the response's
/// request id.
pub(crate) async fn read_json<T: DeserializeOwned>(
    resp: reqwest::Response,
    limit: usize,
) -> Result<T> {
    let id = request_id(resp.headers());
    read_json_as(resp, id, limit).await
}

/// [`read_json`] for a response whose request id (`id`) was already read.
///
/// The body is parsed once as `T`; only a body holding the text `"error"`
/// is also skimmed for a top-level error object ([`in_band_error`]).
pub(crate) async fn read_json_as<T: DeserializeOwned>(
    resp: reqwest::Response,
    id: Option<String>,
    limit: usize,
) -> Result<T> {
    let bytes = match read_capped(resp, limit).await {
        Ok(bytes) => bytes,
        Err(e) => return Err(e.with_request_id(id.as_deref())),
    };
    decode_answer(&bytes, id.as_deref())
}

/// Reads the JSON text `bytes` as a `T`, checking that it is UTF-8 once,
/// for the whole text. serde_json's `from_slice` checks each string it
/// reads on its own (a `from_utf8` call per key and per value, about 100
/// instructions each: a thousand per streamed chunk, three thousand per
/// chat call in the async-openai layer, which reads the request too);
/// `from_str` reads text that is already `str` without checking again.
pub(crate) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(e) => Err(serde::de::Error::custom(format_args!(
            "the text is not UTF-8 (at byte {})",
            e.valid_up_to()
        ))),
    }
}

/// Decodes a whole answer's body as `T`: [`Error::Service`] when it is an
/// error object, [`Error::InvalidResponse`] when it is not a `T`.
pub(crate) fn decode_answer<T: DeserializeOwned>(bytes: &[u8], id: Option<&str>) -> Result<T> {
    if let Some(error) = in_band_error(bytes) {
        return Err(error.with_request_id(id));
    }
    from_json(bytes).map_err(|e| {
        Error::invalid_response(
            format!("expected a JSON {}: {e}", short_type_name::<T>()),
            bytes,
        )
    })
}

/// Reads a whole body of at most `limit` bytes: a larger `Content-Length`
/// is refused before anything is read, and a body that grows past `limit`
/// while it is read (chunked, or a lying length) is refused as soon as it
/// does, so memory stays bounded by `limit` whatever the server sends.
pub(crate) async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>> {
    let too_large = |what: String| {
        Error::invalid_response(
            format!("{what}, over the {limit}-byte limit (ClientOptions::with_max_response_bytes)"),
            b"",
        )
    };
    let announced = resp.content_length();
    if let Some(length) = announced
        && length > limit as u64
    {
        return Err(too_large(format!("the answer announces {length} bytes")));
    }
    // Reserve what is announced, up to 8 MiB (a length is a claim, not
    // bytes received); beyond that the buffer grows as chunks come.
    let reserve = announced.map_or(0, |n| n.min(8 << 20) as usize);
    let mut body = Vec::with_capacity(reserve);
    while let Some(chunk) = resp.chunk().await.map_err(|e| body_error(e, None))? {
        if chunk.len() > limit - body.len() {
            return Err(too_large(format!(
                "the answer runs past {} bytes",
                body.len() + chunk.len()
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// [`Error::Service`] when `body` (a whole answer or one event's data) is a
/// JSON object with a non-null top-level `error`.
///
/// Bodies without the text `"error"` are not parsed a second time.
pub(crate) fn in_band_error(body: &[u8]) -> Option<Error> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Option<serde::de::IgnoredAny>,
    }
    // An object (a struct would also accept `["error"]`).
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    // One searcher for the process: `memmem::find` builds one per call
    // (about 1,000 instructions, paid by every answer and every event).
    static ERROR_KEY: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"\"error\""));
    ERROR_KEY.find(body)?;
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    envelope.error?;
    Some(Error::service_from_body(body))
}

/// Maps a failure to read a body whose response had already arrived: a
/// timeout stays [`Error::Timeout`]; a reset, a cut chunked body or an
/// HTTP/2 stream reset becomes [`Error::StreamTruncated`] (`events` received
/// before it, `None` for a whole answer), not [`Error::Connection`], which
/// means no response at all.
pub(crate) fn body_error(e: reqwest::Error, events: Option<usize>) -> Error {
    truncated(map_reqwest_error(e), events)
}

/// [`body_error`] for an error already mapped.
pub(crate) fn truncated(error: Error, events: Option<usize>) -> Error {
    match error {
        Error::Connection { source, .. } => Error::StreamTruncated {
            events,
            unfinished: 0,
            request_id: None,
            source,
        },
        other => other,
    }
}

/// Maps a transport failure: timeouts to [`Error::Timeout`] (connect or
/// read phase), everything else to [`Error::Connection`] with a short
/// detail naming the host and port and the cause, never a header or body.
pub(crate) fn map_reqwest_error(e: reqwest::Error) -> Error {
    let mut error = classify_reqwest_error(&e);
    if let Error::Timeout { source, .. } | Error::Connection { source, .. } = &mut error {
        *source = Some(Box::new(e));
    }
    error
}

/// [`map_reqwest_error`] without the source: for a failure that goes on to
/// the caller unchanged while telemetry records its class (`crate::instrument`).
pub(crate) fn classify_reqwest_error(e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        let phase = if e.is_connect() {
            TimeoutPhase::Connect
        } else {
            TimeoutPhase::Read
        };
        return Error::Timeout {
            phase,
            request_id: None,
            source: None,
        };
    }
    if e.is_builder() {
        return Error::invalid_config(
            ConfigField::HttpClient,
            format!("could not build the request: {e}"),
        );
    }
    if e.is_redirect() {
        // A redirect loop, or too many hops: sending again would not help.
        let why = sources(e)
            .last()
            .map(ToString::to_string)
            .unwrap_or_default();
        return Error::invalid_response(format!("the redirects were not followed: {why}"), b"");
    }
    Error::Connection {
        detail: connection_detail(e),
        source: None,
    }
}

fn connection_detail(e: &reqwest::Error) -> String {
    let target = match e.url() {
        Some(url) => format!(
            "{}:{}",
            url.host_str().unwrap_or("?"),
            url.port_or_known_default().unwrap_or_default()
        ),
        None => "the endpoint".to_owned(),
    };
    let io_kind = sources(e)
        .find_map(|s| s.downcast_ref::<io::Error>())
        .map(io::Error::kind);
    let (what, known) = match io_kind {
        _ if e.is_dns() => ("DNS lookup failed for", false),
        Some(io::ErrorKind::ConnectionRefused) => ("connection refused by", true),
        Some(io::ErrorKind::ConnectionReset) => ("connection reset by", true),
        Some(
            io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof,
        ) => ("connection closed by", true),
        _ if e.is_connect() => ("could not connect to", false),
        _ if e.is_body() || e.is_decode() => ("failed reading the response from", false),
        _ => ("request failed to", false),
    };
    let mut detail = format!("{what} {target}");
    // The innermost cause (an OS, TLS or HTTP protocol message) says why;
    // none of them quote a header or the body.
    if !known && let Some(root) = sources(e).last() {
        let root = root.to_string();
        if !root.is_empty() {
            detail.push_str(": ");
            let mut end = root.len().min(MAX_DETAIL);
            while !root.is_char_boundary(end) {
                end -= 1;
            }
            detail.push_str(&root[..end]);
        }
    }
    detail
}

/// The source chain below `e` (not `e` itself, whose text includes the URL).
fn sources<'a>(e: &'a reqwest::Error) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(e.source(), |&s| s.source())
}

/// Returns the response when its status is a success, else reads (at most
/// 64 KiB of) the body into an [`Error::Http`].
async fn check_status(resp: reqwest::Response) -> Result<reqwest::Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let retry_after = retry_after(resp.headers(), SystemTime::now());
    let request_id = request_id(resp.headers());
    let redirected_to = status
        .is_redirection()
        .then(|| resp.headers().get(LOCATION))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|location| resp.url().join(location).ok());
    // A failure while reading the error body is ignored: the status says enough.
    let body = read_bounded(resp, MAX_ERROR_BODY).await.unwrap_or_default();
    let mut error = Error::http(status.as_u16(), &body, retry_after, request_id);
    if let (Some(to), Error::Http { message, .. }) = (redirected_to, &mut error) {
        // Only the origin: the path or query may hold a token.
        *message = format!("redirected to {}", origin_text(&to));
    }
    Err(error)
}

/// A successful answer to a streaming request must be an event stream. A
/// missing `Content-Type` is given the benefit of the doubt.
async fn check_event_stream(resp: reqwest::Response) -> Result<reqwest::Response> {
    let Some(content_type) = not_event_stream(resp.headers()) else {
        return Ok(resp);
    };
    let body = read_bounded(resp, MAX_ERROR_BODY).await.unwrap_or_default();
    Err(not_event_stream_error(&content_type, &body))
}

/// The `Content-Type` of an answer to a streaming request when it is not
/// `text/event-stream` (a missing one is given the benefit of the doubt).
pub(crate) fn not_event_stream(headers: &HeaderMap) -> Option<String> {
    let content_type = String::from_utf8_lossy(headers.get(CONTENT_TYPE)?.as_bytes()).into_owned();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    (!essence.eq_ignore_ascii_case("text/event-stream")).then_some(content_type)
}

/// The failure of a streaming request answered with another content type.
pub(crate) fn not_event_stream_error(content_type: &str, body: &[u8]) -> Error {
    Error::invalid_response(
        format!("expected a text/event-stream answer to a streaming request, got {content_type:?}"),
        body,
    )
}

/// Reads the body up to `limit` bytes, dropping the rest.
async fn read_bounded(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    while body.len() < limit {
        match resp.chunk().await.map_err(map_reqwest_error)? {
            Some(chunk) => {
                let take = chunk.len().min(limit - body.len());
                body.extend_from_slice(&chunk[..take]);
            }
            None => break,
        }
    }
    Ok(body)
}

/// The first request id header present (`x-ms-request-id`,
/// `apim-request-id`, `x-request-id`), when it looks like an id.
///
/// One pass over the answer's few headers, comparing names, instead of a
/// hashed lookup per candidate name: about 250 instead of 750 instructions
/// per call (callgrind). As with `HeaderMap::get`, only the first value of
/// a name counts.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    let mut seen = [false; 3];
    let mut best: Option<(usize, &str)> = None;
    for (name, value) in headers {
        let Some(rank) = REQUEST_ID_HEADERS.iter().position(|n| n == name) else {
            continue;
        };
        if std::mem::replace(&mut seen[rank], true) || best.is_some_and(|(b, _)| b < rank) {
            continue;
        }
        if let Some(id) = plausible_id(value) {
            best = Some((rank, id));
        }
    }
    best.map(|(_, id)| id.to_owned())
}

fn plausible_id(value: &HeaderValue) -> Option<&str> {
    let v = value.to_str().ok()?.trim();
    let plausible = !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic());
    plausible.then_some(v)
}

/// `T`'s name without module paths: `Vec<ChatCompletion>`, not
/// `alloc::vec::Vec<azure_ai_inference_otel::models::ChatCompletion>`.
pub(crate) fn short_type_name<T: ?Sized>() -> String {
    let full = std::any::type_name::<T>();
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    let mut rest = full;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("::") {
            out.truncate(segment_start);
            rest = after;
            continue;
        }
        out.push(c);
        if !(c.is_alphanumeric() || matches!(c, '_' | '{' | '}')) {
            segment_start = out.len();
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod traffic_tests;
