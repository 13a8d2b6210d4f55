//! The native exporter's row writer: one span's row JSON written straight
//! from the borrowed [`SpanData`], with no [`BraintrustRow`](super::BraintrustRow)
//! and no `serde_json::Value` tree on the way (which, built, serialized and
//! dropped, were most of the export cost: callgrind put about 10k
//! instructions per span in dropping the values, 12k in escaping, 8k in
//! map inserts).
//!
//! Same row as [`span_to_row`](super::span_to_row) serialized (up to the
//! order of keys, and in practice byte for byte): both read the attributes
//! through the one [`Attributes`] pass, so the request-parameter and
//! token-count tables drive both; `mapping` tests compare the two over a
//! corpus of spans. Recorded content of the common shapes is read into
//! borrowed structs ([`messages::fast`](super::messages)); the rest (structured
//! `parts` messages, unusual shapes, tool definitions) goes through the
//! general path's values and is serialized in place.
//!
//! The Braintrust OTLP annotation writes the row's parts it sends as
//! attributes with the same pieces ([`write_row_parts`]), so the two paths
//! cannot drift apart.
//!
//! Cost (callgrind, instructions per span): the native sink's `encode` of a
//! default chat span (content off) 8.4k instead of 34.4k with
//! `span_to_row` + `serde_json` (`benches/export_encode.rs`, freeing the
//! spans included; 10.2k before the llm metadata went into slots); a
//! recorded chat span with two messages and one tool call 17.0k instead of
//! 56.3k (`benches/hot_paths.rs`; 18.9k before the slots).

use std::ops::Range;
use std::time::Duration;

use opentelemetry::Value;
use opentelemetry::trace::{SpanId, Status};
use opentelemetry_sdk::trace::SpanData;

use super::messages::{write_input, write_output};
use super::values::{as_str, error_text, since_epoch};
use super::{Attributes, Filed, Named, RowMetrics, SpanType, parse_or_text, policy};

pub(crate) mod json;

use json::{hex, write_f64, write_i64, write_json, write_rfc3339, write_str};

/// `context`, all but the instrumentation scope's name.
const CONTEXT: &str = concat!(
    r#","context":{"span_origin":{"name":""#,
    env!("CARGO_PKG_NAME"),
    r#"","version":""#,
    env!("CARGO_PKG_VERSION"),
    r#"","instrumentation":{"name":"#
);

/// A `metadata` value, borrowed from the span.
enum Meta<'a> {
    Attribute(Filed<'a>, &'a Value),
    Named(Named<'a>),
}

/// What the writers of a row (and of its parts) read first: one pass over
/// the attributes, and the `metadata` entries filed.
struct Prepared<'a> {
    span: &'a SpanData,
    attrs: Attributes<'a>,
    metadata: Metadata<'a>,
    span_type: SpanType,
    /// The span's start, from the epoch: one clock difference for
    /// `created` and `metrics.start`.
    start: Duration,
}

impl<'a> Prepared<'a> {
    /// Allocates only, on a row that is not an llm row, the metadata index.
    /// Inlined into its two callers, as `Attributes::read` is: returned
    /// through calls, the structs (the llm slots, the token counts) were
    /// copied, about 60 instructions per row (callgrind, native encode).
    #[inline(always)]
    fn read(span: &'a SpanData) -> Self {
        // The row's type first (the last `gen_ai.operation.name`, as
        // `Attributes::read` keeps it), so an llm row's metadata can go
        // straight into its slots below: about 90 instructions for this pass,
        // against about 500 for the index, its allocation and its sort
        // (callgrind, default chat span).
        let operation = span
            .attributes
            .iter()
            .rev()
            .find(|kv| kv.key.as_str() == crate::telemetry::semconv::GEN_AI_OPERATION_NAME)
            .and_then(|kv| as_str(&kv.value));
        let span_type = SpanType::from_operation(operation);
        let mut metadata = Metadata::new(span_type);
        let attrs = Attributes::read(span, |filed, value| {
            metadata.put(filed.key, Meta::Attribute(filed, value));
        });
        attrs.named_metadata(|key, value| metadata.put(key, Meta::Named(value)));
        debug_assert!(SpanType::from_operation(attrs.operation) == span_type);
        Prepared {
            span,
            attrs,
            metadata,
            span_type,
            start: since_epoch(span.start_time),
        }
    }

    /// `span_attributes`: `{"name":...,"type":...}`.
    fn write_span_attributes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(br#"{"name":"#);
        write_str(out, &self.span.name);
        out.extend_from_slice(match self.span_type {
            SpanType::Llm => br#","type":"llm"}"#,
            SpanType::Tool => br#","type":"tool"}"#,
            SpanType::Task => br#","type":"task"}"#,
        });
    }

    /// `input`; `false` (nothing written) when the row has none. Only
    /// GenAI spans (with an operation name) read their content.
    fn write_input(&self, out: &mut Vec<u8>) -> bool {
        if self.attrs.is_embeddings() {
            return write_embeddings_part(self.attrs.embeddings_input(), out);
        }
        self.attrs.operation.is_some() && write_input(self.span, self.attrs.input_messages, out)
    }

    /// `output`, as [`Self::write_input`].
    fn write_output(&self, out: &mut Vec<u8>) -> bool {
        if self.attrs.is_embeddings() {
            return write_embeddings_part(self.attrs.embeddings_output(), out);
        }
        self.attrs.operation.is_some() && write_output(self.span, self.attrs.output_messages, out)
    }

    /// `metrics`: `{...}`.
    fn write_metrics(&self, out: &mut Vec<u8>) {
        write_metrics(
            &self.attrs.metrics_from(self.start.as_secs_f64(), self.span),
            out,
        );
    }
}

/// Appends the embeddings row's `input` or `output`, built by the same
/// functions as [`span_to_row`](super::span_to_row)'s; `false` without one.
fn write_embeddings_part(value: Option<serde_json::Value>, out: &mut Vec<u8>) -> bool {
    value.is_some_and(|value| {
        write_json(out, &value);
        true
    })
}

/// Appends `,"{key}":` and the value `write` appends; nothing at all when
/// it appends none (returns `false`).
fn keyed(out: &mut Vec<u8>, key: &[u8], write: impl FnOnce(&mut Vec<u8>) -> bool) {
    let mark = out.len();
    out.extend_from_slice(key);
    if !write(out) {
        out.truncate(mark);
    }
}

/// Appends the row of `span` (the JSON of `serde_json::to_vec(&span_to_row(span))`)
/// to `out`. Never fails; allocates only what the recorded content needs
/// (and, on a row that is not an llm row, the metadata index).
pub(crate) fn write_row(span: &SpanData, out: &mut Vec<u8>) {
    let mut row = Prepared::read(span);
    let trace_id: [u8; 32] = hex(span.span_context.trace_id().to_bytes());
    let span_id: [u8; 16] = hex(span.span_context.span_id().to_bytes());
    // A default chat row is about 700 bytes: no growing on the way.
    out.reserve(1024);
    out.extend_from_slice(br#"{"id":""#);
    out.extend_from_slice(&trace_id);
    out.push(b'-');
    out.extend_from_slice(&span_id);
    out.extend_from_slice(br#"","span_id":""#);
    out.extend_from_slice(&span_id);
    out.extend_from_slice(br#"","root_span_id":""#);
    out.extend_from_slice(&trace_id);
    out.push(b'"');
    if span.parent_span_id != SpanId::INVALID {
        let parent: [u8; 16] = hex(span.parent_span_id.to_bytes());
        out.extend_from_slice(br#","span_parents":[""#);
        out.extend_from_slice(&parent);
        out.extend_from_slice(br#""]"#);
    }
    out.extend_from_slice(br#","created":"#);
    write_rfc3339(out, row.start);
    out.extend_from_slice(br#","span_attributes":"#);
    row.write_span_attributes(out);
    keyed(out, br#","input":"#, |out| row.write_input(out));
    keyed(out, br#","output":"#, |out| row.write_output(out));
    out.extend_from_slice(br#","metadata":"#);
    row.metadata.write(out);
    out.extend_from_slice(br#","metrics":"#);
    row.write_metrics(out);
    if let Status::Error { description } = &span.status {
        out.extend_from_slice(br#","error":"#);
        write_str(out, &error_text(span, row.attrs.error_type, description));
    }
    out.extend_from_slice(CONTEXT.as_bytes());
    write_str(out, span.instrumentation_scope.name());
    out.extend_from_slice(b"}}}}");
}

/// A part of a row that the OTLP path sends as a span attribute of its own;
/// `part as usize` is its place in [`RowPart::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowPart {
    /// `span_attributes`.
    SpanAttributes,
    /// `input`, when the row has one.
    Input,
    /// `output`, when the row has one.
    Output,
    /// `metadata`.
    Metadata,
    /// `metrics`.
    Metrics,
}

impl RowPart {
    /// Every part, in the order [`write_row_parts`] writes them.
    pub(crate) const ALL: [RowPart; 5] = [
        RowPart::SpanAttributes,
        RowPart::Input,
        RowPart::Output,
        RowPart::Metadata,
        RowPart::Metrics,
    ];
}

/// Where [`write_row_parts`] put each part in its buffer: indexed as
/// [`RowPart::ALL`], `None` for a part the row does not have.
pub(crate) type RowParts = [Option<Range<usize>>; 5];

/// Appends the parts of the row of `span` that the Braintrust OTLP path
/// carries as attributes to `out`, one after the other in the order of
/// [`RowPart::ALL`], and says where each is: each the same bytes as
/// `serde_json` gives for that field of [`span_to_row`](super::span_to_row),
/// written by the pieces [`write_row`] writes a row with. A row with no
/// input or output has no such part.
pub(crate) fn write_row_parts(span: &SpanData, out: &mut Vec<u8>) -> RowParts {
    let mut row = Prepared::read(span);
    let part = |out: &mut Vec<u8>, write: &mut dyn FnMut(&mut Vec<u8>) -> bool| {
        let start = out.len();
        write(out).then_some(start..out.len())
    };
    let span_attributes = part(out, &mut |out| {
        row.write_span_attributes(out);
        true
    });
    let input = part(out, &mut |out| row.write_input(out));
    let output = part(out, &mut |out| row.write_output(out));
    let metadata = part(out, &mut |out| {
        row.metadata.write(out);
        true
    });
    let metrics = part(out, &mut |out| {
        row.write_metrics(out);
        true
    });
    [span_attributes, input, output, metadata, metrics]
}

/// A row's `metadata` entries as they are filed, in attribute order then
/// the row's own (a later entry of a key replaces an earlier one, as in a
/// map filled in this order), written sorted by key.
// One lives on the stack for one row: boxing the slots would bring back
// the allocation they avoid.
#[allow(clippy::large_enum_variant)]
enum Metadata<'a> {
    /// An llm row: only the keys the data policy allows, each in its slot
    /// (its place among the allowed keys, which is its place in the sorted
    /// object), so the last entry of a key is the one kept and nothing is
    /// sorted or allocated.
    Llm([Option<(&'a str, Meta<'a>)>; policy::LLM_METADATA_SLOTS]),
    /// Any other row keeps every entry: sorted by key, stably, when written.
    Other(Vec<(&'a str, Meta<'a>)>),
}

impl<'a> Metadata<'a> {
    fn new(span_type: SpanType) -> Self {
        match span_type {
            SpanType::Llm => Metadata::Llm([const { None }; policy::LLM_METADATA_SLOTS]),
            SpanType::Tool | SpanType::Task => Metadata::Other(Vec::new()),
        }
    }

    fn put(&mut self, key: &'a str, value: Meta<'a>) {
        match self {
            Metadata::Llm(slots) => {
                if let Some(slot) = policy::llm_metadata_rank(key).and_then(|r| slots.get_mut(r)) {
                    *slot = Some((key, value));
                }
            }
            Metadata::Other(entries) => entries.push((key, value)),
        }
    }

    /// `{...}`. Sorts the index of a row that is not an llm row in place.
    fn write(&mut self, out: &mut Vec<u8>) {
        out.push(b'{');
        let mut first = true;
        let mut entry = |out: &mut Vec<u8>, key: &str, value: &Meta<'_>, plain_key: bool| {
            if !first {
                out.push(b',');
            }
            first = false;
            if plain_key {
                out.push(b'"');
                out.extend_from_slice(key.as_bytes());
                out.extend_from_slice(b"\":");
            } else {
                write_str(out, key);
                out.push(b':');
            }
            write_meta(value, out);
        };
        match self {
            // The allowed keys need no escaping (`policy`'s test).
            Metadata::Llm(slots) => {
                for (key, value) in slots.iter().flatten() {
                    entry(out, key, value, true);
                }
            }
            Metadata::Other(entries) => {
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (i, (key, value)) in entries.iter().enumerate() {
                    let replaced = entries.get(i + 1).is_some_and(|(next, _)| next == key);
                    if !replaced {
                        entry(out, key, value, false);
                    }
                }
            }
        }
        out.push(b'}');
    }
}

/// One `metadata` value.
fn write_meta(value: &Meta<'_>, out: &mut Vec<u8>) {
    match value {
        Meta::Attribute(filed, value) => match filed.param_json(value) {
            // JSON-valued parameters (`tool_choice`, `response_format`).
            Some(json) => write_json(out, &json),
            None => write_value(value, out),
        },
        Meta::Named(Named::Text(text)) => write_str(out, text),
        Meta::Named(Named::Tools(tools)) => write_json(
            out,
            &crate::telemetry::tool_definitions_to_wire(parse_or_text(tools)),
        ),
    }
}

/// An attribute value as `values::value_to_json` makes it.
fn write_value(value: &Value, out: &mut Vec<u8>) {
    use opentelemetry::Array;
    fn list<T>(out: &mut Vec<u8>, items: &[T], mut item: impl FnMut(&mut Vec<u8>, &T)) {
        out.push(b'[');
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item(out, x);
        }
        out.push(b']');
    }
    let bool_text = |b: bool| if b { &b"true"[..] } else { &b"false"[..] };
    match value {
        Value::Bool(b) => out.extend_from_slice(bool_text(*b)),
        Value::I64(n) => write_i64(out, *n),
        Value::F64(f) => write_f64(out, *f),
        Value::String(s) => write_str(out, s.as_str()),
        Value::Array(Array::Bool(v)) => list(out, v, |o, b| o.extend_from_slice(bool_text(*b))),
        Value::Array(Array::I64(v)) => list(out, v, |o, n| write_i64(o, *n)),
        Value::Array(Array::F64(v)) => list(out, v, |o, f| write_f64(o, *f)),
        Value::Array(Array::String(v)) => list(out, v, |o, s| write_str(o, s.as_str())),
        // Future value kinds: their text, as the row keeps it.
        other => write_str(out, &other.to_string()),
    }
}

/// `metrics` as `RowMetrics` serializes (fields in order, `None` left out).
fn write_metrics(metrics: &RowMetrics, out: &mut Vec<u8>) {
    out.extend_from_slice(br#"{"start":"#);
    write_f64(out, metrics.start);
    out.extend_from_slice(br#","end":"#);
    write_f64(out, metrics.end);
    let counts = [
        (&br#","prompt_tokens":"#[..], metrics.prompt_tokens),
        (br#","completion_tokens":"#, metrics.completion_tokens),
        (br#","tokens":"#, metrics.tokens),
        (br#","prompt_cached_tokens":"#, metrics.prompt_cached_tokens),
        (
            br#","prompt_cache_creation_tokens":"#,
            metrics.prompt_cache_creation_tokens,
        ),
        (
            br#","completion_reasoning_tokens":"#,
            metrics.completion_reasoning_tokens,
        ),
    ];
    for (key, count) in counts {
        if let Some(n) = count {
            out.extend_from_slice(key);
            write_i64(out, n);
        }
    }
    if let Some(seconds) = metrics.time_to_first_token {
        out.extend_from_slice(br#","time_to_first_token":"#);
        write_f64(out, seconds);
    }
    out.push(b'}');
}

#[cfg(test)]
pub(crate) mod corpus;
#[cfg(test)]
mod tests;
