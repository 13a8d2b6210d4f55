//! The `tower::Layer` for async-openai's `Client::with_http_service`.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use reqwest::header::{HeaderName, HeaderValue};

use super::exchange::Instrumenter;
use crate::telemetry::TelemetryOptions;

/// Spans, metrics and Braintrust rows for the calls an
/// [async-openai](https://docs.rs/async-openai) client makes: a
/// `tower::Layer` for its `middleware` feature's
/// `Client::with_http_service`.
///
/// Put it right above the service that sends (`ReqwestService`), below a
/// retry layer, so each attempt is one span (as HTTP client
/// instrumentation does):
///
/// ```no_run
/// use async_openai::{Client, config::OpenAIConfig};
/// use async_openai::middleware::{ReqwestService, retry::OpenAIRetryLayer};
/// use azure_ai_inference_otel::instrument::GenAiLayer;
/// use azure_ai_inference_otel::telemetry::TelemetryOptions;
///
/// let service = tower::ServiceBuilder::new()
///     .layer(OpenAIRetryLayer::default())
///     .layer(GenAiLayer::new(TelemetryOptions::new()))
///     .service(ReqwestService::new(reqwest::Client::new()));
/// let client = Client::with_config(OpenAIConfig::new().with_api_base("https://my-resource.openai.azure.com/openai/v1"))
///     .with_http_service(service);
/// ```
///
/// What it recognises and records is described in [the module
/// docs](super). The request that goes out is the one async-openai built,
/// with the `traceparent` of the span added; a request sent again by a
/// retry below the layer is rebuilt by async-openai and gets the same
/// header.
#[derive(Clone, Debug)]
pub struct GenAiLayer {
    instrumenter: Instrumenter,
}

impl GenAiLayer {
    /// A layer recording with `options` (tracer and meter providers,
    /// content recording, vocabulary, provider value), as the crate's
    /// clients do. The provider is `az.ai.inference` unless `options` name
    /// another ([`TelemetryOptions::with_provider`]): `openai` for calls to
    /// OpenAI itself, `azure.ai.openai` for Azure OpenAI.
    pub fn new(options: TelemetryOptions) -> Self {
        GenAiLayer {
            instrumenter: Instrumenter::new(options),
        }
    }
}

impl<S> tower::Layer<S> for GenAiLayer {
    type Service = GenAiService<S>;

    fn layer(&self, inner: S) -> GenAiService<S> {
        GenAiService {
            inner,
            instrumenter: self.instrumenter.clone(),
        }
    }
}

/// The service [`GenAiLayer`] wraps around async-openai's HTTP service.
#[derive(Clone, Debug)]
pub struct GenAiService<S> {
    inner: S,
    instrumenter: Instrumenter,
}

/// The future of [`GenAiService::call`].
pub type GenAiFuture =
    Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send + 'static>>;

impl<S> tower::Service<HttpRequestFactory> for GenAiService<S>
where
    S: tower::Service<HttpRequestFactory, Response = reqwest::Response, Error = OpenAIError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = GenAiFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), OpenAIError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, factory: HttpRequestFactory) -> GenAiFuture {
        // The clone that was made ready is the one that is called.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let instrumenter = self.instrumenter.clone();
        Box::pin(async move {
            let mut request = match factory.build().await {
                Ok(request) => request,
                // The service below meets the same failure.
                Err(_) => return inner.call(factory).await,
            };
            let exchange = instrumenter.begin(&mut request);
            let headers: Arc<[(HeaderName, HeaderValue)]> = exchange
                .as_ref()
                .map_or_else(|| Arc::from([]), |e| Arc::from(e.headers()));
            let result = inner.call(replay(request, factory, headers)).await;
            let Some(exchange) = exchange else {
                return result;
            };
            match result {
                Ok(response) => Ok(exchange.respond(response)),
                Err(error) => {
                    exchange.fail(reqwest_error(&error));
                    Err(error)
                }
            }
        })
    }
}

/// A factory that hands out `built` (the request the layer looked at) the
/// first time, and rebuilds it with `factory` plus the trace `headers`
/// when a retry below asks again.
fn replay(
    built: reqwest::Request,
    factory: HttpRequestFactory,
    headers: Arc<[(HeaderName, HeaderValue)]>,
) -> HttpRequestFactory {
    let first = Arc::new(Mutex::new(Some(built)));
    HttpRequestFactory::new(move || {
        let first = first.lock().unwrap_or_else(PoisonError::into_inner).take();
        let factory = factory.clone();
        let headers = Arc::clone(&headers);
        async move {
            if let Some(request) = first {
                return Ok(request);
            }
            let mut request = factory.build().await?;
            for (name, value) in headers.iter() {
                request.headers_mut().insert(name, value.clone());
            }
            Ok(request)
        }
    })
}

/// The transport error inside an async-openai error, when there is one.
fn reqwest_error(error: &OpenAIError) -> Option<&reqwest::Error> {
    match error {
        OpenAIError::Reqwest(e) => Some(e),
        OpenAIError::Boxed(e) => e.downcast_ref(),
        _ => None,
    }
}
