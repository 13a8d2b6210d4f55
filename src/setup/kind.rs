//! Exporter kinds and their parsing from `stdout,otlp`-style lists.

use std::fmt;
use std::str::FromStr;

/// Where spans (and, for some kinds, metrics) go. Several kinds can be
/// combined: each gets its own delivery processor, so a slow one never holds
/// back the others.
///
/// | kind | name | spans | metrics |
/// |---|---|---|---|
/// | [`Stdout`](Self::Stdout) | `stdout` | printed by `opentelemetry-stdout` | printed |
/// | [`Otlp`](Self::Otlp) | `otlp` | OTLP to any collector ([`exporters::otlp`](crate::exporters::otlp)) | OTLP |
/// | [`Braintrust`](Self::Braintrust) | `braintrust` | Braintrust's REST API | none |
/// | [`BraintrustOtlp`](Self::BraintrustOtlp) | `braintrust-otlp` | Braintrust's OTLP endpoint | none |
/// | [`None`](Self::None) | `none` | nowhere | none |
///
/// Names are matched without regard to case, and `_` may stand for `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExporterKind {
    /// Human-readable dump on standard output, for development.
    Stdout,
    /// OTLP to any collector, configured by the standard `OTEL_EXPORTER_OTLP_*`
    /// variables or by [`PipelineBuilder::with_otlp_config`](super::PipelineBuilder::with_otlp_config).
    Otlp,
    /// Braintrust's native REST API (`BRAINTRUST_*` variables).
    Braintrust,
    /// Braintrust's OTLP endpoint (`BRAINTRUST_*` variables).
    BraintrustOtlp,
    /// No exporter: spans are still created, so trace context still
    /// propagates, but they go nowhere. Combined with other kinds it adds nothing.
    None,
}

impl ExporterKind {
    /// Every kind, in the order of the table above.
    pub const ALL: [ExporterKind; 5] = [
        ExporterKind::Stdout,
        ExporterKind::Otlp,
        ExporterKind::Braintrust,
        ExporterKind::BraintrustOtlp,
        ExporterKind::None,
    ];

    /// The name used in lists (`stdout`, `otlp`, `braintrust`, `braintrust-otlp`, `none`).
    pub const fn name(self) -> &'static str {
        match self {
            ExporterKind::Stdout => "stdout",
            ExporterKind::Otlp => "otlp",
            ExporterKind::Braintrust => "braintrust",
            ExporterKind::BraintrustOtlp => "braintrust-otlp",
            ExporterKind::None => "none",
        }
    }

    /// Whether this kind also exports metrics (Braintrust takes spans only).
    pub const fn exports_metrics(self) -> bool {
        matches!(self, ExporterKind::Stdout | ExporterKind::Otlp)
    }

    /// Parses a comma-separated list such as `"stdout, otlp"`. Blank entries
    /// are skipped and repeated kinds kept once (in first-seen order), so a
    /// kind never exports twice. The first unknown name is an error.
    pub fn parse_list(list: &str) -> Result<Vec<ExporterKind>, UnknownExporterKind> {
        let mut kinds = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let kind = item.parse()?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        Ok(kinds)
    }
}

impl fmt::Display for ExporterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExporterKind {
    type Err = UnknownExporterKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('_', "-");
        ExporterKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| UnknownExporterKind {
                name: s.trim().to_owned(),
            })
    }
}

/// A name in an exporter list is not one of the known kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown exporter `{name}`; expected a comma-separated list of: stdout, otlp, braintrust, braintrust-otlp, none"
)]
pub struct UnknownExporterKind {
    name: String,
}

impl UnknownExporterKind {
    /// The name that was not recognised.
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ExporterKind::ALL {
            assert_eq!(kind.name().parse::<ExporterKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!("Braintrust_OTLP".parse(), Ok(ExporterKind::BraintrustOtlp));
    }

    #[test]
    fn lists_parse_dedupe_and_skip_blanks() {
        assert_eq!(
            ExporterKind::parse_list(" stdout, otlp ,,OTLP"),
            Ok(vec![ExporterKind::Stdout, ExporterKind::Otlp])
        );
        assert_eq!(ExporterKind::parse_list(""), Ok(vec![]));
    }

    #[test]
    fn unknown_names_are_named_with_the_alternatives() {
        let err = ExporterKind::parse_list("stdout,jaeger").expect_err("jaeger is unknown");
        assert_eq!(err.name(), "jaeger");
        let msg = err.to_string();
        assert!(
            msg.contains("`jaeger`") && msg.contains("braintrust-otlp"),
            "{msg}"
        );
    }
}
