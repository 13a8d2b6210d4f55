//! The exporters on their own (`OtlpConfig::new().build_span_exporter()` /
//! `.build_metric_exporter()` into plain SDK providers), configured by the
//! signal-specific variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` and
//! `_METRICS_ENDPOINT` used as is and beating the generic endpoint, and
//! `OTEL_EXPORTER_OTLP_TRACES_HEADERS` replacing the generic headers for spans.
//!
//! One test in this file: it sets process environment variables.

mod support;
use support::otlp_collector;

use azure_ai_inference_otel::exporters::otlp::{ConfigSource, OtlpConfig};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use otlp_collector::OtlpCollector;

#[test]
fn signal_specific_variables_are_used_as_is() {
    let collector = OtlpCollector::start();
    let base = collector.endpoint();
    // SAFETY: the only test in this binary; no other thread reads the environment yet.
    unsafe {
        // Nothing listens there: using it would fail the exports.
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9");
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            format!("{base}/custom/spans"),
        );
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            format!("{base}/custom/metrics"),
        );
        std::env::set_var("OTEL_EXPORTER_OTLP_HEADERS", "x-generic=1");
        std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-signal=traces");
    }

    let target = OtlpConfig::new().resolve_traces().expect("resolves");
    assert_eq!(target.endpoint, format!("{base}/custom/spans"));
    assert_eq!(
        target.endpoint_source,
        ConfigSource::Variable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    );

    let tracer_provider = SdkTracerProvider::builder()
        .with_batch_exporter(
            OtlpConfig::new()
                .build_span_exporter()
                .expect("span exporter"),
        )
        .build();
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(
            PeriodicReader::builder(
                OtlpConfig::new()
                    .build_metric_exporter()
                    .expect("metric exporter"),
            )
            .build(),
        )
        .build();
    tracer_provider.tracer("t").in_span("signal_span", |_| {});
    meter_provider
        .meter("m")
        .u64_counter("c")
        .build()
        .add(1, &[]);
    tracer_provider.force_flush().expect("spans delivered");
    meter_provider.force_flush().expect("metrics delivered");
    tracer_provider.shutdown().expect("shutdown");
    meter_provider.shutdown().expect("shutdown");

    let requests = collector.requests();
    let traces: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/custom/spans")
        .collect();
    let metrics: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/custom/metrics")
        .collect();
    assert_eq!(
        traces.len() + metrics.len(),
        requests.len(),
        "{:?}",
        collector.paths()
    );
    assert!(!traces.is_empty() && !metrics.is_empty());
    for r in traces {
        assert_eq!(r.header("x-signal").as_deref(), Some("traces"));
        assert_eq!(
            r.header("x-generic"),
            None,
            "the signal variable replaces the generic one"
        );
    }
    for r in metrics {
        assert_eq!(r.header("x-generic").as_deref(), Some("1"));
        assert_eq!(r.header("x-signal"), None);
    }
    collector.span("signal_span");
}
