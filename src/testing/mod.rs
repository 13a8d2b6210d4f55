//! An in-process endpoint speaking the Azure AI model inference wire format.
//!
//! [`MockInferenceServer`] is a real HTTP server on `127.0.0.1` (loopback
//! only, random port) that answers the routes of the Azure AI model inference
//! REST API (`2024-05-01-preview`): `POST …/chat/completions` (JSON or
//! server-sent events), `POST …/embeddings`, `POST …/images/embeddings` and
//! `GET …/info`. It has two uses:
//!
//! * **Tests**: script exactly what it answers with [`Reply`]s (including
//!   errors, invalid bodies, delays, truncated or malformed streams and cut
//!   connections), then read back every [`RecordedRequest`].
//! * **Demo mode**: with nothing scripted it gives sensible canned answers,
//!   so the `azinfer` CLI and the quickstart run without a real endpoint.
//!
//! ```
//! use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
//!
//! // From synchronous code (or a CLI): the server gets its own thread.
//! let server = MockInferenceServer::start_background()?;
//! server.enqueue(Reply::chat_stream(["Hel", "lo"]));
//! let base_url = server.endpoint(); // http://127.0.0.1:PORT
//! # let _ = base_url;
//! // ... point a client at `base_url`, then inspect `server.requests()` ...
//! drop(server); // stops it; the port is closed
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Rooms, each depending only on those before it: `wire` (the service's JSON
//! shapes) and `request` ([`RecordedRequest`]); `reply` (the [`Reply`]
//! builder, with `reply/adapt` fitting a helper's body to the request and
//! `reply/encode` writing it as HTTP or SSE); `answers` (the seam: queued
//! replies, then a fallback source of answers); `demo` (that fallback's demo
//! endpoint); `cassette` (the recorded-traffic file), `scrub` (what a
//! recording replaces before writing), `record` (forwarding upstream and
//! keeping each pair) and `replay` (the `Answers` that plays a cassette);
//! `server` (the loopback HTTP server that records requests and asks
//! `answers`, or forwards them when recording).
//!
//! **Cassettes**: [`MockInferenceServer::record`] forwards to a real
//! endpoint and writes what it answered, scrubbed of keys and cookies, to a
//! JSON file; [`MockInferenceServer::replay`] answers from that file, so
//! tests replay real traffic without a key.

mod answers;
mod cassette;
mod demo;
mod record;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod replay;
mod reply;
mod request;
mod responses_wire;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod scrub;
mod server;
mod wire;

#[cfg(test)]
mod tests;

pub use cassette::CassetteError;
pub use record::RecordOptions;
pub use replay::ReplayOptions;
pub use reply::Reply;
pub use request::RecordedRequest;
pub use responses_wire::ResponseAnswer;
pub use server::MockInferenceServer;
