//! Finished spans, kept in memory and drawn as a tree for a terminal.
//!
//! Shared by `azinfer` (its `stdout` exporter) and `examples/quickstart.rs`
//! (which includes this file with `#[path]`), so it only uses the library's
//! public API and the OpenTelemetry crates.
//!
//! ```text
//! quickstart  41.2 ms
//! ├─ chat gpt-4o-mini  12.9 ms  model=gpt-4o-mini-2024-07-18  tokens 9 in / 12 out  finish=stop
//! └─ chat gpt-4o-mini  1.1 ms  ERROR 429: HTTP 429 (RateLimitExceeded)
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::trace::{SpanId, Status};
use opentelemetry::{Array, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// A span exporter that keeps every finished span in memory. Clones share
/// the same spans; read them with [`spans`](Self::spans) once the pipeline
/// has been flushed or shut down.
#[derive(Debug, Clone, Default)]
pub struct SpanCollector {
    spans: Arc<Mutex<Vec<SpanData>>>,
}

impl SpanCollector {
    /// Every span exported so far, in export order.
    pub fn spans(&self) -> Vec<SpanData> {
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl SpanExporter for SpanCollector {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(batch);
        std::future::ready(Ok(()))
    }
}

/// Draws `spans` as a tree, one line per span: children indented under their
/// parent and ordered by start time. A span whose parent is not among
/// `spans` (a remote parent, or one not exported yet) is drawn as a root.
///
/// Each line shows the name and duration, then what is known of: the model
/// (the response's, else the request's), token usage, finish reasons, time
/// to the first streamed chunk, and the error (`error.type` and the status
/// description).
pub fn render_tree(spans: &[SpanData]) -> String {
    let ids: HashMap<SpanId, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_context.span_id(), i))
        .collect();
    let mut children: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    for (i, span) in spans.iter().enumerate() {
        let parent = ids.get(&span.parent_span_id).copied().filter(|&p| p != i);
        children.entry(parent).or_default().push(i);
    }
    for list in children.values_mut() {
        list.sort_by_key(|&i| spans[i].start_time);
    }

    let mut lines = Vec::with_capacity(spans.len());
    let mut stack: Vec<(usize, String, String)> = Vec::new();
    push_children(&children, None, "", &mut stack);
    while let Some((i, branch, indent)) = stack.pop() {
        lines.push((format!("{branch}{}", spans[i].name), describe(&spans[i])));
        push_children(&children, Some(i), &indent, &mut stack);
    }

    let width = lines
        .iter()
        .map(|(head, _)| head.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (head, details) in lines {
        let pad = width - head.chars().count();
        let _ = writeln!(out, "{head}{:pad$}  {details}", "");
    }
    out
}

/// Pushes the children of `parent` on the stack so that they pop in start
/// order, each with its branch glyph and the indent of its own children.
fn push_children(
    children: &HashMap<Option<usize>, Vec<usize>>,
    parent: Option<usize>,
    indent: &str,
    stack: &mut Vec<(usize, String, String)>,
) {
    let Some(list) = children.get(&parent) else {
        return;
    };
    for (n, &child) in list.iter().enumerate().rev() {
        let (branch, next) = match (parent, n + 1 == list.len()) {
            (None, _) => (String::new(), String::new()),
            (Some(_), true) => (format!("{indent}└─ "), format!("{indent}   ")),
            (Some(_), false) => (format!("{indent}├─ "), format!("{indent}│  ")),
        };
        stack.push((child, branch, next));
    }
}

/// Duration, model, tokens, finish reasons, first chunk and error of one span.
fn describe(span: &SpanData) -> String {
    let attr = |key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    };
    let int = |key: &str| match attr(key) {
        Some(Value::I64(v)) => Some(*v),
        _ => None,
    };

    let mut parts = vec![duration(
        span.end_time
            .duration_since(span.start_time)
            .unwrap_or_default(),
    )];
    if let Some(model) = attr("gen_ai.response.model").or_else(|| attr("gen_ai.request.model")) {
        parts.push(format!("model={}", model.as_str()));
    }
    match (
        int("gen_ai.usage.input_tokens"),
        int("gen_ai.usage.output_tokens"),
    ) {
        (Some(input), Some(output)) => parts.push(format!("tokens {input} in / {output} out")),
        (Some(input), None) => parts.push(format!("tokens {input} in")),
        (None, Some(output)) => parts.push(format!("tokens {output} out")),
        (None, None) => {}
    }
    if let Some(Value::Array(Array::String(reasons))) = attr("gen_ai.response.finish_reasons")
        && !reasons.is_empty()
    {
        let reasons: Vec<&str> = reasons.iter().map(|r| r.as_str()).collect();
        parts.push(format!("finish={}", reasons.join(",")));
    }
    if let Some(Value::F64(seconds)) = attr("gen_ai.response.time_to_first_chunk")
        && let Ok(ttfc) = Duration::try_from_secs_f64(*seconds)
    {
        parts.push(format!("first chunk {}", duration(ttfc)));
    }
    if let Status::Error { description } = &span.status {
        let error = match attr("error.type") {
            Some(kind) if description.is_empty() => format!("ERROR {}", kind.as_str()),
            Some(kind) => format!("ERROR {}: {description}", kind.as_str()),
            None => format!("ERROR {description}"),
        };
        parts.push(error);
    }
    parts.join("  ")
}

/// `0.42 ms`, `12.3 ms`, `1.52 s`.
fn duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, SpanKind, TraceFlags, TraceId, TraceState};
    use opentelemetry::{InstrumentationScope, KeyValue};
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use std::time::SystemTime;

    fn span(
        id: u64,
        parent: u64,
        name: &'static str,
        start_ms: u64,
        attrs: Vec<KeyValue>,
    ) -> SpanData {
        let start = SystemTime::UNIX_EPOCH + Duration::from_millis(start_ms);
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(1u128),
                SpanId::from(id),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: SpanId::from(parent),
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: name.into(),
            start_time: start,
            end_time: start + Duration::from_millis(5),
            attributes: attrs,
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("test").build(),
        }
    }

    #[test]
    fn children_are_indented_in_start_order() {
        let mut failed = span(4, 1, "chat m", 30, vec![KeyValue::new("error.type", "429")]);
        failed.status = Status::error("HTTP 429");
        let spans = vec![
            span(3, 2, "inner", 12, vec![]),
            failed,
            span(
                2,
                1,
                "chat m",
                10,
                vec![
                    KeyValue::new("gen_ai.response.model", "m-1"),
                    KeyValue::new("gen_ai.usage.input_tokens", 3i64),
                    KeyValue::new("gen_ai.usage.output_tokens", 7i64),
                    KeyValue::new(
                        "gen_ai.response.finish_reasons",
                        Value::Array(Array::String(vec!["stop".into()])),
                    ),
                ],
            ),
            span(1, 0, "root", 0, vec![]),
        ];
        let tree = render_tree(&spans);
        let lines: Vec<&str> = tree.lines().collect();
        assert_eq!(lines.len(), 4, "{tree}");
        assert!(lines[0].starts_with("root "), "{tree}");
        assert!(lines[1].starts_with("├─ chat m "), "{tree}");
        assert!(
            lines[1].contains("model=m-1")
                && lines[1].contains("tokens 3 in / 7 out")
                && lines[1].contains("finish=stop"),
            "{tree}"
        );
        assert!(lines[2].starts_with("│  └─ inner "), "{tree}");
        assert!(lines[3].starts_with("└─ chat m "), "{tree}");
        assert!(lines[3].contains("ERROR 429: HTTP 429"), "{tree}");
        // The details start in one column.
        let column = |line: &str| line.find("5.0 ms").map(|at| line[..at].chars().count());
        assert!(column(lines[0]).is_some(), "{tree}");
        assert!(
            lines.iter().all(|l| column(l) == column(lines[0])),
            "{tree}"
        );
    }

    #[test]
    fn a_span_without_its_parent_is_a_root() {
        let tree = render_tree(&[span(2, 9, "orphan", 0, vec![])]);
        assert!(tree.starts_with("orphan "), "{tree}");
    }
}
