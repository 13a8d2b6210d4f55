//! Helpers shared by the integration tests (each test binary uses a subset).
#![allow(dead_code)]

pub mod braintrust_stand_in;
pub mod faulty_backend;
pub mod genai_spans;
pub mod otlp_receiver;
pub mod schema;
