//! Scripted answers: the public [`Reply`] builder.
//!
//! Rooms: this file builds replies; [`adapt`] fits a realistic helper's body
//! to the request it answers (model, token counts, embedding encoding);
//! [`encode`] turns a reply into the HTTP response (JSON, raw bytes, SSE
//! frames, delays and cut connections); [`details`] adds the 2025-04-01
//! API's token details and reasoning content.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};

use super::wire;

mod adapt;
mod details;
mod encode;
mod responses;
mod traffic;

use adapt::Adapt;
pub(crate) use encode::cut_response;

/// One scripted answer of a [`MockInferenceServer`](super::MockInferenceServer).
///
/// Build one with a constructor, then adjust it with the `with_*` methods:
///
/// | constructor | answers |
/// |---|---|
/// | [`json`](Reply::json) | any JSON body with any status |
/// | [`raw`](Reply::raw) | any bytes with any status and content type (e.g. invalid JSON) |
/// | [`error`](Reply::error) | the service's error shape `{"error":{"code","message","status"}}` |
/// | [`sse`](Reply::sse) | a server-sent-event stream of raw `data:` payloads |
/// | [`disconnect`](Reply::disconnect) | no answer: the connection is cut |
/// | [`chat_completion`](Reply::chat_completion), [`chat_tool_calls`](Reply::chat_tool_calls), [`chat_choices`](Reply::chat_choices) | a realistic `chat.completion` |
/// | [`chat_stream`](Reply::chat_stream), [`chat_stream_tool_call`](Reply::chat_stream_tool_call) | a realistic streamed chat completion |
/// | [`embeddings`](Reply::embeddings) | a realistic embeddings result |
/// | [`model_info`](Reply::model_info) | a `GET /info` answer |
/// | [`in_band_error`](Reply::in_band_error) | a 200 whose body is `{"error":{"code","message"}}` |
/// | [`response`](Reply::response), [`response_stream`](Reply::response_stream) | a Responses API answer, whole or as typed events, from a [`ResponseAnswer`](super::ResponseAnswer) |
///
/// Real-traffic adjustments (`traffic.rs`): [`with_error_event`](Reply::with_error_event)
/// (an SSE `{"error"}` event mid-stream), [`with_request_id`](Reply::with_request_id)
/// (`x-ms-request-id`), [`with_retry_after`](Reply::with_retry_after)
/// (`retry-after-ms`); a stream cut after N events is
/// [`with_disconnect_after`](Reply::with_disconnect_after).
///
/// Reasoning models and token details: [`with_reasoning`](Reply::with_reasoning)
/// (`reasoning_content` in the message or in stream deltas) and
/// [`with_token_details`](Reply::with_token_details) (cached and reasoning
/// token counts in `usage`).
///
/// The realistic helpers adapt to the request they answer, as the service
/// would: `model` is the request's `model` when it names one (else
/// `"demo-model"`; pin it with [`with_model`](Reply::with_model)),
/// `usage.prompt_tokens` counts the whitespace-separated words of the
/// request's messages or inputs (pin it with [`with_usage`](Reply::with_usage)),
/// and [`embeddings`](Reply::embeddings) are base64-encoded when the request
/// asks for `"encoding_format": "base64"`. [`json`](Reply::json),
/// [`raw`](Reply::raw) and [`sse`](Reply::sse) are sent exactly as given.
///
/// ```
/// use std::time::Duration;
/// use azure_ai_inference_otel::testing::Reply;
///
/// let throttled = Reply::error(429, "RateLimitExceeded", "slow down").with_header("retry-after", "2");
/// let slow = Reply::chat_completion("finally").with_delay(Duration::from_secs(30));
/// let cut = Reply::chat_stream(&["Hel", "lo", " world"]).with_disconnect_after(2);
/// let garbled = Reply::sse([r#"{"id":"x","choices":[]}"#]).with_malformed_line(0, "data: {not json");
/// # let _ = (throttled, slow, cut, garbled);
/// ```
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: ReplyBody,
    delay: Duration,
    adapt: Adapt,
}

#[derive(Debug, Clone)]
enum ReplyBody {
    Json(Value),
    Raw {
        content_type: String,
        bytes: Bytes,
    },
    Sse(SseScript),
    /// A recorded answer: each chunk after its wait, then a cut if the
    /// recording was cut.
    Recorded {
        chunks: Vec<(Duration, Bytes)>,
        cut: bool,
    },
    Disconnect,
}

#[derive(Debug, Clone)]
struct SseScript {
    items: Vec<SseItem>,
    done: bool,
    event_delay: Duration,
    disconnect_after: Option<usize>,
}

#[derive(Debug, Clone)]
enum SseItem {
    /// A raw `data:` payload.
    Data(String),
    /// A JSON payload (patchable: model, usage).
    Json(Value),
    /// A line written verbatim, followed by a blank line.
    Raw(String),
    /// A typed JSON payload (patchable), written after an `event: <type>`
    /// line (the Responses API's streams).
    Typed(Value),
}

impl Reply {
    fn new(status: u16, body: ReplyBody) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
            delay: Duration::ZERO,
            adapt: Adapt::default(),
        }
    }

    /// A JSON body (`content-type: application/json`) with `status`, sent
    /// exactly as given. A status outside 100..=999 is sent as 500.
    pub fn json(status: u16, body: Value) -> Self {
        Self::new(status, ReplyBody::Json(body))
    }

    /// Any bytes with `status` and `content_type` (none when empty), sent
    /// exactly as given: use it for invalid JSON, HTML error pages and the like.
    pub fn raw(status: u16, content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self::new(
            status,
            ReplyBody::Raw {
                content_type: content_type.into(),
                bytes: body.into(),
            },
        )
    }

    /// The service's error answer: `status` with the body
    /// `{"error":{"code":code,"message":message,"status":status}}` and the
    /// `x-ms-error-code: code` header. Add e.g. `retry-after` with
    /// [`with_header`](Reply::with_header).
    pub fn error(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        let code = code.into();
        let body = wire::error_body(status, &code, &message.into());
        Self::json(status, body).with_header("x-ms-error-code", code)
    }

    /// A `200 text/event-stream` answer with one `data: <payload>\n\n` event
    /// per payload, in order, then `data: [DONE]\n\n`. Payloads are sent
    /// verbatim (a payload with newlines becomes a multi-line `data:` event).
    ///
    /// Adjust with [`without_done`](Reply::without_done),
    /// [`truncated_after`](Reply::truncated_after),
    /// [`with_malformed_line`](Reply::with_malformed_line),
    /// [`with_event_delay`](Reply::with_event_delay) and
    /// [`with_disconnect_after`](Reply::with_disconnect_after).
    pub fn sse<I>(payloads: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let items = payloads
            .into_iter()
            .map(|p| SseItem::Data(p.as_ref().to_owned()))
            .collect();
        Self::sse_items(items)
    }

    fn sse_items(items: Vec<SseItem>) -> Self {
        Self::new(
            200,
            ReplyBody::Sse(SseScript {
                items,
                done: true,
                event_delay: Duration::ZERO,
                disconnect_after: None,
            }),
        )
    }

    /// A recorded answer played back byte for byte: `status`, `headers` (all
    /// of them, in order, none added), then each chunk after its wait; when
    /// `cut`, the connection is cut after the last chunk.
    pub(crate) fn recorded(
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<(Duration, Bytes)>,
        cut: bool,
    ) -> Self {
        let mut reply = Self::new(status, ReplyBody::Recorded { chunks, cut });
        reply.headers = headers;
        reply
    }

    /// No answer at all: the server closes the connection without a complete
    /// response (for testing connection errors and retries).
    pub fn disconnect() -> Self {
        Self::new(200, ReplyBody::Disconnect)
    }

    /// A `chat.completion` with one choice whose message content is `text`,
    /// `finish_reason: "stop"`, and `completion_tokens` = words in `text`.
    pub fn chat_completion(text: impl Into<String>) -> Self {
        Self::chat_choices([(text.into(), "stop")])
    }

    /// A `chat.completion` with one choice carrying the given tool calls
    /// (`(id, function name, arguments JSON text)`), `content: null` and
    /// `finish_reason: "tool_calls"`.
    pub fn chat_tool_calls<I, A, B, C>(calls: I) -> Self
    where
        I: IntoIterator<Item = (A, B, C)>,
        A: Into<String>,
        B: Into<String>,
        C: Into<String>,
    {
        let mut completion = 0;
        let tool_calls = calls
            .into_iter()
            .map(|(id, name, arguments)| {
                let (name, arguments) = (name.into(), arguments.into());
                completion += wire::count_words(&name) + wire::count_words(&arguments);
                wire::tool_call(&id.into(), &name, &arguments)
            })
            .collect();
        let choice = wire::Choice {
            content: None,
            tool_calls,
            finish_reason: "tool_calls".to_owned(),
        };
        let body =
            wire::chat_completion(wire::DEMO_MODEL, &[choice], wire::chat_usage(1, completion));
        Self::json(200, body).adapting(Adapt::CHAT)
    }

    /// A `chat.completion` with one choice per `(text, finish_reason)`, with
    /// indexes 0, 1, … (`finish_reason` is e.g. `"stop"`, `"length"`,
    /// `"content_filter"`).
    pub fn chat_choices<I, T, F>(choices: I) -> Self
    where
        I: IntoIterator<Item = (T, F)>,
        T: Into<String>,
        F: Into<String>,
    {
        let choices: Vec<wire::Choice> = choices
            .into_iter()
            .map(|(text, finish)| wire::Choice {
                content: Some(text.into()),
                tool_calls: Vec::new(),
                finish_reason: finish.into(),
            })
            .collect();
        let completion = choices
            .iter()
            .filter_map(|c| c.content.as_deref())
            .map(wire::count_words)
            .sum();
        let body =
            wire::chat_completion(wire::DEMO_MODEL, &choices, wire::chat_usage(1, completion));
        Self::json(200, body).adapting(Adapt::CHAT)
    }

    /// A streamed chat completion of `pieces`, as the service sends it: one
    /// `chat.completion.chunk` per piece (the first delta also carries
    /// `"role": "assistant"`), a chunk with an empty delta and
    /// `finish_reason: "stop"`, a chunk with `"choices": []` and `usage`
    /// (`completion_tokens` = number of pieces), then `data: [DONE]`.
    pub fn chat_stream<I>(pieces: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let pieces: Vec<String> = pieces.into_iter().map(|p| p.as_ref().to_owned()).collect();
        let chunks = wire::ChunkBuilder::new(wire::DEMO_MODEL);
        let usage = wire::chat_usage(1, pieces.len() as u64);
        let events = chunks.text_events(&pieces, "stop", usage);
        Self::sse_items(events.into_iter().map(SseItem::Json).collect()).adapting(Adapt::CHAT)
    }

    /// A streamed chat completion of one tool call: a chunk opening call `id`
    /// to function `name`, one chunk per piece of the arguments text, a chunk
    /// with `finish_reason: "tool_calls"`, the usage chunk, then `[DONE]`.
    pub fn chat_stream_tool_call<I>(
        id: impl Into<String>,
        name: impl Into<String>,
        argument_pieces: I,
    ) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let pieces: Vec<String> = argument_pieces
            .into_iter()
            .map(|p| p.as_ref().to_owned())
            .collect();
        let chunks = wire::ChunkBuilder::new(wire::DEMO_MODEL);
        let usage = wire::chat_usage(1, pieces.len() as u64 + 1);
        let events = chunks.tool_call_events(&id.into(), &name.into(), &pieces, usage);
        Self::sse_items(events.into_iter().map(SseItem::Json).collect()).adapting(Adapt::CHAT)
    }

    /// An embeddings result with `n_inputs` deterministic unit vectors of
    /// `dims` components (index 0, 1, …). Sent as base64 (little-endian
    /// `f32`) when the request asks for `"encoding_format": "base64"`.
    /// Answers `/images/embeddings` as well (the shape is the same).
    pub fn embeddings(n_inputs: usize, dims: usize) -> Self {
        let data = (0..n_inputs)
            .map(|i| {
                wire::embedding_item(
                    i,
                    &wire::embedding_vector(&format!("input-{i}"), dims),
                    false,
                )
            })
            .collect();
        let body = wire::embeddings_result(wire::DEMO_MODEL, data, n_inputs as u64);
        Self::json(200, body).adapting(Adapt::EMBEDDINGS)
    }

    /// A `GET /info` answer: `{"model_name","model_type","model_provider_name"}`
    /// (`model_type` is `"chat-completion"` or `"embeddings"`).
    pub fn model_info(
        model_name: impl Into<String>,
        model_type: impl Into<String>,
        model_provider_name: impl Into<String>,
    ) -> Self {
        Self::json(
            200,
            wire::model_info(
                &model_name.into(),
                &model_type.into(),
                &model_provider_name.into(),
            ),
        )
    }

    /// Waits `delay` before sending the status and headers (for client
    /// timeouts and cancellation). Dropping the server cuts the wait short
    /// and the connection with it.
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Replaces the status (a status outside 100..=999 is sent as 500).
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Sets a response header (e.g. `retry-after`), replacing any earlier
    /// value of that name, including defaults such as `content-type` or the
    /// `x-ms-error-code` of [`error`](Reply::error). Names and values that
    /// are not valid HTTP are skipped when the reply is sent.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Pins `model` in the body (and in every streamed chunk) instead of
    /// echoing the request's. Only changes JSON objects that have a `model`.
    #[must_use]
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.adapt.model = false;
        self.set_model(model.into());
        self
    }

    /// Pins the token counts of a helper's `usage` instead of counting the
    /// request's words: `prompt_tokens = prompt`, `completion_tokens =
    /// completion` (chat only), `total_tokens = prompt + completion`. Only
    /// changes JSON objects that have a non-null `usage`.
    #[must_use]
    pub fn with_usage(mut self, prompt: u64, completion: u64) -> Self {
        self.adapt.prompt_tokens = false;
        self.for_each_json(|v| {
            if let Some(usage) = v.get_mut("usage").and_then(Value::as_object_mut) {
                usage.insert("prompt_tokens".into(), json!(prompt));
                if usage.contains_key("completion_tokens") {
                    usage.insert("completion_tokens".into(), json!(completion));
                }
                usage.insert("total_tokens".into(), json!(prompt + completion));
            }
        });
        self
    }

    /// Streams only: ends the stream cleanly without `data: [DONE]`.
    /// Ignored by non-stream replies.
    #[must_use]
    pub fn without_done(mut self) -> Self {
        if let ReplyBody::Sse(sse) = &mut self.body {
            sse.done = false;
        }
        self
    }

    /// Streams only: keeps the first `n` events and ends the stream cleanly
    /// there, without `data: [DONE]` (what a client sees when a proxy cuts a
    /// stream short). Ignored by non-stream replies.
    #[must_use]
    pub fn truncated_after(mut self, n: usize) -> Self {
        if let ReplyBody::Sse(sse) = &mut self.body {
            sse.items.truncate(n);
            sse.done = false;
        }
        self
    }

    /// Streams only: writes `line` verbatim, followed by a blank line, before
    /// the event at `index` (0-based among the events already in the reply;
    /// past the end means after the last event, before `[DONE]`). For
    /// example `"data: {\"id\": "` is an event whose JSON is cut short, and
    /// `"event: error"` is an event with no data. Ignored by non-stream replies.
    #[must_use]
    pub fn with_malformed_line(mut self, index: usize, line: impl Into<String>) -> Self {
        if let ReplyBody::Sse(sse) = &mut self.body {
            let index = index.min(sse.items.len());
            sse.items.insert(index, SseItem::Raw(line.into()));
        }
        self
    }

    /// Streams only: waits `delay` before each event, including the first
    /// and `[DONE]`; the status and headers are sent at once. Ignored by
    /// non-stream replies.
    #[must_use]
    pub fn with_event_delay(mut self, delay: Duration) -> Self {
        if let ReplyBody::Sse(sse) = &mut self.body {
            sse.event_delay = delay;
        }
        self
    }

    /// Streams only: sends the first `n` events (counting lines added by
    /// [`with_malformed_line`](Reply::with_malformed_line)), then cuts the
    /// connection mid-body: the client sees a body read error, not an end of
    /// stream. Ignored by non-stream replies.
    #[must_use]
    pub fn with_disconnect_after(mut self, n: usize) -> Self {
        if let ReplyBody::Sse(sse) = &mut self.body {
            sse.disconnect_after = Some(n);
        }
        self
    }

    fn adapting(mut self, adapt: Adapt) -> Self {
        self.adapt = adapt;
        self
    }

    fn set_model(&mut self, model: String) {
        let model = Value::String(model);
        self.for_each_json(|v| {
            if let Some(m) = v.get_mut("model") {
                *m = model.clone();
            }
            // Responses stream events carry the response object.
            if let Some(m) = v.get_mut("response").and_then(|r| r.get_mut("model")) {
                *m = model.clone();
            }
        });
    }

    fn for_each_json(&mut self, mut f: impl FnMut(&mut Value)) {
        match &mut self.body {
            ReplyBody::Json(v) => f(v),
            ReplyBody::Sse(sse) => sse.items.iter_mut().for_each(|item| {
                if let SseItem::Json(v) | SseItem::Typed(v) = item {
                    f(v);
                }
            }),
            ReplyBody::Raw { .. } | ReplyBody::Recorded { .. } | ReplyBody::Disconnect => {}
        }
    }
}
