//! The trace context headers of a request, through the global propagator,
//! and the propagator the pipeline installs.
//!
//! Every request asks the global propagator, whatever it is, through
//! [`TextMapPropagator::inject_context`]: one path. What makes the usual
//! case cheap is the propagator itself: the pipeline installs
//! [`TraceContextAndBaggage`], which writes `traceparent` from the span
//! context's bytes, where the SDK's `TraceContextPropagator` formats it
//! with `format!` (about 3,000 instructions per call, callgrind). A
//! propagator that declares no field (the default no-op one) is not
//! called at all, and no context is built for it.
//!
//! The headers are a short list ([`TraceHeaders`]), not a `HeaderMap`:
//! building a map, hashing its names and dropping it cost about 1,000
//! instructions per call (callgrind) for two entries that are then copied
//! into the request's own map anyway.

use http::header::{HeaderName, HeaderValue};
use opentelemetry::Context;
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceFlags, TraceState};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

use crate::hex::hex_into;
use crate::telemetry::OperationSpan;

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";
const BAGGAGE: &str = "baggage";
const EMPTY_VALUE: HeaderValue = HeaderValue::from_static("");
// Constants, so their names are checked once at compile time, not per call.
const TRACEPARENT_NAME: HeaderName = HeaderName::from_static(TRACEPARENT);
const TRACESTATE_NAME: HeaderName = HeaderName::from_static(TRACESTATE);
const BAGGAGE_NAME: HeaderName = HeaderName::from_static(BAGGAGE);

/// Trace context headers in the order the propagator wrote them, each name
/// once (a later value for a name replaces the earlier one).
pub(crate) type TraceHeaders = Vec<(HeaderName, HeaderValue)>;

/// The headers the global propagator writes for `span`.
pub(crate) fn span_headers(span: &OperationSpan) -> TraceHeaders {
    inject(|| span.context())
}

/// The headers the global propagator writes for `cx`.
pub(crate) fn context_headers(cx: &Context) -> TraceHeaders {
    inject(|| cx.clone())
}

/// Runs the global propagator on the context `cx` builds, unless the
/// propagator declares no field (then it has nothing to write).
fn inject(cx: impl FnOnce() -> Context) -> TraceHeaders {
    let mut headers = TraceHeaders::new();
    let mut cx = Some(cx);
    opentelemetry::global::get_text_map_propagator(|propagator| {
        if propagator.fields().next().is_some()
            && let Some(cx) = cx.take()
        {
            propagator.inject_context(&cx(), &mut HeaderInjector(&mut headers));
        }
    });
    headers
}

/// W3C trace context, then W3C baggage: what the SDK's
/// `TextMapCompositePropagator` of `TraceContextPropagator` and
/// `BaggagePropagator` does, the one the pipeline installs globally.
/// Extraction and baggage are the SDK's own; only the trace context is
/// written here: `traceparent` from the span context's bytes instead of
/// `format!`, and `tracestate` only when it is not empty (as the W3C
/// recommendation asks; the SDK's propagator sends an empty one).
#[derive(Debug)]
pub(crate) struct TraceContextAndBaggage {
    trace_context: TraceContextPropagator,
    baggage: BaggagePropagator,
    fields: [String; 3],
}

impl TraceContextAndBaggage {
    pub(crate) fn new() -> Self {
        TraceContextAndBaggage {
            trace_context: TraceContextPropagator::new(),
            baggage: BaggagePropagator::new(),
            fields: [TRACEPARENT, TRACESTATE, BAGGAGE].map(str::to_owned),
        }
    }
}

impl TextMapPropagator for TraceContextAndBaggage {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if sc.is_valid() {
            injector.set(TRACEPARENT, traceparent(sc));
            // No empty `tracestate` (the usual case): W3C Trace Context
            // §3.3.1.1, "Vendors MUST accept empty tracestate headers but
            // SHOULD avoid sending them". The SDK's propagator sends one;
            // leaving it out spares a header the HTTP stack hashes, clones
            // three times and writes (about 500 instructions per call,
            // callgrind).
            let state = sc.trace_state();
            if *state != TraceState::NONE {
                let header = state.header();
                if !header.is_empty() {
                    injector.set(TRACESTATE, header);
                }
            }
        }
        self.baggage.inject_context(cx, injector);
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let cx = self.trace_context.extract_with_context(cx, extractor);
        self.baggage.extract_with_context(&cx, extractor)
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

/// `00-{trace id}-{span id}-{flags}`, version 0, only the sampled flag.
fn traceparent(sc: &SpanContext) -> String {
    let mut buf = [0u8; 55];
    buf[..3].copy_from_slice(b"00-");
    hex_into(&sc.trace_id().to_bytes(), &mut buf[3..35]);
    buf[35] = b'-';
    hex_into(&sc.span_id().to_bytes(), &mut buf[36..52]);
    buf[52] = b'-';
    hex_into(
        &[(sc.trace_flags() & TraceFlags::SAMPLED).to_u8()],
        &mut buf[53..],
    );
    // Hex digits and dashes only: always UTF-8.
    std::str::from_utf8(&buf).unwrap_or_default().to_owned()
}

/// Writes propagator output as request headers; entries that are not valid
/// headers are skipped, and a name written again keeps the last value.
pub(crate) struct HeaderInjector<'a>(pub(crate) &'a mut TraceHeaders);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        let name = match key {
            TRACEPARENT => TRACEPARENT_NAME,
            TRACESTATE => TRACESTATE_NAME,
            BAGGAGE => BAGGAGE_NAME,
            other => match HeaderName::from_bytes(other.as_bytes()) {
                Ok(name) => name,
                Err(_) => return,
            },
        };
        // An owned value, shared from the start: reqwest and hyper clone
        // the request's headers (three times per call), and the first
        // clone of a value made from a plain `Vec` allocates its shared
        // form (about 200 instructions per call, callgrind).
        let value = if value.is_empty() {
            Ok(EMPTY_VALUE)
        } else {
            HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(value))
        };
        if let Ok(value) = value {
            match self.0.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = value,
                None => self.0.push((name, value)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::KeyValue;
    use opentelemetry::baggage::BaggageExt;
    use opentelemetry::propagation::TextMapCompositePropagator;
    use opentelemetry::trace::{SpanId, TraceId};
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use std::collections::HashMap;

    use super::*;
    use crate::telemetry::{Instrumentation, Operation, RequestAttributes, TelemetryOptions};

    fn get<'a>(headers: &'a TraceHeaders, name: &str) -> Option<&'a HeaderValue> {
        headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    #[test]
    fn a_name_written_twice_keeps_its_last_value() {
        let mut headers = TraceHeaders::new();
        let mut injector = HeaderInjector(&mut headers);
        injector.set("baggage", "a=1".to_owned());
        injector.set("traceparent", "00-x".to_owned());
        injector.set("baggage", "a=2".to_owned());
        injector.set("bad name", "x".to_owned());
        injector.set("x-bad-value", "a\nb".to_owned());
        assert_eq!(headers.len(), 2);
        assert_eq!(get(&headers, "baggage").unwrap(), "a=2");
    }

    /// The SDK's composite, the reference the pipeline's propagator is held to.
    fn reference() -> TextMapCompositePropagator {
        TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ])
    }

    fn contexts() -> Vec<Context> {
        let sampled = SpanContext::new(
            TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c),
            SpanId::from(0xb7ad_6b71_6920_3331),
            TraceFlags::SAMPLED,
            true,
            TraceState::from_key_value([("vendor", "value"), ("other", "x")]).unwrap(),
        );
        let unsampled = SpanContext::new(
            TraceId::from(1),
            SpanId::from(2),
            TraceFlags::default(),
            false,
            TraceState::default(),
        );
        let with = |sc: &SpanContext| Context::new().with_remote_span_context(sc.clone());
        vec![
            with(&sampled),
            with(&unsampled),
            with(&unsampled).with_baggage([KeyValue::new("braintrust.parent", "project_name:a b")]),
            Context::new().with_baggage([KeyValue::new("k", "v")]),
            Context::new(),
        ]
    }

    #[test]
    fn the_pipeline_propagator_injects_what_the_sdk_composite_injects() {
        let ours = TraceContextAndBaggage::new();
        let theirs = reference();
        let mut empty_states = 0;
        for cx in contexts() {
            let (mut a, mut b) = (TraceHeaders::new(), TraceHeaders::new());
            ours.inject_context(&cx, &mut HeaderInjector(&mut a));
            theirs.inject_context(&cx, &mut HeaderInjector(&mut b));
            // Everything the SDK writes but its empty `tracestate`.
            let before = b.len();
            b.retain(|(name, value)| !(name == "tracestate" && value.is_empty()));
            empty_states += before - b.len();
            assert_eq!(a, b);
        }
        assert_eq!(empty_states, 2, "the reference sends empty trace states");
        let sorted = |fields: FieldIter<'_>| {
            let mut fields: Vec<String> = fields.map(str::to_owned).collect();
            fields.sort();
            fields
        };
        assert_eq!(sorted(ours.fields()), sorted(theirs.fields()));
    }

    #[test]
    fn the_pipeline_propagator_extracts_what_it_injects() {
        let ours = TraceContextAndBaggage::new();
        for cx in contexts() {
            let mut carrier = HashMap::new();
            ours.inject_context(&cx, &mut carrier);
            let back = ours.extract(&carrier);
            let want = reference().extract(&carrier);
            assert_eq!(back.span().span_context(), want.span().span_context());
            let entries = |cx: &Context| {
                let mut all: Vec<String> = cx
                    .baggage()
                    .iter()
                    .map(|(k, (v, _))| format!("{k}={v}"))
                    .collect();
                all.sort();
                all
            };
            assert_eq!(entries(&back), entries(&want));
            assert_eq!(entries(&back), entries(&cx));
            if cx.span().span_context().is_valid() {
                assert_eq!(
                    back.span().span_context().trace_id(),
                    cx.span().span_context().trace_id()
                );
            }
        }
    }

    #[test]
    fn a_span_s_headers_carry_its_ids() {
        let provider = SdkTracerProvider::builder().build();
        let options = TelemetryOptions::new().with_tracer_provider(&provider);
        let span = Instrumentation::new(&options, "example.com", 443)
            .start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
        let cx = span.context();
        let mut headers = TraceHeaders::new();
        TraceContextAndBaggage::new().inject_context(&cx, &mut HeaderInjector(&mut headers));
        let traceparent = get(&headers, "traceparent").unwrap().to_str().unwrap();
        let sc = cx.span().span_context().clone();
        assert!(sc.is_valid());
        assert_eq!(
            traceparent,
            format!("00-{}-{}-01", sc.trace_id(), sc.span_id())
        );
        assert_eq!(get(&headers, "tracestate"), None, "{headers:?}");
    }
}
