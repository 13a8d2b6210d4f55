//! A backend that fails is visible in the log, once: one warning per
//! exporter path when its exports start failing (naming the path and the
//! cause), one when they recover, never one per retry. The delivery workers
//! log to the process-wide subscriber, so this binary holds one test.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use azure_ai_inference_otel::exporters::delivery::{DeliveryConfig, RetryPolicy};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use support::braintrust_stand_in::{Reply, StandIn};
use support::log_capture::LogCapture;
use tracing_subscriber::prelude::*;

/// Fails its first `failures` exports with "collector unavailable", then
/// accepts everything.
#[derive(Debug, Clone)]
struct FailingFirst {
    failures: usize,
    calls: Arc<AtomicUsize>,
}

impl SpanExporter for FailingFirst {
    async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
            Err(OTelSdkError::InternalFailure(
                "collector unavailable".into(),
            ))
        } else {
            Ok(())
        }
    }
}

#[test]
fn one_warning_when_exports_fail_and_one_when_they_recover_per_path() {
    let log = LogCapture::default();
    tracing_subscriber::registry()
        .with(log.clone())
        .try_init()
        .expect("the only subscriber of this binary");

    let stand_in = StandIn::start();
    stand_in.script([503, 503, 503].map(Reply::status));
    let custom = FailingFirst {
        failures: 3,
        calls: Arc::default(),
    };
    let fast = RetryPolicy::default()
        .with_max_retries(9)
        .with_initial_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(5));
    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Braintrust)
        .with_braintrust_config(stand_in.config().with_retry_policy(fast))
        .with_span_exporter(custom.clone())
        .with_delivery_config(DeliveryConfig::new().with_retry_policy(fast))
        .install()
        .expect("installs");
    let tracer = guard.tracer_provider().tracer("t");

    // Each round: backends failing, retried until they answer.
    for round in 0..2 {
        if round == 1 {
            stand_in.script([503, 503].map(Reply::status));
            custom.calls.store(1, Ordering::SeqCst); // two more failures
        }
        for i in 0..3 {
            tracer.in_span(format!("work {round}.{i}"), |_| {});
        }
        guard.force_flush().expect("delivered after retries");
    }
    guard.shutdown().expect("clean shutdown");

    let failing = log.named("Delivery.ExportsFailing");
    let recovered = log.named("Delivery.ExportsRecovered");
    let for_path = |lines: &[support::log_capture::Line], path: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.message.starts_with(&format!("{path}:")))
            .map(|l| l.message.clone())
            .collect()
    };
    for path in ["braintrust", "custom"] {
        let failed = for_path(&failing, path);
        let back = for_path(&recovered, path);
        assert_eq!(
            failed.len(),
            2,
            "one warning per failing spell: {failed:#?}"
        );
        assert_eq!(back.len(), 2, "one line per recovery: {back:#?}");
        assert!(back[0].contains("recovered after"), "{back:?}");
    }
    let cause = |path| for_path(&failing, path).join("\n");
    assert!(
        cause("braintrust").contains("503"),
        "{}",
        cause("braintrust")
    );
    assert!(
        cause("custom").contains("collector unavailable"),
        "{}",
        cause("custom")
    );
    assert!(
        failing
            .iter()
            .chain(&recovered)
            .all(|l| l.level == tracing::Level::WARN)
    );
}
