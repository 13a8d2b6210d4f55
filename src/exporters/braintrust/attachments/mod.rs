//! Braintrust attachments (its `attachments` feature): inline base64 media
//! in a row's `input` and `output` become `braintrust_attachment` references,
//! and the bytes are uploaded by a background uploader (its own thread).
//!
//! # What is converted
//!
//! A string that is entirely a base64 data URL (`data:<mime>;base64,<data>`,
//! trimmed, with no quotes, backslashes or spaces) in one of the OpenAI
//! content-part places:
//!
//! | place | reference goes |
//! |---|---|
//! | `image_url.url` | in place of the URL |
//! | `input_audio.data` | in place of the data |
//! | `file.file_data` | in place of the data (siblings such as `filename` stay) |
//!
//! A data URL inside a larger text, or anywhere else, stays as it is. The
//! reference is `{"type":"braintrust_attachment","content_type","filename","key"}`
//! with a fresh UUID v4 `key` and `filename` `attachment.<ext>` from the MIME
//! type. The walk stops at depth 128.
//!
//! # No mixed state
//!
//! A row's attachments are found first and handed to the uploader together;
//! when it cannot take all of them (queue full, or shut down after a
//! failure) the row is sent unchanged, with its inline data: Braintrust
//! accepts that, while a reference whose bytes were never queued would be
//! lost data.

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use super::mapping::BraintrustRow;

mod uploader;

pub(crate) use uploader::{Upload, Uploader, UploaderConfig};

/// How deep the walk goes; deeper subtrees are left as they are.
const MAX_DEPTH: usize = 128;
/// Shorter base64 payloads are not worth an upload (and are likely not media).
const MIN_BASE64_LEN: usize = 20;

/// `(parent key, key)` pairs whose string value may be a data URL to convert.
const PLACES: &[(&str, &str)] = &[
    ("image_url", "url"),
    ("input_audio", "data"),
    ("file", "file_data"),
];

/// What [`convert_row`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conversion {
    /// No inline media.
    Nothing,
    /// This many attachments replaced and queued for upload.
    Converted(usize),
    /// Media found, but the uploader could not take it all: row unchanged.
    Refused,
}

/// Replaces the inline media of `row.input` and `row.output` with
/// references, when `uploader` takes every upload (see the module docs).
pub(crate) fn convert_row(row: &mut BraintrustRow, uploader: &Uploader) -> Conversion {
    convert_row_replacing(row, uploader).0
}

/// [`convert_row`], also returning each replaced data URL (the text as it
/// stood in the row) with the reference that took its place, so that other
/// copies of the same content (the OTLP span's GenAI attributes) can be
/// converted alike. Empty unless the conversion happened.
pub(crate) fn convert_row_replacing(
    row: &mut BraintrustRow,
    uploader: &Uploader,
) -> (Conversion, Vec<(String, Json)>) {
    let mut found = Vec::new();
    let mut path = Vec::new();
    if let Some(input) = &row.input {
        find(input, None, "/input", &mut path, &mut found);
    }
    if let Some(output) = &row.output {
        find(output, None, "/output", &mut path, &mut found);
    }
    if found.is_empty() {
        return (Conversion::Nothing, Vec::new());
    }
    let uploads: Vec<Upload> = found
        .iter()
        .map(|f| Upload {
            key: crate::net::uuid_v4(),
            content_type: f.content_type.clone(),
            filename: filename_for(&f.content_type),
            data: f.data.clone(),
        })
        .collect();
    let references: Vec<(String, Json)> = found
        .iter()
        .zip(&uploads)
        .map(|(f, u)| (f.pointer.clone(), reference(u)))
        .collect();
    if !uploader.enqueue_all(uploads) {
        return (Conversion::Refused, Vec::new());
    }
    let count = references.len();
    let mut replaced = Vec::with_capacity(count);
    for (pointer, reference) in references {
        let (field, rest) = match pointer.strip_prefix("/input") {
            Some(rest) => (&mut row.input, rest),
            None => (
                &mut row.output,
                pointer.strip_prefix("/output").unwrap_or(""),
            ),
        };
        if let Some(slot) = field.as_mut().and_then(|v| v.pointer_mut(rest))
            && let Json::String(original) = std::mem::replace(slot, reference.clone())
        {
            replaced.push((original, reference));
        }
    }
    (Conversion::Converted(count), replaced)
}

/// One data URL found by the walk.
struct Found {
    pointer: String,
    content_type: String,
    data: bytes::Bytes,
}

/// One step of the walk's path: an object key or an array index.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The JSON pointer of `path` under `root`, built only for a data URL
/// found (every exported row is walked, and formatting a pointer per key
/// cost about a third of the native exporter's work per span, callgrind).
fn pointer(root: &str, path: &[Step<'_>]) -> String {
    let mut pointer = root.to_owned();
    for step in path {
        pointer.push('/');
        match step {
            Step::Key(key) => pointer.push_str(&escape(key)),
            Step::Index(i) => pointer.push_str(&i.to_string()),
        }
    }
    pointer
}

/// Collects the data URLs in `value` (at `root` + `path`), at most
/// [`MAX_DEPTH`] levels down.
fn find<'a>(
    value: &'a Json,
    parent: Option<&str>,
    root: &str,
    path: &mut Vec<Step<'a>>,
    out: &mut Vec<Found>,
) {
    if path.len() > MAX_DEPTH {
        return;
    }
    match value {
        Json::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key));
                if let (Some(parent), Json::String(text)) = (parent, child)
                    && PLACES.contains(&(parent, key.as_str()))
                    && let Some((content_type, data)) = decode_data_url(text)
                {
                    out.push(Found {
                        pointer: pointer(root, path),
                        content_type,
                        data,
                    });
                } else {
                    find(child, Some(key), root, path, out);
                }
                path.pop();
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                find(item, parent, root, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `(content type, bytes)` of a string that is entirely a base64 data URL.
pub(crate) fn decode_data_url(text: &str) -> Option<(String, bytes::Bytes)> {
    let text = text.trim();
    let rest = text.strip_prefix("data:")?;
    if text.contains(['"', '\\', ' ']) {
        return None;
    }
    let (header, payload) = rest.split_once(',')?;
    let content_type = header.strip_suffix(";base64")?;
    // Parameters other than base64 (e.g. `;charset=`) are not part of the type.
    let content_type = content_type.split(';').next()?.trim().to_ascii_lowercase();
    let valid_type = content_type
        .split_once('/')
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty());
    if !valid_type || payload.len() < MIN_BASE64_LEN {
        return None;
    }
    let data = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()?;
    Some((content_type, data.into()))
}

/// `attachment.<ext>` for a MIME type.
pub(crate) fn filename_for(content_type: &str) -> String {
    let ext = match content_type {
        "image/jpeg" => "jpg",
        "image/svg+xml" => "svg",
        "audio/mpeg" => "mp3",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "text/plain" => "txt",
        other => other
            .split_once('/')
            .map(|(_, sub)| sub.split(['+', '.', '-']).next().unwrap_or(sub))
            .filter(|sub| !sub.is_empty() && sub.bytes().all(|b| b.is_ascii_alphanumeric()))
            .unwrap_or("bin"),
    };
    format!("attachment.{ext}")
}

fn reference(upload: &Upload) -> Json {
    let mut m = Map::new();
    m.insert("type".to_owned(), "braintrust_attachment".into());
    m.insert(
        "content_type".to_owned(),
        upload.content_type.clone().into(),
    );
    m.insert("filename".to_owned(), upload.filename.clone().into());
    m.insert("key".to_owned(), upload.key.clone().into());
    Json::Object(m)
}

#[cfg(test)]
mod tests;
