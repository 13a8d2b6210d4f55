//! [`RecordedRequest`]: one request as a server received it.

use bytes::Bytes;
use serde_json::Value;

/// One request as the server received it, recorded before it was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method, e.g. `"POST"`.
    pub method: String,
    /// The path, without the query, e.g. `"/chat/completions"`.
    pub path: String,
    /// The raw query string without the `?` (empty when there is none), e.g.
    /// `"api-version=2024-05-01-preview"`.
    pub query: String,
    /// Every header in the order received, names lowercased (values that
    /// are not UTF-8 are converted lossily).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The body parsed as JSON, or `None` when it is not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`, percent-decoded, e.g.
    /// `query_param("api-version")`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    }
}
