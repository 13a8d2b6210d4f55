//! Where rows go: Braintrust's `project_id:` / `project_name:` /
//! `experiment_id:` parent strings.

use std::fmt;
use std::str::FromStr;

use super::BraintrustBuildError;

/// Where rows go, in Braintrust's own format (`Display` writes it back).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Parent {
    /// `project_id:<uuid>`: project logs of that project.
    ProjectId(String),
    /// `project_name:<name>`: project logs of the project with that name
    /// (created when missing; the native exporter resolves the id once).
    ProjectName(String),
    /// `experiment_id:<uuid>`: that experiment.
    ExperimentId(String),
}

impl Parent {
    pub(crate) fn validate(&self) -> Result<(), ParseParentError> {
        let (kind, value) = self.parts();
        match self {
            Parent::ProjectName(name) if name.trim().is_empty() => Err(ParseParentError::new(
                self.to_string(),
                "the project name is empty",
            )),
            Parent::ProjectName(_) => Ok(()),
            Parent::ProjectId(id) | Parent::ExperimentId(id) if !is_uuid(id) => {
                Err(ParseParentError::new(
                    format!("{kind}:{value}"),
                    format!("`{kind}` takes a UUID (8-4-4-4-12 hex digits)"),
                ))
            }
            Parent::ProjectId(_) | Parent::ExperimentId(_) => Ok(()),
        }
    }

    fn parts(&self) -> (&'static str, &str) {
        match self {
            Parent::ProjectId(id) => ("project_id", id),
            Parent::ProjectName(name) => ("project_name", name),
            Parent::ExperimentId(id) => ("experiment_id", id),
        }
    }
}

impl fmt::Display for Parent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, value) = self.parts();
        write!(f, "{kind}:{value}")
    }
}

impl FromStr for Parent {
    type Err = BraintrustBuildError;

    /// A parent from its text form; the error is
    /// [`BraintrustBuildError::InvalidParent`] with origin `text`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Parent::parse(s).map_err(|e| e.with_origin("text"))
    }
}

impl Parent {
    /// [`FromStr`] without an origin yet.
    pub(crate) fn parse(s: &str) -> Result<Self, ParseParentError> {
        let s = s.trim();
        let Some((kind, value)) = s.split_once(':') else {
            return Err(ParseParentError::new(
                s,
                "expected `project_id:<uuid>`, `project_name:<name>` or `experiment_id:<uuid>`",
            ));
        };
        let parent = match kind.trim() {
            "project_id" => Parent::ProjectId(value.trim().to_ascii_lowercase()),
            "project_name" => Parent::ProjectName(value.trim().to_owned()),
            "experiment_id" => Parent::ExperimentId(value.trim().to_ascii_lowercase()),
            other => {
                return Err(ParseParentError::new(
                    s,
                    format!(
                        "unknown kind `{other}`; expected `project_id`, `project_name` or `experiment_id`"
                    ),
                ));
            }
        };
        parent.validate()?;
        Ok(parent)
    }
}

/// A parent string that is not `project_id:<uuid>`, `project_name:<name>` or
/// `experiment_id:<uuid>`, before its origin is known.
#[derive(Debug)]
pub(crate) struct ParseParentError {
    value: String,
    reason: String,
}

impl ParseParentError {
    fn new(value: impl Into<String>, reason: impl Into<String>) -> Self {
        ParseParentError {
            value: value.into(),
            reason: reason.into(),
        }
    }

    /// The build error, naming where the parent came from.
    pub(crate) fn with_origin(self, origin: &'static str) -> BraintrustBuildError {
        BraintrustBuildError::InvalidParent {
            origin,
            value: self.value,
            reason: self.reason,
        }
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0b5c3a5e-8a6f-4f57-9f1e-3b0c9a9d2f10";

    #[test]
    fn parents_parse_and_print_back() {
        for text in [
            format!("project_id:{UUID}"),
            "project_name:my project".to_owned(),
            format!("experiment_id:{UUID}"),
        ] {
            let parent: Parent = text.parse().expect("valid parent");
            assert_eq!(parent.to_string(), text);
        }
        assert_eq!(
            format!("project_id:{}", UUID.to_uppercase())
                .parse::<Parent>()
                .ok(),
            Some(Parent::ProjectId(UUID.to_owned()))
        );
    }

    #[test]
    fn bad_parents_say_what_is_expected() {
        let err = "my-project".parse::<Parent>().unwrap_err().to_string();
        assert!(err.contains("project_name:<name>"), "{err}");
        let err = "project:abc".parse::<Parent>().unwrap_err().to_string();
        assert!(err.contains("unknown kind `project`"), "{err}");
        let err = "project_id:abc".parse::<Parent>().unwrap_err().to_string();
        assert!(err.contains("UUID"), "{err}");
        let err = "project_name:  ".parse::<Parent>().unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
    }
}
