//! Recording: forward every request to a real endpoint, stream its answer
//! through to the caller as it arrives, and keep the pair for the cassette.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use http::{HeaderValue, StatusCode};
use url::Url;

use super::cassette::{self, Answer, AnswerBody, CassetteError, Interaction, Request};
use super::request::RecordedRequest;
use super::scrub::Scrubber;
use super::wire;

/// How long the recorder waits to connect to the real endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the recorder waits for the next bytes of an answer.
const READ_TIMEOUT: Duration = Duration::from_secs(300);

/// Request headers not forwarded: hop-by-hop ones and those the HTTP
/// client sets itself.
const NOT_FORWARDED: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
];

/// Answer headers not passed back (or replayed): hop-by-hop ones and the
/// framing, which the loopback server sets itself.
pub(crate) const NOT_PASSED_BACK: &[&str] = &[
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "trailer",
    "upgrade",
];

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a recording scrubs besides what it always scrubs.
///
/// Always scrubbed, whatever the options: the `api-key`, `Authorization`,
/// `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `x-api-key` and
/// `Ocp-Apim-Subscription-Key` headers, the `api-key` query parameter, and
/// every occurrence of their values anywhere in the cassette (the values
/// become `[scrubbed]`). Values shorter than 8 bytes are only replaced in
/// the header or parameter itself, not searched for in bodies; name a short
/// secret with [`with_secret`](Self::with_secret) to have it searched for
/// everywhere.
#[derive(Debug, Clone, Default)]
pub struct RecordOptions {
    headers: Vec<String>,
    query: Vec<String>,
    secrets: Vec<crate::net::Secret>,
    insecure_http_key: bool,
}

impl RecordOptions {
    /// The default: scrub only what is always scrubbed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also scrubs the value of header `name` (case-insensitive), in
    /// requests and answers.
    #[must_use]
    pub fn scrub_header(mut self, name: impl Into<String>) -> Self {
        self.headers.push(name.into());
        self
    }

    /// Also scrubs the value of query parameter `name` (replay then leaves
    /// it out of matching).
    #[must_use]
    pub fn scrub_query_param(mut self, name: impl Into<String>) -> Self {
        self.query.push(name.into());
        self
    }

    /// Scrubs every occurrence of `secret` (raw, JSON-escaped or
    /// percent-encoded) anywhere in the cassette: paths, queries, headers,
    /// bodies and stream events. Empty secrets are ignored.
    #[must_use]
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secrets.push(crate::net::Secret::new(secret.into()));
        self
    }

    /// Allows forwarding to a plain `http://` upstream that is not
    /// loopback (off by default: the caller's key would cross the network
    /// in clear text), as [`ClientOptions::with_insecure_http_key`](crate::client::ClientOptions::with_insecure_http_key)
    /// does for a client.
    #[must_use]
    pub fn with_insecure_http_key(mut self, allow: bool) -> Self {
        self.insecure_http_key = allow;
        self
    }

    fn scrubber(&self) -> Scrubber {
        Scrubber::new(
            self.headers.iter().cloned(),
            self.query.iter().cloned(),
            self.secrets.iter().map(|s| s.expose().to_owned()),
        )
    }
}

/// A recording in progress: the upstream, the HTTP client and the
/// interactions so far (in request order; a slot stays empty when the
/// upstream could not be reached).
pub(crate) struct Recorder {
    upstream: Url,
    client: reqwest::Client,
    path: PathBuf,
    scrubber: Scrubber,
    slots: Mutex<Vec<Option<Interaction>>>,
    written: AtomicBool,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("upstream", &self.upstream.as_str())
            .field("cassette", &self.path)
            .field("interactions", &lock(&self.slots).len())
            .finish_non_exhaustive()
    }
}

impl Recorder {
    pub(crate) fn new(
        upstream: &str,
        path: PathBuf,
        options: &RecordOptions,
    ) -> Result<Self, CassetteError> {
        let upstream = Url::parse(upstream.trim()).map_err(|e| {
            CassetteError::Setup(format!("the upstream {upstream:?} is not a URL: {e}"))
        })?;
        if !matches!(upstream.scheme(), "http" | "https") || upstream.host_str().is_none() {
            return Err(CassetteError::Setup(format!(
                "the upstream must be an http(s) URL with a host, got {}",
                upstream.scheme()
            )));
        }
        if upstream.scheme() == "http"
            && !options.insecure_http_key
            && !crate::net::is_loopback(&upstream)
        {
            return Err(CassetteError::Setup(format!(
                "the key is only forwarded over https (or to a loopback address), got http://{}; use an https endpoint, or --insecure-http-key (RecordOptions::with_insecure_http_key) to send it in clear text anyway",
                upstream.host_str().unwrap_or("?")
            )));
        }
        if upstream.query().is_some()
            || !upstream.username().is_empty()
            || upstream.password().is_some()
        {
            return Err(CassetteError::Setup(
                "the upstream URL must have no query and no user name or password".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CassetteError::Setup(format!("cannot build the HTTP client: {e}")))?;
        Ok(Recorder {
            upstream,
            client,
            path,
            scrubber: options.scrubber(),
            slots: Mutex::new(Vec::new()),
            written: AtomicBool::new(false),
        })
    }

    fn target(&self, request: &RecordedRequest) -> String {
        let base = self.upstream.as_str().trim_end_matches('/');
        if request.query.is_empty() {
            format!("{base}{}", request.path)
        } else {
            format!("{base}{}?{}", request.path, request.query)
        }
    }

    /// Forwards `request` upstream and answers with what comes back,
    /// streamed as it arrives. Unreachable upstreams get a 502 in the
    /// service's error shape, not recorded.
    pub(crate) async fn forward(self: &Arc<Self>, request: &RecordedRequest) -> Response {
        let slot = {
            let mut slots = lock(&self.slots);
            slots.push(None);
            slots.len() - 1
        };
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut outgoing = self.client.request(method, self.target(request));
        for (name, value) in &request.headers {
            if !NOT_FORWARDED.contains(&name.as_str()) {
                outgoing = outgoing.header(name, value);
            }
        }
        let sent = Instant::now();
        let upstream = match outgoing.body(request.body.clone()).send().await {
            Ok(response) => response,
            Err(e) => {
                let message = self.scrubber.scrub_message(&format!(
                    "the recorder could not reach the upstream endpoint: {e}"
                ));
                let body = wire::error_body(502, "RecorderUpstreamError", &message);
                let mut response = Response::new(Body::from(body.to_string()));
                *response.status_mut() = StatusCode::BAD_GATEWAY;
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                return response;
            }
        };
        let headers_at = Instant::now();
        let status = upstream.status();
        let headers: Vec<(String, String)> = upstream
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut response = Response::new(Body::empty());
        *response.status_mut() = status;
        for (name, value) in upstream.headers() {
            if !NOT_PASSED_BACK.contains(&name.as_str()) {
                response.headers_mut().append(name.clone(), value.clone());
            }
        }
        let tap = Tap {
            recorder: Arc::clone(self),
            slot,
            request: Request {
                method: request.method.clone(),
                path: request.path.clone(),
                query: request.query.clone(),
                headers: request.headers.clone(),
                body: request.body.clone(),
            },
            status: status.as_u16(),
            sse: cassette::is_event_stream(&headers),
            headers,
            latency: headers_at.duration_since(sent),
            last: headers_at,
            whole: Vec::new(),
            pending: Vec::new(),
            events: Vec::new(),
            done: false,
        };
        let upstream: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>> =
            Box::pin(upstream.bytes_stream());
        let stream = futures::stream::unfold(Some((upstream, tap)), |state| async move {
            let (mut upstream, mut tap) = state?;
            match upstream.next().await {
                Some(Ok(chunk)) => {
                    tap.take(&chunk);
                    Some((Ok::<Bytes, std::io::Error>(chunk), Some((upstream, tap))))
                }
                Some(Err(e)) => {
                    tap.finish(true);
                    Some((Err(std::io::Error::other(e)), None))
                }
                None => {
                    tap.finish(false);
                    None
                }
            }
        });
        *response.body_mut() = Body::from_stream(stream);
        response
    }

    fn fill(&self, slot: usize, interaction: Interaction) {
        if let Some(entry) = lock(&self.slots).get_mut(slot) {
            *entry = Some(interaction);
        }
    }

    /// Scrubs and writes the cassette, once; later calls do nothing and
    /// return `Ok(0)`. Returns how many interactions were written.
    pub(crate) fn write(&self) -> Result<usize, CassetteError> {
        if self.written.swap(true, Ordering::AcqRel) {
            return Ok(0);
        }
        let mut interactions: Vec<Interaction> =
            lock(&self.slots).iter().flatten().cloned().collect();
        let mut scrubber = self.scrubber.clone();
        scrubber.scrub_all(&mut interactions);
        cassette::save(&self.path, &interactions)?;
        Ok(interactions.len())
    }
}

/// Watches an answer go by and files it as an interaction when it ends
/// (or is dropped half-way: then it is marked `cut`).
struct Tap {
    recorder: Arc<Recorder>,
    slot: usize,
    request: Request,
    status: u16,
    headers: Vec<(String, String)>,
    sse: bool,
    latency: Duration,
    last: Instant,
    whole: Vec<u8>,
    pending: Vec<u8>,
    events: Vec<(Duration, Bytes)>,
    done: bool,
}

/// The end of the first complete event in `buf` (after its blank line).
fn event_end(buf: &[u8]) -> Option<usize> {
    let find = |needle: &[u8]| {
        buf.windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + needle.len())
    };
    [find(b"\n\n"), find(b"\r\n\r\n"), find(b"\r\r")]
        .into_iter()
        .flatten()
        .min()
}

impl Tap {
    fn take(&mut self, chunk: &[u8]) {
        if !self.sse {
            self.whole.extend_from_slice(chunk);
            return;
        }
        self.pending.extend_from_slice(chunk);
        let now = Instant::now();
        while let Some(end) = event_end(&self.pending) {
            let event: Vec<u8> = self.pending.drain(..end).collect();
            self.events
                .push((now.duration_since(self.last), Bytes::from(event)));
            self.last = now;
        }
    }

    fn finish(&mut self, cut: bool) {
        if self.done {
            return;
        }
        self.done = true;
        let body = if self.sse {
            let mut events = std::mem::take(&mut self.events);
            if !self.pending.is_empty() {
                let rest = std::mem::take(&mut self.pending);
                events.push((Instant::now().duration_since(self.last), Bytes::from(rest)));
            }
            AnswerBody::Events(events)
        } else {
            AnswerBody::Whole(Bytes::from(std::mem::take(&mut self.whole)))
        };
        let interaction = Interaction {
            request: self.request.clone(),
            answer: Answer {
                status: self.status,
                headers: std::mem::take(&mut self.headers),
                latency: self.latency,
                body,
                cut,
            },
        };
        self.recorder.fill(self.slot, interaction);
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        // The caller went away (or the server stopped) before the end.
        self.finish(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_forwarded_over_https_or_loopback_or_with_the_opt_in() {
        let new = |url: &str, options: RecordOptions| {
            Recorder::new(url, PathBuf::from("unused.json"), &options).map(|_| ())
        };
        let err = new(
            "http://gateway.example",
            RecordOptions::new().with_secret("sk-1"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("--insecure-http-key") && !err.contains("sk-1"),
            "{err}"
        );
        assert!(new("https://gateway.example", RecordOptions::new()).is_ok());
        assert!(new("http://127.0.0.1:9", RecordOptions::new()).is_ok());
        let opted_in = RecordOptions::new().with_insecure_http_key(true);
        assert!(new("http://gateway.example", opted_in).is_ok());
    }
}
