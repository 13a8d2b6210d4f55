//! The endpoint, key and model from the environment, under the crate's own
//! names and the ones Microsoft's v1 samples use, with one precedence.
//!
//! | Setting | First | Then |
//! |---|---|---|
//! | endpoint | `AZURE_AI_INFERENCE_ENDPOINT` | `AZURE_OPENAI_ENDPOINT` |
//! | API key | `AZURE_AI_INFERENCE_KEY` | `AZURE_OPENAI_API_KEY` |
//! | model (the deployment name on v1) | `AZURE_AI_INFERENCE_MODEL` | — |
//!
//! The crate's own names win; each setting is resolved on its own, and an
//! empty or blank value counts as unset. Code (a flag, an argument) beats
//! both: callers apply it first.

use std::fmt;

use crate::net::Secret;

/// The endpoint URL (the crate's own name; wins over `AZURE_OPENAI_ENDPOINT`).
pub(crate) const AZURE_AI_INFERENCE_ENDPOINT: &str = "AZURE_AI_INFERENCE_ENDPOINT";
/// The API key (the crate's own name; wins over `AZURE_OPENAI_API_KEY`).
pub(crate) const AZURE_AI_INFERENCE_KEY: &str = "AZURE_AI_INFERENCE_KEY";
/// The model, on v1 the deployment name.
pub(crate) const AZURE_AI_INFERENCE_MODEL: &str = "AZURE_AI_INFERENCE_MODEL";
/// The endpoint URL as Microsoft's v1 samples name it, e.g.
/// `https://<resource>.openai.azure.com/openai/v1`.
pub(crate) const AZURE_OPENAI_ENDPOINT: &str = "AZURE_OPENAI_ENDPOINT";
/// The API key as Microsoft's v1 samples name it.
pub(crate) const AZURE_OPENAI_API_KEY: &str = "AZURE_OPENAI_API_KEY";

/// Endpoint, key and model read from the environment ([`EndpointEnv::from_env`]).
///
/// `Debug` never shows the key.
///
/// ```
/// use azure_ai_inference_otel::client::EndpointEnv;
///
/// let env = EndpointEnv::resolve_with(&|name| match name {
///     "AZURE_OPENAI_ENDPOINT" => Some("https://res.openai.azure.com/openai/v1".into()),
///     "AZURE_OPENAI_API_KEY" => Some("0123".into()),
///     _ => None,
/// });
/// assert_eq!(env.endpoint.as_deref(), Some("https://res.openai.azure.com/openai/v1"));
/// assert_eq!(env.endpoint_variable, Some("AZURE_OPENAI_ENDPOINT"));
/// assert!(env.key.is_some());
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct EndpointEnv {
    /// The endpoint URL, if set.
    pub endpoint: Option<String>,
    /// The variable the endpoint came from.
    pub endpoint_variable: Option<&'static str>,
    /// The API key, if set (hand it to [`Credential::api_key`](super::Credential::api_key);
    /// `Debug` shows a placeholder).
    pub key: Option<String>,
    /// The variable the key came from.
    pub key_variable: Option<&'static str>,
    /// The model, if set.
    pub model: Option<String>,
}

impl EndpointEnv {
    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::resolve_with(&|name| std::env::var(name).ok())
    }

    /// Resolves the settings from any variable lookup (see the module
    /// table for the precedence), so it can be tested without touching the
    /// process environment.
    pub fn resolve_with(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let first = |names: &[&'static str]| {
            names.iter().find_map(|&name| {
                env(name)
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .map(|v| (name, v))
            })
        };
        let endpoint = first(&[AZURE_AI_INFERENCE_ENDPOINT, AZURE_OPENAI_ENDPOINT]);
        let key = first(&[AZURE_AI_INFERENCE_KEY, AZURE_OPENAI_API_KEY]);
        let model = first(&[AZURE_AI_INFERENCE_MODEL]);
        EndpointEnv {
            endpoint_variable: endpoint.as_ref().map(|(name, _)| *name),
            endpoint: endpoint.map(|(_, v)| v),
            key_variable: key.as_ref().map(|(name, _)| *name),
            key: key.map(|(_, v)| v),
            model: model.map(|(_, v)| v),
        }
    }
}

impl fmt::Debug for EndpointEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointEnv")
            .field("endpoint", &self.endpoint)
            .field("endpoint_variable", &self.endpoint_variable)
            .field("key", &self.key.as_ref().map(|_| Secret::PLACEHOLDER))
            .field("key_variable", &self.key_variable)
            .field("model", &self.model)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(vars: &[(&str, &str)]) -> EndpointEnv {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EndpointEnv::resolve_with(&|name| vars.get(name).cloned())
    }

    #[test]
    fn the_crate_s_own_names_win() {
        let env = resolve(&[
            (
                AZURE_AI_INFERENCE_ENDPOINT,
                "https://a.services.ai.azure.com/openai/v1",
            ),
            (
                AZURE_OPENAI_ENDPOINT,
                "https://b.openai.azure.com/openai/v1",
            ),
            (AZURE_AI_INFERENCE_KEY, "own-key"),
            (AZURE_OPENAI_API_KEY, "sample-key"),
            (AZURE_AI_INFERENCE_MODEL, "gpt-5-mini"),
        ]);
        assert_eq!(
            env.endpoint.as_deref(),
            Some("https://a.services.ai.azure.com/openai/v1")
        );
        assert_eq!(env.endpoint_variable, Some(AZURE_AI_INFERENCE_ENDPOINT));
        assert_eq!(env.key.as_deref(), Some("own-key"));
        assert_eq!(env.key_variable, Some(AZURE_AI_INFERENCE_KEY));
        assert_eq!(env.model.as_deref(), Some("gpt-5-mini"));
        let debug = format!("{env:?}");
        assert!(
            !debug.contains("own-key") && debug.contains("redacted"),
            "{debug}"
        );
    }

    #[test]
    fn microsoft_s_sample_names_fill_in_each_setting_on_its_own() {
        let env = resolve(&[
            (
                AZURE_OPENAI_ENDPOINT,
                " https://b.openai.azure.com/openai/v1 ",
            ),
            (AZURE_AI_INFERENCE_KEY, "own-key"),
            (AZURE_OPENAI_API_KEY, "sample-key"),
        ]);
        assert_eq!(
            env.endpoint.as_deref(),
            Some("https://b.openai.azure.com/openai/v1")
        );
        assert_eq!(env.endpoint_variable, Some(AZURE_OPENAI_ENDPOINT));
        assert_eq!(env.key_variable, Some(AZURE_AI_INFERENCE_KEY));

        // Blank counts as unset.
        let env = resolve(&[(AZURE_AI_INFERENCE_KEY, "  "), (AZURE_OPENAI_API_KEY, "k")]);
        assert_eq!(env.key_variable, Some(AZURE_OPENAI_API_KEY));
        assert!(resolve(&[]).endpoint.is_none());
    }
}
