//! How `azinfer` fails: one `azinfer: error:` line on stderr, exit status 1
//! for failed calls (unreachable endpoint, HTTP errors) and 2 for usage
//! errors (arguments, `--request` content, files, configuration), and no
//! call made when the input is wrong.

mod support;
use support::cli;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{KEY, against, azinfer, run};
use support::loopback::closed_port;

fn server() -> MockInferenceServer {
    MockInferenceServer::start_background().expect("mock server")
}

#[test]
fn an_unreachable_endpoint_fails_the_call() {
    let port = closed_port();
    let out = run(azinfer().args([
        "chat",
        "hello",
        "--endpoint",
        &format!("http://127.0.0.1:{port}"),
        "--key",
        KEY,
        "--exporter",
        "none",
    ]));
    out.fails_with(
        1,
        &["could not reach the endpoint", &format!("127.0.0.1:{port}")],
    );
}

#[test]
fn an_http_error_names_the_status_and_the_service_message() {
    let server = server();
    server.enqueue(Reply::error(
        401,
        "Unauthorized",
        "Access denied due to invalid subscription key.",
    ));

    let out = run(against(&server).args(["chat", "hello", "--exporter", "none"]));

    let out = out.fails_with(
        1,
        &[
            "the service answered HTTP 401",
            "Access denied due to invalid subscription key.",
            "check the API key",
        ],
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn a_stream_that_fails_midway_keeps_what_arrived() {
    let server = server();
    server.enqueue(Reply::chat_stream(["Hel", "lo", " there"]).with_disconnect_after(2));

    let out = run(against(&server).args(["chat", "--stream", "hi", "--exporter", "none"]));

    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(out.stdout.starts_with("Hel"), "{out:#?}");
    assert!(
        out.stdout.ends_with('\n'),
        "the text line is ended: {out:#?}"
    );
    assert!(out.stderr.starts_with("azinfer: error: "), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
}

#[test]
fn malformed_request_json_is_a_usage_error_and_nothing_is_sent() {
    let server = server();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("request.json");
    std::fs::write(&path, "{\"messages\" [}").expect("write request");

    let out = run(against(&server)
        .args(["chat", "--exporter", "none", "--request"])
        .arg(&path));

    out.fails_with(
        2,
        &[
            &format!(
                "--request {}: invalid JSON at line 1 column 13",
                path.display()
            ),
            "expected `:`",
        ],
    );
    assert!(server.requests().is_empty(), "no call was made");
}

#[test]
fn a_request_of_the_wrong_shape_is_a_usage_error() {
    let server = server();
    let out = run(against(&server)
        .args(["chat", "--request", "-", "--exporter", "none"])
        .write_stdin(r#"{"prompt": "hello"}"#));

    out.fails_with(
        2,
        &[
            "--request -: not a valid chat completions request",
            "missing field `messages`",
        ],
    );
    assert!(server.requests().is_empty(), "no call was made");
}

#[test]
fn a_missing_request_file_is_a_usage_error() {
    let out = run(azinfer().args(["chat", "--request", "/nonexistent/request.json"]));
    out.fails_with(
        2,
        &["--request /nonexistent/request.json: cannot read the file"],
    );
}

#[test]
fn an_image_of_unknown_type_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "not an image").expect("write file");

    let out = run(azinfer().args(["image-embed"]).arg(&path));

    out.fails_with(2, &["unknown image extension \"txt\"", "png"]);
}

#[test]
fn argument_errors_are_one_line_with_clap_status() {
    run(azinfer().args(["chat", "hi", "--no-such-flag"])).fails_with(
        2,
        &[
            "unexpected argument '--no-such-flag'",
            "azinfer chat --help",
        ],
    );
    run(azinfer().arg("chat")).fails_with(2, &["required arguments were not provided", "<PROMPT>"]);
    run(azinfer().args(["chat", "hi", "--request", "r.json"]))
        .fails_with(2, &["cannot be used with"]);
    run(azinfer().args(["info", "--exporter", "stdout,jaeger"]))
        .fails_with(2, &["unknown exporter `jaeger`", "braintrust-otlp"]);
}

#[test]
fn configuration_errors_name_the_option() {
    run(azinfer().args(["info", "--endpoint", "ftp://example.invalid", "--key", KEY]))
        .fails_with(2, &["--endpoint:", "the scheme must be https or http"]);
    run(azinfer().args(["info", "--endpoint", "https://example.invalid/models"]))
        .fails_with(2, &["no API key", "--key", "AZURE_AI_INFERENCE_KEY"]);
    // Checked before the demo endpoint starts: no notice, one line.
    let out = run(azinfer().args(["info", "--exporter", "braintrust"]))
        .fails_with(2, &["the `braintrust` exporter", "BRAINTRUST_API_KEY"]);
    assert_eq!(out.stdout, "");
}

#[test]
fn an_invalid_exporter_list_in_the_environment_is_a_usage_error() {
    run(azinfer()
        .args(["info"])
        .env("AZURE_AI_INFERENCE_OTEL_EXPORTERS", "zipkin"))
    .fails_with(
        2,
        &[
            "AZURE_AI_INFERENCE_OTEL_EXPORTERS",
            "unknown exporter `zipkin`",
        ],
    );
}
