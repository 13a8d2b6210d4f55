//! The one in-memory harness: tracer and meter providers wired to in-memory
//! exporters. Flush, then read what was recorded; never sleep: `spans()`
//! and `metrics()` force-flush first.

use std::collections::BTreeMap;

use azure_ai_inference_otel::telemetry::TelemetryOptions;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::data::{
    AggregatedMetrics, HistogramDataPoint, MetricData, ResourceMetrics,
};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{
    IdGenerator, InMemorySpanExporter, SdkTracerProvider, SpanData, TracerProviderBuilder,
};
use std::sync::atomic::{AtomicU64, Ordering};

/// Providers wired to in-memory exporters.
pub struct Harness {
    pub tracer_provider: SdkTracerProvider,
    pub span_exporter: InMemorySpanExporter,
    pub meter_provider: SdkMeterProvider,
    pub metric_exporter: InMemoryMetricExporter,
}

impl Harness {
    /// Random span and trace ids, as in production.
    pub fn new() -> Self {
        Self::build(SdkTracerProvider::builder())
    }

    /// Sequential ids ([`SeqIds`]), so exported rows are reproducible.
    pub fn with_seq_ids() -> Self {
        Self::build(SdkTracerProvider::builder().with_id_generator(SeqIds::default()))
    }

    fn build(tracer: TracerProviderBuilder) -> Self {
        let span_exporter = InMemorySpanExporter::default();
        let tracer_provider = tracer.with_simple_exporter(span_exporter.clone()).build();
        let metric_exporter = InMemoryMetricExporter::default();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metric_exporter.clone()).build())
            .build();
        Harness {
            tracer_provider,
            span_exporter,
            meter_provider,
            metric_exporter,
        }
    }

    /// Options sending to these providers, with content recording as given.
    pub fn options(&self, record_content: bool) -> TelemetryOptions {
        TelemetryOptions::new()
            .with_tracer_provider(&self.tracer_provider)
            .with_meter_provider(&self.meter_provider)
            .with_content_recording(record_content)
    }

    pub fn spans(&self) -> Vec<SpanData> {
        self.tracer_provider.force_flush().expect("flush spans");
        self.span_exporter
            .get_finished_spans()
            .expect("finished spans")
    }

    pub fn metrics(&self) -> Vec<ResourceMetrics> {
        self.meter_provider.force_flush().expect("flush metrics");
        self.metric_exporter
            .get_finished_metrics()
            .expect("finished metrics")
    }

    /// The data points of the named f64 histogram in the latest collection.
    pub fn f64_points(&self, name: &str) -> Vec<HistogramDataPoint<f64>> {
        let all = self.metrics();
        let mut out = Vec::new();
        if let Some(last) = all.last() {
            for scope in last.scope_metrics() {
                for metric in scope.metrics().filter(|m| m.name() == name) {
                    if let AggregatedMetrics::F64(MetricData::Histogram(h)) = metric.data() {
                        out.extend(h.data_points().cloned());
                    }
                }
            }
        }
        out
    }

    /// The data points of the named u64 histogram in the latest collection.
    pub fn u64_points(&self, name: &str) -> Vec<HistogramDataPoint<u64>> {
        let all = self.metrics();
        let mut out = Vec::new();
        if let Some(last) = all.last() {
            for scope in last.scope_metrics() {
                for metric in scope.metrics().filter(|m| m.name() == name) {
                    if let AggregatedMetrics::U64(MetricData::Histogram(h)) = metric.data() {
                        out.extend(h.data_points().cloned());
                    }
                }
            }
        }
        out
    }

    /// (name, unit) of every metric in the latest collection.
    pub fn metric_units(&self) -> BTreeMap<String, String> {
        let all = self.metrics();
        let mut out = BTreeMap::new();
        if let Some(last) = all.last() {
            for scope in last.scope_metrics() {
                for metric in scope.metrics() {
                    out.insert(metric.name().to_owned(), metric.unit().to_owned());
                }
            }
        }
        out
    }
}

/// Sequential ids, so rows are reproducible.
#[derive(Debug, Default)]
pub struct SeqIds(AtomicU64);

impl IdGenerator for SeqIds {
    fn new_trace_id(&self) -> TraceId {
        TraceId::from(0xabc0_0000_0000_0000_0000_0000_0000_0000u128 + self.next() as u128)
    }

    fn new_span_id(&self) -> SpanId {
        SpanId::from(0x5000_0000_0000_0000u64 + self.next())
    }
}

impl SeqIds {
    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A span's attributes by key.
pub fn attrs(span: &SpanData) -> BTreeMap<String, Value> {
    kv_map(&span.attributes)
}

pub fn kv_map<'a>(kvs: impl IntoIterator<Item = &'a KeyValue>) -> BTreeMap<String, Value> {
    kvs.into_iter()
        .map(|kv| (kv.key.as_str().to_owned(), kv.value.clone()))
        .collect()
}

pub fn string_array(value: &Value) -> Vec<String> {
    match value {
        Value::Array(opentelemetry::Array::String(items)) => {
            items.iter().map(|s| s.as_str().to_owned()).collect()
        }
        other => panic!("expected a string array, got {other:?}"),
    }
}

/// Everything exported about the spans as one text: names, attributes,
/// events with their attributes, status. For "this text never appears" checks.
pub fn dump(spans: &[SpanData]) -> String {
    let mut out = String::new();
    for span in spans {
        out.push_str(&format!(
            "{} {:?} {:?}\n",
            span.name, span.attributes, span.status
        ));
        for event in span.events.iter() {
            out.push_str(&format!("  {} {:?}\n", event.name, event.attributes));
        }
    }
    out
}
