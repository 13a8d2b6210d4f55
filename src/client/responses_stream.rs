//! The streamed Responses answer: a `Stream` of typed events that owns its span.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::Stream;

use super::resend::{Resend, Resent};
use super::responses::failure;
use super::sse::{SseItem, SseStream};
use super::transport::{request_id, truncated};
use crate::error::{Error, Result};
use crate::models::ResponseStreamEvent;
use crate::telemetry::{OperationSpan, ResponsesStreamRecorder, StreamOutcome};

/// A streamed Responses API call: yields [`ResponseStreamEvent`]s as the
/// service sends them, decoded incrementally from server-sent events.
///
/// It owns the call's span (through a [`ResponsesStreamRecorder`], which
/// appends text, function-call argument and reasoning summary deltas to
/// their items while content recording is on) and ends it exactly once:
///
/// - as a success at `response.completed` or `response.incomplete` (the
///   event is yielded, then the stream ends);
/// - as a failure at `response.failed` or an `error` event (yielded as
///   [`Error::Service`] with the service's code), at the first event that
///   is not the expected JSON (`invalid_response`), at the read timeout, or
///   when the body ends or is cut before a terminal event
///   ([`Error::StreamTruncated`], `stream_truncated`);
/// - as `cancelled` when dropped before a terminal event.
///
/// A body that fails before its first event is sent again under the
/// client's [`RetryPolicy`](super::RetryPolicy), in the same span. Dropping
/// the stream stops reading the response. Events are bounded by
/// [`ClientOptions::with_max_event_bytes`](super::ClientOptions::with_max_event_bytes).
pub struct ResponsesStream {
    body: Body,
    resend: Option<Resend>,
    /// Events read so far.
    received: usize,
    max_event_bytes: usize,
    request_id: Option<String>,
    recorder: ResponsesStreamRecorder,
    /// The stream has ended (terminal event, failure).
    done: bool,
}

enum Body {
    Events(SseStream<ResponseStreamEvent>),
    Resending(Resent),
}

impl ResponsesStream {
    pub(crate) fn from_response(
        response: reqwest::Response,
        span: OperationSpan,
        resend: Resend,
        max_event_bytes: usize,
    ) -> Self {
        ResponsesStream {
            request_id: request_id(response.headers()),
            body: Body::Events(events(response, max_event_bytes)),
            resend: Some(resend),
            received: 0,
            max_event_bytes,
            recorder: ResponsesStreamRecorder::new(span),
            done: false,
        }
    }

    /// The response's request id (`x-ms-request-id`, `apim-request-id` or
    /// `x-request-id`), to quote to support.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    fn end(&mut self, outcome: StreamOutcome<'_>) {
        self.done = true;
        self.recorder.finish(outcome);
    }
}

/// What an event means for the stream: `Some(Ok)` at `response.completed`
/// or `response.incomplete` (a success), `Some(Err)` at `response.failed`
/// or an `error` event (the service's failure), `None` for the others. The
/// crate's stream and the instrumentation of other clients' streams
/// (`crate::instrument`) both end their spans by it.
pub(crate) fn terminal(
    event: &ResponseStreamEvent,
    request_id: Option<&str>,
) -> Option<Result<()>> {
    match event {
        ResponseStreamEvent::Completed { .. } | ResponseStreamEvent::Incomplete { .. } => {
            Some(Ok(()))
        }
        ResponseStreamEvent::Failed { response } => {
            Some(Err(failure(response.error.as_ref(), request_id)))
        }
        ResponseStreamEvent::Error { code, message, .. } => Some(Err(failure(
            Some(&crate::models::ResponseError {
                code: code.clone(),
                message: message.clone(),
            }),
            request_id,
        ))),
        _ => None,
    }
}

/// The failure of a body that ended after `received` events without a
/// terminal one.
pub(crate) fn ended_early(received: usize, request_id: Option<&str>) -> Error {
    Error::StreamTruncated {
        events: Some(received),
        unfinished: 1,
        request_id: request_id.map(str::to_owned),
        source: None,
    }
}

/// The body's events. An event that decodes is never the service's
/// `{"error": {...}}` (which has no `type`), so only undecodable data is
/// searched for one.
fn events(response: reqwest::Response, max_event_bytes: usize) -> SseStream<ResponseStreamEvent> {
    SseStream::from_response(response, max_event_bytes).error_only_if(|_| false)
}

impl Stream for ResponsesStream {
    type Item = Result<ResponseStreamEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            let error = match &mut this.body {
                Body::Resending(attempt) => match ready!(attempt.as_mut().poll(cx)) {
                    Ok(response) => {
                        this.request_id = request_id(response.headers());
                        if let (Some(span), Some(id)) = (this.recorder.span_mut(), &this.request_id)
                        {
                            span.record_request_id(id);
                        }
                        this.body = Body::Events(events(response, this.max_event_bytes));
                        continue;
                    }
                    Err(error) => {
                        if let (Some(span), Some(id)) =
                            (this.recorder.span_mut(), error.request_id())
                        {
                            span.record_request_id(id);
                        }
                        error
                    }
                },
                Body::Events(events) => match ready!(Pin::new(&mut *events).poll_next(cx)) {
                    Some(Ok(SseItem::Event(event))) => {
                        this.received += 1;
                        this.recorder.observe(&event, events.read_at());
                        match terminal(&event, this.request_id.as_deref()) {
                            Some(Ok(())) => this.end(StreamOutcome::Completed),
                            Some(Err(error)) => {
                                this.end(StreamOutcome::Failed(&error));
                                return Poll::Ready(Some(Err(error)));
                            }
                            None => {}
                        }
                        return Poll::Ready(Some(Ok(event)));
                    }
                    // Not part of this API's streams; nothing after it counts.
                    Some(Ok(SseItem::Done)) | None => {
                        ended_early(this.received, this.request_id.as_deref())
                    }
                    Some(Err(error)) => truncated(error, Some(this.received))
                        .with_request_id(this.request_id.as_deref()),
                },
            };
            if this.received == 0
                && let Some(attempt) = this.resend.as_mut().and_then(|r| r.after(&error))
            {
                if let Some(span) = this.recorder.span_mut() {
                    span.record_retry(&error);
                }
                this.body = Body::Resending(attempt);
                continue;
            }
            this.end(StreamOutcome::Failed(&error));
            return Poll::Ready(Some(Err(error)));
        }
    }
}

impl fmt::Debug for ResponsesStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponsesStream")
            .field("received", &self.received)
            .field("request_id", &self.request_id)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
