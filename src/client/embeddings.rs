//! `EmbeddingsClient` and `ImageEmbeddingsClient`.

use crate::error::{Error, Result};
use crate::models::{EmbeddingsOptions, EmbeddingsResult, ImageEmbeddingsOptions, ModelInfo};
use crate::telemetry::{Operation, OperationSpan, RequestAttributes, ResponseRecord, UsageRecord};

use super::core::ClientCore;
use super::credential::Credential;
use super::options::ClientOptions;

const TEXT_ROUTE: &str = "embeddings";
const IMAGE_ROUTE: &str = "images/embeddings";

/// A client for `POST {endpoint}/embeddings`: one `embeddings {model}`
/// CLIENT span per call. Inputs are never recorded.
#[derive(Clone, Debug)]
pub struct EmbeddingsClient {
    core: ClientCore,
}

/// A client for `POST {endpoint}/images/embeddings`: one
/// `embeddings {model}` CLIENT span per call. Images are never recorded.
#[derive(Clone, Debug)]
pub struct ImageEmbeddingsClient {
    core: ClientCore,
}

impl EmbeddingsClient {
    /// A client for `endpoint` (see [`ChatCompletionsClient::new`](super::ChatCompletionsClient::new)).
    pub fn new(
        endpoint: impl AsRef<str>,
        credential: Credential,
        options: Option<ClientOptions>,
    ) -> Result<Self> {
        Ok(EmbeddingsClient {
            core: ClientCore::new(endpoint.as_ref(), credential, options)?,
        })
    }

    /// Embeds the texts of `options`.
    pub async fn embed(&self, mut options: EmbeddingsOptions) -> Result<EmbeddingsResult> {
        if options.model.is_none() {
            options.model = self.core.default_model().map(str::to_owned);
        }
        let span = start(
            &self.core,
            options.model.as_deref(),
            options.encoding_format.as_ref().map(|f| f.as_str()),
        );
        let body = serde_json::to_vec(&options).map_err(Error::Serialize);
        send(&self.core, TEXT_ROUTE, body, span).await
    }

    /// `GET {endpoint}/info`: the model behind the endpoint.
    pub async fn get_model_info(&self) -> Result<ModelInfo> {
        self.core.model_info().await
    }
}

impl ImageEmbeddingsClient {
    /// A client for `endpoint` (see [`ChatCompletionsClient::new`](super::ChatCompletionsClient::new)).
    pub fn new(
        endpoint: impl AsRef<str>,
        credential: Credential,
        options: Option<ClientOptions>,
    ) -> Result<Self> {
        Ok(ImageEmbeddingsClient {
            core: ClientCore::new(endpoint.as_ref(), credential, options)?,
        })
    }

    /// Embeds the images (with optional texts) of `options`.
    pub async fn embed(&self, mut options: ImageEmbeddingsOptions) -> Result<EmbeddingsResult> {
        if options.model.is_none() {
            options.model = self.core.default_model().map(str::to_owned);
        }
        let span = start(
            &self.core,
            options.model.as_deref(),
            options.encoding_format.as_ref().map(|f| f.as_str()),
        );
        let body = serde_json::to_vec(&options).map_err(Error::Serialize);
        send(&self.core, IMAGE_ROUTE, body, span).await
    }

    /// `GET {endpoint}/info`: the model behind the endpoint.
    pub async fn get_model_info(&self) -> Result<ModelInfo> {
        self.core.model_info().await
    }
}

fn start(core: &ClientCore, model: Option<&str>, encoding_format: Option<&str>) -> OperationSpan {
    let request = RequestAttributes {
        model,
        encoding_format,
        ..Default::default()
    };
    core.instrumentation()
        .start(Operation::Embeddings, &request)
}

async fn send(
    core: &ClientCore,
    route: &str,
    body: Result<Vec<u8>>,
    mut span: OperationSpan,
) -> Result<EmbeddingsResult> {
    let result = match body {
        Ok(body) => core.post_for::<EmbeddingsResult>(route, body, &span).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(result) => {
            span.record_response(&ResponseRecord {
                id: Some(result.id.as_str()).filter(|id| !id.is_empty()),
                model: result.model.as_deref(),
                usage: result.usage.as_ref().map(|u| UsageRecord {
                    input_tokens: Some(u.prompt_tokens),
                    output_tokens: None,
                }),
                choices: Vec::new(),
            });
            span.end();
            Ok(result)
        }
        Err(error) => {
            span.fail(&error);
            Err(error)
        }
    }
}
