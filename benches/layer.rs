//! async-openai with and without the crate's layer (`GenAiLayer`), against
//! one loopback server, in one run:
//!
//! - `plain`: async-openai over its own `ReqwestService`, no telemetry;
//! - `layer`: the same with `GenAiLayer` under `with_http_service`, an SDK
//!   tracer provider (batch processor to an exporter that drops spans), an
//!   SDK meter provider and the W3C propagator installed.
//!
//! Scenarios: a whole chat call and a 10,000-chunk stream (about 1.8 MB),
//! from the server of `benches/calls`. Calls are sequential on a
//! current-thread runtime, so the calling thread does all of the client's
//! work; CPU is `getrusage` of that thread. It prints calls per second,
//! CPU per call, their ratios, and for the stream the CPU per chunk the
//! layer adds.
//!
//! `cargo bench --bench layer --features async-openai,testing`. Environment:
//! - `BENCH_SECONDS` (default 1.0) per cell, over `BENCH_ROUNDS` (default
//!   3) interleaved rounds; each cell keeps its best round.
//! - `BENCH_ONLY=config:scenario` with `BENCH_CALLS=N`: N calls of one cell
//!   inside `callgrind_measured`, nothing else printed, for
//!   `valgrind --tool=callgrind --toggle-collect='*callgrind_measured*'`
//!   run for two N: the difference per call is the instructions per call.
//!
//! A benchmark, not a test: it prints figures and never fails on them.

// Shared with benches/calls, which uses all of them.
#[allow(dead_code)]
#[path = "calls/cpu.rs"]
mod cpu;
#[allow(dead_code)]
#[path = "calls/server.rs"]
mod server;

use std::hint::black_box;
use std::time::{Duration, Instant};

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::CreateChatCompletionRequest;
use azure_ai_inference_otel::instrument::GenAiLayer;
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use futures::StreamExt;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use server::{Answer, Server};

const SCENARIOS: [(&str, Answer); 2] = [
    ("chat", Answer::Chat),
    ("stream10k", Answer::Stream(10_000)),
];
const CONFIGS: [&str; 2] = ["plain", "layer"];

/// Drops every span: the figures measure recording, not a collector.
#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

struct Runner {
    client: Client<OpenAIConfig>,
    tracer: Option<SdkTracerProvider>,
    _meter: Option<SdkMeterProvider>,
}

impl Runner {
    fn new(config: &str, server: &Server) -> Runner {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let openai = OpenAIConfig::new()
            .with_api_base(format!("http://{}/openai/v1", server.addr))
            .with_api_key("bench-key");
        if config == "plain" {
            let client = Client::with_config(openai).with_http_service(ReqwestService::new(http));
            return Runner {
                client,
                tracer: None,
                _meter: None,
            };
        }
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let tracer = SdkTracerProvider::builder()
            .with_batch_exporter(Discard)
            .build();
        let meter = SdkMeterProvider::builder()
            .with_reader(
                PeriodicReader::builder(InMemoryMetricExporter::default())
                    .with_interval(Duration::from_secs(60))
                    .build(),
            )
            .build();
        let options = TelemetryOptions::new()
            .with_tracer_provider(&tracer)
            .with_meter_provider(&meter);
        let service = tower::Layer::layer(&GenAiLayer::new(options), ReqwestService::new(http));
        Runner {
            client: Client::with_config(openai).with_http_service(service),
            tracer: Some(tracer),
            _meter: Some(meter),
        }
    }

    /// One call; returns the chunks read.
    async fn run(&self, answer: Answer) -> usize {
        let request = request(answer);
        match answer {
            Answer::Chat => {
                let r = self.client.chat().create(request).await.expect("chat");
                black_box(r);
                1
            }
            _ => {
                let mut stream = self
                    .client
                    .chat()
                    .create_stream(request)
                    .await
                    .expect("stream");
                let mut n = 0;
                while let Some(chunk) = stream.next().await {
                    black_box(chunk.expect("chunk"));
                    n += 1;
                }
                n
            }
        }
    }

    fn flush(&self) {
        if let Some(tracer) = &self.tracer {
            let _ = tracer.force_flush();
        }
    }
}

fn request(answer: Answer) -> CreateChatCompletionRequest {
    serde_json::from_value(serde_json::json!({
        "model": answer.model(),
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}
        ],
        "max_tokens": 256,
        "temperature": 0.2
    }))
    .expect("a request")
}

/// The calls of one callgrind run; its name is what `--toggle-collect` matches.
#[inline(never)]
fn callgrind_measured(
    rt: &tokio::runtime::Runtime,
    runner: &Runner,
    answer: Answer,
    calls: u64,
) -> usize {
    rt.block_on(async {
        let mut n = 0;
        for _ in 0..calls {
            n += runner.run(answer).await;
        }
        n
    })
}

#[derive(Default, Clone, Copy)]
struct Figures {
    calls: u64,
    chunks: u64,
    wall: Duration,
    thread_us: u64,
}

fn measure(
    rt: &tokio::runtime::Runtime,
    runner: &Runner,
    answer: Answer,
    budget: Duration,
) -> Figures {
    let warm = if matches!(answer, Answer::Chat) {
        20
    } else {
        1
    };
    rt.block_on(async {
        for _ in 0..warm {
            runner.run(answer).await;
        }
    });
    runner.flush();
    let (t0, w0) = (cpu::thread_us(), Instant::now());
    let mut f = Figures::default();
    rt.block_on(async {
        while f.calls == 0 || w0.elapsed() < budget {
            f.chunks += runner.run(answer).await as u64;
            f.calls += 1;
        }
    });
    runner.flush();
    f.wall = w0.elapsed();
    f.thread_us = cpu::thread_us() - t0;
    f
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let answers: Vec<Answer> = SCENARIOS.iter().map(|(_, a)| *a).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server = Server::start(&answers);

    if let Ok(only) = std::env::var("BENCH_ONLY") {
        let calls: u64 = env_or("BENCH_CALLS", 10);
        let (config, name) = only.split_once(':').expect("BENCH_ONLY=config:scenario");
        let answer = SCENARIOS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
            .expect("scenario: chat or stream10k");
        let runner = Runner::new(config, &server);
        rt.block_on(runner.run(answer));
        let n = callgrind_measured(&rt, &runner, answer, calls);
        runner.flush();
        println!("{only}: {calls} calls, {n} chunks");
        return;
    }

    let budget = Duration::from_secs_f64(env_or("BENCH_SECONDS", 1.0));
    let rounds: u32 = env_or("BENCH_ROUNDS", 3u32).max(1);
    // Both runners exist from the start; the layer's installs the propagator.
    let runners: Vec<(&str, Runner)> = CONFIGS
        .iter()
        .map(|c| (*c, Runner::new(c, &server)))
        .collect();
    let mut best: Vec<(&str, &str, Figures)> = Vec::new();
    for _ in 0..rounds {
        for (name, answer) in SCENARIOS {
            for (config, runner) in &runners {
                let f = measure(&rt, runner, answer, budget);
                let per_call = |f: &Figures| f.thread_us as f64 / f.calls as f64;
                match best.iter_mut().find(|(c, n, _)| c == config && *n == name) {
                    Some((_, _, b)) if per_call(&f) < per_call(b) => *b = f,
                    Some(_) => {}
                    None => best.push((config, name, f)),
                }
            }
        }
    }
    println!("async-openai with and without GenAiLayer, best of {rounds} rounds of {budget:?}");
    println!(
        "{:<10} {:<7} {:>12} {:>16} {:>16}",
        "scenario", "config", "calls/s", "CPU/call (µs)", "CPU/chunk (ns)"
    );
    for (name, _) in SCENARIOS {
        let cell = |config: &str| {
            best.iter()
                .find(|(c, n, _)| *c == config && *n == name)
                .map(|(_, _, f)| *f)
                .expect("measured")
        };
        for config in CONFIGS {
            let f = cell(config);
            println!(
                "{:<10} {:<7} {:>12.0} {:>16.1} {:>16.1}",
                name,
                config,
                f.calls as f64 / f.wall.as_secs_f64(),
                f.thread_us as f64 / f.calls as f64,
                f.thread_us as f64 * 1000.0 / f.chunks.max(1) as f64,
            );
        }
        let (plain, layer) = (cell("plain"), cell("layer"));
        let rate = |f: &Figures| f.calls as f64 / f.wall.as_secs_f64();
        let cpu = |f: &Figures| f.thread_us as f64 / f.calls as f64;
        let chunks = plain.chunks as f64 / plain.calls as f64;
        println!(
            "{name}: layer/plain calls/s {:.3}x, CPU per call {:.3}x, +{:.1} ns per chunk",
            rate(&layer) / rate(&plain),
            cpu(&layer) / cpu(&plain),
            (cpu(&layer) - cpu(&plain)) * 1000.0 / chunks,
        );
    }
}
