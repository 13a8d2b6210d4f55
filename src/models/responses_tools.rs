//! The Responses API's request configuration objects: tools, tool choice,
//! the text format and the reasoning settings.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::extensible_enum;

/// A function tool: `{"type":"function","name","description","parameters","strict"}`
/// (flat, unlike chat completions' `{"function":{..}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseFunctionTool {
    /// `name`.
    pub name: String,
    /// `description`: what the function does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `parameters`: a JSON Schema of the arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// `strict`: enforce the schema exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// One item of `tools`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ResponseTool {
    /// A function the caller runs.
    #[serde(rename = "function")]
    Function(ResponseFunctionTool),
    /// A built-in or hosted tool (`web_search_preview`, `file_search`,
    /// `mcp`, ...), kept as JSON.
    #[serde(untagged)]
    Other(Value),
}

impl ResponseTool {
    /// A function tool with a name, a description and a JSON Schema of its arguments.
    pub fn function(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
    ) -> Self {
        ResponseTool::Function(ResponseFunctionTool {
            name: name.into(),
            description: Some(description.into()),
            parameters: Some(parameters),
            strict: None,
        })
    }
}

extensible_enum! {
    /// `tool_choice` as a mode.
    pub enum ResponseToolChoiceMode {
        /// `"auto"`: the model decides.
        Auto = "auto",
        /// `"none"`: no tool calls.
        None = "none",
        /// `"required"`: at least one tool call.
        Required = "required",
    }
}

/// `tool_choice`: a mode, one named function, or another tool type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResponseToolChoice {
    /// `"auto"`, `"none"`, `"required"`.
    Mode(ResponseToolChoiceMode),
    /// `{"type":"function","name":..}`.
    Function(NamedFunctionChoice),
    /// Any other object (`{"type":"file_search"}`, `allowed_tools`, ...).
    Other(Value),
}

/// `{"type":"function","name":..}`: call this function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedFunctionChoice {
    /// `type`: `function`.
    #[serde(rename = "type")]
    pub kind: FunctionType,
    /// `name`: the function to call.
    pub name: String,
}

/// The literal `"function"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FunctionType {
    /// `"function"`.
    #[default]
    #[serde(rename = "function")]
    Function,
}

impl ResponseToolChoice {
    /// `{"type":"function","name":name}`.
    pub fn function(name: impl Into<String>) -> Self {
        ResponseToolChoice::Function(NamedFunctionChoice {
            kind: FunctionType::Function,
            name: name.into(),
        })
    }

    /// The choice's kind without content: the mode, else the object's `type`.
    pub fn kind(&self) -> &str {
        match self {
            ResponseToolChoice::Mode(mode) => mode.as_str(),
            ResponseToolChoice::Function(_) => "function",
            ResponseToolChoice::Other(value) => value
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        }
    }
}

/// `text.format`: free text, JSON mode or a JSON schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ResponseTextFormat {
    /// `{"type":"text"}`.
    #[serde(rename = "text")]
    Text,
    /// `{"type":"json_object"}`.
    #[serde(rename = "json_object")]
    JsonObject,
    /// `{"type":"json_schema","name","schema","description","strict"}`
    /// (flat, unlike chat completions' `{"json_schema":{..}}`).
    #[serde(rename = "json_schema")]
    JsonSchema {
        /// `name`.
        name: String,
        /// `schema`: the JSON Schema.
        schema: Value,
        /// `description`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// `strict`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
    },
}

impl ResponseTextFormat {
    /// The `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            ResponseTextFormat::Text => "text",
            ResponseTextFormat::JsonObject => "json_object",
            ResponseTextFormat::JsonSchema { .. } => "json_schema",
        }
    }
}

/// `text`: the output text's configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResponseTextConfig {
    /// `format`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ResponseTextFormat>,
    /// `verbosity`: `low`, `medium` or `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<String>,
}

extensible_enum! {
    /// `reasoning.effort`.
    pub enum ReasoningEffort {
        /// `"minimal"`.
        Minimal = "minimal",
        /// `"low"`.
        Low = "low",
        /// `"medium"`.
        Medium = "medium",
        /// `"high"`.
        High = "high",
    }
}

extensible_enum! {
    /// `reasoning.summary`: whether and how the reasoning is summarized.
    pub enum ReasoningSummary {
        /// `"auto"`.
        Auto = "auto",
        /// `"concise"`.
        Concise = "concise",
        /// `"detailed"`.
        Detailed = "detailed",
    }
}

/// `reasoning`: settings for reasoning models.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReasoningConfig {
    /// `effort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
}

extensible_enum! {
    /// `truncation`: what the service does when the input is too long.
    pub enum Truncation {
        /// `"auto"`: drop items from the start of the conversation.
        Auto = "auto",
        /// `"disabled"`: fail with a 400.
        Disabled = "disabled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tools_and_choices_round_trip() {
        let tools = json!([
            {"type": "function", "name": "get_weather", "parameters": {"type": "object"}, "strict": true},
            {"type": "web_search_preview"}
        ]);
        let parsed: Vec<ResponseTool> = serde_json::from_value(tools.clone()).unwrap();
        assert!(matches!(&parsed[0], ResponseTool::Function(f) if f.name == "get_weather"));
        assert!(matches!(&parsed[1], ResponseTool::Other(_)));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), tools);

        for (choice, kind) in [
            (json!("auto"), "auto"),
            (json!({"type": "function", "name": "f"}), "function"),
            (json!({"type": "file_search"}), "file_search"),
        ] {
            let parsed: ResponseToolChoice = serde_json::from_value(choice.clone()).unwrap();
            assert_eq!(parsed.kind(), kind);
            assert_eq!(serde_json::to_value(&parsed).unwrap(), choice);
        }
        assert!(matches!(
            serde_json::from_value::<ResponseToolChoice>(json!({"type": "function", "name": "f"}))
                .unwrap(),
            ResponseToolChoice::Function(_)
        ));
    }

    #[test]
    fn text_formats() {
        let format = json!({"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": true});
        let parsed: ResponseTextFormat = serde_json::from_value(format.clone()).unwrap();
        assert_eq!(parsed.kind(), "json_schema");
        assert_eq!(serde_json::to_value(&parsed).unwrap(), format);
        assert_eq!(
            serde_json::to_value(ResponseTextFormat::Text).unwrap(),
            json!({"type": "text"})
        );
    }
}
