//! The cassette file: recorded request/answer pairs as one readable JSON
//! document, and its load-time checks.
//!
//! ```json
//! {
//!   "version": 1,
//!   "recorded_with": "azure-ai-inference-otel 0.1.0",
//!   "interactions": [
//!     {
//!       "request": {
//!         "method": "POST",
//!         "path": "/chat/completions",
//!         "query": "api-version=2024-05-01-preview",
//!         "headers": ["content-type: application/json", "api-key: [scrubbed]"],
//!         "body": { "text": "{\"messages\":[...]}" }
//!       },
//!       "response": {
//!         "status": 200,
//!         "headers": ["content-type: text/event-stream"],
//!         "latency_ms": 212,
//!         "events": [ { "gap_ms": 0, "data": "{\"id\":...}" }, { "gap_ms": 31, "data": "[DONE]" } ]
//!       }
//!     }
//!   ]
//! }
//! ```
//!
//! Bodies are byte-exact: `{"text": ...}` when they are valid UTF-8, else
//! `{"base64": ...}` (standard alphabet, padded). A server-sent-event answer
//! is kept as its events instead of one body: `data` when the event is
//! exactly `data: <one line>\n\n`, else `raw` (its full text, blank line
//! included) or `base64`; `gap_ms` is the time since the previous event (the
//! first: since the headers). `cut: true` marks an answer whose connection
//! broke before its end.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The cassette format version this crate writes and reads.
pub(crate) const CASSETTE_VERSION: u32 = 1;

/// Why a cassette could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CassetteError {
    /// Reading or writing the file failed.
    #[error("cassette {path}: {source}")]
    Io {
        /// The cassette file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The file is not a cassette: broken JSON or a field of the wrong shape
    /// (with the line and column serde_json stopped at).
    #[error("cassette {path} is not valid: {source}")]
    Parse {
        /// The cassette file.
        path: PathBuf,
        /// Where and why parsing stopped.
        source: serde_json::Error,
    },
    /// The file parses but an interaction makes no sense (e.g. a body that
    /// is not valid base64, a request body that should be JSON and is not).
    #[error("cassette {path}, interaction {index}: {message}")]
    Invalid {
        /// The cassette file.
        path: PathBuf,
        /// 1-based position of the interaction in `interactions`.
        index: usize,
        /// What is wrong, naming the field.
        message: String,
    },
    /// The recording could not start (e.g. an upstream URL that is not an
    /// http(s) URL, or the HTTP client could not be built).
    #[error("cannot record: {0}")]
    Setup(String),
}

/// A body as stored: text when it is UTF-8, else base64.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum StoredBody {
    Text(String),
    Base64(String),
}

impl StoredBody {
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => StoredBody::Text(text.to_owned()),
            Err(_) => StoredBody::Base64(BASE64_STANDARD.encode(bytes)),
        }
    }

    fn to_bytes(&self) -> Result<Bytes, String> {
        match self {
            StoredBody::Text(text) => Ok(Bytes::from(text.clone())),
            StoredBody::Base64(b64) => BASE64_STANDARD
                .decode(b64)
                .map(Bytes::from)
                .map_err(|e| format!("not valid base64 ({e})")),
        }
    }
}

/// Headers as `"name: value"` lines: readable, in order, duplicates kept.
mod header_lines {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        headers: &[(String, String)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(headers.iter().map(|(n, v)| format!("{n}: {v}")))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(String, String)>, D::Error> {
        let lines = Vec::<String>::deserialize(deserializer)?;
        lines
            .into_iter()
            .map(|line| match line.split_once(':') {
                Some((name, value)) if !name.trim().is_empty() => Ok((
                    name.trim().to_ascii_lowercase(),
                    value.trim_start().to_owned(),
                )),
                _ => Err(D::Error::custom(format!(
                    "header {line:?} is not of the form \"name: value\""
                ))),
            })
            .collect()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One request as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredRequest {
    pub(crate) method: String,
    pub(crate) path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) query: String,
    #[serde(default, with = "header_lines")]
    pub(crate) headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) body: Option<StoredBody>,
}

/// One server-sent event as stored: exactly one of `data`, `raw`, `base64`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredEvent {
    #[serde(default)]
    pub(crate) gap_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) base64: Option<String>,
}

/// One answer as stored: `body` or `events`, not both.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredResponse {
    pub(crate) status: u16,
    #[serde(default, with = "header_lines")]
    pub(crate) headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) body: Option<StoredBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) events: Option<Vec<StoredEvent>>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) cut: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredInteraction {
    pub(crate) request: StoredRequest,
    pub(crate) response: StoredResponse,
}

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredCassette {
    pub(crate) version: u32,
    #[serde(default)]
    pub(crate) recorded_with: String,
    pub(crate) interactions: Vec<StoredInteraction>,
}

/// A request, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
}

impl Request {
    /// `METHOD /path?query`, for messages.
    pub(crate) fn route(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.query)
        }
    }
}

/// An answer's body, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AnswerBody {
    Whole(Bytes),
    /// Each event's bytes (framing included) and the gap before it.
    Events(Vec<(Duration, Bytes)>),
}

/// An answer, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) latency: Duration,
    pub(crate) body: AnswerBody,
    pub(crate) cut: bool,
}

/// One request/answer pair, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interaction {
    pub(crate) request: Request,
    pub(crate) answer: Answer,
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Whether a `content-type` value says JSON (`application/json`, `+json`).
pub(crate) fn is_json_type(headers: &[(String, String)]) -> bool {
    header(headers, "content-type").is_some_and(|ct| {
        let ct = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        ct == "application/json" || ct.ends_with("+json")
    })
}

/// Whether a `content-type` value says server-sent events.
pub(crate) fn is_event_stream(headers: &[(String, String)]) -> bool {
    header(headers, "content-type").is_some_and(|ct| {
        ct.trim_start()
            .to_ascii_lowercase()
            .starts_with("text/event-stream")
    })
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn stored_event(gap: Duration, bytes: &[u8]) -> StoredEvent {
    let mut event = StoredEvent {
        gap_ms: millis(gap),
        data: None,
        raw: None,
        base64: None,
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let single_data = text
                .strip_prefix("data: ")
                .and_then(|t| t.strip_suffix("\n\n"))
                .filter(|d| !d.contains(['\n', '\r']));
            match single_data {
                Some(data) => event.data = Some(data.to_owned()),
                None => event.raw = Some(text.to_owned()),
            }
        }
        Err(_) => event.base64 = Some(BASE64_STANDARD.encode(bytes)),
    }
    event
}

fn decode_event(event: &StoredEvent) -> Result<(Duration, Bytes), String> {
    let bytes = match (&event.data, &event.raw, &event.base64) {
        (Some(data), None, None) => {
            if data.contains(['\n', '\r']) {
                return Err("`data` holds a line break; use `raw` for multi-line events".into());
            }
            Bytes::from(format!("data: {data}\n\n"))
        }
        (None, Some(raw), None) => Bytes::from(raw.clone()),
        (None, None, Some(b64)) => BASE64_STANDARD
            .decode(b64)
            .map(Bytes::from)
            .map_err(|e| format!("`base64` is not valid base64 ({e})"))?,
        _ => return Err("needs exactly one of `data`, `raw` or `base64`".into()),
    };
    Ok((Duration::from_millis(event.gap_ms), bytes))
}

impl Interaction {
    pub(crate) fn to_stored(&self) -> StoredInteraction {
        let request = &self.request;
        let answer = &self.answer;
        let (body, events) = match &answer.body {
            AnswerBody::Whole(bytes) if bytes.is_empty() => (None, None),
            AnswerBody::Whole(bytes) => (Some(StoredBody::from_bytes(bytes)), None),
            AnswerBody::Events(events) => (
                None,
                Some(events.iter().map(|(g, b)| stored_event(*g, b)).collect()),
            ),
        };
        StoredInteraction {
            request: StoredRequest {
                method: request.method.clone(),
                path: request.path.clone(),
                query: request.query.clone(),
                headers: request.headers.clone(),
                body: (!request.body.is_empty()).then(|| StoredBody::from_bytes(&request.body)),
            },
            response: StoredResponse {
                status: answer.status,
                headers: answer.headers.clone(),
                latency_ms: millis(answer.latency),
                body,
                events,
                cut: answer.cut,
            },
        }
    }

    fn from_stored(stored: &StoredInteraction) -> Result<Self, String> {
        let r = &stored.request;
        if r.method.is_empty() || !r.method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!(
                "request.method {:?} is not an HTTP method",
                r.method
            ));
        }
        if !r.path.starts_with('/') {
            return Err(format!(
                "request.path {:?} must start with `/` (the query goes in `query`)",
                r.path
            ));
        }
        let body = match &r.body {
            Some(b) => b.to_bytes().map_err(|e| format!("request.body is {e}"))?,
            None => Bytes::new(),
        };
        if is_json_type(&r.headers)
            && !body.is_empty()
            && let Err(e) = serde_json::from_slice::<serde_json::Value>(&body)
        {
            return Err(format!(
                "request.body is not valid JSON although its content-type says JSON: {e}"
            ));
        }
        let s = &stored.response;
        if !(100..=999).contains(&s.status) {
            return Err(format!(
                "response.status {} is not an HTTP status",
                s.status
            ));
        }
        let answer_body = match (&s.body, &s.events) {
            (Some(_), Some(_)) => {
                return Err("response has both `body` and `events`; keep one".into());
            }
            (Some(b), None) => {
                AnswerBody::Whole(b.to_bytes().map_err(|e| format!("response.body is {e}"))?)
            }
            (None, Some(events)) => AnswerBody::Events(
                events
                    .iter()
                    .enumerate()
                    .map(|(i, e)| decode_event(e).map_err(|m| format!("response.events[{i}] {m}")))
                    .collect::<Result<_, _>>()?,
            ),
            (None, None) => AnswerBody::Whole(Bytes::new()),
        };
        Ok(Interaction {
            request: Request {
                method: r.method.to_ascii_uppercase(),
                path: r.path.clone(),
                query: r.query.clone(),
                headers: r.headers.clone(),
                body,
            },
            answer: Answer {
                status: s.status,
                headers: s.headers.clone(),
                latency: Duration::from_millis(s.latency_ms),
                body: answer_body,
                cut: s.cut,
            },
        })
    }
}

/// Reads and checks a cassette file.
pub(crate) fn load(path: &Path) -> Result<Vec<Interaction>, CassetteError> {
    let text = std::fs::read(path).map_err(|source| CassetteError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

/// Parses and checks a cassette's bytes (`path` names it in errors).
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Vec<Interaction>, CassetteError> {
    let stored: StoredCassette =
        serde_json::from_slice(bytes).map_err(|source| CassetteError::Parse {
            path: path.to_owned(),
            source,
        })?;
    if stored.version != CASSETTE_VERSION {
        return Err(CassetteError::Invalid {
            path: path.to_owned(),
            index: 0,
            message: format!(
                "`version` is {}, this crate reads version {CASSETTE_VERSION}",
                stored.version
            ),
        });
    }
    stored
        .interactions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Interaction::from_stored(s).map_err(|message| CassetteError::Invalid {
                path: path.to_owned(),
                index: i + 1,
                message,
            })
        })
        .collect()
}

/// The pretty JSON document for `interactions`.
pub(crate) fn to_json(interactions: &[Interaction]) -> Vec<u8> {
    let stored = StoredCassette {
        version: CASSETTE_VERSION,
        recorded_with: concat!("azure-ai-inference-otel ", env!("CARGO_PKG_VERSION")).to_owned(),
        interactions: interactions.iter().map(Interaction::to_stored).collect(),
    };
    let mut out = serde_json::to_vec_pretty(&stored).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Writes `interactions` to `path` (through a temporary file beside it, so
/// a reader never sees half a cassette).
pub(crate) fn save(path: &Path, interactions: &[Interaction]) -> Result<(), CassetteError> {
    let io = |source| CassetteError::Io {
        path: path.to_owned(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, to_json(interactions)).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.route())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Interaction {
        Interaction {
            request: Request {
                method: "POST".into(),
                path: "/chat/completions".into(),
                query: "api-version=1".into(),
                headers: vec![("content-type".into(), "application/json".into())],
                body: Bytes::from_static(br#"{"messages":[]}"#),
            },
            answer: Answer {
                status: 200,
                headers: vec![("content-type".into(), "text/event-stream".into())],
                latency: Duration::from_millis(5),
                body: AnswerBody::Events(vec![
                    (Duration::ZERO, Bytes::from_static(b"data: {\"a\":1}\n\n")),
                    (
                        Duration::from_millis(7),
                        Bytes::from_static(b"event: x\ndata: y\n\n"),
                    ),
                    (
                        Duration::from_millis(1),
                        Bytes::from_static(b"\xff\xfe\n\n"),
                    ),
                ]),
                cut: true,
            },
        }
    }

    #[test]
    fn round_trips_byte_exact() {
        let json = to_json(&[sample()]);
        let back = parse(Path::new("t.json"), &json).unwrap();
        assert_eq!(back, vec![sample()]);
        let text = String::from_utf8(json).unwrap();
        assert!(text.contains(r#""data": "{\"a\":1}""#), "{text}");
        assert!(text.contains(r#""raw": "event: x\ndata: y\n\n""#), "{text}");
    }

    #[test]
    fn binary_bodies_are_base64() {
        assert!(matches!(StoredBody::from_bytes(&[0xff, 0]), StoredBody::Base64(b) if b == "/wA="));
    }

    #[test]
    fn broken_files_give_errors_naming_the_problem() {
        let path = Path::new("c.json");
        let e = parse(path, b"{\"version\": 1, \"interactions\": [").unwrap_err();
        assert!(matches!(e, CassetteError::Parse { .. }), "{e}");
        assert!(e.to_string().contains("line 1"), "{e}");

        let mut stored = sample().to_stored();
        stored.response.body = Some(StoredBody::Base64("not base64!".into()));
        stored.response.events = None;
        let doc = serde_json::json!({"version": 1, "interactions": [stored]});
        let e = parse(path, doc.to_string().as_bytes()).unwrap_err();
        assert!(
            e.to_string()
                .contains("interaction 1: response.body is not valid base64"),
            "{e}"
        );

        let mut stored = sample().to_stored();
        stored.request.body = Some(StoredBody::Text("{\"messages\": [".into()));
        let doc = serde_json::json!({"version": 1, "interactions": [stored]});
        let e = parse(path, doc.to_string().as_bytes()).unwrap_err();
        assert!(
            e.to_string().contains("request.body is not valid JSON"),
            "{e}"
        );

        let e = parse(path, br#"{"version": 2, "interactions": []}"#).unwrap_err();
        assert!(e.to_string().contains("version"), "{e}");
    }
}
