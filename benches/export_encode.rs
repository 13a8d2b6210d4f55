//! Export-side cost per span, for one recorded chat span (default options:
//! content off):
//!
//! - `otlp`: the collector sink's `encode` (split by size, protobuf), the
//!   crate's own code through `bench_support`;
//! - `braintrust-otlp`: the Braintrust OTLP sink's `encode` (Braintrust's
//!   annotation, then the same encoder);
//! - `otlp-prost`: the reference encoding, `opentelemetry-proto`'s
//!   `group_spans_by_resource_and_scope` + prost's `encode_to_vec`;
//! - `braintrust`: the native sink's `encode` (each row's JSON written
//!   straight from the span, packed into insert bodies);
//! - `braintrust-row`: the native path as it was, `span_to_row` +
//!   `serde_json` into a reused buffer.
//!
//! `EXPORT_PATH=otlp|braintrust-otlp|otlp-prost|braintrust|braintrust-row EXPORT_SPANS=N`
//! encodes N copies in batches of 512 (the batch size of the pipeline)
//! inside `callgrind_measured` and prints wall time per span. Instructions per span: run it under callgrind
//! with two N (the README's Benchmarks section has the command) and divide
//! the difference of the totals by the difference of N, so set-up cancels.

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use azure_ai_inference_otel::bench_support::ExportEncoder;
use azure_ai_inference_otel::exporters::braintrust::span_to_row;
use azure_ai_inference_otel::telemetry::{
    ChoiceRecord, Instrumentation, Operation, RequestAttributes, RequestParam, ResponseRecord,
    TelemetryOptions, UsageRecord,
};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use prost::Message as _;

const BATCH: usize = 512;

/// One chat span as the client records it by default.
fn chat_span() -> SpanData {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let options = TelemetryOptions::new().with_tracer_provider(&provider);
    let inst = Instrumentation::new(&options, "example.services.ai.azure.com", 443);
    let stop = ["END".to_owned()];
    let request = RequestAttributes::with_model(Some("gpt-4o-mini"))
        .with(RequestParam::MaxTokens, 256i64)
        .with(RequestParam::Temperature, 0.2)
        .with(RequestParam::Stop, &stop[..]);
    let mut span = inst.start(Operation::Chat, &request);
    span.record_response(&ResponseRecord {
        id: Some("chatcmpl-123"),
        model: Some("gpt-4o-mini-2024-07-18"),
        usage: Some(UsageRecord::new(Some(42), Some(17))),
        choices: vec![ChoiceRecord {
            index: 0,
            finish_reason: Some("stop"),
            content: Some("Hello there"),
            reasoning: None,
            tool_calls: vec![],
        }],
    });
    span.end();
    let _ = provider.force_flush();
    let mut span = exporter
        .get_finished_spans()
        .unwrap_or_default()
        .pop()
        .expect("the chat span was exported");
    // Fixed times: the text of a time's digits varies between runs, and the
    // callgrind figure compares two runs.
    span.start_time = UNIX_EPOCH + Duration::from_micros(1_764_633_600_123_456);
    span.end_time = span.start_time + Duration::from_micros(812_345);
    span
}

#[inline(never)]
fn callgrind_measured(
    path: &str,
    batches: Vec<Vec<SpanData>>,
    resource: &ResourceAttributesWithSchema,
    encoder: Option<&ExportEncoder>,
) -> usize {
    let mut total = 0;
    let mut buffer = Vec::with_capacity(64 * 1024);
    for batch in batches {
        match (path, encoder) {
            (_, Some(encoder)) => total += black_box(encoder.encode(batch)),
            ("otlp-prost", None) => {
                let request = ExportTraceServiceRequest {
                    resource_spans: group_spans_by_resource_and_scope(batch, resource),
                };
                total += black_box(request.encode_to_vec()).len();
            }
            _ => {
                buffer.clear();
                for span in &batch {
                    let _ = serde_json::to_writer(&mut buffer, &span_to_row(span));
                    buffer.push(b'\n');
                }
                total += black_box(&buffer).len();
            }
        }
    }
    total
}

fn main() {
    let path = std::env::var("EXPORT_PATH").unwrap_or_else(|_| "otlp".to_owned());
    let n: usize = std::env::var("EXPORT_SPANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let span = chat_span();
    let sdk_resource = Resource::builder().build();
    let resource: ResourceAttributesWithSchema = (&sdk_resource).into();
    let encoder = match path.as_str() {
        "otlp" => Some(ExportEncoder::otlp(&sdk_resource).expect("the OTLP sink builds")),
        "braintrust-otlp" => {
            Some(ExportEncoder::braintrust_otlp(&sdk_resource).expect("the Braintrust sink builds"))
        }
        "braintrust" => Some(ExportEncoder::braintrust().expect("the Braintrust sink builds")),
        _ => None,
    };
    let batches: Vec<Vec<SpanData>> = (0..n)
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(|c| c.iter().map(|_| span.clone()).collect())
        .collect();
    let started = Instant::now();
    let bytes = callgrind_measured(&path, batches, &resource, encoder.as_ref());
    let elapsed = started.elapsed();
    println!(
        "{path}: {n} spans, {bytes} bytes, {:.0} ns per span",
        elapsed.as_nanos() as f64 / n.max(1) as f64
    );
}
