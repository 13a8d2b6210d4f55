//! Retries, in-band errors, cut bodies, redirects and clear-text keys,
//! against loopback servers.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use super::tests::{JSON, Server, answer, transport};
use super::*;

/// Retries with millisecond waits, so tests never wait real seconds.
fn fast(max_retries: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(max_retries)
        .with_initial_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(5))
}

async fn post(t: &Transport, log: &mut Vec<String>) -> Result<reqwest::Response> {
    let mut on_retry = |e: &Error| log.push(e.error_type().to_owned());
    t.post_json(
        "chat/completions",
        Bytes::from_static(br#"{"n":1}"#),
        &[],
        false,
        &mut on_retry,
    )
    .await
}

#[tokio::test]
async fn transient_statuses_are_retried_with_the_same_request() {
    let server = Server::sequence(vec![
        answer(503, &[JSON], r#"{"error":{"code":"busy"}}"#),
        answer(429, &[JSON], "{}"),
        answer(200, &[JSON], r#"{"ok":true}"#),
    ])
    .await;
    let t = transport(&server.url(), ClientOptions::new().with_retry(fast(3)));
    let mut log = Vec::new();
    let resp = post(&t, &mut log).await.unwrap();
    let value: serde_json::Value = read_json(resp, usize::MAX).await.unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(log, ["503", "429"]);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        assert_eq!(s.body, br#"{"n":1}"#);
        assert_eq!(s.headers["api-key"], "test-key-123");
    }
}

#[tokio::test]
async fn retries_run_out_and_the_last_failure_is_returned() {
    let server = Server::start(502, &[("x-ms-request-id", "last-one")], "bad gateway").await;
    let t = transport(&server.url(), ClientOptions::new().with_retry(fast(2)));
    let mut log = Vec::new();
    let e = post(&t, &mut log).await.unwrap_err();
    assert_eq!(e.status(), Some(502));
    assert_eq!(e.request_id(), Some("last-one"));
    assert_eq!(log, ["502", "502"]);
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn other_statuses_and_a_disabled_policy_are_not_retried() {
    let server = Server::start(400, &[JSON], r#"{"error":{"code":"bad"}}"#).await;
    let t = transport(&server.url(), ClientOptions::new().with_retry(fast(3)));
    let mut log = Vec::new();
    assert_eq!(post(&t, &mut log).await.unwrap_err().status(), Some(400));
    assert_eq!(server.seen().len(), 1);

    let server = Server::start(503, &[], "").await;
    let t = transport(
        &server.url(),
        ClientOptions::new().with_retry(RetryPolicy::none()),
    );
    assert_eq!(post(&t, &mut log).await.unwrap_err().status(), Some(503));
    assert_eq!(server.seen().len(), 1);
    assert!(log.is_empty());
}

#[tokio::test]
async fn retry_after_headers_are_honoured() {
    for header in ["retry-after-ms", "x-ms-retry-after-ms"] {
        let server = Server::sequence(vec![
            answer(429, &[(header, "80")], ""),
            answer(200, &[JSON], "{}"),
        ])
        .await;
        let t = transport(&server.url(), ClientOptions::new().with_retry(fast(1)));
        let started = Instant::now();
        post(&t, &mut Vec::new()).await.unwrap();
        // The backoff alone would be at most 5 ms.
        assert!(started.elapsed() >= Duration::from_millis(80), "{header}");
    }
    let server = Server::sequence(vec![
        answer(503, &[("retry-after", "0.1")], ""),
        answer(200, &[JSON], "{}"),
    ])
    .await;
    let t = transport(&server.url(), ClientOptions::new().with_retry(fast(1)));
    let started = Instant::now();
    post(&t, &mut Vec::new()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn a_long_retry_after_is_capped() {
    let server = Server::sequence(vec![
        answer(429, &[("retry-after", "3600")], ""),
        answer(200, &[JSON], "{}"),
    ])
    .await;
    let policy = fast(1).with_max_retry_after(Duration::from_millis(10));
    let t = transport(&server.url(), ClientOptions::new().with_retry(policy));
    // Without the cap this would wait an hour.
    tokio::time::timeout(Duration::from_secs(30), post(&t, &mut Vec::new()))
        .await
        .expect("the cap was not applied")
        .unwrap();
}

#[tokio::test]
async fn connection_failures_before_any_response_are_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let t = transport(
        &format!("http://{addr}"),
        ClientOptions::new().with_retry(fast(2)),
    );
    let mut log = Vec::new();
    let e = post(&t, &mut log).await.unwrap_err();
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
    assert_eq!(log, ["connection", "connection"]);
}

#[tokio::test]
async fn an_error_object_in_a_200_answer_is_a_service_error() {
    let server = Server::start(
        200,
        &[JSON, ("apim-request-id", "apim-7")],
        r#"{"error":{"code":"content_filter","message":"your prompt 'secret plan' was filtered"}}"#,
    )
    .await;
    let t = transport(&server.url(), ClientOptions::new().with_retry(fast(3)));
    let resp = post(&t, &mut Vec::new()).await.unwrap();
    let e = read_json::<serde_json::Value>(resp, usize::MAX)
        .await
        .unwrap_err();
    match &e {
        Error::Service {
            code,
            message,
            request_id,
        } => {
            assert_eq!(code.as_deref(), Some("content_filter"));
            assert!(message.contains("secret plan"));
            assert_eq!(request_id.as_deref(), Some("apim-7"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.error_type(), "content_filter");
    assert!(!e.telemetry_description().contains("secret"));
    assert!(e.to_string().contains("apim-7"), "{e}");
    // Not a transient failure: sent once.
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn only_top_level_error_objects_are_in_band_errors() {
    assert!(in_band_error(br#"{"error":{"code":"x","message":"m"}}"#).is_some());
    assert!(in_band_error(br#"{"id":"1","error":"text"}"#).is_some());
    assert!(in_band_error(br#"{"error":null,"id":"1"}"#).is_none());
    assert!(
        in_band_error(br#"{"choices":[{"content_filter_results":{"error":{"code":"x"}}}]}"#)
            .is_none()
    );
    assert!(in_band_error(br#"{"content":"say \"error\" twice"}"#).is_none());
    assert!(in_band_error(br#"["error"]"#).is_none());
    assert!(in_band_error(b"not json \"error\"").is_none());
}

/// Answers one request with `head` and `partial`, then closes the connection.
async fn cut_server(head: &'static str, partial: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(partial.as_bytes()).await.unwrap();
        socket.flush().await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_body_cut_after_the_headers_is_truncated_not_connection() {
    let url = cut_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-ms-request-id: cut-1\r\ncontent-length: 400\r\n\r\n",
        r#"{"id":"chatcmpl-1","choices":["#,
    )
    .await;
    let t = transport(&url, ClientOptions::new().with_retry(fast(3)));
    let mut log = Vec::new();
    let resp = post(&t, &mut log).await.unwrap();
    let e = read_json::<serde_json::Value>(resp, usize::MAX)
        .await
        .unwrap_err();
    match &e {
        Error::StreamTruncated {
            events: None,
            request_id,
            source,
            ..
        } => {
            assert_eq!(request_id.as_deref(), Some("cut-1"));
            assert!(source.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.error_type(), "stream_truncated");
    assert!(log.is_empty());
}

#[tokio::test]
async fn same_origin_redirects_are_followed_with_the_key() {
    let server = Server::sequence(vec![
        answer(307, &[("location", "/models/moved")], ""),
        answer(200, &[JSON], "{}"),
    ])
    .await;
    let t = transport(&server.url(), ClientOptions::new());
    post(&t, &mut Vec::new()).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].uri, "/models/moved");
    assert_eq!(seen[1].headers["api-key"], "test-key-123");
}

#[tokio::test]
async fn a_redirect_loop_is_not_retried() {
    let server = Server::start(307, &[("location", "/models/again")], "").await;
    let t = transport(&server.url(), ClientOptions::new().with_retry(fast(3)));
    let mut log = Vec::new();
    let e = post(&t, &mut log).await.unwrap_err();
    assert!(matches!(e, Error::InvalidResponse { .. }), "{e:?}");
    assert!(e.to_string().contains("redirects"), "{e}");
    assert!(log.is_empty());
    assert_eq!(server.seen().len(), 6, "the first request and 5 redirects");
}

/// A 307 to `localhost` on another port: another origin than `127.0.0.1`.
async fn redirect_to_other_host() -> (Server, Server) {
    let other = Server::start(200, &[JSON], "{}").await;
    let location = format!(
        "http://localhost:{}/models/chat/completions",
        other.addr.port()
    );
    let first = Server::start(307, &[("location", location.as_str())], "").await;
    (first, other)
}

#[tokio::test]
async fn no_client_of_ours_sends_the_key_to_another_host() {
    let (first, other) = redirect_to_other_host().await;
    let t = transport(&first.url(), ClientOptions::new());
    assert_eq!(
        post(&t, &mut Vec::new()).await.unwrap_err().status(),
        Some(307)
    );
    // A caller's client with the policy the docs recommend.
    let http = reqwest::Client::builder()
        .redirect(same_origin_redirects())
        .build()
        .unwrap();
    let t = transport(&first.url(), ClientOptions::new().with_http_client(http));
    assert_eq!(
        post(&t, &mut Vec::new()).await.unwrap_err().status(),
        Some(307)
    );
    assert!(other.seen().is_empty());
}

#[tokio::test]
async fn an_answer_from_another_host_is_refused() {
    let (first, other) = redirect_to_other_host().await;
    // reqwest's default policy follows the redirect (and sends `api-key`).
    let t = transport(
        &first.url(),
        ClientOptions::new().with_http_client(reqwest::Client::new()),
    );
    let e = post(&t, &mut Vec::new()).await.unwrap_err();
    match &e {
        Error::InvalidConfig { field, reason } => {
            assert_eq!(*field, ConfigField::HttpClient);
            assert!(
                reason.contains(&format!("localhost:{}", other.addr.port()))
                    && reason.contains("same_origin_redirects"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.to_string().contains("test-key-123"));
}

#[test]
fn api_keys_are_not_sent_in_clear_text_to_other_hosts() {
    let new = |url: &str, options: ClientOptions| {
        Transport::new(
            Endpoint::parse(url).unwrap(),
            Credential::api_key("k").unwrap(),
            &options,
        )
    };
    let e = new("http://models.example.com", ClientOptions::new()).unwrap_err();
    match &e {
        Error::InvalidConfig { field, reason } => {
            assert_eq!(*field, ConfigField::Endpoint);
            assert!(reason.contains("with_insecure_http_key"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    new(
        "http://models.example.com",
        ClientOptions::new().with_insecure_http_key(true),
    )
    .unwrap();
    for ok in [
        "https://models.example.com",
        "http://localhost:8080",
        "http://127.0.0.1:1",
        "http://[::1]:1",
    ] {
        new(ok, ClientOptions::new()).unwrap();
    }
}
