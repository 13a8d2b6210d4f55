//! `azinfer models`: the models (deployments) a v1 endpoint offers, one per
//! line or as JSON; the demo endpoint lists its model; an endpoint without
//! a model list is a usage error naming `--endpoint`.

mod support;
use support::cli;

use assert_cmd::Command;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{DEMO_NOTICE, KEY, azinfer, run};
use serde_json::{Value, json};

/// `azinfer --endpoint {v1 base} --key KEY --exporter none`, then `args`.
fn at_v1(server: &MockInferenceServer, args: &[&str]) -> Command {
    let mut cmd = azinfer();
    cmd.args([
        "--endpoint",
        &server.v1_endpoint(),
        "--key",
        KEY,
        "--exporter",
        "none",
    ])
    .args(args);
    cmd
}

fn list() -> Reply {
    Reply::json(
        200,
        json!({"object": "list", "data": [
            {"id": "gpt-4o-mini", "object": "model", "created": 1_721_172_741, "owned_by": "system"},
            {"id": "my-embedder", "object": "model"}
        ]}),
    )
}

#[test]
fn prints_one_model_per_line_from_the_v1_route() {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(list());

    let out = run(&mut at_v1(&server, &["models"])).success();

    assert_eq!(out.stdout, "gpt-4o-mini\tsystem\nmy-embedder\n");
    let request = &server.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/openai/v1/models")
    );
    assert_eq!(request.query, "", "no api-version on v1");
    assert_eq!(request.header("api-key"), Some(KEY));
}

#[test]
fn json_prints_the_list() {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(list());
    let out = run(&mut at_v1(&server, &["models", "--json"])).success();
    let list: Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"][1]["id"], "my-embedder");
}

#[test]
fn the_demo_endpoint_lists_its_model() {
    let out = run(azinfer().args(["models", "--exporter", "none"])).success();
    assert!(out.stderr.contains(DEMO_NOTICE), "{out:#?}");
    assert_eq!(out.stdout, "demo-model\tdemo\n");
}

#[test]
fn an_endpoint_without_a_model_list_is_a_usage_error() {
    let server = MockInferenceServer::start_background().expect("mock server");
    for base in ["/models", "/openai/deployments/gpt-4o-mini"] {
        let endpoint = format!("{}{base}", server.endpoint());
        run(azinfer().args([
            "--endpoint",
            &endpoint,
            "--key",
            KEY,
            "models",
            "--exporter",
            "none",
        ]))
        .fails_with(2, &["--endpoint", "/openai/v1"])
        .never_shows(KEY);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_failed_answer_is_a_failed_call() {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(Reply::error(403, "Forbidden", "not allowed to list"));
    run(&mut at_v1(&server, &["--max-retries", "0", "models"])).fails_with(1, &["403"]);
}
