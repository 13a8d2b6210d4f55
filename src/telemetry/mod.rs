//! The telemetry core: spans, events and metrics for GenAI operations.
pub mod semconv;
