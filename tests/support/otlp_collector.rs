//! A loopback OTLP/HTTP receiver for the `setup_*` tests.
//!
//! It is a [`LoopbackServer`], so it keeps answering whatever the test does
//! with its own thread or runtime. Every request is
//! recorded before it is answered, so once an exporter's export has
//! returned (through `force_flush` or shutdown) its request is here: no
//! waiting, no sleeping.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::IntoResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use super::loopback::LoopbackServer;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request path, e.g. `/v1/traces`.
    pub path: String,
    /// The request headers.
    pub headers: HeaderMap,
    /// The raw protobuf body.
    pub body: Bytes,
}

impl Received {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// A span with the resource and scope it was exported under.
#[derive(Debug, Clone)]
pub struct CollectedSpan {
    /// The request path it came in on.
    pub path: String,
    /// Resource attributes.
    pub resource: Vec<KeyValue>,
    /// Instrumentation scope name.
    pub scope: String,
    /// The span.
    pub span: Span,
}

type Log = Arc<Mutex<Vec<Received>>>;

/// The running receiver; stopped when dropped.
#[derive(Debug)]
pub struct OtlpCollector {
    server: LoopbackServer,
    log: Log,
}

impl OtlpCollector {
    /// Binds `127.0.0.1:0` and starts serving on a new thread.
    pub fn start() -> Self {
        let log: Log = Arc::default();
        let app = Router::new().fallback(record).with_state(log.clone());
        OtlpCollector {
            server: LoopbackServer::start("otlp-collector", app),
            log,
        }
    }

    /// The base URL, `http://127.0.0.1:<port>` (no trailing slash).
    pub fn endpoint(&self) -> String {
        self.server.url()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Received> {
        self.log.lock().expect("log").clone()
    }

    /// The paths requested so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.path).collect()
    }

    /// Requests whose body decodes as a trace export.
    pub fn trace_requests(&self) -> Vec<(Received, ExportTraceServiceRequest)> {
        self.requests()
            .into_iter()
            .filter_map(|r| {
                let decoded = ExportTraceServiceRequest::decode(r.body.clone()).ok()?;
                (!decoded.resource_spans.is_empty()).then_some((r, decoded))
            })
            .collect()
    }

    /// Requests whose body decodes as a metrics export.
    pub fn metric_requests(&self) -> Vec<(Received, ExportMetricsServiceRequest)> {
        self.requests()
            .into_iter()
            .filter_map(|r| {
                let decoded = ExportMetricsServiceRequest::decode(r.body.clone()).ok()?;
                (!decoded.resource_metrics.is_empty()).then_some((r, decoded))
            })
            .collect()
    }

    /// Every span received, with its resource and scope.
    pub fn spans(&self) -> Vec<CollectedSpan> {
        let mut out = Vec::new();
        for (received, request) in self.trace_requests() {
            for rs in request.resource_spans {
                let resource = rs.resource.map(|r| r.attributes).unwrap_or_default();
                for ss in rs.scope_spans {
                    let scope = ss.scope.map(|s| s.name).unwrap_or_default();
                    for span in ss.spans {
                        out.push(CollectedSpan {
                            path: received.path.clone(),
                            resource: resource.clone(),
                            scope: scope.clone(),
                            span,
                        });
                    }
                }
            }
        }
        out
    }

    /// The span named `name`; panics with the names received when absent.
    pub fn span(&self, name: &str) -> CollectedSpan {
        let spans = self.spans();
        let names: Vec<_> = spans.iter().map(|s| s.span.name.clone()).collect();
        spans
            .into_iter()
            .find(|s| s.span.name == name)
            .unwrap_or_else(|| panic!("no span named {name:?}; received {names:?}"))
    }

    /// Names of every metric received, with the resource they came under.
    pub fn metrics(&self) -> Vec<(Vec<KeyValue>, String)> {
        let mut out = Vec::new();
        for (_, request) in self.metric_requests() {
            for rm in request.resource_metrics {
                let resource = rm.resource.map(|r| r.attributes).unwrap_or_default();
                for sm in rm.scope_metrics {
                    for metric in sm.metrics {
                        out.push((resource.clone(), metric.name));
                    }
                }
            }
        }
        out
    }
}

async fn record(
    State(log): State<Log>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    log.lock().expect("log").push(Received {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    // An empty Export*ServiceResponse is zero bytes of protobuf.
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        Bytes::new(),
    )
}

/// A string attribute's value.
pub fn attr(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value {
            Some(AnyValue {
                value: Some(any_value::Value::StringValue(ref s)),
            }) => Some(s.clone()),
            _ => None,
        })
}

/// Lowercase hex, as trace and span ids are usually shown.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
