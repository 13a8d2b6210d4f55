//! A loopback stand-in for Braintrust's REST API: project resolution and
//! log inserts, checking the key and validating every row against the
//! published schema. It runs on its own thread and stops when dropped.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use azure_ai_inference_otel::exporters::braintrust::{BraintrustConfig, Parent, RetryPolicy};
use serde_json::{Value, json};

use super::attachment_store::AttachmentStore;
use super::loopback::LoopbackServer;
use super::schema::{request_schema, row_schema};

/// The key the stand-in accepts.
pub const API_KEY: &str = "sk-stand-in-0123456789";
/// The project name tests log to.
pub const PROJECT_NAME: &str = "stand-in project";

/// The id the stand-in gives a project name (stable).
pub fn project_id_for(name: &str) -> String {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    format!("00000000-0000-4000-8000-{:012x}", hash & 0xffff_ffff_ffff)
}

/// A scripted answer to the next insert attempt.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            retry_after: None,
        }
    }

    pub fn retry_after(status: u16, after: &str) -> Self {
        Reply {
            status,
            retry_after: Some(after.to_owned()),
        }
    }
}

/// One insert request as received.
#[derive(Debug, Clone)]
pub struct InsertAttempt {
    /// `project_logs` or `experiment`.
    pub object_type: String,
    pub object_id: String,
    pub status: u16,
    pub rows: usize,
    pub bytes: usize,
}

#[derive(Default)]
struct Recorded {
    project_names: Vec<String>,
    inserts: Vec<InsertAttempt>,
    rows: Vec<Value>,
    unauthorized: usize,
    unexpected_paths: Vec<String>,
    schema_errors: Vec<String>,
    /// Insert requests that arrived (counted before any hold).
    arrived: usize,
    /// Every request body received, on any route, as sent.
    bodies: Vec<Bytes>,
    script: VecDeque<Reply>,
}

struct Shared {
    recorded: Mutex<Recorded>,
    changed: Condvar,
    held: AtomicBool,
    gate: tokio::sync::Semaphore,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Recorded> {
        self.recorded.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut Recorded)) {
        f(&mut self.lock());
        self.changed.notify_all();
    }
}

/// The running stand-in.
pub struct StandIn {
    pub url: String,
    /// The attachment endpoints.
    pub attachments: AttachmentStore,
    shared: Arc<Shared>,
    _server: LoopbackServer,
}

impl StandIn {
    pub fn start() -> StandIn {
        let shared = Arc::new(Shared {
            recorded: Mutex::default(),
            changed: Condvar::new(),
            held: AtomicBool::new(false),
            gate: tokio::sync::Semaphore::new(0),
        });
        let app = Router::new()
            .route("/v1/project", post(create_project))
            .route("/v1/project_logs/{id}/insert", post(insert_project_logs))
            .route("/v1/experiment/{id}/insert", post(insert_experiment))
            .fallback(unexpected)
            .with_state(Arc::clone(&shared));
        let attachments = AttachmentStore::new(API_KEY);
        let app = attachments
            .router()
            .merge(app)
            .layer(DefaultBodyLimit::max(32 * 1024 * 1024));
        // Two workers: a held insert must not keep others from answering.
        let server = LoopbackServer::start_multi_thread("braintrust-stand-in", app, 2);
        StandIn {
            url: server.url(),
            attachments,
            shared,
            _server: server,
        }
    }

    /// A config pointing here, logging to [`PROJECT_NAME`], with fast retries.
    pub fn config(&self) -> BraintrustConfig {
        BraintrustConfig::new()
            .with_api_key(API_KEY)
            .with_api_url(&self.url)
            .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned()))
            .with_retry_policy(fast_retries())
            .with_request_timeout(Duration::from_secs(10))
            .with_flush_timeout(Duration::from_secs(10))
    }

    /// Answers for the next insert attempts, in order (then 200s).
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.update(|r| r.script.extend(replies));
    }

    /// Insert requests wait until [`release`](Self::release).
    pub fn hold(&self) {
        self.shared.held.store(true, Ordering::SeqCst);
    }

    pub fn release(&self) {
        self.shared.held.store(false, Ordering::SeqCst);
        self.shared.gate.add_permits(1 << 20);
    }

    /// Waits (up to 10 s) until `n` insert requests have arrived.
    pub fn wait_for_arrivals(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut recorded = self.shared.lock();
        while recorded.arrived < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "only {} of {n} requests arrived",
                recorded.arrived
            );
            recorded = self
                .shared
                .changed
                .wait_timeout(recorded, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Rows accepted so far.
    pub fn rows(&self) -> Vec<Value> {
        self.shared.lock().rows.clone()
    }

    pub fn inserts(&self) -> Vec<InsertAttempt> {
        self.shared.lock().inserts.clone()
    }

    pub fn project_names(&self) -> Vec<String> {
        self.shared.lock().project_names.clone()
    }

    pub fn unauthorized(&self) -> usize {
        self.shared.lock().unauthorized
    }

    /// Every request body received so far, on any route, byte for byte
    /// (for "this text never left the process" checks).
    pub fn raw_bodies(&self) -> Vec<Bytes> {
        self.shared.lock().bodies.clone()
    }

    /// Everything that should never happen: schema violations, unknown paths.
    pub fn assert_clean(&self) {
        let r = self.shared.lock();
        assert!(
            r.schema_errors.is_empty(),
            "schema errors: {:#?}",
            r.schema_errors
        );
        assert!(
            r.unexpected_paths.is_empty(),
            "unexpected requests: {:?}",
            r.unexpected_paths
        );
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        // Before the server stops (fields drop after this): a held insert
        // would otherwise keep the graceful shutdown waiting.
        self.release();
    }
}

/// Small delays so retry tests run fast; attempts are what tests count.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(3)
        .with_initial_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(5))
        .with_max_elapsed(Duration::from_secs(5))
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {API_KEY}"));
    if !ok {
        shared.update(|r| r.unauthorized += 1);
    }
    ok
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

async fn create_project(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.update(|r| r.bodies.push(body.clone()));
    if !authorized(&shared, &headers) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "not JSON");
    };
    let Some(name) = request["name"].as_str().filter(|n| !n.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "name required");
    };
    shared.update(|r| r.project_names.push(name.to_owned()));
    axum::Json(json!({
        "id": project_id_for(name),
        "org_id": "00000000-0000-4000-8000-00000000000a",
        "name": name,
    }))
    .into_response()
}

async fn insert_project_logs(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    insert(shared, "project_logs", id, headers, body).await
}

async fn insert_experiment(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    insert(shared, "experiment", id, headers, body).await
}

async fn insert(
    shared: Arc<Shared>,
    object_type: &str,
    object_id: String,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.update(|r| {
        r.arrived += 1;
        r.bodies.push(body.clone());
    });
    if shared.held.load(Ordering::SeqCst) {
        let _ = shared.gate.acquire().await;
    }
    if !authorized(&shared, &headers) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let events = request["events"].as_array().cloned().unwrap_or_default();
    let mut attempt = InsertAttempt {
        object_type: object_type.to_owned(),
        object_id,
        status: 200,
        rows: events.len(),
        bytes: body.len(),
    };

    let scripted = shared.lock().script.pop_front();
    if let Some(reply) = scripted {
        attempt.status = reply.status;
        shared.update(|r| r.inserts.push(attempt));
        let status = StatusCode::from_u16(reply.status).expect("status");
        let mut response = error(status, "scripted");
        if let Some(after) = reply.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, after.parse().expect("header"));
        }
        return response;
    }

    let mut errors = request_schema().errors(&request);
    for (i, event) in events.iter().enumerate() {
        errors.extend(
            row_schema()
                .errors(event)
                .into_iter()
                .map(|e| format!("row {i}: {e}")),
        );
    }
    if !errors.is_empty() {
        attempt.status = 400;
        shared.update(|r| {
            r.inserts.push(attempt);
            r.schema_errors.extend(errors);
        });
        return error(StatusCode::BAD_REQUEST, "schema violation");
    }
    let row_ids: Vec<Value> = events.iter().map(|e| e["id"].clone()).collect();
    shared.update(|r| {
        r.inserts.push(attempt);
        r.rows.extend(events);
    });
    axum::Json(json!({ "row_ids": row_ids })).into_response()
}

async fn unexpected(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    body: Bytes,
) -> Response {
    shared.update(|r| {
        r.unexpected_paths.push(uri.to_string());
        r.bodies.push(body);
    });
    error(StatusCode::NOT_FOUND, "no such route")
}
