//! `azinfer chat` against a loopback endpoint: the prompt as words,
//! `--request` from a file and from stdin, `--stream`, tool calls, `--json`,
//! and global options before or after the subcommand.

mod support;
use support::cli;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{KEY, against, run};
use serde_json::{Value, json};

fn server() -> MockInferenceServer {
    MockInferenceServer::start_background().expect("mock server")
}

#[test]
fn prints_the_answer_to_the_prompt_words() {
    let server = server();
    server.enqueue(Reply::chat_completion("Paris is the capital of France."));

    let out = run(against(&server).args([
        "chat",
        "What",
        "is",
        "the",
        "capital?",
        "--exporter",
        "none",
    ]))
    .success();

    assert_eq!(out.stdout, "Paris is the capital of France.\n");
    assert_eq!(out.stderr, "", "nothing but the answer");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/chat/completions");
    assert_eq!(requests[0].header("api-key"), Some(KEY));
    assert_eq!(
        requests[0].json().expect("JSON body")["messages"],
        json!([{"role": "user", "content": "What is the capital?"}])
    );
}

#[test]
fn global_options_go_before_or_after_the_subcommand() {
    let server = server();
    let mut before = against(&server);
    before.args([
        "--model",
        "phi-4",
        "--api-version",
        "2025-04-01",
        "--exporter",
        "none",
        "chat",
        "--system",
        "Be terse.",
        "hi",
    ]);
    run(&mut before).success();
    run(against(&server).args([
        "chat",
        "hi",
        "--system",
        "Be terse.",
        "--model",
        "phi-4",
        "--api-version",
        "2025-04-01",
        "--exporter",
        "none",
    ]))
    .success();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in requests {
        assert_eq!(
            request.query_param("api-version").as_deref(),
            Some("2025-04-01")
        );
        let body = request.json().expect("JSON body");
        assert_eq!(body["model"], "phi-4");
        assert_eq!(
            body["messages"][0],
            json!({"role": "system", "content": "Be terse."})
        );
    }
}

/// A request body as the REST API takes it, with a parameter the crate does
/// not model (`top_k`), which must be sent unchanged.
const REQUEST: &str = r#"{
    "messages": [
        {"role": "system", "content": "You are a poet."},
        {"role": "user", "content": "A haiku about spans."}
    ],
    "temperature": 0.5,
    "top_k": 40
}"#;

fn assert_sent_as_given(server: &MockInferenceServer) {
    let body = server.requests()[0].json().expect("JSON body");
    let given: Value = serde_json::from_str(REQUEST).expect("valid JSON");
    assert_eq!(body["messages"], given["messages"]);
    assert_eq!(body["temperature"], 0.5);
    assert_eq!(body["top_k"], 40);
    assert_eq!(body["max_tokens"], 12, "--max-tokens overrides the body");
}

#[test]
fn request_from_a_file() {
    let server = server();
    server.enqueue(Reply::chat_completion("Spans nest in time"));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("request.json");
    std::fs::write(&path, REQUEST).expect("write request");

    let out = run(against(&server)
        .args([
            "chat",
            "--max-tokens",
            "12",
            "--exporter",
            "none",
            "--request",
        ])
        .arg(&path))
    .success();

    assert_eq!(out.stdout, "Spans nest in time\n");
    assert_sent_as_given(&server);
}

#[test]
fn request_from_stdin() {
    let server = server();
    server.enqueue(Reply::chat_completion("Spans nest in time"));

    let out = run(against(&server)
        .args([
            "chat",
            "--request",
            "-",
            "--max-tokens",
            "12",
            "--exporter",
            "none",
        ])
        .write_stdin(REQUEST))
    .success();

    assert_eq!(out.stdout, "Spans nest in time\n");
    assert_sent_as_given(&server);
}

#[test]
fn stream_prints_the_pieces_as_one_answer() {
    let server = server();
    server.enqueue(Reply::chat_stream(["Hel", "lo", ", world"]));

    let out =
        run(against(&server).args(["chat", "--stream", "hi", "--exporter", "none"])).success();

    assert_eq!(out.stdout, "Hello, world\n");
    let request = &server.requests()[0];
    assert_eq!(request.json().expect("JSON body")["stream"], true);
    assert_eq!(request.header("accept"), Some("text/event-stream"));
}

#[test]
fn stream_json_prints_one_line_per_update() {
    let server = server();
    server.enqueue(Reply::chat_stream(["a", "b"]));

    let out =
        run(against(&server).args(["chat", "--stream", "--json", "hi", "--exporter", "none"]))
            .success();

    let updates: Vec<Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON update per line"))
        .collect();
    // Two pieces, the finish chunk, the usage chunk.
    assert_eq!(updates.len(), 4, "{}", out.stdout);
    assert_eq!(updates[0]["choices"][0]["delta"]["content"], "a");
}

#[test]
fn tool_calls_are_printed_readably() {
    let server = server();
    server.enqueue(Reply::chat_tool_calls([(
        "call_1",
        "get_weather",
        r#"{ "city": "Paris" }"#,
    )]));

    let out = run(against(&server).args(["chat", "weather?", "--exporter", "none"])).success();

    assert_eq!(
        out.stdout,
        "tool call: get_weather({\"city\":\"Paris\"})  [id call_1]\n"
    );
}

#[test]
fn streamed_tool_calls_are_printed_once_complete() {
    let server = server();
    server.enqueue(Reply::chat_stream_tool_call(
        "call_7",
        "lookup",
        [r#"{"q": "#, r#""spans"}"#],
    ));

    let out =
        run(against(&server).args(["chat", "--stream", "find", "--exporter", "none"])).success();

    assert_eq!(
        out.stdout,
        "tool call: lookup({\"q\":\"spans\"})  [id call_7]\n"
    );
}

#[test]
fn json_prints_the_whole_response() {
    let server = server();
    server.enqueue(Reply::chat_completion("Hi!").with_usage(3, 1));

    let out =
        run(against(&server).args(["chat", "hello", "--json", "--exporter", "none"])).success();

    let response: Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(response["choices"][0]["message"]["content"], "Hi!");
    assert_eq!(response["usage"]["prompt_tokens"], 3);
}

#[test]
fn an_incomplete_answer_is_noted_on_stderr() {
    let server = server();
    server.enqueue(Reply::chat_choices([("The answer is", "length")]));

    let out = run(against(&server).args(["chat", "hello", "--exporter", "none"])).success();

    assert_eq!(out.stdout, "The answer is\n");
    assert!(
        out.stderr.contains("incomplete") && out.stderr.contains("finish_reason: length"),
        "{out:#?}"
    );
}

#[test]
fn a_request_body_asking_for_a_stream_is_streamed() {
    let server = server();
    server.enqueue(Reply::chat_stream(["streamed ", "body"]));

    let out = run(against(&server)
        .args(["chat", "--request", "-", "--exporter", "none"])
        .write_stdin(r#"{"messages": [{"role": "user", "content": "hi"}], "stream": true}"#))
    .success();

    assert_eq!(out.stdout, "streamed body\n");
    assert_eq!(
        server.requests()[0].header("accept"),
        Some("text/event-stream")
    );
}

#[test]
fn the_default_api_version_is_sent() {
    let server = server();
    run(against(&server).args(["info", "--exporter", "none"])).success();
    assert_eq!(
        server.requests()[0].query_param("api-version").as_deref(),
        Some("2024-05-01-preview")
    );
}
