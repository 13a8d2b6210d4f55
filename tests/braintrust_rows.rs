//! Braintrust's own instrumentation rules on both paths (native REST into
//! the loopback stand-in, OTLP into the loopback receiver): attachments
//! uploaded and referenced, a failed upload pipeline leaving later rows
//! inline, oversized rows truncated instead of dropped, the AI-span filter,
//! token metrics and the metadata allow-list. Every native row is checked
//! against Braintrust's insert schema by the stand-in (`assert_clean`).

mod support;

use std::collections::HashMap;

use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustExporter, BraintrustOtlpExporter, Parent,
};
use base64::Engine as _;
use futures::executor::block_on;
use opentelemetry::trace::{Span as _, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use serde_json::{Value, json};
use support::attachment_store::ORG_ID;
use support::braintrust_stand_in::{API_KEY, PROJECT_NAME, StandIn, fast_retries};
use support::genai_spans::chat_under_root;
use support::otlp_receiver::OtlpReceiver;
use support::telemetry::Harness;

/// The documented insert-body limit the native exporter packs rows under.
const MAX_BATCH_BYTES: usize = 3 * 1024 * 1024;

/// A one-pixel PNG and a tiny PDF, as bytes.
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const PDF: &[u8] = b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n1 0 obj\n<</Type/Catalog>>\nendobj\n";

fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The chat-format request of a user sending an image and a PDF.
fn media_messages() -> Value {
    json!([{"role": "user", "content": [
        {"type": "text", "text": "what is in these?"},
        {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}},
        {"type": "file", "file": {"filename": "report.pdf", "file_data": data_url("application/pdf", PDF)}},
    ]}])
}

fn native(config: BraintrustConfig) -> BraintrustExporter {
    BraintrustExporter::new(config).expect("exporter builds")
}

fn otlp_config(receiver: &OtlpReceiver) -> BraintrustConfig {
    BraintrustConfig::new()
        .with_api_key(API_KEY)
        .with_api_url(&receiver.url)
        .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned()))
        .with_retry_policy(fast_retries())
}

fn otlp(config: BraintrustConfig) -> BraintrustOtlpExporter {
    BraintrustOtlpExporter::new(config).expect("exporter builds")
}

/// The row the stand-in got for the span named `name`.
fn row_named(rows: &[Value], name: &str) -> Value {
    rows.iter()
        .find(|r| r["span_attributes"]["name"] == name)
        .unwrap_or_else(|| panic!("no row {name} in {rows:#?}"))
        .clone()
}

/// The `braintrust.*` JSON attributes the receiver got, by span name.
fn otlp_rows(receiver: &OtlpReceiver) -> HashMap<String, HashMap<String, Value>> {
    receiver
        .spans()
        .into_iter()
        .map(|span| {
            let attrs = span
                .attributes
                .iter()
                .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    any_value::Value::StringValue(s) if kv.key.starts_with("braintrust.") => {
                        let value = serde_json::from_str(s).unwrap_or(Value::String(s.clone()));
                        Some((kv.key.clone(), value))
                    }
                    _ => None,
                })
                .collect();
            (span.name, attrs)
        })
        .collect()
}

/// The references in a converted `input`, checked against what was stored.
fn assert_uploaded(input: &Value, store: &support::attachment_store::AttachmentStore) {
    let content = &input[0]["content"];
    let image = &content[1]["image_url"]["url"];
    let pdf = &content[2]["file"]["file_data"];
    assert_eq!(content[2]["file"]["filename"], "report.pdf");
    for (reference, mime, filename, bytes) in [
        (image, "image/png", "attachment.png", PNG),
        (pdf, "application/pdf", "attachment.pdf", PDF),
    ] {
        assert_eq!(reference["type"], "braintrust_attachment", "{input:#}");
        assert_eq!(reference["content_type"], mime);
        assert_eq!(reference["filename"], filename);
        let key = reference["key"].as_str().expect("key");
        let stored = store.stored();
        let object = stored.iter().find(|s| s.key == key).expect("uploaded");
        assert_eq!(object.bytes.as_ref(), bytes);
        assert_eq!(object.content_type.as_deref(), Some(mime));
        assert!(object.asked_header, "the signed URL's headers were sent");
        assert_eq!(object.authorization, None, "no API key on the signed URL");
        let request = store
            .requests()
            .into_iter()
            .find(|r| r["key"] == key)
            .expect("asked");
        assert_eq!(request["org_id"], ORG_ID);
        assert_eq!(request["filename"], filename);
        let done = store
            .statuses()
            .into_iter()
            .find(|s| s["key"] == key)
            .expect("status");
        assert_eq!(done["status"], json!({"upload_status": "done"}));
        assert_eq!(done["org_id"], ORG_ID);
    }
    assert!(!input.to_string().contains("base64,"), "{input}");
    assert_eq!(store.logins(), 1, "the org id is resolved once");
    assert_eq!(store.unauthorized(), 0);
}

#[test]
fn native_an_image_and_a_pdf_become_uploaded_references() {
    let stand_in = StandIn::start();
    let exporter = native(stand_in.config());
    block_on(exporter.export(chat_under_root(vec![], &media_messages()))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    // A second row with media: the org id is not asked for again.
    block_on(exporter.export(chat_under_root(vec![], &media_messages()))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("rows, then uploads");
    let rows = stand_in.rows();
    assert_eq!(rows.len(), 4);
    assert_uploaded(
        &row_named(&rows, "chat gpt-4o")["input"],
        &stand_in.attachments,
    );
    assert_eq!(stand_in.attachments.stored().len(), 4);
    stand_in.assert_clean();
}

#[test]
fn otlp_an_image_and_a_pdf_become_uploaded_references() {
    let receiver = OtlpReceiver::start();
    let exporter = otlp(otlp_config(&receiver));
    block_on(exporter.export(chat_under_root(vec![], &media_messages()))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("spans, then uploads");
    let rows = otlp_rows(&receiver);
    assert_uploaded(
        &rows["chat gpt-4o"]["braintrust.input_json"],
        &receiver.attachments,
    );
}

#[test]
fn a_failed_upload_pipeline_leaves_later_rows_inline() {
    let stand_in = StandIn::start();
    // The first signed-URL request is refused (not retried: a 4xx).
    stand_in.attachments.fail_attachment_requests([403]);
    let exporter = native(stand_in.config());
    let image_only = json!([{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}},
    ]}]);
    block_on(exporter.export(chat_under_root(vec![], &image_only))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    // The uploader is off now: the next row keeps its media inline, whole.
    block_on(exporter.export(chat_under_root(vec![], &media_messages()))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");

    let rows: Vec<Value> = stand_in
        .rows()
        .into_iter()
        .filter(|r| r["span_attributes"]["name"] == "chat gpt-4o")
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["input"][0]["content"][0]["image_url"]["url"]["type"],
        "braintrust_attachment"
    );
    assert_eq!(rows[1]["input"], media_messages(), "inline, unchanged");
    let statuses = stand_in.attachments.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0]["status"]["upload_status"], "error");
    assert!(stand_in.attachments.stored().is_empty());
    stand_in.assert_clean();
}

#[test]
fn attachments_can_be_turned_off() {
    let stand_in = StandIn::start();
    let exporter = native(stand_in.config().with_auto_convert_attachments(false));
    block_on(exporter.export(chat_under_root(vec![], &media_messages()))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    assert_eq!(
        row_named(&stand_in.rows(), "chat gpt-4o")["input"],
        media_messages()
    );
    assert_eq!(stand_in.attachments.logins(), 0);

    let receiver = OtlpReceiver::start();
    let exporter = otlp(otlp_config(&receiver).with_auto_convert_attachments(false));
    block_on(exporter.export(chat_under_root(vec![], &media_messages()))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    let rows = otlp_rows(&receiver);
    assert_eq!(
        rows["chat gpt-4o"]["braintrust.input_json"],
        media_messages()
    );
    assert_eq!(receiver.attachments.logins(), 0);
}

#[test]
fn an_oversized_row_is_truncated_not_dropped() {
    let stand_in = StandIn::start();
    let exporter = native(stand_in.config());
    let stats = exporter.stats();
    let huge = "many words ".repeat(MAX_BATCH_BYTES / 8);
    let input = json!([{"role": "user", "content": huge}]);
    let mut spans = chat_under_root(
        vec![
            KeyValue::new("gen_ai.usage.input_tokens", 900_000i64),
            KeyValue::new("gen_ai.usage.output_tokens", 3i64),
            KeyValue::new("error.type", "timeout"),
        ],
        &input,
    );
    for span in &mut spans {
        if span.name == "chat gpt-4o" {
            span.status = opentelemetry::trace::Status::error("took too long");
        }
    }
    block_on(exporter.export(spans)).expect("export");
    exporter.force_flush().expect("flush");
    let rows = stand_in.rows();
    assert_eq!((stats.sent(), stats.lost()), (2, 0));
    let row = row_named(&rows, "chat gpt-4o");
    let content = row["input"][0]["content"].as_str().expect("text");
    assert!(content.starts_with("many words"));
    assert!(
        content.contains("…[truncated by azure-ai-inference-otel: "),
        "visible marker"
    );
    assert_eq!(row["metadata"]["truncated"], json!(["input"]));
    assert_eq!(row["metrics"]["prompt_tokens"], 900_000);
    assert_eq!(row["metrics"]["tokens"], 900_003);
    assert_eq!(row["error"], "timeout: took too long");
    let root = row_named(&rows, "handle");
    assert_eq!(row["span_parents"], json!([root["span_id"]]));
    for insert in stand_in.inserts() {
        assert!(insert.bytes <= MAX_BATCH_BYTES);
    }
    stand_in.assert_clean();
}

/// A trace of root → http (no AI attributes) → chat → db.
fn mixed_trace() -> Vec<SpanData> {
    let harness = Harness::new();
    let tracer = harness.tracer_provider.tracer("my-app");
    let root = tracer.start("handle");
    let root_cx = Context::current_with_span(root);
    let http = tracer.start_with_context("GET /weather", &root_cx);
    let http_cx = root_cx.with_span(http);
    http_cx
        .span()
        .set_attribute(KeyValue::new("http.request.method", "GET"));
    let mut chat = tracer.start_with_context("chat gpt-4o", &http_cx);
    chat.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
    let chat_cx = http_cx.with_span(chat);
    let mut db = tracer.start_with_context("SELECT", &chat_cx);
    db.set_attribute(KeyValue::new("db.system.name", "postgresql"));
    db.set_attribute(KeyValue::new("braintrust.parent", "project_name:x"));
    db.end();
    chat_cx.span().end();
    http_cx.span().end();
    root_cx.span().end();
    harness.spans()
}

fn names(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[test]
fn the_ai_span_filter_keeps_ai_spans_and_the_root() {
    let all = names(vec![
        "GET /weather".into(),
        "SELECT".into(),
        "chat gpt-4o".into(),
        "handle".into(),
    ]);
    let kept = names(vec!["chat gpt-4o".into(), "handle".into()]);
    for (on, expected) in [(false, &all), (true, &kept)] {
        let stand_in = StandIn::start();
        let exporter = native(stand_in.config().with_filter_ai_spans(on));
        block_on(exporter.export(mixed_trace())).expect("export");
        exporter.force_flush().expect("flush");
        exporter.force_flush().expect("flush");
        let got = names(
            stand_in
                .rows()
                .iter()
                .map(|r| r["span_attributes"]["name"].as_str().unwrap().to_owned())
                .collect(),
        );
        assert_eq!(&got, expected, "native, filter {on}");
        assert_eq!(
            exporter.stats().lost(),
            0,
            "filtered spans are not lost spans"
        );
        stand_in.assert_clean();

        let receiver = OtlpReceiver::start();
        let exporter = otlp(otlp_config(&receiver).with_filter_ai_spans(on));
        block_on(exporter.export(mixed_trace())).expect("export");
        exporter.force_flush().expect("flush");
        exporter.force_flush().expect("flush");
        let got = names(receiver.spans().into_iter().map(|s| s.name).collect());
        assert_eq!(&got, expected, "OTLP, filter {on}");
    }

    // A custom filter decides first; the root stays whatever it says.
    let stand_in = StandIn::start();
    let exporter = native(
        stand_in
            .config()
            .with_filter_ai_spans(true)
            .with_span_filter(|span| {
                (span.name == "SELECT" || span.name == "handle" || span.name == "chat gpt-4o")
                    .then_some(span.name == "SELECT")
            }),
    );
    block_on(exporter.export(mixed_trace())).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    let got = names(
        stand_in
            .rows()
            .iter()
            .map(|r| r["span_attributes"]["name"].as_str().unwrap().to_owned())
            .collect(),
    );
    assert_eq!(got, names(vec!["SELECT".into(), "handle".into()]));
}

#[test]
fn token_details_reach_both_paths_and_are_absent_when_not_reported() {
    let with = vec![
        KeyValue::new("gen_ai.usage.input_tokens", 100i64),
        KeyValue::new("gen_ai.usage.output_tokens", 20i64),
    ];
    let stand_in = StandIn::start();
    let exporter = native(stand_in.config());
    block_on(exporter.export(chat_under_root(with.clone(), &json!([])))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    let row = row_named(&stand_in.rows(), "chat gpt-4o");
    let receiver = OtlpReceiver::start();
    let exporter = otlp(otlp_config(&receiver));
    block_on(exporter.export(chat_under_root(with, &json!([])))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    let otlp_metrics = otlp_rows(&receiver)["chat gpt-4o"]["braintrust.metrics"].clone();
    for metrics in [&row["metrics"], &otlp_metrics] {
        assert_eq!(metrics["prompt_tokens"], 100);
        assert_eq!(metrics["completion_tokens"], 20);
        assert_eq!(metrics["tokens"], 120);
        let mut keys: Vec<&str> = metrics
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "completion_tokens",
                "end",
                "prompt_tokens",
                "start",
                "tokens"
            ],
            "nothing fabricated"
        );
    }
    stand_in.assert_clean();
}

#[test]
fn llm_metadata_is_the_allow_list_on_both_paths_and_user_spans_keep_theirs() {
    let attributes = vec![
        KeyValue::new("gen_ai.request.model", "gpt-4o"),
        KeyValue::new("gen_ai.request.temperature", 0.5),
        KeyValue::new("gen_ai.request.seed", 7i64),
        KeyValue::new("gen_ai.response.id", "chatcmpl-1"),
        KeyValue::new("server.address", "example.services.ai.azure.com"),
        KeyValue::new(
            "gen_ai.tool.definitions",
            r#"[{"type":"function","function":{"name":"f"}}]"#,
        ),
    ];
    let expected = json!({
        "model": "gpt-4o-2024-08-06",
        "provider": "azure",
        "temperature": 0.5,
        "tools": [{"type": "function", "function": {"name": "f"}}],
    });
    let stand_in = StandIn::start();
    let exporter = native(stand_in.config());
    let mut spans = chat_under_root(attributes.clone(), &json!([]));
    for span in &mut spans {
        if span.name == "handle" {
            span.attributes.push(KeyValue::new("user.id", "u-1"));
        }
    }
    block_on(exporter.export(spans)).expect("export");
    exporter.force_flush().expect("flush");
    let rows = stand_in.rows();
    assert_eq!(row_named(&rows, "chat gpt-4o")["metadata"], expected);
    assert_eq!(
        row_named(&rows, "handle")["metadata"],
        json!({"user.id": "u-1"})
    );
    stand_in.assert_clean();

    let receiver = OtlpReceiver::start();
    let exporter = otlp(otlp_config(&receiver));
    block_on(exporter.export(chat_under_root(attributes, &json!([])))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    assert_eq!(
        otlp_rows(&receiver)["chat gpt-4o"]["braintrust.metadata"],
        expected
    );
}

/// Every row of the token-count table (cache and reasoning details
/// included, whichever rows the table has) reaches `metrics` under its
/// Braintrust name on both paths, from the span attribute alone; and no
/// token metric appears when the span reports none.
#[test]
fn every_token_count_reaches_both_paths_and_none_is_invented() {
    use azure_ai_inference_otel::telemetry::TOKEN_COUNTS;
    let reported: Vec<KeyValue> = TOKEN_COUNTS
        .iter()
        .enumerate()
        .map(|(i, spec)| KeyValue::new(spec.key, 10 + i as i64))
        .collect();
    for attributes in [reported, Vec::new()] {
        let stand_in = StandIn::start();
        let exporter = native(stand_in.config());
        block_on(exporter.export(chat_under_root(attributes.clone(), &json!([])))).expect("export");
        exporter.force_flush().expect("flush");
        exporter.force_flush().expect("flush");
        let native_metrics = row_named(&stand_in.rows(), "chat gpt-4o")["metrics"].clone();
        stand_in.assert_clean();
        let receiver = OtlpReceiver::start();
        let exporter = otlp(otlp_config(&receiver));
        block_on(exporter.export(chat_under_root(attributes.clone(), &json!([])))).expect("export");
        exporter.force_flush().expect("flush");
        exporter.force_flush().expect("flush");
        let otlp_metrics = otlp_rows(&receiver)["chat gpt-4o"]["braintrust.metrics"].clone();
        for metrics in [&native_metrics, &otlp_metrics] {
            // The guide's metric of each row of the table, in table order.
            let names = [
                "prompt_tokens",
                "completion_tokens",
                "prompt_cached_tokens",
                "completion_reasoning_tokens",
            ];
            assert_eq!(names.len(), TOKEN_COUNTS.len());
            for (i, (spec, name)) in TOKEN_COUNTS.iter().zip(names).enumerate() {
                let expected = if attributes.is_empty() {
                    Value::Null
                } else {
                    json!(10 + i)
                };
                assert_eq!(metrics[name], expected, "{spec:?}: {metrics}");
            }
            assert_eq!(metrics.get("tokens").is_some(), !attributes.is_empty());
        }
    }
}

/// Shutdown honours the caller's deadline for the uploads too (not the
/// uploader's own 30 s), and says they were not finished.
#[test]
fn native_shutdown_gives_uploads_only_the_callers_deadline() {
    use azure_ai_inference_otel::exporters::braintrust::RetryPolicy;
    use opentelemetry_sdk::error::OTelSdkError;
    use std::time::{Duration, Instant};

    let stand_in = StandIn::start();
    // Every upload request answers 503 and is retried every 200 ms.
    stand_in.attachments.fail_attachment_requests([503; 200]);
    let slow = RetryPolicy::default()
        .with_max_retries(199)
        .with_initial_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_millis(200))
        .with_max_elapsed(Duration::from_secs(60));
    let exporter = native(stand_in.config().with_retry_policy(slow));
    block_on(exporter.export(chat_under_root(vec![], &media_messages()))).expect("export");
    let started = Instant::now();
    let result = exporter.shutdown_with_timeout(Duration::from_millis(800));
    let took = started.elapsed();
    assert!(
        matches!(result, Err(OTelSdkError::Timeout(_))),
        "uploads unfinished: {result:?}"
    );
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
    // The row itself went first, with its references.
    let row = row_named(&stand_in.rows(), "chat gpt-4o");
    assert_eq!(
        row["input"][0]["content"][1]["image_url"]["url"]["type"], "braintrust_attachment",
        "{row}"
    );
    assert!(stand_in.attachments.stored().is_empty());
}

#[test]
fn upload_requests_are_retried_on_5xx_only() {
    let stand_in = StandIn::start();
    stand_in.attachments.fail_attachment_requests([503, 502]);
    let exporter = native(stand_in.config());
    block_on(exporter.export(chat_under_root(vec![], &media_messages()))).expect("export");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    exporter.force_flush().expect("flush");
    // Two failed answers for the first attachment, then both went through.
    assert_eq!(stand_in.attachments.requests().len(), 4);
    assert_eq!(stand_in.attachments.stored().len(), 2);
    let row = row_named(&stand_in.rows(), "chat gpt-4o");
    assert_uploaded(&row["input"], &stand_in.attachments);
    stand_in.assert_clean();
}
