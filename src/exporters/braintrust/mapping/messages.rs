//! Recorded content → `input` and `output` in chat format, from either
//! vocabulary (see [the normalization rules](super#both-convention-vocabularies-give-the-same-row)).

use opentelemetry::{KeyValue, StringValue};
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Map, Value as Json};

use super::as_str;
use crate::telemetry::{Message, Role, semconv};

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

/// The `gen_ai.event.content` of an event.
pub(super) fn event_text(attributes: &[KeyValue]) -> Option<&str> {
    event_content(attributes)
}

fn event_content(attributes: &[KeyValue]) -> Option<&str> {
    attributes
        .iter()
        .find(|kv| kv.key.as_str() == semconv::GEN_AI_EVENT_CONTENT)
        .and_then(|kv| as_str(&kv.value))
}

/// A wire-format message, normalized through the message model:
/// role filled in from the event name when missing, `null` content dropped,
/// tool-call arguments compacted. A value that is not a message stays as it came.
fn normalize_chat_message(message: Json, role: &str) -> Json {
    Message::from_wire(&message, role).map_or(message, |m| m.to_wire())
}

/// One structured message (`{"role","parts":[...]}`) in chat format.
fn chat_message_from_parts(message: &Json) -> Json {
    match Message::from_parts(message) {
        Some(m) => m.to_wire(),
        // Already chat format, or something else: normalize what we can.
        None => normalize_chat_message(message.clone(), "user"),
    }
}

fn field(value: &Json, key: &str) -> Json {
    value.get(key).cloned().unwrap_or(Json::Null)
}

// ---------------------------------------------------------------- output

/// The choices: one per choice event (today's names), else one per
/// structured output message (the newer names, content recording on), else
/// one per finish reason (the newer names without content: they emit no
/// choice event, v1.41 deprecates it), the message content-free then.
pub(super) fn build_output(
    span: &SpanData,
    structured: Option<&str>,
    finish_reasons: Option<&[StringValue]>,
) -> Option<Json> {
    let mut choices: Vec<(i64, Map<String, Json>)> = span
        .events
        .iter()
        .filter(|event| event.name == semconv::EVENT_CHOICE)
        .enumerate()
        .map(|(position, event)| {
            let text = event_content(&event.attributes);
            let body = text
                .and_then(|text| serde_json::from_str::<Json>(text).ok())
                .unwrap_or(Json::Null);
            choice_from_event(body, position)
        })
        .collect();

    if choices.is_empty()
        && structured.is_none()
        && let Some(reasons) = finish_reasons
    {
        choices = reasons
            .iter()
            .zip(0i64..)
            .map(|(reason, index)| {
                let message = normalize_chat_message(Json::Object(Map::new()), "assistant");
                (index, choice(index, reason.as_str().into(), message))
            })
            .collect();
    }

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

/// The parsed event body is owned: its message and finish reason are moved
/// out, not cloned (this runs for every choice of every exported chat span).
fn choice_from_event(mut body: Json, position: usize) -> (i64, Map<String, Json>) {
    let index = body
        .get("index")
        .and_then(Json::as_i64)
        .unwrap_or(position as i64);
    let message = match body.get_mut("message").map(Json::take) {
        Some(message @ Json::Object(_)) => message,
        _ => Json::Object(Map::new()),
    };
    let message = normalize_chat_message(message, "assistant");
    let finish_reason = body
        .get_mut("finish_reason")
        .map(Json::take)
        .unwrap_or(Json::Null);
    (index, choice(index, finish_reason, message))
}

fn merge_structured_choice(
    choices: &mut Vec<(i64, Map<String, Json>)>,
    position: usize,
    message: &Json,
) {
    let index = position as i64;
    let converted = match Message::from_parts(message) {
        Some(mut m) => {
            if message.get("role").is_none() {
                m.role = Role::Assistant;
            }
            m.to_wire()
        }
        None => {
            let role = message
                .get("role")
                .and_then(Json::as_str)
                .unwrap_or("assistant");
            Message::new(Role::parse(role), Vec::new()).to_wire()
        }
    };
    match choices.iter_mut().find(|(i, _)| *i == index) {
        Some((_, existing)) => {
            if existing.get("finish_reason").is_none_or(Json::is_null)
                && let Some(reason) = message.get("finish_reason")
            {
                existing.insert("finish_reason".to_owned(), reason.clone());
            }
            existing.insert("message".to_owned(), converted);
        }
        None => choices.push((
            index,
            choice(index, field(message, "finish_reason"), converted),
        )),
    }
}

fn choice(index: i64, finish_reason: Json, message: Json) -> Map<String, Json> {
    let mut c = Map::new();
    c.insert("index".to_owned(), index.into());
    c.insert("finish_reason".to_owned(), finish_reason);
    c.insert("message".to_owned(), message);
    c
}

#[cfg(test)]
mod tests {
    use super::super::span_to_row;
    use crate::exporters::braintrust::test_spans::{chat_span as span, content_event as event};
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
