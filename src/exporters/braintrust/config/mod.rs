//! Configuration shared by [`BraintrustExporter`](super::BraintrustExporter)
//! and [`BraintrustOtlpExporter`](super::BraintrustOtlpExporter); the
//! precedence rules are on [`BraintrustConfig`].

use std::time::Duration;

mod api_key;
mod env;
mod errors;
mod parent;

use crate::exporters::delivery::DeliveryConfig;
pub use crate::exporters::delivery::RetryPolicy;
pub(crate) use api_key::ApiKey;
pub use errors::BraintrustBuildError;
pub use parent::Parent;

use env::{read_env, validate_url};

/// The Braintrust API key (required). Same variable as Braintrust's SDKs.
pub(crate) const BRAINTRUST_API_KEY: &str = "BRAINTRUST_API_KEY";
/// The Braintrust API base URL. Same variable as Braintrust's SDKs.
pub(crate) const BRAINTRUST_API_URL: &str = "BRAINTRUST_API_URL";
/// Where rows go: `project_id:<uuid>`, `project_name:<name>` or
/// `experiment_id:<uuid>`. Same variable and format as Braintrust's SDKs.
pub(crate) const BRAINTRUST_PARENT: &str = "BRAINTRUST_PARENT";

/// The API URL when neither code nor `BRAINTRUST_API_URL` sets one.
pub(crate) const DEFAULT_API_URL: &str = "https://api.braintrust.dev";
/// The parent when neither code nor `BRAINTRUST_PARENT` sets one.
pub(crate) const DEFAULT_PARENT: &str = "project_name:default-otel-project";

/// Most rows in one insert request.
pub(crate) const MAX_BATCH_ROWS: usize = 100;
/// Most bytes of JSON in one insert request (3 MiB).
pub(crate) const MAX_BATCH_BYTES: usize = 3 * 1024 * 1024;

/// Settings of the Braintrust exporters.
///
/// # Precedence
///
/// For the API key, the API URL and the parent: a value set in code
/// (`with_*`) beats the environment variable, which beats the default. Values
/// left unset in code are read from the environment when the exporter is
/// built; [`BraintrustConfig::from_env`] reads (and validates) them at once.
///
/// | setting | code | environment variable | default |
/// |---|---|---|---|
/// | API key | [`with_api_key`](Self::with_api_key) | `BRAINTRUST_API_KEY` | none: required |
/// | API URL | [`with_api_url`](Self::with_api_url) | `BRAINTRUST_API_URL` | `DEFAULT_API_URL` |
/// | parent | [`with_parent`](Self::with_parent) | `BRAINTRUST_PARENT` | `DEFAULT_PARENT` |
///
/// The retry and timeout settings are code-only; the memory budget and
/// batch sizes are the [delivery](crate::exporters::delivery) settings of
/// the pipeline (or [`DeliveryConfig::default`] for a hand-built exporter).
///
/// `Debug` never shows the API key.
#[derive(Debug, Clone)]
pub struct BraintrustConfig {
    api_key: Option<ApiKey>,
    api_url: Option<String>,
    parent: Option<Parent>,
    retry: Option<RetryPolicy>,
    request_timeout: Duration,
    flush_timeout: Option<Duration>,
    /// Whether the API key may go over plain http to a non-loopback host.
    insecure_http: bool,
    /// Which baggage parents may steer rows; `None`: none.
    baggage_parents: Option<super::baggage::BaggageParents>,
    /// Span filter and attachments (their builder methods are in `options`).
    rows: super::options::RowOptions,
}

impl Default for BraintrustConfig {
    fn default() -> Self {
        BraintrustConfig {
            api_key: None,
            api_url: None,
            parent: None,
            retry: None,
            request_timeout: Duration::from_secs(30),
            flush_timeout: None,
            insecure_http: false,
            baggage_parents: None,
            rows: super::options::RowOptions::default(),
        }
    }
}

impl BraintrustConfig {
    /// Nothing set in code: the exporter reads the environment when it is
    /// built, and falls back to the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `BRAINTRUST_API_KEY` (required), `BRAINTRUST_API_URL` and
    /// `BRAINTRUST_PARENT` now, so a missing key or a malformed value fails
    /// here. `with_*` calls made afterwards still win.
    pub fn from_env() -> Result<Self, BraintrustBuildError> {
        let resolved = Self::default().resolve_with(&read_env)?;
        Ok(BraintrustConfig {
            api_key: Some(resolved.api_key),
            api_url: Some(resolved.api_url),
            parent: Some(resolved.parent),
            rows: super::options::RowOptions::from_resolved(&resolved.rows),
            ..Self::default()
        })
    }

    pub(super) fn rows_mut(&mut self) -> &mut super::options::RowOptions {
        &mut self.rows
    }

    /// The API key (beats `BRAINTRUST_API_KEY`): a string or a
    /// [`Secret`](crate::net::Secret), never printed.
    pub fn with_api_key(mut self, key: impl Into<crate::net::Secret>) -> Self {
        self.api_key = Some(ApiKey::from(key.into()));
        self
    }

    /// The API base URL, e.g. `DEFAULT_API_URL` (beats `BRAINTRUST_API_URL`).
    pub fn with_api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// Allows an `http://` API URL whose host is not loopback (off by
    /// default: the API key and every row would cross the network in clear
    /// text). `https://` URLs and loopback ones (`localhost`, `127.0.0.1`,
    /// `[::1]`) need no opt-in.
    pub fn with_insecure_http(mut self, allow: bool) -> Self {
        self.insecure_http = allow;
        self
    }

    /// Lets an incoming `braintrust.parent` baggage entry route a trace's
    /// rows to the parents `policy` admits (off by default: baggage comes
    /// from whoever calls the service; see [`BaggageParents`](super::BaggageParents)).
    /// Other values, and every row while this is unset, go to the
    /// configured parent.
    pub fn with_baggage_parents(mut self, policy: super::baggage::BaggageParents) -> Self {
        self.baggage_parents = Some(policy);
        self
    }

    /// See [`with_baggage_parents`](Self::with_baggage_parents).
    pub fn baggage_parents(&self) -> Option<&super::baggage::BaggageParents> {
        self.baggage_parents.as_ref()
    }

    /// Where rows go (beats `BRAINTRUST_PARENT`).
    pub fn with_parent(mut self, parent: Parent) -> Self {
        self.parent = Some(parent);
        self
    }

    /// When to retry, for both Braintrust exporters (default: the delivery
    /// configuration's, [`RetryPolicy::default`] unless set there).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Deadline of one HTTP attempt (default 30 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long `force_flush` waits for queued spans, for both Braintrust
    /// exporters (default: the delivery configuration's, 30 s unless set
    /// there). The pipeline's guard also waits at least this long at shutdown.
    pub fn with_flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = Some(timeout);
        self
    }

    /// `base` with this config's retry policy and flush timeout, where set.
    pub(crate) fn delivery_config(&self, base: DeliveryConfig) -> DeliveryConfig {
        let base = match self.retry {
            Some(retry) => base.with_retry_policy(retry),
            None => base,
        };
        match self.flush_timeout {
            Some(timeout) => base.with_flush_timeout(timeout),
            None => base,
        }
    }

    /// Fills in what code left unset from the environment, then the
    /// defaults, and validates everything.
    pub(crate) fn resolve(&self) -> Result<ResolvedConfig, BraintrustBuildError> {
        self.resolve_with(&read_env)
    }

    /// [`resolve`](Self::resolve) with an injectable environment, for tests.
    pub(crate) fn resolve_with(
        &self,
        env: &dyn Fn(&'static str) -> Result<Option<String>, BraintrustBuildError>,
    ) -> Result<ResolvedConfig, BraintrustBuildError> {
        let api_key = match &self.api_key {
            Some(key) => key.clone(),
            None => {
                ApiKey::new(env(BRAINTRUST_API_KEY)?.ok_or(BraintrustBuildError::MissingApiKey)?)
            }
        };
        api_key.validate()?;

        let (api_url, origin) = match &self.api_url {
            Some(url) => (url.clone(), "code"),
            None => match env(BRAINTRUST_API_URL)? {
                Some(url) => (url, BRAINTRUST_API_URL),
                None => (DEFAULT_API_URL.to_owned(), "default"),
            },
        };
        let api_url = validate_url(&api_url, origin, self.insecure_http)?;

        let parent = match &self.parent {
            Some(parent) => {
                parent.validate().map_err(|e| e.with_origin("code"))?;
                parent.clone()
            }
            None => {
                let (text, origin) = match env(BRAINTRUST_PARENT)? {
                    Some(text) => (text, BRAINTRUST_PARENT),
                    None => (DEFAULT_PARENT.to_owned(), "default"),
                };
                Parent::parse(&text).map_err(|e| e.with_origin(origin))?
            }
        };

        if self.request_timeout.is_zero() {
            return Err(BraintrustBuildError::InvalidOption {
                option: "request_timeout",
                reason: "must be longer than zero",
            });
        }

        let rows = self.rows.resolve(env)?;
        Ok(ResolvedConfig {
            api_key,
            api_url,
            parent,
            request_timeout: self.request_timeout,
            baggage_parents: self.baggage_parents.clone(),
            rows,
            // Attachment uploads: the configured policy, else the
            // attachments spec's (8 retries from 500 ms, doubling).
            upload_retry: self.retry.unwrap_or_else(|| {
                RetryPolicy::default()
                    .with_max_retries(8)
                    .with_initial_delay(Duration::from_millis(500))
            }),
        })
    }
}

/// A fully resolved, validated configuration.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedConfig {
    pub(crate) api_key: ApiKey,
    /// Without a trailing slash.
    pub(crate) api_url: String,
    pub(crate) parent: Parent,
    pub(crate) request_timeout: Duration,
    /// Which baggage parents rows may be routed to (none when unset).
    pub(crate) baggage_parents: Option<super::baggage::BaggageParents>,
    pub(crate) rows: super::options::ResolvedRowOptions,
    /// How attachment uploads are retried.
    pub(crate) upload_retry: RetryPolicy,
}

/// A fixed environment for the resolvers, in tests: `vars` and nothing else.
#[cfg(test)]
pub(crate) fn env_of(
    vars: &'static [(&'static str, &'static str)],
) -> impl Fn(&'static str) -> Result<Option<String>, BraintrustBuildError> {
    move |name| {
        Ok(vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_beats_env_beats_default() {
        static ENV: &[(&str, &str)] = &[
            (BRAINTRUST_API_KEY, "env-key"),
            (BRAINTRUST_API_URL, "https://env.example/"),
            (BRAINTRUST_PARENT, "project_name:from-env"),
        ];
        let env = env_of(ENV);
        let from_env = BraintrustConfig::new()
            .resolve_with(&env)
            .expect("resolves");
        assert_eq!(from_env.api_key.expose(), "env-key");
        assert_eq!(from_env.api_url, "https://env.example");
        assert_eq!(from_env.parent, Parent::ProjectName("from-env".to_owned()));

        let code = BraintrustConfig::new()
            .with_api_key("code-key")
            .with_api_url("https://code.example/base/")
            .with_parent(Parent::ProjectName("from-code".to_owned()))
            .resolve_with(&env)
            .expect("resolves");
        assert_eq!(code.api_key.expose(), "code-key");
        assert_eq!(code.api_url, "https://code.example/base");

        // Clear-text http: loopback, or an explicit opt-in.
        let http = |url: &str, allow: bool| {
            BraintrustConfig::new()
                .with_api_key("code-key")
                .with_api_url(url)
                .with_insecure_http(allow)
                .resolve_with(&env)
        };
        let err = http("http://collector.example", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("with_insecure_http"), "{err}");
        assert!(!err.contains("code-key"), "{err}");
        assert!(http("http://collector.example", true).is_ok());
        assert!(http("http://127.0.0.1:9", false).is_ok());
        assert!(http("http://localhost:9", false).is_ok());
        assert_eq!(code.parent, Parent::ProjectName("from-code".to_owned()));

        static KEY_ONLY: &[(&str, &str)] = &[(BRAINTRUST_API_KEY, "k")];
        let defaults = BraintrustConfig::new()
            .resolve_with(&env_of(KEY_ONLY))
            .expect("resolves");
        assert_eq!(defaults.api_url, DEFAULT_API_URL);
        assert_eq!(defaults.parent.to_string(), DEFAULT_PARENT);
    }

    #[test]
    fn a_missing_key_is_a_build_error_naming_the_variable() {
        let err = BraintrustConfig::new()
            .resolve_with(&env_of(&[]))
            .unwrap_err();
        assert!(matches!(err, BraintrustBuildError::MissingApiKey));
        assert!(err.to_string().contains(BRAINTRUST_API_KEY));
    }

    #[test]
    fn invalid_values_name_their_origin_and_never_the_key() {
        static ENV: &[(&str, &str)] = &[(BRAINTRUST_API_KEY, "k"), (BRAINTRUST_PARENT, "nope")];
        let err = BraintrustConfig::new()
            .resolve_with(&env_of(ENV))
            .unwrap_err()
            .to_string();
        assert!(err.contains(BRAINTRUST_PARENT), "{err}");

        let err = BraintrustConfig::new()
            .with_api_key("sk-secret with space")
            .resolve_with(&env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secret"), "{err}");

        let err = BraintrustConfig::new()
            .with_api_key("k")
            .with_api_url("ftp://x")
            .resolve_with(&env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("http or https") && err.contains("code"),
            "{err}"
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let config = BraintrustConfig::new().with_api_key("sk-very-secret");
        let text = format!("{config:?}");
        assert!(!text.contains("very-secret"), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }
}
