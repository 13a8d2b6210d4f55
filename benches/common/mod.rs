//! What the call benchmarks share (`benches/calls`, `benches/layer.rs`):
//! the loopback server and CPU clocks, the one-call pipeline exactly as a
//! user installs it, the callgrind window, and the table mode that runs
//! each configuration in a process of its own.
//!
//! A benchmark includes it with `#[path = "common/mod.rs"] mod common;`
//! (`"../common/mod.rs"` from a directory target) and uses the parts it
//! needs.
//!
//! Environment, the same for every benchmark that uses it:
//! - `BENCH_SECONDS`: time per cell (default 1.0), split over
//!   `BENCH_ROUNDS` rounds (default 3) that interleave the configurations,
//!   one process per configuration and round; each cell keeps its best
//!   round (on a shared machine, interference only ever adds time).
//! - `BENCH_ONLY=config:scenario` with `BENCH_CALLS=N`: N calls of one cell
//!   inside [`callgrind_measured`], for `valgrind --tool=callgrind
//!   --toggle-collect='*callgrind_measured*'` run for two N: the difference
//!   divided by the difference of the N is the instructions per call on
//!   the calling thread, set-up and warm-up cancelled out.

// Each benchmark uses part of this module.
#![allow(dead_code)]

#[path = "../calls/cpu.rs"]
pub mod cpu;
#[path = "../calls/server.rs"]
pub mod server;

use std::time::{Duration, Instant};

use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryGuard, TelemetryPipeline};
use server::{Answer, Server};

/// The API key every configuration sends.
pub const API_KEY: &str = "bench-api-key-0123456789";

/// The configurations of the crate's own clients' benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    /// Raw `reqwest` + `serde_json` into the crate's model types: what a
    /// hand-written client costs at least.
    Floor,
    /// The crate's client with no telemetry installed.
    Crate,
    /// The crate's client with the one-call pipeline ([`install_pipeline`]).
    Telemetry,
}

pub const CONFIGS: [Config; 3] = [Config::Floor, Config::Crate, Config::Telemetry];

impl Config {
    pub fn name(self) -> &'static str {
        match self {
            Config::Floor => "floor",
            Config::Crate => "crate",
            Config::Telemetry => "telemetry",
        }
    }

    pub fn from_name(name: &str) -> Config {
        *CONFIGS
            .iter()
            .find(|c| c.name() == name)
            .expect("config: floor, crate or telemetry")
    }
}

/// The one-call pipeline as a user installs it,
/// `TelemetryPipeline::builder().with_exporter(ExporterKind::Otlp).install()`
/// (the crate's delivery processor with its byte budget, the OTLP metric
/// reader, the W3C trace-context and baggage propagator, all global),
/// exporting to `server`, which answers OTLP requests `200` and counts them.
///
/// Install it before building the client: a client's metric instruments
/// are created when it is built.
pub fn install_pipeline(server: &Server) -> TelemetryGuard {
    TelemetryPipeline::builder()
        .with_exporter(ExporterKind::Otlp)
        .with_otlp_config(OtlpConfig::new().with_endpoint(format!("http://{}", server.addr)))
        .install()
        .expect("install the pipeline")
}

/// Waits until the pipeline has exported what was queued, so its cost lands
/// in the measured window.
pub fn flush(guard: Option<&TelemetryGuard>) {
    if let Some(guard) = guard {
        guard
            .force_flush()
            .expect("the pipeline delivers to the loopback server");
    }
}

/// `name`'s value parsed, else `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The one cell of a callgrind run (`BENCH_ONLY=config:scenario`,
/// `BENCH_CALLS=N`, default 10), when this is one.
pub struct Only {
    pub cell: String,
    pub config: String,
    pub scenario: String,
    pub calls: u64,
}

impl Only {
    pub fn from_env() -> Option<Only> {
        let cell = std::env::var("BENCH_ONLY").ok()?;
        let (config, scenario) = cell.split_once(':').expect("BENCH_ONLY=config:scenario");
        Some(Only {
            config: config.to_owned(),
            scenario: scenario.to_owned(),
            calls: env_or("BENCH_CALLS", 10),
            cell,
        })
    }
}

/// `calls` runs of `run`, the only code callgrind counts
/// (`--toggle-collect='*callgrind_measured*'`); returns the chunks read.
#[inline(never)]
pub fn callgrind_measured(
    rt: &tokio::runtime::Runtime,
    calls: u64,
    mut run: impl AsyncFnMut() -> usize,
) -> usize {
    rt.block_on(async {
        let mut n = 0;
        for _ in 0..calls {
            n += run().await;
        }
        n
    })
}

/// One cell's figures: calls and chunks read, wall time, CPU of the calling
/// thread and of the client's threads (the process minus the server).
#[derive(Debug, Default, Clone, Copy)]
pub struct Figures {
    pub calls: u64,
    pub chunks: u64,
    pub wall: Duration,
    pub thread_us: u64,
    pub client_us: u64,
}

impl Figures {
    pub fn calls_per_s(&self) -> f64 {
        self.calls as f64 / self.wall.as_secs_f64()
    }

    /// Calling-thread CPU per call, in µs.
    pub fn us_per_call(&self) -> f64 {
        self.thread_us as f64 / self.calls as f64
    }

    /// The line a configuration's process prints for `scenario`.
    fn line(&self, scenario: &str) -> String {
        format!(
            "{scenario} {} {} {} {} {}",
            self.calls,
            self.chunks,
            self.wall.as_nanos(),
            self.thread_us,
            self.client_us
        )
    }

    /// A line of [`Figures::line`]: the scenario and its figures.
    fn parse(line: &str) -> Option<(&str, Figures)> {
        let mut fields = line.split(' ');
        let scenario = fields.next()?;
        let mut num = || -> Option<u64> { fields.next()?.parse().ok() };
        Some((
            scenario,
            Figures {
                calls: num()?,
                chunks: num()?,
                wall: Duration::from_nanos(num()?),
                thread_us: num()?,
                client_us: num()?,
            },
        ))
    }
}

/// Runs `run` for `budget` (at least once) after `warm` runs, flushing with
/// `flush` before and after so exports land in the window.
pub fn measure(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    warm: u32,
    budget: Duration,
    mut run: impl AsyncFnMut() -> usize,
    flush: impl Fn(),
) -> Figures {
    rt.block_on(async {
        for _ in 0..warm {
            run().await;
        }
    });
    flush();
    let (t0, p0, s0, w0) = (
        cpu::thread_us(),
        cpu::process_us(),
        server.cpu(),
        Instant::now(),
    );
    let mut f = Figures::default();
    rt.block_on(async {
        while f.calls == 0 || w0.elapsed() < budget {
            f.chunks += run().await as u64;
            f.calls += 1;
        }
    });
    flush();
    f.wall = w0.elapsed();
    f.thread_us = cpu::thread_us() - t0;
    f.client_us = (cpu::process_us() - p0).saturating_sub(server.cpu() - s0);
    f
}

/// The configuration this process measures (`BENCH_CONFIG`), when it is one
/// of the table mode's children.
pub fn child_config() -> Option<String> {
    std::env::var("BENCH_CONFIG").ok()
}

/// One configuration's process of a round (the table mode's child): every
/// scenario measured for `BENCH_SECONDS`, after `warm(answer)` unmeasured
/// calls, and printed as one line for [`run_rounds`].
pub fn run_scenarios(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    scenarios: &[(&str, Answer)],
    warm: impl Fn(Answer) -> u32,
    mut run: impl AsyncFnMut(Answer) -> usize,
    flush: impl Fn(),
) {
    let budget = Duration::from_secs_f64(env_or("BENCH_SECONDS", 1.0));
    for &(name, answer) in scenarios {
        let f = measure(
            rt,
            server,
            warm(answer),
            budget,
            async || run(answer).await,
            &flush,
        );
        print_figures(name, &f);
    }
}

/// A child's output: one line per scenario, read by [`run_rounds`].
pub fn print_figures(scenario: &str, f: &Figures) {
    println!("{}", f.line(scenario));
}

/// The table mode: `BENCH_ROUNDS` rounds, each running this benchmark once
/// per configuration (`BENCH_CONFIG`, a share of `BENCH_SECONDS`); every
/// (configuration, scenario) cell keeps its round with the least
/// calling-thread CPU per call.
pub fn run_rounds(configs: &[&'static str]) -> Vec<(&'static str, String, Figures)> {
    let budget = Duration::from_secs_f64(env_or("BENCH_SECONDS", 1.0));
    let rounds: u32 = env_or("BENCH_ROUNDS", 3u32).max(1);
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let mut best: Vec<(&'static str, String, Figures)> = Vec::new();
    for round in 1..=rounds {
        for &config in configs {
            eprintln!("  round {round}/{rounds}: {config}");
            let out = std::process::Command::new(&exe)
                .env("BENCH_CONFIG", config)
                .env("BENCH_SECONDS", (budget / rounds).as_secs_f64().to_string())
                .stderr(std::process::Stdio::inherit())
                .output()
                .expect("run one configuration");
            assert!(out.status.success(), "{config} failed");
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                let Some((scenario, f)) = Figures::parse(line) else {
                    continue;
                };
                match best
                    .iter_mut()
                    .find(|(c, s, _)| *c == config && s == scenario)
                {
                    Some((_, _, b)) if f.us_per_call() < b.us_per_call() => *b = f,
                    Some(_) => {}
                    None => best.push((config, scenario.to_owned(), f)),
                }
            }
        }
    }
    best
}

/// The figures of one cell of [`run_rounds`]' result.
pub fn cell(results: &[(&'static str, String, Figures)], config: &str, scenario: &str) -> Figures {
    results
        .iter()
        .find(|(c, s, _)| *c == config && s == scenario)
        .map(|(_, _, f)| *f)
        .expect("every cell ran")
}
