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
//! Run through `.ci/bench` (or `cargo bench --bench calls`). Environment
//! (`BENCH_SECONDS`, `BENCH_ROUNDS`, `BENCH_ONLY`, `BENCH_CALLS`): as
//! `benches/common` describes; `.ci/bench --callgrind` runs the
//! `BENCH_ONLY` mode under `valgrind --tool=callgrind` for two N and prints
//! the instructions per call.
//!
//! A benchmark, not a test: it prints figures and never fails on them.

#[path = "../common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions, Credential};
use azure_ai_inference_otel::models::{
    ChatCompletions, ChatCompletionsOptions, ChatRequestMessage, StreamingChatCompletionsUpdate,
};
use azure_ai_inference_otel::setup::TelemetryGuard;
use common::server::{Answer, Server};
use common::{API_KEY, CONFIGS, Config, Figures};
use futures::StreamExt;

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
        let guard = (config == Config::Telemetry).then(|| common::install_pipeline(server));
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
        common::flush(self.guard.as_ref());
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

/// The warm-up runs of a scenario: connections, allocator, lazy statics.
fn warm_up(scenario: Scenario) -> u32 {
    match scenario {
        Scenario::Call(Answer::BigEvent(_) | Answer::Stream(10_000)) => 1,
        _ => 20,
    }
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
    if let Some(only) = common::Only::from_env() {
        let config = Config::from_name(&only.config);
        let scenario = SCENARIOS
            .iter()
            .find(|(n, _)| *n == only.scenario)
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
        let n = common::callgrind_measured(&rt, only.calls, async || runner.run(scenario).await);
        runner.flush();
        println!(
            "{}: {} calls, {n} chunks, {} new connections, {} OTLP requests",
            only.cell,
            only.calls,
            server.connections() - before,
            server.otlp_requests() - otlp_before
        );
        return;
    }

    // One configuration's process of a round: every scenario, one line each.
    if let Some(config) = common::child_config() {
        let budget = Duration::from_secs_f64(common::env_or("BENCH_SECONDS", 1.0));
        let config = Config::from_name(&config);
        let server = Server::start(&answers);
        let runner = Runner::new(config, &server);
        for (name, scenario) in SCENARIOS {
            let f = common::measure(
                &rt,
                &server,
                warm_up(scenario),
                budget,
                async || runner.run(scenario).await,
                || runner.flush(),
            );
            common::print_figures(name, &f);
        }
        return;
    }

    let results = common::run_rounds(&CONFIGS.map(Config::name));

    println!(
        "\n{:<30} {:<26} {:>14} {:>22} {:>22}",
        "scenario", "figure", "floor", "crate, no telemetry", "crate, telemetry"
    );
    for (name, scenario) in SCENARIOS {
        let cell = |c: Config| common::cell(&results, c.name(), name);
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
