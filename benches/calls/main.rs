//! Whole calls against one loopback server, side by side in one run:
//!
//! - `floor`: raw `reqwest` + `serde_json` into the crate's model types (what
//!   a hand-written client would cost at least);
//! - `crate`: the crate's client with no telemetry installed;
//! - `telemetry`: the crate with the one-call pipeline exactly as a user
//!   installs it, `TelemetryPipeline::builder().with_exporter(ExporterKind::Otlp)
//!   .install()` (the crate's delivery processor with its byte budget, the
//!   OTLP metric reader, the W3C trace-context and baggage propagator, all
//!   global), exporting to the same loopback server, which answers OTLP
//!   requests with `200` and counts them.
//!
//! The pipeline sets process-wide globals, so each configuration runs in a
//! process of its own: the table mode starts this binary once per
//! configuration and round (`BENCH_CONFIG`), and the callgrind mode runs one
//! cell per process anyway.
//!
//! Scenarios: a whole chat call, a 100-chunk and a 10,000-chunk stream
//! (about 1.8 MB), one 10 MB event, and building a client (`http://` and
//! `https://` endpoints). Calls are sequential on a current-thread runtime,
//! so the calling thread does all of a client's work; CPU is `getrusage`.
//!
//! Run through `.ci/bench` (or `cargo bench --bench calls`). Environment:
//! - `BENCH_SECONDS`: time spent per cell (default 1.0), split over
//!   `BENCH_ROUNDS` rounds (default 3) that interleave the configurations
//!   (one process per configuration and round); each cell shows its best
//!   round.
//! - `BENCH_ONLY=config:scenario` with `BENCH_CALLS=N`: run N calls of one
//!   cell inside `callgrind_measured` and print nothing else; `.ci/bench
//!   --callgrind` runs that under `valgrind --tool=callgrind
//!   --toggle-collect=*callgrind_measured*` for two N and prints the
//!   instructions per call (the difference, so set-up and warm-up cancel).
//!
//! A benchmark, not a test: it prints figures and never fails on them.

mod cpu;
mod server;

use std::hint::black_box;
use std::time::{Duration, Instant};

use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions, Credential};
use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::models::{
    ChatCompletions, ChatCompletionsOptions, ChatRequestMessage, StreamingChatCompletionsUpdate,
};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryGuard, TelemetryPipeline};
use futures::StreamExt;
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

    fn from_name(name: &str) -> Config {
        *CONFIGS
            .iter()
            .find(|c| c.name() == name)
            .expect("config: floor, crate or telemetry")
    }
}

#[derive(Debug, Clone, Copy)]
enum Scenario {
    Call(Answer),
    /// Build a client for an `http://` (false) or `https://` (true) endpoint.
    Build {
        https: bool,
    },
}

const SCENARIOS: [(&str, Scenario); 6] = [
    ("chat", Scenario::Call(Answer::Chat)),
    ("stream100", Scenario::Call(Answer::Stream(100))),
    ("stream10k", Scenario::Call(Answer::Stream(10_000))),
    (
        "event10mb",
        Scenario::Call(Answer::BigEvent(10 * 1024 * 1024)),
    ),
    ("build-http", Scenario::Build { https: false }),
    ("build-https", Scenario::Build { https: true }),
];

fn title(name: &str) -> &'static str {
    match name {
        "chat" => "whole chat call",
        "stream100" => "100-chunk stream",
        "stream10k" => "10,000-chunk stream (1.8 MB)",
        "event10mb" => "one 10 MB event",
        "build-http" => "client build, http://",
        "build-https" => "client build, https://",
        _ => "?",
    }
}

/// One configuration, ready to call the server.
struct Runner {
    config: Config,
    base: String,
    http: reqwest::Client,
    client: ChatCompletionsClient,
    options: ClientOptions,
    /// The installed pipeline (`telemetry` only); dropping it shuts it down.
    guard: Option<TelemetryGuard>,
}

impl Runner {
    /// Builds the configuration's client; for `telemetry`, installs the
    /// pipeline first, as a user does (a client's metric instruments are
    /// created when it is built).
    fn new(config: Config, server: &Server) -> Runner {
        let base = format!("http://{}", server.addr);
        let guard = (config == Config::Telemetry).then(|| {
            TelemetryPipeline::builder()
                .with_exporter(ExporterKind::Otlp)
                .with_otlp_config(OtlpConfig::new().with_endpoint(base.clone()))
                .install()
                .expect("install the pipeline")
        });
        let options = ClientOptions::new();
        let client = ChatCompletionsClient::new(
            base.clone(),
            Credential::api_key(API_KEY).expect("api key"),
            Some(options.clone()),
        )
        .expect("client");
        Runner {
            config,
            http: floor_client(),
            base,
            client,
            options,
            guard,
        }
    }

    /// One unit of work; returns the chunks (or events) it received.
    async fn run(&self, scenario: Scenario) -> usize {
        match (scenario, self.config) {
            (Scenario::Build { https }, Config::Floor) => {
                black_box(floor_client());
                let _ = https;
                1
            }
            (Scenario::Build { https }, _) => {
                let endpoint = if https {
                    "https://bench.services.ai.azure.com/models".to_owned()
                } else {
                    self.base.clone()
                };
                let client = ChatCompletionsClient::new(
                    endpoint,
                    Credential::api_key(API_KEY).expect("api key"),
                    Some(self.options.clone()),
                )
                .expect("client");
                black_box(client);
                1
            }
            (Scenario::Call(answer), Config::Floor) => self.floor_call(answer).await,
            (Scenario::Call(answer), _) => self.crate_call(answer).await,
        }
    }

    async fn crate_call(&self, answer: Answer) -> usize {
        let options = request(answer);
        if answer == Answer::Chat {
            let done = self.client.complete(options).await.expect("chat call");
            black_box(done);
            return 1;
        }
        let mut stream = self
            .client
            .complete_streaming(options)
            .await
            .expect("stream");
        let mut n = 0;
        while let Some(update) = stream.next().await {
            black_box(update.expect("chunk"));
            n += 1;
        }
        n
    }

    async fn floor_call(&self, answer: Answer) -> usize {
        let body = serde_json::to_vec(&request(answer)).expect("request body");
        let response = self
            .http
            .post(format!(
                "{}/chat/completions?api-version=2024-05-01-preview",
                self.base
            ))
            .header("api-key", API_KEY)
            .header("content-type", "application/json")
            .header(
                "accept",
                if answer == Answer::Chat {
                    "application/json"
                } else {
                    "text/event-stream"
                },
            )
            .body(body)
            .send()
            .await
            .expect("floor request");
        assert!(response.status().is_success());
        if answer == Answer::Chat {
            let bytes = response.bytes().await.expect("floor body");
            black_box(serde_json::from_slice::<ChatCompletions>(&bytes).expect("floor JSON"));
            return 1;
        }
        // The least a correct SSE reader does: split lines (linearly, with a
        // cursor), decode each `data:` line, stop at `[DONE]`.
        let mut body = response.bytes_stream();
        let mut buf: Vec<u8> = Vec::new();
        let mut start = 0;
        let mut n = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.expect("floor chunk");
            let scanned = buf.len();
            buf.extend_from_slice(&chunk);
            let mut from = scanned;
            while let Some(i) = memchr::memchr(b'\n', &buf[from..]) {
                let line = &buf[start..from + i];
                if let Some(data) = line.strip_prefix(b"data: ") {
                    if data == b"[DONE]" {
                        return n;
                    }
                    black_box(
                        serde_json::from_slice::<StreamingChatCompletionsUpdate>(data)
                            .expect("floor chunk JSON"),
                    );
                    n += 1;
                }
                start = from + i + 1;
                from = start;
            }
            buf.drain(..start);
            start = 0;
        }
        n
    }

    /// Waits until queued spans are exported, so their cost lands in the window.
    fn flush(&self) {
        if let Some(guard) = &self.guard {
            guard
                .force_flush()
                .expect("the pipeline delivers to the loopback server");
        }
    }
}

fn floor_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("floor client")
}

fn request(answer: Answer) -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![
        ChatRequestMessage::system("You are a helpful assistant."),
        ChatRequestMessage::user("What is the capital of France?"),
    ])
    .with_model(answer.model())
    .with_max_tokens(256)
    .with_temperature(0.2)
}

/// The calls of one callgrind run; its name is what `--toggle-collect` matches.
#[inline(never)]
fn callgrind_measured(
    rt: &tokio::runtime::Runtime,
    runner: &Runner,
    scenario: Scenario,
    calls: u64,
) -> usize {
    rt.block_on(async {
        let mut n = 0;
        for _ in 0..calls {
            n += runner.run(scenario).await;
        }
        n
    })
}

#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    calls: u64,
    chunks: u64,
    wall: Duration,
    thread_us: u64,
    client_us: u64,
}

fn measure(
    rt: &tokio::runtime::Runtime,
    runner: &Runner,
    server: &Server,
    scenario: Scenario,
    budget: Duration,
) -> Figures {
    // Warm-up: connections, allocator, lazy statics.
    let warm = match scenario {
        Scenario::Call(Answer::BigEvent(_) | Answer::Stream(10_000)) => 1,
        _ => 20,
    };
    rt.block_on(async {
        for _ in 0..warm {
            runner.run(scenario).await;
        }
    });
    runner.flush();
    let (t0, p0, s0, w0) = (
        cpu::thread_us(),
        cpu::process_us(),
        server.cpu(),
        Instant::now(),
    );
    let mut f = Figures::default();
    rt.block_on(async {
        while f.calls == 0 || w0.elapsed() < budget {
            f.chunks += runner.run(scenario).await as u64;
            f.calls += 1;
        }
    });
    runner.flush();
    f.wall = w0.elapsed();
    f.thread_us = cpu::thread_us() - t0;
    f.client_us = (cpu::process_us() - p0).saturating_sub(server.cpu() - s0);
    f
}

/// A table row: label, the figure from a cell, whether it is a time.
type Row = (&'static str, Box<dyn Fn(&Figures) -> f64>, bool);

fn fmt_us(us: f64) -> String {
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else if us >= 10.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.0} ns", us * 1000.0)
    }
}

fn main() {
    let answers: Vec<Answer> = SCENARIOS
        .iter()
        .filter_map(|(_, s)| match s {
            Scenario::Call(a) => Some(*a),
            Scenario::Build { .. } => None,
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // Callgrind mode: one cell, nothing printed but its size.
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        let calls: u64 = std::env::var("BENCH_CALLS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(10);
        let (config, name) = only.split_once(':').expect("BENCH_ONLY=config:scenario");
        let config = Config::from_name(config);
        let scenario = SCENARIOS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
            .expect("a scenario name");
        let server = Server::start(&answers);
        let runner = Runner::new(config, &server);
        if let Scenario::Call(_) = scenario {
            rt.block_on(runner.run(scenario));
        }
        runner.flush();
        let before = server.connections();
        let otlp_before = server.otlp_requests();
        let n = callgrind_measured(&rt, &runner, scenario, calls);
        runner.flush();
        println!(
            "{only}: {calls} calls, {n} chunks, {} new connections, {} OTLP requests",
            server.connections() - before,
            server.otlp_requests() - otlp_before
        );
        return;
    }

    let budget = Duration::from_secs_f64(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.0),
    );

    // One configuration's process of a round: every scenario, one line each.
    if let Ok(config) = std::env::var("BENCH_CONFIG") {
        let config = Config::from_name(&config);
        let server = Server::start(&answers);
        let runner = Runner::new(config, &server);
        for (name, scenario) in SCENARIOS {
            let f = measure(&rt, &runner, &server, scenario, budget);
            println!(
                "{name} {} {} {} {} {}",
                f.calls,
                f.chunks,
                f.wall.as_nanos(),
                f.thread_us,
                f.client_us
            );
        }
        return;
    }

    // Rounds interleave the configurations, and each cell keeps its best
    // round: on a shared machine, interference only ever adds time.
    let rounds: u32 = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let mut results: Vec<(Config, &str, Figures)> = Vec::new();
    for round in 1..=rounds {
        for config in CONFIGS {
            eprintln!("  round {round}/{rounds}: {}", config.name());
            let out = std::process::Command::new(&exe)
                .env("BENCH_CONFIG", config.name())
                .env("BENCH_SECONDS", (budget / rounds).as_secs_f64().to_string())
                .stderr(std::process::Stdio::inherit())
                .output()
                .expect("run one configuration");
            assert!(out.status.success(), "{} failed", config.name());
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                let mut fields = line.split(' ');
                let Some(name) = fields
                    .next()
                    .and_then(|n| SCENARIOS.iter().find(|(s, _)| *s == n))
                    .map(|(s, _)| *s)
                else {
                    continue;
                };
                let mut num = || -> u64 {
                    fields
                        .next()
                        .and_then(|v| v.parse().ok())
                        .expect("a figure")
                };
                let f = Figures {
                    calls: num(),
                    chunks: num(),
                    wall: Duration::from_nanos(num()),
                    thread_us: num(),
                    client_us: num(),
                };
                match results
                    .iter_mut()
                    .find(|(c, n, _)| *c == config && *n == name)
                {
                    Some((_, _, best)) => {
                        if f.thread_us as f64 / (f.calls as f64)
                            < best.thread_us as f64 / (best.calls as f64)
                        {
                            *best = f;
                        }
                    }
                    None => results.push((config, name, f)),
                }
            }
        }
    }

    println!(
        "\n{:<30} {:<26} {:>14} {:>22} {:>22}",
        "scenario", "figure", "floor", "crate, no telemetry", "crate, telemetry"
    );
    for (name, scenario) in SCENARIOS {
        let cell = |c: Config| {
            results
                .iter()
                .find(|(rc, rn, _)| *rc == c && *rn == name)
                .map(|(_, _, f)| *f)
                .expect("every cell ran")
        };
        let per_call = matches!(scenario, Scenario::Call(Answer::Chat | Answer::BigEvent(_)))
            || matches!(scenario, Scenario::Build { .. });
        let rows: Vec<Row> = vec![
            (
                if per_call {
                    "CPU/call, calling thread"
                } else {
                    "CPU/chunk, calling thread"
                },
                Box::new(move |f: &Figures| {
                    f.thread_us as f64 / if per_call { f.calls } else { f.chunks } as f64
                }),
                true,
            ),
            (
                if per_call {
                    "CPU/call, all client threads"
                } else {
                    "CPU/chunk, all client threads"
                },
                Box::new(move |f: &Figures| {
                    f.client_us as f64 / if per_call { f.calls } else { f.chunks } as f64
                }),
                true,
            ),
            (
                "calls/s",
                Box::new(|f: &Figures| f.calls as f64 / f.wall.as_secs_f64()),
                false,
            ),
        ];
        for (i, (label, value, is_time)) in rows.iter().enumerate() {
            let floor = value(&cell(Config::Floor));
            let show = |v: f64| {
                if *is_time {
                    fmt_us(v)
                } else {
                    format!("{v:.1}")
                }
            };
            let with_ratio = |c: Config| {
                let v = value(&cell(c));
                format!("{} ({:.2}x)", show(v), v / floor)
            };
            println!(
                "{:<30} {:<26} {:>14} {:>22} {:>22}",
                if i == 0 { title(name) } else { "" },
                label,
                show(floor),
                with_ratio(Config::Crate),
                with_ratio(Config::Telemetry)
            );
        }
        if let Scenario::Call(Answer::Stream(10_000)) = scenario {
            let mb = server_mb(Answer::Stream(10_000));
            let rate = |c: Config| {
                let f = cell(c);
                mb * f.calls as f64 / (f.thread_us as f64 / 1e6)
            };
            println!(
                "{:<30} {:<26} {:>14} {:>22} {:>22}",
                "",
                "MB/s of CPU, calling thread",
                format!("{:.0}", rate(Config::Floor)),
                format!("{:.0}", rate(Config::Crate)),
                format!("{:.0}", rate(Config::Telemetry))
            );
        }
    }
}

/// The body size of an answer, in MB.
fn server_mb(answer: Answer) -> f64 {
    answer.body_len() as f64 / 1e6
}
