//! Content recording: off by default, on with `--record-content` or with
//! `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true`. Checked on the
//! spans an OTLP collector receives.

mod support;
use support::cli;
use support::otlp_collector;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{Run, against, run};
use otlp_collector::OtlpCollector;

const PROMPT: &str = "my private question about tulips";
const ANSWER: &str = "a private answer about tulips";

/// Runs one chat with `extra` arguments and environment; returns the chat
/// span as text.
fn chat_span(extra: &[&str], env: &[(&str, &str)]) -> String {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(Reply::chat_completion(ANSWER));
    let collector = OtlpCollector::start();
    let mut cmd = against(&server);
    cmd.args(["chat", PROMPT, "--model", "m", "--exporter", "otlp"])
        .args(extra)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
        .envs(env.iter().copied());
    let out: Run = run(&mut cmd).success();
    assert_eq!(out.stdout, format!("{ANSWER}\n"));
    format!("{:?}", collector.span("chat m").span)
}

#[test]
fn content_is_not_recorded_by_default() {
    let span = chat_span(&[], &[]);
    assert!(!span.contains("tulips"), "{span}");
    let span = chat_span(
        &[],
        &[("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "false")],
    );
    assert!(!span.contains("tulips"), "{span}");
}

#[test]
fn record_content_records_prompt_and_answer() {
    let span = chat_span(&["--record-content"], &[]);
    assert!(span.contains(PROMPT) && span.contains(ANSWER), "{span}");
}

#[test]
fn the_usual_variable_records_content_too() {
    let span = chat_span(
        &[],
        &[("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "true")],
    );
    assert!(span.contains(PROMPT) && span.contains(ANSWER), "{span}");
}
