//! Recorded content → `input` and `output` in chat format, from either
//! vocabulary (see [the normalization rules](super#both-convention-vocabularies-give-the-same-row)).

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Map, Value as Json};

use super::as_str;
use crate::telemetry::semconv;

// ---------------------------------------------------------------- input

/// The request messages, from the structured attribute when present, else
/// from the message events. `None` when content was not recorded.
pub(super) fn build_input(span: &SpanData, structured: Option<&str>) -> Option<Json> {
    if let Some(text) = structured {
        return Some(match serde_json::from_str::<Json>(text) {
            Ok(Json::Array(messages)) => messages.iter().map(chat_message_from_parts).collect(),
            // Not the structured shape: keep it as it came, never lose it.
            Ok(other) => other,
            Err(_) => Json::String(text.to_owned()),
        });
    }
    let messages: Vec<Json> = span
        .events
        .iter()
        .filter_map(|event| {
            let role = event
                .name
                .strip_prefix(semconv::EVENT_MESSAGE_PREFIX)?
                .strip_suffix(semconv::EVENT_MESSAGE_SUFFIX)?;
            let content = event_content(&event.attributes)?;
            Some(match serde_json::from_str::<Json>(content) {
                Ok(message) => normalize_chat_message(message, role),
                Err(_) => Json::String(content.to_owned()),
            })
        })
        .collect();
    (!messages.is_empty()).then_some(Json::Array(messages))
}

fn event_content(attributes: &[KeyValue]) -> Option<&str> {
    attributes
        .iter()
        .find(|kv| kv.key.as_str() == semconv::GEN_AI_EVENT_CONTENT)
        .and_then(|kv| as_str(&kv.value))
}

/// A wire-format message: role filled in from the event name when missing,
/// `null` content dropped, tool-call arguments compacted.
fn normalize_chat_message(mut message: Json, role: &str) -> Json {
    if let Json::Object(map) = &mut message {
        if !map.contains_key("role") {
            map.insert("role".to_owned(), role.into());
        }
        normalize_message_fields(map);
    }
    message
}

fn normalize_message_fields(map: &mut Map<String, Json>) {
    match map.get_mut("content") {
        Some(Json::Null) => {
            map.remove("content");
        }
        // One text item says what a string says, and the structured form
        // cannot tell them apart: use the string, as for structured parts.
        Some(Json::Array(items)) => {
            if let [item] = items.as_slice()
                && item.get("type").and_then(Json::as_str) == Some("text")
                && let Some(text) = item.get("text").filter(|t| t.is_string())
            {
                let text = text.clone();
                map.insert("content".to_owned(), text);
            }
        }
        _ => {}
    }
    match map.get_mut("tool_calls") {
        Some(Json::Array(calls)) if calls.is_empty() => {
            map.remove("tool_calls");
        }
        Some(Json::Array(calls)) => {
            for call in calls {
                if let Some(arguments) = call
                    .get_mut("function")
                    .and_then(|f| f.get_mut("arguments"))
                {
                    *arguments = compact_arguments(arguments);
                }
            }
        }
        Some(Json::Null) => {
            map.remove("tool_calls");
        }
        _ => {}
    }
}

/// Tool-call arguments as compact JSON text (the wire form is text; the
/// structured form is a parsed value). Text that is not JSON stays as is.
fn compact_arguments(arguments: &Json) -> Json {
    match arguments {
        Json::String(text) => match serde_json::from_str::<Json>(text) {
            Ok(parsed) => Json::String(parsed.to_string()),
            Err(_) => arguments.clone(),
        },
        other => Json::String(other.to_string()),
    }
}

/// One structured message (`{"role","parts":[...]}`) in chat format.
fn chat_message_from_parts(message: &Json) -> Json {
    let Some(parts) = message.get("parts").and_then(Json::as_array) else {
        // Already chat format, or something else: normalize what we can.
        let role = message.get("role").and_then(Json::as_str).unwrap_or("user");
        return normalize_chat_message(message.clone(), role);
    };
    let mut out = Map::new();
    if let Some(role) = message.get("role") {
        out.insert("role".to_owned(), role.clone());
    }
    if let Some(name) = message.get("name") {
        out.insert("name".to_owned(), name.clone());
    }
    let converted = convert_parts(parts);
    if let Some(content) = converted.content {
        out.insert("content".to_owned(), content);
    }
    if !converted.tool_calls.is_empty() {
        out.insert("tool_calls".to_owned(), Json::Array(converted.tool_calls));
    }
    if let Some(id) = converted.tool_call_id {
        out.insert("tool_call_id".to_owned(), id);
    }
    Json::Object(out)
}

#[derive(Default)]
struct ConvertedParts {
    content: Option<Json>,
    tool_calls: Vec<Json>,
    tool_call_id: Option<Json>,
}

fn convert_parts(parts: &[Json]) -> ConvertedParts {
    let mut out = ConvertedParts::default();
    let mut content_parts: Vec<Json> = Vec::new();
    let mut only_text = true;
    for part in parts {
        match part.get("type").and_then(Json::as_str) {
            Some("text") => {
                let text = part.get("content").cloned().unwrap_or(Json::Null);
                content_parts.push(text);
            }
            Some("tool_call") => {
                let mut function = Map::new();
                function.insert("name".to_owned(), field(part, "name"));
                function.insert(
                    "arguments".to_owned(),
                    part.get("arguments")
                        .map_or(Json::String("{}".to_owned()), compact_arguments),
                );
                let mut call = Map::new();
                call.insert("id".to_owned(), field(part, "id"));
                call.insert("type".to_owned(), "function".into());
                call.insert("function".to_owned(), Json::Object(function));
                out.tool_calls.push(Json::Object(call));
            }
            Some("tool_call_response") => {
                out.tool_call_id = part.get("id").cloned();
                let response = match part.get("response") {
                    Some(Json::String(s)) => Json::String(s.clone()),
                    Some(Json::Null) | None => Json::Null,
                    Some(other) => Json::String(other.to_string()),
                };
                if !response.is_null() {
                    content_parts.push(response);
                }
            }
            _ => {
                only_text = false;
                content_parts.push(chat_content_item(part));
            }
        }
    }
    out.content = match content_parts.len() {
        0 => None,
        1 if only_text => content_parts.pop(),
        _ => Some(Json::Array(
            content_parts
                .into_iter()
                .map(|p| match p {
                    Json::String(text) => {
                        let mut m = Map::new();
                        m.insert("type".to_owned(), "text".into());
                        m.insert("text".to_owned(), Json::String(text));
                        Json::Object(m)
                    }
                    other => other,
                })
                .collect(),
        )),
    };
    out
}

/// A non-text structured part as a chat-format content item, undoing what
/// recording does: an image `uri` part becomes `image_url`, an audio `blob`
/// part `input_audio`. Other parts stay as they came.
fn chat_content_item(part: &Json) -> Json {
    let kind = part.get("type").and_then(Json::as_str);
    let modality = part.get("modality").and_then(Json::as_str);
    let (item_type, key, value) = match (kind, modality) {
        (Some("uri"), Some("image")) => ("image_url", "url", field(part, "uri")),
        (Some("blob"), Some("audio")) => ("input_audio", "data", field(part, "content")),
        _ => return part.clone(),
    };
    let mut inner = Map::new();
    inner.insert(key.to_owned(), value);
    let mut item = Map::new();
    item.insert("type".to_owned(), item_type.into());
    item.insert(item_type.to_owned(), Json::Object(inner));
    Json::Object(item)
}

fn field(value: &Json, key: &str) -> Json {
    value.get(key).cloned().unwrap_or(Json::Null)
}

// ---------------------------------------------------------------- output

/// The choices: one per choice event (content-free in the structured
/// vocabulary), with content from the structured output attribute when present.
pub(super) fn build_output(span: &SpanData, structured: Option<&str>) -> Option<Json> {
    let mut choices: Vec<(i64, Map<String, Json>)> = span
        .events
        .iter()
        .filter(|event| event.name == semconv::EVENT_CHOICE)
        .enumerate()
        .map(|(position, event)| {
            let body = event_content(&event.attributes)
                .and_then(|text| serde_json::from_str::<Json>(text).ok())
                .unwrap_or(Json::Null);
            choice_from_event(&body, position)
        })
        .collect();

    if let Some(text) = structured {
        match serde_json::from_str::<Json>(text) {
            Ok(Json::Array(messages)) => {
                for (position, message) in messages.iter().enumerate() {
                    merge_structured_choice(&mut choices, position, message);
                }
            }
            // Unexpected shape: keep it rather than lose it.
            Ok(other) => return Some(other),
            Err(_) => return Some(Json::String(text.to_owned())),
        }
    }

    if choices.is_empty() {
        return None;
    }
    choices.sort_by_key(|(index, _)| *index);
    Some(Json::Array(
        choices.into_iter().map(|(_, c)| Json::Object(c)).collect(),
    ))
}

fn choice_from_event(body: &Json, position: usize) -> (i64, Map<String, Json>) {
    let index = body
        .get("index")
        .and_then(Json::as_i64)
        .unwrap_or(position as i64);
    let mut message = match body.get("message") {
        Some(Json::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    message
        .entry("role")
        .or_insert_with(|| Json::from("assistant"));
    normalize_message_fields(&mut message);
    (index, choice(index, field(body, "finish_reason"), message))
}

fn merge_structured_choice(
    choices: &mut Vec<(i64, Map<String, Json>)>,
    position: usize,
    message: &Json,
) {
    let index = position as i64;
    let mut converted = Map::new();
    converted.insert(
        "role".to_owned(),
        message
            .get("role")
            .cloned()
            .unwrap_or_else(|| "assistant".into()),
    );
    let parts = message.get("parts").and_then(Json::as_array);
    let ConvertedParts {
        content,
        tool_calls,
        ..
    } = parts.map(|p| convert_parts(p)).unwrap_or_default();
    if let Some(content) = content {
        converted.insert("content".to_owned(), content);
    }
    if !tool_calls.is_empty() {
        converted.insert("tool_calls".to_owned(), Json::Array(tool_calls));
    }
    match choices.iter_mut().find(|(i, _)| *i == index) {
        Some((_, existing)) => {
            if existing.get("finish_reason").is_none_or(Json::is_null)
                && let Some(reason) = message.get("finish_reason")
            {
                existing.insert("finish_reason".to_owned(), reason.clone());
            }
            existing.insert("message".to_owned(), Json::Object(converted));
        }
        None => choices.push((
            index,
            choice(index, field(message, "finish_reason"), converted),
        )),
    }
}

fn choice(index: i64, finish_reason: Json, message: Map<String, Json>) -> Map<String, Json> {
    let mut c = Map::new();
    c.insert("index".to_owned(), index.into());
    c.insert("finish_reason".to_owned(), finish_reason);
    c.insert("message".to_owned(), Json::Object(message));
    c
}

#[cfg(test)]
mod tests {
    use super::super::span_to_row;
    use super::super::tests::{event, span};
    use crate::telemetry::semconv;
    use opentelemetry::KeyValue;
    use serde_json::json;

    #[test]
    fn unparsable_content_is_kept_as_text() {
        let row = span_to_row(&span(
            vec![KeyValue::new(
                semconv::GEN_AI_OPERATION_NAME,
                semconv::OPERATION_CHAT,
            )],
            vec![event(semconv::EVENT_USER_MESSAGE, "not json")],
        ));
        assert_eq!(row.input, Some(json!(["not json"])));
    }

    #[test]
    fn tool_call_arguments_are_compacted_and_null_content_dropped() {
        let row = span_to_row(&span(
            vec![KeyValue::new(
                semconv::GEN_AI_OPERATION_NAME,
                semconv::OPERATION_CHAT,
            )],
            vec![event(
                semconv::EVENT_ASSISTANT_MESSAGE,
                r#"{"content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{ \"a\" : 1 }"}}]}"#,
            )],
        ));
        assert_eq!(
            row.input,
            Some(
                json!([{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}])
            )
        );
    }

    #[test]
    fn one_text_item_and_media_parts_normalize_alike_in_both_forms() {
        let chat = |attributes: Vec<KeyValue>, events| {
            let mut attributes = attributes;
            attributes.push(KeyValue::new(
                semconv::GEN_AI_OPERATION_NAME,
                semconv::OPERATION_CHAT,
            ));
            span_to_row(&span(attributes, events)).input
        };
        let from_events = chat(
            vec![],
            vec![event(
                semconv::EVENT_USER_MESSAGE,
                r#"{"role":"user","content":[{"type":"text","text":"hi"}]}"#,
            )],
        );
        assert_eq!(from_events, Some(json!([{"role":"user","content":"hi"}])));

        let parts = json!([{"role":"user","parts":[
            {"type":"text","content":"hear"},
            {"type":"blob","modality":"audio","content":"UklGRg=="}
        ]}]);
        let from_parts = chat(
            vec![KeyValue::new(
                semconv::GEN_AI_INPUT_MESSAGES,
                parts.to_string(),
            )],
            vec![],
        );
        assert_eq!(
            from_parts,
            Some(json!([{"role":"user","content":[
                {"type":"text","text":"hear"},
                {"type":"input_audio","input_audio":{"data":"UklGRg=="}}
            ]}]))
        );
    }

    #[test]
    fn structured_parts_convert_to_chat_format() {
        let parts = json!([
            {"role":"system","parts":[{"type":"text","content":"be brief"}]},
            {"role":"user","parts":[{"type":"text","content":"look"},{"type":"uri","modality":"image","uri":"https://x/y.png"}]},
            {"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":{"temp":21}}]}
        ]);
        let row = span_to_row(&span(
            vec![
                KeyValue::new(semconv::GEN_AI_OPERATION_NAME, semconv::OPERATION_CHAT),
                KeyValue::new(semconv::GEN_AI_INPUT_MESSAGES, parts.to_string()),
            ],
            vec![],
        ));
        assert_eq!(
            row.input,
            Some(json!([
                {"role":"system","content":"be brief"},
                {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},
                {"role":"tool","tool_call_id":"c1","content":"{\"temp\":21}"}
            ]))
        );
        assert!(!row.metadata.contains_key(semconv::GEN_AI_INPUT_MESSAGES));
    }
}
