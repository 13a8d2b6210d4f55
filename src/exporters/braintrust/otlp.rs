//! OTLP to Braintrust: the standard OTLP/HTTP exporter, pointed at
//! Braintrust, with the row of [`mapping`](super::mapping) riding along as
//! span attributes.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::config::{BraintrustBuildError, BraintrustConfig, Parent};
use super::mapping::{braintrust_attributes, span_to_row};
use crate::telemetry::semconv;

/// Path of Braintrust's OTLP traces endpoint, after the API URL.
pub const OTLP_TRACES_PATH: &str = "/otel/v1/traces";

/// Braintrust refuses OTLP requests over 10 MB (HTTP 413); the wrapped
/// exporter refuses to send a bigger body rather than have it bounce.
pub const MAX_OTLP_REQUEST_BYTES: usize = 10_000_000;

/// Estimated encoded size above which an export is split into several
/// requests, well below [`MAX_OTLP_REQUEST_BYTES`].
pub const OTLP_SPLIT_BYTES: usize = 4 * 1024 * 1024;

/// An `opentelemetry_sdk` [`SpanExporter`] sending OTLP/HTTP (protobuf) to
/// Braintrust's `{api_url}/otel/v1/traces`, with headers
/// `Authorization: Bearer {api key}` and `x-bt-parent: {parent}`.
///
/// Each exported span also carries [`BRAINTRUST_PARENT`](semconv::BRAINTRUST_PARENT)
/// (which Braintrust prefers over the header) and the JSON attributes of
/// [`braintrust_attributes`], computed by the same mapping as the native
/// exporter so that a row looks the same whichever path it took. Attributes
/// the application already set under those keys are left alone.
///
/// Only Braintrust's copy of a span is annotated: the SDK hands every
/// exporter its own `Vec<SpanData>` (the batch and simple processors each
/// clone the finished span for their exporter), so what other exporters see
/// is untouched.
///
/// # Request size
///
/// The batch processor's `max_export_batch_size` (512 by default) bounds the
/// spans per export. Spans with recorded content can be large, so an export
/// whose estimated size passes [`OTLP_SPLIT_BYTES`] is sent as several
/// requests, and no request body over [`MAX_OTLP_REQUEST_BYTES`] is sent.
///
/// # Runtime and environment
///
/// The wrapped `opentelemetry_otlp` exporter uses the blocking `reqwest`
/// client, which needs no runtime; when `export` runs inside an async
/// runtime (`SimpleSpanProcessor` on a Tokio thread), where that client would
/// panic, the request is made from a short-lived plain thread instead. The
/// `BatchSpanProcessor` (its own thread) is the efficient choice. The endpoint, protocol and
/// timeout set here beat the `OTEL_EXPORTER_OTLP_*` variables, but
/// `opentelemetry_otlp` merges `OTEL_EXPORTER_OTLP_HEADERS` /
/// `OTEL_EXPORTER_OTLP_TRACES_HEADERS` over the headers set in code, so those
/// variables must not carry an `authorization` meant for another collector
/// when this exporter is in use.
pub struct BraintrustOtlpExporter {
    inner: opentelemetry_otlp::SpanExporter,
    parent: Parent,
    /// `parent` as the attribute value, shared by every span.
    parent_value: Arc<str>,
    endpoint: String,
}

impl BraintrustOtlpExporter {
    /// Builds the exporter. Values the config leaves unset are read from the
    /// environment (see [`BraintrustConfig`]); the retry policy maps onto
    /// `opentelemetry_otlp::RetryPolicy` and the request timeout onto its
    /// export timeout. The queue and flush settings do not apply.
    pub fn new(config: BraintrustConfig) -> Result<Self, BraintrustBuildError> {
        let config = config.resolve()?;
        let endpoint = format!("{}{OTLP_TRACES_PATH}", config.api_url);
        let parent_value: Arc<str> = config.parent.to_string().into();
        let headers = HashMap::from([
            (
                "authorization".to_owned(),
                escape_header(&format!("Bearer {}", config.api_key.expose())),
            ),
            ("x-bt-parent".to_owned(), escape_header(&parent_value)),
        ]);
        let retry = opentelemetry_otlp::RetryPolicy::recommended()
            .with_max_retries(config.retry.max_attempts().saturating_sub(1) as usize)
            .with_initial_delay(config.retry.initial_backoff())
            .with_max_delay(config.retry.max_backoff());
        let inner = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint.clone())
            .with_timeout(config.request_timeout)
            .with_headers(headers)
            .with_retry_policy(retry)
            .with_max_request_body_size(MAX_OTLP_REQUEST_BYTES)
            .build()
            .map_err(BraintrustBuildError::Otlp)?;
        Ok(BraintrustOtlpExporter {
            inner,
            parent: config.parent,
            parent_value,
            endpoint,
        })
    }

    /// The parent every span is sent to.
    pub fn parent(&self) -> &Parent {
        &self.parent
    }
}

/// `opentelemetry_otlp` percent-decodes header values set in code; escape
/// `%` so a key or project name containing one arrives unchanged.
fn escape_header(value: &str) -> String {
    value.replace('%', "%25")
}

/// Adds the Braintrust attributes to Braintrust's copy of a span.
fn annotate(span: &mut SpanData, parent: &Arc<str>) {
    let row = span_to_row(span);
    let missing =
        |span: &SpanData, key: &str| !span.attributes.iter().any(|kv| kv.key.as_str() == key);
    if missing(span, semconv::BRAINTRUST_PARENT) {
        span.attributes.push(KeyValue::new(
            semconv::BRAINTRUST_PARENT,
            Value::from(Arc::clone(parent)),
        ));
    }
    for kv in braintrust_attributes(&row) {
        if missing(span, kv.key.as_str()) {
            span.attributes.push(kv);
        }
    }
}

/// Splits a batch so that each part's estimated encoded size stays under
/// `budget` (a span bigger than that travels alone). One allocation-free
/// pass when the batch fits, which is the common case.
fn split_by_size(batch: Vec<SpanData>, budget: usize) -> Vec<Vec<SpanData>> {
    let sizes: Vec<usize> = batch.iter().map(estimated_size).collect();
    if sizes.iter().sum::<usize>() <= budget {
        return vec![batch];
    }
    let mut parts = Vec::new();
    let mut part = Vec::new();
    let mut part_size = 0;
    for (span, size) in batch.into_iter().zip(sizes) {
        if !part.is_empty() && part_size + size > budget {
            parts.push(std::mem::take(&mut part));
            part_size = 0;
        }
        part.push(span);
        part_size += size;
    }
    if !part.is_empty() {
        parts.push(part);
    }
    parts
}

/// Rough protobuf size of a span: its strings plus a small overhead per field.
fn estimated_size(span: &SpanData) -> usize {
    fn value_len(value: &Value) -> usize {
        match value {
            Value::String(s) => s.as_str().len() + 4,
            Value::Array(Array::String(items)) => {
                items.iter().map(|s| s.as_str().len() + 4).sum::<usize>() + 4
            }
            Value::Array(Array::Bool(items)) => items.len() * 3 + 4,
            Value::Array(Array::I64(items)) => items.len() * 11 + 4,
            Value::Array(Array::F64(items)) => items.len() * 10 + 4,
            _ => 11,
        }
    }
    fn attributes_len(attributes: &[KeyValue]) -> usize {
        attributes
            .iter()
            .map(|kv| kv.key.as_str().len() + value_len(&kv.value) + 6)
            .sum()
    }
    let events: usize = span
        .events
        .iter()
        .map(|e| e.name.len() + 16 + attributes_len(&e.attributes))
        .sum();
    let links: usize = span
        .links
        .iter()
        .map(|l| 48 + attributes_len(&l.attributes))
        .sum();
    96 + span.name.len() + attributes_len(&span.attributes) + events + links
}

impl fmt::Debug for BraintrustOtlpExporter {
    // Not derived: the wrapped exporter's `Debug` prints its headers, key included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BraintrustOtlpExporter")
            .field("endpoint", &self.endpoint)
            .field("parent", &self.parent)
            .finish_non_exhaustive()
    }
}

impl SpanExporter for BraintrustOtlpExporter {
    fn export(
        &self,
        mut batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        // This `Vec` is ours alone (see the type docs): annotating it in
        // place changes nothing for the other exporters.
        for span in &mut batch {
            annotate(span, &self.parent_value);
        }
        let parts = split_by_size(batch, OTLP_SPLIT_BYTES);
        async move {
            let mut result = Ok(());
            for part in parts {
                let sent = if tokio::runtime::Handle::try_current().is_ok() {
                    // Inside an async runtime (e.g. `SimpleSpanProcessor` on
                    // a Tokio thread) the blocking HTTP client panics: make
                    // this call from a plain thread instead.
                    std::thread::scope(|scope| {
                        scope
                            .spawn(|| futures::executor::block_on(self.inner.export(part)))
                            .join()
                            .unwrap_or_else(|_| {
                                Err(OTelSdkError::InternalFailure(
                                    "the OTLP export thread panicked".to_owned(),
                                ))
                            })
                    })
                } else {
                    self.inner.export(part).await
                };
                if result.is_ok() {
                    result = sent;
                }
            }
            result
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::InstrumentationScope;
    use opentelemetry::trace::{SpanContext, SpanId, SpanKind, TraceFlags, TraceId, TraceState};
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use std::time::SystemTime;

    fn span(i: u64, padding: usize) -> SpanData {
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(7u128),
                SpanId::from(i + 1),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: "work".into(),
            start_time: SystemTime::UNIX_EPOCH,
            end_time: SystemTime::UNIX_EPOCH,
            attributes: vec![KeyValue::new("padding", "x".repeat(padding))],
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Default::default(),
            instrumentation_scope: InstrumentationScope::builder("test").build(),
        }
    }

    #[test]
    fn small_batches_stay_whole_and_big_ones_split_in_order() {
        let whole = split_by_size((0..10).map(|i| span(i, 10)).collect(), 10_000);
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].len(), 10);

        let parts = split_by_size((0..10).map(|i| span(i, 1000)).collect(), 3000);
        assert!(parts.len() >= 4, "{} parts", parts.len());
        let ids: Vec<_> = parts
            .iter()
            .flatten()
            .map(|s| s.span_context.span_id())
            .collect();
        let expected: Vec<_> = (0..10).map(|i| SpanId::from(i + 1)).collect();
        assert_eq!(ids, expected);
        for part in &parts {
            let size: usize = part.iter().map(estimated_size).sum();
            assert!(size <= 3000 || part.len() == 1);
        }
    }

    #[test]
    fn annotation_adds_the_parent_and_keeps_what_the_application_set() {
        let mut s = span(0, 0);
        s.attributes.push(KeyValue::new(
            semconv::BRAINTRUST_PARENT,
            "project_name:mine",
        ));
        annotate(&mut s, &Arc::from("project_name:config"));
        let parents: Vec<_> = s
            .attributes
            .iter()
            .filter(|kv| kv.key.as_str() == semconv::BRAINTRUST_PARENT)
            .map(|kv| kv.value.to_string())
            .collect();
        assert_eq!(parents, ["project_name:mine"]);
        for key in [
            semconv::BRAINTRUST_SPAN_ATTRIBUTES,
            semconv::BRAINTRUST_METADATA,
            semconv::BRAINTRUST_METRICS,
        ] {
            assert!(
                s.attributes.iter().any(|kv| kv.key.as_str() == key),
                "{key}"
            );
        }
    }

    #[test]
    fn percent_signs_survive_the_header_decoding() {
        assert_eq!(escape_header("Bearer a%41b"), "Bearer a%2541b");
    }
}
