//! An OTLP/HTTP trace request body (`ExportTraceServiceRequest`), built one
//! encoded span at a time.
//!
//! Each span is encoded by prost as soon as it is written: the encoded length is the size the batch is split by,
//! and the request only adds its two wrapper messages around the bytes
//! (`ResourceSpans` and one `ScopeSpans` per instrumentation scope, their
//! resource and scope encoded by prost too). Encoding the whole request
//! struct instead computed every span's nested lengths once per level of
//! nesting (five times for an attribute value) and kept a batch of proto
//! structs alive until the end. The bytes are
//! the same as prost's encoding of the request struct (see the tests).

use opentelemetry::InstrumentationScope;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope as ProtoScope;
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// Keys of length-delimited fields 1, 2 and 3 (`field << 3 | 2`): in
/// `ExportTraceServiceRequest`, `resource_spans` = 1; in `ResourceSpans`,
/// `resource` = 1, `scope_spans` = 2, `schema_url` = 3; in `ScopeSpans`,
/// `scope` = 1, `spans` = 2, `schema_url` = 3.
const FIELD_1: u8 = (1 << 3) | 2;
const FIELD_2: u8 = (2 << 3) | 2;
const FIELD_3: u8 = (3 << 3) | 2;

/// `span` as a `ScopeSpans.spans` field (key, length, message), replacing
/// what `buf` held.
pub(crate) fn encode_span(span: &Span, buf: &mut Vec<u8>) {
    buf.clear();
    buf.push(FIELD_2);
    // A Vec grows as needed: encoding into it cannot run out of room.
    let _ = span.encode_length_delimited(buf);
}

/// The spans of one request, grouped by instrumentation scope in order of
/// first appearance (as `opentelemetry-proto`'s
/// `group_spans_by_resource_and_scope`, without hashing every span's scope:
/// a batch has one or two).
#[derive(Default)]
pub(crate) struct RequestBody {
    scopes: Vec<ScopeGroup>,
    spans: usize,
    bytes: usize,
}

struct ScopeGroup {
    scope: InstrumentationScope,
    /// The scope's `ScopeSpans.scope` and `.schema_url`.
    proto: ProtoScope,
    schema_url: String,
    /// Its spans' `ScopeSpans.spans` fields, back to back.
    spans: Vec<u8>,
}

impl RequestBody {
    /// Spans added so far.
    pub(crate) fn spans(&self) -> usize {
        self.spans
    }

    /// Bytes of the spans added so far (without the wrappers).
    pub(crate) fn span_bytes(&self) -> usize {
        self.bytes
    }

    /// Adds one span, encoded by [`encode_span`], under `scope`.
    pub(crate) fn push(&mut self, scope: InstrumentationScope, encoded: &[u8]) {
        self.spans += 1;
        self.bytes += encoded.len();
        if let Some(group) = self.scopes.iter_mut().rev().find(|g| g.scope == scope) {
            group.spans.extend_from_slice(encoded);
            return;
        }
        self.scopes.push(ScopeGroup {
            proto: (&scope, None).into(),
            schema_url: scope.schema_url().unwrap_or_default().to_owned(),
            scope,
            spans: encoded.to_vec(),
        });
    }

    /// The request body: one `ResourceSpans` of `resource` (and its schema
    /// URL) holding the scopes' `ScopeSpans`.
    pub(crate) fn finish(self, resource: &ProtoResource, schema_url: &str) -> Vec<u8> {
        let scope_lens: Vec<usize> = self
            .scopes
            .iter()
            .map(|g| field_len(g.proto.encoded_len()) + g.spans.len() + string_len(&g.schema_url))
            .collect();
        let resource_spans_len = field_len(resource.encoded_len())
            + scope_lens.iter().map(|len| field_len(*len)).sum::<usize>()
            + string_len(schema_url);
        let mut body = Vec::with_capacity(field_len(resource_spans_len));
        body.push(FIELD_1);
        prost::encode_length_delimiter(resource_spans_len, &mut body).ok();
        body.push(FIELD_1);
        resource.encode_length_delimited(&mut body).ok();
        for (group, len) in self.scopes.iter().zip(scope_lens) {
            body.push(FIELD_2);
            prost::encode_length_delimiter(len, &mut body).ok();
            body.push(FIELD_1);
            group.proto.encode_length_delimited(&mut body).ok();
            body.extend_from_slice(&group.spans);
            push_string(&mut body, &group.schema_url);
        }
        push_string(&mut body, schema_url);
        body
    }
}

/// Size of a length-delimited field of `len` bytes (one-byte key).
fn field_len(len: usize) -> usize {
    1 + prost::length_delimiter_len(len) + len
}

/// Size of a string field 3 (none when empty, as proto3 leaves it out).
fn string_len(text: &str) -> usize {
    if text.is_empty() {
        0
    } else {
        field_len(text.len())
    }
}

/// A string field 3, when not empty.
fn push_string(body: &mut Vec<u8>, text: &str) {
    if !text.is_empty() {
        body.push(FIELD_3);
        prost::encode_length_delimiter(text.len(), body).ok();
        body.extend_from_slice(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::padded_span;
    use crate::exporters::delivery::proto_span::write_proto_span;

    fn proto_span(span: opentelemetry_sdk::trace::SpanData) -> Span {
        let mut out = Span::default();
        write_proto_span(&span, &mut out);
        out
    }
    use opentelemetry::KeyValue;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};

    /// The reference: the request struct, encoded by prost.
    fn reference(
        scopes: &[(InstrumentationScope, Vec<Span>)],
        resource: &ProtoResource,
        schema_url: &str,
    ) -> Vec<u8> {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(resource.clone()),
                scope_spans: scopes
                    .iter()
                    .map(|(scope, spans)| ScopeSpans {
                        scope: Some((scope, None).into()),
                        spans: spans.clone(),
                        schema_url: scope.schema_url().unwrap_or_default().to_owned(),
                    })
                    .collect(),
                schema_url: schema_url.to_owned(),
            }],
        }
        .encode_to_vec()
    }

    #[test]
    fn the_body_is_prosts_encoding_of_the_request() {
        let plain = InstrumentationScope::builder("plain").build();
        let versioned = InstrumentationScope::builder("versioned")
            .with_version("1.2.3")
            .with_schema_url("https://opentelemetry.io/schemas/1.41.0")
            .with_attributes([KeyValue::new("k", "v")])
            .build();
        // Big enough that lengths take several bytes.
        let spans: Vec<Span> = (0..4).map(|i| proto_span(padded_span(i, 300))).collect();
        let resource = ProtoResource {
            attributes: vec![opentelemetry_proto::tonic::common::v1::KeyValue {
                key: "service.name".to_owned(),
                value: Some(opentelemetry::Value::from("svc").into()),
                key_strindex: 0,
            }],
            dropped_attributes_count: 0,
            entity_refs: Vec::new(),
        };
        for schema_url in ["", "https://opentelemetry.io/schemas/1.41.0"] {
            let mut body = RequestBody::default();
            let mut buf = Vec::new();
            for (i, span) in spans.iter().enumerate() {
                let scope = if i % 2 == 0 { &plain } else { &versioned };
                encode_span(span, &mut buf);
                body.push(scope.clone(), &buf);
            }
            assert_eq!(body.spans(), 4);
            let expected = reference(
                &[
                    (plain.clone(), vec![spans[0].clone(), spans[2].clone()]),
                    (versioned.clone(), vec![spans[1].clone(), spans[3].clone()]),
                ],
                &resource,
                schema_url,
            );
            assert_eq!(body.finish(&resource, schema_url), expected);
        }
        let empty = RequestBody::default().finish(&ProtoResource::default(), "");
        assert_eq!(empty, reference(&[], &ProtoResource::default(), ""));
    }

    /// The comparison above can fail.
    #[test]
    fn another_span_is_seen() {
        let scope = InstrumentationScope::builder("s").build();
        let (one, two) = (proto_span(padded_span(0, 1)), proto_span(padded_span(1, 1)));
        let mut body = RequestBody::default();
        let mut buf = Vec::new();
        encode_span(&one, &mut buf);
        body.push(scope.clone(), &buf);
        let resource = ProtoResource::default();
        assert_ne!(
            body.finish(&resource, ""),
            reference(&[(scope, vec![two])], &resource, "")
        );
    }
}
