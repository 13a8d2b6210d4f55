//! Credentials: an API key, or (feature `entra`) an Entra ID token credential.
//!
//! A [`Credential`] is what the user hands to a client; the transport turns
//! it into an [`Authorizer`] for one endpoint, which adds the auth headers to
//! each request. An API key is held as a [`Secret`] (checked once, when it is
//! made); its two header values are built once, then, marked sensitive, and
//! cloned into each request. Entra tokens are cached until shortly before they expire.

use std::fmt;

use http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
#[cfg(feature = "entra")]
use std::sync::Arc;

use super::endpoint::Endpoint;
use crate::error::{ConfigField, Error, Result};
use crate::net::Secret;

/// The `api-key` header.
pub(crate) const API_KEY: HeaderName = HeaderName::from_static("api-key");

/// How a client authenticates.
///
/// `Debug` never shows the key or token.
///
/// ```
/// use azure_ai_inference_otel::client::Credential;
///
/// let credential = Credential::api_key("0123456789abcdef")?;
/// assert_eq!(format!("{credential:?}"), "Credential::ApiKey(Secret(<redacted>))");
/// assert!(Credential::api_key("").is_err());
/// # Ok::<(), azure_ai_inference_otel::Error>(())
/// ```
#[derive(Clone)]
pub struct Credential {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    ApiKey(ApiKey),
    #[cfg(feature = "entra")]
    Token {
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
        scope: Option<String>,
    },
}

impl Credential {
    /// An API key (Azure AI Foundry, Azure OpenAI, serverless endpoints).
    /// (GitHub Models, which took a GitHub token here, was retired on 2026-07-30.)
    ///
    /// It is sent both as `api-key: KEY` and as `Authorization: Bearer KEY`,
    /// which every one of those services accepts.
    ///
    /// Fails with [`Error::InvalidConfig`] when the key is empty, has leading
    /// or trailing whitespace, or holds a line break or other control
    /// character (often a newline read from a file along with the key).
    pub fn api_key(key: impl Into<String>) -> Result<Credential> {
        Ok(Credential {
            inner: Inner::ApiKey(ApiKey::new(key.into())?),
        })
    }

    /// An Entra ID credential (for example `azure_identity::DeveloperToolsCredential`).
    ///
    /// Tokens are requested for the endpoint's scope
    /// ([`Endpoint::default_scope`]) and cached until five minutes before
    /// they expire. Requires an `https` endpoint (or a loopback one).
    #[cfg(feature = "entra")]
    pub fn token(credential: Arc<dyn azure_core::credentials::TokenCredential>) -> Credential {
        Credential {
            inner: Inner::Token {
                credential,
                scope: None,
            },
        }
    }

    /// Like [`token`](Self::token), with the scope to request instead of
    /// the endpoint's default (for example `https://ml.azure.com/.default`).
    #[cfg(feature = "entra")]
    pub fn token_with_scope(
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
        scope: impl Into<String>,
    ) -> Result<Credential> {
        let scope = scope.into();
        if scope.trim().is_empty() || scope.trim() != scope {
            return Err(Error::invalid_config(
                ConfigField::Scope,
                format!(
                    "expected a scope like https://cognitiveservices.azure.com/.default, got {scope:?}"
                ),
            ));
        }
        Ok(Credential {
            inner: Inner::Token {
                credential,
                scope: Some(scope),
            },
        })
    }

    /// Prepares the credential for requests to `endpoint`.
    #[cfg_attr(not(feature = "entra"), allow(unused_variables))]
    pub(crate) fn authorizer(&self, endpoint: &Endpoint) -> Result<Authorizer> {
        match &self.inner {
            Inner::ApiKey(key) => Ok(Authorizer::ApiKey(key.clone())),
            #[cfg(feature = "entra")]
            Inner::Token { credential, scope } => {
                if !endpoint.is_https() && !endpoint.is_loopback() {
                    return Err(Error::invalid_config(
                        ConfigField::Endpoint,
                        format!(
                            "Entra ID tokens are only sent over https, got {endpoint}; use an https endpoint"
                        ),
                    ));
                }
                let scope = scope
                    .clone()
                    .unwrap_or_else(|| endpoint.default_scope().to_owned());
                Ok(Authorizer::Token(entra::TokenCache::new(
                    credential.clone(),
                    scope,
                )))
            }
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::ApiKey(key) => write!(f, "Credential::ApiKey({key:?})"),
            #[cfg(feature = "entra")]
            Inner::Token { credential, scope } => f
                .debug_struct("Credential::Token")
                .field("credential", credential)
                .field("scope", scope)
                .finish(),
        }
    }
}

/// An API key, checked once when it is made.
///
/// The key is a [`Secret`]: `Debug` prints its placeholder and there is no
/// `Display`. The two header values are built once, here, marked sensitive,
/// and cloned per request (a `HeaderValue` clone shares its bytes): building
/// them per request cost about 2,100 instructions per call (callgrind).
#[derive(Clone)]
pub(crate) struct ApiKey {
    key: Secret,
    /// `api-key: KEY` and `Authorization: Bearer KEY`, both sensitive.
    headers: [HeaderValue; 2],
}

impl ApiKey {
    fn new(key: String) -> Result<ApiKey> {
        let invalid = |reason: &str| Error::invalid_config(ConfigField::ApiKey, reason.to_owned());
        if key.is_empty() {
            return Err(invalid("the API key is empty"));
        }
        if key.chars().any(|c| c == '\n' || c == '\r') {
            return Err(invalid(
                "the API key contains a line break (often a trailing newline read from a file); remove it",
            ));
        }
        if key.trim() != key {
            return Err(invalid(
                "the API key has leading or trailing whitespace; remove it",
            ));
        }
        let key = Secret::new(key);
        let headers = header_values(&key)?;
        Ok(ApiKey { key, headers })
    }

    fn apply(&self, headers: &mut HeaderMap) {
        let [api_key, bearer] = &self.headers;
        headers.insert(API_KEY, api_key.clone());
        headers.insert(AUTHORIZATION, bearer.clone());
    }
}

/// `api-key: KEY` and `Authorization: Bearer KEY`, both sensitive.
fn header_values(key: &Secret) -> Result<[HeaderValue; 2]> {
    let key = key.expose();
    Ok([
        sensitive(key, ConfigField::ApiKey)?,
        sensitive(&format!("Bearer {key}"), ConfigField::ApiKey)?,
    ])
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.key, f)
    }
}

/// A header value marked sensitive (so HTTP/2 never indexes it and `Debug`
/// hides it). The error never quotes the value.
fn sensitive(value: &str, field: ConfigField) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        Error::invalid_config(
            field,
            "contains a control character, which cannot be sent in an HTTP header",
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Adds the auth headers for one endpoint.
#[derive(Clone)]
pub(crate) enum Authorizer {
    ApiKey(ApiKey),
    #[cfg(feature = "entra")]
    Token(entra::TokenCache),
}

impl Authorizer {
    /// Bounds every token fetch (waiting for another caller's fetch
    /// included) by `timeout`: a hung IMDS or `az` fails the call with
    /// [`Error::Timeout`](crate::Error::Timeout) instead of holding it, and
    /// every later call, forever.
    #[cfg_attr(not(feature = "entra"), allow(unused_variables, unused_mut))]
    pub(crate) fn bounded_by(mut self, timeout: std::time::Duration) -> Self {
        #[cfg(feature = "entra")]
        if let Authorizer::Token(cache) = &mut self {
            cache.timeout = timeout;
        }
        self
    }

    /// Inserts `api-key` + `Authorization` (API key) or `Authorization`
    /// (token, fetched or taken from the cache).
    pub(crate) async fn apply(&self, headers: &mut HeaderMap) -> Result<()> {
        match self {
            Authorizer::ApiKey(key) => {
                key.apply(headers);
                Ok(())
            }
            #[cfg(feature = "entra")]
            Authorizer::Token(cache) => {
                headers.insert(AUTHORIZATION, cache.header().await?);
                Ok(())
            }
        }
    }

    /// `api-key` or `entra`, for `Debug` output.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Authorizer::ApiKey(_) => "api-key",
            #[cfg(feature = "entra")]
            Authorizer::Token(_) => "entra",
        }
    }
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authorizer::ApiKey(key) => f.debug_tuple("Authorizer::ApiKey").field(key).finish(),
            #[cfg(feature = "entra")]
            Authorizer::Token(cache) => f.debug_tuple("Authorizer::Token").field(cache).finish(),
        }
    }
}

#[cfg(feature = "entra")]
mod entra {
    use std::fmt;
    use std::sync::Arc;

    use azure_core::credentials::TokenCredential;
    use azure_core::time::{Duration, OffsetDateTime};
    use http::HeaderValue;
    use tokio::sync::Mutex;

    use crate::error::{ConfigField, Error, Result};

    /// How long before expiry a cached token is replaced.
    const REFRESH_MARGIN: Duration = Duration::minutes(5);

    struct Cached {
        header: HeaderValue,
        refresh_at: OffsetDateTime,
    }

    /// One scope's token, shared by clones of a client. Concurrent callers
    /// wait for a single fetch instead of each asking the credential.
    #[derive(Clone)]
    pub(crate) struct TokenCache {
        credential: Arc<dyn TokenCredential>,
        scope: Arc<str>,
        cached: Arc<Mutex<Option<Cached>>>,
        /// The most one [`header`](Self::header) call waits, for the lock
        /// and the fetch together.
        pub(super) timeout: std::time::Duration,
    }

    impl TokenCache {
        pub(crate) fn new(credential: Arc<dyn TokenCredential>, scope: String) -> Self {
            TokenCache {
                credential,
                scope: scope.into(),
                cached: Arc::new(Mutex::new(None)),
                timeout: crate::client::options::DEFAULT_READ_TIMEOUT,
            }
        }

        /// `Bearer <token>`, from the cache while it is fresh; within
        /// `timeout` or [`Error::Timeout`], so neither a hung credential nor
        /// a caller waiting for it holds a call forever.
        pub(crate) async fn header(&self) -> Result<HeaderValue> {
            let timed_out = || Error::Timeout {
                phase: crate::error::TimeoutPhase::Read,
                request_id: None,
                source: Some(
                    format!("the credential gave no token for {} in time", self.scope).into(),
                ),
            };
            tokio::time::timeout(self.timeout, self.fetch())
                .await
                .unwrap_or_else(|_| Err(timed_out()))
        }

        async fn fetch(&self) -> Result<HeaderValue> {
            let mut cached = self.cached.lock().await;
            let now = OffsetDateTime::now_utc();
            if let Some(c) = cached.as_ref()
                && now < c.refresh_at
            {
                return Ok(c.header.clone());
            }
            let token = self
                .credential
                .get_token(&[&self.scope], None)
                .await
                .map_err(|e| Error::Credential {
                    scope: self.scope.to_string(),
                    source: Box::new(e),
                })?;
            let header = super::sensitive(
                &format!("Bearer {}", token.token.secret()),
                ConfigField::Credential,
            )?;
            // Refresh five minutes early, or halfway through a short-lived token.
            let lifetime = token.expires_on - now;
            let margin = if lifetime < REFRESH_MARGIN * 2 {
                lifetime / 2
            } else {
                REFRESH_MARGIN
            };
            *cached = Some(Cached {
                header: header.clone(),
                refresh_at: token.expires_on - margin,
            });
            Ok(header)
        }
    }

    impl fmt::Debug for TokenCache {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("TokenCache")
                .field("credential", &self.credential)
                .field("scope", &self.scope)
                .finish_non_exhaustive()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(s: &str) -> Endpoint {
        Endpoint::parse(s).unwrap()
    }

    async fn headers_for(credential: &Credential, ep: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        credential
            .authorizer(&endpoint(ep))
            .unwrap()
            .apply(&mut h)
            .await
            .unwrap();
        h
    }

    #[tokio::test]
    async fn api_key_goes_in_both_headers_marked_sensitive() {
        let c = Credential::api_key("k3y-value").unwrap();
        let h = headers_for(&c, "https://models.inference.ai.azure.com").await;
        assert_eq!(h["api-key"], "k3y-value");
        assert_eq!(h["authorization"], "Bearer k3y-value");
        assert!(h["api-key"].is_sensitive() && h["authorization"].is_sensitive());
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let c = Credential::api_key("super-secret-key").unwrap();
        let d = format!("{c:?} {c:#?}");
        assert!(!d.contains("super-secret"), "{d}");
        assert_eq!(format!("{c:?}"), "Credential::ApiKey(Secret(<redacted>))");
        let a = c
            .authorizer(&endpoint("https://x.models.ai.azure.com"))
            .unwrap();
        let d = format!("{a:?}");
        assert!(
            !d.contains("super-secret") && d.contains(Secret::PLACEHOLDER),
            "{d}"
        );
        assert_eq!(a.kind(), "api-key");
    }

    #[test]
    fn bad_keys_fail_at_construction_without_echoing_the_key() {
        for (key, needle) in [
            ("", "empty"),
            ("secret-part\n", "line break"),
            ("secret-part\r\nx", "line break"),
            (" secret-part", "whitespace"),
            ("secret-part\t", "whitespace"),
            ("secret-part\u{7f}", "control character"),
            ("secret-part\0", "control character"),
        ] {
            let e = Credential::api_key(key).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidConfig {
                        field: ConfigField::ApiKey,
                        ..
                    }
                ),
                "{key:?}: {e:?}"
            );
            let text = format!("{e} {e:?}");
            assert!(text.contains(needle), "{key:?}: {text}");
            assert!(!text.contains("secret-part"), "{key:?}: {text}");
        }
    }

    #[cfg(feature = "entra")]
    mod entra_tests {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
        use azure_core::time::{Duration, OffsetDateTime};

        use super::*;
        use crate::client::endpoint::{COGNITIVE_SERVICES_SCOPE, MACHINE_LEARNING_SCOPE};

        /// Hands out `token-N` valid for `lifetime`, recording the scopes asked for.
        #[derive(Debug)]
        struct Fake {
            calls: AtomicUsize,
            lifetime: Duration,
            fail: bool,
            scopes: std::sync::Mutex<Vec<String>>,
        }

        impl Fake {
            fn new(lifetime: Duration, fail: bool) -> Arc<Fake> {
                Arc::new(Fake {
                    calls: AtomicUsize::new(0),
                    lifetime,
                    fail,
                    scopes: std::sync::Mutex::new(Vec::new()),
                })
            }
        }

        /// Never answers: a hung IMDS or `az`.
        #[derive(Debug)]
        struct Hung;

        #[async_trait::async_trait]
        impl TokenCredential for Hung {
            async fn get_token(
                &self,
                _scopes: &[&str],
                _options: Option<TokenRequestOptions<'_>>,
            ) -> azure_core::Result<AccessToken> {
                std::future::pending().await
            }
        }

        #[tokio::test]
        async fn a_hung_credential_fails_each_call_with_timeout() {
            let c = Credential::token(Arc::new(Hung));
            let auth = c
                .authorizer(&endpoint("https://r.services.ai.azure.com/models"))
                .unwrap()
                .bounded_by(std::time::Duration::from_millis(50));
            // The second call waits for the lock the first one held: bounded too.
            let mut h1 = HeaderMap::new();
            let mut h2 = HeaderMap::new();
            let (a, b) = tokio::join!(auth.apply(&mut h1), auth.apply(&mut h2));
            for result in [a, b] {
                let e = result.unwrap_err();
                assert_eq!(e.error_type(), "timeout", "{e:?}");
            }
        }

        #[async_trait::async_trait]
        impl TokenCredential for Fake {
            async fn get_token(
                &self,
                scopes: &[&str],
                _options: Option<TokenRequestOptions<'_>>,
            ) -> azure_core::Result<AccessToken> {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                self.scopes
                    .lock()
                    .unwrap()
                    .extend(scopes.iter().map(|s| s.to_string()));
                if self.fail {
                    Err(azure_core::Error::with_message(
                        azure_core::error::ErrorKind::Credential,
                        "no credential available",
                    ))
                } else {
                    Ok(AccessToken::new(
                        format!("token-{n}"),
                        OffsetDateTime::now_utc() + self.lifetime,
                    ))
                }
            }
        }

        async fn auth(c: &Credential, ep: &str) -> Result<HeaderMap> {
            let mut h = HeaderMap::new();
            c.authorizer(&endpoint(ep))?.apply(&mut h).await?;
            Ok(h)
        }

        #[tokio::test]
        async fn token_is_cached_and_scoped_by_host() {
            let fake = Fake::new(Duration::hours(1), false);
            let c = Credential::token(fake.clone());
            let a = c
                .authorizer(&endpoint("https://r.services.ai.azure.com/models"))
                .unwrap();
            for _ in 0..3 {
                let mut h = HeaderMap::new();
                a.apply(&mut h).await.unwrap();
                assert_eq!(h["authorization"], "Bearer token-1");
                assert!(h["authorization"].is_sensitive());
                assert!(!h.contains_key("api-key"));
            }
            assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
            assert_eq!(a.kind(), "entra");

            auth(&c, "https://x.eastus2.models.ai.azure.com")
                .await
                .unwrap();
            let scopes = fake.scopes.lock().unwrap().clone();
            assert_eq!(scopes, [COGNITIVE_SERVICES_SCOPE, MACHINE_LEARNING_SCOPE]);
        }

        #[tokio::test]
        async fn a_token_near_expiry_is_refreshed() {
            // Expires within the refresh margin's half-life: every call refreshes.
            let fake = Fake::new(Duration::ZERO, false);
            let a = Credential::token(fake.clone())
                .authorizer(&endpoint("https://r.openai.azure.com/openai/deployments/d"))
                .unwrap();
            let mut h = HeaderMap::new();
            a.apply(&mut h).await.unwrap();
            a.apply(&mut h).await.unwrap();
            assert_eq!(h["authorization"], "Bearer token-2");
        }

        #[tokio::test]
        async fn scope_override_and_errors() {
            let fake = Fake::new(Duration::hours(1), false);
            let c = Credential::token_with_scope(fake.clone(), "api://custom/.default").unwrap();
            auth(&c, "https://r.services.ai.azure.com/models")
                .await
                .unwrap();
            assert_eq!(*fake.scopes.lock().unwrap(), ["api://custom/.default"]);
            assert!(Credential::token_with_scope(fake.clone(), " ").is_err());

            let failing = Credential::token(Fake::new(Duration::hours(1), true));
            match auth(&failing, "https://r.services.ai.azure.com/models").await {
                Err(Error::Credential { scope, .. }) => assert_eq!(scope, COGNITIVE_SERVICES_SCOPE),
                other => panic!("{other:?}"),
            }

            // Tokens are not sent in clear text, except to loopback test servers.
            let e = auth(&c, "http://example.com").await.unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidConfig {
                        field: ConfigField::Endpoint,
                        ..
                    }
                ),
                "{e}"
            );
            auth(&c, "http://127.0.0.1:8080").await.unwrap();
        }
    }
}
