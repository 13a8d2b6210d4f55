//! OTLP to Braintrust: the standard OTLP/HTTP exporter, pointed at
//! Braintrust, with the row of [`span_to_row`] riding along as
//! span attributes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::attachments::{Uploader, convert_row};
use super::config::{BraintrustBuildError, BraintrustConfig, Parent};
use super::filter::SpanFilter;
use super::mapping::{BraintrustRow, span_to_row};
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
/// The wrapped `opentelemetry_otlp` exporter sends through a blocking
/// `reqwest` client, which needs no runtime; when `export` runs inside an
/// async runtime (`SimpleSpanProcessor` on a Tokio thread), where that client
/// would panic, the request is made from a short-lived plain thread instead.
/// The `BatchSpanProcessor` (its own thread) is the efficient choice.
///
/// The endpoint, protocol and timeout set here beat the `OTEL_EXPORTER_OTLP_*`
/// variables, and so do the headers: every request carries exactly
/// `Authorization`, `x-bt-parent`, `Content-Type`, `User-Agent` and, when the
/// body is compressed, `Content-Encoding`. Headers from
/// `OTEL_EXPORTER_OTLP_HEADERS` / `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, meant
/// for a collector and possibly holding its credential, never reach
/// Braintrust.
pub struct BraintrustOtlpExporter {
    inner: opentelemetry_otlp::SpanExporter,
    parent: Parent,
    /// `parent` as the attribute value, shared by every span.
    parent_value: Arc<str>,
    endpoint: String,
    filter: SpanFilter,
    /// `None` when attachment conversion is off.
    attachments: Option<Uploader>,
}

impl BraintrustOtlpExporter {
    /// Builds the exporter. Values the config leaves unset are read from the
    /// environment (see [`BraintrustConfig`]); the retry policy maps onto
    /// `opentelemetry_otlp::RetryPolicy` and the request timeout onto its
    /// export timeout. The queue and flush settings do not apply.
    pub fn new(config: BraintrustConfig) -> Result<Self, BraintrustBuildError> {
        let config = config.resolve()?;
        let attachments = super::exporter::start_uploader(&config)?;
        let endpoint = format!("{}{OTLP_TRACES_PATH}", config.api_url);
        let parent_value: Arc<str> = config.parent.to_string().into();
        let client = BraintrustHttpClient::new(
            &format!("Bearer {}", config.api_key.expose()),
            &parent_value,
            config.request_timeout,
        )?;
        let retry = opentelemetry_otlp::RetryPolicy::recommended()
            .with_max_retries(config.retry.max_attempts().saturating_sub(1) as usize)
            .with_initial_delay(config.retry.initial_backoff())
            .with_max_delay(config.retry.max_backoff());
        let inner = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint.clone())
            .with_timeout(config.request_timeout)
            .with_http_client(client)
            .with_retry_policy(retry)
            .with_max_request_body_size(MAX_OTLP_REQUEST_BYTES)
            .build()
            .map_err(BraintrustBuildError::Otlp)?;
        Ok(BraintrustOtlpExporter {
            inner,
            parent: config.parent,
            parent_value,
            endpoint,
            filter: config.rows.filter,
            attachments,
        })
    }

    /// The parent every span is sent to.
    pub fn parent(&self) -> &Parent {
        &self.parent
    }
}

/// The HTTP client of the wrapped exporter, which decides the headers itself.
///
/// `opentelemetry_otlp` (0.33) inserts the headers of
/// `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (or, when unset,
/// `OTEL_EXPORTER_OTLP_HEADERS`) after those given to `with_headers`, and has
/// no switch to turn that off: a service whose collector credential is in
/// those variables would send it to Braintrust in place of the Braintrust
/// key. Removing the variables' names from each request would still let them
/// replace `Content-Type` or `User-Agent`, so each request's headers are
/// rebuilt from an allow-list instead: ours, plus `Content-Encoding` when it
/// names a compression `opentelemetry_otlp` applies
/// (`OTEL_EXPORTER_OTLP_COMPRESSION` can turn one on), since it must match
/// the body.
struct BraintrustHttpClient {
    client: reqwest::blocking::Client,
    /// Every header a request carries, but `Content-Encoding`.
    headers: HeaderMap,
}

/// What `opentelemetry_otlp` sends for [`Protocol::HttpBinary`], which is set
/// in code and so beats `OTEL_EXPORTER_OTLP_PROTOCOL`.
const PROTOBUF: &str = "application/x-protobuf";

impl BraintrustHttpClient {
    fn new(
        authorization: &str,
        parent: &str,
        timeout: Duration,
    ) -> Result<Self, BraintrustBuildError> {
        let mut authorization = HeaderValue::from_str(authorization).map_err(|_| {
            BraintrustBuildError::InvalidApiKey {
                reason: "contains characters that cannot go in an HTTP header",
            }
        })?;
        authorization.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization);
        // A parent that cannot be a header value (a project name outside
        // visible ASCII) still travels as the span attribute, which
        // Braintrust prefers anyway.
        if let Ok(parent) = HeaderValue::from_str(parent) {
            headers.insert(HeaderName::from_static("x-bt-parent"), parent);
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROTOBUF));
        headers.insert(USER_AGENT, HeaderValue::from_static(crate::net::USER_AGENT));
        // Building the blocking client inside an async runtime panics; build
        // it on a plain thread, as `opentelemetry_otlp` does for its own.
        let client = std::thread::spawn(move || {
            reqwest::blocking::Client::builder()
                .timeout(timeout)
                .build()
        })
        .join()
        .map_err(|_| {
            BraintrustBuildError::Worker(std::io::Error::other(
                "the thread building the blocking HTTP client panicked",
            ))
        })?
        .map_err(BraintrustBuildError::HttpClient)?;
        Ok(BraintrustHttpClient { client, headers })
    }

    /// Replaces whatever headers `request` has with ours.
    fn set_headers<B>(&self, request: &mut Request<B>) {
        let given = std::mem::replace(request.headers_mut(), self.headers.clone());
        if let Some(encoding) = given
            .get(CONTENT_ENCODING)
            .filter(|value| matches!(value.as_bytes(), b"gzip" | b"zstd"))
        {
            request
                .headers_mut()
                .insert(CONTENT_ENCODING, encoding.clone());
        }
    }
}

impl fmt::Debug for BraintrustHttpClient {
    // Not derived: the headers hold the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BraintrustHttpClient")
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl HttpClient for BraintrustHttpClient {
    async fn send_bytes(&self, mut request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        self.set_headers(&mut request);
        // `opentelemetry_http`'s client for `reqwest::blocking::Client`
        // (response size limit included).
        self.client.send_bytes(request).await
    }
}

/// The Braintrust span attributes carrying `row` (each a JSON string):
/// [`BRAINTRUST_SPAN_ATTRIBUTES`](semconv::BRAINTRUST_SPAN_ATTRIBUTES),
/// [`BRAINTRUST_INPUT_JSON`](semconv::BRAINTRUST_INPUT_JSON) and
/// [`BRAINTRUST_OUTPUT_JSON`](semconv::BRAINTRUST_OUTPUT_JSON) (only when the
/// row has an input / output), [`BRAINTRUST_METADATA`](semconv::BRAINTRUST_METADATA)
/// and [`BRAINTRUST_METRICS`](semconv::BRAINTRUST_METRICS).
pub fn braintrust_attributes(row: &BraintrustRow) -> Vec<KeyValue> {
    fn push<T: serde::Serialize + ?Sized>(out: &mut Vec<KeyValue>, key: &'static str, value: &T) {
        // These values are plain JSON trees: serialization cannot fail, and if
        // it ever did, leaving one attribute out beats failing the export.
        if let Ok(text) = serde_json::to_string(value) {
            out.push(KeyValue::new(key, text));
        }
    }
    let mut out = Vec::with_capacity(5);
    push(
        &mut out,
        semconv::BRAINTRUST_SPAN_ATTRIBUTES,
        &row.span_attributes,
    );
    if let Some(input) = &row.input {
        push(&mut out, semconv::BRAINTRUST_INPUT_JSON, input);
    }
    if let Some(output) = &row.output {
        push(&mut out, semconv::BRAINTRUST_OUTPUT_JSON, output);
    }
    push(&mut out, semconv::BRAINTRUST_METADATA, &row.metadata);
    push(&mut out, semconv::BRAINTRUST_METRICS, &row.metrics);
    out
}

/// Adds the Braintrust attributes to Braintrust's copy of a span, with
/// inline media turned into attachment references when `uploader` is on.
fn annotate(span: &mut SpanData, parent: &Arc<str>, uploader: Option<&Uploader>) {
    let mut row = span_to_row(span);
    if let Some(uploader) = uploader {
        convert_row(&mut row, uploader);
    }
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
    // Not derived: the wrapped exporter's `Debug` prints the headers of the
    // `OTEL_EXPORTER_OTLP_*HEADERS` variables, credentials included.
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
        // This `Vec` is ours alone (see the type docs): filtering and
        // annotating it in place changes nothing for the other exporters.
        // Filtered first, so the annotation's `braintrust.*` attributes do
        // not make every span look like an AI span.
        self.filter.apply(&mut batch);
        for span in &mut batch {
            annotate(span, &self.parent_value, self.attachments.as_ref());
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

    /// Flushes the spans, then waits (up to 30 s) for the attachment
    /// uploads they refer to.
    fn force_flush(&self) -> OTelSdkResult {
        let started = std::time::Instant::now();
        self.inner.force_flush()?;
        let deadline = super::exporter::deadline(started, Duration::from_secs(30));
        match &self.attachments {
            Some(uploader) if !uploader.flush(deadline) => {
                Err(OTelSdkError::Timeout(Duration::from_secs(30)))
            }
            _ => Ok(()),
        }
    }

    /// Shuts the span exporter down, then the uploader, within `timeout`.
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let started = std::time::Instant::now();
        let spans = self.inner.shutdown_with_timeout(timeout);
        let deadline = super::exporter::deadline(started, timeout);
        match &self.attachments {
            Some(uploader) if !uploader.shutdown(deadline) => Err(OTelSdkError::Timeout(timeout)),
            _ => spans,
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::padded_span as span;
    use crate::exporters::braintrust::test_spans::{chat_span, content_event};
    use opentelemetry::trace::SpanId;
    use serde_json::{Value as Json, json};

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
        annotate(&mut s, &Arc::from("project_name:config"), None);
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
    fn requests_carry_exactly_our_headers() {
        let client =
            BraintrustHttpClient::new("Bearer a%41b", "project_name:p%20q", Duration::from_secs(1))
                .expect("builds");
        let mut request = Request::post("http://127.0.0.1/otel/v1/traces")
            .header(AUTHORIZATION, "Bearer collector-secret")
            .header(CONTENT_TYPE, "text/plain")
            .header(CONTENT_ENCODING, "gzip")
            .header(USER_AGENT, "env")
            .header("x-collector", "1")
            .body(())
            .expect("request");
        client.set_headers(&mut request);
        let get = |name| request.headers().get(name).map(|v| v.to_str().unwrap());
        assert_eq!(request.headers().len(), 5, "{:?}", request.headers());
        // Percent signs arrive as given: nothing decodes them on this path.
        assert_eq!(get("authorization"), Some("Bearer a%41b"));
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        assert_eq!(get("x-bt-parent"), Some("project_name:p%20q"));
        assert_eq!(get("content-type"), Some(PROTOBUF));
        assert_eq!(get("content-encoding"), Some("gzip"));
        assert!(
            get("user-agent")
                .unwrap()
                .starts_with("azure-ai-inference-otel/")
        );

        let mut request = Request::post("http://127.0.0.1/")
            .header(CONTENT_ENCODING, "collector-secret")
            .body(())
            .expect("request");
        client.set_headers(&mut request);
        assert!(request.headers().get(CONTENT_ENCODING).is_none());
    }

    #[test]
    fn braintrust_attributes_are_the_row_as_json_strings() {
        let row = span_to_row(&chat_span(
            vec![KeyValue::new(
                semconv::GEN_AI_OPERATION_NAME,
                semconv::OPERATION_CHAT,
            )],
            vec![content_event(
                semconv::EVENT_CHOICE,
                r#"{"finish_reason":"stop","index":0}"#,
            )],
        ));
        let attrs = braintrust_attributes(&row);
        let get = |key: &str| {
            attrs
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| serde_json::from_str::<Json>(&kv.value.as_str()).expect("JSON"))
        };
        assert_eq!(
            get(semconv::BRAINTRUST_SPAN_ATTRIBUTES),
            Some(json!({"name":"chat gpt-4o","type":"llm"}))
        );
        assert_eq!(get(semconv::BRAINTRUST_OUTPUT_JSON), row.output);
        assert_eq!(get(semconv::BRAINTRUST_INPUT_JSON), None);
        assert_eq!(
            get(semconv::BRAINTRUST_METADATA),
            Some(Json::Object(row.metadata.clone()))
        );
        assert_eq!(
            get(semconv::BRAINTRUST_METRICS),
            Some(serde_json::to_value(&row.metrics).expect("metrics"))
        );
    }
}
