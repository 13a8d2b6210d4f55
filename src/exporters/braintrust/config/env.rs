//! The environment and the API URL: reading `BRAINTRUST_*` variables and
//! validating (and, in errors, redacting) a base URL.

use super::BraintrustBuildError;

/// An environment variable; unset and blank are the same.
pub(super) fn read_env(name: &'static str) -> Result<Option<String>, BraintrustBuildError> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(BraintrustBuildError::InvalidEnv { name }),
    }
}

/// An absolute http(s) base URL without credentials, query or fragment;
/// returned without its trailing slash.
pub(super) fn validate_url(
    url: &str,
    origin: &'static str,
    insecure_http: bool,
) -> Result<String, BraintrustBuildError> {
    let invalid = |reason: String| BraintrustBuildError::InvalidApiUrl {
        url: crate::net::redact_url(url.trim()),
        origin,
        reason,
    };
    let parsed = url::Url::parse(url.trim()).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https".to_owned()));
    }
    if parsed.scheme() == "http" && !insecure_http && !crate::net::is_loopback(&parsed) {
        return Err(invalid(
            "the API key is only sent over https (or to a loopback address); use an https URL, or BraintrustConfig::with_insecure_http(true) to send it in clear text anyway".to_owned(),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "the URL must not contain a user name or password; pass the key with BraintrustConfig::with_api_key".to_owned(),
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL takes no query or fragment".to_owned()));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Secret;

    #[test]
    fn credentials_in_the_url_never_reach_the_error() {
        for (url, host) in [
            ("https://user:hunter2@api.example", "api.example"),
            ("https://hunter2@api.example/base", "api.example"),
            ("ftp://user:hunter2@api.example", "api.example"),
            ("http://user:hunter2@api.example:notaport", "api.example"),
            ("https://api.example/?token=hunter2", "api.example"),
        ] {
            let err = validate_url(url, "code", true)
                .expect_err("refused")
                .to_string();
            assert!(!err.contains("hunter2"), "{err}");
            assert!(
                err.contains(host) && err.contains(Secret::PLACEHOLDER),
                "{err}"
            );
        }
        let err = validate_url("https://u:p@x.example", "code", true)
            .expect_err("refused")
            .to_string();
        assert!(err.contains("user name or password"), "{err}");
    }

    #[test]
    fn urls_without_secrets_are_shown_and_normalised() {
        let err = validate_url("not a url", "code", true)
            .expect_err("bad")
            .to_string();
        assert!(err.contains("`not a url`"), "{err}");
        assert_eq!(
            validate_url(" http://h.example/base/ ", "code", true)
                .ok()
                .as_deref(),
            Some("http://h.example/base")
        );
    }
}
