//! Tools and output formats for chat completions: tool definitions, tool
//! choice, response formats, and the tool calls the model answers with.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::tool_choice::{NestedFunction, tool_choice};

/// A tool the model may call (`tools` items): `{"type":"function","function":{..}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionsToolDefinition {
    /// `type`: always `"function"` today.
    #[serde(default = "function_type")]
    pub r#type: String,
    /// `function`: the function's name, description and parameter schema.
    pub function: FunctionDefinition,
}

impl ChatCompletionsToolDefinition {
    /// A function tool.
    pub fn function(function: FunctionDefinition) -> Self {
        ChatCompletionsToolDefinition {
            r#type: function_type(),
            function,
        }
    }
}

/// A function the model may call (`function` of a tool definition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDefinition {
    /// `name`: the function's name.
    pub name: String,
    /// `description`: what the function does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `parameters`: a JSON Schema of the arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// `strict` (Azure OpenAI): enforce the schema exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

impl FunctionDefinition {
    /// A function with a name only.
    pub fn new(name: impl Into<String>) -> Self {
        FunctionDefinition {
            name: name.into(),
            description: None,
            parameters: None,
            strict: None,
        }
    }

    /// Sets `description`.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets `parameters` (a JSON Schema object).
    pub fn with_parameters(mut self, parameters: Value) -> Self {
        self.parameters = Some(parameters);
        self
    }

    /// Sets `strict`.
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = Some(strict);
        self
    }
}

tool_choice! {
    /// `tool_choice` of chat completions: a mode string, or
    /// `{"type":"function","function":{"name":..}}`.
    pub enum ChatCompletionsToolChoice;
    function_object = r#"{"type":"function","function":{"name":..}}"#;
    function_json = |name| NestedFunction::new(name);
    function_name = |value| value.get("function").and_then(|f| f.get("name")).and_then(Value::as_str);
}

/// `response_format`, tagged by `type`: `text`, `json_object` or `json_schema`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatCompletionsResponseFormat {
    /// `{"type":"text"}`: free text (the default).
    Text,
    /// `{"type":"json_object"}`: JSON mode.
    JsonObject,
    /// `{"type":"json_schema","json_schema":{..}}`: structured output.
    JsonSchema {
        /// `json_schema`: the schema and its metadata.
        json_schema: JsonSchemaFormat,
    },
}

impl ChatCompletionsResponseFormat {
    /// `{"type":"json_schema","json_schema":{"name":..,"schema":..}}`.
    pub fn json_schema(format: JsonSchemaFormat) -> Self {
        Self::JsonSchema {
            json_schema: format,
        }
    }
}

/// The `json_schema` of a JSON schema response format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonSchemaFormat {
    /// `name`: a-z, A-Z, 0-9, `_` and `-`, at most 64 characters.
    pub name: String,
    /// `schema`: the JSON Schema object.
    pub schema: Value,
    /// `description`: what the format is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `strict`: follow the schema exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

impl JsonSchemaFormat {
    /// A schema format with a name and schema.
    pub fn new(name: impl Into<String>, schema: Value) -> Self {
        JsonSchemaFormat {
            name: name.into(),
            schema,
            description: None,
            strict: None,
        }
    }

    /// Sets `description`.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets `strict`.
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = Some(strict);
        self
    }
}

fn function_type() -> String {
    "function".to_owned()
}

/// A tool call the model asks for: `{"id","type":"function","function":{..}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCompletionsToolCall {
    /// `id`: quote it in the `tool` message that answers the call.
    #[serde(default)]
    pub id: String,
    /// `type`: always `"function"` today.
    #[serde(default = "function_type")]
    pub r#type: String,
    /// `function`: the function name and its JSON arguments.
    pub function: FunctionCall,
}

impl ChatCompletionsToolCall {
    /// A function tool call.
    pub fn function(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        ChatCompletionsToolCall {
            id: id.into(),
            r#type: function_type(),
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
            },
        }
    }
}

/// A function name and its arguments (`function` of a tool call).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// `name`: the function to call.
    #[serde(default)]
    pub name: String,
    /// `arguments`: a JSON string (an object sent instead is re-encoded as one);
    /// models can produce invalid JSON, so validate before use.
    #[serde(default, deserialize_with = "arguments_string")]
    pub arguments: String,
}

/// Some services send `arguments` as a JSON object rather than a string.
fn arguments_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tool_choice_forms() {
        let cases = [
            (ChatCompletionsToolChoice::Auto, json!("auto")),
            (ChatCompletionsToolChoice::None, json!("none")),
            (ChatCompletionsToolChoice::Required, json!("required")),
            (
                ChatCompletionsToolChoice::function("get_time"),
                json!({"type": "function", "function": {"name": "get_time"}}),
            ),
        ];
        for (choice, wire) in cases {
            assert_eq!(serde_json::to_value(&choice).unwrap(), wire);
            assert_eq!(
                serde_json::from_value::<ChatCompletionsToolChoice>(wire).unwrap(),
                choice
            );
        }
        let future: ChatCompletionsToolChoice = serde_json::from_value(json!("any")).unwrap();
        assert_eq!(future, ChatCompletionsToolChoice::Other(json!("any")));
        assert_eq!(future.mode(), Some("any"));
        // An object of another shape is kept whole, not read as the named function.
        let wider = json!({"type": "function", "function": {"name": "f"}, "x": 1});
        let parsed: ChatCompletionsToolChoice = serde_json::from_value(wider.clone()).unwrap();
        assert_eq!(parsed.kind(), "function");
        assert_eq!(serde_json::to_value(&parsed).unwrap(), wider);
    }

    #[test]
    fn response_formats() {
        assert_eq!(
            serde_json::to_value(ChatCompletionsResponseFormat::Text).unwrap(),
            json!({"type": "text"})
        );
        assert_eq!(
            serde_json::to_value(ChatCompletionsResponseFormat::JsonObject).unwrap(),
            json!({"type": "json_object"})
        );
        let format = ChatCompletionsResponseFormat::json_schema(
            JsonSchemaFormat::new("weather", json!({"type": "object", "properties": {}}))
                .with_description("a forecast")
                .with_strict(true),
        );
        let wire = json!({
            "type": "json_schema",
            "json_schema": {
                "name": "weather",
                "schema": {"type": "object", "properties": {}},
                "description": "a forecast",
                "strict": true
            }
        });
        assert_eq!(serde_json::to_value(&format).unwrap(), wire);
        assert_eq!(
            serde_json::from_value::<ChatCompletionsResponseFormat>(wire).unwrap(),
            format
        );
    }

    #[test]
    fn tool_definitions() {
        let tool = ChatCompletionsToolDefinition::function(
            FunctionDefinition::new("get_weather")
                .with_description("Weather for a city")
                .with_parameters(
                    json!({"type": "object", "properties": {"city": {"type": "string"}}}),
                )
                .with_strict(true),
        );
        let wire = json!({
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                "strict": true
            }
        });
        assert_eq!(serde_json::to_value(&tool).unwrap(), wire);
        assert_eq!(
            serde_json::from_value::<ChatCompletionsToolDefinition>(wire).unwrap(),
            tool
        );
    }

    #[test]
    fn tool_calls_are_read_leniently() {
        let call: ChatCompletionsToolCall = serde_json::from_value(json!({
            "id": "call_9",
            "function": {"name": "f", "arguments": {"city": "Paris"}},
            "index": 0
        }))
        .unwrap();
        assert_eq!(call.r#type, "function");
        assert_eq!(call.function.arguments, r#"{"city":"Paris"}"#);
        let call: ChatCompletionsToolCall = serde_json::from_value(
            json!({"id": "c", "type": "function", "function": {"name": "g"}}),
        )
        .unwrap();
        assert_eq!(call, ChatCompletionsToolCall::function("c", "g", ""));
    }
}
