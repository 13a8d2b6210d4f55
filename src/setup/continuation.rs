//! Continuing a caller's trace from the headers of its request.
//!
//! A request from another traced service carries `traceparent` (and maybe
//! `tracestate`) naming the caller's span, and `baggage` with entries such as
//! `braintrust.parent`. Extracting them takes the W3C propagators, a header
//! adapter and tracing-opentelemetry's `set_parent`, all of the versions this
//! crate uses (a service on other versions compiles and silently ignores the
//! incoming trace): [`continue_trace`] is those steps in one call.

use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use tracing_opentelemetry::{OpenTelemetrySpanExt as _, SetParentError};

/// Makes `span` continue the W3C trace whose context the caller sent in
/// `headers` (`traceparent`, `tracestate`, `baggage`): the span becomes a
/// child of the caller's span, in the caller's trace, and its context carries
/// the caller's baggage, so the client spans under it do too (a
/// `braintrust.parent` entry routes their Braintrust rows as the
/// [`BraintrustParentProcessor`](crate::exporters::braintrust::BraintrustParentProcessor)
/// decides).
///
/// Call it on the request's span before the span is first entered, e.g. in
/// tower-http's `TraceLayer::make_span_with`:
///
/// ```
/// use azure_ai_inference_otel::setup::continue_trace;
///
/// fn make_span<B>(request: &http::Request<B>) -> tracing::Span {
///     let span = tracing::info_span!("request", method = %request.method(), uri = %request.uri());
///     let _ = continue_trace(&span, request.headers());
///     span
/// }
/// ```
///
/// Returns `Ok(true)` when the span now continues the caller's trace or
/// carries its baggage, `Ok(false)` when the headers hold neither (the span
/// is left as it was), and the reason when the span cannot take a parent:
/// it was already entered ([`SetParentError::AlreadyStarted`]), the
/// pipeline's `tracing` layer is not installed, or the span is filtered out.
/// The W3C propagators are used whatever the global propagator is, so this
/// works with [`with_global(false)`](super::PipelineBuilder::with_global) too.
pub fn continue_trace(
    span: &tracing::Span,
    headers: &http::HeaderMap,
) -> Result<bool, SetParentError> {
    let propagator = TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]);
    let cx = propagator.extract(&HeaderExtractor(headers));
    let has_caller = cx.span().span_context().is_valid();
    let has_baggage = !opentelemetry::baggage::BaggageExt::baggage(&cx).is_empty();
    if !has_caller && !has_baggage {
        return Ok(false);
    }
    span.set_parent(cx)?;
    Ok(true)
}
