//! `azinfer` takes the endpoint and key from the names Microsoft's v1
//! samples use (`AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY`) when the
//! crate's own are unset; the crate's own names win.

mod support;
use support::cli;

use azure_ai_inference_otel::testing::MockInferenceServer;
use cli::{azinfer, run};

#[test]
fn the_v1_sample_names_are_read_and_the_crate_s_own_win() {
    let server = MockInferenceServer::start_background().expect("mock server");
    let v1 = server.v1_endpoint();
    run(azinfer()
        .env("AZURE_OPENAI_ENDPOINT", &v1)
        .env("AZURE_OPENAI_API_KEY", "sample-key-0123")
        .env("AZURE_AI_INFERENCE_MODEL", "gpt-5-mini")
        .args(["chat", "--stream", "--exporter", "none", "Hello"]))
    .success();
    let first = &server.requests()[0];
    assert_eq!(first.path, "/openai/v1/chat/completions");
    assert_eq!(first.query, "", "no api-version on v1");
    assert_eq!(first.header("api-key"), Some("sample-key-0123"));
    let body = first.json().unwrap();
    assert_eq!(body["model"], "gpt-5-mini");
    assert_eq!(body["stream_options"]["include_usage"], true);

    // Both names set: AZURE_AI_INFERENCE_* win.
    run(azinfer()
        .env("AZURE_AI_INFERENCE_ENDPOINT", format!("{v1}/"))
        .env("AZURE_AI_INFERENCE_KEY", "own-key-0123")
        .env("AZURE_OPENAI_ENDPOINT", "http://127.0.0.1:9/openai/v1")
        .env("AZURE_OPENAI_API_KEY", "sample-key-0123")
        .args(["--model", "gpt-5-mini", "chat", "--exporter", "none", "Hi"]))
    .success();
    assert_eq!(server.requests()[1].header("api-key"), Some("own-key-0123"));
}

#[test]
fn a_v1_endpoint_without_a_model_is_a_usage_error_naming_it() {
    let server = MockInferenceServer::start_background().expect("mock server");
    run(azinfer()
        .env("AZURE_OPENAI_ENDPOINT", server.v1_endpoint())
        .env("AZURE_OPENAI_API_KEY", "sample-key-0123")
        .args(["chat", "--exporter", "none", "Hello"]))
    .fails_with(2, &["model"]);
    assert!(server.requests().is_empty());
}
