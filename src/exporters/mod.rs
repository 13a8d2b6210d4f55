//! Span exporters: Braintrust (native REST and OTLP) and OTLP to any collector.
//!
//! - [`braintrust`]: spans as Braintrust log rows, over Braintrust's REST API
//!   ([`braintrust::BraintrustExporter`]) or OTLP
//!   ([`braintrust::BraintrustOtlpExporter`]), with one mapping
//!   (`braintrust::span_to_row`) behind both.
//! - [`otlp`]: OTLP to any collector, configured by the standard
//!   `OTEL_EXPORTER_OTLP_*` variables or in code.
//! - [`delivery`]: the queue, worker and retries every exporter path of the
//!   pipeline goes through (`delivery::DeliveryProcessor`), with its
//!   memory budget and statistics.
//!
//! None of them needs the application's async runtime: the delivery worker
//! brings its own.

pub mod braintrust;
pub mod delivery;
pub mod otlp;
