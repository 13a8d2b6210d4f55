//! The service endpoint: the base URL every route is appended to.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use url::Url;

use super::OperationRoute;
use crate::error::{ConfigField, Error, Result};

/// Entra ID scope for the v1 API (`.../openai/v1` bases), the default on
/// those endpoints.
pub(crate) const AI_SCOPE: &str = "https://ai.azure.com/.default";

/// Entra ID scope for Azure AI Services and Azure OpenAI resources called
/// on their older routes (deployments, the Model Inference `/models` API).
pub(crate) const COGNITIVE_SERVICES_SCOPE: &str = "https://cognitiveservices.azure.com/.default";

/// Entra ID scope for everything else (serverless and managed compute
/// deployments in Azure Machine Learning / AI Foundry projects).
pub(crate) const MACHINE_LEARNING_SCOPE: &str = "https://ml.azure.com/.default";

/// Host suffixes whose resources take `COGNITIVE_SERVICES_SCOPE`.
const COGNITIVE_SERVICES_HOSTS: &[&str] = &[
    ".openai.azure.com",
    ".services.ai.azure.com",
    ".cognitiveservices.azure.com",
];

const EXAMPLE: &str = "https://<resource>.openai.azure.com/openai/v1";

/// The `api-version` sent to Azure OpenAI deployment routes when the caller
/// sets none: the newest GA data-plane version, the first GA one that takes
/// `stream_options` (older versions reject it, and without it a stream
/// reports no usage).
pub(crate) const DEFAULT_DEPLOYMENT_API_VERSION: &str = "2024-10-21";

/// The `api-version` sent to Model Inference (`/models`), serverless and
/// other endpoints when the caller sets none.
pub(crate) const DEFAULT_API_VERSION: &str = "2024-05-01-preview";

/// Which API an endpoint speaks, read from its URL by [`Endpoint::parse`].
///
/// It decides the `api-version` sent by default
/// ([`EndpointKind::default_api_version`]), the Entra ID scope
/// ([`Endpoint::default_scope`]), whether a model is required, whether
/// streamed requests ask for usage, and `openai.api.type` on spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndpointKind {
    /// The OpenAI-compatible v1 API: a path ending in `/openai/v1`
    /// (`https://<resource>.openai.azure.com/openai/v1`,
    /// `https://<resource>.services.ai.azure.com/openai/v1`, or any host,
    /// loopback included). `model` (the deployment name) is required; no
    /// `api-version` is sent unless the caller sets one.
    V1,
    /// An Azure OpenAI deployment route: `.../openai/deployments/<name>`,
    /// with a dated `api-version` (`DEFAULT_DEPLOYMENT_API_VERSION`).
    Deployment,
    /// The Azure AI Model Inference API: a path ending in `/models`, or a
    /// serverless `*.models.ai.azure.com` host. Microsoft retired it on
    /// 2026-08-26; endpoints that still answer keep working.
    ModelInference,
    /// Anything else (a local server, a proxy): treated like the Model
    /// Inference API.
    Other,
}

impl EndpointKind {
    /// Reads the kind from a host and a path without its trailing `/`.
    fn of(host: &str, path: &str) -> EndpointKind {
        if path.ends_with("/openai/v1") {
            EndpointKind::V1
        } else if deployment_name(path).is_some() {
            EndpointKind::Deployment
        } else if path.ends_with("/models") || host.ends_with(".models.ai.azure.com") {
            EndpointKind::ModelInference
        } else {
            EndpointKind::Other
        }
    }

    /// The `api-version` sent when the caller sets none: none on v1 (the
    /// service's default is `v1`), `DEFAULT_DEPLOYMENT_API_VERSION` on
    /// deployments, `DEFAULT_API_VERSION` otherwise.
    pub fn default_api_version(self) -> Option<&'static str> {
        match self {
            EndpointKind::V1 => None,
            EndpointKind::Deployment => Some(DEFAULT_DEPLOYMENT_API_VERSION),
            EndpointKind::ModelInference | EndpointKind::Other => Some(DEFAULT_API_VERSION),
        }
    }

    /// Whether the endpoint speaks the OpenAI API (v1 or a deployment
    /// route): spans carry `openai.api.type`, and streamed chat asks for
    /// usage with `stream_options`.
    pub fn is_openai(self) -> bool {
        matches!(self, EndpointKind::V1 | EndpointKind::Deployment)
    }

    /// Whether every request must name a model (the v1 API routes by it).
    pub fn requires_model(self) -> bool {
        self == EndpointKind::V1
    }

    /// `v1`, `deployment`, `model_inference` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::V1 => "v1",
            EndpointKind::Deployment => "deployment",
            EndpointKind::ModelInference => "model_inference",
            EndpointKind::Other => "other",
        }
    }
}

impl fmt::Display for EndpointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The deployment name of a `.../openai/deployments/<name>` path.
fn deployment_name(path: &str) -> Option<&str> {
    let (_, name) = path.rsplit_once("/openai/deployments/")?;
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// A validated service endpoint.
///
/// Parsed once from the URL the user gives ([`Endpoint::parse`]); operation
/// URLs are the endpoint followed by the route and, except on v1, the
/// `api-version` query parameter: `{endpoint}/chat/completions` on v1,
/// `{endpoint}/chat/completions?api-version=2024-10-21` on a deployment.
///
/// Accepted shapes (any path prefix is kept, trailing slashes are trimmed),
/// with the [`EndpointKind`] each is read as:
///
/// | Service | Endpoint | Kind |
/// |---|---|---|
/// | Azure OpenAI / AI Foundry, v1 API | `https://<resource>.openai.azure.com/openai/v1` | [`V1`](EndpointKind::V1) |
/// | AI Foundry (Azure AI Services), v1 API | `https://<resource>.services.ai.azure.com/openai/v1` | [`V1`](EndpointKind::V1) |
/// | Azure OpenAI deployment | `https://<resource>.openai.azure.com/openai/deployments/<deployment>` | [`Deployment`](EndpointKind::Deployment) |
/// | Model Inference API (retired 2026-08-26) | `https://<resource>.services.ai.azure.com/models` | [`ModelInference`](EndpointKind::ModelInference) |
/// | Serverless API | `https://<name>.<region>.models.ai.azure.com` | [`ModelInference`](EndpointKind::ModelInference) |
/// | Local / test server | `http://127.0.0.1:8080/openai/v1`, or any path | [`V1`](EndpointKind::V1) / [`Other`](EndpointKind::Other) |
///
/// GitHub Models (`models.inference.ai.azure.com`) was retired on 2026-07-30.
///
/// Rejected: schemes other than `http`/`https`, user names or passwords in the
/// URL (they would end up in logs), fragments, and **query strings**: the
/// API version is set with
/// [`ClientOptions::with_api_version`](crate::client::ClientOptions::with_api_version),
/// and silently keeping or dropping other parameters would hide mistakes.
/// An endpoint pasted with its operation path (`.../chat/completions`,
/// `.../images/embeddings`, `.../embeddings`, `.../openai/v1/models`) is rejected with a hint to
/// remove it, except that `.../deployments/embeddings` is a deployment name
/// and is kept.
///
/// Operation URLs are built once per (route, API version) and cached (shared
/// by clones, at most `URL_CACHE_LEN` entries; past that they are built per
/// call): rebuilding one cost about 3,600 instructions per call (callgrind),
/// a cached clone a few hundred.
#[derive(Clone)]
pub struct Endpoint {
    /// The base URL; its path never ends with `/` unless it is the root.
    url: Url,
    /// Which API the URL speaks.
    kind: EndpointKind,
    /// Built operation URLs, oldest first.
    cache: Arc<Mutex<Vec<CachedUrl>>>,
}

/// How many operation URLs an endpoint keeps (four routes, one API version
/// each is the common case).
const URL_CACHE_LEN: usize = 8;

/// One operation URL, with the route and version it was built from.
struct CachedUrl {
    route: Box<str>,
    api_version: Option<Box<str>>,
    url: Url,
}

impl PartialEq for Endpoint {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
    }
}

impl Eq for Endpoint {}

impl Endpoint {
    /// Parses and validates an endpoint URL.
    pub fn parse(input: &str) -> Result<Endpoint> {
        let trimmed = input.trim();
        let bad = |what: &str| {
            // Quoted redacted: a query (`?api-key=`, `?sig=`) or a
            // `user:password@` part holds a credential.
            let shown = crate::net::redact_url(trimmed);
            Error::invalid_config(
                ConfigField::Endpoint,
                format!("expected an https URL like {EXAMPLE}, got {shown:?} ({what})"),
            )
        };
        let mut url = Url::parse(trimmed).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(bad(&format!(
                "the scheme must be https or http, not {}",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Do not echo the input: it holds a credential.
            return Err(Error::invalid_config(
                ConfigField::Endpoint,
                "the URL must not contain a user name or password; pass the key with Credential::api_key",
            ));
        }
        if url.query().is_some() {
            return Err(bad(
                "remove the query string; set the API version with ClientOptions::with_api_version",
            ));
        }
        if url.fragment().is_some() {
            return Err(bad("remove the #fragment"));
        }
        let path = url.path().trim_end_matches('/').to_owned();
        if let Some(route) = pasted_route(&path) {
            return Err(bad(&format!(
                "remove the operation path /{route}; the client appends it"
            )));
        }
        url.set_path(&path);
        let kind = EndpointKind::of(url.host_str().unwrap_or_default(), &path);
        Ok(Endpoint {
            url,
            kind,
            cache: Arc::default(),
        })
    }

    /// Which API the endpoint speaks.
    pub fn kind(&self) -> EndpointKind {
        self.kind
    }

    /// The URL of `route` (`chat/completions`, `embeddings`, `responses`,
    /// `models`, `images/embeddings`, `info`) below the endpoint, with
    /// `api-version` as query parameter when there is one (see
    /// [`EndpointKind::default_api_version`] for what clients send).
    ///
    /// ```
    /// use azure_ai_inference_otel::client::Endpoint;
    ///
    /// let v1 = Endpoint::parse("https://res.openai.azure.com/openai/v1")?;
    /// assert_eq!(
    ///     v1.url_for("responses", None).as_str(),
    ///     "https://res.openai.azure.com/openai/v1/responses"
    /// );
    /// # Ok::<(), azure_ai_inference_otel::Error>(())
    /// ```
    pub fn url_for(&self, route: &str, api_version: Option<&str>) -> Url {
        // A poisoned lock only means another thread panicked while holding
        // it; the entries are whole either way.
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = cache
            .iter()
            .find(|c| &*c.route == route && c.api_version.as_deref() == api_version)
        {
            return hit.url.clone();
        }
        let url = self.build_url(route, api_version);
        if cache.len() < URL_CACHE_LEN {
            cache.push(CachedUrl {
                route: route.into(),
                api_version: api_version.map(Box::from),
                url: url.clone(),
            });
        }
        url
    }

    /// Builds the URL of `route` with `api-version` (see [`Endpoint::url_for`]).
    fn build_url(&self, route: &str, api_version: Option<&str>) -> Url {
        let mut url = self.url.clone();
        let base = self.url.path().trim_end_matches('/');
        let route = route.trim_start_matches('/');
        url.set_path(&format!("{base}/{route}"));
        if let Some(version) = api_version {
            url.query_pairs_mut().append_pair("api-version", version);
        }
        url
    }

    /// The host name or IP address (IPv6 in brackets), lower-cased.
    pub fn host(&self) -> &str {
        // `parse` guarantees a host.
        self.url.host_str().unwrap_or_default()
    }

    /// The effective port: the explicit one, else 443 for https and 80 for http.
    pub fn port(&self) -> u16 {
        self.url
            .port_or_known_default()
            .unwrap_or(if self.url.scheme() == "http" { 80 } else { 443 })
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// Whether the host is `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        crate::net::is_loopback(&self.url)
    }

    /// The Entra ID scope a token for this endpoint is requested for:
    /// `AI_SCOPE` on v1 bases (any host), else
    /// `COGNITIVE_SERVICES_SCOPE` for `*.openai.azure.com`,
    /// `*.services.ai.azure.com` and `*.cognitiveservices.azure.com`, else
    /// `MACHINE_LEARNING_SCOPE`.
    /// [`Credential::token_with_scope`](crate::client::Credential) overrides it.
    pub fn default_scope(&self) -> &'static str {
        let host = self.host();
        if self.kind == EndpointKind::V1 {
            AI_SCOPE
        } else if COGNITIVE_SERVICES_HOSTS.iter().any(|s| host.ends_with(s)) {
            COGNITIVE_SERVICES_SCOPE
        } else {
            MACHINE_LEARNING_SCOPE
        }
    }

    /// The endpoint as a URL.
    pub fn as_url(&self) -> &Url {
        &self.url
    }
}

/// The operation route a pasted URL ends with, if any: `…/deployments/embeddings`
/// is a deployment named `embeddings`, and `…/responses` and `…/models` count
/// only on a v1 base (elsewhere they may be a path segment of the base:
/// `…/models` is the Model Inference API's).
fn pasted_route(path: &str) -> Option<&'static str> {
    if path.ends_with("/openai/v1/models") {
        return Some("models");
    }
    match OperationRoute::of_path(path)? {
        OperationRoute::Embeddings if path.ends_with("/deployments/embeddings") => None,
        OperationRoute::Responses if !path.ends_with("/openai/v1/responses") => None,
        route => Some(route.as_str()),
    }
}

impl FromStr for Endpoint {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Endpoint::parse(s)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Endpoint").field(&self.url.as_str()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Endpoint {
        Endpoint::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        match Endpoint::parse(s) {
            Ok(e) => panic!("{s} parsed as {e}"),
            Err(e) => {
                assert!(
                    matches!(
                        e,
                        Error::InvalidConfig {
                            field: ConfigField::Endpoint,
                            ..
                        }
                    ),
                    "{e:?}"
                );
                e.to_string()
            }
        }
    }

    #[test]
    fn keeps_path_prefixes_and_trims_slashes() {
        let cases = [
            (
                "https://res.openai.azure.com/openai/deployments/gpt-4o/",
                "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=v1",
            ),
            (
                "https://res.services.ai.azure.com/models",
                "https://res.services.ai.azure.com/models/chat/completions?api-version=v1",
            ),
            (
                "https://models.inference.ai.azure.com",
                "https://models.inference.ai.azure.com/chat/completions?api-version=v1",
            ),
            (
                "https://models.inference.ai.azure.com///",
                "https://models.inference.ai.azure.com/chat/completions?api-version=v1",
            ),
            (
                "  https://x.eastus2.models.ai.azure.com/  ",
                "https://x.eastus2.models.ai.azure.com/chat/completions?api-version=v1",
            ),
            (
                "http://127.0.0.1:8080/v1",
                "http://127.0.0.1:8080/v1/chat/completions?api-version=v1",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                ok(input).url_for("chat/completions", Some("v1")).as_str(),
                want
            );
        }
    }

    #[test]
    fn url_for_every_route() {
        let e = ok("https://res.services.ai.azure.com/models");
        for (route, path) in [
            ("chat/completions", "/models/chat/completions"),
            ("embeddings", "/models/embeddings"),
            ("images/embeddings", "/models/images/embeddings"),
            ("info", "/models/info"),
        ] {
            let url = e.url_for(route, Some("2024-05-01-preview"));
            assert_eq!(url.path(), path);
            assert_eq!(url.query(), Some("api-version=2024-05-01-preview"));
        }
        // The version is encoded, never spliced in raw.
        assert_eq!(
            e.url_for("info", Some("a&b=c")).query(),
            Some("api-version=a%26b%3Dc")
        );
    }

    #[test]
    fn cached_urls_match_fresh_ones_past_the_cache_bound() {
        let e = ok("https://res.services.ai.azure.com/models");
        let clone = e.clone();
        for round in 0..2 {
            for v in 0..(URL_CACHE_LEN + 3) {
                for route in ["chat/completions", "info"] {
                    let version = format!("v{v}");
                    let want = e.build_url(route, Some(&version));
                    assert_eq!(e.url_for(route, Some(&version)), want, "round {round}");
                    assert_eq!(clone.url_for(route, Some(&version)), want, "round {round}");
                }
            }
        }
        assert_eq!(e.cache.lock().unwrap().len(), URL_CACHE_LEN);
        assert_eq!(e, ok("https://res.services.ai.azure.com/models/"));
    }

    #[test]
    fn host_port_and_kind() {
        let e = ok("https://Res.OpenAI.Azure.com/openai/deployments/d");
        assert_eq!((e.host(), e.port()), ("res.openai.azure.com", 443));
        assert!(e.is_https() && !e.is_loopback());

        let e = ok("http://localhost:5000");
        assert_eq!((e.host(), e.port()), ("localhost", 5000));
        assert!(e.is_loopback());

        let e = ok("http://example.com");
        assert_eq!(e.port(), 80);
        assert!(ok("http://[::1]:9/").is_loopback());
        assert_eq!(ok("http://[::1]:9/").host(), "[::1]");
    }

    #[test]
    fn scope_by_host() {
        for host in [
            "https://res.openai.azure.com/openai/deployments/d",
            "https://res.services.ai.azure.com/models",
            "https://res.cognitiveservices.azure.com",
        ] {
            assert_eq!(ok(host).default_scope(), COGNITIVE_SERVICES_SCOPE, "{host}");
        }
        for host in [
            "https://res.openai.azure.com/openai/v1",
            "https://res.services.ai.azure.com/openai/v1/",
            "http://127.0.0.1:9/openai/v1",
        ] {
            assert_eq!(ok(host).default_scope(), AI_SCOPE, "{host}");
        }
        for host in [
            "https://x.eastus2.models.ai.azure.com",
            "https://models.inference.ai.azure.com",
            "https://my.inference.ml.azure.com",
            // A look-alike host does not get the Cognitive Services scope.
            "https://openai.azure.com.evil.example",
        ] {
            assert_eq!(ok(host).default_scope(), MACHINE_LEARNING_SCOPE, "{host}");
        }
    }

    #[test]
    fn rejects_bad_inputs_with_a_reason() {
        assert!(
            err("").contains(
                "expected an https URL like https://<resource>.openai.azure.com/openai/v1"
            )
        );
        assert!(
            err("res.services.ai.azure.com/models").contains("res.services.ai.azure.com/models")
        );
        assert!(err("ftp://example.com").contains("scheme must be https or http"));
        assert!(err("file:///etc/passwd").contains("scheme"));
        assert!(
            err("https://example.com/?api-version=2024-05-01-preview").contains("with_api_version")
        );
        assert!(err("https://example.com/models#x").contains("fragment"));
        assert!(
            err("https://res.services.ai.azure.com/models/chat/completions")
                .contains("remove the operation path /chat/completions")
        );
        assert!(
            err("https://x.models.ai.azure.com/images/embeddings/").contains("/images/embeddings")
        );
        assert!(err("https://x.models.ai.azure.com/embeddings").contains("/embeddings"));
        assert!(
            err("https://res.openai.azure.com/openai/v1/responses")
                .contains("remove the operation path /responses")
        );
        assert!(
            err("https://res.openai.azure.com/openai/v1/models/")
                .contains("remove the operation path /models")
        );
        let e = err("https://user:hunter2@example.com");
        assert!(
            !e.contains("hunter2") && e.contains("user name or password"),
            "{e}"
        );
    }

    #[test]
    fn kind_by_url() {
        for (input, kind) in [
            ("https://res.openai.azure.com/openai/v1", EndpointKind::V1),
            (
                "https://res.services.ai.azure.com/openai/v1/",
                EndpointKind::V1,
            ),
            ("http://127.0.0.1:8080/openai/v1", EndpointKind::V1),
            ("http://localhost/proxy/openai/v1", EndpointKind::V1),
            (
                "https://res.openai.azure.com/openai/deployments/gpt-4o",
                EndpointKind::Deployment,
            ),
            (
                "https://res.services.ai.azure.com/models",
                EndpointKind::ModelInference,
            ),
            (
                "https://x.eastus2.models.ai.azure.com",
                EndpointKind::ModelInference,
            ),
            ("http://127.0.0.1:8080", EndpointKind::Other),
            // A version other than v1 is not the v1 API.
            (
                "https://res.openai.azure.com/openai/v2",
                EndpointKind::Other,
            ),
            (
                "https://res.openai.azure.com/openai/deployments/",
                EndpointKind::Other,
            ),
        ] {
            assert_eq!(ok(input).kind(), kind, "{input}");
        }
        assert_eq!(EndpointKind::V1.default_api_version(), None);
        assert_eq!(
            EndpointKind::Deployment.default_api_version(),
            Some(DEFAULT_DEPLOYMENT_API_VERSION)
        );
        assert_eq!(
            EndpointKind::ModelInference.default_api_version(),
            Some(DEFAULT_API_VERSION)
        );
        assert!(EndpointKind::V1.requires_model() && !EndpointKind::Other.requires_model());
        assert!(EndpointKind::Deployment.is_openai() && !EndpointKind::Other.is_openai());
        assert_eq!(EndpointKind::ModelInference.to_string(), "model_inference");
    }

    #[test]
    fn v1_urls_have_no_api_version_unless_given() {
        let e = ok("https://res.services.ai.azure.com/openai/v1");
        assert_eq!(
            e.url_for("chat/completions", None).as_str(),
            "https://res.services.ai.azure.com/openai/v1/chat/completions"
        );
        assert_eq!(
            e.url_for("embeddings", Some("preview")).as_str(),
            "https://res.services.ai.azure.com/openai/v1/embeddings?api-version=preview"
        );
        // Both are cached apart.
        assert_eq!(e.url_for("embeddings", None).query(), None);
    }

    #[test]
    fn a_deployment_named_embeddings_is_kept() {
        let e = ok("https://res.openai.azure.com/openai/deployments/embeddings");
        assert_eq!(
            e.url_for("embeddings", Some("v")).path(),
            "/openai/deployments/embeddings/embeddings"
        );
    }

    #[test]
    fn display_and_from_str() {
        let e: Endpoint = "https://res.services.ai.azure.com/models/".parse().unwrap();
        assert_eq!(e.to_string(), "https://res.services.ai.azure.com/models");
        assert_eq!(
            format!("{e:?}"),
            "Endpoint(\"https://res.services.ai.azure.com/models\")"
        );
        assert_eq!(
            ok("https://example.com/").to_string(),
            "https://example.com/"
        );
    }
}
