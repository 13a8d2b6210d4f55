//! Delays, request recording, and the server's start and stop.

use super::*;

#[tokio::test]
async fn delayed_reply_lets_a_later_request_finish_first() {
    let server = MockInferenceServer::start().await.unwrap();
    // An hour: the ordering below cannot depend on how fast the machine is.
    server.enqueue(Reply::chat_completion("slow").with_delay(Duration::from_secs(3600)));
    server.enqueue(Reply::chat_completion("fast"));

    let endpoint = url(&server, "/chat/completions");
    let slow =
        tokio::spawn(async move { client().post(endpoint).json(&chat_body("x")).send().await });
    // The slow request has taken the delayed reply before the fast one is sent.
    tokio::time::timeout(GUARD, server.wait_for_requests(1))
        .await
        .unwrap();
    let (status, body) = post_json(&server, "/chat/completions", &chat_body("y")).await;
    assert_eq!(
        (status, body["choices"][0]["message"]["content"].as_str()),
        (200, Some("fast"))
    );
    assert!(
        !slow.is_finished(),
        "the delayed reply must still be held back"
    );
    assert_eq!(server.requests().len(), 2);
    drop(server);
    let result = tokio::time::timeout(GUARD, slow).await.unwrap().unwrap();
    assert!(
        result.is_err(),
        "dropping the server cuts the delayed reply: {result:?}"
    );
}

#[tokio::test]
async fn delayed_reply_is_answered_after_the_delay() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("later").with_delay(Duration::from_millis(20)));
    let (status, body) = post_json(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(
        (status, body["choices"][0]["message"]["content"].as_str()),
        (200, Some("later"))
    );
}

#[tokio::test]
async fn event_delay_holds_events_but_not_headers() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b"]).with_event_delay(Duration::from_secs(3600)));
    server.enqueue(Reply::chat_completion("fast"));

    // Status and headers come at once; the events are held back while the
    // server goes on answering other requests.
    let response = post(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response.bytes_stream();
    let (status, body) = post_json(&server, "/chat/completions", &chat_body("y")).await;
    assert_eq!(
        (status, body["choices"][0]["message"]["content"].as_str()),
        (200, Some("fast"))
    );
    assert!(
        stream.next().now_or_never().is_none(),
        "no event may have been sent yet"
    );
    drop(server);
    let cut = tokio::time::timeout(GUARD, stream.next()).await.unwrap();
    assert!(matches!(cut, Some(Err(_))), "{cut:?}");
}

#[tokio::test]
async fn event_delay_still_sends_every_event() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_stream(["a", "b"]).with_event_delay(Duration::from_millis(5)));
    let text = post(&server, "/chat/completions", &chat_body("x"))
        .await
        .text()
        .await
        .unwrap();
    let payloads = sse_payloads(&text);
    assert_eq!(payloads.len(), 5);
    assert_eq!(payloads[4], "[DONE]");
}

// ---------------------------------------------------------------- recording

#[tokio::test]
async fn requests_are_recorded_with_headers_query_and_body() {
    let server = MockInferenceServer::start().await.unwrap();
    let body = json!({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5});
    client()
        .post(format!(
            "{}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21&x=a%20b",
            server.endpoint()
        ))
        .header("api-key", "secret-key")
        .header("X-Custom-Header", "Value")
        .header("extra-parameters", "pass-through")
        .json(&body)
        .send()
        .await
        .unwrap();
    client().get(url(&server, "/info")).send().await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let chat = &requests[0];
    assert_eq!(chat.method, "POST");
    assert_eq!(chat.path, "/openai/deployments/gpt-4o/chat/completions");
    assert_eq!(chat.query, "api-version=2024-10-21&x=a%20b");
    assert_eq!(
        chat.query_param("api-version").as_deref(),
        Some("2024-10-21")
    );
    assert_eq!(chat.query_param("x").as_deref(), Some("a b"));
    assert_eq!(chat.query_param("missing"), None);
    assert_eq!(chat.header("api-key"), Some("secret-key"));
    assert_eq!(chat.header("X-CUSTOM-HEADER"), Some("Value"));
    assert!(
        chat.headers
            .iter()
            .any(|(n, v)| n == "x-custom-header" && v == "Value")
    );
    assert!(
        chat.headers
            .iter()
            .all(|(n, _)| *n == n.to_ascii_lowercase())
    );
    assert_eq!(chat.header("content-type"), Some("application/json"));
    assert_eq!(chat.json(), Some(body.clone()));
    assert_eq!(chat.body, serde_json::to_vec(&body).unwrap());
    let info = &requests[1];
    assert_eq!((info.method.as_str(), info.path.as_str()), ("GET", "/info"));
    assert!(info.body.is_empty());
    assert_eq!(info.json(), None);
}

#[tokio::test]
async fn requests_are_recorded_before_the_answer() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("late").with_delay(Duration::from_secs(3600)));
    let endpoint = url(&server, "/chat/completions");
    let pending =
        tokio::spawn(async move { client().post(endpoint).json(&chat_body("x")).send().await });
    let requests = tokio::time::timeout(GUARD, server.wait_for_requests(1))
        .await
        .unwrap();
    assert_eq!(requests[0].json().unwrap()["messages"][1]["content"], "x");
    assert!(!pending.is_finished());
    // Dropping the server cuts the hour-long wait short.
    drop(server);
    let result = tokio::time::timeout(GUARD, pending).await.unwrap().unwrap();
    assert!(result.is_err(), "{result:?}");
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test]
async fn server_stops_on_drop() {
    let server = MockInferenceServer::start().await.unwrap();
    let endpoint = url(&server, "/info");
    // A pooled keep-alive connection must not outlive the server either.
    let pooled = client();
    assert_eq!(pooled.get(&endpoint).send().await.unwrap().status(), 200);
    drop(server);
    let fresh = client().get(&endpoint).send().await;
    let error = fresh.expect_err("a fresh connection after drop");
    assert!(error.is_connect(), "{error:?}");
    let reused = pooled.get(&endpoint).send().await;
    assert!(reused.is_err(), "{reused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stops_on_drop_multi_thread() {
    let server = MockInferenceServer::start().await.unwrap();
    let addr = server.addr();
    assert_eq!(
        client()
            .get(url(&server, "/info"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(server);
    let error = tokio::net::TcpStream::connect(addr)
        .await
        .expect_err("connect after drop");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn start_outside_a_runtime_is_an_error() {
    let error = futures::executor::block_on(MockInferenceServer::start()).expect_err("no runtime");
    assert!(error.to_string().contains("start_background"), "{error}");
}

/// A minimal blocking HTTP/1.1 exchange, to test without any runtime.
fn blocking_request(addr: std::net::SocketAddr, request: &str) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(GUARD))?;
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

#[test]
fn start_background_serves_synchronous_code() {
    let server = MockInferenceServer::start_background().unwrap();
    let addr = server.addr();
    assert!(server.endpoint().starts_with("http://127.0.0.1:"));
    assert_eq!(server.endpoint(), format!("http://{addr}"));

    let body = r#"{"messages":[{"role":"user","content":"hello from sync"}]}"#;
    let request = format!(
        "POST /chat/completions?{API_VERSION} HTTP/1.1\r\nhost: {addr}\r\napi-key: k\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = blocking_request(addr, &request).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let json_start = response.find("\r\n\r\n").unwrap() + 4;
    let answer: Value = serde_json::from_str(&response[json_start..]).unwrap();
    assert!(
        answer["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .contains("\"hello from sync\"")
    );

    server.enqueue(Reply::error(503, "ServiceUnavailable", "busy"));
    let response = blocking_request(addr, &request).unwrap();
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("api-key"), Some("k"));
    assert_eq!(requests[0].body, body.as_bytes());

    drop(server);
    let error = std::net::TcpStream::connect(addr).expect_err("connect after drop");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn start_background_works_inside_a_runtime_and_drops_promptly() {
    let server = MockInferenceServer::start_background().unwrap();
    server
        .enqueue(Reply::chat_stream(["never", "ends"]).with_event_delay(Duration::from_secs(3600)));
    let response = post(&server, "/chat/completions", &chat_body("x")).await;
    assert_eq!(response.status(), 200);
    let addr = server.addr();
    // An answer still in progress must not keep the drop waiting.
    drop(server);
    let body = tokio::time::timeout(GUARD, response.bytes()).await.unwrap();
    assert!(body.is_err(), "{body:?}");
    let error = tokio::net::TcpStream::connect(addr)
        .await
        .expect_err("connect after drop");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn headers_replace_earlier_values() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(
        Reply::error(500, "InternalServerError", "boom")
            .with_header("X-MS-Error-Code", "Overridden")
            .with_header("x-custom", "1")
            .with_header("x-custom", "2")
            .with_header("bad header name", "skipped"),
    );
    let response = post(&server, "/chat/completions", &chat_body("x")).await;
    let values = |name: &str| -> Vec<String> {
        response
            .headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(values("x-ms-error-code"), ["Overridden"]);
    assert_eq!(values("x-custom"), ["2"]);
    assert_eq!(response.status(), 500);
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>(_: &T) {}
    assert_send_sync::<MockInferenceServer>();
    assert_send_sync::<Reply>();
    assert_send_sync::<crate::testing::RecordedRequest>();
    assert_send(&MockInferenceServer::start());
    let server = MockInferenceServer::start_background().unwrap();
    assert_send(&server.wait_for_requests(0));
    // Shared between threads through an Arc.
    let shared = std::sync::Arc::new(server);
    let other = std::sync::Arc::clone(&shared);
    std::thread::spawn(move || other.enqueue(Reply::chat_completion("x")))
        .join()
        .unwrap();
    assert_eq!(shared.pending_replies(), 1);
}

#[tokio::test]
async fn debug_output_is_concise() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::chat_completion("x"));
    let debug = format!("{server:?}");
    assert!(debug.contains("pending_replies: 1"), "{debug}");
    assert!(debug.contains(&server.addr().to_string()), "{debug}");
    assert!(format!("{:?}", Reply::chat_completion("x")).contains("Reply"));
}
