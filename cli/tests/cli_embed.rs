//! `azinfer embed` and `azinfer image-embed` against a loopback endpoint:
//! texts and image files as arguments, `--request` from a file and stdin,
//! the summary lines and `--json`.

mod support;
use support::cli;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{against, run};
use serde_json::{Value, json};

fn server() -> MockInferenceServer {
    MockInferenceServer::start_background().expect("mock server")
}

/// Asserts one `#i dims=d [a, b, c, d, ...]` line per vector.
fn assert_summary(stdout: &str, vectors: usize, dims: usize) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), vectors, "{stdout}");
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.starts_with(&format!("#{i} dims={dims} [")) && line.ends_with(", ...]"),
            "{line}"
        );
        assert_eq!(line.matches(", ").count(), 4, "four values shown: {line}");
    }
}

#[test]
fn embed_takes_each_argument_as_one_text() {
    let server = server();
    server.enqueue(Reply::embeddings(2, 16));

    let out = run(against(&server).args(["embed", "first text", "second", "--exporter", "none"]))
        .success();

    assert_summary(&out.stdout, 2, 16);
    let request = &server.requests()[0];
    assert_eq!(request.path, "/embeddings");
    assert_eq!(
        request.json().expect("JSON body")["input"],
        json!(["first text", "second"])
    );
}

#[test]
fn embed_request_from_a_file_with_json_output() {
    let server = server();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("embed.json");
    std::fs::write(
        &path,
        r#"{"input": ["a", "b", "c"], "input_type": "query"}"#,
    )
    .expect("write request");

    let out = run(against(&server)
        .args([
            "embed",
            "--dimensions",
            "4",
            "--json",
            "--exporter",
            "none",
            "--request",
        ])
        .arg(&path))
    .success();

    let response: Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(response["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        response["data"][0]["embedding"].as_array().map(Vec::len),
        Some(4)
    );
    let body = server.requests()[0].json().expect("JSON body");
    assert_eq!(body["input_type"], "query");
    assert_eq!(body["dimensions"], 4);
}

#[test]
fn embed_request_from_stdin() {
    let server = server();

    let out = run(against(&server)
        .args(["embed", "--request", "-", "--exporter", "none"])
        .write_stdin(r#"{"input": "one text"}"#))
    .success();

    // The demo answer: 8 dimensions.
    assert_summary(&out.stdout, 1, 8);
    assert_eq!(
        server.requests()[0].json().expect("JSON body")["input"],
        json!(["one text"])
    );
}

#[test]
fn base64_vectors_are_decoded_for_the_summary() {
    let server = server();
    server.enqueue(Reply::embeddings(1, 6));

    let out = run(against(&server)
        .args(["embed", "--request", "-", "--exporter", "none"])
        .write_stdin(r#"{"input": ["x"], "encoding_format": "base64"}"#))
    .success();

    assert_summary(&out.stdout, 1, 6);
}

#[test]
fn image_embed_sends_the_files_as_data_urls() {
    let server = server();
    server.enqueue(Reply::embeddings(2, 10));
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("cat.png");
    let jpg = dir.path().join("dog.JPG");
    std::fs::write(&png, b"\x89PNG fake").expect("write png");
    std::fs::write(&jpg, b"\xff\xd8 fake").expect("write jpg");

    let out = run(against(&server)
        .args(["image-embed", "--exporter", "none"])
        .arg(&png)
        .arg(&jpg))
    .success();

    assert_summary(&out.stdout, 2, 10);
    let request = &server.requests()[0];
    assert_eq!(request.path, "/images/embeddings");
    let body = request.json().expect("JSON body");
    let image = |i: usize| {
        body["input"][i]["image"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(image(0).starts_with("data:image/png;base64,"), "{body}");
    assert!(image(1).starts_with("data:image/jpeg;base64,"), "{body}");
}

#[test]
fn image_embed_request_from_a_file() {
    let server = server();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("images.json");
    std::fs::write(
        &path,
        r#"{"input": [{"image": "data:image/png;base64,iVBORw0K", "text": "a cat"}]}"#,
    )
    .expect("write request");

    let out = run(against(&server)
        .args(["image-embed", "--exporter", "none", "--request"])
        .arg(&path))
    .success();

    assert_summary(&out.stdout, 1, 8);
    let body = server.requests()[0].json().expect("JSON body");
    assert_eq!(body["input"][0]["text"], "a cat");
}
