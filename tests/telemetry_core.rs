//! The telemetry core on its own, without the HTTP client: what a span
//! records on each path, in both convention vocabularies, and the metrics.

mod support;
use support::semconv_v141;
use support::telemetry as telemetry_support;

use std::borrow::Cow;

use azure_ai_inference_otel::error::Error;
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::telemetry::{
    ChoiceRecord, ErrorClass, Instrumentation, Operation, RequestAttributes, RequestParam,
    ResponseRecord, StreamAccumulator, StreamOutcome, ToolCallDelta, ToolCallRecord, UsageRecord,
};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Array, Value};
use serde_json::json;
use telemetry_support::{Harness, attrs, dump, kv_map, string_array};

/// The documented bucket boundaries of the duration histograms (seconds).
const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/// The documented bucket boundaries of the token-usage histogram.
const TOKEN_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

fn chat_request<'a>(stop: &'a [String]) -> RequestAttributes<'a> {
    RequestAttributes::with_model(Some("gpt-4o"))
        .with(RequestParam::MaxTokens, 100i64)
        .with(RequestParam::Temperature, 0.5)
        .with(RequestParam::TopP, 0.9)
        .with(RequestParam::FrequencyPenalty, 0.1)
        .with(RequestParam::PresencePenalty, 0.2)
        .with(RequestParam::Seed, 42i64)
        .with(RequestParam::Stop, stop)
        .with(RequestParam::ResponseFormat, "json_schema")
}

fn response<'a>() -> ResponseRecord<'a> {
    ResponseRecord {
        id: Some("chatcmpl-1"),
        model: Some("gpt-4o-2024-08-06"),
        usage: Some(UsageRecord::new(Some(11), Some(7))),
        choices: vec![
            ChoiceRecord {
                index: 1,
                finish_reason: Some("length"),
                content: Some("secret two"),
                reasoning: None,
                tool_calls: vec![],
            },
            ChoiceRecord {
                index: 0,
                finish_reason: Some("tool_calls"),
                content: None,
                reasoning: None,
                tool_calls: vec![ToolCallRecord {
                    id: "call_1",
                    kind: "function",
                    name: "secret_tool",
                    arguments: "{\"q\":\"secret arg\"}",
                }],
            },
        ],
    }
}

#[test]
fn chat_span_has_the_exact_attribute_set() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(false), "example.services.ai.azure.com", 443);
    let stop = vec!["END".to_owned()];
    let mut span = inst.start(Operation::Chat, &chat_request(&stop));
    span.record_response(&response());
    span.end();

    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(s.name, "chat gpt-4o");
    assert_eq!(s.span_kind, SpanKind::Client);
    assert_eq!(s.status, Status::Unset);
    assert_eq!(s.instrumentation_scope.name(), "azure-ai-inference-otel");
    assert_eq!(
        s.instrumentation_scope.version(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        s.instrumentation_scope.schema_url(),
        Some("https://opentelemetry.io/schemas/1.34.0")
    );

    let a = attrs(s);
    let keys: Vec<&str> = a.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "az.namespace",
            "gen_ai.operation.name",
            "gen_ai.output.type",
            "gen_ai.request.frequency_penalty",
            "gen_ai.request.max_tokens",
            "gen_ai.request.model",
            "gen_ai.request.presence_penalty",
            "gen_ai.request.seed",
            "gen_ai.request.stop_sequences",
            "gen_ai.request.temperature",
            "gen_ai.request.top_p",
            "gen_ai.response.finish_reasons",
            "gen_ai.response.id",
            "gen_ai.response.model",
            "gen_ai.system",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "server.address",
        ]
    );
    assert_eq!(a["gen_ai.system"], Value::from("az.ai.inference"));
    assert_eq!(
        a["az.namespace"],
        Value::from("Microsoft.CognitiveServices")
    );
    assert_eq!(a["gen_ai.request.max_tokens"], Value::I64(100));
    assert_eq!(a["gen_ai.request.seed"], Value::I64(42));
    assert_eq!(a["gen_ai.request.temperature"], Value::F64(0.5));
    assert_eq!(a["gen_ai.output.type"], Value::from("json"));
    assert_eq!(
        string_array(&a["gen_ai.request.stop_sequences"]),
        vec!["END"]
    );
    // A real array attribute, ordered by choice index, not a string.
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["tool_calls", "length"]
    );
    assert_eq!(a["gen_ai.usage.input_tokens"], Value::I64(11));
    assert_eq!(a["gen_ai.usage.output_tokens"], Value::I64(7));
}

#[test]
fn without_recording_choices_carry_no_content() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(false), "h", 443);
    let mut span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    let secret = json!({"role": "user", "content": "secret prompt"});
    span.record_input_messages([("user", &secret)]);
    span.record_tool_definitions(
        &json!([{"type": "function", "function": {"name": "secret_tool"}}]),
    );
    span.record_response(&response());
    span.end();
    let spans = h.spans();
    let events: Vec<_> = spans[0].events.iter().collect();
    assert_eq!(events.len(), 2, "only the two choice events");
    let bodies: Vec<serde_json::Value> = events
        .iter()
        .map(|e| {
            assert_eq!(e.name, "gen_ai.choice");
            let a = kv_map(&e.attributes);
            assert_eq!(a["gen_ai.system"], Value::from("az.ai.inference"));
            serde_json::from_str(&a["gen_ai.event.content"].as_str()).unwrap()
        })
        .collect();
    assert_eq!(
        bodies,
        vec![
            json!({"message": {"tool_calls": [{"id": "call_1", "type": "function"}]}, "finish_reason": "tool_calls", "index": 0}),
            json!({"finish_reason": "length", "index": 1}),
        ]
    );
    assert!(!dump(&spans).contains("secret"), "{}", dump(&spans));
}

#[test]
fn with_recording_messages_then_choices_in_strictly_increasing_time() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(true), "h", 443);
    let mut span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    let messages = [
        json!({"role": "system", "content": "be brief"}),
        json!({"role": "user", "content": "hi"}),
        json!({"role": "assistant", "content": "hello"}),
        json!({"role": "tool", "content": "42", "tool_call_id": "c"}),
        json!({"role": "developer", "content": "d"}),
    ];
    span.record_input_messages(messages.iter().map(|m| (m["role"].as_str().unwrap(), m)));
    let tools = json!([{"type": "function", "function": {"name": "f", "parameters": {}}}]);
    span.record_tool_definitions(&tools);
    span.record_response(&response());
    span.end();
    let spans = h.spans();
    let s = &spans[0];
    let names: Vec<&str> = s.events.iter().map(|e| e.name.as_ref()).collect();
    assert_eq!(
        names,
        vec![
            "gen_ai.system.message",
            "gen_ai.user.message",
            "gen_ai.assistant.message",
            "gen_ai.tool.message",
            "gen_ai.developer.message",
            "gen_ai.choice",
            "gen_ai.choice"
        ]
    );
    let times: Vec<_> = s.events.iter().map(|e| e.timestamp).collect();
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "timestamps strictly increase"
    );
    assert!(s.end_time >= *times.last().unwrap());
    let first = kv_map(&s.events.iter().next().unwrap().attributes);
    assert_eq!(
        first["gen_ai.event.content"],
        Value::from(r#"{"content":"be brief","role":"system"}"#)
    );
    // A typed message keeps its wire field order.
    #[derive(serde::Serialize)]
    struct Wire<'a> {
        role: &'a str,
        content: &'a str,
    }
    let h2 = Harness::new();
    let inst2 = Instrumentation::new(&h2.options(true), "h", 443);
    let mut span2 = inst2.start(Operation::Chat, &RequestAttributes::default());
    span2.record_input_messages([(
        "user",
        &Wire {
            role: "user",
            content: "hi",
        },
    )]);
    span2.end();
    let e = kv_map(&h2.spans()[0].events.iter().next().unwrap().attributes);
    assert_eq!(
        e["gen_ai.event.content"],
        Value::from(r#"{"role":"user","content":"hi"}"#)
    );
    assert_eq!(
        attrs(s)["gen_ai.tool.definitions"],
        Value::from(tools.to_string())
    );
    let choice0 = kv_map(&s.events.events[5].attributes);
    let body: serde_json::Value =
        serde_json::from_str(&choice0["gen_ai.event.content"].as_str()).unwrap();
    assert_eq!(
        body,
        json!({"message": {"content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "secret_tool", "arguments": "{\"q\":\"secret arg\"}"}}]}, "finish_reason": "tool_calls", "index": 0})
    );
}

#[test]
fn dropped_span_ends_once_as_cancelled() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(false), "h", 8443);
    drop(inst.start(Operation::Embeddings, &RequestAttributes::default()));
    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(
        s.name, "embeddings",
        "no model: the name is the operation alone"
    );
    let a = attrs(s);
    assert!(!a.contains_key("gen_ai.request.model"));
    assert_eq!(a["server.port"], Value::I64(8443));
    assert_eq!(a["error.type"], Value::from("cancelled"));
    assert!(matches!(s.status, Status::Error { .. }));
    assert_eq!(s.events.iter().filter(|e| e.name == "exception").count(), 1);
}

#[test]
fn failure_records_error_type_status_and_exception_without_service_text() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(false), "h", 443);
    let span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    let err = Error::http_from_body(
        429,
        br#"{"error":{"code":"RateLimit","message":"secret prompt quoted back"}}"#,
    );
    span.fail(&err);
    let spans = h.spans();
    let s = &spans[0];
    assert_eq!(attrs(s)["error.type"], Value::from("429"));
    assert_eq!(s.status, Status::error("HTTP 429 (RateLimit)"));
    let exception = s.events.iter().find(|e| e.name == "exception").unwrap();
    let ea = kv_map(&exception.attributes);
    assert_eq!(
        ea["exception.type"],
        Value::from("azure_ai_inference_otel::Error::Http")
    );
    assert!(!dump(&spans).contains("secret"));
}

/// Another client's error type, described through the `ErrorClass` view.
struct QuotaExceeded;

impl ErrorClass for QuotaExceeded {
    fn error_type(&self) -> Cow<'static, str> {
        "429".into()
    }
    fn description(&self) -> Cow<'static, str> {
        "quota exceeded".into()
    }
    fn http_status(&self) -> Option<u16> {
        Some(429)
    }
}

#[test]
fn any_client_error_fills_the_error_class_view() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(false), "h", 443);
    inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")))
        .fail(&QuotaExceeded);
    let spans = h.spans();
    let s = &spans[0];
    assert_eq!(attrs(s)["error.type"], Value::from("429"));
    assert_eq!(s.status, Status::error("quota exceeded"));
    let exception = s.events.iter().find(|e| e.name == "exception").unwrap();
    // `exception.type` defaults to `error.type`.
    assert_eq!(
        kv_map(&exception.attributes)["exception.type"],
        Value::from("429")
    );
    // This crate's error gives the same view as its own methods.
    let err = Error::StreamTruncated {
        events: Some(0),
        unfinished: 1,
        request_id: None,
        source: None,
    };
    let view: &dyn ErrorClass = &err;
    assert_eq!(view.error_type(), err.error_type());
    assert_eq!(view.description(), err.telemetry_description());
    assert_eq!(view.http_status(), None);
    let http: &dyn ErrorClass = &Error::http_from_body(503, b"");
    assert_eq!(http.http_status(), Some(503));
}

#[test]
fn cancelled_stream_reports_partial_state_without_content() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(false), "h", 443);
    let mut span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    let mut acc = StreamAccumulator::new(span.records_content());
    span.record_chunk();
    acc.observe_ids(Some("chatcmpl-9"), Some("m-1"));
    acc.observe_delta(0, Some("secret partial"), None);
    acc.observe_tool_call(
        0,
        ToolCallDelta {
            call_index: Some(0),
            id: Some("call_7"),
            kind: Some("function"),
            name: Some("secret_fn"),
            arguments: Some("{"),
        },
    );
    span.record_chunk();
    span.finish_stream(&acc, StreamOutcome::Cancelled);
    let spans = h.spans();
    let s = &spans[0];
    let a = attrs(s);
    assert_eq!(a["error.type"], Value::from("cancelled"));
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["error"]
    );
    assert!(matches!(a["gen_ai.response.time_to_first_chunk"], Value::F64(v) if v >= 0.0));
    let choice = s.events.iter().find(|e| e.name == "gen_ai.choice").unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&kv_map(&choice.attributes)["gen_ai.event.content"].as_str()).unwrap();
    assert_eq!(
        body,
        json!({"message": {"tool_calls": [{"id": "call_7", "type": "function"}]}, "finish_reason": "cancelled", "index": 0})
    );
    assert!(!dump(&spans).contains("secret"));
}

#[test]
fn failed_stream_with_no_chunk_still_reports_the_awaited_choice() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(true), "h", 443);
    let span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    let acc = StreamAccumulator::new(true);
    span.finish_stream(
        &acc,
        StreamOutcome::Failed(&Error::StreamTruncated {
            events: Some(0),
            unfinished: 1,
            request_id: None,
            source: None,
        }),
    );
    let spans = h.spans();
    let a = attrs(&spans[0]);
    assert_eq!(a["error.type"], Value::from("stream_truncated"));
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["error"]
    );
}

#[test]
fn latest_vocabulary_moves_names_and_content() {
    let h = Harness::new();
    let options = h
        .options(true)
        .with_semconv_mode(SemconvMode::LatestExperimental);
    let inst = Instrumentation::new(&options, "h", 443);
    let mut span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    let hi = json!({"role": "user", "content": "hi"});
    span.record_input_messages([("user", &hi)]);
    span.record_response(&response());
    span.end();
    let spans = h.spans();
    let s = &spans[0];
    let a = attrs(s);
    assert_eq!(a["gen_ai.provider.name"], Value::from("azure.ai.inference"));
    assert_eq!(
        a["azure.resource_provider.namespace"],
        Value::from("Microsoft.CognitiveServices")
    );
    assert!(!a.contains_key("gen_ai.system") && !a.contains_key("az.namespace"));
    let input: serde_json::Value =
        serde_json::from_str(&a["gen_ai.input.messages"].as_str()).unwrap();
    assert_eq!(
        input,
        json!([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])
    );
    let output: serde_json::Value =
        serde_json::from_str(&a["gen_ai.output.messages"].as_str()).unwrap();
    assert_eq!(
        output[1]["parts"][0],
        json!({"type": "text", "content": "secret two"})
    );
    assert_eq!(
        output[0]["parts"][0]["arguments"],
        json!({"q": "secret arg"})
    );
    // Finish reasons in index order, in the attribute.
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["tool_calls", "length"]
    );
    assert_eq!(output[0]["finish_reason"], json!("tool_calls"));
    assert_eq!(output[1]["finish_reason"], json!("length"));
    // Both content attributes valid against the v1.41 schemas, and no event
    // at all: v1.41 deprecates the message and choice events.
    assert_eq!(semconv_v141::validate_content_attributes(s), 2);
    semconv_v141::assert_no_deprecated_events(s);
    assert!(s.events.is_empty(), "{:?}", s.events);
}

#[test]
fn latest_vocabulary_without_content_records_no_event() {
    let h = Harness::new();
    let options = h
        .options(false)
        .with_semconv_mode(SemconvMode::LatestExperimental);
    let inst = Instrumentation::new(&options, "h", 443);
    let mut span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    let hi = json!({"role": "user", "content": "hi"});
    span.record_input_messages([("user", &hi)]);
    span.record_response(&response());
    span.end();
    let spans = h.spans();
    let s = &spans[0];
    let a = attrs(s);
    assert_eq!(
        string_array(&a["gen_ai.response.finish_reasons"]),
        vec!["tool_calls", "length"]
    );
    assert!(s.events.is_empty(), "{:?}", s.events);
    assert_eq!(semconv_v141::validate_content_attributes(s), 0);
    assert!(!dump(&spans).contains("secret"), "{}", dump(&spans));
}

#[test]
fn explicit_parent_context_is_used() {
    let h = Harness::new();
    let tracer = h.tracer_provider.tracer("app");
    let parent = tracer.start("request handler");
    let parent_cx = opentelemetry::Context::current_with_span(parent);
    let inst = Instrumentation::new(&h.options(false), "h", 443);
    let span = inst.start_with_parent(Operation::Chat, &RequestAttributes::default(), &parent_cx);
    // The context given to the propagator carries the operation span.
    let cx = span.context();
    assert_eq!(
        cx.span().span_context().trace_id(),
        parent_cx.span().span_context().trace_id()
    );
    span.end();
    parent_cx.span().end();
    let spans = h.spans();
    let chat = spans.iter().find(|s| s.name == "chat").unwrap();
    let handler = spans.iter().find(|s| s.name == "request handler").unwrap();
    assert_eq!(chat.parent_span_id, handler.span_context.span_id());
    assert_eq!(
        chat.span_context.trace_id(),
        handler.span_context.trace_id()
    );
    assert_eq!(
        cx.span().span_context().span_id(),
        chat.span_context.span_id()
    );
}

#[test]
fn metrics_for_success_failure_and_streams() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(false), "example.com", 8080);

    // A non-streamed success with usage.
    let mut span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    span.record_response(&ResponseRecord {
        id: None,
        model: Some("m-2024"),
        usage: Some(UsageRecord::new(Some(10), Some(5))),
        choices: vec![],
    });
    span.end();
    let units = h.metric_units();
    assert_eq!(
        units
            .get("gen_ai.client.operation.duration")
            .map(String::as_str),
        Some("s")
    );
    assert_eq!(
        units.get("gen_ai.client.token.usage").map(String::as_str),
        Some("{token}")
    );
    assert!(
        !units.contains_key("gen_ai.client.operation.time_to_first_chunk"),
        "no stream, no chunk metrics"
    );
    assert!(!units.contains_key("gen_ai.client.operation.time_per_output_chunk"));

    let durations = h.f64_points("gen_ai.client.operation.duration");
    assert_eq!(durations.len(), 1);
    let d = &durations[0];
    assert_eq!(d.count(), 1);
    assert_eq!(d.bounds().collect::<Vec<_>>(), DURATION_BUCKETS);
    let da = kv_map(d.attributes());
    let keys: Vec<&str> = da.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "gen_ai.operation.name",
            "gen_ai.request.model",
            "gen_ai.response.model",
            "gen_ai.system",
            "server.address",
            "server.port"
        ]
    );
    assert_eq!(da["server.port"], Value::I64(8080));
    let tokens = h.u64_points("gen_ai.client.token.usage");
    assert_eq!(tokens.len(), 2);
    for t in &tokens {
        assert_eq!(t.bounds().collect::<Vec<_>>(), TOKEN_BUCKETS);
        let ta = kv_map(t.attributes());
        match ta["gen_ai.token.type"].as_str().as_ref() {
            "input" => assert_eq!(t.sum(), 10),
            "output" => assert_eq!(t.sum(), 5),
            other => panic!("token type {other}"),
        }
        assert!(!ta.contains_key("error.type"));
    }

    // A failed call: duration with error.type, no tokens added.
    let span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    span.fail(&Error::Connection {
        detail: "refused".into(),
        source: None,
    });
    let durations = h.f64_points("gen_ai.client.operation.duration");
    let failed = durations
        .iter()
        .find(|p| kv_map(p.attributes()).get("error.type") == Some(&Value::from("connection")))
        .expect("a failed duration point");
    assert_eq!(failed.count(), 1);

    // A stream of three chunks: one time to first chunk, two per-chunk gaps.
    let mut span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    let mut acc = StreamAccumulator::new(false);
    for _ in 0..3 {
        span.record_chunk();
    }
    acc.observe_delta(0, Some("x"), Some("stop"));
    span.finish_stream(&acc, StreamOutcome::Completed);
    let ttfc = h.f64_points("gen_ai.client.operation.time_to_first_chunk");
    assert_eq!(ttfc.iter().map(|p| p.count()).sum::<u64>(), 1);
    let per_chunk = h.f64_points("gen_ai.client.operation.time_per_output_chunk");
    assert_eq!(per_chunk.iter().map(|p| p.count()).sum::<u64>(), 2);
    assert_eq!(per_chunk[0].bounds().collect::<Vec<_>>(), DURATION_BUCKETS);
}

#[test]
fn chunks_of_one_read_share_its_arrival_time() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(false), "example.com", 443);
    let mut span = inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
    let read = std::time::Instant::now();
    let later = read + std::time::Duration::from_millis(5);
    // Two events from one read, then one from a read 5 ms later, then a
    // time before it (counted as no gap).
    for at in [read, read, later, read] {
        span.record_chunk_at(at);
    }
    let mut acc = StreamAccumulator::new(false);
    acc.observe_delta(0, None, Some("stop"));
    span.finish_stream(&acc, StreamOutcome::Completed);
    let per_chunk = h.f64_points("gen_ai.client.operation.time_per_output_chunk");
    assert_eq!(per_chunk.iter().map(|p| p.count()).sum::<u64>(), 3);
    let total: f64 = per_chunk.iter().map(|p| p.sum()).sum();
    assert!((total - 0.005).abs() < 1e-9, "{total}");
    let ttfc = h.f64_points("gen_ai.client.operation.time_to_first_chunk");
    assert_eq!(ttfc.iter().map(|p| p.count()).sum::<u64>(), 1);
}

#[test]
fn latest_vocabulary_metrics_use_provider_name() {
    let h = Harness::new();
    let options = h
        .options(false)
        .with_semconv_mode(SemconvMode::LatestExperimental);
    let inst = Instrumentation::new(&options, "h", 443);
    inst.start(
        Operation::Embeddings,
        &RequestAttributes::with_model(Some("e")),
    )
    .end();
    let points = h.f64_points("gen_ai.client.operation.duration");
    let a = kv_map(points[0].attributes());
    assert_eq!(a["gen_ai.provider.name"], Value::from("azure.ai.inference"));
    assert!(!a.contains_key("gen_ai.system"));
    assert!(!a.contains_key("server.port"));
}

#[test]
fn embeddings_encoding_format_is_a_string_array() {
    let h = Harness::new();
    let inst = Instrumentation::new(&h.options(false), "h", 443);
    let request =
        RequestAttributes::with_model(Some("e")).with(RequestParam::EncodingFormat, "base64");
    inst.start(Operation::Embeddings, &request).end();
    let spans = h.spans();
    let a = attrs(&spans[0]);
    assert_eq!(
        a["gen_ai.request.encoding_formats"],
        Value::Array(Array::String(vec!["base64".into()]))
    );
    assert_eq!(spans[0].name, "embeddings e");
}
