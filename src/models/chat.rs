//! Chat completions requests (`POST /chat/completions`): the options, the
//! messages, and the output modalities.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::chat_response::ChatResponseMessage;
use super::common::null_as_default;
use super::content::{ContentItem, MessageContent};
use super::tools::{
    ChatCompletionsResponseFormat, ChatCompletionsToolCall, ChatCompletionsToolChoice,
    ChatCompletionsToolDefinition,
};

/// The body of a chat completions request (`ChatCompletionsOptions`).
///
/// Build it with [`new`](Self::new) and the `with_*` methods. Parameters the
/// REST API does not define go in [`extra`](Self::extra) and are sent as
/// top-level keys; reading a JSON body puts unknown keys there too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionsOptions {
    /// `messages`: the conversation so far.
    pub messages: Vec<ChatRequestMessage>,
    /// `model`: which model to use when the endpoint serves several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `max_tokens`: the most tokens to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// `max_completion_tokens` (v1 API and deployments): the most tokens
    /// to generate, reasoning tokens included; what reasoning models
    /// (o-series, GPT-5) take instead of `max_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    /// `reasoning_effort` (reasoning models): `minimal`, `low`, `medium`
    /// or `high`, passed as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// `temperature`: sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// `top_p`: nucleus sampling probability mass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// `frequency_penalty`: penalty for tokens by how often they appeared, in [-2, 2].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// `presence_penalty`: penalty for tokens that already appeared, in [-2, 2].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// `seed`: best-effort deterministic sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// `stop`: sequences that end generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// `tools`: the functions the model may call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ChatCompletionsToolDefinition>>,
    /// `tool_choice`: whether and which tool the model must call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ChatCompletionsToolChoice>,
    /// `response_format`: text, JSON mode or a JSON schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ChatCompletionsResponseFormat>,
    /// `modalities`: the output modalities allowed (`text`, `audio`; any
    /// other string is sent as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modalities: Option<Vec<String>>,
    /// `stream`: whether the service streams updates; set by the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// `stream_options`. On v1 and Azure OpenAI deployment endpoints a
    /// streamed call left without it is sent `{"include_usage": true}`
    /// (without it the service reports no token counts on a stream); a
    /// value set here is sent as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// Extra top-level parameters passed through as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `stream_options` of a streamed chat request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    /// `include_usage`: send a last chunk with the token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    /// Other keys, passed through as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StreamOptions {
    /// `{"include_usage": true}`.
    pub fn include_usage() -> Self {
        StreamOptions {
            include_usage: Some(true),
            extra: Map::new(),
        }
    }
}

impl ChatCompletionsOptions {
    /// A request with these messages and nothing else set.
    pub fn new(messages: Vec<ChatRequestMessage>) -> Self {
        ChatCompletionsOptions {
            messages,
            model: None,
            max_tokens: None,
            max_completion_tokens: None,
            reasoning_effort: None,
            temperature: None,
            top_p: None,
            frequency_penalty: None,
            presence_penalty: None,
            seed: None,
            stop: None,
            tools: None,
            tool_choice: None,
            response_format: None,
            modalities: None,
            stream: None,
            stream_options: None,
            extra: Map::new(),
        }
    }

    /// Sets `max_completion_tokens`.
    pub fn with_max_completion_tokens(mut self, max_completion_tokens: u32) -> Self {
        self.max_completion_tokens = Some(max_completion_tokens);
        self
    }

    /// Sets `reasoning_effort` (`minimal`, `low`, `medium`, `high`).
    pub fn with_reasoning_effort(mut self, effort: impl Into<String>) -> Self {
        self.reasoning_effort = Some(effort.into());
        self
    }

    /// Sets `stream_options` (see [`stream_options`](Self::stream_options)).
    pub fn with_stream_options(mut self, stream_options: StreamOptions) -> Self {
        self.stream_options = Some(stream_options);
        self
    }

    /// Sets `model`.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets `max_tokens`.
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Sets `temperature`.
    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Sets `top_p`.
    pub fn with_top_p(mut self, top_p: f64) -> Self {
        self.top_p = Some(top_p);
        self
    }

    /// Sets `frequency_penalty`.
    pub fn with_frequency_penalty(mut self, penalty: f64) -> Self {
        self.frequency_penalty = Some(penalty);
        self
    }

    /// Sets `presence_penalty`.
    pub fn with_presence_penalty(mut self, penalty: f64) -> Self {
        self.presence_penalty = Some(penalty);
        self
    }

    /// Sets `seed`.
    pub fn with_seed(mut self, seed: i64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets `stop`.
    pub fn with_stop<I, S>(mut self, stop: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.stop = Some(stop.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `tools`.
    pub fn with_tools(mut self, tools: Vec<ChatCompletionsToolDefinition>) -> Self {
        self.tools = Some(tools);
        self
    }

    /// Sets `tool_choice`.
    pub fn with_tool_choice(mut self, choice: ChatCompletionsToolChoice) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// Sets `response_format`.
    pub fn with_response_format(mut self, format: ChatCompletionsResponseFormat) -> Self {
        self.response_format = Some(format);
        self
    }

    /// Sets `modalities`.
    pub fn with_modalities<I, S>(mut self, modalities: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.modalities = Some(modalities.into_iter().map(Into::into).collect());
        self
    }

    /// Adds an extra top-level parameter (for example `top_k`); a key the
    /// API defines should be set through its own field instead.
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
}

/// One message of the conversation sent to the model, tagged by `role`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum ChatRequestMessage {
    /// `{"role":"system","content":..}`: instructions.
    System {
        /// `content`: the instructions.
        content: String,
    },
    /// `{"role":"developer","content":..}`: instructions prioritized ahead
    /// of user messages.
    Developer {
        /// `content`: the instructions.
        content: String,
    },
    /// `{"role":"user","content":..}`.
    User {
        /// `content`: a string or an array of content items.
        content: MessageContent,
    },
    /// `{"role":"assistant",..}`: an earlier answer.
    Assistant {
        /// `content`: the text, absent when the message only carries tool calls.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        /// `tool_calls`: the tool calls the model asked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool_calls: Option<Vec<ChatCompletionsToolCall>>,
        /// `audio.id`: the id of audio the model generated earlier
        /// (`"audio":{"id":..}` on the wire).
        #[serde(
            default,
            rename = "audio",
            skip_serializing_if = "Option::is_none",
            with = "super::common::id_object::option"
        )]
        audio_id: Option<String>,
    },
    /// `{"role":"tool","tool_call_id":..,"content":..}`: a tool's result.
    Tool {
        /// `content`: the tool's output.
        #[serde(default, deserialize_with = "null_as_default")]
        content: String,
        /// `tool_call_id`: the id of the tool call this answers.
        tool_call_id: String,
    },
}

impl ChatRequestMessage {
    /// A system message: `{"role":"system","content":..}`.
    pub fn system(content: impl Into<String>) -> Self {
        Self::System {
            content: content.into(),
        }
    }

    /// A developer message: `{"role":"developer","content":..}`.
    pub fn developer(content: impl Into<String>) -> Self {
        Self::Developer {
            content: content.into(),
        }
    }

    /// A user text message: `{"role":"user","content":"..."}`.
    pub fn user(content: impl Into<String>) -> Self {
        Self::User {
            content: MessageContent::Text(content.into()),
        }
    }

    /// A user message made of content items (text, images, audio).
    pub fn user_parts(parts: Vec<ContentItem>) -> Self {
        Self::User {
            content: MessageContent::Parts(parts),
        }
    }

    /// An assistant text message, e.g. a previous answer.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::Assistant {
            content: Some(content.into()),
            tool_calls: None,
            audio_id: None,
        }
    }

    /// An assistant message carrying the tool calls the model asked for.
    pub fn assistant_tool_calls(tool_calls: Vec<ChatCompletionsToolCall>) -> Self {
        Self::Assistant {
            content: None,
            tool_calls: Some(tool_calls),
            audio_id: None,
        }
    }

    /// A tool result: `{"role":"tool","tool_call_id":..,"content":..}`.
    pub fn tool(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self::Tool {
            content: content.into(),
            tool_call_id: tool_call_id.into(),
        }
    }

    /// The `role` value: `system`, `developer`, `user`, `assistant` or `tool`.
    pub fn role(&self) -> &'static str {
        match self {
            Self::System { .. } => "system",
            Self::Developer { .. } => "developer",
            Self::User { .. } => "user",
            Self::Assistant { .. } => "assistant",
            Self::Tool { .. } => "tool",
        }
    }
}

impl From<ChatResponseMessage> for ChatRequestMessage {
    /// Turns a response message into the assistant message to append to the history.
    fn from(message: ChatResponseMessage) -> Self {
        Self::Assistant {
            content: message.content,
            tool_calls: message.tool_calls,
            audio_id: message.audio.map(|a| a.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{
        AudioContentFormat, FunctionDefinition, ImageDetailLevel, JsonSchemaFormat,
    };
    use serde_json::json;

    fn to_json<T: Serialize>(value: &T) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn assistant_audio_is_a_reference_by_id() {
        let wire = json!({"role": "assistant", "audio": {"id": "audio_1"}});
        let message: ChatRequestMessage = serde_json::from_value(wire.clone()).unwrap();
        assert!(matches!(
            &message,
            ChatRequestMessage::Assistant { audio_id: Some(id), content: None, .. } if id == "audio_1"
        ));
        assert_eq!(serde_json::to_value(&message).unwrap(), wire);
        assert_eq!(
            serde_json::to_value(ChatRequestMessage::assistant("hi")).unwrap(),
            json!({"role": "assistant", "content": "hi"})
        );
    }

    #[test]
    fn unset_fields_are_not_sent() {
        let r = ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")]);
        assert_eq!(
            to_json(&r),
            json!({"messages": [{"role": "user", "content": "hi"}]})
        );
    }

    #[test]
    fn builder_sets_every_field() {
        let r = ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")])
            .with_model("gpt-4o")
            .with_max_tokens(64)
            .with_temperature(0.5)
            .with_top_p(0.9)
            .with_frequency_penalty(0.25)
            .with_presence_penalty(-0.5)
            .with_seed(42)
            .with_stop(["END", "\n\n"])
            .with_tools(vec![ChatCompletionsToolDefinition::function(
                FunctionDefinition::new("get_time"),
            )])
            .with_tool_choice(ChatCompletionsToolChoice::Required)
            .with_response_format(ChatCompletionsResponseFormat::json_schema(
                JsonSchemaFormat::new("answer", json!({"type": "object"})),
            ))
            .with_modalities(["text"])
            .with_extra("top_k", 40)
            .with_extra("safe_prompt", true);
        assert_eq!(
            to_json(&r),
            json!({
                "messages": [{"role": "user", "content": "hi"}],
                "model": "gpt-4o",
                "max_tokens": 64,
                "temperature": 0.5,
                "top_p": 0.9,
                "frequency_penalty": 0.25,
                "presence_penalty": -0.5,
                "seed": 42,
                "stop": ["END", "\n\n"],
                "tools": [{"type": "function", "function": {"name": "get_time"}}],
                "tool_choice": "required",
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "answer", "schema": {"type": "object"}}
                },
                "modalities": ["text"],
                "top_k": 40,
                "safe_prompt": true
            })
        );
    }

    #[test]
    fn each_role_serializes_to_the_wire_shape() {
        let call = ChatCompletionsToolCall::function("call_1", "get_time", r#"{"tz":"UTC"}"#);
        let cases = [
            (
                ChatRequestMessage::system("be brief"),
                json!({"role": "system", "content": "be brief"}),
            ),
            (
                ChatRequestMessage::developer("no emoji"),
                json!({"role": "developer", "content": "no emoji"}),
            ),
            (
                ChatRequestMessage::user("hi"),
                json!({"role": "user", "content": "hi"}),
            ),
            (
                ChatRequestMessage::user_parts(vec![
                    ContentItem::text("what is this?"),
                    ContentItem::image_url("https://example.com/a.png"),
                    ContentItem::image_url_with_detail(
                        "data:image/png;base64,AA==",
                        ImageDetailLevel::Low,
                    ),
                    ContentItem::input_audio("UklGRg==", AudioContentFormat::Wav),
                ]),
                json!({"role": "user", "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA==", "detail": "low"}},
                    {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
                ]}),
            ),
            (
                ChatRequestMessage::assistant("hello"),
                json!({"role": "assistant", "content": "hello"}),
            ),
            (
                ChatRequestMessage::assistant_tool_calls(vec![call]),
                json!({"role": "assistant", "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": "get_time", "arguments": "{\"tz\":\"UTC\"}"}
                }]}),
            ),
            (
                ChatRequestMessage::tool("call_1", "12:00"),
                json!({"role": "tool", "content": "12:00", "tool_call_id": "call_1"}),
            ),
        ];
        for (message, wire) in cases {
            assert_eq!(to_json(&message), wire);
            assert_eq!(message.role(), wire["role"]);
            let back: ChatRequestMessage = serde_json::from_value(wire).unwrap();
            assert_eq!(back, message);
        }
    }

    #[test]
    fn request_body_round_trips_unknown_keys_through_extra() {
        let body = json!({
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": [
                    {"type": "text", "text": "t"},
                    {"type": "file", "file": {"file_id": "f1"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ]},
                {"role": "tool", "tool_call_id": "c", "content": "ok"}
            ],
            "temperature": 1,
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "response_format": {"type": "json_object"},
            "n": 2,
            "stream_options": {"include_usage": true},
            "logit_bias": {"50256": -100}
        });
        let r: ChatCompletionsOptions = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(r.temperature, Some(1.0));
        assert_eq!(
            r.tool_choice,
            Some(ChatCompletionsToolChoice::function("f"))
        );
        assert_eq!(
            r.response_format,
            Some(ChatCompletionsResponseFormat::JsonObject)
        );
        assert_eq!(r.extra.len(), 2);
        assert_eq!(r.stream_options, Some(StreamOptions::include_usage()));
        let ChatRequestMessage::User {
            content: MessageContent::Parts(parts),
        } = &r.messages[1]
        else {
            panic!("not a user message of parts: {:?}", r.messages[1]);
        };
        assert!(matches!(&parts[1], ContentItem::Other(m) if m["type"] == "file"));

        let mut expected = body;
        // `content: null` on the assistant message is left out on the way back.
        expected["messages"][2]
            .as_object_mut()
            .unwrap()
            .remove("content");
        expected["temperature"] = json!(1.0);
        assert_eq!(to_json(&r), expected);
    }

    #[test]
    fn unknown_roles_and_missing_messages_are_errors() {
        let bad = json!({"role": "function", "content": "x"});
        assert!(serde_json::from_value::<ChatRequestMessage>(bad).is_err());
        assert!(serde_json::from_value::<ChatCompletionsOptions>(json!({"model": "m"})).is_err());
    }

    #[test]
    fn a_response_message_becomes_the_next_assistant_message() {
        let response = ChatResponseMessage {
            content: Some("it is noon".into()),
            reasoning_content: Some("checked the clock".into()),
            ..Default::default()
        };
        let message = ChatRequestMessage::from(response);
        assert_eq!(
            to_json(&message),
            json!({"role": "assistant", "content": "it is noon"})
        );
    }
}
