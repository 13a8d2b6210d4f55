//! `azinfer info` against a loopback endpoint: the model's fields, or JSON.

mod support;
use support::cli;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{KEY, against, run};
use serde_json::Value;

#[test]
fn prints_the_model_fields() {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(Reply::model_info("Phi-4", "chat-completion", "Microsoft"));

    let out = run(against(&server).args(["info", "--exporter", "none"])).success();

    assert_eq!(
        out.stdout,
        "model_name: Phi-4\nmodel_type: chat-completion\nmodel_provider_name: Microsoft\n"
    );
    let request = &server.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/info")
    );
    assert_eq!(request.header("api-key"), Some(KEY));
}

#[test]
fn json_prints_the_response() {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(Reply::model_info(
        "text-embedding-3-small",
        "embeddings",
        "OpenAI",
    ));

    let out = run(against(&server).args(["--exporter", "none", "info", "--json"])).success();

    let info: Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(info["model_type"], "embeddings");
    assert_eq!(info["model_name"], "text-embedding-3-small");
}
