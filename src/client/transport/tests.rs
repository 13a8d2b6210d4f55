//! Transport tests against loopback servers.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use tokio::net::TcpListener;

use super::*;
use crate::client::ExtraParameters;

/// What the server saw.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) method: String,
    pub(super) uri: String,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
}

/// A loopback server answering every request with one canned response;
/// aborted when dropped.
pub(super) struct Server {
    pub(super) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One canned answer: status, headers, body.
pub(super) type Answer = (u16, Vec<(String, String)>, Vec<u8>);

pub(super) fn answer(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Answer {
    let headers = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (status, headers, body.into())
}

impl Server {
    pub(super) async fn start(
        status: u16,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Server {
        Self::sequence(vec![answer(status, headers, body)]).await
    }

    /// Answers request `n` with `answers[n]`, and the last answer after that.
    pub(super) async fn sequence(answers: Vec<Answer>) -> Server {
        Self::sequence_on("127.0.0.1:0", answers).await
    }

    pub(super) async fn sequence_on(bind: &str, answers: Vec<Answer>) -> Server {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(answers);
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let (log, answers) = (log.clone(), answers.clone());
            async move {
                let (parts, req_body) = req.into_parts();
                let req_body = axum::body::to_bytes(req_body, usize::MAX).await.unwrap();
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(Seen {
                        method: parts.method.to_string(),
                        uri: parts.uri.to_string(),
                        headers: parts.headers,
                        body: req_body.to_vec(),
                    });
                    log.len() - 1
                };
                let (status, headers, body) = answers[n.min(answers.len() - 1)].clone();
                let mut resp = Response::builder().status(status);
                for (k, v) in headers {
                    resp = resp.header(k, v);
                }
                resp.body(Body::from(body)).unwrap()
            }
        });
        let listener = TcpListener::bind(bind).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Server { addr, seen, task }
    }

    pub(super) fn url(&self) -> String {
        format!("http://{}/models", self.addr)
    }

    pub(super) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A transport with the key `test-key-123`. Retries are off unless the
/// test sets a policy (the default one would wait real seconds).
pub(super) fn transport(url: &str, mut options: ClientOptions) -> Transport {
    if options.retry() == &RetryPolicy::default() {
        options = options.with_retry(RetryPolicy::none());
    }
    Transport::new(
        Endpoint::parse(url).unwrap(),
        Credential::api_key("test-key-123").unwrap(),
        &options,
    )
    .unwrap()
}

pub(super) const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn post_sends_auth_version_and_common_headers() {
    let server = Server::start(200, &[JSON], r#"{"ok":true}"#).await;
    let t = transport(
        &server.url(),
        ClientOptions::new()
            .with_api_version("2024-08-01-preview")
            .with_extra_parameters(ExtraParameters::PassThrough)
            .with_user_agent("my-app/2"),
    );
    let trace = [
        (
            HeaderName::from_static("traceparent"),
            HeaderValue::from_static("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ),
        // A trace header cannot replace ours.
        (
            HeaderName::from_static("api-key"),
            HeaderValue::from_static("injected"),
        ),
    ];

    let resp = t
        .post_json(
            "chat/completions",
            br#"{"x":1}"#.to_vec().into(),
            &trace,
            false,
            &mut |_: &Error| {},
        )
        .await
        .unwrap();
    let value: serde_json::Value = read_json(resp, usize::MAX).await.unwrap();
    assert_eq!(value["ok"], true);

    let seen = server.seen();
    let s = &seen[0];
    assert_eq!(s.method, "POST");
    assert_eq!(
        s.uri,
        "/models/chat/completions?api-version=2024-08-01-preview"
    );
    assert_eq!(s.body, br#"{"x":1}"#);
    let h = &s.headers;
    assert_eq!(h["api-key"], "test-key-123");
    assert_eq!(h.get_all("api-key").iter().count(), 1);
    assert_eq!(h["authorization"], "Bearer test-key-123");
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["accept"], "application/json");
    assert_eq!(h["extra-parameters"], "pass-through");
    assert_eq!(
        h["user-agent"],
        format!("{} my-app/2", crate::client::options::DEFAULT_USER_AGENT)
    );
    assert_eq!(
        h["traceparent"],
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    );
}

#[tokio::test]
async fn streaming_post_asks_for_an_event_stream() {
    let server = Server::start(
        200,
        &[("content-type", "text/event-stream; charset=utf-8")],
        "data: {\"n\":1}\n\ndata: [DONE]\n\n",
    )
    .await;
    let t = transport(&server.url(), ClientOptions::new());
    let resp = t
        .post_json(
            "chat/completions",
            b"{}".to_vec().into(),
            &[],
            true,
            &mut |_: &Error| {},
        )
        .await
        .unwrap();
    let items: Vec<_> = futures::TryStreamExt::try_collect(crate::client::sse::SseStream::<
        serde_json::Value,
    >::from_response(resp, 16 << 20))
    .await
    .unwrap();
    use crate::client::sse::SseItem;
    assert_eq!(
        items,
        [SseItem::Event(serde_json::json!({"n": 1})), SseItem::Done]
    );
    let h = &server.seen()[0].headers;
    assert_eq!(h["accept"], "text/event-stream");
    assert!(!h.contains_key("extra-parameters"));
    assert_eq!(h["user-agent"], crate::client::options::DEFAULT_USER_AGENT);
}

#[tokio::test]
async fn a_json_answer_to_a_streaming_request_is_invalid() {
    let server = Server::start(200, &[JSON], r#"{"choices":[]}"#).await;
    let t = transport(&server.url(), ClientOptions::new());
    match t
        .post_json(
            "chat/completions",
            b"{}".to_vec().into(),
            &[],
            true,
            &mut |_: &Error| {},
        )
        .await
    {
        Err(Error::InvalidResponse { reason, snippet }) => {
            assert!(
                reason.contains("text/event-stream") && reason.contains("application/json"),
                "{reason}"
            );
            assert_eq!(snippet, r#"{"choices":[]}"#);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn get_info() {
    let server = Server::start(200, &[JSON], r#"{"model_name":"m"}"#).await;
    let t = transport(&server.url(), ClientOptions::new());
    let resp = t.get("info", &[], &mut |_: &Error| {}).await.unwrap();
    let v: serde_json::Value = read_json(resp, usize::MAX).await.unwrap();
    assert_eq!(v["model_name"], "m");
    let s = &server.seen()[0];
    assert_eq!(
        (s.method.as_str(), s.uri.as_str()),
        ("GET", "/models/info?api-version=2024-05-01-preview")
    );
    assert_eq!(s.headers["accept"], "application/json");
    assert!(!s.headers.contains_key("content-type"));
    assert_eq!(s.headers["api-key"], "test-key-123");
}

#[tokio::test]
async fn non_success_becomes_http_error_with_retry_after_and_request_id() {
    let server = Server::start(
        429,
        &[JSON, ("retry-after", "7"), ("apim-request-id", "req-42")],
        r#"{"error":{"code":"RateLimitReached","message":"slow down"}}"#,
    )
    .await;
    let t = transport(&server.url(), ClientOptions::new());
    let e = t
        .post_json(
            "embeddings",
            b"{}".to_vec().into(),
            &[],
            false,
            &mut |_: &Error| {},
        )
        .await
        .unwrap_err();
    match &e {
        Error::Http {
            status,
            code,
            message,
            retry_after,
            request_id,
        } => {
            assert_eq!(*status, 429);
            assert_eq!(code.as_deref(), Some("RateLimitReached"));
            assert_eq!(message, "slow down");
            assert_eq!(*retry_after, Some(Duration::from_secs(7)));
            assert_eq!(request_id.as_deref(), Some("req-42"));
        }
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.contains("req-42") && !text.contains("test-key-123"),
        "{text}"
    );
}

#[tokio::test]
async fn huge_error_bodies_are_read_only_in_part() {
    let server = Server::start(500, &[], vec![b'x'; 1 << 20]).await;
    let t = transport(&server.url(), ClientOptions::new());
    match t.get("info", &[], &mut |_: &Error| {}).await {
        Err(Error::Http {
            status, message, ..
        }) => assert!(status == 500 && message.len() < 1024),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn redirects_to_another_origin_are_not_followed() {
    let server = Server::start(
        307,
        &[("location", "http://127.0.0.1:9/elsewhere?sig=s3cret")],
        "",
    )
    .await;
    let t = transport(&server.url(), ClientOptions::new());
    let e = t.get("info", &[], &mut |_: &Error| {}).await.unwrap_err();
    assert_eq!(e.status(), Some(307));
    let text = e.to_string();
    assert!(
        text.contains("redirected to http://127.0.0.1:9") && !text.contains("s3cret"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_json_is_an_invalid_response_naming_the_type() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct ChatCompletion {
        id: String,
    }
    let server = Server::start(
        200,
        &[("content-type", "text/html")],
        "<html>gateway</html>",
    )
    .await;
    let t = transport(&server.url(), ClientOptions::new());
    let resp = t.get("info", &[], &mut |_: &Error| {}).await.unwrap();
    match read_json::<ChatCompletion>(resp, usize::MAX).await {
        Err(Error::InvalidResponse { reason, snippet }) => {
            assert!(
                reason.starts_with("expected a JSON ChatCompletion: "),
                "{reason}"
            );
            assert_eq!(snippet, "<html>gateway</html>");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_silent_server_is_a_read_timeout() {
    // Connections complete in the kernel's backlog; nothing ever answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let t = transport(
        &url,
        ClientOptions::new().with_read_timeout(Duration::from_millis(200)),
    );
    let e = t.get("info", &[], &mut |_: &Error| {}).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                phase: TimeoutPhase::Read,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("with_read_timeout"));
    drop(listener);
}

#[tokio::test]
async fn a_closed_port_is_a_connection_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let t = transport(&format!("http://{addr}"), ClientOptions::new());
    match t
        .post_json(
            "chat/completions",
            b"{}".to_vec().into(),
            &[],
            false,
            &mut |_: &Error| {},
        )
        .await
    {
        Err(Error::Connection { detail, source }) => {
            assert_eq!(detail, format!("connection refused by {addr}"));
            assert!(source.is_some());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bring_your_own_client_and_construction_errors() {
    let server = Server::start(200, &[JSON], "{}").await;
    let t = transport(
        &server.url(),
        ClientOptions::new().with_http_client(reqwest::Client::new()),
    );
    t.get("info", &[], &mut |_: &Error| {}).await.unwrap();
    assert_eq!(
        server.seen()[0].headers["user-agent"],
        crate::client::options::DEFAULT_USER_AGENT
    );

    let e = Transport::new(
        Endpoint::parse("https://x.models.ai.azure.com").unwrap(),
        Credential::api_key("k").unwrap(),
        &ClientOptions::new().with_api_version(""),
    )
    .unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidConfig {
            field: ConfigField::ApiVersion,
            ..
        }
    ));

    let d = format!("{t:?}");
    assert!(d.contains("api-key") && !d.contains("test-key-123"), "{d}");
    assert_eq!(t.endpoint().port(), server.addr.port());
    assert_eq!(t.api_version(), Some("2024-05-01-preview"));
}

#[test]
fn request_id_order_and_sanity() {
    let mut m = HeaderMap::new();
    m.insert("x-request-id", HeaderValue::from_static("x"));
    assert_eq!(request_id(&m).as_deref(), Some("x"));
    m.insert("apim-request-id", HeaderValue::from_static("apim"));
    assert_eq!(request_id(&m).as_deref(), Some("apim"));
    m.insert("x-ms-request-id", HeaderValue::from_static("has space"));
    assert_eq!(request_id(&m).as_deref(), Some("apim"));
    m.insert("x-ms-request-id", HeaderValue::from_static("ms"));
    assert_eq!(request_id(&m).as_deref(), Some("ms"));

    // Only a name's first value counts, as with `HeaderMap::get`.
    let mut m = HeaderMap::new();
    m.append("x-ms-request-id", HeaderValue::from_static(""));
    m.append("x-ms-request-id", HeaderValue::from_static("second"));
    m.insert("x-request-id", HeaderValue::from_static("x"));
    assert_eq!(request_id(&m).as_deref(), Some("x"));
    m.append("apim-request-id", HeaderValue::from_static("apim"));
    m.append("apim-request-id", HeaderValue::from_static("later"));
    assert_eq!(request_id(&m).as_deref(), Some("apim"));
    assert_eq!(request_id(&HeaderMap::new()), None);
}

#[test]
fn trace_headers_use_the_global_propagator() {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let sc = SpanContext::new(
        TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
        SpanId::from_hex("b7ad6b7169203331").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let cx = opentelemetry::Context::new().with_remote_span_context(sc);
    let h = crate::client::propagation::context_headers(&cx);
    assert_eq!(h[0].0, "traceparent");
    assert_eq!(
        h[0].1,
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    );
    assert!(
        crate::client::propagation::context_headers(&opentelemetry::Context::new())
            .iter()
            .all(|(name, _)| name != "traceparent")
    );
}

#[test]
fn short_type_names() {
    assert_eq!(short_type_name::<String>(), "String");
    assert_eq!(
        short_type_name::<Vec<crate::error::ErrorKind>>(),
        "Vec<ErrorKind>"
    );
    assert_eq!(
        short_type_name::<std::collections::HashMap<String, Option<u8>>>(),
        "HashMap<String, Option<u8>>"
    );
    assert_eq!(short_type_name::<[u8]>(), "[u8]");
}
