//! The Responses API's request configuration objects: tools, tool choice,
//! the text format and the reasoning settings.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::extensible_enum;
use super::tool_choice::{FlatFunction, tool_choice};
use super::tools::{FunctionDefinition, JsonSchemaFormat};

/// One item of `tools`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ResponseTool {
    /// A function the caller runs:
    /// `{"type":"function","name","description","parameters","strict"}`
    /// (flat, unlike chat completions' `{"function":{..}}`).
    #[serde(rename = "function")]
    Function(FunctionDefinition),
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
        ResponseTool::Function(
            FunctionDefinition::new(name)
                .with_description(description)
                .with_parameters(parameters),
        )
    }
}

tool_choice! {
    /// `tool_choice` of the Responses API: a mode string, or
    /// `{"type":"function","name":..}`.
    pub enum ResponseToolChoice;
    function_object = r#"{"type":"function","name":..}"#;
    function_json = |name| FlatFunction::new(name);
    function_name = |value| value.get("name").and_then(Value::as_str);
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
    JsonSchema(JsonSchemaFormat),
}

impl ResponseTextFormat {
    /// The `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            ResponseTextFormat::Text => "text",
            ResponseTextFormat::JsonObject => "json_object",
            ResponseTextFormat::JsonSchema(_) => "json_schema",
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
            ResponseToolChoice::Function { .. }
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
