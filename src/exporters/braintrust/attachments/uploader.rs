//! The background attachment uploader: one plain thread (named
//! `braintrust-attachments`), a bounded queue, Braintrust's three-step
//! upload.
//!
//! # The upload
//!
//! 1. `POST {api_url}/api/apikey/login` (once; the first organization's id
//!    is kept for the uploader's life, and only this thread asks, so it is
//!    single-flight);
//! 2. `POST {api_url}/attachment` `{"key","filename","content_type","org_id"}`
//!    → `{"signedUrl","headers"}`;
//! 3. `PUT {signedUrl}` with the bytes, `Content-Type`, the headers of step 2
//!    and, for Azure Blob Storage hosts (`*.blob.core.windows.net`),
//!    `x-ms-blob-type: BlockBlob`;
//! 4. `POST {api_url}/attachment/status` `{"key","org_id","status":{"upload_status":"done"}}`
//!    (or `"error"` with an `error_message` when step 2 or 3 failed).
//!
//! Each request is retried as the delivery engine retries a batch (network
//! failures, timeouts, 408, 429 and 5xx; `Retry-After` honoured) per the
//! exporter's [`RetryPolicy`]; the waits end early when a shutdown gives up.
//!
//! # Limits and failures
//!
//! At most [`UploaderConfig::max_jobs`] uploads and
//! [`UploaderConfig::max_bytes`] bytes wait; a row whose uploads do not all
//! fit is sent inline (see [`convert_row`](super::convert_row)). The first
//! failed upload shuts the uploader off for new rows, with one warning
//! through `tracing` (target `azure-ai-inference-otel`, name
//! `BraintrustExporter.AttachmentsOff`): later rows go inline. Uploads
//! already queued are still tried. The thread runs with OpenTelemetry
//! telemetry suppressed, and a panic in an upload counts as a failure.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderName, HeaderValue};
use serde_json::{Value as Json, json};

use crate::exporters::braintrust::config::{ApiKey, RetryPolicy};
use crate::exporters::delivery::Outcome;

/// `target` of the uploader's log line.
const LOG_TARGET: &str = env!("CARGO_PKG_NAME");

/// One attachment to upload.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub(crate) key: String,
    pub(crate) content_type: String,
    pub(crate) filename: String,
    pub(crate) data: Bytes,
}

/// Settings of an [`Uploader`].
#[derive(Debug, Clone)]
pub(crate) struct UploaderConfig {
    /// Without a trailing slash.
    pub(crate) api_url: String,
    pub(crate) api_key: ApiKey,
    pub(crate) retry: RetryPolicy,
    pub(crate) request_timeout: Duration,
    /// Most uploads waiting.
    pub(crate) max_jobs: usize,
    /// Most bytes waiting.
    pub(crate) max_bytes: usize,
}

impl UploaderConfig {
    /// Default bounds: 256 uploads, 256 MiB.
    pub(crate) fn new(
        api_url: String,
        api_key: ApiKey,
        retry: RetryPolicy,
        request_timeout: Duration,
    ) -> Self {
        UploaderConfig {
            api_url,
            api_key,
            retry,
            request_timeout,
            max_jobs: 256,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}

#[derive(Default)]
pub(super) struct State {
    pub(super) queue: VecDeque<Upload>,
    queued_bytes: usize,
    in_flight: usize,
    /// An upload failed: no new rows are converted.
    pub(super) failed: bool,
    /// Shut down: no new uploads; the worker exits once the queue is empty.
    closed: bool,
    /// A shutdown gave up waiting: no more retries, the queue is dropped.
    abandoned: bool,
    /// The worker thread has exited.
    finished: bool,
    max_jobs: usize,
    max_bytes: usize,
    /// Uploads finished and failed (for `Debug`).
    uploaded: u64,
    failures: u64,
}

#[derive(Default)]
pub(super) struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `done` holds or `deadline` passes; returns whether it holds.
    fn wait_until(&self, deadline: Instant, done: impl Fn(&State) -> bool) -> bool {
        let mut state = self.lock();
        loop {
            if done(&state) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// A retry wait that a giving-up shutdown cuts short; `false` when cut.
    fn sleep(&self, delay: Duration) -> bool {
        let deadline = crate::net::deadline_in(delay);
        !self.wait_until(deadline, |s| s.abandoned)
    }
}

/// The background uploader (see the module docs).
pub(crate) struct Uploader {
    pub(super) shared: Arc<Shared>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("Uploader")
            .field("queued", &state.queue.len())
            .field("failed", &state.failed)
            .field("uploaded", &state.uploaded)
            .field("failures", &state.failures)
            .finish_non_exhaustive()
    }
}

impl Uploader {
    /// Starts the worker thread.
    pub(crate) fn start(config: UploaderConfig) -> std::io::Result<Self> {
        let uploader = Self::idle(config.max_jobs, config.max_bytes);
        let shared = Arc::clone(&uploader.shared);
        let handle = std::thread::Builder::new()
            .name("braintrust-attachments".to_owned())
            .spawn(move || run(shared, config))?;
        *uploader
            .worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(handle);
        Ok(uploader)
    }

    /// An uploader without a worker (its queue only), for tests.
    pub(crate) fn idle(max_jobs: usize, max_bytes: usize) -> Self {
        let shared = Arc::new(Shared::default());
        {
            let mut state = shared.lock();
            state.max_jobs = max_jobs;
            state.max_bytes = max_bytes;
        }
        Uploader {
            shared,
            worker: Mutex::new(None),
        }
    }

    /// Queues all of `uploads`, or none: `false` when the queue cannot take
    /// them all or the uploader is off.
    pub(crate) fn enqueue_all(&self, uploads: Vec<Upload>) -> bool {
        let bytes: usize = uploads.iter().map(|u| u.data.len()).sum();
        let mut state = self.shared.lock();
        if state.failed
            || state.closed
            || state.queue.len() + uploads.len() > state.max_jobs
            || state.queued_bytes + bytes > state.max_bytes
        {
            return false;
        }
        state.queued_bytes += bytes;
        state.queue.extend(uploads);
        drop(state);
        self.shared.changed.notify_all();
        true
    }

    /// Waits until every upload queued before the call has finished, or
    /// `deadline` passes; returns whether they have.
    pub(crate) fn flush(&self, deadline: Instant) -> bool {
        self.shared.wait_until(deadline, |s| {
            (s.queue.is_empty() && s.in_flight == 0) || s.finished
        })
    }

    /// Stops taking uploads, lets the worker finish the queue until
    /// `deadline`, then gives up (retry waits end, the rest of the queue is
    /// dropped) without waiting further. Idempotent.
    pub(crate) fn shutdown(&self, deadline: Instant) -> bool {
        {
            let mut state = self.shared.lock();
            state.closed = true;
        }
        self.shared.changed.notify_all();
        let finished = self.shared.wait_until(deadline, |s| s.finished);
        if !finished {
            self.shared.lock().abandoned = true;
            self.shared.changed.notify_all();
            return false;
        }
        let handle = self
            .worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
        true
    }
}

impl Drop for Uploader {
    /// Dropped without a shutdown (its exporter dropped): no new uploads;
    /// the worker finishes the queue in the background and exits.
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
    }
}

/// Marks the worker finished when its thread ends, normally or not.
struct FinishOnExit(Arc<Shared>);

impl Drop for FinishOnExit {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.finished = true;
        state.in_flight = 0;
        drop(state);
        self.0.changed.notify_all();
    }
}

fn run(shared: Arc<Shared>, config: UploaderConfig) {
    let _finished = FinishOnExit(Arc::clone(&shared));
    let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
    // Same-origin redirects only, per request: an attachment (content)
    // must not follow a 307 from the signed URL's host to another one.
    let client = reqwest::blocking::Client::builder()
        .redirect(crate::client::same_origin_redirects())
        .connect_timeout(config.request_timeout)
        .timeout(config.request_timeout)
        .user_agent(crate::net::USER_AGENT)
        .build();
    let mut pipeline = client.ok().map(|client| Pipeline {
        client,
        config: &config,
        shared: &shared,
        org_id: None,
    });
    loop {
        let upload = {
            let mut state = shared.lock();
            loop {
                if state.abandoned {
                    state.queue.clear();
                    state.queued_bytes = 0;
                }
                if let Some(upload) = state.queue.pop_front() {
                    state.queued_bytes -= upload.data.len();
                    state.in_flight += 1;
                    break upload;
                }
                if state.closed {
                    return;
                }
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let result = match pipeline.as_mut() {
            Some(pipeline) => {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pipeline.upload(&upload)))
                    .unwrap_or_else(|_| Err("the upload panicked".to_owned()))
            }
            None => Err("the HTTP client could not be built".to_owned()),
        };
        let mut state = shared.lock();
        state.in_flight -= 1;
        match result {
            Ok(()) => state.uploaded += 1,
            Err(reason) => {
                state.failures += 1;
                if !state.failed {
                    state.failed = true;
                    tracing::warn!(
                        name: "BraintrustExporter.AttachmentsOff",
                        target: LOG_TARGET,
                        reason = reason.as_str(),
                        "Braintrust attachment upload failed ({reason}); later rows keep their media inline"
                    );
                }
            }
        }
        drop(state);
        shared.changed.notify_all();
    }
}

struct Pipeline<'a> {
    client: reqwest::blocking::Client,
    config: &'a UploaderConfig,
    shared: &'a Shared,
    org_id: Option<String>,
}

/// The largest answer of the attachment API (or of the store) read: they
/// are small JSON objects; a larger one is a failure, not a memory spike.
const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// The answer's body, at most [`MAX_ANSWER_BYTES`].
fn read_answer(response: reqwest::blocking::Response, what: &str) -> Result<Bytes, Failure> {
    use std::io::Read;
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES)
    {
        return Err(format!(
            "{what}: the answer is over {MAX_ANSWER_BYTES} bytes"
        ));
    }
    let mut body = Vec::new();
    response
        .take(MAX_ANSWER_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|_| format!("{what}: the answer could not be read"))?;
    if body.len() as u64 > MAX_ANSWER_BYTES {
        return Err(format!(
            "{what}: the answer is over {MAX_ANSWER_BYTES} bytes"
        ));
    }
    Ok(Bytes::from(body))
}

/// One step that failed, described without URLs or keys.
type Failure = String;

impl Pipeline<'_> {
    fn upload(&mut self, upload: &Upload) -> Result<(), Failure> {
        let org_id = self.org_id()?;
        let result = self.transfer(upload, &org_id);
        let status = match &result {
            Ok(()) => json!({"upload_status": "done"}),
            Err(reason) => json!({"upload_status": "error", "error_message": reason}),
        };
        let report = self.post_json(
            "/attachment/status",
            &json!({"key": upload.key, "org_id": org_id, "status": status}),
        );
        result.and(report.map(|_| ()))
    }

    fn org_id(&mut self) -> Result<String, Failure> {
        if let Some(id) = &self.org_id {
            return Ok(id.clone());
        }
        let answer = self.post_json("/api/apikey/login", &json!({}))?;
        let id = answer["org_info"][0]["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| "login: the answer names no organization".to_owned())?
            .to_owned();
        self.org_id = Some(id.clone());
        Ok(id)
    }

    fn transfer(&self, upload: &Upload, org_id: &str) -> Result<(), Failure> {
        let answer = self.post_json(
            "/attachment",
            &json!({
                "key": upload.key,
                "filename": upload.filename,
                "content_type": upload.content_type,
                "org_id": org_id,
            }),
        )?;
        let signed = answer["signedUrl"]
            .as_str()
            .ok_or_else(|| "attachment: the answer has no signedUrl".to_owned())?;
        let url = url::Url::parse(signed)
            .map_err(|_| "attachment: the signedUrl is not a URL".to_owned())?;
        // The attachment (content) crosses the network: https only, but to
        // a loopback test store.
        if url.scheme() != "https" && !(url.scheme() == "http" && crate::net::is_loopback(&url)) {
            return Err(format!(
                "attachment: the signedUrl is not https ({}:), not uploaded",
                url.scheme()
            ));
        }
        let mut headers = http::HeaderMap::new();
        if let Some(extra) = answer["headers"].as_object() {
            for (name, value) in extra {
                if let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    value.as_str().map(HeaderValue::from_str),
                ) {
                    headers.insert(name, value);
                }
            }
        }
        if let Ok(content_type) = HeaderValue::from_str(&upload.content_type) {
            headers.insert(CONTENT_TYPE, content_type);
        }
        if url
            .host_str()
            .is_some_and(|h| h.ends_with(".blob.core.windows.net"))
        {
            headers.insert(
                HeaderName::from_static("x-ms-blob-type"),
                HeaderValue::from_static("BlockBlob"),
            );
        }
        self.send("PUT to the signed URL", || {
            self.client
                .put(url.clone())
                .headers(headers.clone())
                .body(upload.data.clone())
        })
        .map(|_| ())
    }

    fn post_json(&self, path: &str, body: &Json) -> Result<Json, Failure> {
        let url = format!("{}{path}", self.config.api_url);
        let body = serde_json::to_vec(body).map_err(|_| format!("{path}: body not encodable"))?;
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", self.config.api_key.expose()))
                .map_err(|_| "the API key cannot go in a header".to_owned())?;
        authorization.set_sensitive(true);
        let bytes = self.send(path, || {
            self.client
                .post(&url)
                .header(AUTHORIZATION, authorization.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone())
        })?;
        if bytes.is_empty() {
            return Ok(Json::Null);
        }
        serde_json::from_slice(&bytes).map_err(|_| format!("{path}: the answer is not JSON"))
    }

    /// One request, retried as the delivery engine retries: the same
    /// classification ([`Outcome`]: connection failures, timeouts, 408,
    /// 429 and 5xx are retried), `Retry-After`, backoff and time budget
    /// ([`RetryPolicy`]); the waits end early when a shutdown gives up.
    fn send(
        &self,
        what: &str,
        request: impl Fn() -> reqwest::blocking::RequestBuilder,
    ) -> Result<Bytes, Failure> {
        let retry = &self.config.retry;
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let failed = match request().send() {
                Ok(response) if response.status().is_success() => {
                    return read_answer(response, what);
                }
                Ok(response) => {
                    let retry_after =
                        crate::net::retry_after(response.headers(), SystemTime::now());
                    Outcome::from_status(response.status().as_u16(), retry_after, "")
                }
                Err(error) => Outcome::from_reqwest(&error),
            };
            let (reason, retry_after) = match failed {
                Outcome::Retry {
                    reason,
                    retry_after,
                } => (reason, retry_after),
                Outcome::Reject { reason } => return Err(format!("{what}: {reason}")),
                Outcome::Delivered => return Err(format!("{what}: an unexpected answer")),
            };
            let delay = retry.delay(attempt, retry_after);
            if retry.gives_up(attempt, started.elapsed(), delay) || !self.shared.sleep(delay) {
                return Err(format!("{what}: {reason} after {attempt} attempts"));
            }
        }
    }
}
