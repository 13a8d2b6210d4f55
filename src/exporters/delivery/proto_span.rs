//! A finished span moved into its OTLP proto struct, for prost to encode.
//!
//! Same fields and values as `opentelemetry-proto`'s
//! `From<SpanData> for Span`, which the tests hold this against, but
//! attribute keys and string values are moved rather than formatted into
//! new `String`s: that transform copies every key and string value through
//! `Display` (`to_string`), and on the Braintrust OTLP path the values
//! include the row's JSON, so the copies were a fifth of the export cost.
//! Links and arrays, rare on GenAI spans, go through the crate's transform
//! as they are.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::{KeyValue, Value};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue as ProtoKeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind as ProtoKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{Span, SpanFlags, Status as ProtoStatus};
use opentelemetry_sdk::trace::SpanData;

/// `span` as an OTLP `Span` (its instrumentation scope is the caller's:
/// spans are grouped by it).
pub(crate) fn proto_span(span: SpanData) -> Span {
    let context = &span.span_context;
    let mut flags =
        u32::from(context.trace_flags().to_u8()) | SpanFlags::ContextHasIsRemoteMask as u32;
    if span.parent_span_is_remote {
        flags |= SpanFlags::ContextIsRemoteMask as u32;
    }
    let kind = match span.span_kind {
        SpanKind::Client => ProtoKind::Client,
        SpanKind::Server => ProtoKind::Server,
        SpanKind::Producer => ProtoKind::Producer,
        SpanKind::Consumer => ProtoKind::Consumer,
        SpanKind::Internal => ProtoKind::Internal,
    };
    let status = match span.status {
        Status::Unset => ProtoStatus {
            code: StatusCode::Unset.into(),
            message: String::new(),
        },
        Status::Ok => ProtoStatus {
            code: StatusCode::Ok.into(),
            message: String::new(),
        },
        Status::Error { description } => ProtoStatus {
            code: StatusCode::Error.into(),
            message: description.into_owned(),
        },
    };
    Span {
        trace_id: context.trace_id().to_bytes().to_vec(),
        span_id: context.span_id().to_bytes().to_vec(),
        trace_state: context.trace_state().header(),
        parent_span_id: if span.parent_span_id == SpanId::INVALID {
            Vec::new()
        } else {
            span.parent_span_id.to_bytes().to_vec()
        },
        flags,
        name: span.name.into_owned(),
        kind: kind.into(),
        start_time_unix_nano: nanos(span.start_time),
        end_time_unix_nano: nanos(span.end_time),
        attributes: attributes(span.attributes),
        dropped_attributes_count: span.dropped_attributes_count,
        dropped_events_count: span.events.dropped_count,
        events: span
            .events
            .events
            .into_iter()
            .map(|event| Event {
                time_unix_nano: nanos(event.timestamp),
                name: event.name.into_owned(),
                attributes: attributes(event.attributes),
                dropped_attributes_count: event.dropped_attributes_count,
            })
            .collect(),
        dropped_links_count: span.links.dropped_count,
        links: span.links.links.into_iter().map(Into::into).collect(),
        status: Some(status),
    }
}

/// Attributes moved into proto key-values.
fn attributes(attributes: Vec<KeyValue>) -> Vec<ProtoKeyValue> {
    attributes
        .into_iter()
        .map(|kv| ProtoKeyValue {
            key: kv.key.into(),
            value: Some(any_value(kv.value)),
            key_strindex: 0,
        })
        .collect()
}

/// A string is moved; the rest as `opentelemetry-proto` converts it.
fn any_value(value: Value) -> AnyValue {
    match value {
        Value::String(text) => AnyValue {
            value: Some(any_value::Value::StringValue(text.into())),
        },
        other => other.into(),
    }
}

/// Nanoseconds since the Unix epoch (0 before it).
fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::{chat_span, content_event};
    use crate::telemetry::semconv;
    use opentelemetry::trace::{Link, SpanContext, TraceFlags, TraceState};
    use opentelemetry::{Array, StringValue};
    use std::sync::Arc;

    /// The reference: `opentelemetry-proto`'s transform.
    fn reference(span: SpanData) -> Span {
        Span::from(span)
    }

    #[test]
    fn the_proto_span_is_opentelemetry_protos() {
        let mut span = chat_span(
            vec![
                KeyValue::new(semconv::GEN_AI_OPERATION_NAME, semconv::OPERATION_CHAT),
                KeyValue::new(String::from("owned.key"), String::from("owned value")),
                KeyValue::new("shared", Value::from(Arc::<str>::from("shared value"))),
                KeyValue::new("count", 3i64),
                KeyValue::new("ratio", 0.5),
                KeyValue::new("flag", true),
                KeyValue::new(
                    "list",
                    Value::Array(Array::String(vec![StringValue::from("a")])),
                ),
            ],
            vec![content_event(semconv::EVENT_CHOICE, r#"{"index":0}"#)],
        );
        span.status = Status::error("boom");
        span.parent_span_is_remote = true;
        span.span_context = SpanContext::new(
            span.span_context.trace_id(),
            span.span_context.span_id(),
            TraceFlags::SAMPLED,
            false,
            TraceState::from_key_value([("k", "v")]).expect("valid"),
        );
        span.links
            .links
            .push(Link::with_context(span.span_context.clone()));
        span.dropped_attributes_count = 2;
        assert_eq!(proto_span(span.clone()), reference(span.clone()));

        for (kind, status) in [
            (SpanKind::Server, Status::Ok),
            (SpanKind::Internal, Status::Unset),
            (SpanKind::Producer, Status::Unset),
            (SpanKind::Consumer, Status::Unset),
        ] {
            let mut other = span.clone();
            other.span_kind = kind;
            other.status = status;
            other.parent_span_id = SpanId::INVALID;
            assert_eq!(proto_span(other.clone()), reference(other));
        }
    }

    /// The comparison above can fail.
    #[test]
    fn a_changed_value_is_seen() {
        let span = chat_span(vec![KeyValue::new("k", "v")], vec![]);
        let mut changed = proto_span(span.clone());
        changed.attributes[0].value = Some(any_value(Value::from("w")));
        assert_ne!(changed, reference(span));
    }
}
