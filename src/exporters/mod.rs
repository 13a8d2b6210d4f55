//! Span exporters: Braintrust (native REST and OTLP) and OTLP to any collector.
//!
//! - [`braintrust`]: spans as Braintrust log rows, over Braintrust's REST API
//!   ([`braintrust::BraintrustExporter`]) or OTLP
//!   ([`braintrust::BraintrustOtlpExporter`]), with one mapping
//!   ([`braintrust::span_to_row`]) behind both.
//! - [`otlp`]: OTLP to any collector, configured by the standard
//!   `OTEL_EXPORTER_OTLP_*` variables or in code.
//!
//! None of them needs the application's async runtime: they are safe under
//! the SDK's batch processor, whose export thread has no tokio reactor.

pub mod braintrust;
pub mod otlp;
