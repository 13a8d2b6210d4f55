//! `ModelsClient`: the models a v1 endpoint offers (`GET {v1}/models`).

use crate::error::{ConfigField, Error, Result};
use crate::models::ModelList;

use super::core::ClientCore;
use super::credential::Credential;
use super::endpoint::EndpointKind;
use super::options::ClientOptions;

const ROUTE: &str = "models";

/// A client for `GET {endpoint}/models`: the models, on Azure the
/// deployments, that a v1 endpoint offers (the OpenAI SDKs'
/// `client.models.list()`).
///
/// It takes the same endpoint, [`Credential`] and [`ClientOptions`] as the
/// other clients: the same auth headers, no `api-version` unless the
/// options set one, transient failures retried by the options'
/// [`RetryPolicy`](super::RetryPolicy), non-success answers as
/// [`Error::Http`] and error objects as [`Error::Service`], and the answer
/// read up to [`ClientOptions::with_max_response_bytes`].
///
/// **No span.** Listing models is not a GenAI operation: the GenAI semantic
/// conventions define no `gen_ai.operation.name` for it, and a span without
/// one would be a plain HTTP client span, which is the HTTP
/// instrumentation's to make (`GET /info` makes none either). The current
/// trace context is still sent (`traceparent`), so the call is correlated
/// with the caller's trace on the service side. No metrics, no Braintrust
/// row.
///
/// **v1 only.** The model list is served under a v1 base
/// (`https://<resource>.openai.azure.com/openai/v1`,
/// `https://<resource>.services.ai.azure.com/openai/v1`, or a loopback
/// `…/openai/v1`). On any other endpoint, [`new`](Self::new) fails with
/// [`Error::InvalidConfig`] naming `endpoint` rather than call a URL that
/// is not the list: an Azure OpenAI deployment route has none, and the
/// retired Model Inference API's `…/models` base describes its one model at
/// `GET /info` ([`ChatCompletionsClient::get_model_info`](super::ChatCompletionsClient::get_model_info)).
///
/// ```no_run
/// # async fn demo() -> azure_ai_inference_otel::Result<()> {
/// use azure_ai_inference_otel::client::{Credential, ModelsClient};
///
/// let client = ModelsClient::new(
///     "https://my-resource.openai.azure.com/openai/v1",
///     Credential::api_key(std::env::var("AZURE_OPENAI_API_KEY").unwrap_or_default())?,
///     None,
/// )?;
/// for id in client.list().await?.ids() {
///     println!("{id}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ModelsClient {
    core: ClientCore,
}

impl ModelsClient {
    /// A client for `endpoint`, a v1 base; any other endpoint shape is an
    /// [`Error::InvalidConfig`] naming `endpoint` and what to give instead.
    pub fn new(
        endpoint: impl AsRef<str>,
        credential: Credential,
        options: Option<ClientOptions>,
    ) -> Result<Self> {
        let core = ClientCore::new(endpoint.as_ref(), credential, options)?;
        if let Some(reason) = not_listable(core.endpoint_kind()) {
            return Err(Error::invalid_config(ConfigField::Endpoint, reason));
        }
        Ok(ModelsClient { core })
    }

    /// `GET {endpoint}/models`: the models the endpoint offers.
    pub async fn list(&self) -> Result<ModelList> {
        self.core.get_json(ROUTE).await
    }
}

/// Why an endpoint of `kind` has no model list, or `None` when it has one
/// (a v1 base).
fn not_listable(kind: EndpointKind) -> Option<String> {
    const V1: &str = "give the resource's v1 base, https://<resource>.openai.azure.com/openai/v1";
    match kind {
        EndpointKind::V1 => None,
        EndpointKind::Deployment => Some(format!(
            "an Azure OpenAI deployment route has no model list (GET /models is a v1 API route): {V1}"
        )),
        EndpointKind::ModelInference => Some(format!(
            "the Model Inference API (retired 2026-08-26) has no model list; it describes its one model at GET /info (get_model_info). For the list, {V1}"
        )),
        _ => Some(format!(
            "GET /models is a v1 API route and this endpoint is not a v1 base (a path ending in /openai/v1): {V1}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_v1_bases_have_a_model_list() {
        assert_eq!(not_listable(EndpointKind::V1), None);
        for (kind, says) in [
            (EndpointKind::Deployment, "deployment route"),
            (EndpointKind::ModelInference, "retired 2026-08-26"),
            (EndpointKind::Other, "not a v1 base"),
        ] {
            let reason = not_listable(kind).unwrap();
            assert!(reason.contains(says), "{kind}: {reason}");
            assert!(reason.contains("/openai/v1"), "{kind}: {reason}");
        }
    }
}
