//! Replay: answer from a cassette, matching each request to a recorded one.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;

use super::answers::Answers;
use super::cassette::{AnswerBody, Interaction, Request};
use super::record::NOT_PASSED_BACK;
use super::reply::Reply;
use super::request::RecordedRequest;
use super::scrub::{SCRUBBED, is_scrubbed_value};

/// The status of the answer to a request no recorded one matches.
pub(crate) const NO_MATCH_STATUS: u16 = 404;

/// The `error.code` of that answer.
pub(crate) const NO_MATCH_CODE: &str = "NoRecordedAnswer";

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How a replaying server matches requests and paces answers.
///
/// A request matches a recorded one when the method, the path, the query
/// parameters (in any order, leaving out those recorded as scrubbed and
/// those named here) and the body are equal. Bodies that are both JSON are
/// compared as JSON (key order and spacing do not matter) without the
/// top-level fields named here; other bodies byte for byte. Headers are not
/// compared. The first recorded interaction that matches and was not played
/// yet answers; once all matching ones were played, the last of them
/// answers again (so a client's retries of a recorded 429 meet the recorded
/// sequence, and a repeated call still gets an answer).
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    ignore_body_fields: Vec<String>,
    ignore_query_params: Vec<String>,
    realtime: bool,
}

impl ReplayOptions {
    /// The default: match everything but headers, answer without waiting.
    pub fn new() -> Self {
        Self::default()
    }

    /// Leaves top-level body field `name` (e.g. `seed`, `user`) out of
    /// matching.
    #[must_use]
    pub fn ignore_body_field(mut self, name: impl Into<String>) -> Self {
        self.ignore_body_fields.push(name.into());
        self
    }

    /// Leaves query parameter `name` out of matching.
    #[must_use]
    pub fn ignore_query_param(mut self, name: impl Into<String>) -> Self {
        self.ignore_query_params.push(name.into());
        self
    }

    /// Plays answers at the recorded pace: waits the recorded latency
    /// before the headers and each recorded gap before each stream event,
    /// so time-to-first-chunk is realistic. Off by default (answers go at
    /// once).
    #[must_use]
    pub fn realtime(mut self, realtime: bool) -> Self {
        self.realtime = realtime;
        self
    }
}

/// A request a replaying server found no recorded answer for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReplayMismatch {
    /// `METHOD /path?query` of the request.
    pub(crate) route: String,
    /// `METHOD /path?query` and 1-based index of the closest recorded
    /// request, when the cassette has any.
    pub(crate) closest: Option<(String, usize)>,
    /// How the request differs from the closest one, e.g.
    /// `body differs at /messages/0/content: recorded "Hello", got "Hi"`.
    pub(crate) difference: String,
}

impl fmt::Display for ReplayMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.closest {
            Some((route, index)) => write!(
                f,
                "no recorded answer for {}; the closest recorded request is #{index} {route}: {}",
                self.route, self.difference
            ),
            None => write!(
                f,
                "no recorded answer for {}: {}",
                self.route, self.difference
            ),
        }
    }
}

/// A request reduced to what matching compares.
struct Key {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    /// Parameters recorded as scrubbed: left out on both sides.
    scrubbed: Vec<String>,
    body: KeyBody,
}

enum KeyBody {
    Json(Value),
    Bytes(Vec<u8>),
}

/// Answers from a cassette.
pub(crate) struct Replayer {
    interactions: Vec<Interaction>,
    keys: Vec<Key>,
    played: Mutex<Vec<usize>>,
    mismatches: Mutex<Vec<ReplayMismatch>>,
    options: ReplayOptions,
}

impl fmt::Debug for Replayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replayer")
            .field("interactions", &self.interactions.len())
            .field("mismatches", &lock(&self.mismatches).len())
            .field("options", &self.options)
            .finish()
    }
}

impl Replayer {
    pub(crate) fn new(interactions: Vec<Interaction>, options: ReplayOptions) -> Self {
        let keys = interactions
            .iter()
            .map(|i| {
                key(
                    &options,
                    &i.request.method,
                    &i.request.path,
                    &i.request.query,
                    &i.request.body,
                    true,
                )
            })
            .collect();
        Replayer {
            played: Mutex::new(vec![0; interactions.len()]),
            interactions,
            keys,
            mismatches: Mutex::new(Vec::new()),
            options,
        }
    }

    pub(crate) fn mismatches(&self) -> Vec<ReplayMismatch> {
        lock(&self.mismatches).clone()
    }

    fn reply(&self, index: usize) -> Reply {
        let answer = &self.interactions[index].answer;
        let pace = self.options.realtime;
        let chunks = match &answer.body {
            AnswerBody::Whole(bytes) => vec![(Duration::ZERO, bytes.clone())],
            AnswerBody::Events(events) => events
                .iter()
                .map(|(gap, bytes)| (if pace { *gap } else { Duration::ZERO }, bytes.clone()))
                .collect(),
        };
        let headers = answer
            .headers
            .iter()
            .filter(|(n, _)| !NOT_PASSED_BACK.contains(&n.to_ascii_lowercase().as_str()))
            .cloned()
            .collect();
        let reply = Reply::recorded(answer.status, headers, chunks, answer.cut);
        if pace {
            reply.with_delay(answer.latency)
        } else {
            reply
        }
    }

    fn mismatch(&self, request: &RecordedRequest, wanted: &Key) -> ReplayMismatch {
        let route = Request {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers: Vec::new(),
            body: request.body.clone(),
        }
        .route();
        let closest = self
            .keys
            .iter()
            .enumerate()
            .min_by_key(|(_, k)| distance(k, wanted));
        match closest {
            Some((index, recorded)) => ReplayMismatch {
                route,
                closest: Some((self.interactions[index].request.route(), index + 1)),
                difference: describe(recorded, wanted),
            },
            None => ReplayMismatch {
                route,
                closest: None,
                difference: "the cassette has no interactions".into(),
            },
        }
    }
}

impl Answers for Arc<Replayer> {
    fn answer(&self, request: &RecordedRequest) -> Reply {
        let wanted = key(
            &self.options,
            &request.method,
            &request.path,
            &request.query,
            &request.body,
            false,
        );
        let matching: Vec<usize> = (0..self.keys.len())
            .filter(|i| same(&self.keys[*i], &wanted))
            .collect();
        let chosen = {
            let mut played = lock(&self.played);
            let chosen = matching
                .iter()
                .copied()
                .find(|i| played[*i] == 0)
                .or_else(|| matching.last().copied());
            if let Some(i) = chosen {
                played[i] += 1;
            }
            chosen
        };
        match chosen {
            Some(index) => self.reply(index),
            None => {
                let mismatch = self.mismatch(request, &wanted);
                let message = mismatch.to_string();
                lock(&self.mismatches).push(mismatch);
                Reply::error(NO_MATCH_STATUS, NO_MATCH_CODE, message)
            }
        }
    }
}

fn key(
    options: &ReplayOptions,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    recorded: bool,
) -> Key {
    let mut scrubbed = Vec::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if options.ignore_query_params.iter().any(|i| *i == name) {
            continue;
        }
        if recorded && is_scrubbed_value(&value) {
            scrubbed.push(name.into_owned());
        } else {
            pairs.push((name.into_owned(), value.into_owned()));
        }
    }
    pairs.sort();
    let body = match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            if let Value::Object(map) = &mut value {
                for field in &options.ignore_body_fields {
                    map.remove(field);
                }
            }
            KeyBody::Json(value)
        }
        Err(_) => KeyBody::Bytes(body.to_vec()),
    };
    Key {
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        query: pairs,
        scrubbed,
        body,
    }
}

/// Whether a live request (`wanted`) matches a recorded one. A parameter
/// scrubbed in the recording is absent from the recorded key: the live
/// request may carry it with any value.
fn same(recorded: &Key, wanted: &Key) -> bool {
    recorded.method == wanted.method
        && recorded.path == wanted.path
        && query_matches(recorded, wanted)
        && body_differences(&recorded.body, &wanted.body) == 0
}

fn query_matches(recorded: &Key, wanted: &Key) -> bool {
    let live: Vec<&(String, String)> = wanted
        .query
        .iter()
        .filter(|(n, _)| !recorded.scrubbed.contains(n))
        .collect();
    live.len() == recorded.query.len()
        && live
            .iter()
            .zip(&recorded.query)
            .all(|(a, b)| a.0 == b.0 && glob(&b.1, &a.1))
}

fn body_differences(a: &KeyBody, b: &KeyBody) -> usize {
    match (a, b) {
        (KeyBody::Json(a), KeyBody::Json(b)) => json_differences(a, b),
        (KeyBody::Bytes(a), KeyBody::Bytes(b)) => usize::from(a != b),
        _ => 1,
    }
}

fn json_differences(a: &Value, b: &Value) -> usize {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut n = 0;
            for (k, v) in x {
                n += y.get(k).map_or(1, |w| json_differences(v, w));
            }
            n + y.keys().filter(|k| !x.contains_key(*k)).count()
        }
        (Value::Array(x), Value::Array(y)) => {
            let common: usize = x.iter().zip(y).map(|(v, w)| json_differences(v, w)).sum();
            common + x.len().abs_diff(y.len())
        }
        (Value::String(recorded), Value::String(live)) => usize::from(!glob(recorded, live)),
        _ => usize::from(a != b),
    }
}

/// Whether `live` fits `recorded`, where each scrub placeholder in
/// `recorded` stands for any non-empty text (the secret it replaced).
fn glob(recorded: &str, live: &str) -> bool {
    if !recorded.contains(SCRUBBED) {
        return recorded == live;
    }
    let parts: Vec<&str> = recorded.split(SCRUBBED).collect();
    let (first, rest) = parts.split_first().unwrap_or((&"", &[]));
    let Some(mut remaining) = live.strip_prefix(first) else {
        return false;
    };
    for (i, part) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        if last {
            return remaining.len() > part.len() && remaining.ends_with(part);
        }
        // At least one character for the secret, then the next literal.
        let Some(skip) = remaining.char_indices().nth(1).map(|(i, _)| i) else {
            return false;
        };
        match remaining[skip..].find(part) {
            Some(at) => remaining = &remaining[skip + at + part.len()..],
            None => return false,
        }
    }
    true
}

fn distance(recorded: &Key, wanted: &Key) -> usize {
    let method = if recorded.method == wanted.method {
        0
    } else {
        10_000
    };
    let path = if recorded.path == wanted.path {
        0
    } else {
        1_000
    };
    let query = if query_matches(recorded, wanted) {
        0
    } else {
        100
    };
    method + path + query + body_differences(&recorded.body, &wanted.body)
}

/// A short quote of a JSON value for messages.
fn quote(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "nothing".into();
    };
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let here = format!("{at}/{k}");
                match y.get(k) {
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &here) {
                            return Some(d);
                        }
                    }
                    None => {
                        return Some(format!("{here}: recorded {}, got nothing", quote(Some(v))));
                    }
                }
            }
            y.iter()
                .find(|(k, _)| !x.contains_key(*k))
                .map(|(k, w)| format!("{at}/{k}: recorded nothing, got {}", quote(Some(w))))
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let here = format!("{at}/{i}");
                match (x.get(i), y.get(i)) {
                    (Some(v), Some(w)) => {
                        if let Some(d) = first_difference(v, w, &here) {
                            return Some(d);
                        }
                    }
                    (v, w) => {
                        return Some(format!("{here}: recorded {}, got {}", quote(v), quote(w)));
                    }
                }
            }
            None
        }
        (Value::String(x), Value::String(y)) if glob(x, y) => None,
        _ if a == b => None,
        _ => Some(format!(
            "{}: recorded {}, got {}",
            if at.is_empty() { "/" } else { at },
            quote(Some(a)),
            quote(Some(b))
        )),
    }
}

fn describe(recorded: &Key, wanted: &Key) -> String {
    if recorded.method != wanted.method {
        return format!(
            "method differs: recorded {}, got {}",
            recorded.method, wanted.method
        );
    }
    if recorded.path != wanted.path {
        return format!(
            "path differs: recorded {}, got {}",
            recorded.path, wanted.path
        );
    }
    if !query_matches(recorded, wanted) {
        let show = |q: &[(String, String)]| {
            q.iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        };
        return format!(
            "query differs: recorded {:?}, got {:?}",
            show(&recorded.query),
            show(&wanted.query)
        );
    }
    match (&recorded.body, &wanted.body) {
        (KeyBody::Json(a), KeyBody::Json(b)) => first_difference(a, b, "")
            .map(|d| format!("body differs at {d}"))
            .unwrap_or_else(|| "the bodies are equal".into()),
        (KeyBody::Json(_), KeyBody::Bytes(_)) => {
            "body differs: recorded JSON, got a body that is not JSON".into()
        }
        (KeyBody::Bytes(_), KeyBody::Json(_)) => {
            "body differs: recorded a body that is not JSON, got JSON".into()
        }
        (KeyBody::Bytes(a), KeyBody::Bytes(b)) => format!(
            "body differs: recorded {} bytes, got {} bytes",
            a.len(),
            b.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::json;

    use super::*;
    use crate::testing::cassette::Answer;

    fn interaction(body: Value, status: u16) -> Interaction {
        Interaction {
            request: Request {
                method: "POST".into(),
                path: "/chat/completions".into(),
                query: "api-version=1&api-key=%5Bscrubbed%5D".into(),
                headers: vec![],
                body: Bytes::from(body.to_string()),
            },
            answer: Answer {
                status,
                headers: vec![],
                latency: Duration::ZERO,
                body: AnswerBody::Whole(Bytes::from_static(b"{}")),
                cut: false,
            },
        }
    }

    fn request(query: &str, body: Value) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/chat/completions".into(),
            query: query.into(),
            headers: vec![],
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn matches_json_bodies_ignoring_order_scrubbed_params_and_named_fields() {
        let body = json!({"messages": [{"role": "user", "content": "Hello"}], "seed": 1});
        let replayer = Arc::new(Replayer::new(
            vec![
                interaction(body, 429),
                interaction(
                    json!({"messages": [{"role": "user", "content": "Hello"}], "seed": 1}),
                    200,
                ),
            ],
            ReplayOptions::new().ignore_body_field("seed"),
        ));
        let live = json!({"seed": 7, "messages": [{"content": "Hello", "role": "user"}]});
        let r = request("api-key=real&api-version=1", live.clone());
        for _ in 0..3 {
            let _ = replayer.answer(&r);
        }
        assert_eq!(*lock(&replayer.played), vec![1, 2]);
        assert!(replayer.mismatches().is_empty());
    }

    #[test]
    fn placeholders_stand_for_any_secret() {
        assert!(glob("key [scrubbed] ok", "key abc ok"));
        assert!(glob("[scrubbed]", "x"));
        assert!(!glob("[scrubbed]", ""));
        assert!(glob("a [scrubbed] b [scrubbed]", "a 1 b 2"));
        assert!(!glob("a [scrubbed] b [scrubbed]", "a 1 c 2"));
        assert!(!glob("key [scrubbed] ok", "key abc no"));
        assert!(glob("plain", "plain"));
    }

    #[test]
    fn a_mismatch_names_the_closest_request_and_the_difference() {
        let replayer = Arc::new(Replayer::new(
            vec![interaction(
                json!({"messages": [{"role": "user", "content": "Hello"}]}),
                200,
            )],
            ReplayOptions::new(),
        ));
        let _ = replayer.answer(&request(
            "api-version=1",
            json!({"messages": [{"role": "user", "content": "Hi"}]}),
        ));
        let m = &replayer.mismatches()[0];
        assert_eq!(m.closest.as_ref().map(|c| c.1), Some(1));
        assert_eq!(
            m.difference,
            r#"body differs at /messages/0/content: recorded "Hello", got "Hi""#
        );
        let _ = replayer.answer(&request("api-version=2", json!({})));
        assert!(
            replayer.mismatches()[1]
                .difference
                .starts_with("query differs"),
            "{}",
            replayer.mismatches()[1]
        );
    }
}
