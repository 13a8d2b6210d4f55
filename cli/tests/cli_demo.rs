//! With no endpoint configured, `azinfer` answers from the built-in demo
//! endpoint, says so on stderr, and exits 0; a configured endpoint (flag or
//! variable) is used instead, without the notice.

mod support;
use support::cli;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{DEMO_NOTICE, KEY, azinfer, run};

#[test]
fn every_subcommand_runs_against_the_demo_endpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let image = dir.path().join("pixel.png");
    std::fs::write(&image, b"\x89PNG fake").expect("write image");
    let image = image.to_string_lossy().into_owned();

    for args in [
        vec!["chat", "hello", "there"],
        vec!["chat", "--stream", "hello"],
        vec!["embed", "hello"],
        vec!["image-embed", image.as_str()],
        vec!["info"],
        vec!["models"],
    ] {
        let out = run(azinfer().args(&args).args(["--exporter", "none"])).success();
        assert!(
            out.stderr.contains(DEMO_NOTICE),
            "{args:?}: the notice is on stderr: {out:#?}"
        );
        assert!(!out.stdout.contains(DEMO_NOTICE), "{args:?}: {out:#?}");
        assert!(
            !out.stdout.trim().is_empty(),
            "{args:?}: an answer: {out:#?}"
        );
    }
}

#[test]
fn the_demo_chat_quotes_the_prompt() {
    let out =
        run(azinfer().args(["chat", "what", "is", "a", "span?", "--exporter", "none"])).success();
    assert!(out.stdout.contains("what is a span?"), "{out:#?}");
}

#[test]
fn an_empty_endpoint_variable_means_the_demo_endpoint() {
    let out = run(azinfer()
        .args(["info", "--exporter", "none"])
        .env("AZURE_AI_INFERENCE_ENDPOINT", " "))
    .success();
    assert!(out.stderr.contains(DEMO_NOTICE), "{out:#?}");
}

#[test]
fn the_endpoint_and_key_variables_are_used_without_the_notice() {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(Reply::chat_completion("from the configured endpoint"));

    let out = run(azinfer()
        .args(["chat", "hi", "--exporter", "none"])
        .env("AZURE_AI_INFERENCE_ENDPOINT", server.endpoint())
        .env("AZURE_AI_INFERENCE_KEY", KEY)
        .env("AZURE_AI_INFERENCE_MODEL", "env-model"))
    .success();

    assert_eq!(out.stdout, "from the configured endpoint\n");
    assert!(!out.stderr.contains(DEMO_NOTICE), "{out:#?}");
    let request = &server.requests()[0];
    assert_eq!(request.header("api-key"), Some(KEY));
    assert_eq!(request.json().expect("JSON body")["model"], "env-model");
}
