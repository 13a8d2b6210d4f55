//! One typed chat message and its two encodings: the chat wire shape
//! (`{"role","content","tool_calls","tool_call_id","reasoning_content"}`) and
//! the semconv "parts" shape (`{"role","parts":[...]}`) of
//! `gen_ai.input.messages` / `gen_ai.output.messages`.
//!
//! Recording turns wire messages into parts with it, and the Braintrust
//! mapping turns recorded parts (or recorded wire messages) back into wire
//! messages with it, so the two directions cannot drift apart.
//!
//! | kind | wire | parts |
//! |---|---|---|
//! | [`MessagePart::Text`] | `content: "..."`, or a `{"type":"text","text"}` content item | `{"type":"text","content"}` |
//! | [`MessagePart::Image`] | `{"type":"image_url","image_url":{"url"}}` content item | `{"type":"uri","modality":"image","uri"}`; a base64 data URL (`data:{mime};base64,{data}`) is `{"type":"blob","modality":"image","mime_type","content"}`, as the conventions ask |
//! | [`MessagePart::AudioUrl`] | `{"type":"audio_url","audio_url":{"url"}}` content item | `{"type":"uri","modality":"audio","uri"}` |
//! | [`MessagePart::Audio`] | `{"type":"input_audio","input_audio":{"data","format"?}}` content item | `{"type":"blob","modality":"audio","content","mime_type"?: "audio/{format}"}` |
//! | [`MessagePart::ToolCall`] | a `tool_calls` entry `{"id","type","function":{"name","arguments"}}` | `{"type":"tool_call","id","name","arguments"}` (arguments parsed when JSON) |
//! | [`MessagePart::ToolResult`] | `role: "tool"`, `tool_call_id`, `content` | `{"type":"tool_call_response","id","response"}` |
//! | [`MessagePart::Reasoning`] | `reasoning_content` | `{"type":"reasoning","content"}` |
//! | [`MessagePart::Other`] | any other content item, kept as it came | the same value, kept as it came |
//!
//! Limits: an image's `detail` and fields the table does not name are not
//! carried into parts; a wire `content` of one text item becomes a string
//! `content` (the parts shape cannot tell them apart); tool-call arguments
//! come back as compact JSON text.

use serde_json::{Map, Value as Json};

/// The role of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// `system`.
    System,
    /// `developer`.
    Developer,
    /// `user`.
    User,
    /// `assistant`.
    Assistant,
    /// `tool`.
    Tool,
    /// Any other role, as sent.
    Other(String),
}

impl Role {
    /// Parses a wire role.
    pub fn parse(role: &str) -> Self {
        match role {
            "system" => Role::System,
            "developer" => Role::Developer,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "tool" => Role::Tool,
            other => Role::Other(other.to_owned()),
        }
    }

    /// The wire role.
    pub fn as_str(&self) -> &str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Other(other) => other,
        }
    }
}

/// A tool call of an assistant message.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallPart {
    /// The call's `id`.
    pub id: Option<String>,
    /// The call's `type` on the wire (`function`).
    pub kind: String,
    /// The function name; `None` in content-free records.
    pub name: Option<String>,
    /// The arguments, parsed when they are JSON, else the raw text; `None`
    /// in content-free records.
    pub arguments: Option<Json>,
}

/// One piece of a message, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum MessagePart {
    /// Text.
    Text(String),
    /// An image by URL (a data URL included).
    Image {
        /// The URL.
        url: String,
    },
    /// Audio by URL (`audio_url` content items).
    AudioUrl {
        /// The URL.
        url: String,
    },
    /// Base64 audio.
    Audio {
        /// The base64 data.
        data: String,
        /// The wire `format` (`wav`, `mp3`), when given.
        format: Option<String>,
    },
    /// A tool call (assistant messages).
    ToolCall(ToolCallPart),
    /// The result of a tool call (tool messages).
    ToolResult {
        /// The `tool_call_id` it answers.
        id: Option<String>,
        /// The result: wire text, or any JSON in parts.
        response: Json,
    },
    /// The model's reasoning text (`reasoning_content`).
    Reasoning(String),
    /// A content item of a kind this model does not know, kept as it came.
    Other(Json),
}

/// The kinds of [`MessagePart`], for tests that must cover each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// [`MessagePart::Text`].
    Text,
    /// [`MessagePart::Image`].
    Image,
    /// [`MessagePart::AudioUrl`].
    AudioUrl,
    /// [`MessagePart::Audio`].
    Audio,
    /// [`MessagePart::ToolCall`].
    ToolCall,
    /// [`MessagePart::ToolResult`].
    ToolResult,
    /// [`MessagePart::Reasoning`].
    Reasoning,
    /// [`MessagePart::Other`].
    Other,
}

impl ContentKind {
    /// Every kind, in declaration order.
    pub const ALL: [ContentKind; 8] = [
        ContentKind::Text,
        ContentKind::Image,
        ContentKind::AudioUrl,
        ContentKind::Audio,
        ContentKind::ToolCall,
        ContentKind::ToolResult,
        ContentKind::Reasoning,
        ContentKind::Other,
    ];
}

impl MessagePart {
    /// This part's kind.
    pub fn kind(&self) -> ContentKind {
        match self {
            MessagePart::Text(_) => ContentKind::Text,
            MessagePart::Image { .. } => ContentKind::Image,
            MessagePart::AudioUrl { .. } => ContentKind::AudioUrl,
            MessagePart::Audio { .. } => ContentKind::Audio,
            MessagePart::ToolCall(_) => ContentKind::ToolCall,
            MessagePart::ToolResult { .. } => ContentKind::ToolResult,
            MessagePart::Reasoning(_) => ContentKind::Reasoning,
            MessagePart::Other(_) => ContentKind::Other,
        }
    }
}

/// One chat message: a role, an optional participant name and its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The role.
    pub role: Role,
    /// The participant `name`, when given.
    pub name: Option<String>,
    /// The content, tool calls, tool result and reasoning, in order.
    pub parts: Vec<MessagePart>,
}

fn text(value: &Json, key: &str) -> Option<String> {
    value.get(key).and_then(Json::as_str).map(str::to_owned)
}

/// Tool-call arguments as a value: parsed when the text is JSON.
fn parse_arguments(arguments: &Json) -> Json {
    match arguments {
        Json::String(raw) => serde_json::from_str(raw).unwrap_or_else(|_| arguments.clone()),
        other => other.clone(),
    }
}

/// Tool-call arguments as wire text: compact JSON, or the raw text.
fn arguments_text(arguments: &Json) -> Json {
    match arguments {
        Json::String(_) => arguments.clone(),
        other => Json::String(other.to_string()),
    }
}

impl Message {
    /// A message of `role` with these parts.
    pub fn new(role: Role, parts: Vec<MessagePart>) -> Self {
        Message {
            role,
            name: None,
            parts,
        }
    }

    /// Reads a wire message; `default_role` when it has none (an event's
    /// name says it). `None` when `wire` is not an object.
    pub fn from_wire(wire: &Json, default_role: &str) -> Option<Self> {
        let map = wire.as_object()?;
        let role = Role::parse(
            map.get("role")
                .and_then(Json::as_str)
                .unwrap_or(default_role),
        );
        let mut parts = Vec::new();
        if let Some(reasoning) = text(wire, "reasoning_content") {
            parts.push(MessagePart::Reasoning(reasoning));
        }
        if role == Role::Tool {
            let response = match map.get("content") {
                Some(Json::Array(items)) => Json::String(
                    items
                        .iter()
                        .filter_map(|i| i.get("text").and_then(Json::as_str))
                        .collect(),
                ),
                Some(content) => content.clone(),
                None => Json::Null,
            };
            parts.push(MessagePart::ToolResult {
                id: text(wire, "tool_call_id"),
                response,
            });
        } else {
            match map.get("content") {
                Some(Json::String(t)) => parts.push(MessagePart::Text(t.clone())),
                Some(Json::Array(items)) => parts.extend(items.iter().map(part_from_wire_item)),
                _ => {}
            }
        }
        for call in map
            .get("tool_calls")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let function = call.get("function");
            parts.push(MessagePart::ToolCall(ToolCallPart {
                id: text(call, "id"),
                kind: text(call, "type").unwrap_or_else(|| "function".to_owned()),
                name: function.and_then(|f| text(f, "name")),
                arguments: function
                    .and_then(|f| f.get("arguments"))
                    .map(parse_arguments),
            }));
        }
        Some(Message {
            role,
            name: text(wire, "name"),
            parts,
        })
    }

    /// Reads a parts message (`{"role","parts":[...]}`); `None` when it is
    /// not an object with a `parts` array.
    pub fn from_parts(value: &Json) -> Option<Self> {
        let parts = value.get("parts")?.as_array()?;
        Some(Message {
            role: Role::parse(value.get("role").and_then(Json::as_str).unwrap_or("user")),
            name: text(value, "name"),
            parts: parts.iter().map(part_from_semconv).collect(),
        })
    }

    /// The wire shape. Content is a string when it is one text part, else an
    /// array of content items; `null` content and empty tool calls are left out.
    pub fn to_wire(&self) -> Json {
        let mut out = Map::new();
        out.insert("role".to_owned(), self.role.as_str().into());
        if let Some(name) = &self.name {
            out.insert("name".to_owned(), name.as_str().into());
        }
        let mut items = Vec::new();
        let mut tool_calls = Vec::new();
        let mut tool_call_id = None;
        let mut reasoning = String::new();
        for part in &self.parts {
            match part {
                MessagePart::Text(t) => items.push(serde_json::json!({"type": "text", "text": t})),
                MessagePart::Image { url } => {
                    items.push(serde_json::json!({"type": "image_url", "image_url": {"url": url}}));
                }
                MessagePart::AudioUrl { url } => {
                    items.push(serde_json::json!({"type": "audio_url", "audio_url": {"url": url}}));
                }
                MessagePart::Audio { data, format } => {
                    let mut audio = Map::new();
                    audio.insert("data".to_owned(), data.as_str().into());
                    if let Some(format) = format {
                        audio.insert("format".to_owned(), format.as_str().into());
                    }
                    items.push(serde_json::json!({"type": "input_audio", "input_audio": audio}));
                }
                MessagePart::ToolCall(call) => tool_calls.push(tool_call_to_wire(call)),
                MessagePart::ToolResult { id, response } => {
                    if let Some(id) = id {
                        tool_call_id = Some(id.as_str());
                    }
                    match response {
                        Json::Null => {}
                        Json::String(t) => {
                            items.push(serde_json::json!({"type": "text", "text": t}))
                        }
                        other => items
                            .push(serde_json::json!({"type": "text", "text": other.to_string()})),
                    }
                }
                MessagePart::Reasoning(t) => reasoning.push_str(t),
                MessagePart::Other(item) => items.push(item.clone()),
            }
        }
        let only_text = items
            .iter()
            .all(|i| i.get("type").and_then(Json::as_str) == Some("text"));
        match items.len() {
            0 => {}
            1 if only_text => {
                out.insert("content".to_owned(), items[0]["text"].clone());
            }
            _ => {
                out.insert("content".to_owned(), Json::Array(items));
            }
        }
        if !reasoning.is_empty() {
            out.insert("reasoning_content".to_owned(), reasoning.into());
        }
        if !tool_calls.is_empty() {
            out.insert("tool_calls".to_owned(), Json::Array(tool_calls));
        }
        if let Some(id) = tool_call_id {
            out.insert("tool_call_id".to_owned(), id.into());
        }
        Json::Object(out)
    }

    /// The parts shape (`{"role","parts":[...]}`), without a finish reason.
    pub fn to_parts(&self) -> Json {
        let mut out = Map::new();
        out.insert("role".to_owned(), self.role.as_str().into());
        if let Some(name) = &self.name {
            out.insert("name".to_owned(), name.as_str().into());
        }
        let parts = self.parts.iter().map(part_to_semconv).collect();
        out.insert("parts".to_owned(), Json::Array(parts));
        Json::Object(out)
    }
}

fn tool_call_to_wire(call: &ToolCallPart) -> Json {
    let mut out = Map::new();
    if let Some(id) = &call.id {
        out.insert("id".to_owned(), id.as_str().into());
    }
    out.insert("type".to_owned(), call.kind.as_str().into());
    if call.name.is_some() || call.arguments.is_some() {
        let mut function = Map::new();
        function.insert(
            "name".to_owned(),
            call.name.as_deref().map_or(Json::Null, Json::from),
        );
        function.insert(
            "arguments".to_owned(),
            call.arguments
                .as_ref()
                .map_or_else(|| "{}".into(), arguments_text),
        );
        out.insert("function".to_owned(), Json::Object(function));
    }
    Json::Object(out)
}

fn part_from_wire_item(item: &Json) -> MessagePart {
    match item.get("type").and_then(Json::as_str) {
        Some("text") => match item.get("text").and_then(Json::as_str) {
            Some(t) => MessagePart::Text(t.to_owned()),
            None => MessagePart::Other(item.clone()),
        },
        Some("image_url") => match item.get("image_url").and_then(|u| text(u, "url")) {
            Some(url) => MessagePart::Image { url },
            None => MessagePart::Other(item.clone()),
        },
        Some("audio_url") => match item.get("audio_url").and_then(|u| text(u, "url")) {
            Some(url) => MessagePart::AudioUrl { url },
            None => MessagePart::Other(item.clone()),
        },
        Some("input_audio") => {
            let audio = item.get("input_audio");
            match audio.and_then(|a| text(a, "data")) {
                Some(data) => MessagePart::Audio {
                    data,
                    format: audio.and_then(|a| text(a, "format")),
                },
                None => MessagePart::Other(item.clone()),
            }
        }
        _ => MessagePart::Other(item.clone()),
    }
}

fn part_from_semconv(part: &Json) -> MessagePart {
    let kind = part.get("type").and_then(Json::as_str);
    let modality = part.get("modality").and_then(Json::as_str);
    let other = || MessagePart::Other(part.clone());
    match (kind, modality) {
        (Some("text"), _) => text(part, "content").map_or_else(other, MessagePart::Text),
        (Some("reasoning"), _) => text(part, "content").map_or_else(other, MessagePart::Reasoning),
        (Some("uri"), Some("image")) => {
            text(part, "uri").map_or_else(other, |url| MessagePart::Image { url })
        }
        (Some("uri"), Some("audio")) => {
            text(part, "uri").map_or_else(other, |url| MessagePart::AudioUrl { url })
        }
        (Some("blob"), Some("image")) => match (text(part, "mime_type"), text(part, "content")) {
            (Some(mime), Some(data)) => MessagePart::Image {
                url: format!("data:{mime};base64,{data}"),
            },
            _ => other(),
        },
        (Some("blob"), Some("audio")) => match text(part, "content") {
            Some(data) => MessagePart::Audio {
                data,
                format: text(part, "mime_type")
                    .map(|m| m.strip_prefix("audio/").map_or(m.clone(), str::to_owned)),
            },
            None => other(),
        },
        (Some("tool_call"), _) => MessagePart::ToolCall(ToolCallPart {
            id: text(part, "id"),
            kind: "function".to_owned(),
            name: text(part, "name"),
            arguments: part.get("arguments").map(parse_arguments),
        }),
        (Some("tool_call_response"), _) => MessagePart::ToolResult {
            id: text(part, "id"),
            response: part.get("response").cloned().unwrap_or(Json::Null),
        },
        _ => other(),
    }
}

/// `(mime type, base64 data)` of a `data:{mime};base64,{data}` URL.
fn base64_data_url(url: &str) -> Option<(&str, &str)> {
    let (header, data) = url.strip_prefix("data:")?.split_once(',')?;
    let mime = header.strip_suffix(";base64")?;
    (!mime.is_empty() && !mime.contains(';')).then_some((mime, data))
}

fn part_to_semconv(part: &MessagePart) -> Json {
    use serde_json::json;
    match part {
        MessagePart::Text(t) => json!({"type": "text", "content": t}),
        MessagePart::Image { url } => match base64_data_url(url) {
            // The conventions: a URI "should not be a base64 data URL, which
            // should use the `blob` part instead".
            Some((mime, data)) => {
                json!({"type": "blob", "modality": "image", "mime_type": mime, "content": data})
            }
            None => json!({"type": "uri", "modality": "image", "uri": url}),
        },
        MessagePart::AudioUrl { url } => json!({"type": "uri", "modality": "audio", "uri": url}),
        MessagePart::Audio { data, format } => {
            let mut out = Map::new();
            out.insert("type".to_owned(), "blob".into());
            out.insert("modality".to_owned(), "audio".into());
            if let Some(format) = format {
                out.insert("mime_type".to_owned(), format!("audio/{format}").into());
            }
            out.insert("content".to_owned(), data.as_str().into());
            Json::Object(out)
        }
        MessagePart::ToolCall(call) => json!({
            "type": "tool_call",
            "id": call.id,
            "name": call.name.as_deref().unwrap_or_default(),
            "arguments": call.arguments.clone().unwrap_or(Json::Null),
        }),
        MessagePart::ToolResult { id, response } => {
            let mut out = Map::new();
            out.insert("type".to_owned(), "tool_call_response".into());
            if let Some(id) = id {
                out.insert("id".to_owned(), id.as_str().into());
            }
            out.insert("response".to_owned(), response.clone());
            Json::Object(out)
        }
        MessagePart::Reasoning(t) => json!({"type": "reasoning", "content": t}),
        MessagePart::Other(value) => value.clone(),
    }
}

#[cfg(test)]
mod tests;
