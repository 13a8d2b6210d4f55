//! OTLP to Braintrust: OTLP/HTTP (protobuf) to Braintrust's endpoint, sent
//! by the delivery engine, with the row of `span_to_row` riding along as
//! span attributes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::attachments::{Conversion, Uploader, convert_row_replacing};
use super::config::{BraintrustBuildError, BraintrustConfig, Parent, ResolvedConfig};
use super::filter::SpanFilter;
use super::mapping::{BraintrustRow, span_to_row};
use super::options::start_uploader;
use crate::exporters::delivery::{
    Delivery, DeliveryConfig, DeliveryProcessor, DeliveryStats, Engine, OtlpHttpSink,
};
use crate::telemetry::semconv;

mod fit;
mod media;

/// Event attributes holding GenAI content, in either vocabulary: what the
/// content cut ([`fit`]) and the media references ([`media`]) rewrite.
const GENAI_EVENT_KEYS: &[&str] = &[
    semconv::GEN_AI_EVENT_CONTENT,
    semconv::GEN_AI_INPUT_MESSAGES,
    semconv::GEN_AI_OUTPUT_MESSAGES,
];

/// Path of Braintrust's OTLP traces endpoint, after the API URL.
pub(crate) const OTLP_TRACES_PATH: &str = "/otel/v1/traces";

/// Braintrust refuses OTLP requests over 10 MB (HTTP 413); no bigger body
/// is sent. A span over `MAX_OTLP_SPAN_BYTES` has its content cut first;
/// one that is still too large (for other attributes) is rejected and
/// counted lost.
pub(crate) const MAX_OTLP_REQUEST_BYTES: usize = 10_000_000;

/// Encoded span bytes above which a batch is split into several requests,
/// well below `MAX_OTLP_REQUEST_BYTES`.
pub(crate) const OTLP_SPLIT_BYTES: usize = 4 * 1024 * 1024;

/// Estimated span size above which its content texts are cut (with a
/// visible marker) so that it is sent rather than rejected: the request
/// limit, less room for the resource and the encoding.
pub(crate) const MAX_OTLP_SPAN_BYTES: usize = MAX_OTLP_REQUEST_BYTES - 1_000_000;

/// Label of the Braintrust OTLP path's logs, errors and statistics.
pub(crate) const NAME: &str = "braintrust-otlp";

/// An `opentelemetry_sdk` [`SpanExporter`] sending OTLP/HTTP (protobuf) to
/// Braintrust's `{api_url}/otel/v1/traces`, with headers
/// `Authorization: Bearer {api key}` and `x-bt-parent: {parent}`.
///
/// Each exported span also carries `BRAINTRUST_PARENT`
/// (which Braintrust prefers over the header) and the JSON attributes of
/// `braintrust_attributes`, computed by the same mapping as the native
/// exporter so that a row looks the same whichever path it took. Attributes
/// the application already set under those keys are left alone. Only
/// Braintrust's copy of a span is annotated.
///
/// # Delivery
///
/// Like [`BraintrustExporter`](super::BraintrustExporter), `export` only
/// queues for the [delivery](crate::exporters::delivery) engine (bounded by
/// bytes, retries within a time budget, `Retry-After` honoured); the
/// pipeline uses [`BraintrustOtlpExporter::processor`] instead, with no SDK
/// batch processor in between. An export whose encoded spans pass
/// `OTLP_SPLIT_BYTES` is sent as several requests, and no request body
/// over `MAX_OTLP_REQUEST_BYTES` is sent.
///
/// # Content on Braintrust's copy
///
/// - With attachments on, inline data URLs become `braintrust_attachment`
///   references in `braintrust.input_json` / `output_json` and, alike, in
///   the span's own GenAI content (message and choice events,
///   `gen_ai.input.messages` / `output.messages`): no converted base64 is
///   sent. A span whose uploads cannot all be queued goes unchanged.
/// - A span estimated over `MAX_OTLP_SPAN_BYTES` has its content texts cut
///   to a common length with the native path's visible
///   marker, listed in
///   `AZ_AI_INFERENCE_TRUNCATED` (and
///   `metadata.truncated` when the row's input or output was cut), and is
///   sent with its metrics, status and parent instead of being rejected.
///
/// # Headers
///
/// Every request carries exactly `Authorization`, `x-bt-parent`,
/// `Content-Type` and `User-Agent`: headers from
/// `OTEL_EXPORTER_OTLP_HEADERS` / `OTEL_EXPORTER_OTLP_TRACES_HEADERS`,
/// meant for a collector and possibly holding its credential, never reach
/// Braintrust, and neither do the other `OTEL_EXPORTER_OTLP_*` settings.
pub struct BraintrustOtlpExporter {
    engine: Engine<OtlpHttpSink>,
    parent: Parent,
    endpoint: String,
    filter: SpanFilter,
    /// Flushed after the spans, when attachment conversion is on.
    attachments: Option<Arc<Uploader>>,
}

impl BraintrustOtlpExporter {
    /// Builds the exporter; its worker starts on first use. Values the
    /// config leaves unset are read from the environment (see
    /// [`BraintrustConfig`]); the request timeout bounds one attempt.
    pub fn new(config: BraintrustConfig) -> Result<Self, BraintrustBuildError> {
        let delivery = config.delivery_config(DeliveryConfig::default());
        let config = config.resolve()?;
        let attachments = start_uploader(&config)?;
        let (sink, endpoint) = sink(&config, attachments.clone())?;
        Ok(BraintrustOtlpExporter {
            engine: Engine::new(sink, delivery, NAME),
            parent: config.parent,
            endpoint,
            filter: config.rows.filter,
            attachments,
        })
    }

    /// The same delivery as a span processor (what the pipeline installs).
    pub fn processor(
        config: BraintrustConfig,
        delivery: DeliveryConfig,
    ) -> Result<DeliveryProcessor, BraintrustBuildError> {
        super::options::processor(config, delivery, NAME, |config, attachments| {
            sink(config, attachments).map(|(sink, _)| sink)
        })
    }

    /// The parent every span is sent to.
    pub fn parent(&self) -> &Parent {
        &self.parent
    }

    /// The exporter's counters.
    pub fn stats(&self) -> DeliveryStats {
        self.engine.stats()
    }
}

/// The OTLP sink pointed at Braintrust, and its endpoint.
pub(crate) fn sink(
    config: &ResolvedConfig,
    attachments: Option<Arc<Uploader>>,
) -> Result<(OtlpHttpSink, String), BraintrustBuildError> {
    let endpoint = format!("{}{OTLP_TRACES_PATH}", config.api_url);
    let parent: Arc<str> = config.parent.to_string().into();
    let headers = headers(&format!("Bearer {}", config.api_key.expose()), &parent)?;
    let annotate_parent = Arc::clone(&parent);
    let sink = OtlpHttpSink::new(
        endpoint.clone(),
        headers,
        config.request_timeout,
        OTLP_SPLIT_BYTES,
        MAX_OTLP_REQUEST_BYTES,
        Some(Box::new(move |span: &mut SpanData| {
            annotate(
                span,
                &annotate_parent,
                attachments.as_deref(),
                MAX_OTLP_SPAN_BYTES,
            )
        })),
    )
    .map_err(BraintrustBuildError::HttpClient)?;
    Ok((sink, endpoint))
}

/// `Authorization` (sensitive) and, when it can be a header value,
/// `x-bt-parent`; the sink adds `Content-Type` and `User-Agent`.
fn headers(authorization: &str, parent: &str) -> Result<HeaderMap, BraintrustBuildError> {
    let mut authorization =
        HeaderValue::from_str(authorization).map_err(|_| BraintrustBuildError::InvalidApiKey {
            reason: "contains characters that cannot go in an HTTP header",
        })?;
    authorization.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, authorization);
    // A parent that cannot be a header value (a project name outside
    // visible ASCII) still travels as the span attribute, which Braintrust
    // prefers anyway.
    if let Ok(parent) = HeaderValue::from_str(parent) {
        headers.insert(HeaderName::from_static("x-bt-parent"), parent);
    }
    Ok(headers)
}

/// The Braintrust span attributes carrying `row` (each a JSON string):
/// [`BRAINTRUST_SPAN_ATTRIBUTES`](semconv::BRAINTRUST_SPAN_ATTRIBUTES),
/// [`BRAINTRUST_INPUT_JSON`](semconv::BRAINTRUST_INPUT_JSON) and
/// [`BRAINTRUST_OUTPUT_JSON`](semconv::BRAINTRUST_OUTPUT_JSON) (only when the
/// row has an input / output), [`BRAINTRUST_METADATA`](semconv::BRAINTRUST_METADATA)
/// and [`BRAINTRUST_METRICS`](semconv::BRAINTRUST_METRICS).
pub(crate) fn braintrust_attributes(row: &BraintrustRow) -> Vec<KeyValue> {
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

/// The keys the annotation adds, in the order of `braintrust_attributes`,
/// then `BRAINTRUST_PARENT`.
const ANNOTATION_KEYS: [&str; 6] = [
    semconv::BRAINTRUST_SPAN_ATTRIBUTES,
    semconv::BRAINTRUST_INPUT_JSON,
    semconv::BRAINTRUST_OUTPUT_JSON,
    semconv::BRAINTRUST_METADATA,
    semconv::BRAINTRUST_METRICS,
    semconv::BRAINTRUST_PARENT,
];

/// Adds the Braintrust attributes to Braintrust's copy of a span, with
/// inline media turned into attachment references when `uploader` is on
/// (in the row and in the span's GenAI content alike, see [`media`]), then
/// cuts its content when its estimated size
/// ([`span_bytes`](crate::exporters::delivery::span_bytes)) is over
/// `max_bytes` (see [`fit`]). Keys the application already set keep its
/// values.
fn annotate(span: &mut SpanData, parent: &Arc<str>, uploader: Option<&Uploader>, max_bytes: usize) {
    let mut already_set = [false; ANNOTATION_KEYS.len()];
    for kv in &span.attributes {
        if let Some(i) = ANNOTATION_KEYS.iter().position(|k| *k == kv.key.as_str()) {
            already_set[i] = true;
        }
    }
    let mut row = span_to_row(span);
    if let Some(uploader) = uploader
        && let (Conversion::Converted(_), replaced) = convert_row_replacing(&mut row, uploader)
    {
        media::replace_inline_media(span, &replaced);
    }
    let added = braintrust_attributes(&row);
    span.attributes.reserve(added.len() + 1);
    if !already_set[ANNOTATION_KEYS.len() - 1] {
        span.attributes.push(KeyValue::new(
            semconv::BRAINTRUST_PARENT,
            Value::from(Arc::clone(parent)),
        ));
    }
    for kv in added {
        let i = ANNOTATION_KEYS.iter().position(|k| *k == kv.key.as_str());
        if i.is_some_and(|i| !already_set[i]) {
            span.attributes.push(kv);
        }
    }
    // A span still too large (not for its content) is left for the
    // encoder, which rejects and counts it.
    fit::fit_span(span, max_bytes);
}

impl fmt::Debug for BraintrustOtlpExporter {
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
        // Filtered before the annotation, whose `braintrust.*` attributes
        // would make every span look like an AI span.
        self.filter.apply(&mut batch);
        std::future::ready(self.engine.enqueue_batch(batch))
    }

    fn force_flush(&self) -> OTelSdkResult {
        super::exporter::flush_then_uploads(&self.engine, self.attachments.as_deref())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        super::exporter::shutdown_then_uploads(&self.engine, self.attachments.as_deref(), timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.engine.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::padded_span as span;
    use crate::exporters::braintrust::test_spans::{chat_span, content_event};
    use serde_json::{Value as Json, json};

    #[test]
    fn annotation_adds_the_parent_and_keeps_what_the_application_set() {
        let mut s = span(0, 0);
        s.attributes.push(KeyValue::new(
            semconv::BRAINTRUST_PARENT,
            "project_name:mine",
        ));
        s.attributes
            .push(KeyValue::new(semconv::BRAINTRUST_METADATA, "{\"mine\":1}"));
        annotate(
            &mut s,
            &Arc::from("project_name:config"),
            None,
            MAX_OTLP_SPAN_BYTES,
        );
        let parents: Vec<_> = s
            .attributes
            .iter()
            .filter(|kv| kv.key.as_str() == semconv::BRAINTRUST_PARENT)
            .map(|kv| kv.value.to_string())
            .collect();
        assert_eq!(parents, ["project_name:mine"]);
        let metadata: Vec<_> = s
            .attributes
            .iter()
            .filter(|kv| kv.key.as_str() == semconv::BRAINTRUST_METADATA)
            .map(|kv| kv.value.to_string())
            .collect();
        assert_eq!(metadata, [r#"{"mine":1}"#]);
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

    /// `(key, text)` of string attributes (`None` for another type).
    fn texts(attributes: &[KeyValue]) -> Vec<(String, Option<String>)> {
        attributes
            .iter()
            .map(|kv| {
                let text = match &kv.value {
                    Value::String(text) => Some(text.as_str().to_owned()),
                    _ => None,
                };
                (kv.key.as_str().to_owned(), text)
            })
            .collect()
    }

    /// What [`annotate`] (no uploader) adds to `span`, the parent left out.
    fn annotation(span: &SpanData) -> Vec<(String, Option<String>)> {
        let mut annotated = span.clone();
        annotate(
            &mut annotated,
            &Arc::from("project_name:p"),
            None,
            MAX_OTLP_SPAN_BYTES,
        );
        assert_eq!(
            texts(&annotated.attributes[..span.attributes.len()]),
            texts(&span.attributes),
            "the span's own attributes stay"
        );
        let mut added = texts(&annotated.attributes[span.attributes.len()..]);
        added.retain(|(key, _)| key != semconv::BRAINTRUST_PARENT);
        added
    }

    #[test]
    fn requests_carry_only_our_headers() {
        let headers = headers("Bearer a%41b", "project_name:p%20q").expect("valid");
        assert_eq!(headers.len(), 2, "{headers:?}");
        assert_eq!(headers["authorization"], "Bearer a%41b");
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert_eq!(headers["x-bt-parent"], "project_name:p%20q");
        let no_parent = super::headers("Bearer k", "project_name:two\nlines").expect("valid");
        assert!(no_parent.get("x-bt-parent").is_none());
    }

    /// The annotation is the row's Braintrust attributes (JSON strings),
    /// after the span's own attributes.
    #[test]
    fn braintrust_attributes_are_the_row_as_json_strings() {
        let span = chat_span(
            vec![KeyValue::new(
                semconv::GEN_AI_OPERATION_NAME,
                semconv::OPERATION_CHAT,
            )],
            vec![content_event(
                semconv::EVENT_CHOICE,
                r#"{"finish_reason":"stop","index":0}"#,
            )],
        );
        let row = span_to_row(&span);
        let attrs = braintrust_attributes(&row);
        assert_eq!(annotation(&span), texts(&attrs));
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
