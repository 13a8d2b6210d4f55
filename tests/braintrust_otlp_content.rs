//! The OTLP-to-Braintrust path's content rules, end to end into the loopback
//! receiver: a span over the request limit is cut (with the native path's
//! marker and flags) and sent with its metrics, error and parent; once
//! attachments were converted no base64 copy of them leaves in the span's
//! GenAI content (both vocabularies), while a span whose uploads could not be
//! queued is sent unchanged.

mod support;

use azure_ai_inference_otel::client::ClientOptions;
use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustOtlpExporter, Parent,
};
use azure_ai_inference_otel::models::ChatCompletionsOptions;
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use base64::Engine as _;
use futures::executor::block_on;
use opentelemetry::trace::{
    FutureExt as _, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_proto::tonic::common::v1::{KeyValue as ProtoKeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span as ProtoSpan;
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use serde_json::{Value, json};
use support::braintrust_stand_in::{API_KEY, PROJECT_NAME, fast_retries};
use support::genai_spans::chat_under_root_with;
use support::otlp_receiver::OtlpReceiver;
use support::telemetry::Harness;

/// The documented request limit of the Braintrust OTLP exporter.
const MAX_OTLP_REQUEST_BYTES: usize = 10_000_000;

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const PDF: &[u8] = b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n1 0 obj\n<</Type/Catalog>>\nendobj\n";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn media_messages() -> Value {
    json!([{"role": "user", "content": [
        {"type": "text", "text": "what is in these?"},
        {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(PNG))}},
        {"type": "file", "file": {"filename": "report.pdf",
            "file_data": format!("data:application/pdf;base64,{}", b64(PDF))}},
    ]}])
}

fn exporter(receiver: &OtlpReceiver) -> BraintrustOtlpExporter {
    BraintrustOtlpExporter::new(
        BraintrustConfig::new()
            .with_api_key(API_KEY)
            .with_api_url(&receiver.url)
            .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned()))
            .with_retry_policy(fast_retries()),
    )
    .expect("exporter builds")
}

/// Export, then flush the spans and the uploads they refer to.
fn send(exporter: &BraintrustOtlpExporter, spans: Vec<SpanData>) {
    block_on(exporter.export(spans)).expect("export");
    for _ in 0..3 {
        exporter.force_flush().expect("flush");
    }
}

fn text(kv: &ProtoKeyValue) -> Option<&str> {
    match kv.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s),
        _ => None,
    }
}

fn attribute<'a>(span: &'a ProtoSpan, key: &str) -> Option<&'a ProtoKeyValue> {
    span.attributes.iter().find(|kv| kv.key == key)
}

fn json_attribute(span: &ProtoSpan, key: &str) -> Value {
    let text = attribute(span, key).and_then(text).expect(key);
    serde_json::from_str(text).expect("JSON")
}

/// Every string the span carries, in attributes and events.
fn all_texts(span: &ProtoSpan) -> Vec<&str> {
    span.attributes
        .iter()
        .chain(span.events.iter().flat_map(|e| &e.attributes))
        .filter_map(text)
        .collect()
}

fn span_named(receiver: &OtlpReceiver, name: &str) -> Vec<ProtoSpan> {
    receiver
        .spans()
        .into_iter()
        .filter(|s| s.name == name)
        .collect()
}

#[test]
fn an_oversized_span_is_cut_and_sent_with_its_metrics_error_and_parent() {
    // Over the limit alone; twice over it once the row's copy is added.
    let huge = "many words ".repeat(MAX_OTLP_REQUEST_BYTES / 8);
    let spans = chat_under_root_with(
        vec![
            KeyValue::new("gen_ai.usage.input_tokens", 900_000i64),
            KeyValue::new("gen_ai.usage.output_tokens", 3i64),
            KeyValue::new("error.type", "timeout"),
        ],
        &json!([{"role": "user", "content": huge}]),
        Status::error("took too long"),
    );

    let receiver = OtlpReceiver::start();
    let exporter = exporter(&receiver);
    let stats = exporter.stats();
    send(&exporter, spans);
    assert_eq!((stats.sent(), stats.lost()), (2, 0));
    for request in receiver.requests() {
        assert!(request.bytes <= MAX_OTLP_REQUEST_BYTES, "{}", request.bytes);
    }

    let chat = span_named(&receiver, "chat gpt-4o").remove(0);
    let root = span_named(&receiver, "handle").remove(0);
    assert_eq!(chat.parent_span_id, root.span_id);
    let input = json_attribute(&chat, "braintrust.input_json");
    let event: Value = serde_json::from_str(text(&chat.events[0].attributes[0]).unwrap()).unwrap();
    for content in [&input[0]["content"], &event["content"]] {
        let content = content.as_str().expect("text");
        assert!(content.starts_with("many words"), "the start stays");
        assert!(
            content.contains("…[truncated by azure-ai-inference-otel: "),
            "visible marker"
        );
        assert!(
            content.len() > MAX_OTLP_REQUEST_BYTES / 4,
            "a fair share stays"
        );
    }
    let metadata = json_attribute(&chat, "braintrust.metadata");
    assert_eq!(metadata["truncated"], json!(["input"]));
    let metrics = json_attribute(&chat, "braintrust.metrics");
    assert_eq!(metrics["prompt_tokens"], 900_000);
    assert_eq!(metrics["tokens"], 900_003);
    let status = chat.status.as_ref().expect("status");
    assert_eq!(status.message, "took too long");
    let flag = attribute(&chat, "az.ai.inference.truncated").expect("flag");
    let Some(any_value::Value::ArrayValue(keys)) =
        flag.value.as_ref().and_then(|v| v.value.as_ref())
    else {
        panic!("{flag:?}");
    };
    assert_eq!(
        keys.values.len(),
        2,
        "the row's input and the event: {keys:?}"
    );
}

/// The spans of a chat call with the media request, content on, under a
/// root, against the loopback endpoint.
fn media_span(mode: SemconvMode) -> Vec<SpanData> {
    let harness = Harness::new();
    let options = harness.options(true).with_semconv_mode(mode);
    let server = MockInferenceServer::start_background().expect("demo endpoint");
    server.enqueue(Reply::chat_completion("A chart and a report."));
    let client = support::client::chat(&server, ClientOptions::new().with_telemetry(options));
    let request: ChatCompletionsOptions =
        serde_json::from_value(json!({"model": "gpt-4o", "messages": media_messages()}))
            .expect("a chat request");
    let root = harness.tracer_provider.tracer("my-app").start("handle");
    let cx = Context::current_with_span(root);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(client.complete(request).with_context(cx.clone()))
        .expect("chat");
    cx.span().end();
    harness.spans()
}

#[test]
fn converted_media_leaves_no_base64_in_the_genai_content_in_either_vocabulary() {
    for mode in [SemconvMode::Default, SemconvMode::LatestExperimental] {
        let receiver = OtlpReceiver::start();
        let exporter = exporter(&receiver);
        send(&exporter, media_span(mode));
        let chat = span_named(&receiver, "chat gpt-4o").remove(0);
        let input = json_attribute(&chat, "braintrust.input_json");
        let keys: Vec<&str> = [
            &input[0]["content"][1]["image_url"]["url"]["key"],
            &input[0]["content"][2]["file"]["file_data"]["key"],
        ]
        .into_iter()
        .map(|k| k.as_str().expect("a reference"))
        .collect();
        assert_eq!(receiver.attachments.stored().len(), 2, "{mode:?}");

        // The GenAI copy (events, or `gen_ai.input.messages`) holds the
        // same references and no base64 at all.
        let genai: Vec<&str> = all_texts(&chat)
            .into_iter()
            .filter(|t| t.contains("what is in these?"))
            .collect();
        assert_eq!(
            genai.len(),
            2,
            "{mode:?}: the row's input and the GenAI copy"
        );
        for text in all_texts(&chat) {
            for payload in [b64(PNG), b64(PDF)] {
                assert!(!text.contains(&payload), "{mode:?}: {text}");
            }
        }
        for key in keys {
            assert!(genai.iter().all(|t| t.contains(key)), "{mode:?}: {genai:?}");
        }
    }
}

#[test]
fn a_span_whose_uploads_cannot_be_queued_is_sent_unchanged() {
    let receiver = OtlpReceiver::start();
    // The first signed-URL request is refused: the uploader shuts down.
    receiver.attachments.fail_attachment_requests([403]);
    let exporter = exporter(&receiver);
    send(&exporter, media_span(SemconvMode::Default));
    send(&exporter, media_span(SemconvMode::Default));

    let chats = span_named(&receiver, "chat gpt-4o");
    assert_eq!(chats.len(), 2);
    // The first went out converted (its uploads were queued, then failed).
    assert!(!all_texts(&chats[0]).iter().any(|t| t.contains(&b64(PNG))));
    // The second is whole everywhere: the row's input and the event.
    let input = json_attribute(&chats[1], "braintrust.input_json");
    assert_eq!(input, media_messages());
    let event = chats[1]
        .events
        .iter()
        .flat_map(|e| &e.attributes)
        .find_map(|kv| {
            (kv.key == "gen_ai.event.content")
                .then(|| text(kv))
                .flatten()
        })
        .expect("message event");
    assert_eq!(
        serde_json::from_str::<Value>(event).unwrap(),
        media_messages()[0]
    );
    let statuses = receiver.attachments.statuses();
    assert!(
        statuses
            .iter()
            .any(|s| s["status"]["upload_status"] == "error"),
        "{statuses:?}"
    );
}
