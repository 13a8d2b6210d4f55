//! [`Reply`]s of the Responses API: a whole response, and the typed
//! server-sent events of a streamed one (`event: <type>` + `data: {...}`,
//! no `[DONE]`), both from a [`ResponseAnswer`].

use super::adapt::Adapt;
use super::{Reply, SseItem};
use crate::testing::responses_wire::ResponseAnswer;
use crate::testing::wire::DEMO_MODEL;

impl Reply {
    /// A `200 application/json` Responses answer (`"object":"response"`)
    /// holding `answer`'s output items, status and usage (input and output
    /// token details included). Like the chat helpers, it echoes the
    /// request's `model` and counts the words of its `instructions` and
    /// `input` as `input_tokens` (pin them with
    /// [`ResponseAnswer::with_input_tokens`] or [`with_model`](Reply::with_model)).
    pub fn response(answer: ResponseAnswer) -> Self {
        let pinned = answer.pins_input_tokens();
        let body = answer.response(DEMO_MODEL, 1);
        Self::json(200, body).adapting(Adapt::responses(pinned))
    }

    /// A streamed Responses answer: `response.created`,
    /// `response.in_progress`, per output item `response.output_item.added`,
    /// its deltas (`response.output_text.delta` per word,
    /// `response.reasoning_summary_text.delta`,
    /// `response.function_call_arguments.delta`) and
    /// `response.output_item.done`, then the terminal event
    /// (`response.completed`, `response.incomplete`, `response.failed`) or,
    /// with [`ResponseAnswer::error_event`], an `error` event. Each event is
    /// `event: <type>` + `data: {...}`; there is no `data: [DONE]`. The
    /// stream modifiers apply ([`with_disconnect_after`](Reply::with_disconnect_after)
    /// cuts it, [`truncated_after`](Reply::truncated_after) ends it early).
    pub fn response_stream(answer: ResponseAnswer) -> Self {
        let pinned = answer.pins_input_tokens();
        let events = answer.stream_events(DEMO_MODEL, 1);
        Self::sse_items(events.into_iter().map(SseItem::Typed).collect())
            .without_done()
            .adapting(Adapt::responses(pinned))
    }
}
