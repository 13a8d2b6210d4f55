//! Delivery contained against broken dependencies: a panicking exporter
//! loses only its batch (counted, with the cause) and the path goes on;
//! "forever" settings (`Duration::MAX`) do not panic; a backend that
//! refuses connections from the start and comes back after 3 s while the
//! guard is already shutting down (defaults) loses nothing.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use azure_ai_inference_otel::exporters::braintrust::{BraintrustConfig, Parent};
use azure_ai_inference_otel::exporters::delivery::{DeliveryConfig, DeliveryProcessor};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use support::faulty_backend::{Faults, FaultyBackend};

/// Panics on its first batch, delivers the others.
#[derive(Debug, Default, Clone)]
struct PanicsOnce {
    calls: Arc<AtomicUsize>,
    delivered: Arc<AtomicUsize>,
}

impl SpanExporter for PanicsOnce {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("exporter bug on purpose");
        }
        self.delivered.fetch_add(batch.len(), Ordering::SeqCst);
        Ok(())
    }
}

fn spans(provider: &SdkTracerProvider, n: usize) {
    let tracer = provider.tracer("t");
    for _ in 0..n {
        tracer.start("chat m").end();
    }
}

#[test]
fn a_panicking_exporter_loses_its_batch_only_and_the_path_goes_on() {
    let exporter = PanicsOnce::default();
    let processor = DeliveryProcessor::for_exporter(
        exporter.clone(),
        DeliveryConfig::new().with_max_batch_spans(2),
        "panicky",
    );
    let stats = processor.stats();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build();
    spans(&provider, 2);
    let first = provider.force_flush();
    assert!(first.is_err(), "the lost batch is reported");
    spans(&provider, 4);
    // Within its own deadline, not the flush timeout: nothing is wedged.
    let started = Instant::now();
    provider.force_flush().expect("later batches are delivered");
    let waited = started.elapsed();
    let s = stats.snapshot();
    assert_eq!((s.panicked, s.sent, s.lost()), (2, 4, 2), "{s}");
    assert_eq!(exporter.delivered.load(Ordering::SeqCst), 4);
    assert!(s.to_string().contains("panic"), "{s}");
    assert!(
        s.last_failure
            .as_deref()
            .is_some_and(|f| f.contains("exporter bug on purpose")),
        "{s:?}"
    );
    // Shutdown still reports the loss, and does not wait for a wedged batch.
    let error = provider.shutdown().expect_err("the loss is reported");
    assert!(error.to_string().contains("lost to a panic"), "{error}");
    println!("flush after the panic took {waited:?}");
}

#[test]
fn forever_settings_do_not_panic() {
    let backend = FaultyBackend::start(Faults::default());
    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(
            azure_ai_inference_otel::exporters::otlp::OtlpConfig::new().with_endpoint(&backend.url),
        )
        .with_delivery_config(
            DeliveryConfig::new()
                .with_schedule_delay(Duration::MAX)
                .with_attempt_timeout(Duration::MAX)
                .with_flush_timeout(Duration::MAX),
        )
        .with_shutdown_timeout(Duration::MAX)
        .install()
        .expect("installs");
    let stats = guard.delivery_stats()[0].stats();
    spans(guard.tracer_provider(), 3);
    guard.tracer_provider().force_flush().expect("flushes");
    guard.shutdown().expect("shuts down");
    assert_eq!(stats.snapshot().sent, 3);
    assert_eq!(backend.ids().0.len(), 3);
}

#[test]
fn zero_schedule_delay_is_floored() {
    let floored = DeliveryConfig::new().with_schedule_delay(Duration::ZERO);
    assert!(
        format!("{floored:?}").contains("schedule_delay: 10ms"),
        "{floored:?}"
    );
}

/// The measured case of the issue: a burst first, the backend refusing
/// connections from the start for 3 s, then the guard's shutdown with
/// every default (5 s): each pending batch gets its last attempt before the
/// deadline, after the backend is back.
#[test]
fn a_backend_back_before_the_shutdown_deadline_gets_every_batch() {
    let backend = FaultyBackend::start(Faults {
        refuse_for: Duration::from_secs(3),
        ..Faults::default()
    });
    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Braintrust)
        .with_braintrust_config(
            BraintrustConfig::new()
                .with_api_key("sk-outage")
                .with_api_url(&backend.url)
                .with_parent(Parent::ProjectName("outage".to_owned())),
        )
        .install()
        .expect("installs");
    let stats = guard.delivery_stats()[0].stats();
    let tracer = guard.tracer_provider().tracer("burst");
    for i in 0..5000 {
        let mut span = tracer.start("chat gpt-4o-mini");
        span.set_attributes([
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.response.id", format!("chatcmpl-{i}")),
        ]);
        span.end();
    }
    let started = Instant::now();
    let result = guard.shutdown();
    let s = stats.snapshot();
    println!(
        "outage then shutdown: drained in {:?}: {s}",
        started.elapsed()
    );
    assert_eq!((s.sent, s.lost()), (5000, 0), "{s}");
    assert_eq!(backend.ids().0.len(), 5000);
    result.expect("nothing lost");
}
