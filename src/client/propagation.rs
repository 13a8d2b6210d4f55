//! The trace context headers of a call's span, through the global
//! propagator, without its formatting cost when it is plain W3C.
//!
//! The SDK's `TraceContextPropagator` builds `traceparent` with `format!`
//! (about 3,000 instructions per call, a tenth of a call's telemetry), and
//! the injection goes through a fresh `Context`. Here, when the installed
//! propagator is W3C trace context (checked once per propagator kind by
//! running it on probe spans and comparing its headers with ours), the two headers
//! are written directly from the span context; any other propagator
//! (baggage, B3, a composite, a custom one) is called as usual. A propagator
//! that declares no field (the default no-op one) costs nothing.
//!
//! The headers are a short list ([`TraceHeaders`]), not a `HeaderMap`:
//! building a map, hashing its names and dropping it cost about 1,000
//! instructions per call (callgrind) for two entries that are then copied
//! into the request's own map anyway.

use std::sync::Mutex;

use http::header::{HeaderName, HeaderValue};
use opentelemetry::propagation::{Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};

use crate::hex::hex_into;
use crate::telemetry::OperationSpan;

const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
const EMPTY_VALUE: HeaderValue = HeaderValue::from_static("");

/// Trace context headers in the order the propagator wrote them, each name
/// once (a later value for a name replaces the earlier one).
pub(crate) type TraceHeaders = Vec<(HeaderName, HeaderValue)>;

/// The headers the global propagator writes for `span`.
pub(crate) fn span_headers(span: &OperationSpan) -> TraceHeaders {
    opentelemetry::global::get_text_map_propagator(|p| headers_with(p, span))
}

fn headers_with(propagator: &dyn TextMapPropagator, span: &OperationSpan) -> TraceHeaders {
    let mut map = TraceHeaders::new();
    let mut fields = propagator.fields();
    let (first, second, third) = (fields.next(), fields.next(), fields.next());
    if first.is_none() {
        return map;
    }
    if let (Some(a @ "traceparent"), Some(b @ "tracestate"), None) = (first, second, third)
        && is_w3c(propagator, (a.as_ptr() as usize, b.as_ptr() as usize))
    {
        w3c_headers(span.span_context(), &mut map);
    } else {
        propagator.inject_context(&span.context(), &mut HeaderInjector(&mut map));
    }
    map
}

/// What `TraceContextPropagator::inject_context` writes, without `format!`.
fn w3c_headers(sc: &SpanContext, map: &mut TraceHeaders) {
    if !sc.is_valid() {
        return;
    }
    map.reserve_exact(2);
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
    // Owned by its `Bytes`: reqwest and hyper clone the request's headers
    // (three times per call), and the first clone of a copied slice
    // allocates its shared form (about 200 instructions per call, callgrind).
    if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(buf)) {
        map.push((TRACEPARENT, value));
    }
    // The usual empty trace state as a constant: formatting it and copying
    // the empty string into a value cost about 60 instructions per call.
    let state = sc.trace_state();
    let value = if *state == TraceState::NONE {
        Ok(EMPTY_VALUE)
    } else {
        HeaderValue::try_from(state.header())
    };
    if let Ok(value) = value {
        map.push((TRACESTATE, value));
    }
}

/// Whether `propagator` writes exactly what [`w3c_headers`] writes,
/// checked on probe spans once per `fields` key: the addresses of the
/// propagator's two field names (the SDK's propagator returns the same
/// process-wide strings from every instance; another propagator has its own).
fn is_w3c(propagator: &dyn TextMapPropagator, fields: (usize, usize)) -> bool {
    static CHECKED: Mutex<Vec<((usize, usize), bool)>> = Mutex::new(Vec::new());
    let mut checked = CHECKED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, verdict)) = checked.iter().find(|(key, _)| *key == fields) {
        return *verdict;
    }
    let verdict = writes_w3c(propagator);
    // Bounded: only propagators declaring exactly the W3C fields get here.
    if checked.len() < 16 {
        checked.push((fields, verdict));
    }
    verdict
}

fn writes_w3c(propagator: &dyn TextMapPropagator) -> bool {
    let probes = [
        SpanContext::new(
            TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c),
            SpanId::from(0xb7ad_6b71_6920_3331),
            TraceFlags::SAMPLED,
            true,
            TraceState::from_key_value([("vendor", "value"), ("other", "x")]).unwrap_or_default(),
        ),
        SpanContext::new(
            TraceId::from(1),
            SpanId::from(2),
            TraceFlags::default(),
            false,
            TraceState::default(),
        ),
    ];
    probes.iter().all(|probe| {
        let cx = opentelemetry::Context::new().with_remote_span_context(probe.clone());
        let mut theirs = TraceHeaders::new();
        propagator.inject_context(&cx, &mut HeaderInjector(&mut theirs));
        let mut ours = TraceHeaders::new();
        w3c_headers(probe, &mut ours);
        theirs == ours
    })
}

/// Writes propagator output as request headers; entries that are not valid
/// headers are skipped, and a name written again keeps the last value.
pub(crate) struct HeaderInjector<'a>(pub(crate) &'a mut TraceHeaders);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        let name = match key {
            "traceparent" => TRACEPARENT,
            "tracestate" => TRACESTATE,
            other => match HeaderName::from_bytes(other.as_bytes()) {
                Ok(name) => name,
                Err(_) => return,
            },
        };
        if let Ok(value) = HeaderValue::try_from(value) {
            match self.0.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = value,
                None => self.0.push((name, value)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::propagation::TextMapCompositePropagator;
    use opentelemetry::trace::noop::NoopTextMapPropagator;
    use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
    use opentelemetry_sdk::trace::SdkTracerProvider;

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
        assert_eq!(headers.len(), 2);
        assert_eq!(get(&headers, "baggage").unwrap(), "a=2");
    }

    fn span(provider: &SdkTracerProvider) -> OperationSpan {
        let options = TelemetryOptions::new().with_tracer_provider(provider);
        Instrumentation::new(&options, "example.com", 443)
            .start(Operation::Chat, &RequestAttributes::with_model(Some("m")))
    }

    #[test]
    fn the_direct_w3c_headers_are_what_the_propagator_writes() {
        let provider = SdkTracerProvider::builder().build();
        let w3c = TraceContextPropagator::new();
        assert!(writes_w3c(&w3c));
        for _ in 0..3 {
            let span = span(&provider);
            let direct = headers_with(&w3c, &span);
            let mut generic = TraceHeaders::new();
            w3c.inject_context(&span.context(), &mut HeaderInjector(&mut generic));
            assert_eq!(direct, generic);
            let traceparent = get(&direct, "traceparent").unwrap().to_str().unwrap();
            assert_eq!(traceparent.len(), 55, "{traceparent}");
            assert!(traceparent.starts_with("00-") && traceparent.ends_with("-01"));
        }
    }

    #[test]
    fn other_propagators_are_called_as_they_are() {
        let provider = SdkTracerProvider::builder().build();
        let span = span(&provider);
        let composite = TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ]);
        assert!(!writes_w3c(&BaggagePropagator::new()));
        let headers = headers_with(&composite, &span);
        assert!(get(&headers, "traceparent").is_some());
        assert!(headers_with(&NoopTextMapPropagator::new(), &span).is_empty());
    }

    /// Declares the W3C fields but writes something else.
    #[derive(Debug)]
    struct Impostor;

    impl TextMapPropagator for Impostor {
        fn inject_context(&self, _cx: &opentelemetry::Context, injector: &mut dyn Injector) {
            injector.set("traceparent", "00-custom".to_owned());
        }

        fn extract_with_context(
            &self,
            cx: &opentelemetry::Context,
            _extractor: &dyn opentelemetry::propagation::Extractor,
        ) -> opentelemetry::Context {
            cx.clone()
        }

        fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
            opentelemetry::propagation::text_map_propagator::FieldIter::new(w3c_fields())
        }
    }

    fn w3c_fields() -> &'static [String] {
        static FIELDS: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
        FIELDS.get_or_init(|| ["traceparent".to_owned(), "tracestate".to_owned()])
    }

    #[test]
    fn a_propagator_that_only_looks_like_w3c_is_still_called() {
        let provider = SdkTracerProvider::builder().build();
        let span = span(&provider);
        let headers = headers_with(&Impostor, &span);
        assert_eq!(get(&headers, "traceparent").unwrap(), "00-custom");
    }
}
