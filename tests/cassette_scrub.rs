//! Scrubbing: a cassette recorded with known secrets in every place they can
//! go never holds their bytes, and still replays.

use std::path::Path;

use azure_ai_inference_otel::testing::{MockInferenceServer, RecordOptions, Reply};

/// What a scrubbed value becomes in a cassette (documented on `RecordOptions`).
const SCRUBBED: &str = "[scrubbed]";
use serde_json::json;

const KEY: &str = "sk-Live/Key+0123456789abcdef";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.bearer-token-value";
const COOKIE: &str = "session=cookie-value-42";
const SET_COOKIE: &str = "server-session-id-77";
const CUSTOM: &str = "custom-header-secret-9";
const SIG: &str = "query-signature-value-3";
const PASSWORD: &str = "hunter2";

fn assert_scrubbed(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let escaped_key = KEY.replace('/', "\\/");
    let encoded_key: String = url::form_urlencoded::byte_serialize(KEY.as_bytes()).collect();
    for secret in [
        KEY,
        escaped_key.as_str(),
        encoded_key.as_str(),
        "0123456789abcdef",
        TOKEN,
        "cookie-value-42",
        SET_COOKIE,
        CUSTOM,
        SIG,
        PASSWORD,
    ] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret:?} is in the cassette:\n{text}"
        );
    }
    assert!(text.contains(SCRUBBED), "{text}");
}

#[tokio::test]
async fn no_secret_reaches_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scrubbed.json");
    let azure = MockInferenceServer::start().await.unwrap();
    // The service echoes the key back in a body, a header and a stream.
    azure.enqueue(
        Reply::json(
            401,
            json!({"error": {"code": "Unauthorized", "message": format!("key {KEY} is not valid for {TOKEN}")}}),
        )
        .with_header("set-cookie", format!("sid={SET_COOKIE}; HttpOnly"))
        .with_header("x-echo", format!("key={KEY}")),
    );
    azure.enqueue(Reply::sse([format!(
        r#"{{"echo":"{KEY}","pw":"{PASSWORD}"}}"#
    )]));
    let options = RecordOptions::new()
        .scrub_header("x-custom-token")
        .scrub_query_param("sig")
        .with_secret(PASSWORD);
    let recorder = MockInferenceServer::record(&azure.endpoint(), &path, options)
        .await
        .unwrap();

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let encoded_key: String = url::form_urlencoded::byte_serialize(KEY.as_bytes()).collect();
    let url = format!(
        "{}/chat/completions?api-version=2024-05-01-preview&sig={SIG}&echo={encoded_key}",
        recorder.endpoint()
    );
    let body = json!({"messages": [{"role": "user", "content": format!("my password is {PASSWORD}, key {KEY}")}]});
    for _ in 0..2 {
        let response = http
            .post(&url)
            .header("api-key", KEY)
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("cookie", COOKIE)
            .header("x-custom-token", CUSTOM)
            .json(&body)
            .send()
            .await
            .unwrap();
        // The caller gets the real answer; only the file is scrubbed.
        let text = response.text().await.unwrap();
        assert!(text.contains(KEY), "{text}");
    }
    // The real endpoint got the real credentials.
    let at_azure = azure.requests();
    assert_eq!(at_azure[0].header("api-key"), Some(KEY));
    assert_eq!(at_azure[0].header("cookie"), Some(COOKIE));
    assert_eq!(recorder.finish().unwrap(), 2);
    assert_scrubbed(&path);

    // The scrubbed cassette replays for a client holding another key.
    drop(azure);
    let replay = MockInferenceServer::replay(&path).await.unwrap();
    let url = format!(
        "{}/chat/completions?sig=other&api-version=2024-05-01-preview&echo={encoded_key}",
        replay.endpoint()
    );
    let response = http
        .post(&url)
        .header("api-key", "ci-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.replay_mismatches(), Vec::<String>::new());
    assert_eq!(response.status(), 401);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(&format!("key {SCRUBBED} is not valid")),
        "{text}"
    );
}
