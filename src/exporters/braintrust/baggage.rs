//! Distributed parents (Braintrust's `distributed-tracing` feature): an
//! incoming `baggage: braintrust.parent=<parent>` routes the rows of that
//! trace to that project or experiment.
//!
//! The pipeline ([`setup`](crate::setup)) propagates W3C `traceparent` and
//! `baggage`, so a service started under an incoming request's context
//! carries the baggage on every span it starts, and the crate's clients
//! inject it into their outgoing requests (with the global propagator).
//! [`BraintrustParentProcessor`] records the baggage entry on each span as
//! it starts, as the [`BRAINTRUST_PARENT`](semconv::BRAINTRUST_PARENT)
//! attribute; the native exporter sends the rows of such spans to that
//! parent, and the OTLP exporter leaves the attribute for Braintrust to
//! route by (it beats the `x-bt-parent` header).

use std::time::Duration;

use opentelemetry::baggage::BaggageExt as _;
use opentelemetry::trace::Span as _;
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use super::config::Parent;
use crate::telemetry::semconv;

/// Longest baggage value taken as a parent; longer ones are ignored.
const MAX_PARENT_LEN: usize = 1024;

/// A span processor that copies the current context's
/// `braintrust.parent` baggage entry onto each span at start (see the
/// module docs). Values that are not a valid parent (`project_id:<uuid>`,
/// `project_name:<name>`, `experiment_id:<uuid>`) or longer than 1 KiB are
/// ignored: the span then goes to the exporter's own parent.
///
/// [`setup`](crate::setup) installs it when a Braintrust exporter is
/// configured; with a provider of your own, add it with
/// `SdkTracerProvider::builder().with_span_processor(BraintrustParentProcessor)`.
/// It never blocks and holds no state.
#[derive(Debug, Default, Clone, Copy)]
pub struct BraintrustParentProcessor;

/// The parent named by `cx`'s baggage, when it names a valid one.
pub fn baggage_parent(cx: &Context) -> Option<Parent> {
    let value = cx.baggage().get(semconv::BRAINTRUST_PARENT)?;
    let text = value.as_str();
    if text.is_empty() || text.len() > MAX_PARENT_LEN {
        return None;
    }
    text.parse().ok()
}

impl SpanProcessor for BraintrustParentProcessor {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        if let Some(parent) = baggage_parent(cx) {
            span.set_attribute(KeyValue::new(
                semconv::BRAINTRUST_PARENT,
                parent.to_string(),
            ));
        }
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_parents_are_taken() {
        let with = |v: &str| {
            Context::new().with_baggage([KeyValue::new(semconv::BRAINTRUST_PARENT, v.to_owned())])
        };
        assert_eq!(
            baggage_parent(&with("project_name:Café a,b")),
            Some(Parent::ProjectName("Café a,b".to_owned()))
        );
        assert_eq!(baggage_parent(&with("project_id:12345")), None);
        assert_eq!(baggage_parent(&with("")), None);
        assert_eq!(baggage_parent(&Context::new()), None);
    }
}
