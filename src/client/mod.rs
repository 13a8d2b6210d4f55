//! The clients: chat completions, embeddings, image embeddings, Responses,
//! and the v1 model list.
//!
//! # Layout
//!
//! - [`Endpoint`] (`endpoint.rs`): the service URL, validated once; reads
//!   its [`EndpointKind`] (v1, deployment, Model Inference, other), builds
//!   `{endpoint}/{route}` with the kind's `api-version` (none on v1) and
//!   picks the Entra ID scope.
//! - [`Credential`] (`credential.rs`): an API key (sent as `api-key` and as
//!   `Authorization: Bearer`) or, with the `entra` feature, an
//!   `azure_core` token credential whose tokens are cached. Secrets never
//!   appear in `Debug` output or errors.
//! - [`EndpointEnv`] (`env.rs`): the endpoint, key and model from the
//!   environment, the crate's names before Microsoft's v1 samples' ones.
//! - [`ClientOptions`] (`options.rs`): API version, default model,
//!   `extra-parameters`, timeouts, user agent, a caller's own HTTP client.
//! - `transport.rs`: one `reqwest` client per client; adds the common and
//!   auth headers, retries transient failures ([`RetryPolicy`], `retry.rs`),
//!   turns non-success statuses into [`Error::Http`], error objects in
//!   success answers into [`Error::Service`] and transport failures into
//!   [`Error::Timeout`] / [`Error::Connection`]. It records no telemetry:
//!   the operations wrap its calls in spans and hear about each retry.
//! - `redirect.rs`: credentials never follow a redirect to another origin.
//! - `resend.rs`: a stream whose body fails before its first event is sent
//!   again, within the same retry budget.
//! - `tls.rs`: builds that `reqwest` client, with one lazily loaded
//!   certificate verifier per process instead of the system roots read at
//!   every build.
//! - `sse.rs`: incremental server-sent-events decoding into JSON chunks,
//!   telling a stream that ended with `data: [DONE]` from one that was cut.
//! - One file per operation on top of these: `chat.rs`
//!   ([`ChatCompletionsClient`]), `embeddings.rs` ([`EmbeddingsClient`],
//!   [`ImageEmbeddingsClient`]), `stream.rs` ([`StreamingChatCompletions`],
//!   which owns the span of a streamed call), `responses.rs`
//!   ([`ResponsesClient`], the v1 Responses API) and `responses_stream.rs`
//!   ([`ResponsesStream`]), and `models.rs` ([`ModelsClient`], the v1
//!   model list, which makes no span), all sharing `core.rs`.
//!
//! [`Error::Http`]: crate::Error::Http
//! [`Error::Timeout`]: crate::Error::Timeout
//! [`Error::Connection`]: crate::Error::Connection
//! [`Error::Service`]: crate::Error::Service

#[macro_use]
mod declare;

pub(crate) mod chat;
mod core;
mod credential;
pub(crate) mod embeddings;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod endpoint;
mod env;
mod models;
mod operation_route;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod options;
pub(crate) use operation_route::OperationRoute;
pub(crate) mod propagation;
mod redirect;
mod resend;
pub(crate) mod responses;
pub(crate) mod responses_stream;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod retry;
pub(crate) mod sse;
pub(crate) mod stream;
mod tls;
pub(crate) mod transport;

pub use chat::ChatCompletionsClient;
pub use embeddings::{EmbeddingsClient, ImageEmbeddingsClient};
pub use models::ModelsClient;
pub use responses::ResponsesClient;
pub use responses_stream::ResponsesStream;
pub use stream::StreamingChatCompletions;

pub use credential::Credential;
pub use endpoint::{Endpoint, EndpointKind};
pub use env::EndpointEnv;
/// The instrumentation (async-openai layer, reqwest middleware) bounds a
/// whole answer as the clients do.
#[cfg(any(feature = "async-openai", feature = "reqwest-middleware"))]
pub(crate) use options::DEFAULT_MAX_EVENT_BYTES;
pub use options::{ClientOptions, ExtraParameters};
pub use redirect::same_origin_redirects;
pub use retry::RetryPolicy;
