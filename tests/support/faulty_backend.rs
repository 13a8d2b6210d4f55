//! A loopback backend that speaks both Braintrust's REST API (project
//! resolution, log inserts) and OTLP/HTTP (`/v1/traces`,
//! `/otel/v1/traces`), and misbehaves on purpose: a seeded share of
//! answers are 500, 502, 503, 504 or 429 with `Retry-After`, answers can
//! be late, and the port can refuse connections for a while before the
//! server binds it. It records the id of every row or span it accepted
//! (answered 200), so tests compare sets of ids. Stops when dropped.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message as _;
use serde_json::{Value, json};

/// How the backend misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Share of data requests answered with a transient error (0.0 to 1.0).
    pub rate: f64,
    /// Seed of the fault choices, so a run can be repeated.
    pub seed: u64,
    /// `Retry-After` of the 429 answers, seconds.
    pub retry_after_secs: u64,
    /// Every answer waits this long.
    pub delay: Duration,
    /// The port refuses connections this long after `start`.
    pub refuse_for: Duration,
}

impl Faults {
    /// 30 % transient faults (seeded), 429s asking for 1 s.
    pub fn transient(seed: u64) -> Self {
        Faults {
            rate: 0.3,
            seed,
            retry_after_secs: 1,
            ..Faults::default()
        }
    }
}

#[derive(Default)]
struct Recorded {
    /// Row `span_id`s (Braintrust) or span ids in hex (OTLP), as accepted.
    ids: Vec<String>,
    /// Answers given, by status.
    statuses: Vec<u16>,
}

struct Shared {
    faults: Faults,
    rng: Mutex<fastrand::Rng>,
    recorded: Mutex<Recorded>,
}

/// The running backend.
pub struct FaultyBackend {
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultyBackend {
    pub fn start(faults: Faults) -> FaultyBackend {
        // Pick a free port now; bind it for real after the refusal window.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let shared = Arc::new(Shared {
            rng: Mutex::new(fastrand::Rng::with_seed(faults.seed)),
            faults,
            recorded: Mutex::default(),
        });
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let refuse_for = shared.faults.refuse_for;
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let _ = ready_tx.send(());
                tokio::time::sleep(refuse_for).await;
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .expect("bind the chosen port");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        ready_rx.recv().expect("backend thread started");
        FaultyBackend {
            url: format!("http://127.0.0.1:{port}"),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Ids accepted so far, each once (and whether any came twice).
    pub fn ids(&self) -> (HashSet<String>, usize) {
        let recorded = self
            .shared
            .recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let set: HashSet<String> = recorded.ids.iter().cloned().collect();
        let duplicates = recorded.ids.len() - set.len();
        (set, duplicates)
    }

    /// How many answers had each status.
    pub fn status_count(&self, status: u16) -> usize {
        let recorded = self
            .shared
            .recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        recorded.statuses.iter().filter(|s| **s == status).count()
    }
}

impl Drop for FaultyBackend {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

const FAULTS: [u16; 5] = [500, 502, 503, 504, 429];

async fn handle(State(shared): State<Arc<Shared>>, uri: Uri, body: Bytes) -> Response {
    let faults = &shared.faults;
    if !faults.delay.is_zero() {
        tokio::time::sleep(faults.delay).await;
    }
    let path = uri.path();
    if path.ends_with("/v1/metrics") {
        // Metrics are not what this backend tests: always taken.
        return axum::Json(json!({})).into_response();
    }
    if path == "/v1/project" {
        return axum::Json(json!({ "id": "00000000-0000-4000-8000-000000000001" })).into_response();
    }
    let fault = {
        let mut rng = shared.rng.lock().unwrap_or_else(|e| e.into_inner());
        (rng.f64() < faults.rate).then(|| FAULTS[rng.usize(..FAULTS.len())])
    };
    if let Some(status) = fault {
        shared
            .recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .statuses
            .push(status);
        let mut response = StatusCode::from_u16(status)
            .expect("status")
            .into_response();
        if status == 429 {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                faults.retry_after_secs.to_string().parse().expect("header"),
            );
        }
        return response;
    }
    let ids: Vec<String> = if path.ends_with("/v1/traces") {
        let Ok(request) = ExportTraceServiceRequest::decode(body) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|span| span.span_id.iter().map(|b| format!("{b:02x}")).collect())
            .collect()
    } else if path.ends_with("/insert") {
        let Ok(request) = serde_json::from_slice::<Value>(&body) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        request["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|row| row["span_id"].as_str().map(str::to_owned))
            .collect()
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut recorded = shared.recorded.lock().unwrap_or_else(|e| e.into_inner());
    recorded.statuses.push(200);
    recorded.ids.extend(ids);
    axum::Json(json!({})).into_response()
}
