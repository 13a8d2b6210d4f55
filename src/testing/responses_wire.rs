//! The Responses API's JSON shapes as the service sends them: a whole
//! response object and the typed stream events, from one
//! [`ResponseAnswer`] description.

use serde_json::{Value, json};

use super::wire::{count_words, unix_now};

/// What a scripted or demo Responses answer holds, in output order, and how
/// it ends. Build one, then send it with
/// [`Reply::response`](super::Reply::response) (JSON) or
/// [`Reply::response_stream`](super::Reply::response_stream) (typed
/// server-sent events).
///
/// ```
/// use azure_ai_inference_otel::testing::{Reply, ResponseAnswer};
///
/// let answer = ResponseAnswer::new()
///     .with_reasoning("The user greets me.")
///     .with_text("Hello there!")
///     .with_cached_tokens(4);
/// let plain = Reply::response(answer.clone());
/// let streamed = Reply::response_stream(answer.incomplete("max_output_tokens"));
/// # let _ = (plain, streamed);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ResponseAnswer {
    items: Vec<Item>,
    end: End,
    cached_tokens: u64,
    input_tokens: Option<u64>,
}

#[derive(Debug, Clone)]
enum Item {
    Reasoning(String),
    Message(String),
    FunctionCall {
        call_id: String,
        name: String,
        arguments: String,
    },
}

#[derive(Debug, Clone, Default)]
enum End {
    #[default]
    Completed,
    Incomplete(String),
    Failed {
        code: String,
        message: String,
    },
    /// Streams: an `error` event instead of a terminal one.
    ErrorEvent {
        code: String,
        message: String,
    },
}

impl ResponseAnswer {
    /// An answer with no output yet (add items with the `with_*` methods).
    pub fn new() -> Self {
        Self::default()
    }

    /// An answer of one message with `text`.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new().with_text(text)
    }

    /// Adds a `message` item whose one `output_text` part is `text`
    /// (streamed as one delta per word).
    #[must_use]
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.items.push(Item::Message(text.into()));
        self
    }

    /// Adds a `reasoning` item with `summary` as its one summary part
    /// (streamed word by word), and reasoning tokens to the usage.
    #[must_use]
    pub fn with_reasoning(mut self, summary: impl Into<String>) -> Self {
        self.items.push(Item::Reasoning(summary.into()));
        self
    }

    /// Adds a `function_call` item (its arguments streamed in two pieces).
    #[must_use]
    pub fn with_function_call(
        mut self,
        call_id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        self.items.push(Item::FunctionCall {
            call_id: call_id.into(),
            name: name.into(),
            arguments: arguments.into(),
        });
        self
    }

    /// Ends as `status: "incomplete"` with `incomplete_details.reason`
    /// (`max_output_tokens`, `content_filter`).
    #[must_use]
    pub fn incomplete(mut self, reason: impl Into<String>) -> Self {
        self.end = End::Incomplete(reason.into());
        self
    }

    /// Ends as `status: "failed"` with `error: {code, message}`.
    #[must_use]
    pub fn failed(mut self, code: impl Into<String>, message: impl Into<String>) -> Self {
        self.end = End::Failed {
            code: code.into(),
            message: message.into(),
        };
        self
    }

    /// Streams: after the output's events, an `error` event
    /// (`{"type":"error","code","message"}`) and no terminal event. A whole
    /// (JSON) answer ends as [`failed`](Self::failed) instead.
    #[must_use]
    pub fn error_event(mut self, code: impl Into<String>, message: impl Into<String>) -> Self {
        self.end = End::ErrorEvent {
            code: code.into(),
            message: message.into(),
        };
        self
    }

    /// Reports `input_tokens_details.cached_tokens` = `n`.
    #[must_use]
    pub fn with_cached_tokens(mut self, n: u64) -> Self {
        self.cached_tokens = n;
        self
    }

    /// Pins `usage.input_tokens` instead of counting the request's words.
    #[must_use]
    pub fn with_input_tokens(mut self, n: u64) -> Self {
        self.input_tokens = Some(n);
        self
    }

    /// Whether the input token count is pinned.
    pub(crate) fn pins_input_tokens(&self) -> bool {
        self.input_tokens.is_some()
    }

    fn status(&self) -> &'static str {
        match self.end {
            End::Completed => "completed",
            End::Incomplete(_) => "incomplete",
            End::Failed { .. } | End::ErrorEvent { .. } => "failed",
        }
    }

    fn usage(&self, input: u64) -> Value {
        let input = self.input_tokens.unwrap_or(input).max(self.cached_tokens);
        let mut output = 0;
        let mut reasoning = 0;
        for item in &self.items {
            match item {
                Item::Reasoning(summary) => reasoning += 2 * count_words(summary),
                Item::Message(text) => output += count_words(text),
                Item::FunctionCall {
                    name, arguments, ..
                } => output += count_words(name) + count_words(arguments),
            }
        }
        output += reasoning;
        json!({
            "input_tokens": input,
            "input_tokens_details": {"cached_tokens": self.cached_tokens},
            "output_tokens": output,
            "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": input + output,
        })
    }

    /// The output items, whole.
    fn output(&self, ids: &Ids) -> Vec<Value> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, item)| item_json(item, &ids.item(i), true))
            .collect()
    }

    /// The whole response object (`status` per the end; the `error` event
    /// of a stream is a `failed` response here).
    pub(crate) fn response(&self, model: &str, input_tokens: u64) -> Value {
        let ids = Ids::new();
        self.response_with(
            &ids,
            model,
            input_tokens,
            self.status(),
            self.output(&ids),
            true,
        )
    }

    fn response_with(
        &self,
        ids: &Ids,
        model: &str,
        input_tokens: u64,
        status: &str,
        output: Vec<Value>,
        with_usage: bool,
    ) -> Value {
        let (incomplete, error) = match &self.end {
            End::Incomplete(reason) if status != "in_progress" => {
                (json!({"reason": reason}), Value::Null)
            }
            End::Failed { code, message } | End::ErrorEvent { code, message }
                if status != "in_progress" =>
            {
                (Value::Null, json!({"code": code, "message": message}))
            }
            _ => (Value::Null, Value::Null),
        };
        json!({
            "id": ids.response,
            "object": "response",
            "created_at": ids.created_at,
            "status": status,
            "error": error,
            "incomplete_details": incomplete,
            "model": model,
            "output": output,
            "parallel_tool_calls": true,
            "tool_choice": "auto",
            "tools": [],
            "store": true,
            "usage": if with_usage { self.usage(input_tokens) } else { Value::Null },
        })
    }

    /// The typed events of a stream of this answer, in order, each a JSON
    /// object with its `type` (and a `sequence_number`).
    pub(crate) fn stream_events(&self, model: &str, input_tokens: u64) -> Vec<Value> {
        let ids = Ids::new();
        let mut events = Vec::new();
        let started =
            self.response_with(&ids, model, input_tokens, "in_progress", Vec::new(), false);
        events.push(json!({"type": "response.created", "response": started}));
        events.push(json!({"type": "response.in_progress", "response": started}));
        for (index, item) in self.items.iter().enumerate() {
            let id = ids.item(index);
            events.push(
                json!({"type": "response.output_item.added", "output_index": index,
                "item": item_json(item, &id, false)}),
            );
            match item {
                Item::Message(text) => {
                    let part = json!({"type": "output_text", "text": "", "annotations": []});
                    events.push(json!({"type": "response.content_part.added", "item_id": id,
                        "output_index": index, "content_index": 0, "part": part}));
                    for piece in text.split_inclusive(' ') {
                        events.push(json!({"type": "response.output_text.delta", "item_id": id,
                            "output_index": index, "content_index": 0, "delta": piece, "logprobs": []}));
                    }
                    events.push(json!({"type": "response.output_text.done", "item_id": id,
                        "output_index": index, "content_index": 0, "text": text, "logprobs": []}));
                    events.push(json!({"type": "response.content_part.done", "item_id": id,
                        "output_index": index, "content_index": 0,
                        "part": {"type": "output_text", "text": text, "annotations": []}}));
                }
                Item::Reasoning(summary) => {
                    events.push(
                        json!({"type": "response.reasoning_summary_part.added", "item_id": id,
                        "output_index": index, "summary_index": 0,
                        "part": {"type": "summary_text", "text": ""}}),
                    );
                    for piece in summary.split_inclusive(' ') {
                        events.push(json!({"type": "response.reasoning_summary_text.delta",
                            "item_id": id, "output_index": index, "summary_index": 0, "delta": piece}));
                    }
                    events.push(
                        json!({"type": "response.reasoning_summary_text.done", "item_id": id,
                        "output_index": index, "summary_index": 0, "text": summary}),
                    );
                    events.push(
                        json!({"type": "response.reasoning_summary_part.done", "item_id": id,
                        "output_index": index, "summary_index": 0,
                        "part": {"type": "summary_text", "text": summary}}),
                    );
                }
                Item::FunctionCall { arguments, .. } => {
                    let mid = arguments.len() / 2;
                    let mid = (0..=mid)
                        .rev()
                        .find(|&i| arguments.is_char_boundary(i))
                        .unwrap_or(0);
                    for piece in [&arguments[..mid], &arguments[mid..]] {
                        events.push(json!({"type": "response.function_call_arguments.delta",
                            "item_id": id, "output_index": index, "delta": piece}));
                    }
                    events.push(json!({"type": "response.function_call_arguments.done",
                        "item_id": id, "output_index": index, "arguments": arguments}));
                }
            }
            events.push(
                json!({"type": "response.output_item.done", "output_index": index,
                "item": item_json(item, &id, true)}),
            );
        }
        match &self.end {
            End::ErrorEvent { code, message } => {
                events.push(
                    json!({"type": "error", "code": code, "message": message, "param": null}),
                );
            }
            end => {
                let kind = match end {
                    End::Incomplete(_) => "response.incomplete",
                    End::Failed { .. } => "response.failed",
                    _ => "response.completed",
                };
                let done = self.response_with(
                    &ids,
                    model,
                    input_tokens,
                    self.status(),
                    self.output(&ids),
                    true,
                );
                events.push(json!({"type": kind, "response": done}));
            }
        }
        for (n, event) in events.iter_mut().enumerate() {
            if let Some(map) = event.as_object_mut() {
                map.insert("sequence_number".to_owned(), json!(n));
            }
        }
        events
    }
}

/// The ids of one answer.
struct Ids {
    response: String,
    created_at: u64,
    suffix: String,
}

impl Ids {
    fn new() -> Self {
        let suffix: String = (0..24).map(|_| fastrand::alphanumeric()).collect();
        Ids {
            response: format!("resp_{suffix}"),
            created_at: unix_now(),
            suffix,
        }
    }

    fn item(&self, index: usize) -> String {
        format!("item_{index}_{}", self.suffix)
    }
}

/// An output item; `done` with its text, else as it starts.
fn item_json(item: &Item, id: &str, done: bool) -> Value {
    let status = if done { "completed" } else { "in_progress" };
    match item {
        Item::Message(text) => json!({"type": "message", "id": id, "role": "assistant",
            "status": status,
            "content": if done { json!([{"type": "output_text", "text": text, "annotations": []}]) } else { json!([]) }}),
        Item::Reasoning(summary) => json!({"type": "reasoning", "id": id,
            "summary": if done { json!([{"type": "summary_text", "text": summary}]) } else { json!([]) }}),
        Item::FunctionCall {
            call_id,
            name,
            arguments,
        } => json!({"type": "function_call", "id": id, "call_id": call_id, "name": name,
            "arguments": if done { arguments.as_str() } else { "" }, "status": status}),
    }
}

/// The words of a Responses request's `instructions` and `input`: the
/// mock's input token count.
pub(crate) fn input_tokens(request: &Value) -> u64 {
    let instructions = request
        .get("instructions")
        .and_then(Value::as_str)
        .map_or(0, count_words);
    let input = match request.get("input") {
        Some(Value::String(text)) => count_words(text),
        Some(Value::Array(items)) => items.iter().map(item_words).sum(),
        _ => 0,
    };
    instructions + input
}

fn item_words(item: &Value) -> u64 {
    match item.get("content") {
        Some(Value::String(text)) => count_words(text),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .map(count_words)
            .sum(),
        _ => ["output", "arguments"]
            .iter()
            .filter_map(|k| item.get(*k).and_then(Value::as_str))
            .map(count_words)
            .sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{ModelResponse, ResponseStatus, ResponseStreamEvent};

    #[test]
    fn whole_and_streamed_answers_decode_as_the_wire_types() {
        let answer = ResponseAnswer::new()
            .with_reasoning("think hard")
            .with_text("Hello world")
            .with_function_call("call_1", "f", r#"{"a":1}"#)
            .with_cached_tokens(2);
        let whole: ModelResponse =
            serde_json::from_value(answer.response("m", 5)).expect("response");
        assert_eq!(whole.status, Some(ResponseStatus::Completed));
        assert_eq!(whole.output.len(), 3);
        assert_eq!(whole.output_text().as_deref(), Some("Hello world"));
        let usage = whole.usage.unwrap();
        assert_eq!(
            usage.output_tokens_details.unwrap().reasoning_tokens,
            Some(4)
        );
        let events: Vec<ResponseStreamEvent> = answer
            .stream_events("m", 5)
            .into_iter()
            .map(|e| serde_json::from_value(e).expect("event"))
            .collect();
        assert!(matches!(
            events.last(),
            Some(ResponseStreamEvent::Completed { .. })
        ));
        let deltas: String = events
            .iter()
            .filter_map(|e| match e {
                ResponseStreamEvent::OutputTextDelta { delta, .. } => Some(delta.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(deltas, "Hello world");
    }

    #[test]
    fn counts_input_words() {
        let request = json!({"instructions": "be brief", "input": [
            {"role": "user", "content": "one two"},
            {"type": "function_call_output", "call_id": "c", "output": "three"}
        ]});
        assert_eq!(input_tokens(&request), 5);
    }
}
