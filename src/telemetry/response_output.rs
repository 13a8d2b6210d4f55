//! `az.ai.inference.response.output`: a Responses answer's output items as
//! the span records them (the Braintrust row's `output`), and the
//! content-free skeleton of an item recorded when content recording is off.
//!
//! The skeleton is written straight from the typed items into the
//! attribute's text: converting each item to a `serde_json::Value`,
//! copying its fields into a new map and writing that cost about 28,000
//! instructions for a two-item answer (callgrind, `benches/responses.rs`),
//! more than all the rest of the call's telemetry; `serde` over borrowed
//! views still cost 4,100 (most of it escaping strings that need none). Keys come in the order `serde_json` writes a map's keys
//! (sorted), so the text is what writing the skeleton as a `Value` gave.

use serde_json::Value as Json;

use crate::models::{ReasoningSummaryPart, ResponseContentPart, ResponseOutputItem};

/// The attribute's text: the items as returned with content recording on,
/// else their content-free skeletons ([`Skeleton`]); `None` without
/// items.
pub(crate) fn output_attribute(
    items: &[ResponseOutputItem],
    record_content: bool,
) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    if record_content {
        return serde_json::to_string(items).ok();
    }
    // Measured first, then written into a buffer of that size: the
    // attribute keeps a boxed `str`, and boxing a larger buffer
    // reallocates (the measure counts strings as needing no escapes; one
    // that does only makes the buffer grow).
    let mut size = Measure(0);
    write_skeletons(&mut size, items);
    let mut out = String::with_capacity(size.0);
    write_skeletons(&mut out, items);
    Some(out)
}

fn write_skeletons<S: Sink>(out: &mut S, items: &[ResponseOutputItem]) {
    out.raw("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        Skeleton::of(item).write(out);
    }
    out.raw("]");
}

/// An unknown item's skeleton as a value, for a stream that keeps items
/// without their content (`Null` for an item that is not an object).
pub(crate) fn content_free(item: &Json) -> Json {
    let mut out = String::new();
    Skeleton::of_json(item).write(&mut out);
    serde_json::from_str(&out).unwrap_or(Json::Null)
}

/// The content-free fields of an output item: `type`, `id`, `status`,
/// `role`, `call_id` (each when it is a string), and of its `content` and
/// `summary` parts their `type`. Names, arguments, texts, annotations and
/// encrypted reasoning are left out. An unknown item that is not a JSON
/// object has no fields: `null`.
#[derive(Default)]
struct Skeleton<'a> {
    object: bool,
    call_id: Option<&'a str>,
    content: Option<Parts<'a>>,
    id: Option<&'a str>,
    role: Option<&'a str>,
    status: Option<&'a str>,
    summary: Option<Parts<'a>>,
    kind: Option<&'a str>,
}

impl<'a> Skeleton<'a> {
    fn of(item: &'a ResponseOutputItem) -> Self {
        match item {
            ResponseOutputItem::Message(m) => Skeleton {
                object: true,
                content: Some(Parts::Content(&m.content)),
                id: m.id.as_deref(),
                role: Some(&m.role),
                status: m.status.as_deref(),
                kind: Some("message"),
                ..Skeleton::default()
            },
            ResponseOutputItem::FunctionCall(call) => Skeleton {
                object: true,
                call_id: Some(&call.call_id),
                id: call.id.as_deref(),
                status: call.status.as_deref(),
                kind: Some("function_call"),
                ..Skeleton::default()
            },
            ResponseOutputItem::Reasoning(r) => Skeleton {
                object: true,
                id: r.id.as_deref(),
                status: r.status.as_deref(),
                summary: Some(Parts::Summary(&r.summary)),
                kind: Some("reasoning"),
                ..Skeleton::default()
            },
            ResponseOutputItem::Other(value) => Skeleton::of_json(value),
        }
    }

    fn of_json(item: &'a Json) -> Self {
        let Some(map) = item.as_object() else {
            return Skeleton::default();
        };
        let text = |key: &str| map.get(key).and_then(Json::as_str);
        let parts = |key: &str| {
            map.get(key)
                .and_then(Json::as_array)
                .map(|p| Parts::Json(p))
        };
        Skeleton {
            object: true,
            call_id: text("call_id"),
            content: parts("content"),
            id: text("id"),
            role: text("role"),
            status: text("status"),
            summary: parts("summary"),
            kind: text("type"),
        }
    }

    fn write<S: Sink>(&self, out: &mut S) {
        if !self.object {
            out.raw("null");
            return;
        }
        // Sorted by key, as `serde_json` writes a map.
        let mut object = Object::open(out);
        if let Some(v) = self.call_id {
            object.key(r#""call_id":"#).string(v);
        }
        if let Some(parts) = &self.content {
            parts.write(object.key(r#""content":"#));
        }
        if let Some(v) = self.id {
            object.key(r#""id":"#).string(v);
        }
        if let Some(v) = self.role {
            object.key(r#""role":"#).string(v);
        }
        if let Some(v) = self.status {
            object.key(r#""status":"#).string(v);
        }
        if let Some(parts) = &self.summary {
            parts.write(object.key(r#""summary":"#));
        }
        if let Some(v) = self.kind {
            object.key(r#""type":"#).string(v);
        }
        object.close();
    }
}

/// An item's `content` or `summary` parts, each written as `{"type": ..}`
/// (or `{}` for a part without a type).
enum Parts<'a> {
    Content(&'a [ResponseContentPart]),
    Summary(&'a [ReasoningSummaryPart]),
    Json(&'a [Json]),
}

impl Parts<'_> {
    fn write<S: Sink>(&self, out: &mut S) {
        match self {
            Parts::Content(parts) => write_parts(out, parts.iter().map(content_type)),
            Parts::Summary(parts) => {
                write_parts(out, parts.iter().map(|p| Some(TypeName::Text(&p.kind))));
            }
            Parts::Json(parts) => {
                write_parts(out, parts.iter().map(|p| p.get("type").map(TypeName::Json)));
            }
        }
    }
}

fn write_parts<'t, S: Sink>(out: &mut S, types: impl Iterator<Item = Option<TypeName<'t>>>) {
    out.raw("[");
    for (i, kind) in types.enumerate() {
        if i > 0 {
            out.raw(",");
        }
        let mut part = Object::open(out);
        match kind {
            Some(TypeName::Text(kind)) => part.key(r#""type":"#).string(kind),
            Some(TypeName::Json(kind)) => part.key(r#""type":"#).json(kind),
            None => {}
        }
        part.close();
    }
    out.raw("]");
}

/// A part's `type`: the tag of a known part, the value an unknown one
/// carries (whatever its JSON type).
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
        ResponseContentPart::Other(value) => return value.get("type").map(TypeName::Json),
    }))
}

/// A JSON object being written: `{`, then `"key":` before each value.
struct Object<'o, S: Sink> {
    out: &'o mut S,
    empty: bool,
}

impl<'o, S: Sink> Object<'o, S> {
    fn open(out: &'o mut S) -> Self {
        out.raw("{");
        Object { out, empty: true }
    }

    /// Writes `key` (a quoted constant with its colon, `"id":`); the value
    /// goes to the sink returned.
    fn key(&mut self, key: &str) -> &mut S {
        if !self.empty {
            self.out.raw(",");
        }
        self.empty = false;
        self.out.raw(key);
        self.out
    }

    fn close(self) {
        self.out.raw("}");
    }
}

/// Where JSON text goes: a `String`, or [`Measure`], which counts the
/// bytes the same calls would write.
trait Sink {
    /// Text that is JSON already.
    fn raw(&mut self, text: &str);
    /// A JSON string.
    fn string(&mut self, s: &str);
    /// Any JSON value.
    fn json(&mut self, value: &Json);
}

impl Sink for String {
    fn raw(&mut self, text: &str) {
        self.push_str(text);
    }

    /// As it is when nothing in it needs escaping (ids, types and
    /// statuses), else escaped by `serde_json`.
    fn string(&mut self, s: &str) {
        if is_plain(s) {
            self.push('"');
            self.push_str(s);
            self.push('"');
        } else {
            self.push_str(&escaped(s));
        }
    }

    fn json(&mut self, value: &Json) {
        self.push_str(&value.to_string());
    }
}

/// The length of what a `String` sink would be written, strings counted
/// as needing no escapes (looking would cost as much as writing them).
struct Measure(usize);

impl Sink for Measure {
    fn raw(&mut self, text: &str) {
        self.0 += text.len();
    }

    fn string(&mut self, s: &str) {
        self.0 += s.len() + 2;
    }

    fn json(&mut self, value: &Json) {
        self.0 += value.to_string().len();
    }
}

/// Whether `s` can be written inside a JSON string as it is (no quote,
/// backslash or control character), eight bytes at a time.
fn is_plain(s: &str) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // Non-zero when a byte of `x` is below `n` (exact for `n` <= 0x80).
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let quote = ONES * u64::from(b'"');
    let backslash = ONES * u64::from(b'\\');
    let plain_byte = |b: &u8| *b >= 0x20 && *b != b'"' && *b != b'\\';
    let mut chunks = s.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            return chunk.iter().all(plain_byte);
        };
        let x = u64::from_le_bytes(bytes);
        if below(x, 0x20) | below(x ^ quote, 1) | below(x ^ backslash, 1) != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(plain_byte)
}

/// `s` as a JSON string, escaped by `serde_json`.
fn escaped(s: &str) -> String {
    Json::from(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The skeleton as the recorder wrote it before: the item as a value,
    /// its content-free fields copied into a new map (the oracle).
    fn via_value(item: &ResponseOutputItem) -> Json {
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

    fn items() -> Vec<ResponseOutputItem> {
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
        // Measured exactly when no string needs escaping (the first two
        // items): boxing the text for the span does not reallocate.
        let plain = output_attribute(&items[..2], false).unwrap();
        assert_eq!(plain.len(), plain.capacity());
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
    fn plain_strings_are_told_from_those_to_escape() {
        let slow = |s: &str| s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
        let base = "msg_0123456789abcdéf_ü€";
        for len in 0..=base.len() {
            let Some(prefix) = base.get(..len) else {
                continue;
            };
            assert!(is_plain(prefix), "{prefix:?}");
            for bad in ['"', '\\', '\n', '\u{1f}', '\0'] {
                for at in 0..=len {
                    let Some((a, b)) = prefix.get(..at).zip(prefix.get(at..)) else {
                        continue;
                    };
                    let s = format!("{a}{bad}{b}");
                    assert!(!is_plain(&s), "{s:?}");
                    assert_eq!(is_plain(&s), slow(&s));
                }
            }
        }
        for s in ["\u{7f}", " ", "~", "\u{80}", "ÿ", "\u{10ffff}"] {
            assert_eq!(is_plain(s), slow(s), "{s:?}");
        }
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
