//! `az.ai.inference.response.output`: a Responses answer's output items as
//! the span records them (the Braintrust row's `output`), and the
//! content-free skeleton of an item recorded when content recording is off.
//!
//! The skeleton is serialised from borrowed views of the typed items: the
//! item → `serde_json::Value` → copied map the recorder used before cost
//! about 28,000 instructions for a two-item answer (callgrind,
//! `benches/responses.rs`), more than the rest of the call's telemetry;
//! borrowed views cost about 4,100. Fields are declared in sorted order, so
//! the text is what writing the skeleton as a `Value` map gave.

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use serde_json::Value as Json;

use crate::models::{ResponseContentPart, ResponseItem, ResponseMessageContent};

/// The attribute's text: the items as returned with content recording on,
/// else their content-free skeletons ([`Skeleton`]); `None` without
/// items.
pub(crate) fn output_attribute(items: &[ResponseItem], record_content: bool) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    if record_content {
        return serde_json::to_string(items).ok();
    }
    let skeletons: Vec<Option<Skeleton<'_>>> = items.iter().map(Skeleton::of).collect();
    serde_json::to_string(&skeletons).ok()
}

/// An unknown item's skeleton as a value, for a stream that keeps items
/// without their content (`Null` for an item that is not an object).
pub(crate) fn content_free(item: &Json) -> Json {
    serde_json::to_value(Skeleton::of_json(item)).unwrap_or(Json::Null)
}

/// The content-free fields of an output item: `type`, `id`, `status`,
/// `role`, `call_id` (each when it is a string), and of its `content` and
/// `summary` parts their `type`. Names, arguments, texts, annotations and
/// encrypted reasoning are left out. An unknown item that is not a JSON
/// object has none (`None`, written `null`). Fields in sorted order, as
/// `serde_json` writes a map.
#[derive(Default, Serialize)]
struct Skeleton<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    call_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Parts<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Parts<'a>>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
}

impl<'a> Skeleton<'a> {
    fn of(item: &'a ResponseItem) -> Option<Self> {
        Some(match item {
            ResponseItem::Message {
                kind,
                id,
                role,
                status,
                content,
            } => Skeleton {
                content: match content {
                    ResponseMessageContent::Parts(parts) => Some(Parts::Content(parts)),
                    ResponseMessageContent::Text(_) => None,
                },
                id: id.as_deref(),
                role: Some(role),
                status: status.as_deref(),
                kind: kind.as_deref(),
                ..Skeleton::default()
            },
            ResponseItem::FunctionCall {
                id,
                call_id,
                status,
                ..
            } => Skeleton {
                call_id: Some(call_id),
                id: id.as_deref(),
                status: status.as_deref(),
                kind: Some("function_call"),
                ..Skeleton::default()
            },
            ResponseItem::FunctionCallOutput {
                id,
                call_id,
                status,
                ..
            } => Skeleton {
                call_id: Some(call_id),
                id: id.as_deref(),
                status: status.as_deref(),
                kind: Some("function_call_output"),
                ..Skeleton::default()
            },
            ResponseItem::Reasoning {
                id,
                summary,
                status,
                ..
            } => Skeleton {
                id: id.as_deref(),
                status: status.as_deref(),
                summary: Some(Parts::Content(summary)),
                kind: Some("reasoning"),
                ..Skeleton::default()
            },
            ResponseItem::Other(value) => return Skeleton::of_json(value),
        })
    }

    fn of_json(item: &'a Json) -> Option<Self> {
        let map = item.as_object()?;
        let text = |key: &str| map.get(key).and_then(Json::as_str);
        let parts = |key: &str| {
            map.get(key)
                .and_then(Json::as_array)
                .map(|p| Parts::Json(p))
        };
        Some(Skeleton {
            call_id: text("call_id"),
            content: parts("content"),
            id: text("id"),
            role: text("role"),
            status: text("status"),
            summary: parts("summary"),
            kind: text("type"),
        })
    }
}

/// An item's `content` or `summary` parts, each written as `{"type": ..}`
/// (or `{}` for a part without a type).
enum Parts<'a> {
    Content(&'a [ResponseContentPart]),
    Json(&'a [Json]),
}

impl Serialize for Parts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        fn parts<'t, S: Serializer>(
            serializer: S,
            len: usize,
            types: impl Iterator<Item = Option<TypeName<'t>>>,
        ) -> Result<S::Ok, S::Error> {
            let mut seq = serializer.serialize_seq(Some(len))?;
            for kind in types {
                seq.serialize_element(&PartType { kind })?;
            }
            seq.end()
        }
        match self {
            Parts::Content(p) => parts(serializer, p.len(), p.iter().map(content_type)),
            Parts::Json(p) => parts(
                serializer,
                p.len(),
                p.iter().map(|p| p.get("type").map(TypeName::Json)),
            ),
        }
    }
}

/// One part's skeleton: `{"type": ..}`, or `{}` without a type.
#[derive(Serialize)]
struct PartType<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<TypeName<'a>>,
}

/// A part's `type`: the tag of a known part, the value an unknown one
/// carries (whatever its JSON type).
#[derive(Serialize)]
#[serde(untagged)]
enum TypeName<'a> {
    Text(&'a str),
    Json(&'a Json),
}

fn content_type(part: &ResponseContentPart) -> Option<TypeName<'_>> {
    Some(TypeName::Text(match part {
        ResponseContentPart::InputText { .. } => "input_text",
        ResponseContentPart::InputImage { .. } => "input_image",
        ResponseContentPart::InputFile { .. } => "input_file",
        ResponseContentPart::OutputText { .. } => "output_text",
        ResponseContentPart::Refusal { .. } => "refusal",
        ResponseContentPart::SummaryText { .. } => "summary_text",
        ResponseContentPart::Other(value) => return value.get("type").map(TypeName::Json),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The skeleton as the recorder wrote it before: the item as a value,
    /// its content-free fields copied into a new map (the oracle).
    fn via_value(item: &ResponseItem) -> Json {
        let value = serde_json::to_value(item).unwrap();
        let Some(map) = value.as_object() else {
            return Json::Null;
        };
        let mut out = serde_json::Map::new();
        for key in ["type", "id", "status", "role", "call_id"] {
            if let Some(value) = map.get(key).filter(|v| v.is_string()) {
                out.insert(key.to_owned(), value.clone());
            }
        }
        for key in ["content", "summary"] {
            if let Some(parts) = map.get(key).and_then(Json::as_array) {
                let parts = parts
                    .iter()
                    .map(|part| match part.get("type") {
                        Some(kind) => json!({"type": kind}),
                        None => json!({}),
                    })
                    .collect();
                out.insert(key.to_owned(), Json::Array(parts));
            }
        }
        Json::Object(out)
    }

    fn items() -> Vec<ResponseItem> {
        serde_json::from_value(json!([
            {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
             "content": [
                {"type": "output_text", "text": "secret", "annotations": [{"url": "secret"}]},
                {"type": "refusal", "refusal": "secret"},
                {"type": "input_image", "image_url": "https://secret"},
                {"type": "new_part", "text": "secret"},
                {"text": "secret, no type"},
                {"type": 7, "text": "a number for a type"}
             ]},
            {"type": "message", "role": "assistant", "content": []},
            {"type": "function_call", "id": "fc_1", "call_id": "c\"1", "name": "secret",
             "arguments": "{\"q\":\"secret\"}", "status": "completed"},
            {"type": "reasoning", "id": "rs_1", "encrypted_content": "secret",
             "summary": [{"type": "summary_text", "text": "secret"}]},
            {"type": "web_search_call", "id": "ws_1", "status": "completed", "role": 5,
             "action": {"query": "secret"}, "content": [{"type": "x", "text": "secret"}, 3]},
            "not an object",
            {"summary": [], "call_id": "c2"}
        ]))
        .unwrap()
    }

    #[test]
    fn skeletons_are_what_the_value_copy_gave() {
        let items = items();
        let text = output_attribute(&items, false).unwrap();
        assert!(!text.contains("secret"), "{text}");
        let expected: Vec<Json> = items.iter().map(via_value).collect();
        assert_eq!(text, Json::Array(expected).to_string());
        let Json::Array(written) = serde_json::from_str::<Json>(&text).unwrap() else {
            panic!("{text}")
        };
        assert_eq!(
            written[0],
            json!({"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                   "content": [{"type": "output_text"}, {"type": "refusal"}, {"type": "input_image"},
                               {"type": "new_part"}, {}, {"type": 7}]})
        );
        assert_eq!(
            written[2],
            json!({"type": "function_call", "id": "fc_1", "call_id": "c\"1", "status": "completed"})
        );
        assert_eq!(written[5], Json::Null);
    }

    #[test]
    fn with_recording_the_items_are_written_as_returned() {
        let items = items();
        let text = output_attribute(&items, true).unwrap();
        assert_eq!(text, serde_json::to_string(&items).unwrap());
        assert_eq!(output_attribute(&[], true), None);
        assert_eq!(output_attribute(&[], false), None);
    }

    #[test]
    fn unknown_items_keep_only_their_shape() {
        let call =
            json!({"type": "function_call", "call_id": "c", "name": "secret", "arguments": "{}"});
        assert_eq!(
            content_free(&call),
            json!({"type": "function_call", "call_id": "c"})
        );
        assert_eq!(content_free(&json!("secret")), Json::Null);
    }
}
