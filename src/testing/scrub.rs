//! Scrubbing: what a recording replaces before anything is written.
//!
//! Always scrubbed: the values of the headers in [`ALWAYS_SCRUBBED_HEADERS`]
//! and of the `api-key` query parameter. Also scrubbed: the headers and
//! query parameters the user names, and every occurrence of a secret value
//! anywhere (paths, queries, header values, bodies, stream events), in its
//! raw, JSON-escaped and percent-encoded forms. The secrets are those the
//! user names plus the values of the scrubbed request headers and query
//! parameters (so a key the service echoes back is caught), with a
//! `Bearer `/`Basic ` scheme stripped; values shorter than
//! [`MIN_LEARNED_SECRET`] bytes learned this way are only replaced where
//! they stand, not searched for in bodies (where they would match ordinary
//! text).

use std::collections::BTreeSet;

use bytes::Bytes;

use super::cassette::{AnswerBody, Interaction};

/// What a scrubbed value becomes.
pub(crate) const SCRUBBED: &str = "[scrubbed]";

/// [`SCRUBBED`] percent-encoded, for query strings.
const SCRUBBED_IN_QUERY: &str = "%5Bscrubbed%5D";

/// Headers whose values are never written, in any recording.
pub(crate) const ALWAYS_SCRUBBED_HEADERS: &[&str] = &[
    "api-key",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "ocp-apim-subscription-key",
];

/// Query parameters whose values are never written.
const ALWAYS_SCRUBBED_QUERY: &[&str] = &["api-key"];

/// Learned secrets shorter than this are not searched for in bodies.
const MIN_LEARNED_SECRET: usize = 8;

/// The scrubbing rules of one recording.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    headers: BTreeSet<String>,
    query: BTreeSet<String>,
    secrets: BTreeSet<String>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrubber")
            .field("headers", &self.headers)
            .field("query", &self.query)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// Replaces every occurrence of `needle` in `haystack`.
fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    let mut found = false;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
            found = true;
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    found.then_some(out)
}

impl Scrubber {
    pub(crate) fn new(
        headers: impl IntoIterator<Item = String>,
        query: impl IntoIterator<Item = String>,
        secrets: impl IntoIterator<Item = String>,
    ) -> Self {
        Scrubber {
            headers: ALWAYS_SCRUBBED_HEADERS
                .iter()
                .map(|h| (*h).to_owned())
                .chain(headers.into_iter().map(|h| h.to_ascii_lowercase()))
                .collect(),
            query: ALWAYS_SCRUBBED_QUERY
                .iter()
                .map(|q| (*q).to_owned())
                .chain(query)
                .collect(),
            secrets: secrets.into_iter().filter(|s| !s.is_empty()).collect(),
        }
    }

    fn learn(&mut self, value: &str) {
        let value = value.trim();
        let bare = ["Bearer ", "bearer ", "Basic ", "basic "]
            .iter()
            .find_map(|scheme| value.strip_prefix(scheme))
            .unwrap_or(value)
            .trim();
        for v in [value, bare] {
            if v.len() >= MIN_LEARNED_SECRET {
                self.secrets.insert(v.to_owned());
            }
        }
    }

    /// Adds the values of the scrubbed headers and query parameters of every
    /// request as secrets.
    pub(crate) fn learn_from(&mut self, interactions: &[Interaction]) {
        for interaction in interactions {
            let request = &interaction.request;
            let header_values: Vec<String> = request
                .headers
                .iter()
                .filter(|(n, _)| self.headers.contains(&n.to_ascii_lowercase()))
                .map(|(_, v)| v.clone())
                .collect();
            let query_values: Vec<String> = url::form_urlencoded::parse(request.query.as_bytes())
                .filter(|(n, _)| self.query.contains(n.as_ref()))
                .map(|(_, v)| v.into_owned())
                .collect();
            for value in header_values.iter().chain(&query_values) {
                self.learn(value);
            }
        }
    }

    /// Every form a secret can take in text: raw, JSON-escaped, percent-encoded.
    fn forms(&self) -> Vec<(Vec<u8>, &'static [u8])> {
        let mut forms: Vec<(Vec<u8>, &'static [u8])> = Vec::new();
        for secret in &self.secrets {
            let json = serde_json::to_string(secret).unwrap_or_default();
            let json = json.trim_matches('"').to_owned();
            let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            // JSON writers that escape `/` (serde_json does not).
            let json_slashes = json.replace('/', "\\/");
            for form in [secret.clone(), json, json_slashes, encoded] {
                if !forms.iter().any(|(f, _)| f == form.as_bytes()) {
                    forms.push((form.into_bytes(), SCRUBBED.as_bytes()));
                }
            }
        }
        // Longest first, so a secret that contains another goes whole.
        forms.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
        forms
    }

    fn bytes(forms: &[(Vec<u8>, &'static [u8])], bytes: &[u8]) -> Option<Vec<u8>> {
        let mut current: Option<Vec<u8>> = None;
        for (needle, with) in forms {
            let source = current.as_deref().unwrap_or(bytes);
            if let Some(replaced) = replace_bytes(source, needle, with) {
                current = Some(replaced);
            }
        }
        current
    }

    fn text(forms: &[(Vec<u8>, &'static [u8])], text: &mut String) {
        if let Some(replaced) = Self::bytes(forms, text.as_bytes()) {
            *text = String::from_utf8_lossy(&replaced).into_owned();
        }
    }

    fn body(forms: &[(Vec<u8>, &'static [u8])], body: &mut Bytes) {
        if let Some(replaced) = Self::bytes(forms, body) {
            *body = Bytes::from(replaced);
        }
    }

    fn headers(&self, forms: &[(Vec<u8>, &'static [u8])], headers: &mut [(String, String)]) {
        for (name, value) in headers.iter_mut() {
            if self.headers.contains(&name.to_ascii_lowercase()) {
                *value = SCRUBBED.to_owned();
            } else {
                Self::text(forms, value);
            }
        }
    }

    fn query(&self, forms: &[(Vec<u8>, &'static [u8])], query: &mut String) {
        if query.is_empty() {
            return;
        }
        let pieces: Vec<String> = query
            .split('&')
            .map(|piece| {
                let name = piece.split('=').next().unwrap_or("");
                let decoded: String = url::form_urlencoded::parse(name.as_bytes())
                    .next()
                    .map(|(n, _)| n.into_owned())
                    .unwrap_or_default();
                if self.query.contains(&decoded) {
                    format!("{name}={SCRUBBED_IN_QUERY}")
                } else {
                    let mut piece = piece.to_owned();
                    Self::text(forms, &mut piece);
                    piece
                }
            })
            .collect();
        *query = pieces.join("&");
    }

    /// Scrubs `interactions` in place, after learning their secrets.
    pub(crate) fn scrub_all(&mut self, interactions: &mut [Interaction]) {
        self.learn_from(interactions);
        let forms = self.forms();
        for interaction in interactions.iter_mut() {
            let request = &mut interaction.request;
            Self::text(&forms, &mut request.path);
            self.query(&forms, &mut request.query);
            self.headers(&forms, &mut request.headers);
            Self::body(&forms, &mut request.body);
            let answer = &mut interaction.answer;
            self.headers(&forms, &mut answer.headers);
            match &mut answer.body {
                AnswerBody::Whole(body) => Self::body(&forms, body),
                AnswerBody::Events(events) => {
                    for (_, event) in events.iter_mut() {
                        Self::body(&forms, event);
                    }
                }
            }
        }
    }

    /// Scrubs a message (e.g. an upstream error that may quote a URL).
    pub(crate) fn scrub_message(&self, message: &str) -> String {
        let mut message = message.to_owned();
        Self::text(&self.forms(), &mut message);
        message
    }
}

/// Whether a query parameter's recorded value is the scrub placeholder
/// (replay leaves such parameters out of matching).
pub(crate) fn is_scrubbed_value(value: &str) -> bool {
    value == SCRUBBED
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testing::cassette::{Answer, Request};

    #[test]
    fn replaces_every_form_of_a_secret() {
        let secret = "s3cr3t/key+value";
        let mut interactions = vec![Interaction {
            request: Request {
                method: "POST".into(),
                path: "/chat/completions".into(),
                query: "api-version=1&sig=abc&x=s3cr3t%2Fkey%2Bvalue".into(),
                headers: vec![
                    ("api-key".into(), secret.into()),
                    ("x-custom".into(), "abc".into()),
                    ("cookie".into(), "a=b".into()),
                ],
                body: Bytes::from(format!(r#"{{"k":"{}"}}"#, "s3cr3t\\/key+value")),
            },
            answer: Answer {
                status: 401,
                headers: vec![("x-echo".into(), format!("got {secret}"))],
                latency: Duration::ZERO,
                body: AnswerBody::Events(vec![(
                    Duration::ZERO,
                    Bytes::from(format!("data: {secret}\n\n")),
                )]),
                cut: false,
            },
        }];
        let mut scrubber = Scrubber::new(["X-Custom".into()], ["sig".into()], []);
        scrubber.scrub_all(&mut interactions);
        let text = String::from_utf8(crate::testing::cassette::to_json(&interactions)).unwrap();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(!text.contains("abc"), "{text}");
        assert!(!text.contains("a=b"), "{text}");
        let i = &interactions[0];
        assert_eq!(
            i.request.query,
            "api-version=1&sig=%5Bscrubbed%5D&x=[scrubbed]"
        );
        assert_eq!(i.answer.headers[0].1, "got [scrubbed]");
    }

    #[test]
    fn bearer_tokens_are_learned_without_their_scheme() {
        let mut scrubber = Scrubber::new([], [], []);
        scrubber.learn("Bearer eyJhbGciOi.token");
        assert!(scrubber.secrets.contains("eyJhbGciOi.token"));
        scrubber.learn("short");
        assert!(!scrubber.secrets.contains("short"));
    }
}
