//! The native exporter's I/O: project resolution and insert requests, as a
//! delivery [`Sink`]: the engine batches, retries and counts.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use opentelemetry_sdk::trace::SpanData;
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::attachments::{Uploader, convert_row};
use super::config::{MAX_BATCH_BYTES, MAX_BATCH_ROWS, Parent, ResolvedConfig};
use super::mapping::{BraintrustRow, span_to_row};
use super::truncate;

/// Most parents (projects, experiments) one exporter sends to besides its
/// own: baggage is untrusted input, so made-up parents cannot grow the
/// cache (or the project lookups) without bound.
const MAX_ROUTES: usize = 64;

/// How long a shutdown lets queued attachment uploads finish.
const UPLOAD_SHUTDOWN: Duration = Duration::from_secs(30);
use crate::exporters::delivery::{Encoded, Outcome, Sink};

/// Talks to Braintrust's REST API.
pub(crate) struct BraintrustSink {
    client: reqwest::Client,
    api_url: String,
    /// `Bearer {key}`, marked sensitive so `Debug` never shows it.
    authorization: HeaderValue,
    parent: Parent,
    /// `{api_url}/v1/project_logs/{id}/insert` or `.../experiment/{id}/insert`,
    /// once known (a project name is resolved on first use, then cached).
    insert_url: OnceCell<String>,
    /// The insert URLs of parents named by baggage (at most [`MAX_ROUTES`]).
    routes: std::sync::Mutex<HashMap<Parent, String>>,
    /// Which of them rows may go to (none when unset).
    baggage_parents: Option<super::baggage::BaggageParents>,
    /// The attachment uploader, when conversion is on.
    attachments: Option<Arc<Uploader>>,
}

impl fmt::Debug for BraintrustSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BraintrustSink")
            .field("api_url", &self.api_url)
            .field("parent", &self.parent)
            .field("insert_url", &self.insert_url.get())
            .finish_non_exhaustive()
    }
}

impl BraintrustSink {
    pub(crate) fn new(config: &ResolvedConfig) -> Result<Self, super::BraintrustBuildError> {
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", config.api_key.expose())).map_err(
                |_| super::BraintrustBuildError::InvalidApiKey {
                    reason: "contains characters that cannot go in an HTTP header",
                },
            )?;
        authorization.set_sensitive(true);
        // Same-origin redirects only: the rows must not follow a 307 to
        // another host (reqwest strips `Authorization`, not the body).
        let client = reqwest::Client::builder()
            .redirect(crate::client::same_origin_redirects())
            .timeout(config.request_timeout)
            .user_agent(crate::net::USER_AGENT)
            .build()
            .map_err(super::BraintrustBuildError::HttpClient)?;
        let insert_url = match &config.parent {
            Parent::ProjectId(id) => OnceCell::new_with(Some(format!(
                "{}/v1/project_logs/{id}/insert",
                config.api_url
            ))),
            Parent::ExperimentId(id) => OnceCell::new_with(Some(format!(
                "{}/v1/experiment/{id}/insert",
                config.api_url
            ))),
            Parent::ProjectName(_) => OnceCell::new(),
        };
        Ok(BraintrustSink {
            client,
            api_url: config.api_url.clone(),
            authorization,
            parent: config.parent.clone(),
            insert_url,
            routes: std::sync::Mutex::default(),
            baggage_parents: config.baggage_parents.clone(),
            attachments: None,
        })
    }

    /// Rows go through `uploader` (attachment conversion) before packing.
    pub(crate) fn with_attachments(mut self, uploader: Option<Arc<Uploader>>) -> Self {
        self.attachments = uploader;
        self
    }

    /// The insert URL of a parent named by a row (from baggage).
    /// The insert URL of a baggage parent; `None` when rows go to the
    /// configured parent instead: the parent is not admitted
    /// ([`BraintrustConfig::with_baggage_parents`](super::BraintrustConfig::with_baggage_parents)),
    /// or [`MAX_ROUTES`] other parents are already routed to.
    async fn routed_url(&self, parent: &Parent) -> Result<Option<String>, Outcome> {
        if !self
            .baggage_parents
            .as_ref()
            .is_some_and(|policy| policy.admits(parent))
        {
            return Ok(None);
        }
        if let Some(url) = self.lock_routes().get(parent) {
            return Ok(Some(url.clone()));
        }
        if self.lock_routes().len() >= MAX_ROUTES {
            return Ok(None);
        }
        let url = match parent {
            Parent::ProjectId(id) => format!("{}/v1/project_logs/{id}/insert", self.api_url),
            Parent::ExperimentId(id) => format!("{}/v1/experiment/{id}/insert", self.api_url),
            Parent::ProjectName(name) => self.resolve_project_named(name).await?,
        };
        self.lock_routes().insert(parent.clone(), url.clone());
        Ok(Some(url))
    }

    fn lock_routes(&self) -> std::sync::MutexGuard<'_, HashMap<Parent, String>> {
        self.routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The insert URL, resolving a project name once (concurrent callers
    /// wait for the same resolution; a failed one is tried again later).
    async fn insert_url(&self) -> Result<&str, Outcome> {
        self.insert_url
            .get_or_try_init(|| self.resolve_project())
            .await
            .map(String::as_str)
            .map_err(|outcome| match outcome {
                Outcome::Retry {
                    reason,
                    retry_after,
                } => Outcome::Retry {
                    reason: format!("could not resolve {}: {reason}", self.parent),
                    retry_after,
                },
                Outcome::Reject { reason } => Outcome::Reject {
                    reason: format!("could not resolve {}: {reason}", self.parent),
                },
                Outcome::Delivered => Outcome::Delivered,
            })
    }

    async fn resolve_project(&self) -> Result<String, Outcome> {
        let Parent::ProjectName(name) = &self.parent else {
            // Ids were turned into URLs in `new`.
            return Err(Outcome::Reject {
                reason: "no insert URL for this parent".to_owned(),
            });
        };
        self.resolve_project_named(name).await
    }

    async fn resolve_project_named(&self, name: &str) -> Result<String, Outcome> {
        #[derive(Deserialize)]
        struct Project {
            id: String,
        }
        let invalid = |what: &str| Outcome::Reject {
            reason: what.to_owned(),
        };
        let body = serde_json::to_vec(&serde_json::json!({ "name": name }))
            .map_err(|_| invalid("could not encode the project name"))?;
        let bytes = self
            .post(&format!("{}/v1/project", self.api_url), body.into())
            .await?
            .map_err(|why| invalid(&format!("the project answer: {why}")))?;
        let project: Project = serde_json::from_slice(&bytes)
            .map_err(|_| invalid("the project answer has no `id`"))?;
        let id_ok = !project.id.is_empty()
            && project
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !id_ok {
            return Err(invalid("the project id is not a URL-safe identifier"));
        }
        Ok(format!(
            "{}/v1/project_logs/{}/insert",
            self.api_url, project.id
        ))
    }

    /// One JSON POST, one attempt; on success the answer's body (or why it
    /// could not be read: too large, cut), else how it failed (the engine
    /// decides about retrying).
    async fn post(&self, url: &str, body: Bytes) -> Result<Result<Bytes, String>, Outcome> {
        let response = self
            .client
            .post(url)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body)
            .send()
            .await
            .map_err(|e| Outcome::from_reqwest(&e))?;
        let status = response.status().as_u16();
        let retry_after = crate::net::retry_after(response.headers(), SystemTime::now());
        // Read the (small, capped) answer either way so the connection can
        // be reused.
        let bytes = crate::net::read_exporter_answer(response).await;
        let hint = match status {
            401 | 403 => "; check the API key and its access to the parent",
            404 => "; check the API URL and the parent id",
            413 => "; the batch is too large",
            _ => "",
        };
        match Outcome::from_status(status, retry_after, hint) {
            Outcome::Delivered => Ok(bytes),
            failed => Err(failed),
        }
    }
}

impl Sink for BraintrustSink {
    type Request = EncodedBatch;

    /// Maps the spans to rows (on the worker thread, off the application's),
    /// converts their attachments when that is on, and packs them into
    /// insert requests, one group per parent.
    fn encode(&self, spans: Vec<SpanData>) -> Encoded<EncodedBatch> {
        let rows: Vec<BraintrustRow> = spans
            .iter()
            .map(|span| {
                let mut row = span_to_row(span);
                if let Some(uploader) = &self.attachments {
                    convert_row(&mut row, uploader);
                }
                row
            })
            .collect();
        drop(spans);
        // One group per parent (rows routed by baggage go to theirs), in
        // order of first appearance; almost always a single group.
        let mut groups: Vec<(Option<Parent>, Vec<&BraintrustRow>)> = Vec::new();
        for row in &rows {
            match groups.iter_mut().find(|(parent, _)| *parent == row.route) {
                Some((_, group)) => group.push(row),
                None => groups.push((row.route.clone(), vec![row])),
            }
        }
        let mut out = Encoded {
            requests: Vec::new(),
            rejected: 0,
            reason: None,
        };
        for (parent, group) in groups {
            let packed = encode_batches(group, MAX_BATCH_ROWS, MAX_BATCH_BYTES);
            out.requests
                .extend(packed.batches.into_iter().map(|mut batch| {
                    batch.parent = parent.clone();
                    let rows = batch.rows;
                    (batch, rows)
                }));
            out.rejected += packed.oversized;
        }
        if out.rejected > 0 {
            out.reason = Some(format!(
                "{} row(s) larger than {} MiB even truncated",
                out.rejected,
                MAX_BATCH_BYTES / (1024 * 1024)
            ));
        }
        out
    }

    /// Rows were sent: now the uploads they refer to (within 30 s; past
    /// that the uploader gives up without holding the worker further).
    fn shutdown(&self) {
        if let Some(uploader) = &self.attachments {
            uploader.shutdown(crate::net::deadline_in(UPLOAD_SHUTDOWN));
        }
    }

    async fn send(&self, batch: &EncodedBatch) -> Outcome {
        let routed;
        let url = match &batch.parent {
            Some(parent) if *parent != self.parent => match self.routed_url(parent).await {
                Ok(Some(url)) => {
                    routed = url;
                    routed.as_str()
                }
                Ok(None) => match self.insert_url().await {
                    Ok(url) => url,
                    Err(failed) => return failed,
                },
                Err(failed) => return failed,
            },
            _ => match self.insert_url().await {
                Ok(url) => url,
                Err(failed) => return failed,
            },
        };
        match self.post(url, batch.body.clone()).await {
            Ok(_) => Outcome::Delivered,
            Err(failed) => failed,
        }
    }
}

/// One insert request body.
#[derive(Debug)]
pub(crate) struct EncodedBatch {
    pub(crate) body: Bytes,
    pub(crate) rows: usize,
    /// The parent its rows asked for (from baggage); `None`: the configured one.
    pub(crate) parent: Option<Parent>,
}

/// Rows packed into request bodies.
#[derive(Debug, Default)]
pub(crate) struct PackedRows {
    pub(crate) batches: Vec<EncodedBatch>,
    /// Rows that alone exceed the byte limit even truncated (dropped).
    pub(crate) oversized: usize,
    /// Rows truncated to fit (sent).
    pub(crate) truncated: usize,
}

const PREFIX: &[u8] = br#"{"events":["#;
const SUFFIX: &[u8] = b"]}";

/// Packs rows into `{"events":[...]}` bodies of at most `max_rows` rows and
/// `max_bytes` bytes, in order. Each row is written once (twice, plus the
/// truncation's rounds, when it alone is over the limit).
pub(crate) fn encode_batches<'a>(
    rows: impl IntoIterator<Item = &'a BraintrustRow>,
    max_rows: usize,
    max_bytes: usize,
) -> PackedRows {
    let mut out = PackedRows::default();
    let mut body: Vec<u8> = Vec::new();
    let mut in_body = 0usize;
    let mut row_json: Vec<u8> = Vec::new();
    let flush = |body: &mut Vec<u8>, in_body: &mut usize, out: &mut PackedRows| {
        if *in_body > 0 {
            body.extend_from_slice(SUFFIX);
            out.batches.push(EncodedBatch {
                body: Bytes::from(std::mem::take(body)),
                rows: *in_body,
                parent: None,
            });
            *in_body = 0;
        }
    };
    let mut rows = rows.into_iter();
    while let Some(row) = rows.next() {
        if in_body == max_rows {
            flush(&mut body, &mut in_body, &mut out);
        }
        // Written in place after the body's rows; moved to the next body
        // when it does not fit there, cut when it does not fit alone.
        let mark = body.len();
        if in_body == 0 {
            body.extend_from_slice(PREFIX);
        } else {
            body.push(b',');
        }
        let start = body.len();
        if serde_json::to_writer(&mut body, row).is_err() {
            body.truncate(mark);
            out.oversized += 1;
            continue;
        }
        let len = body.len() - start;
        if PREFIX.len() + len + SUFFIX.len() > max_bytes {
            // Too large alone: truncate its texts rather than lose the row.
            body.truncate(mark);
            let mut fitted = row.clone();
            let limit = max_bytes.saturating_sub(PREFIX.len() + SUFFIX.len());
            row_json.clear();
            if truncate::fit(&mut fitted, limit) != truncate::Fit::Truncated
                || serde_json::to_writer(&mut row_json, &fitted).is_err()
            {
                out.oversized += 1;
                continue;
            }
            out.truncated += 1;
        } else if in_body > 0 && body.len() + SUFFIX.len() > max_bytes {
            row_json.clear();
            row_json.extend_from_slice(&body[start..]);
            body.truncate(mark);
        } else {
            if in_body == 0 {
                // Room for the rows still to come if they are like this
                // one (no regrowing a body of hundreds of KiB row by row).
                let expected = (len + 1).saturating_mul(rows.size_hint().0 + 1);
                body.reserve(expected.min(max_bytes).saturating_sub(body.len()));
            }
            in_body += 1;
            continue;
        }
        // `row_json` goes into the current body, else a new one.
        if in_body > 0 && body.len() + 1 + row_json.len() + SUFFIX.len() > max_bytes {
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
}
