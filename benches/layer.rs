//! async-openai with and without the crate's layer (`GenAiLayer`), against
//! one loopback server:
//!
//! - `plain`: async-openai over its own `ReqwestService`, no telemetry;
//! - `layer`: the same with `GenAiLayer::new(TelemetryOptions::new())` under
//!   `with_http_service` and the one-call pipeline installed as a user does
//!   (`benches/common`'s `install_pipeline`: the crate's delivery processor,
//!   OTLP metrics and the W3C propagator, all global), exporting to the
//!   same loopback server.
//!
//! The pipeline sets globals, so each configuration runs in a process of
//! its own (`benches/common`'s table mode). Scenarios: a whole chat call,
//! a 100-chunk and a 10,000-chunk stream (about 1.8 MB), from the server of
//! `benches/calls` (under callgrind, `stream100` gives the per-chunk
//! instructions: async-openai's own SSE reading takes billions of
//! instructions for the 10,000-chunk stream). Calls are sequential on a current-thread runtime, so
//! the calling thread does all of the client's work; CPU is `getrusage` of
//! that thread. It prints calls per second, CPU per call, their ratios, and
//! for the stream the CPU per chunk the layer adds.
//!
//! `cargo bench --bench layer --features async-openai`. Environment
//! (`BENCH_SECONDS`, `BENCH_ROUNDS`, `BENCH_ONLY=config:scenario`,
//! `BENCH_CALLS`): as `benches/common` describes; for instructions per
//! call, run `BENCH_ONLY=layer:chat` (and `plain:chat`) under
//! `valgrind --tool=callgrind --toggle-collect='*callgrind_measured*'` for
//! two `BENCH_CALLS`.
//!
//! A benchmark, not a test: it prints figures and never fails on them.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::CreateChatCompletionRequest;
use azure_ai_inference_otel::instrument::GenAiLayer;
use azure_ai_inference_otel::setup::TelemetryGuard;
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use common::server::{Answer, Server};
use futures::StreamExt;

const SCENARIOS: [(&str, Answer); 3] = [
    ("chat", Answer::Chat),
    ("stream100", Answer::Stream(100)),
    ("stream10k", Answer::Stream(10_000)),
];
const CONFIGS: [&str; 2] = ["plain", "layer"];

struct Runner {
    client: Client<OpenAIConfig>,
    /// The installed pipeline (`layer` only); dropping it shuts it down.
    guard: Option<TelemetryGuard>,
}

impl Runner {
    /// For `layer`, installs the pipeline first, as a user does.
    fn new(config: &str, server: &Server) -> Runner {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let openai = OpenAIConfig::new()
            .with_api_base(format!("http://{}/openai/v1", server.addr))
            .with_api_key(common::API_KEY);
        if config == "plain" {
            let client = Client::with_config(openai).with_http_service(ReqwestService::new(http));
            return Runner {
                client,
                guard: None,
            };
        }
        let guard = common::install_pipeline(server);
        let layer = GenAiLayer::new(TelemetryOptions::new());
        let service = tower::Layer::layer(&layer, ReqwestService::new(http));
        Runner {
            client: Client::with_config(openai).with_http_service(service),
            guard: Some(guard),
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
        common::flush(self.guard.as_ref());
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
            .expect("scenario: chat, stream100 or stream10k");
        let server = Server::start(&answers);
        let runner = Runner::new(&only.config, &server);
        rt.block_on(runner.run(answer));
        runner.flush();
        let n = common::callgrind_measured(&rt, only.calls, async || runner.run(answer).await);
        runner.flush();
        println!("{}: {} calls, {n} chunks", only.cell, only.calls);
        return;
    }

    // One configuration's process of a round: every scenario, one line each.
    if let Some(config) = common::child_config() {
        let server = Server::start(&answers);
        let runner = Runner::new(&config, &server);
        common::run_scenarios(
            &rt,
            &server,
            &SCENARIOS,
            |answer| {
                if answer == Answer::Stream(10_000) {
                    1
                } else {
                    20
                }
            },
            async |answer| runner.run(answer).await,
            || runner.flush(),
        );
        return;
    }

    let results = common::run_rounds(&CONFIGS);
    println!("async-openai with and without GenAiLayer (one-call pipeline), best round per cell");
    println!(
        "{:<10} {:<7} {:>12} {:>16} {:>16}",
        "scenario", "config", "calls/s", "CPU/call (µs)", "CPU/chunk (ns)"
    );
    for (name, _) in SCENARIOS {
        for config in CONFIGS {
            let f = common::cell(&results, config, name);
            println!(
                "{:<10} {:<7} {:>12.0} {:>16.1} {:>16.1}",
                name,
                config,
                f.calls_per_s(),
                f.us_per_call(),
                f.thread_us as f64 * 1000.0 / f.chunks.max(1) as f64,
            );
        }
        let plain = common::cell(&results, "plain", name);
        let layer = common::cell(&results, "layer", name);
        let chunks = plain.chunks as f64 / plain.calls as f64;
        println!(
            "{name}: layer/plain calls/s {:.3}x, CPU per call {:.3}x, +{:.1} ns per chunk",
            layer.calls_per_s() / plain.calls_per_s(),
            layer.us_per_call() / plain.us_per_call(),
            (layer.us_per_call() - plain.us_per_call()) * 1000.0 / chunks,
        );
    }
}
