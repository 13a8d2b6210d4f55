//! The Responses API, whole and streamed, against the loopback server of
//! `benches/calls` (its `Answer::Response` and `Answer::ResponseStream`):
//!
//! - `floor`: raw `reqwest` + `serde_json`: the body read chunk by chunk,
//!   split into events at blank lines, each event's `data:` decoded into the
//!   crate's [`ResponseStreamEvent`] (what a hand-written client would cost
//!   at least);
//! - `crate`: [`ResponsesClient`] with no telemetry installed;
//! - `telemetry`: the same client with the one-call pipeline installed as a
//!   user does (`benches/common`'s `install_pipeline`: the crate's delivery
//!   processor, OTLP metrics and the W3C propagator, all global), exporting
//!   to the same loopback server.
//!
//! The pipeline sets globals, so each configuration runs in a process of
//! its own (`benches/common`'s table mode). Figures: CPU of the calling
//! thread (`getrusage`, current-thread runtime) per event of a 1,000- and
//! a 10,000-delta stream (cost linear in the events: the two per-event
//! figures agree), crate / floor, and telemetry − crate per event; and per
//! whole call.
//!
//! `cargo bench --bench responses`. Environment (`BENCH_SECONDS`,
//! `BENCH_ROUNDS`, `BENCH_ONLY=config:scenario`, `BENCH_CALLS`): as
//! `benches/common` describes. `BENCH_ONLY=telemetry:response BENCH_CALLS=N`
//! under `valgrind --tool=callgrind --toggle-collect='*callgrind_measured*'`
//! for two N gives the instructions per call (the difference); the same
//! with `crate:response` gives the client without telemetry, so the
//! telemetry's share on the calling thread is the difference of the two.
//!
//! A benchmark, not a test: it prints figures and never fails on them.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use azure_ai_inference_otel::client::{Credential, ResponsesClient};
use azure_ai_inference_otel::models::{ModelResponse, ResponseStreamEvent, ResponsesOptions};
use azure_ai_inference_otel::setup::TelemetryGuard;
use common::server::{Answer, Server};
use common::{API_KEY, Config};
use futures::StreamExt;

const SCENARIOS: [(&str, Answer); 3] = [
    ("response", Answer::Response),
    ("stream1k", Answer::ResponseStream(1_000)),
    ("stream10k", Answer::ResponseStream(10_000)),
];

/// One configuration, ready to call the server.
struct Runner {
    config: Config,
    base: String,
    http: reqwest::Client,
    client: ResponsesClient,
    /// The installed pipeline (`telemetry` only); dropping it shuts it down.
    guard: Option<TelemetryGuard>,
}

impl Runner {
    /// For `telemetry`, installs the pipeline first, as a user does (a
    /// client's metric instruments are created when it is built).
    fn new(config: Config, server: &Server) -> Runner {
        let base = format!("http://{}", server.addr);
        let guard = (config == Config::Telemetry).then(|| common::install_pipeline(server));
        let client = ResponsesClient::new(
            base.clone(),
            Credential::api_key(API_KEY).expect("api key"),
            None,
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
            guard,
        }
    }

    /// One call; returns the events it received (1 for a whole answer).
    async fn run(&self, answer: Answer) -> usize {
        let request = ResponsesOptions::new("Count to ten thousand.").with_model(answer.model());
        match (self.config, answer) {
            (Config::Floor, Answer::Response) => {
                let body = serde_json::to_vec(&request).expect("request");
                let bytes = self.post(body).await.bytes().await.expect("body");
                let response: ModelResponse = serde_json::from_slice(&bytes).expect("response");
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

    /// Waits until queued spans are exported, so their cost lands in the window.
    fn flush(&self) {
        common::flush(self.guard.as_ref());
    }
}

fn main() {
    let answers: Vec<Answer> = SCENARIOS.iter().map(|(_, a)| *a).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    if let Some(only) = common::Only::from_env() {
        let answer = SCENARIOS
            .iter()
            .find(|(n, _)| *n == only.scenario)
            .map(|(_, a)| *a)
            .expect("scenario: response, stream1k or stream10k");
        let server = Server::start(&answers);
        let runner = Runner::new(Config::from_name(&only.config), &server);
        // Warm-up outside the measured region.
        rt.block_on(async {
            for _ in 0..5 {
                runner.run(answer).await;
            }
        });
        runner.flush();
        let n = common::callgrind_measured(&rt, only.calls, async || runner.run(answer).await);
        runner.flush();
        println!("{}: {} calls, {n} events", only.cell, only.calls);
        return;
    }

    // One configuration's process of a round: every scenario, one line each.
    if let Some(config) = common::child_config() {
        let server = Server::start(&answers);
        let runner = Runner::new(Config::from_name(&config), &server);
        common::run_scenarios(
            &rt,
            &server,
            &SCENARIOS,
            |answer| {
                if answer == Answer::ResponseStream(10_000) {
                    1
                } else {
                    10
                }
            },
            async |answer| runner.run(answer).await,
            || runner.flush(),
        );
        return;
    }

    let configs = common::CONFIGS.map(Config::name);
    let results = common::run_rounds(&configs);
    println!("Responses API, calling-thread CPU (best round per cell)");
    println!(
        "{:<10} {:>12} {:>12} {:>12}",
        "scenario", "floor", "crate", "telemetry"
    );
    for (name, answer) in SCENARIOS {
        // Per event for streams, per call for a whole answer.
        let per = |config: Config| {
            let f = common::cell(&results, config.name(), name);
            if answer == Answer::Response {
                f.us_per_call()
            } else {
                f.thread_us as f64 / f.chunks.max(1) as f64
            }
        };
        let [floor, krate, telemetry] = common::CONFIGS.map(per);
        let (unit, of) = if answer == Answer::Response {
            ("µs/call", "call")
        } else {
            ("µs/event", "event")
        };
        println!(
            "{name:<10} {floor:>8.3} {unit:<3} {krate:>8.3} {telemetry:>8.3}   crate/floor {:.2}x, telemetry {:+.0} ns per {of}",
            krate / floor,
            (telemetry - krate) * 1000.0,
        );
    }
}
