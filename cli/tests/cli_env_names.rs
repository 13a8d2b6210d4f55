//! `azinfer` takes the endpoint and key from the names Microsoft's v1
//! samples use (`AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY`) when the
//! crate's own are unset; the crate's own names win. `chat` sends the v1
//! parameters (`n`, `max_completion_tokens`, `reasoning_effort`,
//! `stream_options`) from flags and from the request JSON.

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

#[test]
fn chat_flags_send_the_v1_parameters() {
    let server = MockInferenceServer::start_background().expect("mock server");
    run(azinfer()
        .env("AZURE_OPENAI_ENDPOINT", server.v1_endpoint())
        .env("AZURE_OPENAI_API_KEY", "sample-key-0123")
        .args([
            "--model",
            "gpt-5-mini",
            "chat",
            "--stream",
            "--n",
            "2",
            "--max-completion-tokens",
            "300",
            "--reasoning-effort",
            "low",
            "--include-usage",
            "false",
            "--exporter",
            "none",
            "Hello",
        ]))
    .success();
    let body = server.requests()[0].json().unwrap();
    assert_eq!(body["n"], 2);
    assert_eq!(body["max_completion_tokens"], 300);
    assert_eq!(body["reasoning_effort"], "low");
    assert_eq!(
        body["stream_options"],
        serde_json::json!({"include_usage": false})
    );

    // The same from the request JSON, and a flag on an unstreamed call is refused.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("request.json");
    std::fs::write(
        &path,
        r#"{"messages":[{"role":"user","content":"Hi"}],"n":3,"max_completion_tokens":50,"reasoning_effort":"high","stream":true,"stream_options":{"include_usage":true}}"#,
    )
    .unwrap();
    run(azinfer()
        .env("AZURE_OPENAI_ENDPOINT", server.v1_endpoint())
        .env("AZURE_OPENAI_API_KEY", "sample-key-0123")
        .args([
            "--model",
            "gpt-5-mini",
            "chat",
            "--exporter",
            "none",
            "--request",
        ])
        .arg(&path))
    .success();
    let body = server.requests()[1].json().unwrap();
    assert_eq!(body["n"], 3);
    assert_eq!(body["max_completion_tokens"], 50);
    assert_eq!(body["reasoning_effort"], "high");
    assert_eq!(
        body["stream_options"],
        serde_json::json!({"include_usage": true})
    );

    run(azinfer()
        .env("AZURE_OPENAI_ENDPOINT", server.v1_endpoint())
        .env("AZURE_OPENAI_API_KEY", "sample-key-0123")
        .args(["--model", "m", "chat", "--include-usage", "true", "Hello"]))
    .fails_with(2, &["--stream"]);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_v1_endpoint_records_and_replays_with_its_routes() {
    let azure = MockInferenceServer::start_background().expect("mock server");
    let dir = tempfile::tempdir().unwrap();
    let cassette = dir.path().join("v1.json");
    let cassette = cassette.to_str().unwrap();
    let recorded = run(azinfer()
        .env("AZURE_OPENAI_ENDPOINT", azure.v1_endpoint())
        .env("AZURE_OPENAI_API_KEY", "sample-key-0123")
        .args(["--model", "gpt-5-mini", "--record", cassette])
        .args(["chat", "--stream", "--exporter", "none", "Hello"]))
    .success();
    recorded.never_shows("sample-key-0123");
    let upstream = &azure.requests()[0];
    assert_eq!(upstream.path, "/openai/v1/chat/completions");
    assert_eq!(upstream.query, "", "no api-version on v1");

    let replayed = run(azinfer()
        .env("AZURE_OPENAI_ENDPOINT", azure.v1_endpoint())
        .args(["--model", "gpt-5-mini", "--replay", cassette])
        .args(["chat", "--stream", "--exporter", "none", "Hello"]))
    .success();
    assert_eq!(replayed.stdout, recorded.stdout);
    assert_eq!(azure.requests().len(), 1, "the replay reached no upstream");
}
