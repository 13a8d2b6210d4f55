//! A secret string (API keys) that never prints.

use std::fmt;

/// A secret such as an API key. `Debug` prints [`Secret::PLACEHOLDER`] and
/// there is no `Display`, so it cannot end up in a span, a log line or an
/// error message by accident; `Secret::expose` is crate-private and used
/// only to build request headers.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// What `Debug` prints instead of the value.
    pub const PLACEHOLDER: &'static str = "<redacted>";

    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into_boxed_str())
    }

    /// The value, for a request header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", Self::PLACEHOLDER)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("sk-very-secret");
        let shown = format!("{s:?} {:#?}", Some(&s));
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains(Secret::PLACEHOLDER));
        assert_eq!(s.expose(), "sk-very-secret");
    }
}
