//! The AI-span filter of Braintrust's `filter-ai-spans` feature: which
//! finished spans become rows.
//!
//! Decided when the exporter receives the span, that is after it ended, so
//! attributes set late (usage, response model) count. Order: a trace's
//! local root (no parent, or a remote parent) is always kept; then the
//! custom filter, when it decides; then, when the AI-span filter is on, the
//! attribute prefixes; otherwise the span is kept.

use std::fmt;
use std::sync::Arc;

use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::SpanData;

use super::options::SpanFilterFn;
use crate::telemetry::semconv;

pub(crate) use crate::telemetry::semconv::AI_ATTRIBUTE_PREFIXES;

/// `braintrust.` attributes that route a span rather than describe it: on
/// their own they do not make a span an AI span.
pub(crate) const SYSTEM_ATTRIBUTES: &[&str] = &[
    semconv::BRAINTRUST_PARENT,
    semconv::BRAINTRUST_ORG,
    semconv::BRAINTRUST_APP_URL,
];

/// Whether one of the span's attribute keys starts with one of
/// [`AI_ATTRIBUTE_PREFIXES`] (the [`SYSTEM_ATTRIBUTES`] aside).
pub(crate) fn is_ai_span(span: &SpanData) -> bool {
    span.attributes.iter().any(|kv| {
        let key = kv.key.as_str();
        AI_ATTRIBUTE_PREFIXES.iter().any(|p| key.starts_with(p))
            && !SYSTEM_ATTRIBUTES.contains(&key)
    })
}

/// Whether the span is its trace's root in this process: no parent, or a
/// parent from another process (a remote parent).
pub(crate) fn is_local_root(span: &SpanData) -> bool {
    span.parent_span_id == SpanId::INVALID || span.parent_span_is_remote
}

/// Which spans an exporter turns into rows (see the module docs).
#[derive(Clone, Default)]
pub(crate) struct SpanFilter {
    ai_only: bool,
    custom: Option<Arc<SpanFilterFn>>,
}

impl fmt::Debug for SpanFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanFilter")
            .field("ai_only", &self.ai_only)
            .field("custom", &self.custom.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

impl SpanFilter {
    pub(crate) fn new(ai_only: bool, custom: Option<Arc<SpanFilterFn>>) -> Self {
        SpanFilter { ai_only, custom }
    }

    pub(crate) fn ai_only(&self) -> bool {
        self.ai_only
    }

    /// Whether anything can be filtered out (a no-op filter costs nothing).
    pub(crate) fn is_active(&self) -> bool {
        self.ai_only || self.custom.is_some()
    }

    pub(crate) fn keeps(&self, span: &SpanData) -> bool {
        if is_local_root(span) {
            return true;
        }
        if let Some(decision) = self.custom.as_ref().and_then(|f| f(span)) {
            return decision;
        }
        !self.ai_only || is_ai_span(span)
    }

    /// Drops from `batch` the spans this filter does not keep.
    pub(crate) fn apply(&self, batch: &mut Vec<SpanData>) {
        if self.is_active() {
            batch.retain(|span| self.keeps(span));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::chat_span;
    use opentelemetry::KeyValue;

    fn child(keys: &[&'static str]) -> SpanData {
        chat_span(
            keys.iter().map(|k| KeyValue::new(*k, "v")).collect(),
            vec![],
        )
    }

    #[test]
    fn prefixes_decide_and_system_attributes_do_not_count() {
        let filter = SpanFilter::new(true, None);
        for key in [
            "gen_ai.system",
            "braintrust.metadata",
            "llm.model",
            "ai.prompt",
            "traceloop.x",
        ] {
            assert!(filter.keeps(&child(&[key])), "{key}");
        }
        for keys in [
            &["http.method"][..],
            &["zbraintrust.foo", "aix"],
            &[semconv::BRAINTRUST_PARENT, semconv::BRAINTRUST_ORG],
        ] {
            assert!(!filter.keeps(&child(keys)), "{keys:?}");
        }
    }

    #[test]
    fn local_roots_are_kept_and_the_custom_filter_comes_first() {
        let mut root = child(&["http.method"]);
        root.parent_span_id = SpanId::INVALID;
        let mut remote = child(&["http.method"]);
        remote.parent_span_is_remote = true;
        let never = SpanFilter::new(true, Some(Arc::new(|_: &SpanData| Some(false))));
        assert!(never.keeps(&root) && never.keeps(&remote));
        assert!(!never.keeps(&child(&["gen_ai.system"])));

        let http = SpanFilter::new(
            true,
            Some(Arc::new(|s: &SpanData| {
                s.attributes
                    .iter()
                    .any(|kv| kv.key.as_str() == "http.method")
                    .then_some(true)
            })),
        );
        assert!(http.keeps(&child(&["http.method"])));
        assert!(!http.keeps(&child(&["db.system"])));

        let off = SpanFilter::default();
        assert!(!off.is_active());
        assert!(off.keeps(&child(&["db.system"])));
    }
}
