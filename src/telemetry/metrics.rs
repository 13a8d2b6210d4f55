//! The GenAI client metrics, built once per client.
//!
//! Recording a point with an attribute slice makes the SDK hash every
//! attribute to find its series: about 2,200 instructions per point, which
//! was most of a stream's per-chunk telemetry cost (one
//! `time_per_output_chunk` point per chunk) and about 10k instructions of a
//! whole call. So each client keeps its series bound
//! (`Histogram::bind`, the SDK's bound instruments): one [`BoundSet`] per
//! (operation, request model, response model), looked up with a few string
//! comparisons, each histogram bound on its first point (a bound series with
//! no point would be exported empty). At most [`MAX_BOUND_SETS`] sets are
//! kept per client; past that (many distinct models), points are recorded
//! with their attributes as before. `error.type` goes on the duration point
//! of a failed call only, which is recorded with its attributes.
//!
//! # What the bound instruments are relied on for, and rebinding
//!
//! Bound instruments are experimental in OpenTelemetry Rust (feature
//! `experimental_metrics_bound_instruments`), so the whole OpenTelemetry
//! family is pinned to the exact version this was written against
//! (`=0.33.1` in `Cargo.toml`, one version for every crate of the family):
//! a patch release may change what a bound handle does. What 0.33.1 does:
//! a bound point lands in the same series as an unbound point with the
//! same attributes; a handle bound while the meter's cardinality limit is
//! reached stays on the `otel.metric.overflow` series for as long as the
//! handle lives; and a series with a live handle is never evicted by delta
//! collection. Holding handles for a client's whole life would therefore
//! keep a model that first came while the limit was reached on the
//! overflow series for good, and keep idle models' series from ever being
//! freed. So the bound sets are a cache that starts over every
//! [`REBIND_AFTER`] measurements of the client: every handle is dropped,
//! idle series can be evicted (delta temporality), and the models still
//! in use are bound again, to their own series once there is room, as
//! unbound points would be. Rebinding costs a few binds per
//! [`REBIND_AFTER`] calls (a few instructions per call).

use std::sync::{Arc, Mutex, OnceLock};

use opentelemetry::metrics::{BoundHistogram, Histogram, Meter};
use opentelemetry::{KeyValue, StringValue};

use super::gaps::ChunkGaps;
use super::params::TOKEN_COUNTS;
use super::semconv;

/// The most attribute sets a client keeps bound (each holds its series
/// alive in the meter provider for the client's lifetime).
pub(crate) const MAX_BOUND_SETS: usize = 16;

/// Measurements of a client after which its bound sets are dropped and
/// bound again on their next use (see the [module docs](self)).
pub(crate) const REBIND_AFTER: u32 = 1024;

/// The four GenAI client histograms with their units and bucket boundaries,
/// and the series this client has bound.
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
    /// The provider (or system) attribute, on every point.
    system: KeyValue,
    /// `server.address` and, when not 443, `server.port`, on every point.
    server: Vec<KeyValue>,
    bound: Arc<Mutex<BoundSets>>,
}

/// The bound series of a client, and how many measurements they took
/// since they were (re)bound.
#[derive(Debug, Default)]
struct BoundSets {
    sets: Vec<Arc<BoundSet>>,
    measurements: u32,
}

impl Instruments {
    /// `system` and `server` are the attributes every point of this client
    /// carries besides the operation and the models.
    pub(crate) fn new(meter: &Meter, system: KeyValue, server: Vec<KeyValue>) -> Self {
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
            system,
            server,
            bound: Arc::default(),
        }
    }
}

/// What one finished operation reports to the instruments.
#[derive(Debug)]
pub(crate) struct Measurement<'a> {
    /// `gen_ai.operation.name`.
    pub operation: &'static str,
    pub request_model: Option<&'a StringValue>,
    pub response_model: Option<&'a StringValue>,
    pub duration: f64,
    pub error_type: Option<std::borrow::Cow<'static, str>>,
    pub usage: Option<super::record::UsageRecord>,
    pub time_to_first_chunk: Option<f64>,
    /// Gaps between chunks after the first, in seconds, but the zeros...
    pub chunk_gaps: &'a ChunkGaps,
    /// ... which are counted: `time_per_output_chunk` gets this many points
    /// of `0.0` besides `chunk_gaps` (a histogram's buckets, count, sum, min
    /// and max do not depend on the order of its points).
    pub zero_gaps: u64,
}

/// The series of one (operation, request model, response model), each
/// histogram bound on first use.
struct BoundSet {
    operation: &'static str,
    request_model: Option<StringValue>,
    response_model: Option<StringValue>,
    /// Operation, provider, models and server, in that order.
    attributes: Vec<KeyValue>,
    duration: OnceLock<BoundHistogram<f64>>,
    /// One per `TOKEN_COUNTS` row (used only for rows with a token type).
    tokens: [OnceLock<BoundHistogram<u64>>; TOKEN_COUNTS.len()],
    time_to_first_chunk: OnceLock<BoundHistogram<f64>>,
    time_per_output_chunk: OnceLock<BoundHistogram<f64>>,
}

impl std::fmt::Debug for BoundSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundSet")
            .field("attributes", &self.attributes)
            .finish_non_exhaustive()
    }
}

impl BoundSet {
    fn matches(&self, m: &Measurement<'_>) -> bool {
        self.operation == m.operation
            && self.request_model.as_ref() == m.request_model
            && self.response_model.as_ref() == m.response_model
    }
}

/// `histogram` bound to `attributes`, binding it on first use.
fn bound<'a>(
    lock: &'a OnceLock<BoundHistogram<f64>>,
    histogram: &Histogram<f64>,
    attributes: &[KeyValue],
) -> &'a BoundHistogram<f64> {
    lock.get_or_init(|| histogram.bind(attributes))
}

/// Where the points of one measurement go: bound series, or (past
/// [`MAX_BOUND_SETS`]) the histograms with these attributes.
enum Series {
    Bound(Arc<BoundSet>),
    Unbound(Vec<KeyValue>),
}

impl Instruments {
    fn attributes(&self, m: &Measurement<'_>) -> Vec<KeyValue> {
        let mut attrs = Vec::with_capacity(4 + self.server.len());
        attrs.push(KeyValue::new(semconv::GEN_AI_OPERATION_NAME, m.operation));
        attrs.push(self.system.clone());
        if let Some(model) = m.request_model {
            attrs.push(KeyValue::new(semconv::GEN_AI_REQUEST_MODEL, model.clone()));
        }
        if let Some(model) = m.response_model {
            attrs.push(KeyValue::new(semconv::GEN_AI_RESPONSE_MODEL, model.clone()));
        }
        attrs.extend(self.server.iter().cloned());
        attrs
    }

    fn series(&self, m: &Measurement<'_>) -> Series {
        // A poisoned lock only means another thread panicked mid-lookup:
        // the list itself is always consistent.
        let mut bound = self.bound.lock().unwrap_or_else(|e| e.into_inner());
        bound.measurements += 1;
        if bound.measurements > REBIND_AFTER {
            bound.measurements = 1;
            bound.sets.clear();
        }
        let sets = &mut bound.sets;
        if let Some(set) = sets.iter().find(|s| s.matches(m)) {
            return Series::Bound(set.clone());
        }
        let attributes = self.attributes(m);
        if sets.len() >= MAX_BOUND_SETS {
            return Series::Unbound(attributes);
        }
        let set = Arc::new(BoundSet {
            operation: m.operation,
            request_model: m.request_model.cloned(),
            response_model: m.response_model.cloned(),
            attributes,
            duration: OnceLock::new(),
            tokens: Default::default(),
            time_to_first_chunk: OnceLock::new(),
            time_per_output_chunk: OnceLock::new(),
        });
        sets.push(set.clone());
        Series::Bound(set)
    }

    pub(crate) fn record(&self, m: Measurement<'_>) {
        match self.series(&m) {
            Series::Bound(set) => self.record_bound(&set, m),
            Series::Unbound(attrs) => self.record_unbound(attrs, m),
        }
    }

    fn record_bound(&self, set: &BoundSet, m: Measurement<'_>) {
        let bind = |lock, histogram| bound(lock, histogram, &set.attributes);
        if let Some(ttfc) = m.time_to_first_chunk {
            bind(&set.time_to_first_chunk, &self.time_to_first_chunk).record(ttfc);
        }
        if !m.chunk_gaps.is_empty() || m.zero_gaps > 0 {
            let per_chunk = bind(&set.time_per_output_chunk, &self.time_per_output_chunk);
            m.chunk_gaps.for_each_point(|gap| per_chunk.record(gap));
            for _ in 0..m.zero_gaps {
                per_chunk.record(0.0);
            }
        }
        if let Some(usage) = m.usage {
            for (i, spec) in TOKEN_COUNTS.iter().enumerate() {
                if let (Some(kind), Some(value)) = (spec.token_type, usage.get(spec.count)) {
                    set.tokens[i]
                        .get_or_init(|| {
                            let mut attrs = set.attributes.clone();
                            attrs.push(KeyValue::new(semconv::GEN_AI_TOKEN_TYPE, kind));
                            self.tokens.bind(&attrs)
                        })
                        .record(value);
                }
            }
        }
        // Only the duration carries error.type: the other points measure what
        // was received, whatever happened after.
        match m.error_type {
            Some(error_type) => {
                let mut attrs = set.attributes.clone();
                attrs.push(KeyValue::new(semconv::ERROR_TYPE, error_type));
                self.duration.record(m.duration, &attrs);
            }
            None => bind(&set.duration, &self.duration).record(m.duration),
        }
    }

    fn record_unbound(&self, mut attrs: Vec<KeyValue>, m: Measurement<'_>) {
        if let Some(ttfc) = m.time_to_first_chunk {
            self.time_to_first_chunk.record(ttfc, &attrs);
        }
        m.chunk_gaps
            .for_each_point(|gap| self.time_per_output_chunk.record(gap, &attrs));
        for _ in 0..m.zero_gaps {
            self.time_per_output_chunk.record(0.0, &attrs);
        }
        if let Some(usage) = m.usage {
            for spec in TOKEN_COUNTS {
                if let (Some(kind), Some(value)) = (spec.token_type, usage.get(spec.count)) {
                    attrs.push(KeyValue::new(semconv::GEN_AI_TOKEN_TYPE, kind));
                    self.tokens.record(value, &attrs);
                    attrs.pop();
                }
            }
        }
        if let Some(error_type) = m.error_type {
            attrs.push(KeyValue::new(semconv::ERROR_TYPE, error_type));
        }
        self.duration.record(m.duration, &attrs);
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::metrics::MeterProvider;
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
    use opentelemetry_sdk::metrics::{
        InMemoryMetricExporter, InMemoryMetricExporterBuilder, Instrument, PeriodicReader,
        SdkMeterProvider, Stream, Temporality,
    };

    use super::*;
    use crate::telemetry::UsageRecord;

    static NO_GAPS: ChunkGaps = ChunkGaps::new();

    fn measurement<'a>(
        request: &'a StringValue,
        response: &'a StringValue,
        gaps: &'a ChunkGaps,
    ) -> Measurement<'a> {
        Measurement {
            operation: "chat",
            request_model: Some(request),
            response_model: Some(response),
            duration: 0.5,
            error_type: None,
            usage: Some(UsageRecord {
                input_tokens: Some(10),
                output_tokens: Some(3),
                // Part of the counts above: not histogram points.
                cache_read_input_tokens: Some(4),
                reasoning_output_tokens: Some(1),
            }),
            time_to_first_chunk: None,
            chunk_gaps: gaps,
            zero_gaps: 0,
        }
    }

    /// (metric name, attributes as `k=v`, count) of every histogram point.
    fn points(provider: &SdkMeterProvider, exporter: &InMemoryMetricExporter) -> Vec<String> {
        provider.force_flush().unwrap();
        let all = exporter.get_finished_metrics().unwrap();
        let mut out = Vec::new();
        for scope in all.last().unwrap().scope_metrics() {
            for metric in scope.metrics() {
                let mut push = |attrs: Vec<&KeyValue>, count: u64| {
                    let mut attrs: Vec<String> = attrs
                        .iter()
                        .map(|kv| format!("{}={}", kv.key, kv.value))
                        .collect();
                    attrs.sort();
                    out.push(format!("{} {} {count}", metric.name(), attrs.join(",")));
                };
                match metric.data() {
                    AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                        for p in h.data_points() {
                            push(p.attributes().collect(), p.count());
                        }
                    }
                    AggregatedMetrics::U64(MetricData::Histogram(h)) => {
                        for p in h.data_points() {
                            push(p.attributes().collect(), p.count());
                        }
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        out.sort();
        out
    }

    fn setup() -> (SdkMeterProvider, InMemoryMetricExporter, Instruments) {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        let instruments = Instruments::new(
            &provider.meter("test"),
            KeyValue::new("gen_ai.provider.name", "azure.ai.inference"),
            vec![KeyValue::new("server.address", "example.com")],
        );
        (provider, exporter, instruments)
    }

    #[test]
    fn bound_and_unbound_series_record_the_same_points() {
        let (provider, exporter, instruments) = setup();
        let (req, resp) = (StringValue::from("m"), StringValue::from("m-1"));
        let three_gaps: ChunkGaps = [0.1, 0.2, 0.3].into_iter().collect();
        // Twice through the same bound set, with chunk gaps (three, and two
        // zeros) the second time.
        instruments.record(measurement(&req, &resp, &NO_GAPS));
        let mut with_zeros = measurement(&req, &resp, &three_gaps);
        with_zeros.zero_gaps = 2;
        instruments.record(with_zeros);
        let bound = points(&provider, &exporter);
        let line = |name: &str, extra: Option<&str>, count: u32| {
            let mut attrs = vec![
                "gen_ai.operation.name=chat",
                "gen_ai.provider.name=azure.ai.inference",
                "gen_ai.request.model=m",
                "gen_ai.response.model=m-1",
                "server.address=example.com",
            ];
            attrs.extend(extra);
            attrs.sort();
            format!("{name} {} {count}", attrs.join(","))
        };
        assert_eq!(
            bound,
            vec![
                line("gen_ai.client.operation.duration", None, 2),
                line("gen_ai.client.operation.time_per_output_chunk", None, 5),
                line(
                    "gen_ai.client.token.usage",
                    Some("gen_ai.token.type=input"),
                    2
                ),
                line(
                    "gen_ai.client.token.usage",
                    Some("gen_ai.token.type=output"),
                    2
                ),
            ],
            "no empty time-to-first-chunk series, one series per attribute set"
        );

        // The same through the unbound path (the bound sets are full).
        let (provider, exporter, instruments) = setup();
        let names: Vec<StringValue> = (0..MAX_BOUND_SETS)
            .map(|i| StringValue::from(format!("other-{i}")))
            .collect();
        for name in &names {
            instruments.record(measurement(name, name, &NO_GAPS));
        }
        instruments.record(measurement(&req, &resp, &NO_GAPS));
        let mut with_zeros = measurement(&req, &resp, &three_gaps);
        with_zeros.zero_gaps = 2;
        instruments.record(with_zeros);
        let unbound: Vec<String> = points(&provider, &exporter)
            .into_iter()
            .filter(|p| p.contains("model=m,"))
            .collect();
        assert_eq!(unbound, bound);
    }

    #[test]
    fn only_the_duration_of_a_failure_carries_error_type() {
        let (provider, exporter, instruments) = setup();
        let (req, resp) = (StringValue::from("m"), StringValue::from("m-1"));
        instruments.record(measurement(&req, &resp, &NO_GAPS));
        let mut failed = measurement(&req, &resp, &NO_GAPS);
        failed.error_type = Some("timeout".into());
        failed.time_to_first_chunk = Some(0.05);
        instruments.record(failed);
        let all = points(&provider, &exporter);
        let with_error: Vec<&String> = all.iter().filter(|p| p.contains("error.type")).collect();
        assert_eq!(with_error.len(), 1, "{all:?}");
        assert!(with_error[0].starts_with("gen_ai.client.operation.duration "));
        assert!(with_error[0].contains("error.type=timeout"));
        assert!(all.iter().any(
            |p| p.starts_with("gen_ai.client.operation.time_to_first_chunk ") && p.ends_with(" 1")
        ));
    }

    /// The duration points of the last export: (request model, whether
    /// the point is the overflow series).
    fn last_durations(
        provider: &SdkMeterProvider,
        exporter: &InMemoryMetricExporter,
    ) -> Vec<(String, bool)> {
        provider.force_flush().unwrap();
        let all = exporter.get_finished_metrics().unwrap();
        let mut out = Vec::new();
        for scope in all.last().unwrap().scope_metrics() {
            for metric in scope.metrics() {
                if metric.name() != semconv::METRIC_OPERATION_DURATION {
                    continue;
                }
                let AggregatedMetrics::F64(MetricData::Histogram(h)) = metric.data() else {
                    panic!("{:?}", metric.data());
                };
                for p in h.data_points() {
                    let get = |key: &str| {
                        p.attributes()
                            .find(|kv| kv.key.as_str() == key)
                            .map(|kv| kv.value.to_string())
                    };
                    out.push((
                        get(semconv::GEN_AI_REQUEST_MODEL).unwrap_or_default(),
                        get("otel.metric.overflow").is_some(),
                    ));
                }
            }
        }
        out
    }

    /// The SDK binds a handle taken at the cardinality limit to the
    /// overflow series for the handle's life, and never evicts a series
    /// with a live handle: the client drops its handles every
    /// `REBIND_AFTER` measurements, so a model that came while the limit
    /// was reached gets its own series once delta collection freed room.
    #[test]
    fn a_model_bound_at_the_cardinality_limit_gets_its_series_after_rebinding() {
        let exporter = InMemoryMetricExporterBuilder::new()
            .with_temporality(Temporality::Delta)
            .build();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .with_view(|i: &Instrument| {
                (i.name() == semconv::METRIC_OPERATION_DURATION)
                    .then(|| Stream::builder().with_cardinality_limit(2).build().ok())
                    .flatten()
            })
            .build();
        let instruments = Instruments::new(
            &provider.meter("test"),
            KeyValue::new("gen_ai.provider.name", "azure.ai.inference"),
            vec![],
        );
        let others: Vec<StringValue> = (0..4)
            .map(|i| StringValue::from(format!("other-{i}")))
            .collect();
        for other in &others {
            instruments.record(measurement(other, other, &NO_GAPS));
        }
        let m = StringValue::from("m");
        instruments.record(measurement(&m, &m, &NO_GAPS));
        let mut taken = others.len() as u32 + 1;
        let first = last_durations(&provider, &exporter);
        assert!(
            first.iter().any(|(_, overflow)| *overflow)
                && !first.iter().any(|(model, _)| model == "m"),
            "the set-up reaches the limit before `m`: {first:?}"
        );

        // Only `m` from now on. Past `REBIND_AFTER`, every handle is
        // dropped (`m` binds again, still at the limit: the other series
        // are not evicted yet); two collections evict the idle series.
        while taken <= REBIND_AFTER {
            instruments.record(measurement(&m, &m, &NO_GAPS));
            taken += 1;
        }
        last_durations(&provider, &exporter);
        last_durations(&provider, &exporter);
        // The next rebinding finds room: `m` gets its own series.
        for _ in 0..REBIND_AFTER {
            instruments.record(measurement(&m, &m, &NO_GAPS));
        }
        let last = last_durations(&provider, &exporter);
        assert!(
            last.iter()
                .any(|(model, overflow)| model == "m" && !overflow),
            "{last:?}"
        );
    }
}
