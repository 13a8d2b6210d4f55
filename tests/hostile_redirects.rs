//! Credentials and telemetry stay with their host: each exporter's backend
//! answers every request with a 307 to another loopback origin, which must
//! receive nothing (no key, no span, no row, no metric); the spans are
//! counted as not delivered. And a Braintrust API URL in clear text to a
//! host that is not loopback is refused when the exporter is built.

mod support;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustExporter, Parent,
};
use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use opentelemetry::KeyValue;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use support::loopback::LoopbackServer;

const KEY: &str = "sk-must-stay-home";

/// The other origin: counts what reaches it.
fn elsewhere() -> (LoopbackServer, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let app = Router::new().fallback(
        move |uri: Uri, headers: HeaderMap, body: axum::body::Bytes| {
            let log = Arc::clone(&log);
            async move {
                log.lock()
                    .unwrap()
                    .push(format!("{uri} {headers:?} {} bytes", body.len()));
                StatusCode::OK
            }
        },
    );
    (LoopbackServer::start("elsewhere", app), seen)
}

/// The backend: a 307 (method and body kept) to `target`, for every request.
fn redirector(target: String) -> LoopbackServer {
    let app = Router::new().fallback(move |uri: Uri| {
        let to = format!("{target}{}", uri.path());
        async move { (StatusCode::TEMPORARY_REDIRECT, [("location", to)]).into_response() }
    });
    LoopbackServer::start("redirector", app)
}

fn assert_nothing_arrived(seen: &Mutex<Vec<String>>, path: &str) {
    let seen = seen.lock().unwrap();
    assert!(
        seen.is_empty(),
        "{path}: the other origin received {seen:?}"
    );
}

fn spans_through(kind: ExporterKind) {
    let (other, seen) = elsewhere();
    let backend = redirector(other.url());
    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(kind)
        .with_braintrust_config(
            BraintrustConfig::new()
                .with_api_key(KEY)
                .with_api_url(backend.url())
                .with_parent(Parent::ProjectName("p".to_owned())),
        )
        .with_otlp_config(
            OtlpConfig::new()
                .with_endpoint(backend.url())
                .with_header("api-key", KEY),
        )
        .install()
        .expect("installs");
    let stats = guard.delivery_stats()[0].stats();
    let tracer = guard.tracer_provider().tracer("t");
    for _ in 0..3 {
        let mut span = tracer.start("chat m");
        span.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
        span.end();
    }
    let result = guard.shutdown();
    assert_nothing_arrived(&seen, &kind.to_string());
    let s = stats.snapshot();
    assert_eq!(
        (s.sent, s.lost()),
        (0, 3),
        "{kind}: counted, not lost silently: {s}"
    );
    assert!(result.is_err(), "{kind}: the guard reports the loss");
}

#[test]
fn otlp_spans_do_not_follow_a_cross_origin_redirect() {
    spans_through(ExporterKind::Otlp);
}

#[test]
fn braintrust_rows_do_not_follow_a_cross_origin_redirect() {
    spans_through(ExporterKind::Braintrust);
}

#[test]
fn braintrust_otlp_spans_do_not_follow_a_cross_origin_redirect() {
    spans_through(ExporterKind::BraintrustOtlp);
}

#[test]
fn otlp_metrics_do_not_follow_a_cross_origin_redirect() {
    let (other, seen) = elsewhere();
    let backend = redirector(other.url());
    let exporter = OtlpConfig::new()
        .with_endpoint(backend.url())
        .with_header("api-key", KEY)
        .build_metric_exporter()
        .expect("builds");
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter).build())
        .build();
    provider
        .meter("m")
        .u64_counter("requests")
        .build()
        .add(1, &[]);
    assert!(provider.force_flush().is_err(), "the 307 is a failure");
    assert_nothing_arrived(&seen, "metrics");
    let _ = provider.shutdown();
}

#[test]
fn a_clear_text_braintrust_url_to_another_host_is_refused() {
    let config = BraintrustConfig::new()
        .with_api_key(KEY)
        .with_api_url("http://braintrust.example")
        .with_parent(Parent::ProjectName("p".to_owned()));
    let error = BraintrustExporter::new(config.clone()).expect_err("refused");
    let text = error.to_string();
    assert!(
        text.contains("https") && text.contains("with_insecure_http"),
        "{text}"
    );
    assert!(!text.contains(KEY), "{text}");
    // The explicit opt-in builds it (nothing is sent here).
    assert!(BraintrustExporter::new(config.with_insecure_http(true)).is_ok());
}

#[test]
fn secrets_in_endpoint_urls_are_redacted_in_errors() {
    use azure_ai_inference_otel::client::Endpoint;
    let error = Endpoint::parse("https://h.example/chat/completions?api-key=SECRET-1")
        .expect_err("a pasted route and a query")
        .to_string();
    assert!(
        !error.contains("SECRET-1") && error.contains("h.example"),
        "{error}"
    );
    let error = OtlpConfig::new()
        .with_endpoint("ftp://user:SECRET-2@collector.example/v1?sig=SECRET-3")
        .build_span_exporter()
        .expect_err("not http")
        .to_string();
    assert!(
        !error.contains("SECRET-2")
            && !error.contains("SECRET-3")
            && error.contains("collector.example"),
        "{error}"
    );
}
