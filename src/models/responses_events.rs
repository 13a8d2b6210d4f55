//! The typed server-sent events of a streamed Responses API call.
//!
//! Each event's data is one JSON object whose `type` names the event
//! (`response.output_text.delta`, ...). The decoding goes through one flat
//! struct ([`RawEvent`]) and then picks the variant: a single pass over the
//! event's bytes with no intermediate tree, where serde's internally tagged
//! enums buffer every event first (a text-delta stream is thousands of
//! small events).

use serde::{Deserialize, Deserializer};

use super::responses_items::ResponseItem;
use super::responses_output::ModelResponse;

/// One event of a streamed Responses API call.
///
/// The terminal events are [`Completed`](Self::Completed),
/// [`Incomplete`](Self::Incomplete) and [`Failed`](Self::Failed); an
/// [`Error`](Self::Error) event is the service failing the call in-band.
/// Event types this crate does not model are [`Other`](Self::Other).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ResponseStreamEvent {
    /// `response.created`: the response, `in_progress`, without output.
    Created {
        /// The response so far.
        response: Box<ModelResponse>,
    },
    /// `response.in_progress`.
    InProgress {
        /// The response so far.
        response: Box<ModelResponse>,
    },
    /// `response.output_item.added`: a new output item starts.
    OutputItemAdded {
        /// `output_index`.
        output_index: u32,
        /// The item, as it starts (empty content or arguments).
        item: Box<ResponseItem>,
    },
    /// `response.output_item.done`: an output item is complete.
    OutputItemDone {
        /// `output_index`.
        output_index: u32,
        /// The whole item.
        item: Box<ResponseItem>,
    },
    /// `response.output_text.delta`: a piece of a message's text.
    OutputTextDelta {
        /// `item_id`.
        item_id: String,
        /// `output_index`.
        output_index: u32,
        /// `content_index`.
        content_index: u32,
        /// `delta`: the text to append.
        delta: String,
    },
    /// `response.output_text.done`: a text part is complete.
    OutputTextDone {
        /// `item_id`.
        item_id: String,
        /// `output_index`.
        output_index: u32,
        /// `content_index`.
        content_index: u32,
        /// `text`: the whole text.
        text: String,
    },
    /// `response.function_call_arguments.delta`: a piece of a call's arguments.
    FunctionCallArgumentsDelta {
        /// `item_id`.
        item_id: String,
        /// `output_index`.
        output_index: u32,
        /// `delta`.
        delta: String,
    },
    /// `response.function_call_arguments.done`.
    FunctionCallArgumentsDone {
        /// `item_id`.
        item_id: String,
        /// `output_index`.
        output_index: u32,
        /// `arguments`: the whole arguments text.
        arguments: String,
    },
    /// `response.reasoning_summary_text.delta`: a piece of a reasoning summary.
    ReasoningSummaryTextDelta {
        /// `item_id`.
        item_id: String,
        /// `output_index`.
        output_index: u32,
        /// `summary_index`.
        summary_index: u32,
        /// `delta`.
        delta: String,
    },
    /// `response.reasoning_summary_text.done`.
    ReasoningSummaryTextDone {
        /// `item_id`.
        item_id: String,
        /// `output_index`.
        output_index: u32,
        /// `summary_index`.
        summary_index: u32,
        /// `text`: the whole summary part.
        text: String,
    },
    /// `response.completed`: the whole response (terminal).
    Completed {
        /// The response, `completed`, with output and usage.
        response: Box<ModelResponse>,
    },
    /// `response.incomplete`: the response stopped early (terminal).
    Incomplete {
        /// The response, `incomplete`, with `incomplete_details`.
        response: Box<ModelResponse>,
    },
    /// `response.failed`: the response failed (terminal).
    Failed {
        /// The response, `failed`, with `error`.
        response: Box<ModelResponse>,
    },
    /// `error`: the service failed the call mid-stream. The client's stream
    /// turns it into [`Error::Service`](crate::Error::Service) and ends.
    Error {
        /// `code`.
        code: Option<String>,
        /// `message`.
        message: String,
        /// `param`.
        param: Option<String>,
    },
    /// An event type this crate does not model (`response.content_part.added`,
    /// `response.output_text.annotation.added`, ...).
    Other {
        /// Its `type`.
        event_type: String,
    },
}

impl ResponseStreamEvent {
    /// The response of a terminal event (`response.completed`,
    /// `response.incomplete`, `response.failed`).
    pub fn terminal_response(&self) -> Option<&ModelResponse> {
        match self {
            ResponseStreamEvent::Completed { response }
            | ResponseStreamEvent::Incomplete { response }
            | ResponseStreamEvent::Failed { response } => Some(response),
            _ => None,
        }
    }
}

impl serde::Serialize for ResponseStreamEvent {
    /// The event's data as the service sends it (`{"type": ..., ...}`;
    /// an [`Other`](Self::Other) event keeps only its `type`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ResponseStreamEvent as E;
        use serde_json::json;
        let value = match self {
            E::Created { response } => json!({"type": "response.created", "response": response}),
            E::InProgress { response } => {
                json!({"type": "response.in_progress", "response": response})
            }
            E::Completed { response } => {
                json!({"type": "response.completed", "response": response})
            }
            E::Incomplete { response } => {
                json!({"type": "response.incomplete", "response": response})
            }
            E::Failed { response } => json!({"type": "response.failed", "response": response}),
            E::OutputItemAdded { output_index, item } => json!({
                "type": "response.output_item.added", "output_index": output_index, "item": item}),
            E::OutputItemDone { output_index, item } => json!({
                "type": "response.output_item.done", "output_index": output_index, "item": item}),
            E::OutputTextDelta {
                item_id,
                output_index,
                content_index,
                delta,
            } => json!({"type": "response.output_text.delta", "item_id": item_id,
                "output_index": output_index, "content_index": content_index, "delta": delta}),
            E::OutputTextDone {
                item_id,
                output_index,
                content_index,
                text,
            } => json!({"type": "response.output_text.done", "item_id": item_id,
                "output_index": output_index, "content_index": content_index, "text": text}),
            E::FunctionCallArgumentsDelta {
                item_id,
                output_index,
                delta,
            } => json!({"type": "response.function_call_arguments.delta", "item_id": item_id,
                "output_index": output_index, "delta": delta}),
            E::FunctionCallArgumentsDone {
                item_id,
                output_index,
                arguments,
            } => json!({"type": "response.function_call_arguments.done", "item_id": item_id,
                "output_index": output_index, "arguments": arguments}),
            E::ReasoningSummaryTextDelta {
                item_id,
                output_index,
                summary_index,
                delta,
            } => json!({"type": "response.reasoning_summary_text.delta", "item_id": item_id,
                "output_index": output_index, "summary_index": summary_index, "delta": delta}),
            E::ReasoningSummaryTextDone {
                item_id,
                output_index,
                summary_index,
                text,
            } => json!({"type": "response.reasoning_summary_text.done", "item_id": item_id,
                "output_index": output_index, "summary_index": summary_index, "text": text}),
            E::Error {
                code,
                message,
                param,
            } => json!({"type": "error", "code": code, "message": message, "param": param}),
            E::Other { event_type } => json!({"type": event_type}),
        };
        value.serialize(serializer)
    }
}

/// An event's `type`, read without allocating for the known ones.
#[derive(Debug)]
enum EventType {
    Created,
    InProgress,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    OutputTextDone,
    ArgumentsDelta,
    ArgumentsDone,
    SummaryDelta,
    SummaryDone,
    Completed,
    Incomplete,
    Failed,
    Error,
    Other(String),
}

impl EventType {
    fn of(name: &str) -> Option<EventType> {
        Some(match name {
            "response.created" => EventType::Created,
            "response.in_progress" => EventType::InProgress,
            "response.output_item.added" => EventType::OutputItemAdded,
            "response.output_item.done" => EventType::OutputItemDone,
            "response.output_text.delta" => EventType::OutputTextDelta,
            "response.output_text.done" => EventType::OutputTextDone,
            "response.function_call_arguments.delta" => EventType::ArgumentsDelta,
            "response.function_call_arguments.done" => EventType::ArgumentsDone,
            "response.reasoning_summary_text.delta" => EventType::SummaryDelta,
            "response.reasoning_summary_text.done" => EventType::SummaryDone,
            "response.completed" => EventType::Completed,
            "response.incomplete" => EventType::Incomplete,
            "response.failed" => EventType::Failed,
            "error" => EventType::Error,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = EventType;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an event type string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<EventType, E> {
                Ok(EventType::of(v).unwrap_or_else(|| EventType::Other(v.to_owned())))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Every field any modelled event has, flat: one pass over the data.
#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: EventType,
    response: Option<Box<ModelResponse>>,
    item: Option<Box<ResponseItem>>,
    output_index: Option<u32>,
    content_index: Option<u32>,
    summary_index: Option<u32>,
    item_id: Option<String>,
    delta: Option<String>,
    text: Option<String>,
    arguments: Option<String>,
    code: Option<String>,
    message: Option<String>,
    param: Option<String>,
}

impl<'de> Deserialize<'de> for ResponseStreamEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawEvent::deserialize(deserializer)?;
        raw.into_event().map_err(serde::de::Error::custom)
    }
}

impl RawEvent {
    /// The variant of this event's `type`; an error naming the first
    /// missing field the variant needs.
    fn into_event(self) -> Result<ResponseStreamEvent, String> {
        use ResponseStreamEvent as E;
        let name = |kind: &EventType| format!("{kind:?}");
        let missing =
            |field: &str, kind: &EventType| format!("event {} has no `{field}`", name(kind));
        macro_rules! need {
            ($field:ident) => {
                match self.$field {
                    Some(value) => value,
                    None => return Err(missing(stringify!($field), &self.kind)),
                }
            };
        }
        Ok(match self.kind {
            EventType::Created => E::Created {
                response: need!(response),
            },
            EventType::InProgress => E::InProgress {
                response: need!(response),
            },
            EventType::Completed => E::Completed {
                response: need!(response),
            },
            EventType::Incomplete => E::Incomplete {
                response: need!(response),
            },
            EventType::Failed => E::Failed {
                response: need!(response),
            },
            EventType::OutputItemAdded => E::OutputItemAdded {
                output_index: self.output_index.unwrap_or_default(),
                item: need!(item),
            },
            EventType::OutputItemDone => E::OutputItemDone {
                output_index: self.output_index.unwrap_or_default(),
                item: need!(item),
            },
            EventType::OutputTextDelta => E::OutputTextDelta {
                delta: need!(delta),
                item_id: self.item_id.unwrap_or_default(),
                output_index: self.output_index.unwrap_or_default(),
                content_index: self.content_index.unwrap_or_default(),
            },
            EventType::OutputTextDone => E::OutputTextDone {
                text: need!(text),
                item_id: self.item_id.unwrap_or_default(),
                output_index: self.output_index.unwrap_or_default(),
                content_index: self.content_index.unwrap_or_default(),
            },
            EventType::ArgumentsDelta => E::FunctionCallArgumentsDelta {
                delta: need!(delta),
                item_id: self.item_id.unwrap_or_default(),
                output_index: self.output_index.unwrap_or_default(),
            },
            EventType::ArgumentsDone => E::FunctionCallArgumentsDone {
                arguments: need!(arguments),
                item_id: self.item_id.unwrap_or_default(),
                output_index: self.output_index.unwrap_or_default(),
            },
            EventType::SummaryDelta => E::ReasoningSummaryTextDelta {
                delta: need!(delta),
                item_id: self.item_id.unwrap_or_default(),
                output_index: self.output_index.unwrap_or_default(),
                summary_index: self.summary_index.unwrap_or_default(),
            },
            EventType::SummaryDone => E::ReasoningSummaryTextDone {
                text: need!(text),
                item_id: self.item_id.unwrap_or_default(),
                output_index: self.output_index.unwrap_or_default(),
                summary_index: self.summary_index.unwrap_or_default(),
            },
            EventType::Error => E::Error {
                code: self.code,
                message: self.message.unwrap_or_default(),
                param: self.param,
            },
            EventType::Other(event_type) => E::Other { event_type },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(value: serde_json::Value) -> Result<ResponseStreamEvent, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn decodes_the_events_it_models() {
        let delta = event(json!({"type": "response.output_text.delta", "sequence_number": 4,
            "item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": "Hi", "logprobs": []}))
        .unwrap();
        assert_eq!(
            delta,
            ResponseStreamEvent::OutputTextDelta {
                item_id: "msg_1".into(),
                output_index: 1,
                content_index: 0,
                delta: "Hi".into()
            }
        );
        let done = event(json!({"type": "response.completed", "sequence_number": 9,
            "response": {"id": "resp_1", "status": "completed", "output": []}}))
        .unwrap();
        assert_eq!(done.terminal_response().unwrap().id, "resp_1");
        let error = event(json!({"type": "error", "code": "server_error", "message": "boom", "param": null, "sequence_number": 2})).unwrap();
        assert!(
            matches!(&error, ResponseStreamEvent::Error { code: Some(c), .. } if c == "server_error")
        );
        let other =
            event(json!({"type": "response.content_part.added", "part": {"type": "output_text"}}))
                .unwrap();
        assert_eq!(
            other,
            ResponseStreamEvent::Other {
                event_type: "response.content_part.added".into()
            }
        );
        // Written back as the service sent it.
        for event in [delta, done, error] {
            let again: ResponseStreamEvent =
                serde_json::from_value(serde_json::to_value(&event).unwrap()).unwrap();
            assert_eq!(again, event);
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        let error = event(json!({"type": "response.completed"})).unwrap_err();
        assert!(error.to_string().contains("`response`"), "{error}");
        assert!(event(json!({"delta": "x"})).is_err());
    }
}
