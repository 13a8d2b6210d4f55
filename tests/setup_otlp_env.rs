//! The pipeline configured from the standard variables alone:
//! `OTEL_EXPORTER_OTLP_ENDPOINT` as a base (paths appended once),
//! `OTEL_EXPORTER_OTLP_HEADERS` merged with code headers,
//! `OTEL_SERVICE_NAME` beating `service.name` in `OTEL_RESOURCE_ATTRIBUTES`,
//! and `from_env` choosing `otlp` because an endpoint is set.
//!
//! One test in this file: it sets process environment variables.

mod support;
use support::otlp_collector;

use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::setup::{ExporterKind, PipelineBuilder};
use opentelemetry::KeyValue;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use otlp_collector::{OtlpCollector, attr};

#[test]
fn standard_variables_configure_the_pipeline() {
    let collector = OtlpCollector::start();
    // SAFETY: the only test in this binary; no other thread reads the environment yet.
    unsafe {
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("{}/", collector.endpoint()),
        );
        std::env::set_var("OTEL_EXPORTER_OTLP_HEADERS", "x-env=from%20env,x-both=env");
        std::env::set_var("OTEL_SERVICE_NAME", "svc-from-env");
        std::env::set_var(
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=svc-from-attributes,deployment.environment.name=test,team=a",
        );
    }

    let builder = PipelineBuilder::from_env().expect("valid environment");
    assert_eq!(builder.exporter_kinds(), [ExporterKind::Otlp]);
    let guard = builder
        .with_global(false)
        .with_resource_attribute(KeyValue::new("team", "b"))
        .with_otlp_config(
            OtlpConfig::new()
                .with_header("x-code", "from-code")
                .with_header("x-both", "code"),
        )
        .install()
        .expect("pipeline installs");

    guard
        .tracer_provider()
        .tracer("t")
        .in_span("env_span", |_| {});
    guard
        .meter_provider()
        .meter("m")
        .u64_counter("env_counter")
        .build()
        .add(1, &[]);
    guard.shutdown().expect("clean shutdown");

    let mut paths = collector.paths();
    paths.sort();
    paths.dedup();
    assert_eq!(paths, ["/v1/metrics", "/v1/traces"], "base + path, once");

    for request in collector.requests() {
        assert_eq!(request.header("x-env").as_deref(), Some("from env"));
        assert_eq!(request.header("x-code").as_deref(), Some("from-code"));
        // Documented limitation: opentelemetry-otlp applies the variable
        // after code headers, so on a name clash the variable's value is sent.
        assert_eq!(request.header("x-both").as_deref(), Some("env"));
    }

    let span = collector.span("env_span");
    assert_eq!(
        attr(&span.resource, "service.name").as_deref(),
        Some("svc-from-env")
    );
    assert_eq!(
        attr(&span.resource, "deployment.environment.name").as_deref(),
        Some("test")
    );
    assert_eq!(
        attr(&span.resource, "team").as_deref(),
        Some("b"),
        "code wins"
    );

    let metrics = collector.metrics();
    let (resource, _) = metrics
        .iter()
        .find(|(_, name)| name == "env_counter")
        .expect("counter exported");
    assert_eq!(
        attr(resource, "service.name").as_deref(),
        Some("svc-from-env")
    );
}
