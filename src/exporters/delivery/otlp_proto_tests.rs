//! The direct encoder against the reference: `opentelemetry-proto`'s
//! transform plus prost, over a corpus meant to reach every field, every
//! value type and multi-byte lengths.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use prost::Message as _;

use super::{EncodedResource, encode_request, varint_len};
use crate::telemetry::semconv;

/// The reference bytes: the transform, then prost.
fn reference(spans: &[SpanData], resource: &Resource) -> Vec<u8> {
    let resource: ResourceAttributesWithSchema = resource.into();
    ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(spans.to_vec(), &resource),
    }
    .encode_to_vec()
}

fn ours(spans: &[SpanData], resource: &Resource) -> Vec<u8> {
    encode_request(spans, &EncodedResource::new(resource))
}

fn decode(bytes: &[u8]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest::decode(bytes).expect("valid protobuf")
}

/// Decoded equality (what a collector sees), then byte equality.
fn assert_same(spans: &[SpanData], resource: &Resource) {
    let expected = reference(spans, resource);
    let actual = ours(spans, resource);
    assert_eq!(decode(&actual), decode(&expected));
    assert_eq!(actual, expected, "same fields, different bytes");
}

fn context(trace: u128, span: u64, flags: TraceFlags, remote: bool, state: &str) -> SpanContext {
    let state = if state.is_empty() {
        TraceState::default()
    } else {
        state.parse().expect("valid trace state")
    };
    SpanContext::new(
        TraceId::from(trace),
        SpanId::from(span),
        flags,
        remote,
        state,
    )
}

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

fn span(i: u64, scope: &InstrumentationScope) -> SpanData {
    SpanData {
        span_context: context(
            0x0af7651916cd43dd8448eb211c80319c,
            i + 1,
            TraceFlags::SAMPLED,
            false,
            "",
        ),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: Cow::Owned(format!("span {i}")),
        start_time: at(1_700_000_000_000_000_000 + i),
        end_time: at(1_700_000_001_500_000_000 + i),
        attributes: vec![],
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: scope.clone(),
    }
}

/// Every `Value` shape, with edge values: empty, non-ASCII, lengths past
/// one-byte (127) and two-byte (16383) varints, negative numbers.
fn every_value() -> Vec<KeyValue> {
    let s = |text: &str| StringValue::from(text.to_owned());
    vec![
        KeyValue::new("bool.true", true),
        KeyValue::new("bool.false", false),
        KeyValue::new("i64.zero", 0i64),
        KeyValue::new("i64.small", 42i64),
        KeyValue::new("i64.negative", -1i64),
        KeyValue::new("i64.min", i64::MIN),
        KeyValue::new("i64.max", i64::MAX),
        KeyValue::new("f64.zero", 0.0),
        KeyValue::new("f64.negative_zero", -0.0),
        KeyValue::new("f64.pi", std::f64::consts::PI),
        KeyValue::new("f64.huge", f64::MAX),
        KeyValue::new("f64.infinite", f64::NEG_INFINITY),
        KeyValue::new("string.empty", ""),
        KeyValue::new("string.unicode", "héllo wörld ✓ 日本語 🦀"),
        KeyValue::new("string.128", "a".repeat(128)),
        KeyValue::new("string.16384", "b".repeat(16_384)),
        KeyValue::new("string.70000", "ü".repeat(35_000)),
        KeyValue::new("", "empty key"),
        KeyValue::new(
            "array.bool",
            Value::Array(Array::Bool(vec![true, false, true])),
        ),
        KeyValue::new("array.bool.empty", Value::Array(Array::Bool(vec![]))),
        KeyValue::new(
            "array.i64",
            Value::Array(Array::I64(vec![0, 1, -1, 300, i64::MIN, i64::MAX])),
        ),
        KeyValue::new(
            "array.f64",
            Value::Array(Array::F64(vec![0.0, -2.5, 1e300, f64::INFINITY])),
        ),
        KeyValue::new(
            "array.string",
            Value::Array(Array::String(vec![
                s(""),
                s("x"),
                s("ß✓"),
                s(&"c".repeat(200)),
            ])),
        ),
        KeyValue::new("array.string.empty", Value::Array(Array::String(vec![]))),
        KeyValue::new(
            "array.string.large",
            Value::Array(Array::String(
                (0..200)
                    .map(|i| s(&format!("element {i} {}", "d".repeat(90))))
                    .collect(),
            )),
        ),
    ]
}

fn corpus() -> Vec<SpanData> {
    let plain = InstrumentationScope::builder("azure-ai-inference-otel").build();
    let full = InstrumentationScope::builder("lib")
        .with_version("1.2.3")
        .with_schema_url("https://opentelemetry.io/schemas/1.41.0")
        .with_attributes([KeyValue::new("a", 1i64), KeyValue::new("b", "two")])
        .build();
    // Equal to `full` (attribute order does not matter): the same group.
    let full_reordered = InstrumentationScope::builder("lib")
        .with_version("1.2.3")
        .with_schema_url("https://opentelemetry.io/schemas/1.41.0")
        .with_attributes([KeyValue::new("b", "two"), KeyValue::new("a", 1i64)])
        .build();
    let other_version = InstrumentationScope::builder("lib")
        .with_version("2")
        .build();
    let unicode = InstrumentationScope::builder("bibliothèque ✓").build();
    let empty_name = InstrumentationScope::builder("").build();

    let mut spans = Vec::new();

    // A root span with every value type.
    let mut s = span(0, &plain);
    s.attributes = every_value();
    spans.push(s);

    // A child of a local parent, sampled, every status.
    for (i, status) in [
        Status::Ok,
        Status::error(""),
        Status::error("boom: ünïcode"),
        Status::error("e".repeat(300)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut s = span(1 + i as u64, &full);
        s.parent_span_id = SpanId::from(0x1234_5678_9abc_def0);
        s.status = status;
        s.attributes = vec![KeyValue::new("n", i as i64)];
        spans.push(s);
    }

    // A remote parent, unsampled, a trace state, every kind.
    for (i, kind) in [
        SpanKind::Internal,
        SpanKind::Server,
        SpanKind::Producer,
        SpanKind::Consumer,
    ]
    .into_iter()
    .enumerate()
    {
        let mut s = span(10 + i as u64, &full_reordered);
        s.span_context = context(
            u128::MAX - i as u128,
            99 + i as u64,
            TraceFlags::NOT_SAMPLED,
            true,
            "vendor=abc,other=1",
        );
        s.parent_span_id = SpanId::from(7);
        s.parent_span_is_remote = true;
        s.span_kind = kind;
        spans.push(s);
    }

    // Events and links, with dropped counts.
    let mut s = span(20, &other_version);
    s.events.events = vec![
        Event::new(
            semconv::EVENT_CHOICE,
            at(5),
            vec![KeyValue::new("index", 0i64)],
            0,
        ),
        Event::new("", UNIX_EPOCH, vec![], 3),
        Event::new("exception", at(u64::MAX / 4), every_value(), 1),
        Event::new(
            "before the epoch",
            UNIX_EPOCH - Duration::from_secs(1),
            vec![],
            0,
        ),
    ];
    s.events.dropped_count = 2;
    s.links.links = vec![
        Link::new(context(1, 2, TraceFlags::SAMPLED, true, ""), vec![], 0),
        Link::new(
            context(3, 4, TraceFlags::NOT_SAMPLED, false, "k=v"),
            vec![
                KeyValue::new("link.kind", "follows"),
                KeyValue::new("big", "z".repeat(20_000)),
            ],
            5,
        ),
    ];
    s.links.dropped_count = 1;
    s.dropped_attributes_count = 300;
    spans.push(s);

    // Odd names and times: empty, non-ASCII, zero and pre-epoch times.
    let mut s = span(30, &unicode);
    s.name = Cow::Borrowed("");
    s.start_time = UNIX_EPOCH;
    s.end_time = UNIX_EPOCH - Duration::from_secs(5);
    spans.push(s);
    let mut s = span(31, &empty_name);
    s.name = Cow::Borrowed("chat ✓ gpt-4o");
    s.span_context = context(0, 0, TraceFlags::default(), false, "");
    spans.push(s);

    // A big span (> 16383 bytes) after the others in the first group.
    let mut s = span(40, &plain);
    s.attributes = vec![KeyValue::new(
        semconv::GEN_AI_INPUT_MESSAGES,
        "m".repeat(100_000),
    )];
    spans.push(s);
    spans
}

fn resource() -> Resource {
    Resource::builder_empty()
        .with_schema_url(
            [
                KeyValue::new("service.name", "checkout"),
                KeyValue::new("service.version", "1.0 ✓"),
                KeyValue::new("host.cores", 2i64),
            ],
            "https://opentelemetry.io/schemas/1.41.0",
        )
        .build()
}

#[test]
fn the_corpus_encodes_as_the_transform_does() {
    assert_same(&corpus(), &resource());
}

#[test]
fn every_span_alone_encodes_as_the_transform_does() {
    for span in corpus() {
        assert_same(std::slice::from_ref(&span), &resource());
        assert_same(
            std::slice::from_ref(&span),
            &Resource::builder_empty().build(),
        );
    }
}

#[test]
fn empty_batches_and_resources_encode_as_the_transform_does() {
    assert_same(&[], &resource());
    assert_same(&[], &Resource::builder_empty().build());
    assert_same(&corpus(), &Resource::builder_empty().build());
    // The SDK's default resource (service.name, telemetry.sdk.*).
    assert_same(&corpus(), &Resource::builder().build());
}

#[test]
fn many_scopes_are_grouped_as_the_transform_does() {
    // More scopes than the linear lookup handles, recurring out of order.
    let scopes: Vec<InstrumentationScope> = (0..20)
        .map(|i| {
            InstrumentationScope::builder(format!("scope {}", i % 13))
                .with_version(if i % 2 == 0 { "1" } else { "2" })
                .build()
        })
        .collect();
    let spans: Vec<SpanData> = (0..200)
        .map(|i| span(i, &scopes[(i as usize * 7) % scopes.len()]))
        .collect();
    assert_same(&spans, &resource());
}

#[test]
fn not_a_number_encodes_as_the_transform_does() {
    // NaN is not equal to itself once decoded: bytes only.
    let mut s = span(0, &InstrumentationScope::builder("nan").build());
    s.attributes = vec![
        KeyValue::new("nan", f64::NAN),
        KeyValue::new("nans", Value::Array(Array::F64(vec![f64::NAN, 1.0]))),
    ];
    let spans = [s];
    // One resource: its attributes iterate in its hash map's order.
    let resource = resource();
    assert_eq!(ours(&spans, &resource), reference(&spans, &resource));
}

#[test]
fn the_comparison_sees_a_changed_field() {
    // Proof that `assert_same` can fail: one attribute, one flag, one
    // dropped count changed in the reference input.
    let spans = corpus();
    let resource = resource();
    let actual = decode(&ours(&spans, &resource));
    let mutations: [fn(&mut SpanData); 4] = [
        |s| s.attributes[0] = KeyValue::new("bool.true", false),
        |s| s.parent_span_is_remote = true,
        |s| s.events.dropped_count = 9,
        |s| s.status = Status::error("different"),
    ];
    for mutate in mutations {
        let mut changed = spans.clone();
        mutate(&mut changed[0]);
        assert_ne!(actual, decode(&reference(&changed, &resource)));
    }
}

#[test]
fn varint_lengths_match_the_encoding() {
    for v in [
        0,
        1,
        127,
        128,
        16_383,
        16_384,
        u64::from(u32::MAX),
        u64::MAX,
    ] {
        let mut out = Vec::new();
        super::put_varint(&mut out, v);
        assert_eq!(out.len(), varint_len(v), "{v}");
        assert_eq!(out.len(), prost::encoding::encoded_len_varint(v), "{v}");
    }
}

/// Chat spans as the client records them, content off and on.
fn recorded_chat_spans() -> Vec<SpanData> {
    [false, true]
        .into_iter()
        .map(|content| crate::bench_support::chat_span(content, "Hello there ✓").expect("a span"))
        .collect()
}

#[test]
fn recorded_chat_spans_encode_as_the_transform_does() {
    let spans = recorded_chat_spans();
    assert_eq!(spans.len(), 2);
    assert!(
        spans.iter().any(|s| !s.events.is_empty()),
        "an event with content"
    );
    assert_same(&spans, &Resource::builder().build());
}

/// A random value of any shape, strings up to `max` bytes (some non-ASCII).
fn random_value(rng: &mut fastrand::Rng, max: usize) -> Value {
    let text = |rng: &mut fastrand::Rng| -> String {
        let len = rng.usize(0..=max);
        (0..len)
            .map(|_| {
                if rng.u8(0..10) == 0 {
                    'é'
                } else {
                    rng.alphanumeric()
                }
            })
            .collect()
    };
    let n = rng.usize(0..6);
    match rng.u8(0..8) {
        0 => Value::Bool(rng.bool()),
        1 => Value::I64(rng.i64(..)),
        2 => Value::F64(rng.f64() * 1e6 - 5e5),
        3 => Value::Array(Array::Bool((0..n).map(|_| rng.bool()).collect())),
        4 => Value::Array(Array::I64((0..n).map(|_| rng.i64(..)).collect())),
        5 => Value::Array(Array::F64((0..n).map(|_| rng.f64()).collect())),
        6 => Value::Array(Array::String(
            (0..n).map(|_| StringValue::from(text(rng))).collect(),
        )),
        _ => Value::String(text(rng).into()),
    }
}

fn random_attributes(rng: &mut fastrand::Rng, max: usize) -> Vec<KeyValue> {
    (0..rng.usize(0..6))
        .map(|i| KeyValue::new(format!("k{i}"), random_value(rng, max)))
        .collect()
}

#[test]
fn random_batches_encode_as_the_transform_does() {
    let mut rng = fastrand::Rng::with_seed(10);
    let scopes = [
        InstrumentationScope::builder("a").build(),
        InstrumentationScope::builder("b").with_version("1").build(),
        InstrumentationScope::builder("a")
            .with_attributes([KeyValue::new("x", 1i64)])
            .build(),
    ];
    let resource = resource();
    for round in 0..200 {
        // Now and then a string long enough for two- and three-byte lengths.
        let max = if round % 10 == 0 { 40_000 } else { 300 };
        let spans: Vec<SpanData> = (0..rng.usize(0..12))
            .map(|i| {
                let mut s = span(i as u64, &scopes[rng.usize(0..scopes.len())]);
                s.span_context = context(
                    rng.u128(..),
                    rng.u64(..),
                    TraceFlags::new(rng.u8(..)),
                    rng.bool(),
                    if rng.bool() { "" } else { "a=b" },
                );
                s.parent_span_id = SpanId::from(rng.u64(0..3));
                s.parent_span_is_remote = rng.bool();
                s.start_time = at(rng.u64(0..u64::MAX / 2));
                s.attributes = random_attributes(&mut rng, max);
                s.dropped_attributes_count = rng.u32(0..3);
                for _ in 0..rng.usize(0..3) {
                    let attributes = random_attributes(&mut rng, max);
                    let time = at(rng.u64(0..3));
                    s.events
                        .events
                        .push(Event::new("e", time, attributes, rng.u32(0..2)));
                }
                for _ in 0..rng.usize(0..2) {
                    let linked = context(
                        rng.u128(..),
                        rng.u64(..),
                        TraceFlags::SAMPLED,
                        rng.bool(),
                        "",
                    );
                    let attributes = random_attributes(&mut rng, max);
                    s.links.links.push(Link::new(linked, attributes, 0));
                }
                s.status = match rng.u8(0..3) {
                    0 => Status::Unset,
                    1 => Status::Ok,
                    _ => Status::error("x".repeat(rng.usize(0..200))),
                };
                s
            })
            .collect();
        assert_same(&spans, &resource);
    }
}
