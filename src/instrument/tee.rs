//! The answer's body on its way to the caller: every frame passes through
//! as it arrives, and a copy of its bytes goes to the [`Observer`], which
//! ends the span when the body ends, fails or is dropped.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::route::Route;
use crate::client::chat;
use crate::client::embeddings;
use crate::client::sse::{EventDecoder, SseItem};
use crate::client::stream::{ChatStreamState, may_be_error};
use crate::client::transport::{
    MAX_ERROR_BODY, classify_reqwest_error, decode_answer, not_event_stream,
    not_event_stream_error, truncated,
};
use crate::client::{responses, responses_stream};
use crate::error::Error;
use crate::models::{
    ChatCompletions, EmbeddingsResult, ResponseStreamEvent, StreamingChatCompletionsUpdate,
};
use crate::net::retry_after;
use crate::telemetry::{OperationSpan, ResponsesStreamRecorder, StreamOutcome};

/// A response body that hands every frame on unchanged and shows its data
/// to an [`Observer`].
pub(crate) struct TeeBody<B> {
    inner: B,
    observer: Observer,
}

impl<B> TeeBody<B> {
    pub(crate) fn new(inner: B, observer: Observer) -> Self {
        TeeBody { inner, observer }
    }
}

impl<B> Body for TeeBody<B>
where
    B: Body<Data = Bytes, Error = reqwest::Error> + Unpin,
{
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, reqwest::Error>>> {
        let this = &mut *self;
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.observer.chunk(data);
                }
            }
            Some(Err(e)) => this.observer.failed(e),
            None => this.observer.ended(),
        }
        Poll::Ready(frame)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What the span needs from an answer, by the kind of answer.
pub(crate) struct Observer {
    mode: Mode,
}

enum Mode {
    /// A whole JSON answer, kept (up to `limit` bytes) to be decoded once complete.
    Answer {
        span: OperationSpan,
        route: Route,
        /// The embeddings `dimensions` asked for.
        dimensions: Option<u32>,
        body: Vec<u8>,
        limit: usize,
        /// The answer outgrew `limit`: the span ends without its details.
        overflow: bool,
        request_id: Option<String>,
    },
    /// A streamed chat answer, decoded event by event as it passes.
    Events(Box<Events>),
    /// A streamed Responses answer, decoded event by event as it passes.
    ResponseEvents(Box<ResponseEvents>),
    /// A non-success status: the error body (its first 64 KiB) gives the
    /// service's error code, as for the crate's client.
    Status {
        span: OperationSpan,
        status: u16,
        retry_after: Option<std::time::Duration>,
        request_id: Option<String>,
        body: Vec<u8>,
    },
    /// The span has ended; the rest of the body only passes through.
    Ended,
}

impl Observer {
    /// The observer of `response`, the answer to a `route` request (streamed
    /// or not; for embeddings, the `dimensions` it asked for). `max_bytes`
    /// bounds what a whole answer or one event may hold.
    pub(crate) fn new(
        span: OperationSpan,
        (route, dimensions): (Route, Option<u32>),
        streamed: bool,
        response: &reqwest::Response,
        request_id: Option<String>,
        max_bytes: usize,
    ) -> Self {
        let status = response.status();
        let mode = if !status.is_success() {
            Mode::Status {
                span,
                status: status.as_u16(),
                retry_after: retry_after(response.headers(), SystemTime::now()),
                request_id,
                body: Vec::new(),
            }
        } else if streamed {
            match not_event_stream(response.headers()) {
                Some(content_type) => {
                    span.fail(&not_event_stream_error(&content_type, b""));
                    Mode::Ended
                }
                None if route == Route::Responses => {
                    Mode::ResponseEvents(Box::new(ResponseEvents {
                        recorder: ResponsesStreamRecorder::new(span),
                        // An event that decodes is never the service's error object.
                        decoder: EventDecoder::new(max_bytes, |_| false),
                        received: 0,
                        request_id,
                    }))
                }
                None => Mode::Events(Box::new(Events {
                    state: ChatStreamState::new(span),
                    decoder: EventDecoder::new(max_bytes, may_be_error),
                    received: 0,
                    request_id,
                })),
            }
        } else {
            Mode::Answer {
                span,
                route,
                dimensions,
                body: Vec::new(),
                limit: max_bytes,
                overflow: false,
                request_id,
            }
        };
        Observer { mode }
    }

    fn chunk(&mut self, data: &[u8]) {
        match &mut self.mode {
            Mode::Answer {
                body,
                limit,
                overflow,
                ..
            } => {
                if *overflow || body.len() + data.len() > *limit {
                    *overflow = true;
                    *body = Vec::new();
                } else {
                    body.extend_from_slice(data);
                }
            }
            Mode::Events(events) => {
                let Events {
                    state,
                    decoder,
                    received,
                    request_id,
                } = &mut **events;
                let arrived = Instant::now();
                if let Err(error) = decoder.feed(data) {
                    return self.finish_events(StreamEnd::Failed(error));
                }
                let end = loop {
                    match decoder.next() {
                        None => return,
                        Some(Ok(SseItem::Event(update))) => {
                            *received += 1;
                            state.observe(&update, arrived);
                        }
                        Some(Ok(SseItem::Done)) => break StreamEnd::Completed,
                        Some(Err(error)) => {
                            break StreamEnd::Failed(error.with_request_id(request_id.as_deref()));
                        }
                    }
                };
                self.finish_events(end);
            }
            Mode::ResponseEvents(events) => {
                if events.chunk(data) {
                    self.mode = Mode::Ended;
                }
            }
            Mode::Status { body, .. } => {
                let take = data.len().min(MAX_ERROR_BODY - body.len());
                body.extend_from_slice(&data[..take]);
            }
            Mode::Ended => {}
        }
    }

    fn failed(&mut self, e: &reqwest::Error) {
        match std::mem::replace(&mut self.mode, Mode::Ended) {
            Mode::Answer {
                span, request_id, ..
            } => {
                let error = truncated(classify_reqwest_error(e), None)
                    .with_request_id(request_id.as_deref());
                span.fail(&error);
            }
            Mode::Events(events) => {
                let error = truncated(classify_reqwest_error(e), Some(events.received))
                    .with_request_id(events.request_id.as_deref());
                events.state.finish(StreamOutcome::Failed(&error));
            }
            Mode::ResponseEvents(events) => events.end(Some(e)),
            // As for the crate's client: the status says enough.
            status @ Mode::Status { .. } => {
                self.mode = status;
                self.ended();
            }
            Mode::Ended => {}
        }
    }

    fn ended(&mut self) {
        if let Mode::Events(events) = &mut self.mode {
            let end = match events.decoder.end() {
                Err(error) => StreamEnd::Failed(error),
                Ok(()) => StreamEnd::BodyEnded,
            };
            return self.finish_events(end);
        }
        match std::mem::replace(&mut self.mode, Mode::Ended) {
            Mode::Answer {
                mut span,
                route,
                dimensions,
                body,
                overflow,
                request_id,
                ..
            } => {
                if overflow {
                    // Too large to keep: the call succeeded, its details are not recorded.
                    return span.end();
                }
                let id = request_id.as_deref();
                let result = match route {
                    Route::Chat => decode_answer::<ChatCompletions>(&body, id)
                        .map(|answer| span.record_response(&chat::response_record(&answer))),
                    Route::Responses => {
                        // `finish` ends the span (a `failed` response fails it).
                        match responses::decode(&body, id) {
                            Ok(answer) => drop(responses::finish(span, answer)),
                            Err(error) => span.fail(&error),
                        }
                        return;
                    }
                    Route::Embeddings | Route::ImageEmbeddings => {
                        decode_answer::<EmbeddingsResult>(&body, id)
                            .map(|answer| embeddings::record_answer(&mut span, dimensions, &answer))
                    }
                };
                match result {
                    Ok(()) => span.end(),
                    Err(error) => span.fail(&error),
                }
            }
            Mode::Status {
                span,
                status,
                retry_after,
                request_id,
                body,
            } => {
                span.fail(&Error::http(status, &body, retry_after, request_id));
            }
            Mode::ResponseEvents(events) => events.end(None),
            Mode::Events(_) | Mode::Ended => {}
        }
    }

    /// Ends a stream's span.
    fn finish_events(&mut self, end: StreamEnd) {
        let Mode::Events(events) = std::mem::replace(&mut self.mode, Mode::Ended) else {
            return;
        };
        let Events {
            state,
            received,
            request_id,
            ..
        } = *events;
        match end {
            StreamEnd::Completed => state.finish(StreamOutcome::Completed),
            StreamEnd::Failed(error) => state.finish(StreamOutcome::Failed(&error)),
            StreamEnd::BodyEnded => match state.ended_without_done(received, request_id.as_deref())
            {
                Some(error) => state.finish(StreamOutcome::Failed(&error)),
                None => state.finish(StreamOutcome::Completed),
            },
        }
    }
}

/// A stream being observed.
struct Events {
    state: ChatStreamState,
    decoder: EventDecoder<StreamingChatCompletionsUpdate>,
    received: usize,
    request_id: Option<String>,
}

/// A Responses stream being observed.
struct ResponseEvents {
    recorder: ResponsesStreamRecorder,
    decoder: EventDecoder<ResponseStreamEvent>,
    received: usize,
    request_id: Option<String>,
}

impl ResponseEvents {
    /// Takes one chunk: `true` once the span has ended.
    fn chunk(&mut self, data: &[u8]) -> bool {
        let arrived = Instant::now();
        if let Err(error) = self.decoder.feed(data) {
            self.recorder.finish(StreamOutcome::Failed(&error));
            return true;
        }
        while let Some(item) = self.decoder.next() {
            let event = match item {
                Ok(SseItem::Event(event)) => event,
                Ok(SseItem::Done) => {
                    let error =
                        responses_stream::ended_early(self.received, self.request_id.as_deref());
                    self.recorder.finish(StreamOutcome::Failed(&error));
                    return true;
                }
                Err(error) => {
                    let error = error.with_request_id(self.request_id.as_deref());
                    self.recorder.finish(StreamOutcome::Failed(&error));
                    return true;
                }
            };
            self.received += 1;
            self.recorder.observe(&event, arrived);
            match responses_stream::terminal(&event, self.request_id.as_deref()) {
                Some(Ok(())) => {
                    self.recorder.finish(StreamOutcome::Completed);
                    return true;
                }
                Some(Err(error)) => {
                    self.recorder.finish(StreamOutcome::Failed(&error));
                    return true;
                }
                None => {}
            }
        }
        false
    }

    /// The body ended, or failed with `failure`.
    fn end(mut self, failure: Option<&reqwest::Error>) {
        let error = match failure {
            Some(e) => truncated(classify_reqwest_error(e), Some(self.received))
                .with_request_id(self.request_id.as_deref()),
            None => match self.decoder.end() {
                Err(error) => error,
                Ok(()) => responses_stream::ended_early(self.received, self.request_id.as_deref()),
            },
        };
        self.recorder.finish(StreamOutcome::Failed(&error));
    }
}

/// How a stream's body came to an end.
enum StreamEnd {
    /// `data: [DONE]`.
    Completed,
    /// The body ended without `[DONE]`: complete only if every choice finished.
    BodyEnded,
    /// A bad event, an error event or a failed read.
    Failed(Error),
}

impl Drop for Observer {
    /// The caller dropped the body: a stream whose choices had all finished
    /// is complete, others are `cancelled`; an error answer fails with what
    /// was read of it; a whole answer not read to its end is `cancelled`.
    fn drop(&mut self) {
        match std::mem::replace(&mut self.mode, Mode::Ended) {
            Mode::Events(events) => {
                let outcome = events.state.dropped_outcome();
                events.state.finish(outcome);
            }
            status @ Mode::Status { .. } => {
                self.mode = status;
                self.ended();
            }
            // The span's (and the Responses recorder's) own `Drop` ends it
            // as `cancelled`.
            Mode::Answer { .. } | Mode::ResponseEvents(_) | Mode::Ended => {}
        }
    }
}
