//! OTLP to Braintrust in a process whose `OTEL_EXPORTER_OTLP_*` variables
//! are set for another collector: the requests still carry exactly
//! Braintrust's headers (no collector credential, no collector header) and
//! go to Braintrust's endpoint, from a plain thread and from inside a
//! multi-thread Tokio runtime.
//!
//! One test in this file: it sets process environment variables.

mod support;

use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustOtlpExporter, Parent,
};
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use support::braintrust_stand_in::{API_KEY, PROJECT_NAME, fast_retries};
use support::otlp_receiver::{OtlpReceiver, Received};

fn exporter(url: &str) -> BraintrustOtlpExporter {
    BraintrustOtlpExporter::new(
        BraintrustConfig::new()
            .with_api_key(API_KEY)
            .with_api_url(url)
            .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned()))
            .with_retry_policy(fast_retries()),
    )
    .expect("builds")
}

/// Batch processor, on the calling (plain) thread.
fn from_a_plain_thread() -> Vec<Received> {
    let receiver = OtlpReceiver::start();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter(&receiver.url))
        .build();
    provider.tracer("app").in_span("plain thread", |_| {});
    provider.force_flush().expect("flush");
    provider.shutdown().expect("shutdown");
    receiver.requests()
}

/// Simple processor, built and used on a worker of a multi-thread runtime.
fn inside_a_runtime() -> Vec<Received> {
    let receiver = OtlpReceiver::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = receiver.url.clone();
    runtime.block_on(async {
        tokio::spawn(async move {
            let provider = SdkTracerProvider::builder()
                .with_simple_exporter(exporter(&url))
                .build();
            provider.tracer("app").in_span("inside tokio", |_| {});
            provider.shutdown().expect("shutdown");
        })
        .await
        .expect("task");
    });
    drop(runtime);
    receiver.requests()
}

fn assert_only_braintrust_headers(requests: &[Received], secrets: &[&str], foreign: &[&str]) {
    assert!(!requests.is_empty(), "nothing reached the receiver");
    let authorization = format!("Bearer {API_KEY}");
    let parent = format!("project_name:{PROJECT_NAME}");
    for request in requests {
        let headers = &request.headers;
        assert_eq!(request.path, "/otel/v1/traces");
        let values = |name: &str| -> Vec<&str> {
            headers
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        assert_eq!(
            values("authorization"),
            [authorization.as_str()],
            "{headers:?}"
        );
        assert_eq!(values("x-bt-parent"), [parent.as_str()], "{headers:?}");
        assert_eq!(values("content-type"), ["application/x-protobuf"]);
        for name in foreign {
            assert!(values(name).is_empty(), "{name} was sent: {headers:?}");
        }
        for (name, value) in headers {
            for secret in secrets {
                assert!(
                    !value.contains(secret),
                    "the collector credential went to Braintrust in {name}"
                );
            }
        }
    }
}

#[test]
fn variables_meant_for_a_collector_never_reach_braintrust() {
    // SAFETY: the only test in this binary, and each phase below sets the
    // variables before starting any thread (the previous phase's have ended).
    unsafe {
        // Nothing listens there: the endpoint set in code must win.
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9");
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://127.0.0.1:9/v1/traces",
        );
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer collector-secret,x-collector=1",
        );
    }
    let secrets = ["collector-secret"];
    let foreign = ["x-collector"];
    assert_only_braintrust_headers(&from_a_plain_thread(), &secrets, &foreign);
    assert_only_braintrust_headers(&inside_a_runtime(), &secrets, &foreign);

    // The signal variable, when set, is the one `opentelemetry_otlp` uses.
    // SAFETY: as above.
    unsafe {
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "x-other=2,authorization=Bearer traces-secret",
        );
    }
    let secrets = ["collector-secret", "traces-secret"];
    let foreign = ["x-collector", "x-other"];
    assert_only_braintrust_headers(&from_a_plain_thread(), &secrets, &foreign);
    assert_only_braintrust_headers(&inside_a_runtime(), &secrets, &foreign);
}
