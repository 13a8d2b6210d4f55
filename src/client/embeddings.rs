//! `EmbeddingsClient` and `ImageEmbeddingsClient`.

use crate::error::{Error, Result};
use crate::models::{EmbeddingsOptions, EmbeddingsResult, ImageEmbeddingsOptions};
use opentelemetry::Context;

use crate::telemetry::{
    Instrumentation, Operation, OperationSpan, RequestAttributes, RequestParam, ResponseRecord,
    UsageRecord,
};

use super::core::ClientCore;

const TEXT_ROUTE: &str = "embeddings";
const IMAGE_ROUTE: &str = "images/embeddings";

declare_client! {
    /// A client for `POST {endpoint}/embeddings`: one `embeddings {model}`
    /// CLIENT span per call, with the number of vectors returned and their
    /// size (`gen_ai.embeddings.dimension.count`), never the vectors. The text
    /// inputs are recorded only with content recording on.
    pub struct EmbeddingsClient;
    /// A client for `endpoint` (see [`ChatCompletionsClient::new`](super::ChatCompletionsClient::new)).
    pub fn new;
    get_model_info;
}

declare_client! {
    /// A client for `POST {endpoint}/images/embeddings`: one
    /// `embeddings {model}` CLIENT span per call. Images are never recorded.
    pub struct ImageEmbeddingsClient;
    /// A client for `endpoint` (see [`ChatCompletionsClient::new`](super::ChatCompletionsClient::new)).
    pub fn new;
    get_model_info;
}

impl EmbeddingsClient {
    /// Embeds the texts of `options`.
    pub async fn embed(&self, options: EmbeddingsOptions) -> Result<EmbeddingsResult> {
        embed(&self.core, TEXT_ROUTE, options).await
    }
}

impl ImageEmbeddingsClient {
    /// Embeds the images (with optional texts) of `options`.
    pub async fn embed(&self, options: ImageEmbeddingsOptions) -> Result<EmbeddingsResult> {
        embed(&self.core, IMAGE_ROUTE, options).await
    }
}

/// What the two embeddings requests share, so one function sends both.
pub(crate) trait EmbeddingsRequest: serde::Serialize {
    fn model_mut(&mut self) -> &mut Option<String>;
    fn model(&self) -> Option<&str>;
    fn encoding_format(&self) -> Option<&str>;
    fn dimensions(&self) -> Option<u32>;
    /// The text inputs, recorded with content recording on (images never are).
    fn texts(&self) -> Option<&[String]>;
}

impl EmbeddingsRequest for EmbeddingsOptions {
    fn dimensions(&self) -> Option<u32> {
        self.dimensions
    }
    fn texts(&self) -> Option<&[String]> {
        Some(&self.input)
    }
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
    fn dimensions(&self) -> Option<u32> {
        self.dimensions
    }
    fn texts(&self) -> Option<&[String]> {
        None
    }
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
/// `embeddings {model}` span. Text inputs are recorded with content
/// recording on; images and vectors never are.
async fn embed<O: EmbeddingsRequest>(
    core: &ClientCore,
    route: &str,
    mut options: O,
) -> Result<EmbeddingsResult> {
    core.resolve_model(options.model_mut())?;
    let mut span = start_span(core.instrumentation(), Some(&options), &Context::current());
    let result = match serde_json::to_vec(&options).map_err(Error::Serialize) {
        Ok(body) => {
            core.post_and_decode::<EmbeddingsResult>(route, body, &mut span)
                .await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(result) => {
            record_answer(&mut span, options.dimensions(), &result);
            span.end();
            Ok(result)
        }
        Err(error) => {
            span.fail(&error);
            Err(error)
        }
    }
}

/// Starts the `embeddings` span of a request under `parent` (text inputs
/// recorded with content recording on; images and vectors never): what
/// these clients do, and what the instrumentation of other clients
/// (`crate::instrument`) does with the request it decoded (`None`: a body
/// that did not decode).
pub(crate) fn start_span<O: EmbeddingsRequest>(
    instrumentation: &Instrumentation,
    options: Option<&O>,
    parent: &Context,
) -> OperationSpan {
    let mut request = RequestAttributes::with_model(options.and_then(|o| o.model()));
    if let Some(format) = options.and_then(|o| o.encoding_format()) {
        request = request.with(RequestParam::EncodingFormat, format);
    }
    let dimensions = options.and_then(|o| o.dimensions());
    if let Some(dimensions) = dimensions {
        request = request.with(RequestParam::Dimensions, dimensions);
    }
    let mut span = instrumentation.start_with_parent(Operation::Embeddings, &request, parent);
    if let Some(dimensions) = dimensions {
        span.record_embeddings_dimensions(dimensions);
    }
    if let Some(texts) = options.and_then(|o| o.texts()) {
        span.record_embeddings_inputs(texts);
    }
    span
}

/// Records an embeddings answer on its span; the answer's dimensions only
/// when the request did not ask for some (`requested`).
pub(crate) fn record_answer(
    span: &mut OperationSpan,
    requested: Option<u32>,
    result: &EmbeddingsResult,
) {
    span.record_response(&ResponseRecord {
        id: Some(result.id.as_str()).filter(|id| !id.is_empty()),
        model: result.model.as_deref(),
        usage: result
            .usage
            .as_ref()
            .map(|u| UsageRecord::new(Some(u.prompt_tokens), None)),
        choices: Vec::new(),
    });
    let shown = match requested {
        Some(_) => None,
        None => result
            .data
            .first()
            .and_then(|item| item.embedding.dimensions()),
    };
    span.record_embeddings_answer(result.data.len(), shown);
}
