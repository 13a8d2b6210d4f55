//! Distributed parents (Braintrust's `distributed-tracing` feature): an
//! incoming `baggage: braintrust.parent=<parent>` routes the rows of that
//! trace to that project or experiment.
//!
//! The pipeline ([`setup`](crate::setup)) propagates W3C `traceparent` and
//! `baggage`, so a service started under an incoming request's context
//! carries the baggage on every span it starts, and the crate's clients
//! inject it into their outgoing requests (with the global propagator).
//! [`BraintrustParentProcessor`] records the baggage entry on each span as
//! it starts, as the `BRAINTRUST_PARENT`
//! attribute; the native exporter sends the rows of such spans to that
//! parent, and the OTLP exporter leaves the attribute for Braintrust to
//! route by (it beats the `x-bt-parent` header).
//!
//! Baggage comes from whoever calls the service, so honouring it is an
//! explicit choice: [`BraintrustConfig::with_baggage_parents`](super::BraintrustConfig::with_baggage_parents)
//! names the parents (or prefixes of them) a caller may steer rows to
//! ([`BaggageParents`]). Without it the pipeline records no baggage parent
//! and every row goes to the configured parent. Projects are never created
//! from a baggage name unless [`BaggageParents::with_project_creation`]
//! says so, and when the native exporter already routes to its 64
//! distinct parents, rows for a further one go to the configured parent
//! rather than being lost.

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

/// Which `braintrust.parent` baggage values may steer where rows go.
///
/// ```
/// use azure_ai_inference_otel::exporters::braintrust::{BaggageParents, Parent};
///
/// let policy = BaggageParents::allow(["experiment_id:", "project_name:team-a-"]);
/// assert!(policy.admits(&Parent::ProjectName("team-a-evals".into())) == false); // no creation
/// let policy = policy.with_project_creation(true);
/// assert!(policy.admits(&Parent::ProjectName("team-a-evals".into())));
/// assert!(!policy.admits(&Parent::ProjectName("someone-else".into())));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaggageParents {
    /// Prefixes of the parent's text form (`project_id:…`,
    /// `project_name:…`, `experiment_id:…`); a whole parent is its own prefix.
    prefixes: Vec<String>,
    create_projects: bool,
}

impl BaggageParents {
    /// Admits the parents whose text form (`project_id:<uuid>`,
    /// `project_name:<name>`, `experiment_id:<uuid>`) starts with one of
    /// `prefixes`; `project_name:` ones only with
    /// [`with_project_creation`](Self::with_project_creation), since routing
    /// to a name creates the project when it does not exist.
    pub fn allow<I, S>(prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        BaggageParents {
            prefixes: prefixes.into_iter().map(Into::into).collect(),
            create_projects: false,
        }
    }

    /// Every valid parent (any caller may steer rows anywhere the key can
    /// write); still no project creation unless also asked for.
    pub fn any() -> Self {
        Self::allow([""])
    }

    /// Whether a baggage `project_name:` parent may be routed to (and so
    /// created when missing). Off by default.
    pub fn with_project_creation(mut self, create: bool) -> Self {
        self.create_projects = create;
        self
    }

    /// Whether rows may go to `parent` because baggage named it.
    pub fn admits(&self, parent: &Parent) -> bool {
        if matches!(parent, Parent::ProjectName(_)) && !self.create_projects {
            return false;
        }
        let text = parent.to_string();
        self.prefixes.iter().any(|p| text.starts_with(p.as_str()))
    }
}

/// The pipeline's processor: records the baggage parent when `policy`
/// admits it (one path with [`BraintrustParentProcessor`], which admits any).
#[derive(Debug, Clone)]
pub(crate) struct AdmittedParentProcessor(pub(crate) BaggageParents);

impl SpanProcessor for AdmittedParentProcessor {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        record_parent(span, cx, &self.0);
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

fn record_parent(span: &mut Span, cx: &Context, policy: &BaggageParents) {
    if let Some(parent) = baggage_parent(cx).filter(|p| policy.admits(p)) {
        span.set_attribute(KeyValue::new(
            semconv::BRAINTRUST_PARENT,
            parent.to_string(),
        ));
    }
}

/// A span processor that copies the current context's
/// `braintrust.parent` baggage entry onto each span at start (see the
/// module docs). Values that are not a valid parent (`project_id:<uuid>`,
/// `project_name:<name>`, `experiment_id:<uuid>`) or longer than 1 KiB are
/// ignored: the span then goes to the exporter's own parent.
///
/// It admits every valid parent and lets projects be created: adding it to
/// a provider of your own
/// (`SdkTracerProvider::builder().with_span_processor(BraintrustParentProcessor)`)
/// is the explicit choice to let callers steer rows. The pipeline
/// ([`setup`](crate::setup)) installs the same recording, limited to
/// [`BraintrustConfig::with_baggage_parents`](super::BraintrustConfig::with_baggage_parents),
/// and only when that is set. It never blocks and holds no state.
#[derive(Debug, Default, Clone, Copy)]
pub struct BraintrustParentProcessor;

/// The parent named by `cx`'s baggage, when it names a valid one.
pub(crate) fn baggage_parent(cx: &Context) -> Option<Parent> {
    let value = cx.baggage().get(semconv::BRAINTRUST_PARENT)?;
    let text = value.as_str();
    if text.is_empty() || text.len() > MAX_PARENT_LEN {
        return None;
    }
    text.parse().ok()
}

impl SpanProcessor for BraintrustParentProcessor {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        static ANY: std::sync::LazyLock<BaggageParents> =
            std::sync::LazyLock::new(|| BaggageParents::any().with_project_creation(true));
        record_parent(span, cx, &ANY);
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
