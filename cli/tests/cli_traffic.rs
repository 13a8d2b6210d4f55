//! `azinfer` on a stalled, throttled or clear-text endpoint: the timeouts
//! and retries are the caller's to set, by flag or environment variable.

mod support;
use support::cli;

use std::time::Duration;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{KEY, against, azinfer, run};

fn server() -> MockInferenceServer {
    MockInferenceServer::start_background().expect("mock server")
}

#[test]
fn a_stalled_endpoint_gives_up_after_the_read_timeout_flag() {
    let server = server();
    server.enqueue(Reply::chat_completion("late").with_delay(Duration::from_secs(50)));
    let out = run(against(&server).args([
        "chat",
        "hi",
        "--read-timeout",
        "300ms",
        "--exporter",
        "none",
    ]));
    out.fails_with(1, &["timed out", "--read-timeout"]);
}

#[test]
fn the_timeouts_come_from_the_environment_too() {
    let server = server();
    server.enqueue(Reply::chat_completion("late").with_delay(Duration::from_secs(50)));
    let out = run(against(&server)
        .env("AZURE_AI_INFERENCE_READ_TIMEOUT", "300ms")
        .env("AZURE_AI_INFERENCE_CONNECT_TIMEOUT", "2s")
        .args(["chat", "hi", "--exporter", "none"]));
    out.fails_with(1, &["timed out"]);
}

#[test]
fn a_bad_duration_is_a_usage_error() {
    let out = run(azinfer().args(["info", "--read-timeout", "soon"]));
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(out.stderr.contains("5s or 500ms"), "{out:#?}");
}

#[test]
fn max_retries_absorbs_a_throttled_answer() {
    let server = server();
    server.enqueue(Reply::error(503, "ServiceUnavailable", "busy"));
    server.enqueue(
        Reply::error(429, "RateLimitReached", "slow down")
            .with_retry_after(Duration::from_millis(10)),
    );
    server.enqueue(Reply::chat_completion("third time lucky"));
    let out =
        run(against(&server).args(["chat", "hi", "--max-retries", "2", "--exporter", "none"]));
    let out = out.success();
    assert!(out.stdout.contains("third time lucky"), "{out:#?}");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_key_is_not_sent_over_clear_text_http_unless_asked() {
    // `.invalid` never resolves: nothing is sent either way.
    let out = run(azinfer().args([
        "info",
        "--endpoint",
        "http://models.example.invalid",
        "--key",
        KEY,
        "--exporter",
        "none",
    ]));
    let out = out.fails_with(
        2,
        &["--endpoint", "only sent over https", "--insecure-http-key"],
    );
    out.never_shows(KEY);

    let out = run(azinfer().args([
        "info",
        "--endpoint",
        "http://models.example.invalid",
        "--key",
        KEY,
        "--insecure-http-key",
        "--connect-timeout",
        "2s",
        "--exporter",
        "none",
    ]));
    // Past the check: the call itself fails (DNS), exit status 1.
    out.fails_with(1, &["could not reach the endpoint"]);
}
