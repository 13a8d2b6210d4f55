//! Helpers shared by the integration tests, mounted one way: `mod support;`
//! in the test file, then `use support::<room>`. Each test binary uses a
//! subset, hence the `dead_code` allowance.
//!
//! | room | what |
//! |---|---|
//! | [`loopback`] | the one loopback-server skeleton (own thread and runtime, stops on drop), and a port nothing listens on |
//! | [`telemetry`] | the one in-memory span and metric harness ([`telemetry::Harness`]) |
//! | [`client`] | clients pointed at a `MockInferenceServer`, telemetry into a `Harness` |
//! | [`otlp_collector`] | a loopback OTLP/HTTP collector (traces and metrics) |
//! | [`otlp_receiver`] | a loopback OTLP receiver on Braintrust's path |
//! | [`braintrust_stand_in`] | a loopback Braintrust REST API checking the schema |
//! | [`attachment_store`] | Braintrust's attachment endpoints, in the stand-in and the OTLP receiver |
//! | [`schema`] | the Braintrust insert schema from `tests/data/` |
//! | [`semconv_v141`] | the newer names' content checked against the v1.41 JSON schemas; no deprecated event |
//! | [`genai_spans`] | spans shaped like the crate's, for the mapping tests |
//! | [`e2e`] | one pipeline into the stand-in and the collector at once |
//! | [`log_capture`] | a `tracing` layer keeping the log lines (name, target, message) |
//! | [`instrumented`] | spans and rows of instrumented clients compared with the crate's client's |
//! | [`responses`] | Responses API calls against the demo endpoint: the one span, its rows on both Braintrust paths |
#![allow(dead_code)]

pub mod attachment_store;
pub mod braintrust_stand_in;
pub mod client;
pub mod e2e;
pub mod faulty_backend;
pub mod genai_spans;
pub mod instrumented;
pub mod log_capture;
pub mod loopback;
pub mod otlp_collector;
pub mod otlp_receiver;
pub mod responses;
pub mod schema;
pub mod semconv_v141;
pub mod telemetry;
