//! The API key given with `--key` (or `AZURE_AI_INFERENCE_KEY`) is sent to
//! the endpoint and never printed: not in answers, errors, span trees,
//! help, or recorded content.

mod support;
use support::cli;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{azinfer, run};
use support::loopback::closed_port;

const SECRET: &str = "sk-very-secret-8d1f0b2a6c";

#[test]
fn the_key_never_appears_in_any_output() {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(Reply::chat_completion("fine"));
    server.enqueue(Reply::error(401, "Unauthorized", "invalid key"));
    server.enqueue(Reply::chat_stream(["ok"]));
    let endpoint = server.endpoint();
    let closed = format!("http://127.0.0.1:{}", closed_port());

    let runs = [
        // Success, with the span tree and recorded content.
        run(azinfer().args([
            "chat",
            "hi",
            "--endpoint",
            &endpoint,
            "--key",
            SECRET,
            "--exporter",
            "stdout",
            "--record-content",
            "--json",
        ])),
        // The service rejects it.
        run(azinfer().args([
            "chat",
            "hi",
            "--endpoint",
            &endpoint,
            "--key",
            SECRET,
            "--exporter",
            "stdout",
        ])),
        // Streamed, key from the environment.
        run(azinfer()
            .args([
                "chat",
                "--stream",
                "hi",
                "--endpoint",
                &endpoint,
                "--exporter",
                "stdout",
            ])
            .env("AZURE_AI_INFERENCE_KEY", SECRET)),
        // Unreachable endpoint.
        run(azinfer().args([
            "info",
            "--endpoint",
            &closed,
            "--key",
            SECRET,
            "--exporter",
            "stdout",
        ])),
        // Invalid endpoint.
        run(azinfer().args(["info", "--endpoint", "not a url", "--key", SECRET])),
        // A key that cannot be sent.
        run(azinfer().args([
            "info",
            "--endpoint",
            &endpoint,
            "--key",
            &format!("{SECRET} "),
        ])),
        // Help, with the key in the environment.
        run(azinfer()
            .arg("--help")
            .env("AZURE_AI_INFERENCE_KEY", SECRET)),
        run(azinfer()
            .args(["chat", "--help"])
            .env("AZURE_AI_INFERENCE_KEY", SECRET)),
        // An argument error.
        run(azinfer().args(["chat", "--key", SECRET, "--bogus"])),
    ];

    for out in &runs {
        out.never_shows(SECRET);
    }
    assert_eq!(runs[0].code, Some(0));
    assert_eq!(runs[1].code, Some(1));
    assert_eq!(runs[2].code, Some(0));
    assert_eq!(runs[3].code, Some(1));
    // It was sent, as both headers.
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        3,
        "one request per call that reached the server"
    );
    for request in requests {
        assert_eq!(request.header("api-key"), Some(SECRET));
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {SECRET}").as_str())
        );
    }
}
