//! A loopback OTLP/HTTP (protobuf) receiver on Braintrust's path. It runs on
//! its own thread and stops when dropped.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use super::attachment_store::AttachmentStore;
use super::loopback::LoopbackServer;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub authorization: Option<String>,
    pub parent: Option<String>,
    pub content_type: Option<String>,
    /// Every header, in order, values decoded lossily.
    pub headers: Vec<(String, String)>,
    pub bytes: usize,
    pub request: ExportTraceServiceRequest,
}

#[derive(Default)]
struct Recorded {
    requests: Vec<Received>,
    undecodable: usize,
}

pub struct OtlpReceiver {
    pub url: String,
    /// The attachment endpoints (answering any key).
    pub attachments: AttachmentStore,
    recorded: Arc<Mutex<Recorded>>,
    _server: LoopbackServer,
}

impl OtlpReceiver {
    pub fn start() -> OtlpReceiver {
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        let app = Router::new()
            .route("/otel/v1/traces", post(receive))
            .fallback(receive)
            .with_state(Arc::clone(&recorded));
        let attachments = AttachmentStore::new(super::braintrust_stand_in::API_KEY);
        let app = attachments
            .router()
            .merge(app)
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024));
        let server = LoopbackServer::start("otlp-receiver", app);
        OtlpReceiver {
            url: server.url(),
            attachments,
            recorded,
            _server: server,
        }
    }

    pub fn requests(&self) -> Vec<Received> {
        let recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(
            recorded.undecodable, 0,
            "a request body was not OTLP protobuf"
        );
        recorded.requests.clone()
    }

    /// Every span received, across requests.
    pub fn spans(&self) -> Vec<Span> {
        self.requests()
            .into_iter()
            .flat_map(|r| r.request.resource_spans)
            .flat_map(|rs| rs.scope_spans)
            .flat_map(|ss| ss.spans)
            .collect()
    }
}

async fn receive(
    State(recorded): State<Arc<Mutex<Recorded>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let Ok(request) = ExportTraceServiceRequest::decode(body.as_ref()) else {
        recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .undecodable += 1;
        return StatusCode::BAD_REQUEST.into_response();
    };
    recorded
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .requests
        .push(Received {
            path: uri.path().to_owned(),
            authorization: text(header::AUTHORIZATION.as_str()),
            parent: text("x-bt-parent"),
            content_type: text(header::CONTENT_TYPE.as_str()),
            headers: headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            bytes: body.len(),
            request,
        });
    (
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
        .into_response()
}
