//! A [`Reply`] on the wire: the HTTP response, SSE framing, delays and cut
//! connections.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue};
use tokio::sync::watch;

use super::{Reply, ReplyBody, SseItem, SseScript};
use crate::testing::request::RecordedRequest;

impl Reply {
    /// Turns the reply into a response for `request`. Waits (delay, per-event
    /// delays) give up as soon as `stop` turns true.
    pub(crate) async fn into_response(
        mut self,
        request: &RecordedRequest,
        mut stop: watch::Receiver<bool>,
    ) -> Response {
        if !self.delay.is_zero() && !sleep_unless_stopped(self.delay, &mut stop).await {
            return cut_response();
        }
        self.adapt_to(request);

        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = match self.body {
            ReplyBody::Json(value) => {
                let bytes = serde_json::to_vec(&value).unwrap_or_default();
                with_content_type(Response::new(Body::from(bytes)), "application/json")
            }
            ReplyBody::Raw {
                content_type,
                bytes,
            } => with_content_type(Response::new(Body::from(bytes)), &content_type),
            ReplyBody::Sse(sse) => {
                let mut response =
                    with_content_type(Response::new(sse_body(sse, stop)), "text/event-stream");
                response
                    .headers_mut()
                    .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            }
            ReplyBody::Recorded { chunks, cut } => Response::new(recorded_body(chunks, cut, stop)),
            ReplyBody::Disconnect => cut_response(),
        };
        *response.status_mut() = status;

        // The first value of a name replaces any default; later values of
        // the same name (a recorded answer's `set-cookie`s) are added.
        let headers = response.headers_mut();
        let mut set: Vec<HeaderName> = Vec::new();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                if set.contains(&name) {
                    headers.append(name, value);
                } else {
                    headers.insert(name.clone(), value);
                    set.push(name);
                }
            }
        }
        response
    }
}

fn with_content_type(mut response: Response, content_type: &str) -> Response {
    if !content_type.is_empty()
        && let Ok(value) = HeaderValue::from_str(content_type)
    {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

/// Sleeps `delay`; `false` if the server stopped first.
async fn sleep_unless_stopped(delay: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        _ = stop.wait_for(|stopped| *stopped) => false,
    }
}

fn cut_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the mock server cut the connection",
    )
}

/// A response whose body fails at once: hyper aborts the connection.
pub(crate) fn cut_response() -> Response {
    let stream = futures::stream::once(async { Err::<Bytes, io::Error>(cut_error()) });
    Response::new(Body::from_stream(stream))
}

enum Frame {
    Bytes(Bytes),
    Cut,
}

fn encode_item(item: &SseItem) -> Bytes {
    let mut out = String::new();
    // The Responses API names each event before its data.
    if let SseItem::Typed(value) = item
        && let Some(kind) = value.get("type").and_then(serde_json::Value::as_str)
    {
        out.push_str("event: ");
        out.push_str(kind);
        out.push('\n');
    }
    let mut data_lines = |payload: &str| {
        for line in payload.split('\n') {
            out.push_str("data: ");
            out.push_str(line.strip_suffix('\r').unwrap_or(line));
            out.push('\n');
        }
    };
    match item {
        SseItem::Data(payload) => data_lines(payload),
        SseItem::Json(value) | SseItem::Typed(value) => data_lines(&value.to_string()),
        SseItem::Raw(line) => {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    Bytes::from(out)
}

fn sse_body(sse: SseScript, stop: watch::Receiver<bool>) -> Body {
    let mut frames: VecDeque<Frame> = sse
        .items
        .iter()
        .map(|item| Frame::Bytes(encode_item(item)))
        .collect();
    match sse.disconnect_after {
        Some(n) => {
            frames.truncate(n);
            frames.push_back(Frame::Cut);
        }
        None if sse.done => frames.push_back(Frame::Bytes(Bytes::from_static(b"data: [DONE]\n\n"))),
        None => {}
    }
    let delay = sse.event_delay;
    let stream = futures::stream::unfold(Some((frames, stop)), move |state| async move {
        let (mut frames, mut stop) = state?;
        let frame = frames.pop_front()?;
        if !delay.is_zero() && !sleep_unless_stopped(delay, &mut stop).await {
            return Some((Err(cut_error()), None));
        }
        match frame {
            Frame::Bytes(bytes) => Some((Ok(bytes), Some((frames, stop)))),
            Frame::Cut => {
                // hyper flushes what it buffered (status, headers, earlier
                // events) whenever the body is pending: let it, so that the
                // client gets them before the connection is cut.
                tokio::task::yield_now().await;
                Some((Err(cut_error()), None))
            }
        }
    });
    Body::from_stream(stream)
}

/// A recorded answer's body: each chunk after its wait, then a cut when the
/// recording was cut.
fn recorded_body(chunks: Vec<(Duration, Bytes)>, cut: bool, stop: watch::Receiver<bool>) -> Body {
    let mut frames: VecDeque<(Duration, Frame)> = chunks
        .into_iter()
        .map(|(wait, bytes)| (wait, Frame::Bytes(bytes)))
        .collect();
    if cut {
        frames.push_back((Duration::ZERO, Frame::Cut));
    }
    let stream = futures::stream::unfold(Some((frames, stop)), |state| async move {
        let (mut frames, mut stop) = state?;
        let (wait, frame) = frames.pop_front()?;
        if !wait.is_zero() && !sleep_unless_stopped(wait, &mut stop).await {
            return Some((Err(cut_error()), None));
        }
        match frame {
            Frame::Bytes(bytes) => Some((Ok(bytes), Some((frames, stop)))),
            Frame::Cut => {
                tokio::task::yield_now().await;
                Some((Err(cut_error()), None))
            }
        }
    });
    Body::from_stream(stream)
}
