//! Span exporters: Braintrust (native REST and OTLP) and OTLP to any collector.

pub mod otlp;
