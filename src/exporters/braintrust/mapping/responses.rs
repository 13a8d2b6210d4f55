//! Responses API spans (`openai.api.type` = `responses`) → the row's
//! `input` and `output` (BRAINTRUST.md §6): the input items as sent, with
//! the instructions as a leading system message; the output items as
//! returned (content-free when content was not recorded); `tool_choice` and
//! `tools` in metadata in the OpenAI chat shape the guide asks for.

use opentelemetry_sdk::trace::SpanData;
use serde_json::{Map, Value as Json, json};

use super::messages;
use crate::telemetry::semconv;

/// The request's input items: the message events' bodies as recorded
/// (today's names: each is the item as sent), else the structured
/// `gen_ai.input.messages` in chat format after the system instructions.
/// `None` when content was not recorded.
pub(super) fn build_input(
    span: &SpanData,
    structured: Option<&str>,
    instructions: Option<&str>,
) -> Option<Json> {
    if structured.is_none() {
        let items: Vec<Json> = span
            .events
            .iter()
            .filter(|event| {
                event.name.starts_with(semconv::EVENT_MESSAGE_PREFIX)
                    && event.name.ends_with(semconv::EVENT_MESSAGE_SUFFIX)
            })
            .filter_map(|event| messages::event_text(&event.attributes))
            .map(|body| {
                serde_json::from_str(body).unwrap_or_else(|_| Json::String(body.to_owned()))
            })
            .collect();
        return (!items.is_empty()).then_some(Json::Array(items));
    }
    let mut items = Vec::new();
    if let Some(instructions) = instructions.and_then(system_text) {
        items.push(json!({"role": "system", "content": instructions}));
    }
    match messages::build_input(span, structured) {
        Some(Json::Array(messages)) => items.extend(messages),
        Some(other) => items.push(other),
        None => {}
    }
    (!items.is_empty()).then_some(Json::Array(items))
}

/// The text of `gen_ai.system_instructions` parts.
fn system_text(parts: &str) -> Option<String> {
    let parts: Json = serde_json::from_str(parts).ok()?;
    let texts: Vec<&str> = parts
        .as_array()?
        .iter()
        .filter_map(|p| p.get("content").and_then(Json::as_str))
        .collect();
    (!texts.is_empty()).then(|| texts.concat())
}

/// The output items as the span recorded them.
pub(super) fn build_output(output: Option<&str>) -> Option<Json> {
    let text = output?;
    Some(serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_owned())))
}

/// `tool_choice` and `tools` of a Responses request in the chat shape of
/// the guide: `{"type":"function","name"}` → `{"type":"function","function":{"name"}}`;
/// a flat function tool → `{"type":"function","function":{"name","description","parameters","strict"}}`.
/// Built-in tools keep their own shape.
pub(super) fn normalize_metadata(metadata: &mut Map<String, Json>) {
    if let Some(choice) = metadata.get_mut("tool_choice")
        && let Some(function) = flat_function(choice, &["name"])
    {
        *choice = function;
    }
    if let Some(Json::Array(tools)) = metadata.get_mut("tools") {
        for tool in tools {
            if let Some(function) =
                flat_function(tool, &["name", "description", "parameters", "strict"])
            {
                *tool = function;
            }
        }
    }
}

/// A flat `{"type":"function","name",...}` object moved under `function`.
fn flat_function(value: &Json, keys: &[&str]) -> Option<Json> {
    let map = value.as_object()?;
    if map.get("type").and_then(Json::as_str) != Some("function")
        || map.contains_key("function")
        || !map.contains_key("name")
    {
        return None;
    }
    let function: Map<String, Json> = keys
        .iter()
        .filter_map(|k| {
            Some((
                (*k).to_owned(),
                map.get(*k).filter(|v| !v.is_null())?.clone(),
            ))
        })
        .collect();
    Some(json!({"type": "function", "function": function}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_functions_take_the_chat_shape() {
        let mut metadata = Map::new();
        metadata.insert(
            "tool_choice".into(),
            json!({"type": "function", "name": "f"}),
        );
        metadata.insert(
            "tools".into(),
            json!([{"type": "function", "name": "f", "parameters": {}, "strict": true},
                   {"type": "web_search_preview"}]),
        );
        normalize_metadata(&mut metadata);
        assert_eq!(
            metadata["tool_choice"],
            json!({"type": "function", "function": {"name": "f"}})
        );
        assert_eq!(
            metadata["tools"],
            json!([{"type": "function", "function": {"name": "f", "parameters": {}, "strict": true}},
                   {"type": "web_search_preview"}])
        );
    }
}
