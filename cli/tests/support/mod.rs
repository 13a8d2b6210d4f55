//! Helpers shared by the CLI's integration tests, mounted one way: `mod
//! support;` in the test file, then `use support::<room>`. [`cli`] is this
//! package's own room; the loopback stand-ins are the library's test rooms
//! (`../tests/support/`), mounted by path so there is one copy of each. Each
//! test binary uses a subset, hence the `dead_code` allowance.
//!
//! | room | what |
//! |---|---|
//! | [`cli`] | runs `azinfer` in a clean environment |
//! | [`loopback`] | the one loopback-server skeleton (own thread and runtime, stops on drop), and a port nothing listens on |
//! | [`otlp_collector`] | a loopback OTLP/HTTP collector (traces and metrics) |
//! | [`otlp_receiver`] | a loopback OTLP receiver on Braintrust's path |
//! | [`braintrust_stand_in`] | a loopback Braintrust REST API checking the schema |
//! | [`attachment_store`] | Braintrust's attachment endpoints, in the stand-in and the OTLP receiver |
//! | [`schema`] | the Braintrust insert schema from the library's `tests/data/` |
#![allow(dead_code)]

pub mod cli;

#[path = "../../../tests/support/attachment_store.rs"]
pub mod attachment_store;
#[path = "../../../tests/support/braintrust_stand_in.rs"]
pub mod braintrust_stand_in;
#[path = "../../../tests/support/loopback.rs"]
pub mod loopback;
#[path = "../../../tests/support/otlp_collector.rs"]
pub mod otlp_collector;
#[path = "../../../tests/support/otlp_receiver.rs"]
pub mod otlp_receiver;
#[path = "../../../tests/support/schema.rs"]
pub mod schema;
