//! Span exporters: Braintrust (native REST and OTLP) and OTLP to any collector.
//!
//! - [`braintrust`]: spans as Braintrust log rows, over Braintrust's REST API
//!   ([`braintrust::BraintrustExporter`]) or OTLP
//!   ([`braintrust::BraintrustOtlpExporter`]), with one mapping
//!   ([`braintrust::mapping`]) behind both.

pub mod braintrust;
