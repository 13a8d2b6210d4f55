//! `azinfer responses` against a loopback endpoint: the prompt as words
//! with `--instructions` and `--reasoning-effort`, `--stream`, a
//! `--request` body with tools (a function call is printed), `--json`, and
//! an incomplete answer noted on stderr.

mod support;
use support::cli;

use std::io::Write as _;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply, ResponseAnswer};
use cli::{KEY, against, run};
use serde_json::{Value, json};

fn server() -> MockInferenceServer {
    MockInferenceServer::start_background().expect("mock server")
}

#[test]
fn prints_the_answer_and_sends_the_flags() {
    let server = server();
    server.enqueue(Reply::response(
        ResponseAnswer::new()
            .with_reasoning("Simple.")
            .with_text("Paris."),
    ));
    let out = run(against(&server).args([
        "responses",
        "Capital",
        "of",
        "France?",
        "--instructions",
        "Be terse.",
        "--reasoning-effort",
        "low",
        "--max-output-tokens",
        "50",
        "--exporter",
        "none",
    ]))
    .success();
    assert_eq!(out.stdout, "Paris.\n");
    let requests = server.requests();
    assert!(
        requests[0].path.ends_with("/responses"),
        "{}",
        requests[0].path
    );
    assert_eq!(requests[0].header("api-key"), Some(KEY));
    assert_eq!(
        requests[0].json().unwrap(),
        json!({"input": "Capital of France?", "instructions": "Be terse.",
               "reasoning": {"effort": "low"}, "max_output_tokens": 50})
    );
}

#[test]
fn streams_the_text_and_prints_json_events() {
    let server = server();
    server.enqueue(Reply::response_stream(ResponseAnswer::text(
        "Hello there friend",
    )));
    let out =
        run(against(&server).args(["responses", "hi", "--stream", "--exporter", "none"])).success();
    assert_eq!(out.stdout, "Hello there friend\n");
    assert_eq!(server.requests()[0].json().unwrap()["stream"], true);

    server.enqueue(Reply::response_stream(ResponseAnswer::text("Hi")));
    let out = run(against(&server).args([
        "responses",
        "hi",
        "--stream",
        "--json",
        "--exporter",
        "none",
    ]))
    .success();
    let types: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types.first().map(String::as_str), Some("response.created"));
    assert_eq!(types.last().map(String::as_str), Some("response.completed"));
    assert!(types.iter().any(|t| t == "response.output_text.delta"));
}

#[test]
fn a_request_body_with_tools_prints_the_function_call() {
    let server = server();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(
        file,
        "{}",
        json!({"input": [{"role": "user", "content": "Weather in Paris?"}],
               "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]})
    )
    .unwrap();
    let out = run(against(&server).args([
        "responses",
        "--request",
        file.path().to_str().unwrap(),
        "--exporter",
        "none",
    ]))
    .success();
    assert!(out.stdout.contains("get_weather"), "{}", out.stdout);
    assert_eq!(
        server.requests()[0].json().unwrap()["tools"][0]["name"],
        "get_weather"
    );
}

#[test]
fn an_incomplete_answer_is_noted_and_a_bad_effort_refused() {
    let server = server();
    server.enqueue(Reply::response(
        ResponseAnswer::text("It is").incomplete("max_output_tokens"),
    ));
    let out = run(against(&server).args(["responses", "hi", "--exporter", "none"])).success();
    assert_eq!(out.stdout, "It is\n");
    assert!(out.stderr.contains("incomplete"), "{}", out.stderr);

    run(against(&server).args([
        "responses",
        "hi",
        "--reasoning-effort",
        "extreme",
        "--exporter",
        "none",
    ]))
    .fails_with(2, &["--reasoning-effort extreme"]);
}
