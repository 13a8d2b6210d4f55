//! No row is dropped for its size: a row over a request's byte limit has its
//! largest texts cut (or, when no single text is large enough, its whole
//! `input`, `output` or `metadata` replaced) with a visible marker, until it
//! fits. `metadata.truncated` then lists the fields that were cut, and the
//! row keeps its ids, parents, metrics and error.
//!
//! Runs after attachments were converted, so it only bites when the text
//! itself is huge. Cost: one serialization per step, on oversized rows only
//! (at most 16 steps).

use serde_json::{Map, Value as Json};

use super::mapping::BraintrustRow;

/// `metadata` key listing the row fields that were truncated.
pub(crate) const TRUNCATED_KEY: &str = "truncated";

/// Starts every marker, so a reader can search for it.
pub(crate) const MARKER: &str = "…[truncated by azure-ai-inference-otel: ";

/// Most cuts made to one row before giving up.
const MAX_STEPS: usize = 16;
/// How deep the walk for the largest text goes.
const MAX_DEPTH: usize = 128;
/// Room kept for the marker and the metadata flag.
const RESERVE: usize = 256;
/// Texts shorter than this are not worth cutting: the whole field goes instead.
const MIN_CUT: usize = 1024;

/// What [`fit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fit {
    /// The row was small enough.
    Untouched,
    /// Cut until it fit.
    Truncated,
    /// Still too large (its ids, error or names alone are over the limit).
    TooLarge,
}

/// Makes `row` serialize to at most `max_bytes` bytes (see the module docs).
pub(crate) fn fit(row: &mut BraintrustRow, max_bytes: usize) -> Fit {
    let Some(mut size) = serialized_len(row) else {
        return Fit::TooLarge;
    };
    if size <= max_bytes {
        return Fit::Untouched;
    }
    let mut cut: Vec<&'static str> = Vec::new();
    for _ in 0..MAX_STEPS {
        let excess = size - max_bytes + RESERVE;
        let Some(field) = cut_once(row, excess) else {
            break;
        };
        if !cut.contains(&field) {
            cut.push(field);
        }
        row.metadata.insert(
            TRUNCATED_KEY.to_owned(),
            Json::Array(cut.iter().map(|f| Json::from(*f)).collect()),
        );
        match serialized_len(row) {
            Some(n) if n <= max_bytes => return Fit::Truncated,
            Some(n) => size = n,
            None => return Fit::TooLarge,
        }
    }
    Fit::TooLarge
}

fn serialized_len(row: &BraintrustRow) -> Option<usize> {
    serde_json::to_vec(row).ok().map(|v| v.len())
}

/// One cut of at least `excess` bytes; returns the field it was made in.
fn cut_once(row: &mut BraintrustRow, excess: usize) -> Option<&'static str> {
    // The largest text of the three fields.
    let mut best: Option<(&'static str, String, usize)> = None;
    let mut consider = |field: &'static str, value: &Json| {
        if let Some((pointer, len)) = largest_text(value)
            && best.as_ref().is_none_or(|(_, _, l)| len > *l)
        {
            best = Some((field, pointer, len));
        }
    };
    if let Some(input) = &row.input {
        consider("input", input);
    }
    if let Some(output) = &row.output {
        consider("output", output);
    }
    let metadata = Json::Object(without_flag(&row.metadata));
    consider("metadata", &metadata);

    if let Some((field, pointer, len)) = best
        && len >= excess + MIN_CUT
        && cut_text(row, field, &pointer, len, excess)
    {
        return Some(field);
    }

    // No single text is large enough: replace the largest field whole.
    let sizes = [
        ("input", row.input.as_ref().map(json_len)),
        ("output", row.output.as_ref().map(json_len)),
        ("metadata", Some(json_len(&metadata))),
    ];
    let (field, len) = sizes
        .into_iter()
        .filter_map(|(f, n)| Some((f, n?)))
        .max_by_key(|(_, n)| *n)?;
    if len <= RESERVE {
        return None;
    }
    let marker = Json::String(field_marker(field, len));
    match field {
        "input" => row.input = Some(marker),
        "output" => row.output = Some(marker),
        _ => {
            let mut replaced = Map::new();
            replaced.insert("metadata".to_owned(), marker);
            // The allowed keys that identify the call stay.
            for key in ["model", "provider"] {
                if let Some(v) = row.metadata.get(key).filter(|v| json_len(v) < RESERVE) {
                    replaced.insert(key.to_owned(), v.clone());
                }
            }
            row.metadata = replaced;
        }
    }
    Some(field)
}

/// The marker ending a text cut by `removed` of its `len` bytes.
pub(crate) fn cut_marker(removed: usize, len: usize) -> String {
    format!("{MARKER}{removed} of {len} bytes cut to fit the request limit]")
}

/// The marker standing for a whole `field` of `len` bytes left out.
pub(crate) fn field_marker(field: &str, len: usize) -> String {
    format!("{MARKER}{field} of {len} bytes left out to fit the request limit]")
}

fn without_flag(metadata: &Map<String, Json>) -> Map<String, Json> {
    let mut m = metadata.clone();
    m.remove(TRUNCATED_KEY);
    m
}

/// Cuts the text at `pointer` in `field` of `row` down to `len - excess`
/// bytes, with the marker; `false` when there is no text there.
fn cut_text(
    row: &mut BraintrustRow,
    field: &str,
    pointer: &str,
    len: usize,
    excess: usize,
) -> bool {
    let cut = |value: &mut Json| match value.pointer_mut(pointer) {
        Some(Json::String(text)) => {
            let keep = floor_char_boundary(text, len - excess);
            let removed = text.len() - keep;
            text.truncate(keep);
            text.push_str(&cut_marker(removed, len));
            true
        }
        _ => false,
    };
    match field {
        "input" => row.input.as_mut().is_some_and(cut),
        "output" => row.output.as_mut().is_some_and(cut),
        _ => {
            let mut metadata = Json::Object(std::mem::take(&mut row.metadata));
            let done = cut(&mut metadata);
            if let Json::Object(map) = metadata {
                row.metadata = map;
            }
            done
        }
    }
}

/// The JSON pointer and byte length of the longest string in `value`.
fn largest_text(value: &Json) -> Option<(String, usize)> {
    let mut best: Option<(String, usize)> = None;
    for_each_text(value, &mut |pointer, len| {
        if best.as_ref().is_none_or(|(_, n)| len > *n) {
            best = Some((pointer.to_owned(), len));
        }
    });
    best
}

/// Calls `found(pointer, len)` for every string in `value` (its JSON
/// pointer and byte length), in document order, down to [`MAX_DEPTH`]
/// levels: the one walk behind both cuts, the native row's and the OTLP
/// span's (`otlp/fit.rs`).
pub(crate) fn for_each_text(value: &Json, found: &mut dyn FnMut(&str, usize)) {
    fn walk(value: &Json, path: &mut String, depth: usize, found: &mut dyn FnMut(&str, usize)) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Json::String(s) => found(path, s.len()),
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    walk(item, path, depth + 1, found);
                    path.truncate(len);
                }
            }
            Json::Object(map) => {
                for (key, item) in map {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    walk(item, path, depth + 1, found);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    walk(value, &mut String::new(), 0, found);
}

fn json_len(value: &Json) -> usize {
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

pub(crate) fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::mapping::span_to_row;
    use crate::exporters::braintrust::test_spans::chat_span;
    use serde_json::json;

    fn big_row(input: Json, output: Json) -> BraintrustRow {
        let mut row = span_to_row(&chat_span(vec![], vec![]));
        row.input = Some(input);
        row.output = Some(output);
        row.error = Some("boom".to_owned());
        row
    }

    #[test]
    fn small_rows_are_untouched() {
        let mut row = big_row(json!("hi"), json!("there"));
        let before = row.clone();
        assert_eq!(fit(&mut row, 100_000), Fit::Untouched);
        assert_eq!(row, before);
    }

    #[test]
    fn the_largest_text_is_cut_with_a_marker_and_a_flag() {
        let huge = "é".repeat(50_000);
        let mut row = big_row(
            json!([{"role": "user", "content": huge}]),
            json!([{"message": {"content": "short"}}]),
        );
        assert_eq!(fit(&mut row, 20_000), Fit::Truncated);
        let len = serde_json::to_vec(&row).unwrap().len();
        assert!(len <= 20_000, "{len}");
        let content = row.input.as_ref().unwrap()[0]["content"].as_str().unwrap();
        assert!(content.contains(MARKER), "{content}");
        assert!(content.starts_with("éé"));
        assert_eq!(row.output, Some(json!([{"message": {"content": "short"}}])));
        assert_eq!(row.metadata[TRUNCATED_KEY], json!(["input"]));
        assert_eq!(row.error.as_deref(), Some("boom"));
        assert_eq!(row.span_parents.len(), 1);
    }

    #[test]
    fn many_small_texts_give_way_to_a_whole_field_marker() {
        let many: Vec<Json> = (0..5000)
            .map(|i| json!({"role": "user", "content": format!("m{i}")}))
            .collect();
        let mut row = big_row(Json::Array(many), json!("ok"));
        assert_eq!(fit(&mut row, 10_000), Fit::Truncated);
        let input = row.input.as_ref().unwrap().as_str().unwrap();
        assert!(
            input.starts_with(MARKER) && input.contains("input of"),
            "{input}"
        );
        assert_eq!(row.output, Some(json!("ok")));
    }

    #[test]
    fn a_row_that_cannot_fit_says_so() {
        let mut row = big_row(json!("x"), json!("y"));
        assert_eq!(fit(&mut row, 10), Fit::TooLarge);
    }
}
