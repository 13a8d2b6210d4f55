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
use std::time::Instant;

use azure_ai_inference_otel::bench_support::{ExportEncoder, chat_span};
use azure_ai_inference_otel::exporters::braintrust::span_to_row;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;
use prost::Message as _;

const BATCH: usize = 512;

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
    // Content off, as the client records it by default.
    let span = chat_span(false, "Hello there").expect("the chat span was exported");
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
