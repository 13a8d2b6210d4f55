//! `ResponsesClient`: the Responses API (`POST {v1}/responses`), whole or streamed.

use crate::error::{ConfigField, Error, Result};
use crate::models::{ModelResponse, ResponseError, ResponseStatus, ResponsesOptions};
use crate::telemetry::{OperationSpan, record_model_response, start_responses_span};

use super::responses_stream::ResponsesStream;
use super::transport::{from_json, in_band_error, short_type_name};

const ROUTE: &str = "responses";

declare_client! {
    /// A client for the Responses API, `POST {endpoint}/responses`, the API
    /// Azure recommends for OpenAI models on the v1 surface
    /// (`https://<resource>.openai.azure.com/openai/v1`).
    ///
    /// Every call makes one `chat {model}` CLIENT span with
    /// `openai.api.type` = `responses` (TELEMETRY.md §10); the future and the
    /// stream end it on every path, including when dropped.
    ///
    /// ```no_run
    /// # async fn demo() -> azure_ai_inference_otel::Result<()> {
    /// use azure_ai_inference_otel::client::{Credential, ResponsesClient};
    /// use azure_ai_inference_otel::models::ResponsesOptions;
    ///
    /// let client = ResponsesClient::new(
    ///     "https://my-resource.openai.azure.com/openai/v1",
    ///     Credential::api_key(std::env::var("AZURE_OPENAI_API_KEY").unwrap_or_default())?,
    ///     None,
    /// )?;
    /// let answer = client
    ///     .create(ResponsesOptions::new("Say hi.").with_model("gpt-5-mini"))
    ///     .await?;
    /// println!("{}", answer.output_text().unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub struct ResponsesClient;
    /// A client for `endpoint`, a v1 base (`https://<resource>.openai.azure.com/openai/v1`
    /// or `https://<resource>.services.ai.azure.com/openai/v1`).
    pub fn new;
}

impl ResponsesClient {
    /// Creates a response and waits for all of it.
    ///
    /// A request with `stream: true` is refused (use
    /// [`create_streaming`](Self::create_streaming)); the request's model,
    /// else the client's default model, is sent (on a v1 endpoint a
    /// request without either is refused before anything is sent). A `failed` response is
    /// [`Error::Service`] with the response's error code; an `incomplete`
    /// one is returned (see its `incomplete_details`).
    pub async fn create(&self, mut request: ResponsesOptions) -> Result<ModelResponse> {
        if request.stream == Some(true) {
            return Err(Error::InvalidConfig {
                field: ConfigField::Stream,
                reason: "`create` waits for the whole answer; call `create_streaming` for \
                         `stream: true`"
                    .into(),
            });
        }
        self.core.resolve_model(&mut request.model)?;
        let mut span = start_responses_span(self.core.instrumentation(), &request);
        let result = async {
            let body = serde_json::to_vec(&request).map_err(Error::Serialize)?;
            self.core.post_and_read(ROUTE, body, &mut span).await
        }
        .await;
        match result.and_then(|(bytes, id)| decode(&bytes, id.as_deref())) {
            Ok(response) => finish(span, response),
            Err(error) => {
                span.fail(&error);
                Err(error)
            }
        }
    }

    /// Creates a streamed response. Resolves once the service has accepted
    /// the request; the returned [`ResponsesStream`] yields the typed events
    /// and ends after the terminal one (`response.completed`,
    /// `response.incomplete`, `response.failed`).
    pub async fn create_streaming(&self, mut request: ResponsesOptions) -> Result<ResponsesStream> {
        request.stream = Some(true);
        self.core.resolve_model(&mut request.model)?;
        let span = start_responses_span(self.core.instrumentation(), &request);
        self.core
            .stream(ROUTE, &request, span, ResponsesStream::from_response)
            .await
    }
}

/// Decodes a whole answer: a response object (whatever its status), else
/// the service's `{"error": {...}}` ([`Error::Service`]), else
/// [`Error::InvalidResponse`].
pub(crate) fn decode(bytes: &[u8], request_id: Option<&str>) -> Result<ModelResponse> {
    match from_json::<ModelResponse>(bytes) {
        // A response carries a status; an error object decodes as one
        // with an `error` and nothing else.
        Ok(response) if response.status.is_some() || response.error.is_none() => Ok(response),
        decoded => Err(match in_band_error(bytes) {
            Some(error) => error,
            None => Error::invalid_response(
                match decoded {
                    Err(e) => format!(
                        "expected a JSON {}: {e}",
                        short_type_name::<ModelResponse>()
                    ),
                    Ok(_) => "expected a response object".to_owned(),
                },
                bytes,
            ),
        }
        .with_request_id(request_id)),
    }
}

/// Records the answer and ends the span: a `failed` response is an error.
pub(crate) fn finish(mut span: OperationSpan, response: ModelResponse) -> Result<ModelResponse> {
    record_model_response(&mut span, &response);
    if response.status == Some(ResponseStatus::Failed) {
        let error = failure(response.error.as_ref(), None);
        span.fail(&error);
        return Err(error);
    }
    span.end();
    Ok(response)
}

/// [`Error::Service`] of a `failed` response or an `error` event.
pub(crate) fn failure(error: Option<&ResponseError>, request_id: Option<&str>) -> Error {
    let (code, message) = match error {
        Some(e) => (e.code.clone(), e.message.clone()),
        None => (
            None,
            "the response failed without an error object".to_owned(),
        ),
    };
    Error::service(code, message, request_id)
}
