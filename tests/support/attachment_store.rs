//! Braintrust's attachment endpoints on loopback, mounted into the REST
//! stand-in and the OTLP receiver: `POST /api/apikey/login` (the org id),
//! `POST /attachment` (a "signed URL" back to this server), `PUT` on that
//! URL (the bytes), `POST /attachment/status`. Failures can be scripted.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use serde_json::{Value, json};

/// The organization the stand-in's key belongs to.
pub const ORG_ID: &str = "00000000-0000-4000-8000-0000000000aa";
/// A header the signed-URL answer asks the upload to carry.
pub const UPLOAD_HEADER: &str = "x-stand-in-upload";

/// One object uploaded to the "signed URL".
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub content_type: Option<String>,
    /// The header the signed-URL answer asked for arrived.
    pub asked_header: bool,
    pub authorization: Option<String>,
    pub bytes: Bytes,
}

#[derive(Default)]
struct Log {
    logins: usize,
    /// `/attachment` request bodies.
    requests: Vec<Value>,
    stored: Vec<Stored>,
    statuses: Vec<Value>,
    /// Statuses for the next `/attachment` answers.
    attachment_script: VecDeque<u16>,
    unauthorized: usize,
}

/// The endpoints' state; clones share it.
#[derive(Clone, Default)]
pub struct AttachmentStore {
    log: Arc<Mutex<Log>>,
    api_key: Arc<str>,
}

impl AttachmentStore {
    pub fn new(api_key: &str) -> Self {
        AttachmentStore {
            log: Arc::default(),
            api_key: api_key.into(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The routes, ready to merge into a server's router.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/apikey/login", post(login))
            .route("/attachment", post(attachment))
            .route("/attachment/status", post(status))
            .route("/signed-upload/{key}", put(upload))
            .with_state(self.clone())
    }

    /// The next `/attachment` requests answer these statuses, in order.
    pub fn fail_attachment_requests(&self, statuses: impl IntoIterator<Item = u16>) {
        self.lock().attachment_script.extend(statuses);
    }

    pub fn logins(&self) -> usize {
        self.lock().logins
    }

    pub fn requests(&self) -> Vec<Value> {
        self.lock().requests.clone()
    }

    pub fn stored(&self) -> Vec<Stored> {
        self.lock().stored.clone()
    }

    pub fn statuses(&self) -> Vec<Value> {
        self.lock().statuses.clone()
    }

    pub fn unauthorized(&self) -> usize {
        self.lock().unauthorized
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let ok = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {}", self.api_key));
        if !ok {
            self.lock().unauthorized += 1;
        }
        ok
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

async fn login(State(store): State<AttachmentStore>, headers: HeaderMap) -> Response {
    if !store.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    store.lock().logins += 1;
    axum::Json(json!({"org_info": [{"id": ORG_ID, "name": "stand-in org"}]})).into_response()
}

async fn attachment(
    State(store): State<AttachmentStore>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !store.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let scripted = {
        let mut log = store.lock();
        log.requests.push(request.clone());
        log.attachment_script.pop_front()
    };
    if let Some(status) = scripted {
        return error(StatusCode::from_u16(status).expect("status"), "scripted");
    }
    let complete = ["key", "filename", "content_type"]
        .iter()
        .all(|k| request[k].as_str().is_some_and(|v| !v.is_empty()));
    if !complete || request["org_id"] != ORG_ID {
        return error(
            StatusCode::BAD_REQUEST,
            "key, filename, content_type and org_id required",
        );
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let key = request["key"].as_str().unwrap_or_default();
    axum::Json(json!({
        "signedUrl": format!("http://{host}/signed-upload/{key}?signature=opaque"),
        "headers": {UPLOAD_HEADER: "1"},
    }))
    .into_response()
}

async fn upload(
    State(store): State<AttachmentStore>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    store.lock().stored.push(Stored {
        key,
        content_type: text(header::CONTENT_TYPE),
        asked_header: headers.get(UPLOAD_HEADER).is_some(),
        authorization: text(header::AUTHORIZATION),
        bytes: body,
    });
    StatusCode::CREATED.into_response()
}

async fn status(State(store): State<AttachmentStore>, headers: HeaderMap, body: Bytes) -> Response {
    if !store.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    store.lock().statuses.push(request);
    axum::Json(json!({})).into_response()
}
