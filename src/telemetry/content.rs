//! JSON bodies of events and content attributes.
//!
//! Built from borrowed structs with `serde` (no intermediate `Value` tree),
//! since a choice event is written on every call, recording or not.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::record::{ChoiceRecord, ToolCallRecord};

/// `gen_ai.choice` content: `{"message":{...},"finish_reason":..,"index":N}`.
#[derive(Serialize)]
struct ChoiceEvent<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<ChoiceMessage<'a>>,
    finish_reason: &'a str,
    index: u32,
}

#[derive(Serialize)]
struct ChoiceMessage<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Vec<ToolCallJson<'a>>>,
}

#[derive(Serialize)]
struct ToolCallJson<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    function: Option<FunctionJson<'a>>,
}

#[derive(Serialize)]
struct FunctionJson<'a> {
    name: &'a str,
    arguments: &'a str,
}

fn tool_calls_json<'a>(
    calls: &'a [ToolCallRecord<'a>],
    with_content: bool,
) -> Vec<ToolCallJson<'a>> {
    calls
        .iter()
        .map(|c| ToolCallJson {
            id: c.id,
            kind: c.kind,
            function: with_content.then_some(FunctionJson {
                name: c.name,
                arguments: c.arguments,
            }),
        })
        .collect()
}

/// The `gen_ai.choice` event body. With `with_content` off only the finish
/// reason, the index and tool calls reduced to `{id, type}` are written;
/// `finish_reason` is the choice's own, else `unfinished`.
pub(crate) fn choice_event(
    choice: &ChoiceRecord<'_>,
    with_content: bool,
    unfinished: &str,
) -> String {
    let tool_calls =
        (!choice.tool_calls.is_empty()).then(|| tool_calls_json(&choice.tool_calls, with_content));
    let message = if with_content {
        Some(ChoiceMessage {
            content: Some(choice.content),
            tool_calls,
        })
    } else {
        tool_calls.map(|calls| ChoiceMessage {
            content: None,
            tool_calls: Some(calls),
        })
    };
    let event = ChoiceEvent {
        message,
        finish_reason: choice.finish_reason.unwrap_or(unfinished),
        index: choice.index,
    };
    // Serializing plain strings and integers cannot fail.
    serde_json::to_string(&event).unwrap_or_default()
}

/// Newer conventions: a tool call's arguments as JSON when they parse, else
/// the raw text.
fn arguments_value(arguments: &str) -> Value {
    serde_json::from_str(arguments).unwrap_or_else(|_| Value::String(arguments.to_owned()))
}

/// Newer conventions (`gen_ai.output.messages`): the choices as structured
/// messages with `parts`.
pub(crate) fn output_messages(choices: &[&ChoiceRecord<'_>], unfinished: &str) -> String {
    let messages: Vec<Value> = choices
        .iter()
        .map(|c| {
            let mut parts = Vec::with_capacity(1 + c.tool_calls.len());
            if let Some(text) = c.content {
                parts.push(json!({"type": "text", "content": text}));
            }
            for call in &c.tool_calls {
                parts.push(json!({
                    "type": "tool_call",
                    "id": call.id,
                    "name": call.name,
                    "arguments": arguments_value(call.arguments),
                }));
            }
            json!({
                "role": "assistant",
                "parts": parts,
                "finish_reason": c.finish_reason.unwrap_or(unfinished),
            })
        })
        .collect();
    Value::Array(messages).to_string()
}

/// Newer conventions (`gen_ai.input.messages`): wire-format request messages
/// (`{"role","content",...}`) as structured messages with `parts`.
pub(crate) fn input_messages<'a>(messages: impl IntoIterator<Item = &'a Value>) -> String {
    let converted: Vec<Value> = messages.into_iter().map(input_message).collect();
    Value::Array(converted).to_string()
}

fn input_message(message: &Value) -> Value {
    let role = message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or("user");
    let mut parts = Vec::new();
    if role == "tool" {
        let mut part = Map::new();
        part.insert("type".into(), "tool_call_response".into());
        if let Some(id) = message.get("tool_call_id") {
            part.insert("id".into(), id.clone());
        }
        part.insert(
            "response".into(),
            message.get("content").cloned().unwrap_or(Value::Null),
        );
        parts.push(Value::Object(part));
    } else {
        match message.get("content") {
            Some(Value::String(text)) => parts.push(json!({"type": "text", "content": text})),
            Some(Value::Array(items)) => parts.extend(items.iter().map(content_item_part)),
            _ => {}
        }
        if let Some(Value::Array(calls)) = message.get("tool_calls") {
            for call in calls {
                let function = call.get("function");
                let text = |v: Option<&Value>, key: &str| {
                    v.and_then(|f| f.get(key))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                parts.push(json!({
                    "type": "tool_call",
                    "id": call.get("id").cloned().unwrap_or(Value::Null),
                    "name": text(function, "name"),
                    "arguments": arguments_value(&text(function, "arguments")),
                }));
            }
        }
    }
    json!({"role": role, "parts": parts})
}

fn content_item_part(item: &Value) -> Value {
    match item.get("type").and_then(Value::as_str) {
        Some("text") => {
            json!({"type": "text", "content": item.get("text").cloned().unwrap_or(Value::Null)})
        }
        Some("image_url") => {
            let url = item
                .get("image_url")
                .and_then(|u| u.get("url"))
                .cloned()
                .unwrap_or(Value::Null);
            json!({"type": "uri", "modality": "image", "uri": url})
        }
        Some("input_audio") => {
            json!({"type": "blob", "modality": "audio", "content": item.get("input_audio").and_then(|a| a.get("data")).cloned().unwrap_or(Value::Null)})
        }
        _ => item.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>() -> ToolCallRecord<'a> {
        ToolCallRecord {
            id: "call_1",
            kind: "function",
            name: "get_weather",
            arguments: r#"{"city":"Paris"}"#,
        }
    }

    #[test]
    fn choice_event_with_content() {
        let choice = ChoiceRecord {
            index: 0,
            finish_reason: Some("tool_calls"),
            content: None,
            tool_calls: vec![call()],
        };
        let v: Value = serde_json::from_str(&choice_event(&choice, true, "error")).unwrap();
        assert_eq!(
            v,
            json!({"message":{"content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls","index":0})
        );
    }

    #[test]
    fn choice_event_without_content_keeps_only_ids() {
        let choice = ChoiceRecord {
            index: 1,
            finish_reason: None,
            content: Some("secret text"),
            tool_calls: vec![call()],
        };
        let body = choice_event(&choice, false, "cancelled");
        assert!(
            !body.contains("secret") && !body.contains("get_weather") && !body.contains("Paris")
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v,
            json!({"message":{"tool_calls":[{"id":"call_1","type":"function"}]},"finish_reason":"cancelled","index":1})
        );
        let plain = ChoiceRecord {
            index: 0,
            finish_reason: Some("stop"),
            content: Some("x"),
            tool_calls: vec![],
        };
        assert_eq!(
            choice_event(&plain, false, "error"),
            r#"{"finish_reason":"stop","index":0}"#
        );
    }

    #[test]
    fn structured_messages() {
        let wire = [
            json!({"role":"system","content":"be brief"}),
            json!({"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}),
            json!({"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}),
            json!({"role":"tool","tool_call_id":"c1","content":"42"}),
        ];
        let v: Value = serde_json::from_str(&input_messages(&wire)).unwrap();
        assert_eq!(
            v,
            json!([
                {"role":"system","parts":[{"type":"text","content":"be brief"}]},
                {"role":"user","parts":[{"type":"text","content":"hi"},{"type":"uri","modality":"image","uri":"https://x/y.png"}]},
                {"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"f","arguments":{"a":1}}]},
                {"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":"42"}]}
            ])
        );
        let out = output_messages(
            &[&ChoiceRecord {
                index: 0,
                finish_reason: None,
                content: Some("hello"),
                tool_calls: vec![],
            }],
            "error",
        );
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            json!([{"role":"assistant","parts":[{"type":"text","content":"hello"}],"finish_reason":"error"}])
        );
    }
}
