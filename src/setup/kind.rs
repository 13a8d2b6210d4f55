//! Exporter kinds and their parsing from `stdout,otlp`-style lists.

use std::fmt;
use std::str::FromStr;

/// Where spans (and, for some kinds, metrics) go. Several kinds can be
/// combined: each gets its own delivery processor, so a slow one never holds
/// back the others.
///
/// | kind | name | spans | metrics |
/// |---|---|---|---|
/// | [`Stdout`](Self::Stdout) | `stdout` | printed by `opentelemetry-stdout` (feature `stdout`) | printed |
/// | [`Otlp`](Self::Otlp) | `otlp` | OTLP to any collector ([`exporters::otlp`](crate::exporters::otlp)) | OTLP |
/// | [`Braintrust`](Self::Braintrust) | `braintrust` | Braintrust's REST API | none |
/// | [`BraintrustOtlp`](Self::BraintrustOtlp) | `braintrust-otlp` | Braintrust's OTLP endpoint | none |
/// | [`None`](Self::None) | `none` | nowhere | none |
///
/// Names are matched without regard to case, and `_` may stand for `-`.
///
/// Every kind exists in every build, but [`Stdout`](Self::Stdout) works only
/// with the crate feature `stdout` (on by default): without it the name
/// `stdout` in a list is an [`UnknownExporterKind`] that says which feature
/// is missing, and installing it from code fails with
/// [`SetupError::FeatureDisabled`](super::SetupError::FeatureDisabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExporterKind {
    /// Human-readable dump on standard output, for development: only when
    /// asked for (it would mix into a service's own output), never a default.
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

    /// The crate feature this kind needs when this build does not enable it.
    pub const fn missing_feature(self) -> Option<&'static str> {
        match self {
            ExporterKind::Stdout if !cfg!(feature = "stdout") => Some("stdout"),
            _ => None,
        }
    }

    /// Parses a comma-separated list such as `"stdout, otlp"`. Blank entries
    /// are skipped and repeated kinds kept once (in first-seen order), so a
    /// kind never exports twice. The first unknown name, or a kind this build
    /// lacks the feature for, is an error.
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
        let unknown = |missing_feature| UnknownExporterKind {
            name: s.trim().to_owned(),
            missing_feature,
        };
        let kind = ExporterKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| unknown(None))?;
        match kind.missing_feature() {
            Some(feature) => Err(unknown(Some(feature))),
            None => Ok(kind),
        }
    }
}

/// A name in an exporter list is not one of the known kinds, or names a
/// kind this build lacks the crate feature for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownExporterKind {
    name: String,
    missing_feature: Option<&'static str>,
}

impl fmt::Display for UnknownExporterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.missing_feature {
            Some(feature) => write!(
                f,
                "exporter `{}` needs the crate feature `{feature}`, which this build of {} does not enable",
                self.name,
                env!("CARGO_PKG_NAME"),
            ),
            None => write!(
                f,
                "unknown exporter `{}`; expected a comma-separated list of: stdout, otlp, braintrust, braintrust-otlp, none",
                self.name
            ),
        }
    }
}

impl std::error::Error for UnknownExporterKind {}

impl UnknownExporterKind {
    /// The name that was not recognised.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The crate feature the named kind needs, when the name is known but
    /// this build does not enable that feature.
    pub fn missing_feature(&self) -> Option<&'static str> {
        self.missing_feature
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ExporterKind::ALL
            .into_iter()
            .filter(|k| k.missing_feature().is_none())
        {
            assert_eq!(kind.name().parse::<ExporterKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!("Braintrust_OTLP".parse(), Ok(ExporterKind::BraintrustOtlp));
    }

    #[test]
    fn lists_parse_dedupe_and_skip_blanks() {
        assert_eq!(
            ExporterKind::parse_list(" braintrust, otlp ,,OTLP"),
            Ok(vec![ExporterKind::Braintrust, ExporterKind::Otlp])
        );
        assert_eq!(ExporterKind::parse_list(""), Ok(vec![]));
    }

    #[cfg(feature = "stdout")]
    #[test]
    fn stdout_is_available_with_its_feature() {
        assert_eq!(ExporterKind::Stdout.missing_feature(), None);
    }

    #[cfg(not(feature = "stdout"))]
    #[test]
    fn stdout_without_its_feature_names_the_feature() {
        let err = ExporterKind::parse_list("otlp, stdout").expect_err("no stdout feature");
        assert_eq!(
            (err.name(), err.missing_feature()),
            ("stdout", Some("stdout"))
        );
        assert!(err.to_string().contains("crate feature `stdout`"), "{err}");
    }

    #[test]
    fn unknown_names_are_named_with_the_alternatives() {
        let err = ExporterKind::parse_list("otlp,jaeger").expect_err("jaeger is unknown");
        assert_eq!(err.name(), "jaeger");
        assert_eq!(err.missing_feature(), None);
        let msg = err.to_string();
        assert!(
            msg.contains("`jaeger`") && msg.contains("braintrust-otlp"),
            "{msg}"
        );
    }
}
