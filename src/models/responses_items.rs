//! The items of the Responses API: what `input` may hold and what `output`
//! holds (messages, function calls and their outputs, reasoning).
//!
//! Item and part types this crate does not know are kept as JSON
//! ([`ResponseItem::Other`], [`ResponseContentPart::Other`]) and written back unchanged, so a tool
//! call type added to the service later (`web_search_call`, `mcp_call`, ...)
//! is never a parse error.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One content part of a message (`content[]`), input or output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ResponseContentPart {
    /// `{"type":"input_text","text":..}`.
    #[serde(rename = "input_text")]
    InputText {
        /// `text`.
        text: String,
    },
    /// `{"type":"input_image","image_url"|"file_id":..,"detail":..}`.
    #[serde(rename = "input_image")]
    InputImage {
        /// `image_url`: an `https:` URL or a `data:` URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        /// `file_id`: an uploaded file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        /// `detail`: `low`, `high` or `auto`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// `{"type":"input_file",..}`: a file by id, URL or inline data.
    #[serde(rename = "input_file")]
    InputFile {
        /// `file_id`: an uploaded file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        /// `file_url`: a file the service fetches.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_url: Option<String>,
        /// `file_data`: a `data:` URL with the bytes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_data: Option<String>,
        /// `filename`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    /// `{"type":"output_text","text":..,"annotations":[..]}`: the model's
    /// text (in answers, and in earlier assistant turns sent back).
    #[serde(rename = "output_text")]
    OutputText {
        /// `text`.
        text: String,
        /// `annotations`: citations and file references, as JSON.
        #[serde(default)]
        annotations: Vec<Value>,
    },
    /// `{"type":"refusal","refusal":..}`.
    #[serde(rename = "refusal")]
    Refusal {
        /// `refusal`: why the model declined.
        refusal: String,
    },
    /// `{"type":"summary_text","text":..}`: a part of a reasoning summary.
    #[serde(rename = "summary_text")]
    SummaryText {
        /// `text`.
        text: String,
    },
    /// A part of another type, kept as it came.
    #[serde(untagged)]
    Other(Value),
}

impl ResponseContentPart {
    /// An `input_text` part.
    pub fn input_text(text: impl Into<String>) -> Self {
        ResponseContentPart::InputText { text: text.into() }
    }

    /// An `input_image` part from an image URL (`https:` or `data:`).
    pub fn input_image(url: impl Into<String>) -> Self {
        ResponseContentPart::InputImage {
            image_url: Some(url.into()),
            file_id: None,
            detail: None,
        }
    }

    /// An `input_file` part from inline data (a `data:` URL) and a file name.
    pub fn input_file(filename: impl Into<String>, file_data: impl Into<String>) -> Self {
        ResponseContentPart::InputFile {
            file_id: None,
            file_url: None,
            file_data: Some(file_data.into()),
            filename: Some(filename.into()),
        }
    }

    /// A `summary_text` part (of a reasoning item's summary).
    pub fn summary_text(text: impl Into<String>) -> Self {
        ResponseContentPart::SummaryText { text: text.into() }
    }

    /// The part's text, for text parts (`input_text`, `output_text`,
    /// `refusal`, `summary_text`).
    pub fn text(&self) -> Option<&str> {
        match self {
            ResponseContentPart::InputText { text }
            | ResponseContentPart::OutputText { text, .. }
            | ResponseContentPart::SummaryText { text } => Some(text),
            ResponseContentPart::Refusal { refusal } => Some(refusal),
            _ => None,
        }
    }
}

/// A message's `content`: a string or a list of parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResponseMessageContent {
    /// Plain text.
    Text(String),
    /// Parts: text, images, files.
    Parts(Vec<ResponseContentPart>),
}

impl From<&str> for ResponseMessageContent {
    fn from(text: &str) -> Self {
        ResponseMessageContent::Text(text.to_owned())
    }
}

impl From<String> for ResponseMessageContent {
    fn from(text: String) -> Self {
        ResponseMessageContent::Text(text)
    }
}

impl From<Vec<ResponseContentPart>> for ResponseMessageContent {
    fn from(parts: Vec<ResponseContentPart>) -> Self {
        ResponseMessageContent::Parts(parts)
    }
}

/// One item of a request's `input` or of a response's `output`: a message,
/// a function call, its output, reasoning, or an item of another type.
///
/// Input and output share the one type (as on the wire), so an answer's
/// items go back unchanged as the next turn's input (stateless
/// multi-turn): messages, function calls and reasoning keep their ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ResponseItem {
    /// `{"type":"function_call",..}`: the model asking for a function to
    /// be run (in an answer, or an earlier call sent back).
    #[serde(rename = "function_call")]
    FunctionCall {
        /// `id`: the item's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// `call_id`: what the `function_call_output` answers.
        call_id: String,
        /// `name`: the function.
        name: String,
        /// `arguments`: JSON text.
        arguments: String,
        /// `status`: `in_progress`, `completed` or `incomplete`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// `{"type":"function_call_output",..}`: a function's result, sent back.
    #[serde(rename = "function_call_output")]
    FunctionCallOutput {
        /// `id`: the item's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// `call_id`: the call this answers.
        call_id: String,
        /// `output`: text, or a list of content parts.
        output: Value,
        /// `status`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// `{"type":"reasoning",..}`: the model's reasoning, as a summary (and,
    /// when the request asked for it, encrypted for a later turn).
    #[serde(rename = "reasoning")]
    Reasoning {
        /// `id`: the item's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// `summary`: [`SummaryText`](ResponseContentPart::SummaryText)
        /// parts (empty unless asked for).
        #[serde(default)]
        summary: Vec<ResponseContentPart>,
        /// `encrypted_content`: opaque, for stateless multi-turn.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
        /// `status`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// A message: `{"role","content"}`, with `"type":"message"` when the
    /// caller wrote it and always in answers (kept as it came).
    #[serde(untagged)]
    Message {
        /// `type`: `message` when present (any other type is not a message).
        #[serde(
            default,
            rename = "type",
            skip_serializing_if = "Option::is_none",
            deserialize_with = "message_type"
        )]
        kind: Option<String>,
        /// `id`: the item's id (answers, and earlier answers sent back).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// `role`: `user`, `assistant`, `system` or `developer`.
        role: String,
        /// `status`: `in_progress`, `completed` or `incomplete` (answers).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// `content`: text, or parts (answers: `output_text` and `refusal`).
        content: ResponseMessageContent,
    },
    /// An item of another type (`item_reference`, `web_search_call`,
    /// `mcp_call`, ...), kept as it came.
    #[serde(untagged)]
    Other(Value),
}

/// A message's `type`: only `message` (so an unknown item type that happens
/// to have `role` and `content` stays [`ResponseItem::Other`]).
fn message_type<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let kind = String::deserialize(deserializer)?;
    if kind == "message" {
        Ok(Some(kind))
    } else {
        Err(serde::de::Error::custom(format_args!(
            "an item of type `{kind}` is not a message"
        )))
    }
}

impl ResponseItem {
    /// A message with a role and content.
    pub fn message(role: impl Into<String>, content: impl Into<ResponseMessageContent>) -> Self {
        ResponseItem::Message {
            kind: None,
            id: None,
            role: role.into(),
            status: None,
            content: content.into(),
        }
    }

    /// A `user` message.
    pub fn user(content: impl Into<ResponseMessageContent>) -> Self {
        Self::message("user", content)
    }

    /// A `developer` message.
    pub fn developer(content: impl Into<ResponseMessageContent>) -> Self {
        Self::message("developer", content)
    }

    /// An `assistant` message (an earlier answer, sent back).
    pub fn assistant(content: impl Into<ResponseMessageContent>) -> Self {
        Self::message("assistant", content)
    }

    /// A function's result for the call `call_id`.
    pub fn function_call_output(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        ResponseItem::FunctionCallOutput {
            id: None,
            call_id: call_id.into(),
            output: Value::String(output.into()),
            status: None,
        }
    }

    /// The item's `type` on the wire (`message` for a message sent
    /// without one).
    pub fn kind(&self) -> &str {
        match self {
            ResponseItem::Message { .. } => "message",
            ResponseItem::FunctionCall { .. } => "function_call",
            ResponseItem::FunctionCallOutput { .. } => "function_call_output",
            ResponseItem::Reasoning { .. } => "reasoning",
            ResponseItem::Other(value) => value
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn input_items_round_trip_as_sent() {
        let items = json!([
            {"role": "user", "content": "hi"},
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "look"},
                {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"},
                {"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,AA=="},
                {"type": "input_audio", "data": "AA=="}
            ]},
            {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "42"},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "t"}]},
            {"type": "item_reference", "id": "msg_0"},
            {"type": "custom_note", "role": "user", "content": "not a message"}
        ]);
        let parsed: Vec<ResponseItem> = serde_json::from_value(items.clone()).unwrap();
        assert!(
            matches!(&parsed[0], ResponseItem::Message { kind: None, role, .. } if role == "user")
        );
        assert!(
            matches!(&parsed[2], ResponseItem::FunctionCall { call_id, .. } if call_id == "call_1")
        );
        assert!(matches!(
            &parsed[3],
            ResponseItem::FunctionCallOutput { .. }
        ));
        let ResponseItem::Reasoning { summary, .. } = &parsed[4] else {
            panic!("{:?}", parsed[4])
        };
        assert_eq!(summary[0].text(), Some("t"));
        assert!(matches!(&parsed[5], ResponseItem::Other(_)));
        assert_eq!(parsed[6].kind(), "custom_note");
        let ResponseItem::Message { kind, content, .. } = &parsed[1] else {
            panic!("{:?}", parsed[1])
        };
        assert_eq!(kind.as_deref(), Some("message"));
        let ResponseMessageContent::Parts(parts) = content else {
            panic!()
        };
        assert!(matches!(parts[3], ResponseContentPart::Other(_)));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), items);
    }

    #[test]
    fn output_items_are_read_and_written_back() {
        let items = json!([
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}
        ]);
        let parsed: Vec<ResponseItem> = serde_json::from_value(items.clone()).unwrap();
        assert_eq!(parsed[0].kind(), "web_search_call");
        assert_eq!(parsed[1].kind(), "message");
        assert!(matches!(&parsed[1], ResponseItem::Message { id: Some(id), .. } if id == "msg_1"));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), items);
    }
}
