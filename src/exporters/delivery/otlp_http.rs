//! OTLP/HTTP with protobuf, sent by the delivery engine itself (for the
//! collector and for Braintrust's OTLP endpoint), so that retries,
//! `Retry-After` and the status of every answer are in one place.
//!
//! `opentelemetry-otlp`'s own exporter retries inside `export()` and
//! reports only a message, so the engine could neither tell a 400 from a
//! 503 nor keep sending other batches while one waits. The encoding is
//! `opentelemetry-proto`'s structs, each span written into one reused
//! ([`write_proto_span`]) and encoded by prost at once, the request built around
//! the spans' bytes ([`RequestBody`]).

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderMap;
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;

use super::otlp_request::{RequestBody, encode_span};
use super::proto_span::write_proto_span;
use super::sink::{Encoded, Outcome, Sink};

/// Changes applied to each span before encoding (Braintrust's attributes).
pub(crate) type Annotate = Box<dyn Fn(&mut SpanData) + Send + Sync>;

/// Posts `ExportTraceServiceRequest`s to one URL.
pub(crate) struct OtlpHttpSink {
    client: reqwest::Client,
    url: String,
    /// Every header a request carries (values may be credentials).
    headers: HeaderMap,
    /// The pipeline's resource and its schema URL, converted once.
    resource: ProtoResource,
    schema_url: String,
    /// Encoded span bytes above which a batch is split into several requests.
    split_bytes: usize,
    /// No body larger than this is sent; a span that alone exceeds it is rejected.
    max_body: usize,
    annotate: Option<Annotate>,
}

impl fmt::Debug for OtlpHttpSink {
    // Not derived: the headers hold credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpHttpSink")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl OtlpHttpSink {
    /// `headers` should hold `Content-Type`-independent headers only (this
    /// sets `Content-Type` and `User-Agent`); `timeout` bounds one attempt.
    pub(crate) fn new(
        url: String,
        mut headers: HeaderMap,
        timeout: Duration,
        split_bytes: usize,
        max_body: usize,
        annotate: Option<Annotate>,
    ) -> Result<Self, reqwest::Error> {
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-protobuf"),
        );
        headers.insert(
            http::header::USER_AGENT,
            http::HeaderValue::from_static(crate::net::USER_AGENT),
        );
        // Same-origin redirects only: the headers (API keys) and the body
        // must not follow a 307 to another host.
        let client = reqwest::Client::builder()
            .redirect(crate::client::same_origin_redirects())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()?;
        Ok(OtlpHttpSink {
            client,
            url,
            headers,
            resource: ProtoResource::default(),
            schema_url: String::new(),
            split_bytes,
            max_body,
            annotate,
        })
    }
}

impl Sink for OtlpHttpSink {
    type Request = Bytes;

    fn set_resource(&mut self, resource: &Resource) {
        let converted = ResourceAttributesWithSchema::from(resource);
        self.resource = ProtoResource {
            attributes: converted.attributes.0,
            dropped_attributes_count: 0,
            entity_refs: Vec::new(),
        };
        self.schema_url = converted.schema_url.unwrap_or_default();
    }

    /// Annotates each span, writes it into the reused proto struct, encodes
    /// it, and packs the spans into requests of at most `split_bytes` of
    /// encoded spans (one span may exceed it alone); a request over
    /// `max_body` is rejected. One span at a time from annotation to bytes,
    /// so what a span allocates is freed before the next one starts.
    fn encode(&self, spans: Vec<SpanData>) -> Encoded<Bytes> {
        let mut out = Encoded {
            requests: Vec::new(),
            rejected: 0,
            reason: None,
        };
        let mut part = RequestBody::default();
        // One proto span and one span's encoding, reused through the batch
        // (see `write_proto_span`): each span is encoded as soon as it is
        // written.
        let mut proto = Span::default();
        let mut encoded = Vec::new();
        for mut data in spans {
            if let Some(annotate) = &self.annotate {
                annotate(&mut data);
            }
            let scope = std::mem::take(&mut data.instrumentation_scope);
            write_proto_span(&data, &mut proto);
            drop(data);
            encode_span(&proto, &mut encoded);
            if part.spans() > 0 && part.span_bytes() + encoded.len() > self.split_bytes {
                self.finish(std::mem::take(&mut part), &mut out);
            }
            part.push(scope, &encoded);
        }
        if part.spans() > 0 {
            self.finish(part, &mut out);
        }
        out
    }

    async fn send(&self, body: &Bytes) -> Outcome {
        let sent = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = crate::net::retry_after(response.headers(), SystemTime::now());
                // Read the (small, capped) answer so the connection can be reused.
                let _ = crate::net::read_exporter_answer(response).await;
                let hint = match status {
                    401 | 403 => "; check the credentials",
                    404 => "; check the endpoint URL",
                    413 => "; the request is too large",
                    _ => "",
                };
                Outcome::from_status(status, retry_after, hint)
            }
            Err(error) => Outcome::from_reqwest(&error),
        }
    }
}

impl OtlpHttpSink {
    /// Sends `part` as one request, or counts it rejected when too large.
    fn finish(&self, part: RequestBody, out: &mut Encoded<Bytes>) {
        let spans = part.spans();
        let body = part.finish(&self.resource, &self.schema_url);
        if body.len() > self.max_body {
            out.rejected += spans;
            out.reason = Some(format!(
                "an OTLP request of {} bytes is over the {} byte limit",
                body.len(),
                self.max_body
            ));
        } else {
            out.requests.push((Bytes::from(body), spans));
        }
    }
}

/// `name=value,name=value` with percent-encoded values, as in
/// `OTEL_EXPORTER_OTLP_HEADERS`; malformed pairs are skipped, as
/// `opentelemetry-otlp` does.
pub(crate) fn parse_header_list(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| {
            let value = value.trim();
            let decoded = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_or_else(|_| value.to_owned(), |v| v.into_owned());
            (name.trim().to_owned(), decoded)
        })
        .filter(|(name, value)| !name.is_empty() && !value.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::padded_span;
    use opentelemetry::KeyValue;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message as _;

    fn sink(split_bytes: usize, max_body: usize, annotate: Option<Annotate>) -> OtlpHttpSink {
        OtlpHttpSink::new(
            "http://127.0.0.1:9/v1/traces".to_owned(),
            HeaderMap::new(),
            Duration::from_secs(1),
            split_bytes,
            max_body,
            annotate,
        )
        .expect("a plain HTTP client builds")
    }

    /// The span ids (as numbers) and attribute keys of a request body.
    fn spans_in(body: &[u8]) -> Vec<(u64, Vec<String>)> {
        let request = ExportTraceServiceRequest::decode(body).expect("valid protobuf");
        request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|span| {
                let id = u64::from_be_bytes(span.span_id[..].try_into().expect("8 bytes"));
                let keys = span.attributes.iter().map(|kv| kv.key.clone()).collect();
                (id, keys)
            })
            .collect()
    }

    #[test]
    fn batches_are_split_by_encoded_size_in_order() {
        let spans: Vec<SpanData> = (0..10).map(|i| padded_span(i, 1000)).collect();
        // Each span's field (key, length, message) in the request.
        let mut field = Vec::new();
        let mut proto = Span::default();
        write_proto_span(&spans[0], &mut proto);
        encode_span(&proto, &mut field);
        let size = field.len();
        let encoded = sink(3 * size, usize::MAX, None).encode(spans);
        let counts: Vec<usize> = encoded.requests.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [3, 3, 3, 1]);
        let ids: Vec<u64> = encoded
            .requests
            .iter()
            .flat_map(|(body, _)| spans_in(body))
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
        assert_eq!((encoded.rejected, encoded.reason), (0, None));
    }

    #[test]
    fn a_span_too_big_for_a_request_is_rejected_alone() {
        let mut spans: Vec<SpanData> = (0..4).map(|i| padded_span(i, 100)).collect();
        spans[2] = padded_span(2, 20_000);
        // One span per part (the split is below any span), 10 kB bodies at most.
        let encoded = sink(1, 10_000, None).encode(spans);
        let ids: Vec<u64> = encoded
            .requests
            .iter()
            .flat_map(|(body, _)| spans_in(body))
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, [1, 2, 4]);
        assert_eq!(encoded.rejected, 1);
        let reason = encoded.reason.expect("a reason");
        assert!(
            reason.ends_with("bytes is over the 10000 byte limit"),
            "{reason}"
        );
    }

    #[test]
    fn the_annotation_runs_before_encoding() {
        let annotate: Annotate = Box::new(|span: &mut SpanData| {
            span.attributes.push(KeyValue::new("annotated", true));
        });
        let encoded = sink(usize::MAX, usize::MAX, Some(annotate)).encode(vec![padded_span(0, 0)]);
        assert_eq!(encoded.requests.len(), 1);
        assert_eq!(
            spans_in(&encoded.requests[0].0),
            [(1, vec!["padding".to_owned(), "annotated".to_owned()])]
        );
    }

    #[test]
    fn header_lists_are_split_and_decoded() {
        assert_eq!(
            parse_header_list("authorization=Bearer%20abc, x-tenant = blue ,bad,=x"),
            [
                ("authorization".to_owned(), "Bearer abc".to_owned()),
                ("x-tenant".to_owned(), "blue".to_owned())
            ]
        );
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(Outcome::from_status(204, None, ""), Outcome::Delivered);
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(matches!(
                Outcome::from_status(status, None, ""),
                Outcome::Retry { .. }
            ));
        }
        assert_eq!(
            Outcome::from_status(400, None, ""),
            Outcome::Reject {
                reason: "HTTP 400 (not retried)".to_owned()
            }
        );
    }
}
