//! No span lost under faults: every exporter path of the pipeline against a
//! fault-injecting loopback backend (seeded 30 % of 500/502/503/504/429 with
//! `Retry-After`, a window of refused connections, late answers). Each test
//! compares the exact set of ids received with the set of spans made; where
//! the memory budget is deliberately exceeded, made = received + counted drops.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use azure_ai_inference_otel::exporters::braintrust::{BraintrustConfig, Parent};
use azure_ai_inference_otel::exporters::delivery::{DeliveryConfig, RetryPolicy};
use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::setup::{
    ExporterKind, ShutdownError, TelemetryGuard, TelemetryPipeline,
};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use support::faulty_backend::{Faults, FaultyBackend};

/// The pipeline's defaults but quicker backoff, so tests stay short (the
/// time budget, what these tests are about, is the default 60 s).
fn delivery() -> DeliveryConfig {
    DeliveryConfig::new().with_retry_policy(
        RetryPolicy::default()
            .with_initial_delay(Duration::from_millis(20))
            .with_max_delay(Duration::from_millis(300)),
    )
}

fn install(
    kind: ExporterKind,
    backend: &FaultyBackend,
    delivery: DeliveryConfig,
) -> TelemetryGuard {
    TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(kind)
        .with_braintrust_config(
            BraintrustConfig::new()
                .with_api_key("sk-faulty-backend")
                .with_api_url(&backend.url)
                .with_parent(Parent::ProjectName("faults".to_owned())),
        )
        .with_otlp_config(OtlpConfig::new().with_endpoint(&backend.url))
        .with_delivery_config(delivery)
        .install()
        .expect("installs")
}

/// `n` chat-like spans as fast as possible; their span ids in hex.
fn burst(guard: &TelemetryGuard, n: usize) -> HashSet<String> {
    let tracer = guard.tracer_provider().tracer("burst");
    (0..n)
        .map(|i| {
            let mut span = tracer.start("chat gpt-4o-mini");
            span.set_attributes([
                KeyValue::new("gen_ai.operation.name", "chat"),
                KeyValue::new("gen_ai.system", "az.ai.inference"),
                KeyValue::new("gen_ai.request.model", "gpt-4o-mini"),
                KeyValue::new("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
                KeyValue::new("gen_ai.response.id", format!("chatcmpl-{i}")),
                KeyValue::new("gen_ai.usage.input_tokens", 42),
                KeyValue::new("gen_ai.usage.output_tokens", 7),
                KeyValue::new("server.address", "127.0.0.1"),
                KeyValue::new("server.port", 8080),
            ]);
            let id = span.span_context().span_id().to_string();
            span.end();
            id
        })
        .collect()
}

/// Makes `n` spans, shuts down, and checks that every one arrived once.
fn assert_all_delivered(kind: ExporterKind, faults: Faults, n: usize) -> FaultyBackend {
    let backend = FaultyBackend::start(faults);
    let guard = install(kind, &backend, delivery());
    let stats = guard.delivery_stats()[0].stats();
    let made = burst(&guard, n);
    guard.shutdown().expect("everything delivered");
    let (received, duplicates) = backend.ids();
    assert_eq!(duplicates, 0, "{kind}: no span twice");
    assert_eq!(received.len(), made.len(), "{kind}: {}", stats.snapshot());
    assert_eq!(received, made, "{kind}");
    let s = stats.snapshot();
    assert_eq!((s.sent, s.lost()), (n as u64, 0), "{kind}: {s}");
    backend
}

fn transient_faults(kind: ExporterKind, seed: u64) {
    let backend = assert_all_delivered(kind, Faults::transient(seed), 3000);
    let faults: usize = [500, 502, 503, 504, 429]
        .iter()
        .map(|s| backend.status_count(*s))
        .sum();
    assert!(faults > 0, "{kind}: the backend did misbehave");
}

#[test]
fn braintrust_loses_nothing_to_30_percent_transient_faults() {
    transient_faults(ExporterKind::Braintrust, 7);
}

#[test]
fn braintrust_otlp_loses_nothing_to_30_percent_transient_faults() {
    transient_faults(ExporterKind::BraintrustOtlp, 11);
}

#[test]
fn otlp_loses_nothing_to_30_percent_transient_faults() {
    transient_faults(ExporterKind::Otlp, 13);
}

fn refused_for_3_s(kind: ExporterKind) {
    let faults = Faults {
        refuse_for: Duration::from_secs(3),
        ..Faults::default()
    };
    assert_all_delivered(kind, faults, 2000);
}

#[test]
fn braintrust_loses_nothing_while_connections_are_refused_for_3_s() {
    refused_for_3_s(ExporterKind::Braintrust);
}

#[test]
fn braintrust_otlp_loses_nothing_while_connections_are_refused_for_3_s() {
    refused_for_3_s(ExporterKind::BraintrustOtlp);
}

#[test]
fn otlp_loses_nothing_while_connections_are_refused_for_3_s() {
    refused_for_3_s(ExporterKind::Otlp);
}

#[test]
fn late_answers_lose_nothing() {
    for kind in [ExporterKind::Braintrust, ExporterKind::Otlp] {
        let faults = Faults {
            delay: Duration::from_millis(200),
            ..Faults::transient(17)
        };
        assert_all_delivered(kind, faults, 2000);
    }
}

#[test]
fn past_the_memory_budget_spans_are_counted_never_silently_lost() {
    let backend = FaultyBackend::start(Faults {
        delay: Duration::from_millis(200),
        ..Faults::default()
    });
    let guard = install(
        ExporterKind::Otlp,
        &backend,
        delivery().with_memory_budget(256 * 1024),
    );
    let stats = guard.delivery_stats()[0].stats();
    let made = burst(&guard, 3000);
    let err = guard.shutdown().expect_err("some spans did not fit");
    let (received, duplicates) = backend.ids();
    let s = stats.snapshot();
    assert_eq!(duplicates, 0);
    assert!(s.dropped_budget > 0, "{s}");
    assert!(received.is_subset(&made));
    assert_eq!(
        made.len() as u64,
        received.len() as u64 + s.dropped_budget,
        "{s}"
    );
    assert_eq!(s.sent, received.len() as u64);
    assert!(s.peak_bytes <= 256 * 1024 + 8 * 1024, "{s:?}");
    match err {
        ShutdownError::Undelivered { spans, metrics } => {
            assert!(metrics.is_none());
            let text = spans.join(" ");
            assert!(
                text.contains(&format!("{} memory budget full", s.dropped_budget)),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
}
