//! Spans for the unit tests: plain ones for batching and splitting, GenAI
//! ones (with content events) for the mapping.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    Event, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};

use crate::telemetry::semconv;

/// A root `work` span, number `i` of trace 7, with a `padding` attribute of
/// `padding` bytes so tests can control the encoded size.
pub(crate) fn padded_span(i: u64, padding: usize) -> SpanData {
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

/// A `chat gpt-4o` span with a parent, fixed ids and times 1.5 s apart.
pub(crate) fn chat_span(attributes: Vec<KeyValue>, events: Vec<Event>) -> SpanData {
    let mut span_events = SpanEvents::default();
    span_events.events = events;
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(0x0af7651916cd43dd8448eb211c80319cu128),
            SpanId::from(0xb7ad6b7169203331u64),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: SpanId::from(0x00f067aa0ba902b7u64),
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: "chat gpt-4o".into(),
        start_time: UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
        end_time: UNIX_EPOCH + Duration::from_millis(1_700_000_001_750),
        attributes,
        dropped_attributes_count: 0,
        events: span_events,
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("scope-under-test").build(),
    }
}

/// An event carrying `content` as its `gen_ai.event.content`.
pub(crate) fn content_event(name: &'static str, content: &str) -> Event {
    Event::new(
        name,
        UNIX_EPOCH,
        vec![KeyValue::new(
            semconv::GEN_AI_EVENT_CONTENT,
            content.to_owned(),
        )],
        0,
    )
}
