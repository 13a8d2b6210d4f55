//! Exporter kinds and their parsing from `stdout,otlp`-style lists.

use std::fmt;
use std::str::FromStr;

use super::SetupError;

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
/// with the crate feature `stdout` (off by default): without it, naming it
/// in a list or installing it from code fails with
/// [`SetupError::FeatureDisabled`](super::SetupError::FeatureDisabled), which
/// says which feature is missing.
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
    pub fn parse_list(list: &str) -> Result<Vec<ExporterKind>, SetupError> {
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
    type Err = SetupError;

    /// A kind by name (any case, `_` for `-`): an unknown name is
    /// [`SetupError::InvalidExporterList`], a kind this build lacks the
    /// crate feature for [`SetupError::FeatureDisabled`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('_', "-");
        let kind = ExporterKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| SetupError::InvalidExporterList {
                variable: None,
                name: s.trim().to_owned(),
            })?;
        match kind.missing_feature() {
            Some(feature) => Err(SetupError::FeatureDisabled { kind, feature }),
            None => Ok(kind),
        }
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
            assert_eq!(kind.name().parse::<ExporterKind>().ok(), Some(kind));
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(
            "Braintrust_OTLP".parse::<ExporterKind>().ok(),
            Some(ExporterKind::BraintrustOtlp)
        );
    }

    #[test]
    fn lists_parse_dedupe_and_skip_blanks() {
        assert_eq!(
            ExporterKind::parse_list(" braintrust, otlp ,,OTLP").ok(),
            Some(vec![ExporterKind::Braintrust, ExporterKind::Otlp])
        );
        assert_eq!(ExporterKind::parse_list("").ok(), Some(vec![]));
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
        assert!(
            matches!(
                err,
                SetupError::FeatureDisabled {
                    kind: ExporterKind::Stdout,
                    feature: "stdout"
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("crate feature `stdout`"), "{err}");
    }

    #[test]
    fn unknown_names_are_named_with_the_alternatives() {
        let err = ExporterKind::parse_list("otlp,jaeger").expect_err("jaeger is unknown");
        assert!(
            matches!(&err, SetupError::InvalidExporterList { name, variable: None } if name == "jaeger"),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("`jaeger`") && msg.contains("braintrust-otlp"),
            "{msg}"
        );
    }
}
