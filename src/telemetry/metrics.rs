//! The GenAI client metrics, built once per client.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, Meter};

use super::semconv;

/// The four GenAI client histograms with their units and bucket boundaries.
#[derive(Debug, Clone)]
pub(crate) struct Instruments {
    /// `gen_ai.client.operation.duration`, seconds.
    pub duration: Histogram<f64>,
    /// `gen_ai.client.token.usage`, tokens.
    pub tokens: Histogram<u64>,
    /// `gen_ai.client.operation.time_to_first_chunk`, seconds.
    pub time_to_first_chunk: Histogram<f64>,
    /// `gen_ai.client.operation.time_per_output_chunk`, seconds.
    pub time_per_output_chunk: Histogram<f64>,
}

impl Instruments {
    pub fn new(meter: &Meter) -> Self {
        let seconds = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_unit("s")
                .with_description(description)
                .with_boundaries(semconv::DURATION_BUCKETS.to_vec())
                .build()
        };
        Instruments {
            duration: seconds(
                semconv::METRIC_OPERATION_DURATION,
                "GenAI operation duration",
            ),
            tokens: meter
                .u64_histogram(semconv::METRIC_TOKEN_USAGE)
                .with_unit("{token}")
                .with_description("Number of input and output tokens used")
                .with_boundaries(semconv::TOKEN_BUCKETS.to_vec())
                .build(),
            time_to_first_chunk: seconds(
                semconv::METRIC_TIME_TO_FIRST_CHUNK,
                "Time from the request to the first streamed chunk",
            ),
            time_per_output_chunk: seconds(
                semconv::METRIC_TIME_PER_OUTPUT_CHUNK,
                "Time between consecutive streamed chunks after the first",
            ),
        }
    }
}

/// What one finished operation reports to the instruments.
#[derive(Debug)]
pub(crate) struct Measurement<'a> {
    /// Operation, provider, models and server: on every point.
    pub attributes: &'a mut Vec<KeyValue>,
    pub duration: f64,
    pub error_type: Option<std::borrow::Cow<'static, str>>,
    pub usage: Option<super::record::UsageRecord>,
    pub time_to_first_chunk: Option<f64>,
    pub chunk_gaps: &'a [f64],
}

impl Instruments {
    pub fn record(&self, m: Measurement<'_>) {
        let attrs = m.attributes;
        if let Some(ttfc) = m.time_to_first_chunk {
            self.time_to_first_chunk.record(ttfc, attrs);
        }
        for gap in m.chunk_gaps {
            self.time_per_output_chunk.record(*gap, attrs);
        }
        if let Some(usage) = m.usage {
            for spec in super::params::TOKEN_COUNTS {
                if let (Some(kind), Some(value)) = (spec.token_type, usage.get(spec.count)) {
                    attrs.push(KeyValue::new(semconv::GEN_AI_TOKEN_TYPE, kind));
                    self.tokens.record(value, attrs);
                    attrs.pop();
                }
            }
        }
        // Only the duration carries error.type: the other points measure what
        // was received, whatever happened after.
        if let Some(error_type) = m.error_type {
            attrs.push(KeyValue::new(semconv::ERROR_TYPE, error_type));
        }
        self.duration.record(m.duration, attrs);
    }
}
