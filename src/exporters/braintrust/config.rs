//! Configuration shared by [`BraintrustExporter`](super::BraintrustExporter)
//! and [`BraintrustOtlpExporter`](super::BraintrustOtlpExporter); the
//! precedence rules are on [`BraintrustConfig`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The Braintrust API key (required). Same variable as Braintrust's SDKs.
pub const BRAINTRUST_API_KEY: &str = "BRAINTRUST_API_KEY";
/// The Braintrust API base URL. Same variable as Braintrust's SDKs.
pub const BRAINTRUST_API_URL: &str = "BRAINTRUST_API_URL";
/// Where rows go: `project_id:<uuid>`, `project_name:<name>` or
/// `experiment_id:<uuid>`. Same variable and format as Braintrust's SDKs.
pub const BRAINTRUST_PARENT: &str = "BRAINTRUST_PARENT";

/// The API URL when neither code nor [`BRAINTRUST_API_URL`] sets one.
pub const DEFAULT_API_URL: &str = "https://api.braintrust.dev";
/// The parent when neither code nor [`BRAINTRUST_PARENT`] sets one.
pub const DEFAULT_PARENT: &str = "project_name:default-otel-project";

/// Most rows in one insert request.
pub const MAX_BATCH_ROWS: usize = 100;
/// Most bytes of JSON in one insert request (3 MiB).
pub const MAX_BATCH_BYTES: usize = 3 * 1024 * 1024;

/// A Braintrust API key. Its `Debug` output is a placeholder, and it is never
/// put in an error message or a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the `Authorization` header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    fn validate(&self) -> Result<(), BraintrustBuildError> {
        let reason = if self.0.trim().is_empty() {
            "is empty"
        } else if !self.0.bytes().all(|b| b.is_ascii_graphic()) {
            "contains spaces or characters that cannot go in an HTTP header"
        } else {
            return Ok(());
        };
        Err(BraintrustBuildError::InvalidApiKey { reason })
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey(key.to_owned())
    }
}

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
    fn validate(&self) -> Result<(), ParseParentError> {
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
    type Err = ParseParentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
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
/// `experiment_id:<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Braintrust parent `{value}`: {reason}")]
pub struct ParseParentError {
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
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// When and how the native exporter retries a request.
///
/// 429, 5xx answers and network failures are retried with exponential
/// backoff and jitter, waiting at least what `Retry-After` asks; other 4xx
/// answers are not retried. A request is given up after `max_attempts`, or
/// when the next wait would end more than `max_elapsed` after its first attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, backoff from 250 ms doubling up to 8 s, at most 30 s in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts per request, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; it doubles on each retry.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between two attempts (a `Retry-After` may ask for more).
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest time from a request's first attempt to its last retry.
    pub fn with_max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Attempts per request, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// See [`with_initial_backoff`](Self::with_initial_backoff).
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// See [`with_max_backoff`](Self::with_max_backoff).
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// See [`with_max_elapsed`](Self::with_max_elapsed).
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The wait after failed attempt number `attempt` (1-based): exponential,
    /// capped, with "equal jitter" (half fixed, half random), and never
    /// shorter than the server's `Retry-After`.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let backoff = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let half = backoff / 2;
        let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jittered = half + Duration::from_nanos(fastrand::u64(0..=jitter_nanos));
        retry_after.map_or(jittered, |after| after.max(jittered))
    }
}

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
/// | API key | [`with_api_key`](Self::with_api_key) | [`BRAINTRUST_API_KEY`] | none: required |
/// | API URL | [`with_api_url`](Self::with_api_url) | [`BRAINTRUST_API_URL`] | [`DEFAULT_API_URL`] |
/// | parent | [`with_parent`](Self::with_parent) | [`BRAINTRUST_PARENT`] | [`DEFAULT_PARENT`] |
///
/// The queue, retry and timeout settings are code-only.
///
/// `Debug` never shows the API key.
#[derive(Debug, Clone)]
pub struct BraintrustConfig {
    api_key: Option<ApiKey>,
    api_url: Option<String>,
    parent: Option<Parent>,
    queue_capacity: usize,
    retry: RetryPolicy,
    request_timeout: Duration,
    flush_timeout: Duration,
    /// Span filter and attachments (their builder methods are in `options`).
    rows: super::options::RowOptions,
}

impl Default for BraintrustConfig {
    fn default() -> Self {
        BraintrustConfig {
            api_key: None,
            api_url: None,
            parent: None,
            queue_capacity: 16,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(30),
            flush_timeout: Duration::from_secs(30),
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

    /// Reads [`BRAINTRUST_API_KEY`] (required), [`BRAINTRUST_API_URL`] and
    /// [`BRAINTRUST_PARENT`] now, so a missing key or a malformed value fails
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

    /// The API key (beats [`BRAINTRUST_API_KEY`]).
    pub fn with_api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The API base URL, e.g. [`DEFAULT_API_URL`] (beats [`BRAINTRUST_API_URL`]).
    pub fn with_api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// Where rows go (beats [`BRAINTRUST_PARENT`]).
    pub fn with_parent(mut self, parent: Parent) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Native exporter: how many export batches may wait for the worker
    /// thread (default 16). A batch arriving when the queue is full is dropped
    /// and counted in [`BraintrustStats::rows_dropped`](super::BraintrustStats::rows_dropped).
    pub fn with_queue_capacity(mut self, batches: usize) -> Self {
        self.queue_capacity = batches;
        self
    }

    /// Native exporter: when to retry (default [`RetryPolicy::default`]).
    /// The OTLP exporter maps it onto `opentelemetry_otlp::RetryPolicy`.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Deadline of one HTTP attempt (default 30 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Native exporter: how long `force_flush` waits for queued batches
    /// (default 30 s). `shutdown` uses the timeout the SDK passes.
    pub fn with_flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    pub(super) fn rows_mut(&mut self) -> &mut super::options::RowOptions {
        &mut self.rows
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
            None => ApiKey(env(BRAINTRUST_API_KEY)?.ok_or(BraintrustBuildError::MissingApiKey)?),
        };
        api_key.validate()?;

        let (api_url, origin) = match &self.api_url {
            Some(url) => (url.clone(), "code"),
            None => match env(BRAINTRUST_API_URL)? {
                Some(url) => (url, BRAINTRUST_API_URL),
                None => (DEFAULT_API_URL.to_owned(), "default"),
            },
        };
        let api_url = validate_url(&api_url, origin)?;

        let parent = match &self.parent {
            Some(parent) => {
                parent
                    .validate()
                    .map_err(|source| BraintrustBuildError::InvalidParent {
                        origin: "code",
                        source,
                    })?;
                parent.clone()
            }
            None => {
                let (text, origin) = match env(BRAINTRUST_PARENT)? {
                    Some(text) => (text, BRAINTRUST_PARENT),
                    None => (DEFAULT_PARENT.to_owned(), "default"),
                };
                text.parse()
                    .map_err(|source| BraintrustBuildError::InvalidParent { origin, source })?
            }
        };

        if self.queue_capacity == 0 {
            return Err(BraintrustBuildError::InvalidOption {
                option: "queue_capacity",
                reason: "must be at least 1",
            });
        }
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
            rows,
            queue_capacity: self.queue_capacity,
            retry: self.retry,
            request_timeout: self.request_timeout,
            flush_timeout: self.flush_timeout,
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
    pub(crate) rows: super::options::ResolvedRowOptions,
    pub(crate) queue_capacity: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) request_timeout: Duration,
    pub(crate) flush_timeout: Duration,
}

/// An environment variable; unset and blank are the same.
fn read_env(name: &'static str) -> Result<Option<String>, BraintrustBuildError> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(BraintrustBuildError::InvalidEnv { name }),
    }
}

fn validate_url(url: &str, origin: &'static str) -> Result<String, BraintrustBuildError> {
    let invalid = |reason: String| BraintrustBuildError::InvalidApiUrl {
        url: url.to_owned(),
        origin,
        reason,
    };
    let parsed = url::Url::parse(url.trim()).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https".to_owned()));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL takes no query or fragment".to_owned()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "credentials go in the API key, not in the URL".to_owned(),
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// Why a Braintrust exporter could not be built. Export-time failures are
/// reported differently: as `OTelSdkError` from the exporter, in
/// [`BraintrustStats`](super::BraintrustStats) and in the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BraintrustBuildError {
    /// No key in code nor in the environment.
    #[error(
        "no Braintrust API key: set {BRAINTRUST_API_KEY} or call BraintrustConfig::with_api_key"
    )]
    MissingApiKey,
    /// The key cannot be used (the message never contains the key).
    #[error("the Braintrust API key {reason}")]
    InvalidApiKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The API URL is not an absolute http(s) URL.
    #[error("invalid Braintrust API URL `{url}` (from {origin}): {reason}")]
    InvalidApiUrl {
        /// The value given.
        url: String,
        /// `code`, `default` or the environment variable it came from.
        origin: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The parent is not in Braintrust's format.
    #[error("{source} (from {origin})")]
    InvalidParent {
        /// `code`, `default` or the environment variable it came from.
        origin: &'static str,
        /// The parse error.
        source: ParseParentError,
    },
    /// An environment variable is not valid UTF-8.
    #[error("the environment variable {name} is not valid UTF-8")]
    InvalidEnv {
        /// The variable.
        name: &'static str,
    },
    /// A code-only option is out of range.
    #[error("invalid Braintrust exporter option {option}: {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// What is expected.
        reason: &'static str,
    },
    /// The HTTP client could not be built (TLS initialisation).
    #[error("could not build the HTTP client for Braintrust")]
    HttpClient(#[source] reqwest::Error),
    /// The worker thread or its runtime could not start.
    #[error("could not start the Braintrust export worker")]
    Worker(#[source] std::io::Error),
    /// The wrapped OTLP exporter could not be built.
    #[error("could not build the OTLP exporter for Braintrust")]
    Otlp(#[source] opentelemetry_otlp::ExporterBuildError),
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0b5c3a5e-8a6f-4f57-9f1e-3b0c9a9d2f10";

    fn env_of(
        vars: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&'static str) -> Result<Option<String>, BraintrustBuildError> {
        move |name| {
            Ok(vars
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned()))
        }
    }

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
            format!("project_id:{}", UUID.to_uppercase()).parse::<Parent>(),
            Ok(Parent::ProjectId(UUID.to_owned()))
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

    #[test]
    fn code_beats_env_beats_default() {
        static ENV: &[(&str, &str)] = &[
            (BRAINTRUST_API_KEY, "env-key"),
            (BRAINTRUST_API_URL, "http://env.example/"),
            (BRAINTRUST_PARENT, "project_name:from-env"),
        ];
        let env = env_of(ENV);
        let from_env = BraintrustConfig::new()
            .resolve_with(&env)
            .expect("resolves");
        assert_eq!(from_env.api_key.expose(), "env-key");
        assert_eq!(from_env.api_url, "http://env.example");
        assert_eq!(from_env.parent, Parent::ProjectName("from-env".to_owned()));

        let code = BraintrustConfig::new()
            .with_api_key("code-key")
            .with_api_url("http://code.example/base/")
            .with_parent(Parent::ProjectName("from-code".to_owned()))
            .resolve_with(&env)
            .expect("resolves");
        assert_eq!(code.api_key.expose(), "code-key");
        assert_eq!(code.api_url, "http://code.example/base");
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

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let policy = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(400));
        for _ in 0..50 {
            let first = policy.delay(1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let late = policy.delay(10, None);
            assert!(late >= Duration::from_millis(200) && late <= Duration::from_millis(400));
            let asked = policy.delay(1, Some(Duration::from_secs(3)));
            assert_eq!(asked, Duration::from_secs(3));
        }
    }
}
