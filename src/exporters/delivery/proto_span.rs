//! A finished span written into an OTLP proto struct, for prost to encode.
//!
//! Same fields and values as `opentelemetry-proto`'s
//! `From<SpanData> for Span`, which the tests hold this against, but into a
//! `Span` that the encoder reuses from one span to the next: every key and
//! string value is copied into a `String` the previous span left there, so
//! a batch allocates for its first span and its longer texts only. The
//! transform allocated a `String` for every key and value and dropped them
//! all after encoding, about 60 allocations and frees per chat span: most
//! of the export cost. The reused struct lives for one batch, so what it
//! keeps is at most the batch's largest span.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue as ProtoKeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind as ProtoKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{Span, SpanFlags};
use opentelemetry_sdk::trace::SpanData;

/// Writes `span` into `out`, whatever `out` held before (its instrumentation
/// scope is the caller's: spans are grouped by it).
pub(crate) fn write_proto_span(span: &SpanData, out: &mut Span) {
    let context = &span.span_context;
    set_bytes(&mut out.trace_id, &context.trace_id().to_bytes());
    set_bytes(&mut out.span_id, &context.span_id().to_bytes());
    out.trace_state = context.trace_state().header();
    if span.parent_span_id == SpanId::INVALID {
        out.parent_span_id.clear();
    } else {
        set_bytes(&mut out.parent_span_id, &span.parent_span_id.to_bytes());
    }
    out.flags = u32::from(context.trace_flags().to_u8()) | SpanFlags::ContextHasIsRemoteMask as u32;
    if span.parent_span_is_remote {
        out.flags |= SpanFlags::ContextIsRemoteMask as u32;
    }
    set_text(&mut out.name, &span.name);
    out.kind = match span.span_kind {
        SpanKind::Client => ProtoKind::Client,
        SpanKind::Server => ProtoKind::Server,
        SpanKind::Producer => ProtoKind::Producer,
        SpanKind::Consumer => ProtoKind::Consumer,
        SpanKind::Internal => ProtoKind::Internal,
    }
    .into();
    out.start_time_unix_nano = nanos(span.start_time);
    out.end_time_unix_nano = nanos(span.end_time);
    set_attributes(&mut out.attributes, &span.attributes);
    out.dropped_attributes_count = span.dropped_attributes_count;
    fill(&mut out.events, &span.events.events, |out, event| {
        out.time_unix_nano = nanos(event.timestamp);
        set_text(&mut out.name, &event.name);
        set_attributes(&mut out.attributes, &event.attributes);
        out.dropped_attributes_count = event.dropped_attributes_count;
    });
    out.dropped_events_count = span.events.dropped_count;
    // Links are rare on GenAI spans: converted as the crate does.
    out.links = span.links.iter().cloned().map(Into::into).collect();
    out.dropped_links_count = span.links.dropped_count;
    let status = out.status.get_or_insert_with(Default::default);
    status.message.clear();
    status.code = match &span.status {
        Status::Unset => StatusCode::Unset,
        Status::Ok => StatusCode::Ok,
        Status::Error { description } => {
            status.message.push_str(description);
            StatusCode::Error
        }
    }
    .into();
}

/// `out` resized to `items` (new slots default), each slot then `set`.
fn fill<T, U: Default>(out: &mut Vec<U>, items: &[T], set: impl Fn(&mut U, &T)) {
    out.resize_with(items.len(), U::default);
    for (slot, item) in out.iter_mut().zip(items) {
        set(slot, item);
    }
}

fn set_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.clear();
    out.extend_from_slice(bytes);
}

fn set_text(out: &mut String, text: &str) {
    out.clear();
    out.push_str(text);
}

fn set_attributes(out: &mut Vec<ProtoKeyValue>, attributes: &[KeyValue]) {
    fill(out, attributes, |out, kv| {
        set_text(&mut out.key, kv.key.as_str());
        set_value(out.value.get_or_insert_with(AnyValue::default), &kv.value);
        out.key_strindex = 0;
    });
}

fn set_value(out: &mut AnyValue, value: &Value) {
    match value {
        Value::Bool(v) => out.value = Some(any_value::Value::BoolValue(*v)),
        Value::I64(v) => out.value = Some(any_value::Value::IntValue(*v)),
        Value::F64(v) => out.value = Some(any_value::Value::DoubleValue(*v)),
        Value::String(text) => set_string(&mut out.value, text.as_str()),
        Value::Array(array) => set_array(&mut out.value, array),
        // A kind newer than this code: as the crate converts it.
        other => *out = other.clone().into(),
    }
}

fn set_string(out: &mut Option<any_value::Value>, text: &str) {
    match out {
        Some(any_value::Value::StringValue(current)) => set_text(current, text),
        _ => *out = Some(any_value::Value::StringValue(text.to_owned())),
    }
}

fn set_array(out: &mut Option<any_value::Value>, array: &Array) {
    if !matches!(out, Some(any_value::Value::ArrayValue(_))) {
        *out = Some(any_value::Value::ArrayValue(Default::default()));
    }
    let Some(any_value::Value::ArrayValue(out)) = out else {
        return;
    };
    let values = &mut out.values;
    match array {
        Array::Bool(items) => fill(values, items, |out, v| {
            out.value = Some(any_value::Value::BoolValue(*v))
        }),
        Array::I64(items) => fill(values, items, |out, v| {
            out.value = Some(any_value::Value::IntValue(*v))
        }),
        Array::F64(items) => fill(values, items, |out, v| {
            out.value = Some(any_value::Value::DoubleValue(*v))
        }),
        Array::String(items) => fill(values, items, |out, v| {
            set_string(&mut out.value, v.as_str())
        }),
        other => {
            *values = AnyValue::from(Value::Array(other.clone()))
                .value
                .and_then(|v| match v {
                    any_value::Value::ArrayValue(array) => Some(array.values),
                    _ => None,
                })
                .unwrap_or_default()
        }
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
    use crate::exporters::braintrust::test_spans::{chat_span, content_event, padded_span};
    use crate::telemetry::semconv;
    use opentelemetry::StringValue;
    use opentelemetry::trace::{Link, SpanContext, TraceFlags, TraceState};
    use std::sync::Arc;

    /// The reference: `opentelemetry-proto`'s transform.
    fn reference(span: SpanData) -> Span {
        Span::from(span)
    }

    /// A span with every kind of value, an error, a remote parent, a trace
    /// state and a link.
    fn everything() -> SpanData {
        let mut span = chat_span(
            vec![
                KeyValue::new(semconv::GEN_AI_OPERATION_NAME, semconv::OPERATION_CHAT),
                KeyValue::new(String::from("owned.key"), String::from("owned value")),
                KeyValue::new("shared", Value::from(Arc::<str>::from("shared value"))),
                KeyValue::new("count", 3i64),
                KeyValue::new("ratio", 0.5),
                KeyValue::new("flag", true),
                KeyValue::new(
                    "strings",
                    Value::Array(Array::String(vec![StringValue::from("a")])),
                ),
                KeyValue::new("bools", Value::Array(Array::Bool(vec![true, false]))),
                KeyValue::new("ints", Value::Array(Array::I64(vec![1, 2, 3]))),
                KeyValue::new("floats", Value::Array(Array::F64(vec![0.25]))),
            ],
            vec![
                content_event(semconv::EVENT_CHOICE, r#"{"index":0}"#),
                content_event(semconv::EVENT_USER_MESSAGE, r#"{"content":"hi"}"#),
            ],
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
        span
    }

    /// One reused struct through spans that differ in every field (more
    /// and fewer attributes and events, values changing kind) is what the
    /// reference makes of each.
    #[test]
    fn the_reused_proto_span_is_opentelemetry_protos() {
        let full = everything();
        let mut shuffled = full.clone();
        shuffled.attributes.reverse();
        shuffled.events.events.truncate(1);
        let mut others = vec![full.clone(), padded_span(3, 10), shuffled, full.clone()];
        for (kind, status) in [
            (SpanKind::Server, Status::Ok),
            (SpanKind::Internal, Status::Unset),
            (SpanKind::Producer, Status::Unset),
            (SpanKind::Consumer, Status::Unset),
        ] {
            let mut other = full.clone();
            other.span_kind = kind;
            other.status = status;
            other.parent_span_id = SpanId::INVALID;
            other.links.links.clear();
            others.push(other);
        }
        let mut out = Span::default();
        for span in others {
            write_proto_span(&span, &mut out);
            assert_eq!(out, reference(span));
        }
    }

    /// The comparison above can fail.
    #[test]
    fn a_changed_value_is_seen() {
        let span = chat_span(vec![KeyValue::new("k", "v")], vec![]);
        let mut out = Span::default();
        write_proto_span(&span, &mut out);
        set_value(
            out.attributes[0]
                .value
                .get_or_insert_with(AnyValue::default),
            &Value::from("w"),
        );
        assert_ne!(out, reference(span));
    }
}
