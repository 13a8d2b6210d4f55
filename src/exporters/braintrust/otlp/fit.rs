//! No span dropped for its size on the OTLP-to-Braintrust path: a span
//! whose estimated size ([`span_bytes`], the estimate the delivery engine's
//! memory budget counts) is over the limit has its content texts cut with the
//! visible marker of the
//! native path, until it fits. It is then sent with its ids, parents,
//! metrics, status and every other attribute.
//!
//! # What is cut
//!
//! Only content: the span attributes `braintrust.input_json`,
//! `braintrust.output_json`,
//! `gen_ai.input.messages` and
//! `gen_ai.output.messages`, and the
//! events' `gen_ai.event.content` (and
//! messages attributes). JSON values are cut inside their strings, so they
//! stay valid JSON of the same shape.
//!
//! The same text is usually there twice (the row's `braintrust.input_json`
//! and the GenAI events it was read from), so no single text can take the
//! whole excess: every text longer than a common cap is cut down to it (the
//! cap chosen so that the cuts add up to the excess), keeping the start of
//! each. When that is not enough without going under 1 KiB a text (many
//! small messages), whole values are replaced by a marker, largest first.
//!
//! # Flags
//!
//! `az.ai.inference.truncated` lists
//! the attribute keys that were cut; when the row's input or output was,
//! `braintrust.metadata` gets `truncated: ["input", "output"]`, as a native
//! row does ([`TRUNCATED_KEY`]).
//!
//! # Cost
//!
//! Nothing for a span under the limit (one size estimate). An oversized one
//! has its content values parsed once and re-serialized once per step (at
//! most 8).

use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;
use serde_json::Value as Json;

use crate::exporters::braintrust::truncate::{
    Fit, TRUNCATED_KEY, cut_marker, field_marker, floor_char_boundary, for_each_text,
};
use crate::exporters::delivery::span_bytes;
use crate::telemetry::semconv;

/// Span attributes whose values are content that may be cut.
const SPAN_CONTENT_KEYS: &[&str] = &[
    semconv::BRAINTRUST_INPUT_JSON,
    semconv::BRAINTRUST_OUTPUT_JSON,
    semconv::GEN_AI_INPUT_MESSAGES,
    semconv::GEN_AI_OUTPUT_MESSAGES,
    semconv::AZ_AI_INFERENCE_EMBEDDINGS_INPUTS,
];

/// Most rounds of cuts before giving up.
const MAX_STEPS: usize = 8;
/// Room kept under the limit for the flags.
const RESERVE: usize = 1024;
/// No text is cut shorter than this.
const MIN_KEEP: usize = 1024;
/// A cut marker is shorter than this.
const MARKER_ROOM: usize = 128;

/// Where a content value lives in the span.
#[derive(Debug, Clone, Copy)]
enum Place {
    Span(usize),
    Event(usize, usize),
}

/// One content value, parsed.
struct Field {
    place: Place,
    key: &'static str,
    value: Json,
    /// Parsed from JSON (written back as JSON), else a plain text.
    json: bool,
    /// Pointers of the texts already cut, with their original lengths (a
    /// text cut again keeps one marker, counting from the original).
    cut: Vec<(String, usize)>,
    /// Replaced whole by a marker.
    whole: bool,
}

/// Makes `span` at most `max_bytes` by [`span_bytes`] (see the module docs);
/// returns what it did.
pub(crate) fn fit_span(span: &mut SpanData, max_bytes: usize) -> Fit {
    let mut size = span_bytes(span);
    if size <= max_bytes {
        return Fit::Untouched;
    }
    let target = max_bytes.saturating_sub(RESERVE);
    let mut fields = content_fields(span);
    let mut cut_keys: Vec<&'static str> = Vec::new();
    for _ in 0..MAX_STEPS {
        if size <= target {
            break;
        }
        let Some(changed) =
            cut_texts(&mut fields, size - target).or_else(|| replace_largest(&mut fields))
        else {
            break;
        };
        for i in changed {
            let field = &fields[i];
            write_back(span, field);
            if !cut_keys.contains(&field.key) {
                cut_keys.push(field.key);
            }
        }
        size = span_bytes(span);
    }
    if cut_keys.is_empty() {
        return Fit::TooLarge;
    }
    flag(span, &cut_keys);
    if span_bytes(span) <= max_bytes {
        Fit::Truncated
    } else {
        Fit::TooLarge
    }
}

fn content_fields(span: &SpanData) -> Vec<Field> {
    fn field(place: Place, key: &'static str, value: &Value) -> Option<Field> {
        let Value::String(text) = value else {
            return None;
        };
        let text = text.as_str();
        let (value, json) = match serde_json::from_str::<Json>(text) {
            Ok(value) => (value, true),
            Err(_) => (Json::String(text.to_owned()), false),
        };
        Some(Field {
            place,
            key,
            value,
            json,
            cut: Vec::new(),
            whole: false,
        })
    }
    let known =
        |keys: &[&'static str], kv: &KeyValue| keys.iter().copied().find(|k| *k == kv.key.as_str());
    let mut out = Vec::new();
    for (i, kv) in span.attributes.iter().enumerate() {
        if let Some(key) = known(SPAN_CONTENT_KEYS, kv) {
            out.extend(field(Place::Span(i), key, &kv.value));
        }
    }
    for (e, event) in span.events.iter().enumerate() {
        for (a, kv) in event.attributes.iter().enumerate() {
            if let Some(key) = known(super::GENAI_EVENT_KEYS, kv) {
                out.extend(field(Place::Event(e, a), key, &kv.value));
            }
        }
    }
    out
}

/// Cuts every text over a common cap, the cap chosen so that the cuts
/// remove at least `excess` bytes (never below [`MIN_KEEP`]); the indices
/// of the fields changed, `None` when there was nothing to cut.
fn cut_texts(fields: &mut [Field], excess: usize) -> Option<Vec<usize>> {
    let mut texts: Vec<(usize, String, usize)> = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if !field.whole {
            for_each_text(&field.value, &mut |pointer, len| {
                if len > MIN_KEEP {
                    texts.push((i, pointer.to_owned(), len));
                }
            });
        }
    }
    if texts.is_empty() {
        return None;
    }
    let cap = common_cap(texts.iter().map(|t| t.2).collect(), excess).max(MIN_KEEP);
    let mut changed = Vec::new();
    for (i, pointer, len) in texts {
        // A text barely over the cap would only grow by its marker.
        if len <= cap + MARKER_ROOM {
            continue;
        }
        let field = &mut fields[i];
        let earlier = field.cut.iter().position(|(p, _)| *p == pointer);
        let original = earlier.map_or(len, |at| field.cut[at].1);
        if let Some(Json::String(text)) = field.value.pointer_mut(&pointer) {
            // Cut again, the cap is below the earlier cut: its marker goes.
            let keep = floor_char_boundary(text, cap);
            text.truncate(keep);
            text.push_str(&cut_marker(original - keep, original));
            if earlier.is_none() {
                field.cut.push((pointer, original));
            }
            if !changed.contains(&i) {
                changed.push(i);
            }
        }
    }
    (!changed.is_empty()).then_some(changed)
}

/// The largest cap `c` such that cutting every length over `c` down to `c`
/// (plus a marker) removes at least `excess` bytes; 0 when even cutting
/// everything does not.
fn common_cap(mut lens: Vec<usize>, excess: usize) -> usize {
    lens.sort_unstable_by(|a, b| b.cmp(a));
    let mut sum: usize = 0;
    for k in 1..=lens.len() {
        sum += lens[k - 1];
        let next = lens.get(k).copied().unwrap_or(0);
        // Cutting the k longest to c removes sum - k * (c + marker).
        let Some(room) = sum.checked_sub(excess + k * MARKER_ROOM) else {
            continue;
        };
        let cap = room / k;
        if cap >= next {
            return cap;
        }
    }
    0
}

/// Replaces the largest value not yet replaced by a marker.
fn replace_largest(fields: &mut [Field]) -> Option<Vec<usize>> {
    let (i, len) = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.whole)
        .map(|(i, f)| (i, text_of(f).len()))
        .max_by_key(|(_, len)| *len)?;
    if len <= MARKER_ROOM {
        return None;
    }
    let field = &mut fields[i];
    field.value = Json::String(field_marker(field.key, len));
    field.whole = true;
    Some(vec![i])
}

fn text_of(field: &Field) -> String {
    match (&field.value, field.json) {
        (Json::String(text), false) => text.clone(),
        (value, _) => serde_json::to_string(value).unwrap_or_default(),
    }
}

fn write_back(span: &mut SpanData, field: &Field) {
    let text = Value::String(StringValue::from(text_of(field)));
    let slot = match field.place {
        Place::Span(i) => span.attributes.get_mut(i),
        Place::Event(e, a) => span
            .events
            .events
            .get_mut(e)
            .and_then(|event| event.attributes.get_mut(a)),
    };
    if let Some(kv) = slot {
        kv.value = text;
    }
}

/// The flag attribute, and `truncated` in the row's metadata when its input
/// or output was cut.
fn flag(span: &mut SpanData, cut_keys: &[&'static str]) {
    span.attributes
        .retain(|kv| kv.key.as_str() != semconv::AZ_AI_INFERENCE_TRUNCATED);
    span.attributes.push(KeyValue::new(
        semconv::AZ_AI_INFERENCE_TRUNCATED,
        Value::Array(Array::String(
            cut_keys.iter().map(|k| StringValue::from(*k)).collect(),
        )),
    ));
    let row_fields: Vec<Json> = [
        (semconv::BRAINTRUST_INPUT_JSON, "input"),
        (semconv::BRAINTRUST_OUTPUT_JSON, "output"),
    ]
    .into_iter()
    .filter(|(key, _)| cut_keys.contains(key))
    .map(|(_, field)| Json::from(field))
    .collect();
    if row_fields.is_empty() {
        return;
    }
    let metadata = span
        .attributes
        .iter_mut()
        .find(|kv| kv.key.as_str() == semconv::BRAINTRUST_METADATA);
    if let Some(kv) = metadata
        && let Value::String(text) = &kv.value
        && let Ok(Json::Object(mut map)) = serde_json::from_str::<Json>(text.as_str())
    {
        map.insert(TRUNCATED_KEY.to_owned(), Json::Array(row_fields));
        if let Ok(text) = serde_json::to_string(&map) {
            kv.value = Value::from(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::{chat_span, content_event};
    use crate::exporters::braintrust::truncate::MARKER;
    use serde_json::json;

    fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }

    fn event_content(span: &SpanData, i: usize) -> Json {
        let text = span.events[i].attributes[0].value.as_str();
        serde_json::from_str(&text).expect("still JSON")
    }

    /// A chat span whose request is `text`, twice (the event and the row).
    fn big_span(text: &str) -> SpanData {
        let message = json!({"role": "user", "content": text});
        chat_span(
            vec![
                KeyValue::new(semconv::GEN_AI_USAGE_INPUT_TOKENS, 900_000i64),
                KeyValue::new(
                    semconv::BRAINTRUST_INPUT_JSON,
                    json!([message.clone()]).to_string(),
                ),
                KeyValue::new(semconv::BRAINTRUST_METADATA, r#"{"model":"gpt-4o"}"#),
            ],
            vec![content_event(
                semconv::EVENT_USER_MESSAGE,
                &message.to_string(),
            )],
        )
    }

    #[test]
    fn small_spans_are_untouched() {
        let mut span = big_span("hello");
        let before = span.attributes.clone();
        assert_eq!(fit_span(&mut span, 100_000), Fit::Untouched);
        assert_eq!(span.attributes, before);
    }

    #[test]
    fn both_copies_are_cut_with_markers_and_flags() {
        let mut span = big_span(&"é".repeat(40_000));
        assert_eq!(fit_span(&mut span, 30_000), Fit::Truncated);
        assert!(span_bytes(&span) <= 30_000, "{}", span_bytes(&span));

        let input: Json = serde_json::from_str(
            &attribute(&span, semconv::BRAINTRUST_INPUT_JSON)
                .expect("input")
                .as_str(),
        )
        .expect("still JSON");
        let row_text = input[0]["content"].as_str().expect("text");
        let event_text = event_content(&span, 0)["content"]
            .as_str()
            .expect("text")
            .to_owned();
        for text in [row_text, event_text.as_str()] {
            assert!(text.starts_with("éé"), "the start stays");
            assert!(text.contains(MARKER), "visible marker");
            assert!(text.len() > MIN_KEEP, "both keep a fair share");
        }
        let metadata: Json = serde_json::from_str(
            &attribute(&span, semconv::BRAINTRUST_METADATA)
                .expect("metadata")
                .as_str(),
        )
        .expect("JSON");
        assert_eq!(metadata, json!({"model": "gpt-4o", "truncated": ["input"]}));
        assert_eq!(
            attribute(&span, semconv::AZ_AI_INFERENCE_TRUNCATED),
            Some(&Value::Array(Array::String(vec![
                semconv::BRAINTRUST_INPUT_JSON.into(),
                semconv::GEN_AI_EVENT_CONTENT.into(),
            ])))
        );
        assert_eq!(
            attribute(&span, semconv::GEN_AI_USAGE_INPUT_TOKENS),
            Some(&Value::I64(900_000))
        );
    }

    #[test]
    fn many_small_messages_give_way_to_whole_value_markers() {
        let many: Vec<Json> = (0..3000)
            .map(|i| json!({"role": "user", "content": format!("m{i}")}))
            .collect();
        let mut span = chat_span(
            vec![KeyValue::new(
                semconv::BRAINTRUST_INPUT_JSON,
                Json::Array(many).to_string(),
            )],
            vec![],
        );
        assert_eq!(fit_span(&mut span, 8_000), Fit::Truncated);
        let input = attribute(&span, semconv::BRAINTRUST_INPUT_JSON)
            .expect("input")
            .as_str();
        let marker: Json = serde_json::from_str(&input).expect("a JSON string");
        assert!(
            marker.as_str().is_some_and(|m| m.starts_with(MARKER)),
            "{marker}"
        );
    }

    #[test]
    fn a_span_large_for_other_reasons_says_so() {
        let mut span = chat_span(vec![KeyValue::new("custom", "x".repeat(50_000))], vec![]);
        assert_eq!(fit_span(&mut span, 10_000), Fit::TooLarge);
        assert!(attribute(&span, semconv::AZ_AI_INFERENCE_TRUNCATED).is_none());
    }

    #[test]
    fn a_text_cut_again_keeps_one_marker_counting_from_the_original() {
        let mut fields = vec![Field {
            place: Place::Span(0),
            key: semconv::BRAINTRUST_INPUT_JSON,
            value: json!(["x".repeat(20_000)]),
            json: true,
            cut: Vec::new(),
            whole: false,
        }];
        assert_eq!(cut_texts(&mut fields, 5_000), Some(vec![0]));
        assert_eq!(cut_texts(&mut fields, 5_000), Some(vec![0]));
        let text = fields[0].value[0].as_str().unwrap();
        assert_eq!(text.matches(MARKER).count(), 1, "{text}");
        assert!(text.ends_with(&cut_marker(20_000 - (text.find(MARKER).unwrap()), 20_000)));
        assert!(text.len() < 10_000 + MARKER_ROOM);
        // Down to the floor: nothing more to cut, whole values go next.
        assert!(cut_texts(&mut fields, 100_000).is_some());
        assert_eq!(cut_texts(&mut fields, 100_000), None);
        assert!(replace_largest(&mut fields).is_some());
    }

    #[test]
    fn the_common_cap_shares_the_cut() {
        // Two texts of 10 000: cutting 5 000 takes 2 500 (+ markers) from each.
        let cap = common_cap(vec![10_000, 10_000, 100], 5_000);
        assert_eq!(cap, 10_000 - 2_500 - MARKER_ROOM);
        // One long text takes it all while it stays the longest.
        assert_eq!(
            common_cap(vec![10_000, 100], 1_000),
            10_000 - 1_000 - MARKER_ROOM
        );
        assert_eq!(common_cap(vec![100, 100], 1_000), 0);
    }
}
