//! The items of the Responses API: what `input` may hold and what `output`
//! holds (messages, function calls and their outputs, reasoning).
//!
//! Item and part types this crate does not know are kept as JSON
//! ([`ResponseInputItem::Other`], [`ResponseOutputItem::Other`],
//! [`ResponseContentPart::Other`]) and written back unchanged, so a tool
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

    /// The part's text, for text parts (`input_text`, `output_text`, `refusal`).
    pub fn text(&self) -> Option<&str> {
        match self {
            ResponseContentPart::InputText { text }
            | ResponseContentPart::OutputText { text, .. } => Some(text),
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

/// A message of `input`: `{"role","content"}`, with `"type":"message"`
/// when the caller wrote it (kept as sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseInputMessage {
    /// `type`: `message` when present.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `role`: `user`, `assistant`, `system` or `developer`.
    pub role: String,
    /// `content`.
    pub content: ResponseMessageContent,
    /// `id`: set on an earlier output message sent back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `status`: set on an earlier output message sent back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// A `function_call` item: the model asking for a function to be run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallItem {
    /// `id`: the item's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `call_id`: what the `function_call_output` answers.
    pub call_id: String,
    /// `name`: the function.
    pub name: String,
    /// `arguments`: JSON text.
    pub arguments: String,
    /// `status`: `in_progress`, `completed` or `incomplete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// A `function_call_output` item: the result of a function call, sent back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallOutputItem {
    /// `id`: the item's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `call_id`: the call this answers.
    pub call_id: String,
    /// `output`: text, or a list of content parts.
    pub output: Value,
    /// `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// One part of a reasoning summary: `{"type":"summary_text","text":..}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningSummaryPart {
    /// `type`: `summary_text`.
    #[serde(rename = "type", default = "summary_text")]
    pub kind: String,
    /// `text`.
    pub text: String,
}

fn summary_text() -> String {
    "summary_text".to_owned()
}

impl ReasoningSummaryPart {
    /// A `summary_text` part.
    pub fn new(text: impl Into<String>) -> Self {
        ReasoningSummaryPart {
            kind: summary_text(),
            text: text.into(),
        }
    }
}

/// A `reasoning` item: the model's reasoning, as a summary (and, when the
/// request asked for it, encrypted for sending back in a later turn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningItem {
    /// `id`: the item's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `summary`: the reasoning summary parts (empty unless asked for).
    #[serde(default)]
    pub summary: Vec<ReasoningSummaryPart>,
    /// `encrypted_content`: opaque, for stateless multi-turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_content: Option<String>,
    /// `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// A `message` item of `output`: the assistant's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputMessage {
    /// `id`: the item's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `role`: `assistant`.
    #[serde(default = "assistant")]
    pub role: String,
    /// `status`: `in_progress`, `completed` or `incomplete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `content`: `output_text` and `refusal` parts.
    #[serde(default)]
    pub content: Vec<ResponseContentPart>,
}

fn assistant() -> String {
    "assistant".to_owned()
}

/// One item of a request's `input`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ResponseInputItem {
    /// `{"type":"function_call",..}`: an earlier call of the model, sent back.
    #[serde(rename = "function_call")]
    FunctionCall(FunctionCallItem),
    /// `{"type":"function_call_output",..}`: a function's result.
    #[serde(rename = "function_call_output")]
    FunctionCallOutput(FunctionCallOutputItem),
    /// `{"type":"reasoning",..}`: earlier reasoning, sent back.
    #[serde(rename = "reasoning")]
    Reasoning(ReasoningItem),
    /// A message, with or without `"type":"message"`.
    #[serde(untagged)]
    Message(ResponseInputMessage),
    /// An item of another type (`item_reference`, ...), kept as it came.
    #[serde(untagged)]
    Other(Value),
}

impl ResponseInputItem {
    /// A message with a role and content.
    pub fn message(role: impl Into<String>, content: impl Into<ResponseMessageContent>) -> Self {
        ResponseInputItem::Message(ResponseInputMessage {
            kind: None,
            role: role.into(),
            content: content.into(),
            id: None,
            status: None,
        })
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
        ResponseInputItem::FunctionCallOutput(FunctionCallOutputItem {
            id: None,
            call_id: call_id.into(),
            output: Value::String(output.into()),
            status: None,
        })
    }
}

impl From<ResponseOutputItem> for ResponseInputItem {
    /// An output item sent back as input in the next turn (stateless
    /// multi-turn): messages, function calls and reasoning keep their ids.
    fn from(item: ResponseOutputItem) -> Self {
        match item {
            ResponseOutputItem::Message(m) => ResponseInputItem::Message(ResponseInputMessage {
                kind: Some("message".to_owned()),
                role: m.role,
                content: ResponseMessageContent::Parts(m.content),
                id: m.id,
                status: m.status,
            }),
            ResponseOutputItem::FunctionCall(call) => ResponseInputItem::FunctionCall(call),
            ResponseOutputItem::Reasoning(r) => ResponseInputItem::Reasoning(r),
            ResponseOutputItem::Other(value) => ResponseInputItem::Other(value),
        }
    }
}

/// One item of a response's `output`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ResponseOutputItem {
    /// `{"type":"message",..}`: text (and refusals).
    #[serde(rename = "message")]
    Message(OutputMessage),
    /// `{"type":"function_call",..}`: a call the caller should run.
    #[serde(rename = "function_call")]
    FunctionCall(FunctionCallItem),
    /// `{"type":"reasoning",..}`: the reasoning summary.
    #[serde(rename = "reasoning")]
    Reasoning(ReasoningItem),
    /// An item of another type (`web_search_call`, `mcp_call`, ...), kept as it came.
    #[serde(untagged)]
    Other(Value),
}

impl ResponseOutputItem {
    /// The item's `type` on the wire.
    pub fn kind(&self) -> &str {
        match self {
            ResponseOutputItem::Message(_) => "message",
            ResponseOutputItem::FunctionCall(_) => "function_call",
            ResponseOutputItem::Reasoning(_) => "reasoning",
            ResponseOutputItem::Other(value) => value
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
            {"type": "item_reference", "id": "msg_0"}
        ]);
        let parsed: Vec<ResponseInputItem> = serde_json::from_value(items.clone()).unwrap();
        assert!(matches!(&parsed[0], ResponseInputItem::Message(m) if m.kind.is_none()));
        assert!(matches!(&parsed[2], ResponseInputItem::FunctionCall(c) if c.call_id == "call_1"));
        assert!(matches!(
            &parsed[3],
            ResponseInputItem::FunctionCallOutput(_)
        ));
        assert!(matches!(&parsed[4], ResponseInputItem::Reasoning(_)));
        assert!(matches!(&parsed[5], ResponseInputItem::Other(_)));
        let ResponseInputItem::Message(m) = &parsed[1] else {
            panic!("{:?}", parsed[1])
        };
        let ResponseMessageContent::Parts(parts) = &m.content else {
            panic!()
        };
        assert!(matches!(parts[3], ResponseContentPart::Other(_)));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), items);
    }

    #[test]
    fn unknown_output_items_are_kept() {
        let items = json!([
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}
        ]);
        let parsed: Vec<ResponseOutputItem> = serde_json::from_value(items.clone()).unwrap();
        assert_eq!(parsed[0].kind(), "web_search_call");
        assert_eq!(parsed[1].kind(), "message");
        assert_eq!(serde_json::to_value(&parsed).unwrap(), items);
    }
}
