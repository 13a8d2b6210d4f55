//! JSON bodies of events and content attributes.
//!
//! The `gen_ai.choice` event is built from borrowed structs with `serde` (no
//! intermediate `Value` tree), since it is written on every call, recording
//! or not. The content attributes (`gen_ai.input.messages`,
//! `gen_ai.output.messages`, content recording only) go through the one
//! message model, which the Braintrust mapping reads back.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use super::message::{Message, MessagePart, Role, ToolCallPart};
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
    /// The wire name: reasoning models answer with `reasoning_content`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
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

/// Whether `s` can be written inside a JSON string as it is (no quote,
/// backslash or control character to escape).
fn is_plain_json_text(s: &str) -> bool {
    s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// The number of decimal digits of `n`.
fn decimal_len(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        // `n % 10` is below 10: the cast cannot truncate.
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// The `gen_ai.choice` event body. With `with_content` on the message
/// carries `content`, `reasoning_content` (when the model reasoned) and
/// full tool calls; off, only the finish
/// reason, the index and tool calls reduced to `{id, type}` are written;
/// `finish_reason` is the choice's own, else `unfinished`.
pub(crate) fn choice_event(
    choice: &ChoiceRecord<'_>,
    with_content: bool,
    unfinished: &str,
) -> Cow<'static, str> {
    let finish_reason = choice.finish_reason.unwrap_or(unfinished);
    if !with_content
        && choice.tool_calls.is_empty()
        && let Some(body) = common_choice_event(choice.index, finish_reason)
    {
        return body.into();
    }
    if !with_content && choice.tool_calls.is_empty() && is_plain_json_text(finish_reason) {
        // The common content-free body, written directly: through serde it
        // cost about 700 instructions per choice (callgrind), this about 100.
        // Sized exactly: the attribute value keeps a boxed `str`, and
        // shrinking a larger buffer into one reallocates.
        const FIXED: usize = r#"{"finish_reason":"","index":}"#.len();
        let mut body =
            String::with_capacity(FIXED + finish_reason.len() + decimal_len(choice.index));
        body.push_str(r#"{"finish_reason":""#);
        body.push_str(finish_reason);
        body.push_str(r#"","index":"#);
        push_decimal(&mut body, choice.index);
        body.push('}');
        return body.into();
    }
    let tool_calls =
        (!choice.tool_calls.is_empty()).then(|| tool_calls_json(&choice.tool_calls, with_content));
    let message = if with_content {
        Some(ChoiceMessage {
            content: Some(choice.content),
            reasoning_content: choice.reasoning,
            tool_calls,
        })
    } else {
        tool_calls.map(|calls| ChoiceMessage {
            content: None,
            reasoning_content: None,
            tool_calls: Some(calls),
        })
    };
    let event = ChoiceEvent {
        message,
        finish_reason,
        index: choice.index,
    };
    // Serializing plain strings and integers cannot fail.
    serde_json::to_string(&event).unwrap_or_default().into()
}

/// The content-free body of the first choice with a usual finish reason,
/// as a constant: a body allocated per call is freed by the exporter's
/// thread, which sends the calling thread's next allocation of its size
/// down glibc's slow path (about 270 instructions, and 140 to write it,
/// per call; callgrind).
fn common_choice_event(index: u32, finish_reason: &str) -> Option<&'static str> {
    if index != 0 {
        return None;
    }
    Some(match finish_reason {
        "stop" => r#"{"finish_reason":"stop","index":0}"#,
        "length" => r#"{"finish_reason":"length","index":0}"#,
        "tool_calls" => r#"{"finish_reason":"tool_calls","index":0}"#,
        "content_filter" => r#"{"finish_reason":"content_filter","index":0}"#,
        "error" => r#"{"finish_reason":"error","index":0}"#,
        "cancelled" => r#"{"finish_reason":"cancelled","index":0}"#,
        _ => return None,
    })
}

/// Newer conventions (`gen_ai.output.messages`): the choices as structured
/// messages with `parts`, through the one [message model](super::message).
pub(crate) fn output_messages(choices: &[&ChoiceRecord<'_>], unfinished: &str) -> String {
    let messages: Vec<Value> = choices
        .iter()
        .map(|c| {
            let mut message = choice_message(c).to_parts();
            if let Value::Object(map) = &mut message {
                map.insert(
                    "finish_reason".to_owned(),
                    c.finish_reason.unwrap_or(unfinished).into(),
                );
            }
            message
        })
        .collect();
    Value::Array(messages).to_string()
}

/// A recorded choice as an assistant `Message`.
fn choice_message(choice: &ChoiceRecord<'_>) -> Message {
    let mut parts = Vec::with_capacity(2 + choice.tool_calls.len());
    // Reasoning comes first, as the model produced it (and as
    // `Message::from_wire` orders it).
    if let Some(reasoning) = choice.reasoning {
        parts.push(MessagePart::Reasoning(reasoning.to_owned()));
    }
    if let Some(text) = choice.content {
        parts.push(MessagePart::Text(text.to_owned()));
    }
    parts.extend(choice.tool_calls.iter().map(|call| {
        MessagePart::ToolCall(ToolCallPart {
            id: Some(call.id.to_owned()),
            kind: call.kind.to_owned(),
            name: Some(call.name.to_owned()),
            arguments: Some(
                serde_json::from_str(call.arguments)
                    .unwrap_or_else(|_| Value::String(call.arguments.to_owned())),
            ),
        })
    }));
    Message::new(Role::Assistant, parts)
}

/// Newer conventions (`gen_ai.tool.definitions`): the wire `tools` array
/// (`{"type","function":{"name","description","parameters"}}`) in the
/// conventions' shape `{"type","name","description","parameters"}`. A tool
/// without a `function` object keeps its `type` and its other fields as they
/// came, plus `name` when it has one (the schema's generic definition).
pub(crate) fn tool_definitions(tools: &Value) -> String {
    let Some(tools) = tools.as_array() else {
        return tools.to_string();
    };
    let converted: Vec<Value> = tools.iter().map(tool_definition).collect();
    Value::Array(converted).to_string()
}

fn tool_definition(tool: &Value) -> Value {
    let Some(map) = tool.as_object() else {
        return tool.clone();
    };
    let kind = map
        .get("type")
        .cloned()
        .unwrap_or_else(|| "function".into());
    let Some(function) = map.get("function").and_then(Value::as_object) else {
        return tool.clone();
    };
    let mut out = serde_json::Map::new();
    out.insert("type".to_owned(), kind);
    for key in ["name", "description", "parameters"] {
        if let Some(value) = function.get(key).filter(|v| !v.is_null()) {
            out.insert(key.to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

/// The inverse of [`tool_definitions`], for readers that want the wire
/// shape whichever vocabulary recorded the definitions (the Braintrust
/// row's `metadata.tools`): a `{"type","name",...}` definition becomes
/// `{"type","function":{"name","description","parameters"}}`; a wire-shaped
/// one, or anything else, is kept as it came.
pub(crate) fn tool_definitions_to_wire(tools: Value) -> Value {
    let Value::Array(items) = tools else {
        return tools;
    };
    Value::Array(
        items
            .into_iter()
            .map(|tool| match tool {
                Value::Object(mut map)
                    if !map.contains_key("function") && map.contains_key("name") =>
                {
                    let mut function = serde_json::Map::new();
                    for key in ["name", "description", "parameters"] {
                        if let Some(value) = map.remove(key) {
                            function.insert(key.to_owned(), value);
                        }
                    }
                    map.insert("function".to_owned(), Value::Object(function));
                    Value::Object(map)
                }
                other => other,
            })
            .collect(),
    )
}

/// Newer conventions (`gen_ai.input.messages`): wire-format request messages
/// (`{"role","content",...}`) as structured messages with `parts`; a value
/// that is not a message object is kept as it came.
pub(crate) fn input_messages<'a>(messages: impl IntoIterator<Item = &'a Value>) -> String {
    let converted: Vec<Value> = messages
        .into_iter()
        .map(|m| Message::from_wire(m, "user").map_or_else(|| m.clone(), |m| m.to_parts()))
        .collect();
    Value::Array(converted).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call<'a>() -> ToolCallRecord<'a> {
        ToolCallRecord {
            id: "call_1",
            kind: "function",
            name: "get_weather",
            arguments: r#"{"city":"Paris"}"#,
        }
    }

    #[test]
    fn the_direct_choice_body_is_sized_exactly() {
        for index in [0, 7, 10, 99, 12_345, u32::MAX] {
            let choice = ChoiceRecord {
                index,
                finish_reason: Some("stop"),
                content: None,
                reasoning: None,
                tool_calls: Vec::new(),
            };
            let body = choice_event(&choice, false, "error");
            match &body {
                Cow::Owned(written) => assert_eq!(written.len(), written.capacity(), "{body}"),
                // The first choice's body is a constant.
                Cow::Borrowed(_) => assert_eq!(index, 0),
            }
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v, json!({"finish_reason": "stop", "index": index}));
        }
    }

    #[test]
    fn choice_event_with_content() {
        let choice = ChoiceRecord {
            index: 0,
            finish_reason: Some("tool_calls"),
            content: None,
            reasoning: None,
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
            reasoning: None,
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
            reasoning: None,
            tool_calls: vec![],
        };
        assert_eq!(
            choice_event(&plain, false, "error"),
            r#"{"finish_reason":"stop","index":0}"#
        );
    }

    #[test]
    fn the_direct_content_free_body_matches_serde() {
        for (index, reason) in [
            (0, Some("stop")),
            (7, None),
            (10, Some("length")),
            (u32::MAX, Some("content_filter")),
            (3, Some("odd \"quoted\" \\ reason\n")),
        ] {
            let choice = ChoiceRecord {
                index,
                finish_reason: reason,
                content: Some("secret text"),
                reasoning: None,
                tool_calls: vec![],
            };
            let body = choice_event(&choice, false, "error");
            let want = json!({"finish_reason": reason.unwrap_or("error"), "index": index});
            assert_eq!(
                serde_json::from_str::<Value>(&body).unwrap(),
                want,
                "{body}"
            );
            assert!(!body.contains("secret"), "{body}");
        }
    }

    #[test]
    fn the_constant_bodies_are_the_written_ones() {
        for reason in [
            "stop",
            "length",
            "tool_calls",
            "content_filter",
            "error",
            "cancelled",
        ] {
            let constant = common_choice_event(0, reason).unwrap();
            let want = serde_json::to_string(&ChoiceEvent {
                message: None,
                finish_reason: reason,
                index: 0,
            })
            .unwrap();
            assert_eq!(constant, want);
            let choice = ChoiceRecord {
                index: 0,
                finish_reason: Some(reason),
                content: None,
                reasoning: None,
                tool_calls: vec![],
            };
            assert!(matches!(
                choice_event(&choice, false, "error"),
                Cow::Borrowed(_)
            ));
        }
        assert_eq!(common_choice_event(1, "stop"), None);
        assert_eq!(common_choice_event(0, "other"), None);
    }

    #[test]
    fn reasoning_is_content() {
        let choice = ChoiceRecord {
            index: 0,
            finish_reason: Some("stop"),
            content: Some("4"),
            reasoning: Some("2+2 is 4"),
            tool_calls: vec![],
        };
        let with: Value = serde_json::from_str(&choice_event(&choice, true, "error")).unwrap();
        assert_eq!(
            with,
            json!({"message":{"content":"4","reasoning_content":"2+2 is 4"},"finish_reason":"stop","index":0})
        );
        let without = choice_event(&choice, false, "error");
        assert!(!without.contains("2+2"), "{without}");
        let out: Value = serde_json::from_str(&output_messages(&[&choice], "error")).unwrap();
        assert_eq!(
            out,
            json!([{"role":"assistant","parts":[
                {"type":"reasoning","content":"2+2 is 4"},
                {"type":"text","content":"4"}
            ],"finish_reason":"stop"}])
        );
    }

    #[test]
    fn tool_definitions_take_the_conventions_shape() {
        let wire = json!([
            {"type": "function", "function": {"name": "get_weather", "description": "Weather",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
            {"type": "function", "function": {"name": "now"}},
            {"type": "code_interpreter"}
        ]);
        let v: Value = serde_json::from_str(&tool_definitions(&wire)).unwrap();
        assert_eq!(
            v,
            json!([
                {"type": "function", "name": "get_weather", "description": "Weather",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
                {"type": "function", "name": "now"},
                {"type": "code_interpreter"}
            ])
        );
        assert_eq!(tool_definitions_to_wire(v), wire);
        let already_wire = json!([{"type": "function", "function": {"name": "f"}}]);
        assert_eq!(tool_definitions_to_wire(already_wire.clone()), already_wire);
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
                reasoning: None,
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
