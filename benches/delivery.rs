//! Delivery under load and faults, per exporter path (native Braintrust,
//! Braintrust OTLP, OTLP collector), with the one-call pipeline's defaults:
//!
//! - the 5000-call burst of issue 9: 5000 sequential chat calls through the
//!   crate's client on a current-thread runtime against the loopback demo
//!   endpoint, then the guard's shutdown; a loopback backend counts the
//!   distinct ids it accepted, per scenario (healthy; 30 % of answers 500,
//!   502, 503, 504 or 429 with `Retry-After: 1`; connections refused for the
//!   first 3 s, i.e. the burst first, the outage from the start, and the
//!   guard's shutdown with its defaults while the backend is still down
//!   (during shutdown every retry is capped by the time left, so each batch
//!   gets a last attempt once it is back); every answer 200 ms late);
//! - sustained delivery: 100 000 spans ended as fast as one thread can,
//!   delivered spans per second until shutdown returned, and the high-water
//!   mark of the queue's memory.
//!
//! Run with `cargo bench --bench delivery` (a few minutes); it prints a
//! table and never fails a build.

#[path = "../tests/support/faulty_backend.rs"]
mod faulty_backend;

use std::time::{Duration, Instant};

use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions, Credential};
use azure_ai_inference_otel::exporters::braintrust::{BraintrustConfig, Parent};
use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryGuard, TelemetryPipeline};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::MockInferenceServer;
use faulty_backend::{Faults, FaultyBackend};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};

const CALLS: usize = 5000;
const SUSTAINED_SPANS: usize = 100_000;
const KINDS: [ExporterKind; 3] = [
    ExporterKind::Braintrust,
    ExporterKind::BraintrustOtlp,
    ExporterKind::Otlp,
];

fn install(kind: ExporterKind, backend: &FaultyBackend) -> TelemetryGuard {
    TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(kind)
        .with_braintrust_config(
            BraintrustConfig::new()
                .with_api_key("sk-bench")
                .with_api_url(&backend.url)
                .with_parent(Parent::ProjectName("bench".to_owned())),
        )
        .with_otlp_config(OtlpConfig::new().with_endpoint(&backend.url))
        .install()
        .expect("installs")
}

/// The high-water mark of the path's queue, in bytes.
fn peak_bytes(guard: &TelemetryGuard) -> Option<usize> {
    guard
        .delivery_stats()
        .first()
        .map(|path| path.stats().snapshot().peak_bytes)
}

struct Burst {
    calls_per_s: f64,
    received: usize,
    shutdown: Duration,
    result: String,
}

fn burst(kind: ExporterKind, faults: Faults, server: &MockInferenceServer) -> Burst {
    let backend = FaultyBackend::start(faults);
    let guard = install(kind, &backend);
    let telemetry = TelemetryOptions::new()
        .with_tracer_provider(guard.tracer_provider())
        .with_meter_provider(guard.meter_provider());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    runtime.block_on(async {
        let client = ChatCompletionsClient::new(
            server.endpoint(),
            Credential::api_key("demo-key").expect("key"),
            Some(ClientOptions::new().with_telemetry(telemetry)),
        )
        .expect("client");
        for _ in 0..CALLS {
            let request = ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")])
                .with_model("gpt-4o-mini");
            let _ = client.complete(request).await;
        }
    });
    let calls_per_s = CALLS as f64 / started.elapsed().as_secs_f64();
    let shutting = Instant::now();
    let result = match guard.shutdown() {
        Ok(()) => "Ok".to_owned(),
        Err(e) => {
            let text = e.to_string();
            text.chars().take(110).collect()
        }
    };
    Burst {
        calls_per_s,
        received: backend.ids().0.len(),
        shutdown: shutting.elapsed(),
        result,
    }
}

fn sustained(kind: ExporterKind) -> (f64, usize, Option<usize>) {
    // The producer outpaces any backend: what arrives per second is the
    // path's delivery rate; the rest is dropped at the memory budget.
    let backend = FaultyBackend::start(Faults::default());
    let guard = install(kind, &backend);
    let tracer = guard.tracer_provider().tracer("sustained");
    let started = Instant::now();
    for i in 0..SUSTAINED_SPANS {
        let mut span = tracer.start("chat gpt-4o-mini");
        span.set_attributes([
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.request.model", "gpt-4o-mini"),
            KeyValue::new("gen_ai.response.id", format!("chatcmpl-{i}")),
            KeyValue::new("gen_ai.usage.input_tokens", 42),
            KeyValue::new("gen_ai.usage.output_tokens", 7),
        ]);
        span.end();
    }
    let peak = peak_bytes(&guard);
    let _ = guard.shutdown();
    let received = backend.ids().0.len();
    let rate = received as f64 / started.elapsed().as_secs_f64();
    (rate, received, peak)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let server = MockInferenceServer::start_background().expect("demo endpoint");
    let scenarios: [(&str, Faults); 4] = [
        ("healthy", Faults::default()),
        ("30 % 500/502/503/504/429", Faults::transient(42)),
        (
            "refused for 3 s",
            Faults {
                refuse_for: Duration::from_secs(3),
                ..Faults::default()
            },
        ),
        (
            "every answer 200 ms late",
            Faults {
                delay: Duration::from_millis(200),
                ..Faults::default()
            },
        ),
    ];
    println!("5000-call burst, pipeline defaults ({CALLS} spans made per row)");
    println!(
        "| path | scenario | lost | calls/s | shutdown | guard's result |\n|---|---|---|---|---|---|"
    );
    for kind in KINDS {
        for (name, faults) in &scenarios {
            let b = burst(kind, faults.clone(), &server);
            println!(
                "| {kind} | {name} | {} | {:.0} | {:.2} s | {} |",
                CALLS - b.received.min(CALLS),
                b.calls_per_s,
                b.shutdown.as_secs_f64(),
                b.result
            );
        }
    }
    println!("\nsustained delivery to a healthy backend ({SUSTAINED_SPANS} spans from one thread)");
    println!(
        "| path | delivered spans/s | delivered | not delivered | queue high-water mark |\n|---|---|---|---|---|"
    );
    for kind in KINDS {
        let (rate, received, peak) = sustained(kind);
        let peak = peak.map_or("n/a".to_owned(), |b| {
            format!("{:.1} MiB", b as f64 / 1048576.0)
        });
        println!(
            "| {kind} | {rate:.0} | {received} | {} | {peak} |",
            SUSTAINED_SPANS - received.min(SUSTAINED_SPANS)
        );
    }
}
