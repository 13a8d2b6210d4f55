//! The pipeline's `tracing` layer: which `tracing` data it exports and with
//! which bookkeeping attributes.
//!
//! A service's `tracing` subscriber sees everything its libraries emit: the
//! HTTP stack's per-request spans, OpenTelemetry's own diagnostics, every
//! library's DEBUG and TRACE events (axum's `axum::rejection` event quotes
//! the rejected body). Exported as span events they would leave the process
//! whatever the content-recording setting says, so the layer keeps:
//!
//! - spans of every level, except those of the HTTP stack (`HTTP_INTERNAL_TARGETS`) and of
//!   OpenTelemetry itself: dropping a span would turn its children (the
//!   client's `chat` spans, say) into roots of traces of their own, which is
//!   why a level does not filter spans;
//! - events at [`event level`](super::PipelineBuilder::with_event_level) or
//!   more severe (INFO by default, `AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL`),
//!   again except those of the silenced targets.
//!
//! A target is silenced when it is one of those crates or one of its modules
//! (`hyper` or `hyper::proto`), never another crate sharing the prefix:
//! `tower` silences `tower::buffer` but not `tower_http::trace`, whose request
//! spans are the parents a service's traces hang from.

use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Filter};

use super::SetupError;

/// Events below this level are not exported by the pipeline's `tracing`
/// layer: `error`, `warn`, `info` (the default), `debug`, `trace` or `off`
/// (no events). Beaten by
/// [`PipelineBuilder::with_event_level`](super::PipelineBuilder::with_event_level).
/// Spans are kept at every level (see [`TracingFilter`]).
pub(crate) const AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL: &str = "AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL";

/// The least severe event level exported when neither code nor
/// `AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL` says otherwise.
pub(crate) const DEFAULT_EVENT_LEVEL: LevelFilter = LevelFilter::INFO;

/// Targets of the HTTP and TLS libraries under our clients and exporters.
/// Their `tracing` spans (h2 opens several per request at debug and trace
/// level) would otherwise become exported spans, and Braintrust `task`
/// rows, in every trace: the layer drops them and their events. Each entry
/// silences that crate and its modules only (`hyper`, `hyper::...`), not
/// other crates whose names start the same (`tower` is not `tower_http`).
/// OpenTelemetry's own crates (`opentelemetry`, `opentelemetry-sdk`,
/// `opentelemetry_otlp`, ...) are silenced too, as OpenTelemetry Rust
/// advises for its self-diagnostics.
pub(crate) const HTTP_INTERNAL_TARGETS: &[&str] = &[
    "h2",
    "hyper",
    "hyper_util",
    "reqwest",
    "rustls",
    "tonic",
    "tower",
];

/// The per-layer filter of the pipeline's `tracing` layer ([`TracingLayer`](super::TracingLayer)):
/// spans of every level and events at the configured level or more severe,
/// except those of the HTTP stack and OpenTelemetry's crates
/// (see the [module docs](super#the-tracing-layer)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TracingFilter {
    event_level: LevelFilter,
}

impl TracingFilter {
    /// A filter exporting events at `event_level` or more severe.
    pub fn new(event_level: LevelFilter) -> Self {
        TracingFilter { event_level }
    }

    /// The least severe event level exported.
    pub fn event_level(&self) -> LevelFilter {
        self.event_level
    }

    /// Whether the layer exports spans or events of this callsite.
    pub fn admits(&self, meta: &Metadata<'_>) -> bool {
        !is_silenced(meta.target()) && (meta.is_span() || *meta.level() <= self.event_level)
    }
}

impl<S: Subscriber> Filter<S> for TracingFilter {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        self.admits(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        // Decided by the callsite's static metadata alone, so cache it.
        if self.admits(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }
}

/// Whether `target` belongs to a silenced crate.
fn is_silenced(target: &str) -> bool {
    HTTP_INTERNAL_TARGETS
        .iter()
        .any(|krate| within_crate(target, krate))
        || is_opentelemetry(target)
}

/// `target` is `krate` or one of its modules (`krate::...`).
fn within_crate(target: &str, krate: &str) -> bool {
    target
        .strip_prefix(krate)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// OpenTelemetry's crates log under their package names
/// (`opentelemetry-sdk`, `opentelemetry-otlp`) or module paths
/// (`opentelemetry_sdk::metrics`).
fn is_opentelemetry(target: &str) -> bool {
    within_crate(target, "opentelemetry")
        || target.starts_with("opentelemetry-")
        || target.starts_with("opentelemetry_")
}

/// What the layer exports and adds, as `install` resolved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LayerSettings {
    pub(super) filter: TracingFilter,
    /// tracing-opentelemetry's `target`, `busy_ns`/`idle_ns`, `code.*` and
    /// `thread.*` span attributes.
    pub(super) bookkeeping: bool,
}

impl Default for LayerSettings {
    fn default() -> Self {
        LayerSettings {
            filter: TracingFilter::new(DEFAULT_EVENT_LEVEL),
            bookkeeping: false,
        }
    }
}

/// The event level: code, else `AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL`, else
/// [`DEFAULT_EVENT_LEVEL`]. A variable that names no level is an error
/// naming it (a typo must not export DEBUG events, or none).
pub(super) fn resolve_event_level(
    code: Option<LevelFilter>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LevelFilter, SetupError> {
    if let Some(level) = code {
        return Ok(level);
    }
    match env(AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL).filter(|v| !v.trim().is_empty()) {
        None => Ok(DEFAULT_EVENT_LEVEL),
        Some(value) => {
            value
                .trim()
                .parse::<LevelFilter>()
                .map_err(|_| SetupError::InvalidEventLevel {
                    variable: AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL,
                    value,
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crate_is_silenced_with_its_modules_only() {
        for target in [
            "tower",
            "tower::buffer",
            "hyper",
            "hyper::proto::h1",
            "hyper_util::client",
            "h2::codec",
            "opentelemetry",
            "opentelemetry-sdk",
            "opentelemetry_sdk::metrics",
            "opentelemetry-otlp",
        ] {
            assert!(is_silenced(target), "{target}");
        }
        for target in [
            "tower_http::trace::make_span",
            "towerdb",
            "hyperion",
            "h2o::server",
            "reqwestor",
            "rustls_pemfile_user",
            "my_service",
            "tracing_opentelemetry",
        ] {
            assert!(!is_silenced(target), "{target}");
        }
    }

    #[test]
    fn event_level_code_beats_variable_beats_default() {
        let none = |_: &str| None;
        let debug =
            |name: &str| (name == AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL).then(|| "debug".into());
        assert_eq!(
            resolve_event_level(None, &none).ok(),
            Some(LevelFilter::INFO)
        );
        assert_eq!(
            resolve_event_level(None, &debug).ok(),
            Some(LevelFilter::DEBUG)
        );
        assert_eq!(
            resolve_event_level(Some(LevelFilter::WARN), &debug).ok(),
            Some(LevelFilter::WARN)
        );
        let blank = |_: &str| Some("  ".to_owned());
        assert_eq!(
            resolve_event_level(None, &blank).ok(),
            Some(LevelFilter::INFO)
        );
        let off = |_: &str| Some("OFF".to_owned());
        assert_eq!(resolve_event_level(None, &off).ok(), Some(LevelFilter::OFF));
    }

    #[test]
    fn an_unknown_level_names_the_variable_and_value() {
        let typo = |_: &str| Some("verbose".to_owned());
        let err = resolve_event_level(None, &typo).expect_err("not a level");
        let msg = err.to_string();
        assert!(
            msg.contains(AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL) && msg.contains("verbose"),
            "{msg}"
        );
    }
}
