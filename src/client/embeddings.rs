//! `EmbeddingsClient` and `ImageEmbeddingsClient`.

use crate::error::{Error, Result};
use crate::models::{EmbeddingsOptions, EmbeddingsResult, ImageEmbeddingsOptions, ModelInfo};
use crate::telemetry::{Operation, RequestAttributes, RequestParam, ResponseRecord, UsageRecord};

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
    pub async fn embed(&self, options: EmbeddingsOptions) -> Result<EmbeddingsResult> {
        embed(&self.core, TEXT_ROUTE, options).await
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
    pub async fn embed(&self, options: ImageEmbeddingsOptions) -> Result<EmbeddingsResult> {
        embed(&self.core, IMAGE_ROUTE, options).await
    }

    /// `GET {endpoint}/info`: the model behind the endpoint.
    pub async fn get_model_info(&self) -> Result<ModelInfo> {
        self.core.model_info().await
    }
}

/// What the two embeddings requests share, so one function sends both.
trait EmbeddingsRequest: serde::Serialize {
    fn model_mut(&mut self) -> &mut Option<String>;
    fn model(&self) -> Option<&str>;
    fn encoding_format(&self) -> Option<&str>;
}

impl EmbeddingsRequest for EmbeddingsOptions {
    fn model_mut(&mut self) -> &mut Option<String> {
        &mut self.model
    }
    fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }
    fn encoding_format(&self) -> Option<&str> {
        self.encoding_format.as_ref().map(|f| f.as_str())
    }
}

impl EmbeddingsRequest for ImageEmbeddingsOptions {
    fn model_mut(&mut self) -> &mut Option<String> {
        &mut self.model
    }
    fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }
    fn encoding_format(&self) -> Option<&str> {
        self.encoding_format.as_ref().map(|f| f.as_str())
    }
}

/// Fills in the default model, then sends `options` to `route` inside an
/// `embeddings {model}` span. Inputs are never recorded.
async fn embed<O: EmbeddingsRequest>(
    core: &ClientCore,
    route: &str,
    mut options: O,
) -> Result<EmbeddingsResult> {
    core.resolve_model(options.model_mut())?;
    let mut request = RequestAttributes::with_model(options.model());
    if let Some(format) = options.encoding_format() {
        request = request.with(RequestParam::EncodingFormat, format);
    }
    let mut span = core
        .instrumentation()
        .start(Operation::Embeddings, &request);
    let result = match serde_json::to_vec(&options).map_err(Error::Serialize) {
        Ok(body) => {
            core.post_and_decode::<EmbeddingsResult>(route, body, &mut span)
                .await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(result) => {
            span.record_response(&ResponseRecord {
                id: Some(result.id.as_str()).filter(|id| !id.is_empty()),
                model: result.model.as_deref(),
                usage: result
                    .usage
                    .as_ref()
                    .map(|u| UsageRecord::new(Some(u.prompt_tokens), None)),
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
