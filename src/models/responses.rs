//! The Responses API request (`POST {v1}/responses`): [`ResponsesOptions`],
//! built with `new` + `with_*` like the other requests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::responses_items::ResponseItem;
use super::responses_tools::{
    ReasoningConfig, ReasoningEffort, ReasoningSummary, ResponseTextConfig, ResponseTextFormat,
    ResponseTool, ResponseToolChoice, Truncation,
};

/// `input`: one user message as a string, or a list of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResponseInput {
    /// A string: one user message.
    Text(String),
    /// Messages, function calls and their outputs, reasoning items, ...
    Items(Vec<ResponseItem>),
}

impl From<&str> for ResponseInput {
    fn from(text: &str) -> Self {
        ResponseInput::Text(text.to_owned())
    }
}

impl From<String> for ResponseInput {
    fn from(text: String) -> Self {
        ResponseInput::Text(text)
    }
}

impl From<Vec<ResponseItem>> for ResponseInput {
    fn from(items: Vec<ResponseItem>) -> Self {
        ResponseInput::Items(items)
    }
}

/// A Responses API request.
///
/// Only what is set is sent; fields the crate does not model go in
/// [`extra`](Self::extra) (and reading a request body puts unknown keys
/// there, so nothing is lost).
///
/// ```
/// use azure_ai_inference_otel::models::{ReasoningEffort, ResponsesOptions};
///
/// let request = ResponsesOptions::new("Say hi.")
///     .with_model("gpt-5-mini")
///     .with_instructions("Be terse.")
///     .with_reasoning_effort(ReasoningEffort::Low)
///     .with_max_output_tokens(200);
/// let body = serde_json::to_value(&request).unwrap();
/// assert_eq!(body["input"], "Say hi.");
/// assert_eq!(body["reasoning"], serde_json::json!({"effort": "low"}));
/// assert!(body.get("temperature").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsesOptions {
    /// `model`: on the v1 API, the deployment name (required there; the
    /// client's default model fills it in when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `input`.
    pub input: ResponseInput,
    /// `instructions`: a system (developer) message ahead of the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// `tools`: functions and built-in tools the model may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ResponseTool>>,
    /// `tool_choice`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ResponseToolChoice>,
    /// `parallel_tool_calls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// `text`: the output format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<ResponseTextConfig>,
    /// `reasoning`: effort and summary, for reasoning models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    /// `max_output_tokens`: a bound on output tokens, reasoning included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// `temperature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// `top_p`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// `previous_response_id`: continue a stored conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    /// `store`: whether the service keeps the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    /// `truncation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncation: Option<Truncation>,
    /// `metadata`: up to 16 string pairs kept with the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// `stream`: set by the client (`create` refuses `true`,
    /// `create_streaming` sends `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Anything else, sent as it is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ResponsesOptions {
    /// A request with `input` (a string or items) and nothing else set.
    pub fn new(input: impl Into<ResponseInput>) -> Self {
        ResponsesOptions {
            model: None,
            input: input.into(),
            instructions: None,
            tools: None,
            tool_choice: None,
            parallel_tool_calls: None,
            text: None,
            reasoning: None,
            max_output_tokens: None,
            temperature: None,
            top_p: None,
            previous_response_id: None,
            store: None,
            truncation: None,
            metadata: None,
            stream: None,
            extra: Map::new(),
        }
    }

    /// Sets `model`.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets `instructions`.
    pub fn with_instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Sets `tools`.
    pub fn with_tools(mut self, tools: Vec<ResponseTool>) -> Self {
        self.tools = Some(tools);
        self
    }

    /// Sets `tool_choice`.
    pub fn with_tool_choice(mut self, choice: ResponseToolChoice) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// Sets `parallel_tool_calls`.
    pub fn with_parallel_tool_calls(mut self, parallel: bool) -> Self {
        self.parallel_tool_calls = Some(parallel);
        self
    }

    /// Sets `text.format`.
    pub fn with_text_format(mut self, format: ResponseTextFormat) -> Self {
        self.text.get_or_insert_with(Default::default).format = Some(format);
        self
    }

    /// Sets `reasoning.effort`.
    pub fn with_reasoning_effort(mut self, effort: ReasoningEffort) -> Self {
        self.reasoning.get_or_insert_with(Default::default).effort = Some(effort);
        self
    }

    /// Sets `reasoning.summary`.
    pub fn with_reasoning_summary(mut self, summary: ReasoningSummary) -> Self {
        self.reasoning.get_or_insert_with(Default::default).summary = Some(summary);
        self
    }

    /// Sets `max_output_tokens`.
    pub fn with_max_output_tokens(mut self, max: u32) -> Self {
        self.max_output_tokens = Some(max);
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

    /// Sets `previous_response_id`.
    pub fn with_previous_response_id(mut self, id: impl Into<String>) -> Self {
        self.previous_response_id = Some(id.into());
        self
    }

    /// Sets `store`.
    pub fn with_store(mut self, store: bool) -> Self {
        self.store = Some(store);
        self
    }

    /// Sets `truncation`.
    pub fn with_truncation(mut self, truncation: Truncation) -> Self {
        self.truncation = Some(truncation);
        self
    }

    /// Adds one `metadata` pair.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata
            .get_or_insert_with(Default::default)
            .insert(key.into(), value.into());
        self
    }

    /// Sets a parameter this crate does not model.
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{ResponseItem, ResponseToolChoice};
    use serde_json::json;

    #[test]
    fn none_is_not_sent() {
        let body = serde_json::to_value(ResponsesOptions::new("hi")).unwrap();
        assert_eq!(body, json!({"input": "hi"}));
    }

    #[test]
    fn every_field_is_sent_under_its_wire_name() {
        let request = ResponsesOptions::new(vec![ResponseItem::user("hi")])
            .with_model("m")
            .with_instructions("be brief")
            .with_tools(vec![ResponseTool::function(
                "f",
                "d",
                json!({"type": "object"}),
            )])
            .with_tool_choice(ResponseToolChoice::function("f"))
            .with_parallel_tool_calls(false)
            .with_text_format(ResponseTextFormat::JsonObject)
            .with_reasoning_effort(ReasoningEffort::High)
            .with_reasoning_summary(ReasoningSummary::Auto)
            .with_max_output_tokens(9)
            .with_temperature(0.5)
            .with_top_p(0.9)
            .with_previous_response_id("resp_0")
            .with_store(false)
            .with_truncation(Truncation::Auto)
            .with_metadata("k", "v")
            .with_extra("user", "u1");
        let body = serde_json::to_value(&request).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "m",
                "input": [{"role": "user", "content": "hi"}],
                "instructions": "be brief",
                "tools": [{"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}}],
                "tool_choice": {"type": "function", "name": "f"},
                "parallel_tool_calls": false,
                "text": {"format": {"type": "json_object"}},
                "reasoning": {"effort": "high", "summary": "auto"},
                "max_output_tokens": 9,
                "temperature": 0.5,
                "top_p": 0.9,
                "previous_response_id": "resp_0",
                "store": false,
                "truncation": "auto",
                "metadata": {"k": "v"},
                "user": "u1"
            })
        );
        let back: ResponsesOptions = serde_json::from_value(body).unwrap();
        assert_eq!(back, request);
    }
}
