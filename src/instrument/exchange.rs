//! One instrumented request/response exchange, whatever client sent it: the
//! request decoded with the crate's wire types, the span started through
//! the crate's recorder, and the answer observed on its way to the caller.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use opentelemetry::Context;
use reqwest::header::HeaderValue;

use super::route::{Route, openai_route, recognise};
use super::tee::{Observer, TeeBody};
use crate::client::chat;
use crate::client::embeddings;
use crate::client::propagation::span_headers;
use crate::client::transport::{classify_reqwest_error, from_json, request_id};
use crate::client::{DEFAULT_MAX_EVENT_BYTES, propagation::TraceHeaders};
use crate::models::{
    ChatCompletionsOptions, EmbeddingsOptions, ImageEmbeddingsOptions, ResponseInput,
    ResponsesOptions,
};
use crate::telemetry::{
    ErrorClass, Instrumentation, OperationSpan, TelemetryOptions, semconv, start_responses_span,
};

/// How many `(host, port)` pairs keep their resolved [`Instrumentation`]
/// (tracer, bound metric series); a service talking to more endpoints
/// resolves the others per call.
const CACHED_HOSTS: usize = 16;

/// What the layer and the middleware share: the telemetry options and the
/// [`Instrumentation`] of each endpoint they have seen. Cloning is an `Arc` bump.
#[derive(Clone)]
pub(crate) struct Instrumenter {
    inner: Arc<Inner>,
}

struct Inner {
    options: TelemetryOptions,
    hosts: Mutex<Vec<(String, u16, Instrumentation)>>,
}

impl Instrumenter {
    pub(crate) fn new(options: TelemetryOptions) -> Self {
        Instrumenter {
            inner: Arc::new(Inner {
                options,
                hosts: Mutex::new(Vec::new()),
            }),
        }
    }

    pub(crate) fn records_content(&self) -> bool {
        self.inner.options.content_recording()
    }

    fn instrumentation(&self, host: &str, port: u16) -> Instrumentation {
        let mut hosts = self
            .inner
            .hosts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, found)) = hosts.iter().find(|(h, p, _)| *p == port && h == host) {
            return found.clone();
        }
        let instrumentation = Instrumentation::new(&self.inner.options, host, port);
        if hosts.len() < CACHED_HOSTS {
            hosts.push((host.to_owned(), port, instrumentation.clone()));
        }
        instrumentation
    }

    /// Starts the span of `request` when it is a GenAI operation and adds
    /// its trace context headers (`traceparent`) to the request; `None`
    /// (and the request untouched) otherwise.
    ///
    /// The body is read where it already is (a request whose body is a
    /// stream is not decoded, and gets no span). A recognised route whose
    /// body is not the operation's JSON still gets a span, named by the
    /// operation alone, without request attributes: the answer (usually a
    /// 400) is recorded on it as for any call.
    pub(crate) fn begin(&self, request: &mut reqwest::Request) -> Option<Exchange> {
        let route = recognise(request.method(), request.url().path())?;
        let body = request.body()?.as_bytes()?;
        let url = request.url();
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or_default();
        let instrumentation = self.instrumentation(host, port);
        let parent = Context::current();
        let mut dimensions = None;
        let (span, streamed) = match route {
            Route::Chat => {
                let api_type =
                    openai_route(url.path()).then_some(semconv::OPENAI_API_TYPE_CHAT_COMPLETIONS);
                match from_json::<ChatCompletionsOptions>(body) {
                    Ok(mut options) => {
                        let streamed = options.stream == Some(true);
                        // The crate's client sends no `stream` on a whole answer.
                        options.stream = options.stream.filter(|stream| *stream);
                        let span = chat::start_span(&instrumentation, &options, api_type, &parent);
                        (span, streamed)
                    }
                    Err(_) => {
                        let empty = ChatCompletionsOptions::new(Vec::new());
                        let span = chat::start_span(&instrumentation, &empty, api_type, &parent);
                        (span, false)
                    }
                }
            }
            Route::Embeddings => {
                let options = from_json::<EmbeddingsOptions>(body).ok();
                dimensions = options.as_ref().and_then(|o| o.dimensions);
                let span = embeddings::start_span(&instrumentation, options.as_ref(), &parent);
                (span, false)
            }
            Route::Responses => match from_json::<ResponsesOptions>(body) {
                Ok(options) => {
                    let streamed = options.stream == Some(true);
                    (start_responses_span(&instrumentation, &options), streamed)
                }
                Err(_) => {
                    let empty = ResponsesOptions::new(ResponseInput::Items(Vec::new()));
                    (start_responses_span(&instrumentation, &empty), false)
                }
            },
            Route::ImageEmbeddings => {
                let options = from_json::<ImageEmbeddingsOptions>(body).ok();
                dimensions = options.as_ref().and_then(|o| o.dimensions);
                let span = embeddings::start_span(&instrumentation, options.as_ref(), &parent);
                (span, false)
            }
        };
        let headers = span_headers(&span);
        for (name, value) in &headers {
            request.headers_mut().insert(name, value.clone());
        }
        Some(Exchange {
            span,
            route,
            streamed,
            dimensions,
            headers,
        })
    }
}

impl fmt::Debug for Instrumenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instrumenter")
            .field("records_content", &self.records_content())
            .finish_non_exhaustive()
    }
}

/// A recognised request in flight: owns its span until the answer's body
/// ends (or fails, or is dropped). Dropped before an answer arrived (the
/// caller dropped the future), the span ends as `cancelled`.
pub(crate) struct Exchange {
    span: OperationSpan,
    route: Route,
    streamed: bool,
    /// The embeddings `dimensions` asked for.
    dimensions: Option<u32>,
    headers: TraceHeaders,
}

impl Exchange {
    /// The trace context headers added to the request, for a request sent
    /// again (rebuilt by a retry below the layer).
    pub(crate) fn headers(&self) -> &[(reqwest::header::HeaderName, HeaderValue)] {
        &self.headers
    }

    /// Hands the answer on with its body observed: bytes pass through
    /// unchanged and unbuffered, and the span ends when the body ends,
    /// fails or is dropped.
    pub(crate) fn respond(mut self, response: reqwest::Response) -> reqwest::Response {
        let id = request_id(response.headers());
        if let Some(id) = &id {
            self.span.record_request_id(id);
        }
        let observer = Observer::new(
            self.span,
            (self.route, self.dimensions),
            self.streamed,
            &response,
            id,
            DEFAULT_MAX_EVENT_BYTES,
        );
        let url = response.url().clone();
        let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
        // `reqwest::Response::url` is kept: the conversions carry it as an
        // extension only reqwest's response builder can set.
        parts
            .extensions
            .extend(url_extension(url).unwrap_or_default());
        let body = reqwest::Body::wrap(TeeBody::new(body, observer));
        reqwest::Response::from(http::Response::from_parts(parts, body))
    }

    /// Ends the span for a request that got no answer: the transport error
    /// `error` (a `reqwest::Error` somewhere in its chain is classified as
    /// the crate's client classifies it), else `_OTHER`.
    pub(crate) fn fail(self, error: Option<&reqwest::Error>) {
        match error {
            Some(e) => self.span.fail(&classify_reqwest_error(e)),
            None => self.span.fail(&NoAnswer),
        }
    }
}

/// The extensions that make `reqwest::Response::from` keep `url`.
fn url_extension(url: url::Url) -> Option<http::Extensions> {
    use reqwest::ResponseBuilderExt;
    http::Response::builder()
        .url(url)
        .body(())
        .ok()
        .map(|r| r.into_parts().0.extensions)
}

/// A request that failed below the instrumentation without an answer and
/// without a transport error it can classify (another layer's error).
struct NoAnswer;

impl ErrorClass for NoAnswer {
    fn error_type(&self) -> Cow<'static, str> {
        semconv::ERROR_OTHER.into()
    }

    fn description(&self) -> Cow<'static, str> {
        "the request failed without an answer".into()
    }
}
