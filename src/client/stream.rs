//! The streamed chat answer: a `Stream` that owns its span.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use futures::Stream;

use super::resend::{Resend, Resent};
use super::sse::{SseItem, SseStream};
use super::transport::{request_id, truncated};
use crate::error::{Error, Result};
use crate::models::StreamingChatCompletionsUpdate;
use crate::telemetry::{
    OperationSpan, StreamAccumulator, StreamOutcome, ToolCallDelta, UsageRecord,
};

/// A streamed chat completion: yields [`StreamingChatCompletionsUpdate`]s
/// as the service sends them, decoded incrementally from server-sent events.
///
/// It owns the call's span and a [`StreamAccumulator`], and ends the span
/// exactly once:
///
/// - as a success after `data: [DONE]`, or when the body ends, or the
///   stream is dropped, once every choice has a finish reason (the usage
///   chunk and `[DONE]` may then never be read);
/// - as a failure at the first error: `invalid_response`, an error event
///   from the service ([`Error::Service`], `error.type` its code),
///   `timeout` (no data for the read timeout), or `stream_truncated` when
///   the body was cut or ended early (its message says after how many
///   events);
/// - as `cancelled` when dropped before any of those.
///
/// A body that fails before its first event (cut, stalled, ended empty) is
/// sent again under the client's [`RetryPolicy`](super::RetryPolicy), in
/// the same span; once an event reached the caller, nothing is retried.
///
/// Dropping it also stops reading the response. Errors carry the response's
/// request id.
pub struct StreamingChatCompletions {
    body: Body,
    /// Sends the request again while no event was yielded.
    resend: Option<Resend>,
    /// Events yielded so far.
    received: usize,
    /// The largest event a body may hold (`ClientOptions::with_max_event_bytes`),
    /// kept for the bodies of resent attempts.
    max_event_bytes: usize,
    request_id: Option<String>,
    /// `None` once the span has ended.
    state: Option<ChatStreamState>,
}

/// The telemetry of one streamed chat answer: its span and what the
/// updates told so far. The crate's stream and the instrumentation of other
/// clients' streams (`crate::instrument`) both record through it, so a
/// streamed call looks the same whichever client made it.
pub(crate) struct ChatStreamState {
    pub(crate) span: OperationSpan,
    accumulator: StreamAccumulator,
    /// Whether anything records more than the finish reasons
    /// ([`OperationSpan::records_stream_details`]), asked once per stream.
    details: bool,
}

enum Body {
    Events(SseStream<StreamingChatCompletionsUpdate>),
    /// Waiting out the backoff, then for the next attempt's response.
    Resending(Resent),
}

impl StreamingChatCompletions {
    /// Decodes the body of an accepted streaming request.
    pub(crate) fn from_response(
        response: reqwest::Response,
        span: OperationSpan,
        resend: Resend,
        max_event_bytes: usize,
    ) -> Self {
        let request_id = request_id(response.headers());
        let events = update_events(response, max_event_bytes);
        let mut stream = Self::new(events, request_id, span, max_event_bytes);
        stream.resend = Some(resend);
        stream
    }

    pub(crate) fn new(
        events: SseStream<StreamingChatCompletionsUpdate>,
        request_id: Option<String>,
        span: OperationSpan,
        max_event_bytes: usize,
    ) -> Self {
        StreamingChatCompletions {
            body: Body::Events(events),
            resend: None,
            received: 0,
            max_event_bytes,
            request_id,
            state: Some(ChatStreamState::new(span)),
        }
    }

    /// The response's request id (`x-ms-request-id`, `apim-request-id` or
    /// `x-request-id`), to quote to support.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// An error met while reading the body: the response had arrived, so a
    /// failure to read on is a cut stream, never `connection`.
    fn body_failure(&self, error: Error) -> Error {
        truncated(error, Some(self.received)).with_request_id(self.request_id.as_deref())
    }

    fn finish(&mut self, outcome: StreamOutcome<'_>) {
        if let Some(state) = self.state.take() {
            state.finish(outcome);
        }
    }
}

/// The body's events as updates. Any update whose top-level object has a
/// non-null `error` fails the stream (TELEMETRY.md §7), also one that
/// carries choices and usage too, as OpenAI-compatible gateways send after
/// the last content chunk. The update decodes `error` itself, so telling
/// costs nothing more per chunk; only a failing event is read a second
/// time, for the error's code and message.
fn update_events(
    response: reqwest::Response,
    max_event_bytes: usize,
) -> SseStream<StreamingChatCompletionsUpdate> {
    SseStream::from_response(response, max_event_bytes).error_only_if(may_be_error)
}

/// Whether an update may be the service's error object: the update decodes
/// the `error` key itself.
pub(crate) fn may_be_error(update: &StreamingChatCompletionsUpdate) -> bool {
    update.error.is_some()
}

impl ChatStreamState {
    pub(crate) fn new(span: OperationSpan) -> Self {
        let accumulator = StreamAccumulator::new(span.records_content());
        let details = span.records_stream_details();
        ChatStreamState {
            span,
            accumulator,
            details,
        }
    }

    /// Ends the span with what the updates told.
    pub(crate) fn finish(self, outcome: StreamOutcome<'_>) {
        self.span.finish_stream(&self.accumulator, outcome);
    }

    /// How the stream ends when the body ends without `[DONE]` after
    /// `received` events: complete (`None`) only if every choice had
    /// finished, as some services omit the marker; else truncated.
    pub(crate) fn ended_without_done(
        &self,
        received: usize,
        request_id: Option<&str>,
    ) -> Option<Error> {
        let unfinished = self.accumulator.unfinished();
        (unfinished > 0).then(|| Error::StreamTruncated {
            events: Some(received),
            unfinished,
            request_id: request_id.map(str::to_owned),
            source: None,
        })
    }

    /// How a stream the caller drops ends: a caller that stops reading once
    /// every choice has finished got the whole answer, a success.
    pub(crate) fn dropped_outcome(&self) -> StreamOutcome<'static> {
        if self.accumulator.all_finished() {
            StreamOutcome::Completed
        } else {
            StreamOutcome::Cancelled
        }
    }

    /// Feeds one update to the span and the accumulator: no copy of the
    /// update, and no text kept unless content recording is on. When
    /// nothing records the details, only the finish reasons are kept: the
    /// stream itself needs them (a body that ends without `[DONE]` is
    /// complete only if every choice finished).
    pub(crate) fn observe(&mut self, update: &StreamingChatCompletionsUpdate, arrived: Instant) {
        let acc = &mut self.accumulator;
        if !self.details {
            for choice in &update.choices {
                let finish = choice.finish_reason.as_ref().map(|f| f.as_str());
                acc.observe_delta(choice.index, None, finish);
            }
            return;
        }
        self.span.record_chunk_at(arrived);
        acc.observe_ids(Some(update.id.as_str()), update.model.as_deref());
        if let Some(usage) = &update.usage {
            acc.observe_usage(UsageRecord::from(usage));
        }
        for choice in &update.choices {
            let delta = choice.delta.as_ref();
            let content = delta.and_then(|d| d.content.as_deref());
            let finish = choice.finish_reason.as_ref().map(|f| f.as_str());
            acc.observe_delta(choice.index, content, finish);
            if let Some(reasoning) = delta.and_then(|d| d.reasoning_content.as_deref()) {
                acc.observe_reasoning(choice.index, reasoning);
            }
            for call in delta
                .and_then(|d| d.tool_calls.as_deref())
                .unwrap_or_default()
            {
                let function = call.function.as_ref();
                acc.observe_tool_call(
                    choice.index,
                    ToolCallDelta {
                        call_index: call.index,
                        id: call.id.as_deref(),
                        kind: call.r#type.as_deref(),
                        name: function.and_then(|f| f.name.as_deref()),
                        arguments: function.and_then(|f| f.arguments.as_deref()),
                    },
                );
            }
        }
    }
}

impl Stream for StreamingChatCompletions {
    type Item = Result<StreamingChatCompletionsUpdate>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.state.is_none() {
                return Poll::Ready(None);
            }
            let error = match &mut this.body {
                Body::Resending(attempt) => match ready!(attempt.as_mut().poll(cx)) {
                    Ok(response) => {
                        this.request_id = request_id(response.headers());
                        if let (Some(state), Some(id)) = (this.state.as_mut(), &this.request_id) {
                            state.span.record_request_id(id);
                        }
                        this.body = Body::Events(update_events(response, this.max_event_bytes));
                        continue;
                    }
                    // No response this time: `connection`, a status, ...
                    Err(error) => {
                        if let (Some(state), Some(id)) = (this.state.as_mut(), error.request_id()) {
                            state.span.record_request_id(id);
                        }
                        error
                    }
                },
                Body::Events(events) => match ready!(Pin::new(&mut *events).poll_next(cx)) {
                    Some(Ok(SseItem::Event(update))) => {
                        this.received += 1;
                        if let Some(state) = this.state.as_mut() {
                            state.observe(&update, events.read_at());
                        }
                        return Poll::Ready(Some(Ok(update)));
                    }
                    Some(Ok(SseItem::Done)) => {
                        this.finish(StreamOutcome::Completed);
                        return Poll::Ready(None);
                    }
                    Some(Err(error)) => this.body_failure(error),
                    None => {
                        let cut = this.state.as_ref().and_then(|state| {
                            state.ended_without_done(this.received, this.request_id.as_deref())
                        });
                        match cut {
                            Some(error) => error,
                            None => {
                                this.finish(StreamOutcome::Completed);
                                return Poll::Ready(None);
                            }
                        }
                    }
                },
            };
            // Nothing reached the caller yet: the request may go again.
            if this.received == 0
                && let Some(attempt) = this.resend.as_mut().and_then(|r| r.after(&error))
            {
                if let Some(state) = this.state.as_mut() {
                    state.span.record_retry(&error);
                }
                this.body = Body::Resending(attempt);
                continue;
            }
            this.finish(StreamOutcome::Failed(&error));
            return Poll::Ready(Some(Err(error)));
        }
    }
}

impl Drop for StreamingChatCompletions {
    /// A caller that stops reading once every choice has finished got the
    /// whole answer: that is a success, not a cancellation.
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            let outcome = state.dropped_outcome();
            state.finish(outcome);
        }
    }
}

impl fmt::Debug for StreamingChatCompletions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingChatCompletions")
            .field("received", &self.received)
            .field("request_id", &self.request_id)
            .field("finished", &self.state.is_none())
            .finish_non_exhaustive()
    }
}
