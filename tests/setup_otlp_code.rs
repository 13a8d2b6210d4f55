//! OTLP configured from code only (no variable is set, so these tests can
//! run in parallel): a signal endpoint used as is next to a base endpoint,
//! headers from code, clear build errors, and export failures reported by
//! `shutdown()`.

mod support;
use support::otlp_collector;

use std::time::Duration;

use azure_ai_inference_otel::exporters::otlp::{OtlpBuildError, OtlpConfig, OtlpProtocol};
use azure_ai_inference_otel::setup::{ExporterKind, SetupError, ShutdownError, TelemetryPipeline};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use otlp_collector::OtlpCollector;

#[test]
fn code_endpoints_and_headers() {
    let collector = OtlpCollector::start();
    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(
            OtlpConfig::new()
                .with_endpoint(collector.endpoint())
                .with_traces_endpoint(format!("{}/tenant/a/traces", collector.endpoint()))
                .with_headers([("authorization", "Bearer t0ken"), ("x-tenant", "a")]),
        )
        .install()
        .expect("pipeline installs");
    guard
        .tracer_provider()
        .tracer("t")
        .in_span("code_span", |_| {});
    guard
        .meter_provider()
        .meter("m")
        .u64_counter("code_counter")
        .build()
        .add(1, &[]);
    guard.shutdown().expect("clean shutdown");

    let requests = collector.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert!(
            r.path == "/tenant/a/traces" || r.path == "/v1/metrics",
            "{}",
            r.path
        );
        assert_eq!(r.header("authorization").as_deref(), Some("Bearer t0ken"));
        assert_eq!(r.header("x-tenant").as_deref(), Some("a"));
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/x-protobuf")
        );
    }
    assert_eq!(collector.span("code_span").path, "/tenant/a/traces");
    assert!(
        collector
            .metrics()
            .iter()
            .any(|(_, name)| name == "code_counter")
    );
}

#[test]
fn build_errors_are_typed_and_say_what_to_fix() {
    let err = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(OtlpConfig::new().with_endpoint("collector:4318"))
        .install()
        .expect_err("no scheme");
    assert!(
        matches!(
            err,
            SetupError::Otlp(OtlpBuildError::InvalidEndpoint { .. })
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("collector:4318") && msg.contains("set in code"),
        "{msg}"
    );

    if !cfg!(feature = "grpc") {
        let err = TelemetryPipeline::builder()
            .with_global(false)
            .with_exporter(ExporterKind::Otlp)
            .with_otlp_config(OtlpConfig::new().with_protocol(OtlpProtocol::Grpc))
            .install()
            .expect_err("no grpc feature");
        assert!(err.to_string().contains("`grpc` feature"), "{err}");
    }
}

#[test]
fn export_failures_are_reported_by_shutdown() {
    // A port with nothing listening.
    let endpoint = format!("http://127.0.0.1:{}", support::loopback::closed_port());

    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(
            OtlpConfig::new()
                .with_endpoint(endpoint)
                .with_timeout(Duration::from_millis(300)),
        )
        .install()
        .expect("building does not connect");
    guard.tracer_provider().tracer("t").in_span("lost", |_| {});
    guard
        .meter_provider()
        .meter("m")
        .u64_counter("lost")
        .build()
        .add(1, &[]);
    // Connections are refused all along: the span's last attempt before
    // the deadline fails too, and shutdown says so.
    match guard.shutdown_with_timeout(Duration::from_millis(700)) {
        Err(ShutdownError::Undelivered { spans, metrics }) => {
            assert!(
                spans.len() == 1
                    && spans[0].starts_with("otlp: ")
                    && spans[0].contains("1 gave up after retries")
                    && spans[0].contains("no time left before the shutdown deadline")
                    && spans[0].contains("connection failed")
                    && metrics.is_some(),
                "{spans:?} {metrics:?}"
            );
        }
        other => panic!("expected the lost exports to be reported, got {other:?}"),
    }
}
