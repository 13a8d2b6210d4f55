//! The native exporter's I/O: project resolution, batching into insert
//! requests, retries. Runs only on the exporter's worker thread.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;

use super::config::{MAX_BATCH_BYTES, MAX_BATCH_ROWS, Parent, ResolvedConfig, RetryPolicy};
use super::mapping::BraintrustRow;
use super::truncate;

/// What happened to the rows of one export.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// Rows Braintrust accepted.
    pub(crate) sent: usize,
    /// Rows given up.
    pub(crate) dropped: usize,
    /// Insert requests (of at most 100 rows) given up.
    pub(crate) failed_batches: usize,
    /// Why rows were dropped (content-free, key-free), when some were.
    pub(crate) reason: Option<String>,
}

/// Talks to Braintrust's REST API.
pub(crate) struct Transport {
    client: reqwest::Client,
    api_url: String,
    /// `Bearer {key}`, marked sensitive so `Debug` never shows it.
    authorization: HeaderValue,
    parent: Parent,
    /// `{api_url}/v1/project_logs/{id}/insert` or `.../experiment/{id}/insert`
    /// of each parent, once known (a project name is resolved on first use,
    /// then cached; at most [`MAX_ROUTES`] parents).
    insert_urls: HashMap<Parent, String>,
    retry: RetryPolicy,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("api_url", &self.api_url)
            .field("parent", &self.parent)
            .field("insert_urls", &self.insert_urls)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub(crate) fn new(config: &ResolvedConfig) -> Result<Self, super::BraintrustBuildError> {
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", config.api_key.expose())).map_err(
                |_| super::BraintrustBuildError::InvalidApiKey {
                    reason: "contains characters that cannot go in an HTTP header",
                },
            )?;
        authorization.set_sensitive(true);
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .user_agent(crate::net::USER_AGENT)
            .build()
            .map_err(super::BraintrustBuildError::HttpClient)?;
        let mut insert_urls = HashMap::new();
        if let Some(url) = insert_url_of_id(&config.api_url, &config.parent) {
            insert_urls.insert(config.parent.clone(), url);
        }
        Ok(Transport {
            client,
            api_url: config.api_url.clone(),
            authorization,
            parent: config.parent.clone(),
            insert_urls,
            retry: config.retry,
        })
    }

    /// Sends `rows` in requests of at most [`MAX_BATCH_ROWS`] rows and
    /// [`MAX_BATCH_BYTES`] bytes. When a request is given up after retrying
    /// (an outage), the rest of the export is dropped without trying, so one
    /// export never waits for more than one retry budget.
    ///
    /// Rows that name their own parent (a `braintrust.parent` from baggage,
    /// see [`BraintrustParentProcessor`](super::BraintrustParentProcessor))
    /// go to that project or experiment, the others to the configured one.
    pub(crate) async fn deliver(&mut self, rows: &[BraintrustRow]) -> Delivery {
        if rows.iter().all(|r| r.route.is_none()) {
            let parent = self.parent.clone();
            return self.deliver_to(&parent, rows.iter()).await;
        }
        // One group per parent, in order of first appearance.
        let mut parents: Vec<Parent> = Vec::new();
        for row in rows {
            let parent = row.route.as_ref().unwrap_or(&self.parent);
            if !parents.contains(parent) {
                parents.push(parent.clone());
            }
        }
        let mut total = Delivery::default();
        for parent in &parents {
            let group = rows
                .iter()
                .filter(|r| r.route.as_ref().unwrap_or(&self.parent) == parent);
            let delivery = self.deliver_to(parent, group.collect::<Vec<_>>()).await;
            total.sent += delivery.sent;
            total.dropped += delivery.dropped;
            total.failed_batches += delivery.failed_batches;
            total.reason = delivery.reason.or(total.reason);
        }
        total
    }

    async fn deliver_to<'a>(
        &mut self,
        parent: &Parent,
        rows: impl IntoIterator<Item = &'a BraintrustRow>,
    ) -> Delivery {
        let encoded = encode_batches(rows, MAX_BATCH_ROWS, MAX_BATCH_BYTES);
        let mut delivery = Delivery {
            dropped: encoded.oversized,
            reason: (encoded.oversized > 0).then(|| {
                format!(
                    "{} row(s) larger than {} MiB on their own",
                    encoded.oversized,
                    MAX_BATCH_BYTES / (1024 * 1024)
                )
            }),
            ..Delivery::default()
        };
        if encoded.batches.is_empty() {
            return delivery;
        }

        let url = match self.insert_url(parent).await {
            Ok(url) => url,
            Err(failure) => {
                for batch in &encoded.batches {
                    delivery.dropped += batch.rows;
                    delivery.failed_batches += 1;
                }
                delivery.reason = Some(format!("could not resolve {parent}: {failure}"));
                return delivery;
            }
        };

        let mut batches = encoded.batches.into_iter();
        while let Some(batch) = batches.next() {
            match self.post(&url, batch.body).await {
                Ok(response) => {
                    // Read the (small) answer so the connection can be reused.
                    let _ = response.bytes().await;
                    delivery.sent += batch.rows;
                }
                Err(failure) => {
                    delivery.dropped += batch.rows;
                    delivery.failed_batches += 1;
                    if failure.is_outage() {
                        for rest in batches.by_ref() {
                            delivery.dropped += rest.rows;
                            delivery.failed_batches += 1;
                        }
                    }
                    delivery.reason = Some(failure.to_string());
                }
            }
        }
        delivery
    }

    async fn insert_url(&mut self, parent: &Parent) -> Result<String, Failure> {
        if let Some(url) = self.insert_urls.get(parent) {
            return Ok(url.clone());
        }
        if self.insert_urls.len() >= MAX_ROUTES {
            return Err(Failure::InvalidResponse(
                "too many distinct Braintrust parents in baggage",
            ));
        }
        let name = match parent {
            Parent::ProjectId(_) | Parent::ExperimentId(_) => {
                let url = insert_url_of_id(&self.api_url, parent).unwrap_or_default();
                self.insert_urls.insert(parent.clone(), url.clone());
                return Ok(url);
            }
            Parent::ProjectName(name) => name.clone(),
        };
        #[derive(Deserialize)]
        struct Project {
            id: String,
        }
        let body = serde_json::to_vec(&serde_json::json!({ "name": name }))
            .map_err(|_| Failure::InvalidResponse("could not encode the project name"))?;
        let response = self
            .post(&format!("{}/v1/project", self.api_url), body.into())
            .await?;
        let bytes = response.bytes().await.map_err(|e| Failure::Network {
            kind: classify(&e),
            attempts: 1,
        })?;
        let project: Project = serde_json::from_slice(&bytes)
            .map_err(|_| Failure::InvalidResponse("the project answer has no `id`"))?;
        let id_ok = !project.id.is_empty()
            && project
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !id_ok {
            return Err(Failure::InvalidResponse(
                "the project id is not a URL-safe identifier",
            ));
        }
        let url = format!("{}/v1/project_logs/{}/insert", self.api_url, project.id);
        self.insert_urls.insert(parent.clone(), url.clone());
        Ok(url)
    }

    /// One JSON POST with retries: 429, 5xx and network failures are retried
    /// per the policy, other answers are final.
    async fn post(&self, url: &str, body: Bytes) -> Result<reqwest::Response, Failure> {
        let started = Instant::now();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let result = self
                .client
                .post(url)
                .header(AUTHORIZATION, self.authorization.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone())
                .send()
                .await;
            let (failure, retry_after) = match result {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let retry_after =
                        crate::net::retry_after(response.headers(), SystemTime::now());
                    let failure = Failure::Status {
                        status: status.as_u16(),
                        attempts: attempt,
                        retry_after: None,
                    };
                    if !(status.as_u16() == 429 || status.is_server_error()) {
                        return Err(failure);
                    }
                    (failure, retry_after)
                }
                Err(error) => (
                    Failure::Network {
                        kind: classify(&error),
                        attempts: attempt,
                    },
                    None,
                ),
            };
            if attempt >= self.retry.max_attempts() {
                return Err(failure);
            }
            let delay = self.retry.delay(attempt, retry_after);
            if started.elapsed().saturating_add(delay) > self.retry.max_elapsed() {
                return Err(failure.with_retry_after(retry_after));
            }
            tokio::time::sleep(delay).await;
        }
    }
}

/// Most parents (projects, experiments) one exporter sends to: baggage is
/// untrusted input, so a flood of made-up parents cannot grow the cache (or
/// the project lookups) without bound.
const MAX_ROUTES: usize = 64;

/// The insert URL of a parent given by id; `None` for a project name.
fn insert_url_of_id(api_url: &str, parent: &Parent) -> Option<String> {
    match parent {
        Parent::ProjectId(id) => Some(format!("{api_url}/v1/project_logs/{id}/insert")),
        Parent::ExperimentId(id) => Some(format!("{api_url}/v1/experiment/{id}/insert")),
        Parent::ProjectName(_) => None,
    }
}

/// Why a request was given up. `Display` is content-free and key-free.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// The last answer was a non-success status.
    Status {
        status: u16,
        attempts: u32,
        /// Set when the server's `Retry-After` did not fit in the retry budget.
        retry_after: Option<Duration>,
    },
    /// No answer.
    Network { kind: &'static str, attempts: u32 },
    /// An answer we cannot use.
    InvalidResponse(&'static str),
}

impl Failure {
    /// The service is unreachable or overloaded: the next request of the same
    /// export would most likely fail too.
    fn is_outage(&self) -> bool {
        match self {
            Failure::Status { status, .. } => *status == 429 || *status >= 500,
            Failure::Network { .. } => true,
            Failure::InvalidResponse(_) => false,
        }
    }

    fn with_retry_after(self, after: Option<Duration>) -> Self {
        match self {
            Failure::Status {
                status, attempts, ..
            } => Failure::Status {
                status,
                attempts,
                retry_after: after,
            },
            other => other,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: &u32| if *n == 1 { "" } else { "s" };
        match self {
            Failure::Status {
                status,
                attempts,
                retry_after,
            } => {
                let retryable = *status == 429 || *status >= 500;
                write!(f, "HTTP {status}")?;
                if !retryable {
                    write!(f, " (not retried)")?;
                } else {
                    write!(f, " after {attempts} attempt{}", plural(attempts))?;
                }
                if let Some(after) = retry_after {
                    write!(
                        f,
                        "; Retry-After asked for {} s, more than the retry budget",
                        after.as_secs()
                    )?;
                }
                match status {
                    401 | 403 => write!(f, "; check the API key and its access to the parent"),
                    404 => write!(f, "; check the API URL and the parent id"),
                    413 => write!(f, "; the batch is too large"),
                    _ => Ok(()),
                }
            }
            Failure::Network { kind, attempts } => {
                write!(f, "{kind} after {attempts} attempt{}", plural(attempts))
            }
            Failure::InvalidResponse(what) => f.write_str(what),
        }
    }
}

/// A coarse, URL-free and key-free description of a transport error.
fn classify(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "response body could not be read"
    } else {
        "network error"
    }
}

/// One insert request body.
#[derive(Debug)]
pub(crate) struct EncodedBatch {
    pub(crate) body: Bytes,
    pub(crate) rows: usize,
}

/// Rows packed into request bodies.
#[derive(Debug, Default)]
pub(crate) struct Encoded {
    pub(crate) batches: Vec<EncodedBatch>,
    /// Rows that alone exceed the byte limit even truncated (dropped).
    pub(crate) oversized: usize,
    /// Rows truncated to fit (sent).
    pub(crate) truncated: usize,
}

const PREFIX: &[u8] = br#"{"events":["#;
const SUFFIX: &[u8] = b"]}";

/// Packs rows into `{"events":[...]}` bodies of at most `max_rows` rows and
/// `max_bytes` bytes, in order. Each row is serialized once.
pub(crate) fn encode_batches<'a>(
    rows: impl IntoIterator<Item = &'a BraintrustRow>,
    max_rows: usize,
    max_bytes: usize,
) -> Encoded {
    let mut out = Encoded::default();
    let mut body: Vec<u8> = Vec::new();
    let mut in_body = 0usize;
    let mut row_json: Vec<u8> = Vec::new();
    let flush = |body: &mut Vec<u8>, in_body: &mut usize, out: &mut Encoded| {
        if *in_body > 0 {
            body.extend_from_slice(SUFFIX);
            out.batches.push(EncodedBatch {
                body: Bytes::from(std::mem::take(body)),
                rows: *in_body,
            });
            *in_body = 0;
        }
    };
    for row in rows {
        row_json.clear();
        if serde_json::to_writer(&mut row_json, row).is_err() {
            out.oversized += 1;
            continue;
        }
        if PREFIX.len() + row_json.len() + SUFFIX.len() > max_bytes {
            // Too large alone: truncate its texts rather than lose the row.
            let mut fitted = row.clone();
            let limit = max_bytes - PREFIX.len() - SUFFIX.len();
            row_json.clear();
            if truncate::fit(&mut fitted, limit) != truncate::Fit::Truncated
                || serde_json::to_writer(&mut row_json, &fitted).is_err()
            {
                out.oversized += 1;
                continue;
            }
            out.truncated += 1;
        }
        // +1 for the comma.
        let grown = body.len() + 1 + row_json.len() + SUFFIX.len();
        if in_body == max_rows || (in_body > 0 && grown > max_bytes) {
            flush(&mut body, &mut in_body, &mut out);
        }
        if in_body == 0 {
            body.extend_from_slice(PREFIX);
        } else {
            body.push(b',');
        }
        body.extend_from_slice(&row_json);
        in_body += 1;
    }
    flush(&mut body, &mut in_body, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::mapping::span_to_row;
    use crate::exporters::braintrust::test_spans::padded_span;

    fn row(i: u64, padding: usize) -> BraintrustRow {
        span_to_row(&padded_span(i, padding))
    }

    fn decode(batch: &EncodedBatch) -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_slice(&batch.body).expect("valid JSON");
        v["events"].as_array().expect("events").clone()
    }

    #[test]
    fn batches_hold_at_most_max_rows_in_order() {
        let rows: Vec<_> = (0..250).map(|i| row(i, 0)).collect();
        let encoded = encode_batches(&rows, 100, MAX_BATCH_BYTES);
        let sizes: Vec<_> = encoded.batches.iter().map(|b| b.rows).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let ids: Vec<String> = encoded
            .batches
            .iter()
            .flat_map(decode)
            .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        let expected: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn batches_hold_at_most_max_bytes_and_oversized_rows_are_truncated() {
        let rows: Vec<_> = [300, 300, 300, 5000, 300]
            .iter()
            .enumerate()
            .map(|(i, n)| row(i as u64, *n))
            .collect();
        let encoded = encode_batches(&rows, 100, 1500);
        assert_eq!((encoded.oversized, encoded.truncated), (0, 1));
        for batch in &encoded.batches {
            assert!(batch.body.len() <= 1500, "{} bytes", batch.body.len());
            assert_eq!(decode(batch).len(), batch.rows);
        }
        assert_eq!(encoded.batches.iter().map(|b| b.rows).sum::<usize>(), 5);
        assert!(encoded.batches.len() >= 2);
    }

    #[test]
    fn failures_read_well_and_classify_outages() {
        let f = Failure::Status {
            status: 400,
            attempts: 1,
            retry_after: None,
        };
        assert_eq!(f.to_string(), "HTTP 400 (not retried)");
        assert!(!f.is_outage());
        let f = Failure::Status {
            status: 503,
            attempts: 5,
            retry_after: None,
        };
        assert_eq!(f.to_string(), "HTTP 503 after 5 attempts");
        assert!(f.is_outage());
        let f = Failure::Network {
            kind: "timeout",
            attempts: 1,
        };
        assert_eq!(f.to_string(), "timeout after 1 attempt");
    }
}
