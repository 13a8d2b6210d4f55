//! The streamed chat answer: a `Stream` that owns its span.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::Stream;

use super::sse::{SseItem, SseStream};
use crate::error::{Error, Result};
use crate::models::StreamingChatCompletionsUpdate;
use crate::telemetry::{
    OperationSpan, StreamAccumulator, StreamOutcome, ToolCallDelta, UsageRecord,
};

/// A streamed chat completion: yields [`StreamingChatCompletionsUpdate`]s
/// as the service sends them, decoded incrementally from server-sent events.
///
/// It owns the call's span and a [`StreamAccumulator`], and ends the span
/// exactly once: after `data: [DONE]` (or a body that ended with every
/// choice finished), at the first error (`invalid_response`, `connection`,
/// `timeout`, or `stream_truncated` when the body ended early), or, when
/// dropped before any of those, as `cancelled`. Dropping it also stops
/// reading the response.
pub struct StreamingChatCompletions {
    events: SseStream<StreamingChatCompletionsUpdate>,
    /// `None` once the span has ended.
    state: Option<State>,
}

struct State {
    span: OperationSpan,
    accumulator: StreamAccumulator,
}

impl StreamingChatCompletions {
    pub(crate) fn new(
        events: SseStream<StreamingChatCompletionsUpdate>,
        span: OperationSpan,
    ) -> Self {
        let accumulator = StreamAccumulator::new(span.records_content());
        StreamingChatCompletions {
            events,
            state: Some(State { span, accumulator }),
        }
    }

    fn finish(&mut self, outcome: StreamOutcome<'_>) {
        if let Some(State { span, accumulator }) = self.state.take() {
            span.finish_stream(&accumulator, outcome);
        }
    }
}

impl State {
    /// Feeds one update to the span and the accumulator: no copy of the
    /// update, and no text kept unless content recording is on.
    fn observe(&mut self, update: &StreamingChatCompletionsUpdate) {
        self.span.record_chunk();
        let acc = &mut self.accumulator;
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
        if this.state.is_none() {
            return Poll::Ready(None);
        }
        match ready!(Pin::new(&mut this.events).poll_next(cx)) {
            Some(Ok(SseItem::Event(update))) => {
                if let Some(state) = this.state.as_mut() {
                    state.observe(&update);
                }
                Poll::Ready(Some(Ok(update)))
            }
            Some(Ok(SseItem::Done)) => {
                this.finish(StreamOutcome::Completed);
                Poll::Ready(None)
            }
            Some(Err(error)) => {
                this.finish(StreamOutcome::Failed(&error));
                Poll::Ready(Some(Err(error)))
            }
            None => {
                // The body ended without `[DONE]`: complete only if every
                // choice had finished, as some services omit the marker.
                let unfinished = this
                    .state
                    .as_ref()
                    .map_or(0, |state| state.accumulator.unfinished());
                if unfinished == 0 {
                    this.finish(StreamOutcome::Completed);
                    Poll::Ready(None)
                } else {
                    let error = Error::StreamTruncated { unfinished };
                    this.finish(StreamOutcome::Failed(&error));
                    Poll::Ready(Some(Err(error)))
                }
            }
        }
    }
}

impl Drop for StreamingChatCompletions {
    fn drop(&mut self) {
        self.finish(StreamOutcome::Cancelled);
    }
}

impl fmt::Debug for StreamingChatCompletions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingChatCompletions")
            .field("finished", &self.state.is_none())
            .finish_non_exhaustive()
    }
}
