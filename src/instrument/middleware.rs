//! The `reqwest_middleware::Middleware` for a service's own reqwest calls.

use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use super::exchange::Instrumenter;
use crate::telemetry::TelemetryOptions;

/// Spans, metrics and Braintrust rows for the GenAI calls a service makes
/// with its own reqwest code, through
/// [reqwest-middleware](https://docs.rs/reqwest-middleware).
///
/// ```no_run
/// use azure_ai_inference_otel::instrument::GenAiMiddleware;
/// use azure_ai_inference_otel::telemetry::TelemetryOptions;
///
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(GenAiMiddleware::new(TelemetryOptions::new()))
///     .build();
/// ```
///
/// Attach it last (nearest the network), after a retry middleware, so
/// each attempt is one span. What it recognises and records is described
/// in [the module docs](super).
#[derive(Clone, Debug)]
pub struct GenAiMiddleware {
    instrumenter: Instrumenter,
}

impl GenAiMiddleware {
    /// A middleware recording with `options` (tracer and meter providers,
    /// content recording, vocabulary, provider value), as the crate's
    /// clients do. The provider is `az.ai.inference` unless `options` name
    /// another ([`TelemetryOptions::with_provider`]): `openai` for calls to
    /// OpenAI itself, `azure.ai.openai` for Azure OpenAI.
    pub fn new(options: TelemetryOptions) -> Self {
        GenAiMiddleware {
            instrumenter: Instrumenter::new(options),
        }
    }
}

#[async_trait::async_trait]
impl Middleware for GenAiMiddleware {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let Some(exchange) = self.instrumenter.begin(&mut request) else {
            return next.run(request, extensions).await;
        };
        match next.run(request, extensions).await {
            Ok(response) => Ok(exchange.respond(response)),
            Err(error) => {
                exchange.fail(match &error {
                    reqwest_middleware::Error::Reqwest(e) => Some(e),
                    reqwest_middleware::Error::Middleware(_) => None,
                });
                Err(error)
            }
        }
    }
}
