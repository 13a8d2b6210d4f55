//! Spans for the calls other clients make: an async-openai layer
//! ([`GenAiLayer`], feature `async-openai`) and a reqwest middleware
//! ([`GenAiMiddleware`], feature `reqwest-middleware`).
//!
//! A service that already talks to Azure (or any OpenAI-compatible
//! endpoint) with async-openai or its own reqwest code gets the same
//! `chat` / `embeddings` spans (chat completions, embeddings, the
//! Responses API), metrics and Braintrust rows as the crate's own clients
//! make, without switching clients. Both read the request's
//! JSON body and the answer's JSON or server-sent events with the crate's
//! wire types (`crate::models`) and its event decoder, and record through
//! the crate's one recorder (`crate::telemetry`): a count or attribute the
//! crate's client records, they record too.
//!
//! # What is recognised
//!
//! A `POST` whose path ends in `/chat/completions` (chat, plain or
//! streamed), `/responses` (the Responses API, plain or streamed: a `chat`
//! span with `openai.api.type` = `responses`), `/embeddings` or
//! `/images/embeddings` (embeddings), on any base: the v1 API (`…/openai/v1`), Azure OpenAI deployment routes
//! (`…/openai/deployments/{name}`), the legacy model inference routes
//! (`…/models`) and OpenAI-compatible bases in general. Anything else
//! (another route, a `GET`, a request whose body is a stream) passes
//! through untouched, with no span.
//!
//! A recognised route whose body is not the operation's JSON still goes out
//! unchanged and gets a span named by the operation alone (`chat`,
//! `embeddings`), without request attributes or content; the answer
//! (usually a 400) is recorded on it as for any call.
//!
//! # The answer
//!
//! The response body reaches the caller byte for byte and unbuffered: each
//! chunk is handed on as it arrives, and a copy goes to the span's
//! observer. The span ends when the body ends, fails or is dropped, with
//! the outcomes of the crate's client: a non-success status fails it with
//! that status (and the service's error code, read from the first 64 KiB of
//! the error body); an in-band `{"error": …}` answer or event with the
//! service's code; a body cut short as `stream_truncated`; an answer that
//! is not the expected JSON as `invalid_response`; a stream dropped before
//! every choice finished (a Responses stream: before its terminal event), or
//! a whole answer dropped unread, as `cancelled`; a `failed` response or a
//! Responses `error` event with the service's code.
//! A request that got no answer fails with the class of its transport
//! error (`connection`, `timeout`), or `_OTHER` when a layer below failed
//! it otherwise.
//!
//! Memory: a whole answer is kept until it is complete to be decoded, up to
//! the clients' default bound on one event (16 MiB, see
//! [`ClientOptions::with_max_event_bytes`](crate::client::ClientOptions::with_max_event_bytes));
//! a larger answer still reaches the caller whole, and its span ends as a
//! success without the answer's attributes. A stream keeps one
//! event at a time, within the same bound (a larger event fails the span
//! as `invalid_response`, and the bytes still pass).
//!
//! # Privacy and options
//!
//! [`TelemetryOptions`](crate::telemetry::TelemetryOptions) decide as for
//! the crate's clients: content recording is off unless turned on (or
//! `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true`), and with it off
//! nothing of the prompts, answers, tool names or arguments reaches a span,
//! an event or an exporter, on any path. The layer never reads or records
//! the request's headers (keys stay where they are); it only adds the
//! span's `traceparent`.
//!
//! The provider value is the options' too
//! ([`TelemetryOptions::with_provider`](crate::telemetry::TelemetryOptions::with_provider)),
//! resolved once per endpoint the layer sees, never per call.
//!
//! A client that retries above the layer makes one span per attempt.

mod exchange;
#[cfg(feature = "reqwest-middleware")]
mod middleware;
mod route;
mod tee;
#[cfg(feature = "async-openai")]
mod tower_layer;

#[cfg(feature = "reqwest-middleware")]
pub use middleware::GenAiMiddleware;
#[cfg(feature = "async-openai")]
pub use tower_layer::{GenAiFuture, GenAiLayer, GenAiService};
