//! The `tracing` layer from `install_with_tracing` exports the
//! application's spans at every level, but not the HTTP libraries'
//! internal spans (h2 opens several per request).

use azure_ai_inference_otel::setup::TelemetryPipeline;
use opentelemetry_sdk::trace::InMemorySpanExporter;
use tracing_subscriber::layer::SubscriberExt;

#[test]
fn http_internals_are_dropped_application_spans_kept() {
    let exporter = InMemorySpanExporter::default();
    let (guard, layer) = TelemetryPipeline::builder()
        .with_global(false)
        .with_span_exporter(exporter.clone())
        .install_with_tracing()
        .expect("installs");
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let _outer = tracing::debug_span!("app_work").entered();
        let _h2 = tracing::debug_span!(target: "h2::proto", "send_request").entered();
        let _hyper = tracing::trace_span!(target: "hyper_util::client", "connect").entered();
        let _inner = tracing::trace_span!(target: "my_service::db", "query").entered();
    });
    guard.force_flush().expect("flush");
    let names: Vec<String> = exporter
        .get_finished_spans()
        .expect("spans")
        .into_iter()
        .map(|s| s.name.into_owned())
        .collect();
    assert!(names.contains(&"app_work".to_owned()), "{names:?}");
    assert!(names.contains(&"query".to_owned()), "{names:?}");
    assert!(
        !names.iter().any(|n| n == "send_request" || n == "connect"),
        "{names:?}"
    );
    guard.shutdown().expect("shutdown");
}
