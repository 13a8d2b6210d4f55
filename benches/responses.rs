//! The Responses API, whole and streamed, against the loopback server of
//! `benches/calls` (its `Answer::Response` and `Answer::ResponseStream`),
//! side by side in one run:
//!
//! - `floor`: raw `reqwest` + `serde_json`: the body read chunk by chunk,
//!   split into events at blank lines, each event's `data:` decoded into the
//!   crate's [`ResponseStreamEvent`] (what a hand-written client would cost
//!   at least);
//! - `crate`: [`ResponsesClient`] with no telemetry installed;
//! - `telemetry`: the crate with an SDK tracer provider (batch processor to
//!   an exporter that drops spans), an SDK meter provider and the W3C
//!   propagator installed globally.
//!
//! Figures: CPU of the calling thread (`getrusage`, current-thread runtime)
//! per event of a 1,000- and a 10,000-delta stream (cost linear in the
//! events: the two per-event figures agree), crate / floor, and telemetry −
//! crate per event; and per whole call.
//!
//! `BENCH_ONLY=telemetry:response BENCH_CALLS=N` runs N whole calls with
//! telemetry inside `callgrind_measured` and prints nothing else:
//! `valgrind --tool=callgrind --toggle-collect='*callgrind_measured*'` for
//! two N gives the instructions per call (the difference); the same with
//! `crate:response` gives the client without telemetry, so the telemetry's
//! share on the calling thread is the difference of the two.
//!
//! A benchmark, not a test: it prints figures and never fails on them.

#[path = "calls/cpu.rs"]
#[allow(dead_code)]
mod cpu;
#[path = "calls/server.rs"]
#[allow(dead_code)]
mod server;

use std::hint::black_box;
use std::time::{Duration, Instant};

use azure_ai_inference_otel::client::{ClientOptions, Credential, ResponsesClient};
use azure_ai_inference_otel::models::{ResponseStreamEvent, ResponsesOptions};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use futures::StreamExt;
use opentelemetry::trace::noop::NoopTextMapPropagator;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use server::{Answer, Server};

const API_KEY: &str = "bench-api-key-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Config {
    Floor,
    Crate,
    Telemetry,
}

const CONFIGS: [Config; 3] = [Config::Floor, Config::Crate, Config::Telemetry];

impl Config {
    fn name(self) -> &'static str {
        match self {
            Config::Floor => "floor",
            Config::Crate => "crate",
            Config::Telemetry => "telemetry",
        }
    }
}

const SCENARIOS: [(&str, Answer); 3] = [
    ("response", Answer::Response),
    ("stream1k", Answer::ResponseStream(1_000)),
    ("stream10k", Answer::ResponseStream(10_000)),
];

#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

struct Runner {
    config: Config,
    base: String,
    http: reqwest::Client,
    client: ResponsesClient,
    _tracer: Option<SdkTracerProvider>,
    _meter: Option<SdkMeterProvider>,
}

impl Runner {
    fn new(config: Config, server: &Server) -> Runner {
        let base = format!("http://{}", server.addr);
        let mut options = ClientOptions::new();
        let (mut tracer, mut meter) = (None, None);
        if config == Config::Telemetry {
            let t = SdkTracerProvider::builder()
                .with_batch_exporter(Discard)
                .build();
            let m = SdkMeterProvider::builder()
                .with_reader(PeriodicReader::builder(InMemoryMetricExporter::default()).build())
                .build();
            options = options.with_telemetry(
                TelemetryOptions::new()
                    .with_tracer_provider(&t)
                    .with_meter_provider(&m),
            );
            tracer = Some(t);
            meter = Some(m);
        }
        let client = ResponsesClient::new(
            base.clone(),
            Credential::api_key(API_KEY).expect("api key"),
            Some(options),
        )
        .expect("client");
        Runner {
            config,
            base,
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("reqwest"),
            client,
            _tracer: tracer,
            _meter: meter,
        }
    }

    fn enter(&self) {
        if self.config == Config::Telemetry {
            opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        } else {
            opentelemetry::global::set_text_map_propagator(NoopTextMapPropagator::new());
        }
    }

    /// One call; returns the events it received (1 for a whole answer).
    async fn run(&self, answer: Answer) -> usize {
        let request = ResponsesOptions::new("Count to ten thousand.").with_model(answer.model());
        match (self.config, answer) {
            (Config::Floor, Answer::Response) => {
                let body = serde_json::to_vec(&request).expect("request");
                let bytes = self.post(body).await.bytes().await.expect("body");
                let response: azure_ai_inference_otel::models::ModelResponse =
                    serde_json::from_slice(&bytes).expect("response");
                black_box(response);
                1
            }
            (Config::Floor, _) => {
                let mut request = request;
                request.stream = Some(true);
                let body = serde_json::to_vec(&request).expect("request");
                let mut stream = self.post(body).await.bytes_stream();
                let mut buffer: Vec<u8> = Vec::with_capacity(64 * 1024);
                let mut events = 0;
                while let Some(chunk) = stream.next().await {
                    buffer.extend_from_slice(&chunk.expect("chunk"));
                    let mut start = 0;
                    while let Some(end) = memchr::memmem::find(&buffer[start..], b"\n\n") {
                        let block = &buffer[start..start + end];
                        for line in block.split(|&b| b == b'\n') {
                            if let Some(data) = line.strip_prefix(b"data: ") {
                                let event: ResponseStreamEvent =
                                    serde_json::from_slice(data).expect("event");
                                black_box(&event);
                                events += 1;
                            }
                        }
                        start += end + 2;
                    }
                    buffer.drain(..start);
                }
                events
            }
            (_, Answer::Response) => {
                black_box(self.client.create(request).await.expect("call"));
                1
            }
            (_, _) => {
                let mut stream = self.client.create_streaming(request).await.expect("stream");
                let mut events = 0;
                while let Some(event) = stream.next().await {
                    black_box(event.expect("event"));
                    events += 1;
                }
                events
            }
        }
    }

    async fn post(&self, body: Vec<u8>) -> reqwest::Response {
        self.http
            .post(format!("{}/responses", self.base))
            .header("api-key", API_KEY)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send")
    }
}

/// Marks the measured region for callgrind's `--toggle-collect`.
#[inline(never)]
fn callgrind_measured(rt: &tokio::runtime::Runtime, runner: &Runner, answer: Answer, calls: usize) {
    rt.block_on(async {
        for _ in 0..calls {
            black_box(runner.run(answer).await);
        }
    });
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let answers: Vec<Answer> = SCENARIOS.iter().map(|(_, a)| *a).collect();
    let server = Server::start(&answers);
    let _guard = rt.enter();
    let runners: Vec<Runner> = CONFIGS.iter().map(|&c| Runner::new(c, &server)).collect();

    if let Ok(only) = std::env::var("BENCH_ONLY") {
        let (config, scenario) = only.split_once(':').expect("BENCH_ONLY=config:scenario");
        let calls = std::env::var("BENCH_CALLS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(100);
        let runner = runners
            .iter()
            .find(|r| r.config.name() == config)
            .expect("config");
        let answer = SCENARIOS
            .iter()
            .find(|(n, _)| *n == scenario)
            .expect("scenario")
            .1;
        runner.enter();
        // Warm-up outside the measured region.
        callgrind_measured_warm(&rt, runner, answer);
        callgrind_measured(&rt, runner, answer, calls);
        return;
    }

    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let rounds = 3;
    println!(
        "Responses API, calling-thread CPU (best of {rounds} rounds of {seconds:.1} s per cell)"
    );
    println!(
        "{:<10} {:>12} {:>12} {:>12}",
        "scenario", "floor", "crate", "telemetry"
    );
    for (name, answer) in SCENARIOS {
        let mut best = [f64::INFINITY; 3];
        for _ in 0..rounds {
            for (i, runner) in runners.iter().enumerate() {
                runner.enter();
                let warm = if matches!(answer, Answer::ResponseStream(10_000)) {
                    1
                } else {
                    10
                };
                rt.block_on(async {
                    for _ in 0..warm {
                        runner.run(answer).await;
                    }
                });
                let (t0, w0) = (cpu::thread_us(), Instant::now());
                let mut events = 0u64;
                let mut calls = 0u64;
                rt.block_on(async {
                    while calls == 0
                        || w0.elapsed() < Duration::from_secs_f64(seconds / rounds as f64)
                    {
                        events += runner.run(answer).await as u64;
                        calls += 1;
                    }
                });
                let us = (cpu::thread_us() - t0) as f64;
                // Per event for streams, per call for a whole answer.
                let per = if matches!(answer, Answer::Response) {
                    us / calls as f64
                } else {
                    us / events as f64
                };
                best[i] = best[i].min(per);
            }
        }
        let unit = if matches!(answer, Answer::Response) {
            "µs/call"
        } else {
            "µs/event"
        };
        println!(
            "{name:<10} {:>8.3} {unit:<3} {:>8.3} {:>8.3}   crate/floor {:.2}x, telemetry {:+.0} ns{}",
            best[0],
            best[1],
            best[2],
            best[1] / best[0],
            (best[2] - best[1]) * 1000.0,
            if matches!(answer, Answer::Response) {
                " per call"
            } else {
                " per event"
            },
        );
    }
}

#[inline(never)]
fn callgrind_measured_warm(rt: &tokio::runtime::Runtime, runner: &Runner, answer: Answer) {
    rt.block_on(async {
        for _ in 0..5 {
            black_box(runner.run(answer).await);
        }
    });
}
