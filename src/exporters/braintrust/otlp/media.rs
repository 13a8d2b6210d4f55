//! No inline media beside converted references on the OTLP-to-Braintrust
//! path: once the row's input and output had their data URLs turned into
//! attachment references (and every upload was queued), the span's own
//! GenAI copies of that content get the same references, so no base64
//! blob that was converted leaves on this path.
//!
//! # What is replaced
//!
//! In the span attributes `gen_ai.input.messages`
//! and `gen_ai.output.messages` and the
//! events' `gen_ai.event.content` (and
//! messages attributes), parsed as JSON:
//!
//! | found | becomes |
//! |---|---|
//! | a string that is one of the converted data URLs (chat format: `image_url.url`, `input_audio.data`, `file.file_data`) | the reference object, as in `braintrust.input_json` |
//! | a `blob` part whose `data:{mime_type};base64,{content}` (or whose `content`) is one of them, a `uri` part whose `uri` is | the reference object in place of the part (a generic part of type `braintrust_attachment`) |
//!
//! Anything else stays as it is, including data URLs the conversion left
//! alone (inside a larger text, or in other places). A span whose uploads
//! could not all be queued is not touched at all (the no-mixed-state rule
//! of `attachments`).
//!
//! # Cost
//!
//! Only on spans that had attachments converted: each content value is
//! parsed once, and written back when it changed.

use std::collections::HashMap;

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Map, Value as Json};

use crate::telemetry::semconv;

/// Span attributes holding GenAI content.
const SPAN_KEYS: &[&str] = &[
    semconv::GEN_AI_INPUT_MESSAGES,
    semconv::GEN_AI_OUTPUT_MESSAGES,
];

/// How deep the walk goes.
const MAX_DEPTH: usize = 128;

/// Replaces the data URLs of `replaced` (original text, reference) in the
/// span's GenAI content; the number of values rewritten.
pub(crate) fn replace_inline_media(span: &mut SpanData, replaced: &[(String, Json)]) -> usize {
    if replaced.is_empty() {
        return 0;
    }
    let references: HashMap<&str, &Json> =
        replaced.iter().map(|(url, r)| (url.as_str(), r)).collect();
    let mut rewritten = 0;
    let mut rewrite = |kv: &mut KeyValue| {
        if let Value::String(text) = &kv.value
            && let Ok(mut value) = serde_json::from_str::<Json>(text.as_str())
            && replace(&mut value, &references, 0)
            && let Ok(text) = serde_json::to_string(&value)
        {
            kv.value = Value::from(text);
            rewritten += 1;
        }
    };
    for kv in &mut span.attributes {
        if SPAN_KEYS.contains(&kv.key.as_str()) {
            rewrite(kv);
        }
    }
    for event in &mut span.events.events {
        for kv in &mut event.attributes {
            if super::GENAI_EVENT_KEYS.contains(&kv.key.as_str()) {
                rewrite(kv);
            }
        }
    }
    rewritten
}

/// Replaces what the module docs list in `value`; whether anything was.
fn replace(value: &mut Json, references: &HashMap<&str, &Json>, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Json::String(text) => match references.get(text.as_str()) {
            Some(reference) => {
                *value = (*reference).clone();
                true
            }
            None => false,
        },
        Json::Array(items) => {
            let mut any = false;
            for item in items {
                any |= replace(item, references, depth + 1);
            }
            any
        }
        Json::Object(map) => {
            if let Some(reference) = media_part(map, references) {
                *value = reference.clone();
                return true;
            }
            let mut any = false;
            for item in map.values_mut() {
                any |= replace(item, references, depth + 1);
            }
            any
        }
        _ => false,
    }
}

/// The reference for a `blob` or `uri` part holding a converted data URL.
fn media_part<'r>(
    map: &Map<String, Json>,
    references: &HashMap<&str, &'r Json>,
) -> Option<&'r Json> {
    let text = |key: &str| map.get(key).and_then(Json::as_str);
    match text("type")? {
        "blob" => {
            let content = text("content")?;
            if let Some(reference) = references.get(content) {
                return Some(reference);
            }
            let url = format!("data:{};base64,{content}", text("mime_type")?);
            references.get(url.as_str()).copied()
        }
        "uri" => references.get(text("uri")?).copied(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::{chat_span, content_event};
    use serde_json::json;

    const URL: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB";

    fn reference() -> Json {
        json!({"type": "braintrust_attachment", "content_type": "image/png",
               "filename": "attachment.png", "key": "k-1"})
    }

    #[test]
    fn events_and_parts_get_the_reference() {
        let event = json!({"role": "user", "content": [
            {"type": "text", "text": format!("see {URL}")},
            {"type": "image_url", "image_url": {"url": URL}},
        ]});
        let parts = json!([{"role": "user", "parts": [
            {"type": "blob", "modality": "image", "mime_type": "image/png",
             "content": URL.split_once(',').unwrap().1},
            {"type": "uri", "modality": "image", "uri": "https://x/y.png"},
        ]}]);
        let mut span = chat_span(
            vec![KeyValue::new(
                semconv::GEN_AI_INPUT_MESSAGES,
                parts.to_string(),
            )],
            vec![content_event(
                semconv::EVENT_USER_MESSAGE,
                &event.to_string(),
            )],
        );
        let replaced = [(URL.to_owned(), reference())];
        assert_eq!(replace_inline_media(&mut span, &replaced), 2);

        let event: Json =
            serde_json::from_str(&span.events[0].attributes[0].value.as_str()).unwrap();
        assert_eq!(event["content"][1]["image_url"]["url"], reference());
        // A data URL inside a larger text was not converted: it stays.
        assert_eq!(event["content"][0]["text"], format!("see {URL}"));
        let parts: Json = serde_json::from_str(&span.attributes[0].value.as_str()).unwrap();
        assert_eq!(parts[0]["parts"][0], reference());
        assert_eq!(parts[0]["parts"][1]["uri"], "https://x/y.png");
    }

    #[test]
    fn nothing_converted_nothing_touched() {
        let event = json!({"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": URL}},
        ]})
        .to_string();
        let mut span = chat_span(
            vec![],
            vec![content_event(semconv::EVENT_USER_MESSAGE, &event)],
        );
        assert_eq!(replace_inline_media(&mut span, &[]), 0);
        let other = [(
            "data:image/gif;base64,R0lGODlhAQABAAAAACw=".to_owned(),
            reference(),
        )];
        assert_eq!(replace_inline_media(&mut span, &other), 0);
        assert_eq!(span.events[0].attributes[0].value.as_str(), event);
    }
}
