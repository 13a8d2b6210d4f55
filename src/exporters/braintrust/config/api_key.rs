//! The Braintrust API key: a [`Secret`] with Braintrust's validation.

use std::fmt;

use super::BraintrustBuildError;
use crate::net::Secret;

/// A Braintrust API key. Its `Debug` output is a placeholder, and it is never
/// put in an error message or a log line.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ApiKey(Secret);

impl ApiKey {
    /// Wraps a key.
    pub(crate) fn new(key: impl Into<String>) -> Self {
        ApiKey(Secret::new(key))
    }

    /// The key itself, for the `Authorization` header.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose()
    }

    /// A key that can go in an `Authorization: Bearer` header.
    pub(crate) fn validate(&self) -> Result<(), BraintrustBuildError> {
        let key = self.expose();
        let reason = if key.trim().is_empty() {
            "is empty"
        } else if !key.bytes().all(|b| b.is_ascii_graphic()) {
            "contains spaces or characters that cannot go in an HTTP header"
        } else {
            return Ok(());
        };
        Err(BraintrustBuildError::InvalidApiKey { reason })
    }
}

impl fmt::Debug for ApiKey {
    /// One placeholder, [`Secret::PLACEHOLDER`]'s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", Secret::PLACEHOLDER)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey::new(key)
    }
}

impl From<Secret> for ApiKey {
    fn from(key: Secret) -> Self {
        ApiKey(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_one_placeholder_and_validation_holds() {
        let key = ApiKey::new("sk-very-secret");
        let text = format!("{key:?} {key:#?}");
        assert!(!text.contains("very-secret"), "{text}");
        assert_eq!(
            format!("{key:?}"),
            format!("ApiKey({})", Secret::PLACEHOLDER)
        );
        assert!(key.validate().is_ok());
        assert!(ApiKey::new(" ").validate().is_err());
        let err = ApiKey::new("sk-with space").validate().expect_err("space");
        assert!(!err.to_string().contains("sk-with"), "{err}");
    }
}
