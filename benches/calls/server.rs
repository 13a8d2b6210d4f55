//! The loopback HTTP/1.1 server every configuration of the benchmark talks
//! to: one thread per connection, keep-alive, canned answers chosen by the
//! request's `model`, written with `Content-Length` in one `write_all`.
//! It is also the pipeline's OTLP receiver: a request for `/v1/...`
//! (traces, metrics) is read whole, answered `200` and counted.
//!
//! It is deliberately plain (blocking `std::net`, no parsing beyond the
//! header block and `Content-Length`) so its own cost is small and the same
//! for the floor and for the crate. Its CPU is kept apart (see
//! [`Server::cpu`]) so the client side can be told from it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use super::cpu;

/// The scenarios, selected by the request's `"model"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A whole chat completion (about 600 bytes of JSON).
    Chat,
    /// An SSE answer of this many content chunks, then a usage chunk and `[DONE]`.
    Stream(usize),
    /// One SSE event whose data line is this many bytes, then `[DONE]`.
    BigEvent(usize),
    /// A whole Responses API answer (`benches/responses.rs`).
    Response,
    /// A streamed Responses API answer of this many text deltas, typed
    /// events as the service sends them (`benches/responses.rs`).
    ResponseStream(usize),
}

impl Answer {
    pub fn model(self) -> String {
        match self {
            Answer::Chat => "bench-chat".to_owned(),
            Answer::Stream(n) => format!("bench-stream-{n}"),
            Answer::BigEvent(n) => format!("bench-big-{n}"),
            Answer::Response => "bench-response".to_owned(),
            Answer::ResponseStream(n) => format!("bench-responses-{n}"),
        }
    }

    fn from_model(model: &str) -> Option<Answer> {
        if model == "bench-chat" {
            return Some(Answer::Chat);
        }
        if model == "bench-response" {
            return Some(Answer::Response);
        }
        if let Some(n) = model.strip_prefix("bench-responses-") {
            return n.parse().ok().map(Answer::ResponseStream);
        }
        if let Some(n) = model.strip_prefix("bench-stream-") {
            return n.parse().ok().map(Answer::Stream);
        }
        model
            .strip_prefix("bench-big-")
            .and_then(|n| n.parse().ok())
            .map(Answer::BigEvent)
    }

    /// The length of the body, in bytes.
    pub fn body_len(self) -> usize {
        self.body().1.len()
    }

    fn body(self) -> (&'static str, Vec<u8>) {
        match self {
            Answer::Chat => ("application/json", chat_body()),
            Answer::Stream(n) => ("text/event-stream", stream_body(n)),
            Answer::BigEvent(n) => ("text/event-stream", big_event_body(n)),
            Answer::Response => ("application/json", response_body()),
            Answer::ResponseStream(n) => ("text/event-stream", response_stream_body(n)),
        }
    }

    /// The full HTTP response, headers and body.
    fn response(self) -> Vec<u8> {
        let (content_type, body) = self.body();
        let mut out = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-request-id: bench-0001\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(&body);
        out
    }
}

fn chat_body() -> Vec<u8> {
    serde_json::json!({
        "id": "chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012",
        "object": "chat.completion",
        "created": 1_764_600_000u64,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "finish_reason": "stop",
            "message": {
                "role": "assistant",
                "content": "The capital of France is Paris. It has been the capital since the tenth century and is its largest city."
            }
        }],
        "usage": {"prompt_tokens": 24, "completion_tokens": 23, "total_tokens": 47}
    })
    .to_string()
    .into_bytes()
}

/// `n` content chunks of about 180 bytes each, the shape the service sends.
fn stream_body(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 190 + 512);
    for i in 0..n {
        let chunk = serde_json::json!({
            "id": "chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012",
            "object": "chat.completion.chunk",
            "created": 1_764_600_000u64,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "delta": {"content": format!("word{} ", i % 1000)}, "finish_reason": null}]
        });
        out.extend_from_slice(format!("data: {chunk}\n\n").as_bytes());
    }
    let last = serde_json::json!({
        "id": "chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012",
        "object": "chat.completion.chunk",
        "created": 1_764_600_000u64,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 24, "completion_tokens": n, "total_tokens": 24 + n}
    });
    out.extend_from_slice(format!("data: {last}\n\ndata: [DONE]\n\n").as_bytes());
    out
}

/// One event whose `data:` line is about `bytes` long (a huge tool-call
/// argument or a whole answer in one chunk), then a finishing chunk.
fn big_event_body(bytes: usize) -> Vec<u8> {
    let text = "x".repeat(bytes.saturating_sub(200));
    let chunk = serde_json::json!({
        "id": "chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": "stop"}]
    });
    format!("data: {chunk}\n\ndata: [DONE]\n\n").into_bytes()
}

/// The Responses API object of the benchmark's answers.
fn response_object(status: &str, text: &str, deltas: usize) -> serde_json::Value {
    serde_json::json!({
        "id": "resp_0123456789abcdef0123456789abcdef", "object": "response",
        "created_at": 1_764_600_000u64, "status": status, "error": null,
        "incomplete_details": null, "model": "gpt-5-mini-2025-08-07",
        "output": if text.is_empty() { serde_json::json!([]) } else { serde_json::json!([
            {"type": "reasoning", "id": "rs_0123456789abcdef", "summary": []},
            {"type": "message", "id": "msg_0123456789abcdef", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": text, "annotations": []}]}
        ]) },
        "usage": if status == "in_progress" { serde_json::Value::Null } else { serde_json::json!({
            "input_tokens": 24, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": deltas + 64, "output_tokens_details": {"reasoning_tokens": 64},
            "total_tokens": deltas + 88}) },
    })
}

fn response_body() -> Vec<u8> {
    response_object(
        "completed",
        "The capital of France is Paris. It has been the capital since the tenth century and is its largest city.",
        23,
    )
    .to_string()
    .into_bytes()
}

/// `n` `response.output_text.delta` events (about 190 bytes each) between
/// the opening and closing events of a message, then `response.completed`.
fn response_stream_body(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 200 + 4096);
    let mut seq = 0;
    let mut event = |out: &mut Vec<u8>, mut value: serde_json::Value| {
        value["sequence_number"] = seq.into();
        seq += 1;
        let kind = value["type"].as_str().unwrap_or_default().to_owned();
        out.extend_from_slice(format!("event: {kind}\ndata: {value}\n\n").as_bytes());
    };
    let started = response_object("in_progress", "", 0);
    event(
        &mut out,
        serde_json::json!({"type": "response.created", "response": started}),
    );
    event(
        &mut out,
        serde_json::json!({"type": "response.in_progress", "response": started}),
    );
    event(
        &mut out,
        serde_json::json!({"type": "response.output_item.added", "output_index": 0,
        "item": {"type": "message", "id": "msg_0123456789abcdef", "role": "assistant", "status": "in_progress", "content": []}}),
    );
    let mut text = String::new();
    for i in 0..n {
        let delta = format!("word{} ", i % 1000);
        text.push_str(&delta);
        event(
            &mut out,
            serde_json::json!({"type": "response.output_text.delta",
            "item_id": "msg_0123456789abcdef", "output_index": 0, "content_index": 0,
            "delta": delta, "logprobs": []}),
        );
    }
    event(
        &mut out,
        serde_json::json!({"type": "response.completed",
        "response": response_object("completed", &text, n)}),
    );
    out
}

/// A running server; its threads end with the process.
pub struct Server {
    pub addr: SocketAddr,
    cpu_us: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    otlp: Arc<AtomicU64>,
}

impl Server {
    pub fn start(answers: &[Answer]) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let responses: Arc<Vec<(String, Vec<u8>)>> =
            Arc::new(answers.iter().map(|a| (a.model(), a.response())).collect());
        let cpu_us = Arc::new(AtomicU64::new(0));
        let total = cpu_us.clone();
        let connections = Arc::new(AtomicU64::new(0));
        let accepted = connections.clone();
        let otlp = Arc::new(AtomicU64::new(0));
        let received = otlp.clone();
        thread::Builder::new()
            .name("bench-accept".into())
            .spawn(move || {
                for conn in listener.incoming().flatten() {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    let responses = responses.clone();
                    let total = total.clone();
                    let received = received.clone();
                    let _ = thread::Builder::new()
                        .name("bench-conn".into())
                        .spawn(move || serve(conn, &responses, &total, &received));
                }
            })
            .expect("spawn the accept thread");
        Server {
            addr,
            cpu_us,
            connections,
            otlp,
        }
    }

    /// OTLP requests (spans, metrics) received so far.
    pub fn otlp_requests(&self) -> u64 {
        self.otlp.load(Ordering::Relaxed)
    }

    /// Connections accepted so far (a client that reuses its connections
    /// opens one).
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// CPU time the connection threads used so far, in microseconds.
    pub fn cpu(&self) -> u64 {
        self.cpu_us.load(Ordering::Relaxed)
    }
}

const OTLP_OK: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";

fn serve(conn: TcpStream, responses: &[(String, Vec<u8>)], total: &AtomicU64, otlp: &AtomicU64) {
    let _ = conn.set_nodelay(true);
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::with_capacity(64 * 1024, conn);
    let mut line = String::new();
    let mut body = Vec::new();
    loop {
        let start = cpu::thread_us();
        // The header block.
        let mut content_length = 0usize;
        let mut first = true;
        let mut is_otlp = false;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            if first {
                first = false;
                is_otlp = line.contains(" /v1/");
                continue;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
        body.resize(content_length, 0);
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if is_otlp {
            otlp.fetch_add(1, Ordering::Relaxed);
            if writer.write_all(OTLP_OK).is_err() {
                return;
            }
            total.fetch_add(cpu::thread_us().saturating_sub(start), Ordering::Relaxed);
            continue;
        }
        let model = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("model")?.as_str().map(str::to_owned))
            .unwrap_or_default();
        let response = Answer::from_model(&model)
            .and_then(|_| responses.iter().find(|(m, _)| *m == model))
            .map(|(_, r)| r.as_slice())
            .unwrap_or(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        if writer.write_all(response).is_err() {
            return;
        }
        total.fetch_add(cpu::thread_us().saturating_sub(start), Ordering::Relaxed);
    }
}
