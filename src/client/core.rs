//! What every client shares: the transport, the resolved telemetry and the
//! default model.

use std::fmt;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::credential::Credential;
use super::endpoint::{Endpoint, EndpointKind};
use super::options::ClientOptions;
use super::resend::Resend;
use super::transport::{Transport, read_json, read_json_as, request_id};
use crate::error::{ConfigField, Error, Result};
use crate::models::ModelInfo;
use crate::telemetry::{Instrumentation, OperationSpan};

/// Route of the model-info operation.
const INFO_ROUTE: &str = "info";

/// One endpoint, one credential, one telemetry set-up. Cloning is cheap
/// (the HTTP client and the instruments are shared).
#[derive(Clone)]
pub(crate) struct ClientCore {
    transport: Transport,
    instrumentation: Instrumentation,
    default_model: Option<String>,
    /// The largest server-sent event a stream accepts.
    max_event_bytes: usize,
}

impl ClientCore {
    pub(crate) fn new(
        endpoint: &str,
        credential: Credential,
        options: Option<ClientOptions>,
    ) -> Result<Self> {
        let options = options.unwrap_or_default();
        let endpoint = Endpoint::parse(endpoint)?;
        let instrumentation =
            Instrumentation::new(options.telemetry(), endpoint.host(), endpoint.port());
        let default_model = options.model().map(str::to_owned);
        let max_event_bytes = options.max_event_bytes();
        let transport = Transport::new(endpoint, credential, &options)?;
        Ok(ClientCore {
            transport,
            instrumentation,
            default_model,
            max_event_bytes,
        })
    }

    pub(crate) fn instrumentation(&self) -> &Instrumentation {
        &self.instrumentation
    }

    /// Which API the endpoint speaks.
    pub(crate) fn endpoint_kind(&self) -> EndpointKind {
        self.transport.endpoint().kind()
    }

    /// Fills in the default model when the request names none; on an
    /// endpoint that routes by model (v1), a request left without one is
    /// an [`Error::InvalidConfig`] naming `model`, before anything is sent.
    pub(crate) fn resolve_model(&self, model: &mut Option<String>) -> Result<()> {
        if model.is_none() {
            model.clone_from(&self.default_model);
        }
        let kind = self.transport.endpoint().kind();
        if model.is_none() && kind.requires_model() {
            return Err(Error::invalid_config(
                ConfigField::Model,
                "the v1 API needs a model (the deployment name): set it on the request or with ClientOptions::with_model (azinfer --model, AZURE_AI_INFERENCE_MODEL)",
            ));
        }
        Ok(())
    }

    /// POSTs `body` to `route` with the span's context injected
    /// (`traceparent`), retrying transient failures, and returns the raw
    /// response and its request id (read once, for the span and for the
    /// errors its body may still cause). The one span covers every attempt.
    async fn post(
        &self,
        route: &str,
        body: Vec<u8>,
        span: &mut OperationSpan,
    ) -> (Result<reqwest::Response>, Option<String>) {
        let headers = super::propagation::span_headers(span);
        let mut on_retry = |e: &Error| span.record_retry(e);
        let result = self
            .transport
            .post_json(route, Bytes::from(body), &headers, false, &mut on_retry)
            .await;
        let id = record_request_id(span, &result);
        (result, id)
    }

    /// POSTs a streaming request like [`post`](Self::post), and returns
    /// with the response what it takes to send it again should the body
    /// fail before its first event.
    async fn open_stream(
        &self,
        route: &'static str,
        body: Vec<u8>,
        span: &mut OperationSpan,
    ) -> Result<(reqwest::Response, Resend)> {
        let headers = super::propagation::span_headers(span);
        let body = Bytes::from(body);
        let mut retries = 0;
        let mut on_retry = |e: &Error| {
            retries += 1;
            span.record_retry(e);
        };
        let result = self
            .transport
            .post_json(route, body.clone(), &headers, true, &mut on_retry)
            .await;
        record_request_id(span, &result);
        let response = result?;
        let resend = Resend::new(&self.transport, route, body, headers, retries);
        Ok((response, resend))
    }

    /// Serializes `request` and opens it as a stream
    /// ([`open_stream`](Self::open_stream)); the accepted response goes,
    /// with the span, to `wrap` (the operation's stream type's
    /// `from_response`, which then owns the span). On failure the span ends
    /// failed and the error is returned.
    pub(crate) async fn stream<S>(
        &self,
        route: &'static str,
        request: &impl serde::Serialize,
        mut span: OperationSpan,
        wrap: impl FnOnce(reqwest::Response, OperationSpan, Resend, usize) -> S,
    ) -> Result<S> {
        let opened = match serde_json::to_vec(request).map_err(Error::Serialize) {
            Ok(body) => self.open_stream(route, body, &mut span).await,
            Err(error) => Err(error),
        };
        match opened {
            Ok((response, resend)) => Ok(wrap(response, span, resend, self.max_event_bytes)),
            Err(error) => {
                span.fail(&error);
                Err(error)
            }
        }
    }

    /// POSTs `body` (as [`post`](Self::post), not streamed) and decodes the
    /// JSON answer as `T`.
    pub(crate) async fn post_and_decode<T: DeserializeOwned>(
        &self,
        route: &str,
        body: Vec<u8>,
        span: &mut OperationSpan,
    ) -> Result<T> {
        let (response, id) = self.post(route, body, span).await;
        read_json_as(response?, id, self.transport.max_response_bytes()).await
    }

    /// POSTs `body` (as [`post`](Self::post), not streamed) and reads the
    /// whole answer, for an operation that decodes it itself; also returns
    /// the response's request id.
    pub(crate) async fn post_and_read(
        &self,
        route: &str,
        body: Vec<u8>,
        span: &mut OperationSpan,
    ) -> Result<(Bytes, Option<String>)> {
        let (response, id) = self.post(route, body, span).await;
        match response?.bytes().await {
            Ok(bytes) => Ok((bytes, id)),
            Err(e) => Err(super::transport::body_error(e, None).with_request_id(id.as_deref())),
        }
    }

    /// `GET /info`. Not a GenAI operation, so it makes no span; the current
    /// context is still propagated. Retried like every request.
    pub(crate) async fn model_info(&self) -> Result<ModelInfo> {
        self.get_json(INFO_ROUTE).await
    }

    /// GETs `route` and decodes the JSON answer as `T`, for the routes that
    /// are not GenAI operations (`info`, `models`): no span, the current
    /// context propagated (`traceparent`), retried like every request, the
    /// body read up to the client's response limit.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, route: &str) -> Result<T> {
        let headers = super::propagation::context_headers(&opentelemetry::Context::current());
        let mut on_retry = |_: &Error| {};
        read_json(
            self.transport.get(route, &headers, &mut on_retry).await?,
            self.transport.max_response_bytes(),
        )
        .await
    }
}

/// Records the service's request id of the last attempt's answer, success
/// or failure, on `span`, and returns it.
pub(crate) fn record_request_id(
    span: &mut OperationSpan,
    result: &Result<reqwest::Response>,
) -> Option<String> {
    let id = match result {
        Ok(response) => request_id(response.headers()),
        Err(error) => error.request_id().map(str::to_owned),
    };
    if let Some(id) = &id {
        span.record_request_id(id);
    }
    id
}

impl fmt::Debug for ClientCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.transport.endpoint().as_url().as_str())
            .field("api_version", &self.transport.api_version())
            .field("default_model", &self.default_model)
            .field("records_content", &self.instrumentation.records_content())
            .finish_non_exhaustive()
    }
}
