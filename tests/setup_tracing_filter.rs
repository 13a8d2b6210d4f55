//! What the `tracing` layer from `install_with_tracing` exports: the
//! application's spans at every level, and their events at INFO or more
//! severe; never the HTTP libraries' internal spans (h2 opens several per
//! request), OpenTelemetry's own diagnostics, or another crate that merely
//! shares a silenced crate's name prefix (`tower_http` is not `tower`).

use azure_ai_inference_otel::setup::{TelemetryGuard, TelemetryPipeline};
use opentelemetry::Value;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

/// Runs `work` under a subscriber holding only the pipeline's layer, then
/// returns the exported spans.
fn exported(
    configure: impl FnOnce(
        azure_ai_inference_otel::setup::PipelineBuilder,
    ) -> azure_ai_inference_otel::setup::PipelineBuilder,
    work: impl FnOnce(),
) -> Vec<SpanData> {
    let exporter = InMemorySpanExporter::default();
    let builder = TelemetryPipeline::builder()
        .with_global(false)
        .with_span_exporter(exporter.clone());
    let (guard, layer): (TelemetryGuard, _) =
        configure(builder).install_with_tracing().expect("installs");
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, work);
    guard.force_flush().expect("flush");
    let spans = exporter.get_finished_spans().expect("spans");
    guard.shutdown().expect("shutdown");
    spans
}

fn names(spans: &[SpanData]) -> Vec<String> {
    spans.iter().map(|s| s.name.to_string()).collect()
}

fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name} in {:?}", names(spans)))
}

fn event_names(span: &SpanData) -> Vec<String> {
    span.events.iter().map(|e| e.name.to_string()).collect()
}

#[test]
fn http_internals_are_dropped_application_spans_kept() {
    let spans = exported(
        |b| b,
        || {
            let _outer = tracing::debug_span!("app_work").entered();
            let _h2 = tracing::debug_span!(target: "h2::proto", "send_request").entered();
            let _hyper = tracing::trace_span!(target: "hyper_util::client", "connect").entered();
            let _inner = tracing::trace_span!(target: "my_service::db", "query").entered();
        },
    );
    let names = names(&spans);
    assert!(names.contains(&"app_work".to_owned()), "{names:?}");
    assert!(names.contains(&"query".to_owned()), "{names:?}");
    assert!(
        !names.iter().any(|n| n == "send_request" || n == "connect"),
        "{names:?}"
    );
}

#[test]
fn crates_sharing_a_silenced_prefix_are_kept() {
    let spans = exported(
        |b| b,
        || {
            let _request =
                tracing::debug_span!(target: "tower_http::trace::make_span", "request").entered();
            let _own = tracing::info_span!(target: "hyperdrive::jobs", "job").entered();
            let _tower = tracing::debug_span!(target: "tower::buffer", "buffered").entered();
        },
    );
    let request = span(&spans, "request");
    let job = span(&spans, "job");
    assert_eq!(job.parent_span_id, request.span_context.span_id());
    assert!(!names(&spans).contains(&"buffered".to_owned()));
}

#[test]
fn library_debug_and_trace_events_stay_in_by_default() {
    let prompt = "my secret prompt";
    let spans = exported(
        |b| b,
        || {
            let _work = tracing::info_span!("handle").entered();
            tracing::trace!(target: "axum::rejection", "invalid type: string \"{prompt}\"");
            tracing::debug!("cache miss for {prompt}");
            tracing::info!("answered");
            tracing::warn!("slow answer");
        },
    );
    let handle = span(&spans, "handle");
    assert_eq!(event_names(handle), ["answered", "slow answer"]);
    assert!(!format!("{:?}", handle.events).contains(prompt));
}

#[test]
fn the_event_level_can_be_lowered_in_code() {
    let spans = exported(
        |b| b.with_event_level(LevelFilter::DEBUG),
        || {
            let _work = tracing::info_span!("handle").entered();
            tracing::trace!("step");
            tracing::debug!("cache miss");
        },
    );
    assert_eq!(event_names(span(&spans, "handle")), ["cache miss"]);
    let spans = exported(
        |b| b.with_event_level(LevelFilter::OFF),
        || {
            let _work = tracing::info_span!("handle").entered();
            tracing::error!("failed");
        },
    );
    assert!(span(&spans, "handle").events.is_empty());
}

#[test]
fn opentelemetry_diagnostics_are_not_span_events() {
    use opentelemetry::metrics::MeterProvider as _;
    let spans = exported(
        |b| b,
        || {
            let _request = tracing::info_span!("request").entered();
            // What building a client does: the SDK's own diagnostics (at
            // DEBUG with `internal-logs`), and their INFO siblings.
            let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
            provider.meter("m").u64_counter("c").build().add(1, &[]);
            let _ = provider.shutdown();
            tracing::info!(name: "MeterProvider.NewMeterCreated", target: "opentelemetry-sdk", "created");
            tracing::info!(target: "opentelemetry_otlp::exporter", "exporter built");
            tracing::info!(target: "opentelemetry", "global provider set");
            tracing::info!("the service's own");
        },
    );
    assert_eq!(event_names(span(&spans, "request")), ["the service's own"]);
}

#[test]
fn bookkeeping_attributes_only_when_asked_for() {
    const BOOKKEEPING: [&str; 9] = [
        "target",
        "busy_ns",
        "idle_ns",
        "code.file.path",
        "code.module.name",
        "code.line.number",
        "thread.id",
        "thread.name",
        "level",
    ];
    let keys = |span: &SpanData| -> Vec<String> {
        span.attributes
            .iter()
            .map(|kv| kv.key.as_str().to_owned())
            .collect()
    };
    let work = || {
        let _work = tracing::info_span!("handle", user_id = 17).entered();
    };
    let spans = exported(|b| b, work);
    let handle = span(&spans, "handle");
    assert_eq!(keys(handle), ["user_id"]);
    assert_eq!(handle.attributes[0].value, Value::I64(17));

    let spans = exported(|b| b.with_tracing_bookkeeping(true), work);
    let keys = keys(span(&spans, "handle"));
    for key in [
        "target",
        "busy_ns",
        "idle_ns",
        "code.file.path",
        "thread.id",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
    }
    assert!(
        keys.iter()
            .all(|k| k == "user_id" || BOOKKEEPING.contains(&k.as_str()))
    );
}
