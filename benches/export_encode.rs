//! Export-side cost per span, for one recorded chat span (content off, as
//! the client records it by default), through each exporter path's own
//! `encode` (the crate's code through `bench_support`):
//!
//! - `otlp`: the collector sink (each span written into one reused proto
//!   struct and encoded by prost, the batch split by encoded size);
//! - `braintrust-otlp`: the Braintrust OTLP sink (Braintrust's annotation:
//!   `span_to_row`, attachment conversion, the row's parts as JSON
//!   attributes; then the same encoder);
//! - `braintrust`: the native sink (`span_to_row`, attachment conversion,
//!   `serde_json` into `{"events":[...]}` insert bodies).
//!
//! Attachment conversion is on, as it is by default
//! (`BRAINTRUST_AUTO_CONVERT_AI_ATTACHMENTS` unset); `EXPORT_ATTACHMENTS=0`
//! turns it off.
//!
//! `EXPORT_PATH=otlp|braintrust-otlp|braintrust EXPORT_SPANS=N` encodes N
//! copies in batches of 512 (the batch size of the pipeline) inside
//! `callgrind_measured` and prints wall time per span. Instructions per
//! span: run it under callgrind with two N and divide the difference of the
//! totals by the difference of N, so set-up cancels:
//!
//! ```sh
//! bin=$(cargo bench --bench export_encode --no-run 2>&1 | sed -n 's/.*(\(.*\))$/\1/p' | tail -1)
//! for n in 1024 3072; do EXPORT_PATH=otlp EXPORT_SPANS=$n valgrind --tool=callgrind \
//!   --toggle-collect='*callgrind_measured*' --callgrind-out-file=cg.$n "$bin"; done
//! ```

use std::hint::black_box;
use std::time::Instant;

use azure_ai_inference_otel::bench_support::{ExportEncoder, chat_span};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;

const BATCH: usize = 512;

#[inline(never)]
fn callgrind_measured(batches: Vec<Vec<SpanData>>, encoder: &ExportEncoder) -> usize {
    let mut total = 0;
    for batch in batches {
        total += black_box(encoder.encode(batch));
    }
    total
}

fn main() {
    let path = std::env::var("EXPORT_PATH").unwrap_or_else(|_| "otlp".to_owned());
    let n: usize = std::env::var("EXPORT_SPANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let attachments = std::env::var("EXPORT_ATTACHMENTS").map_or(true, |v| v != "0");
    // Content off, as the client records it by default.
    let span = chat_span(false, "Hello there").expect("the chat span was exported");
    let resource = Resource::builder().build();
    let encoder = match path.as_str() {
        "otlp" => ExportEncoder::otlp(&resource),
        "braintrust-otlp" => ExportEncoder::braintrust_otlp(&resource, attachments),
        "braintrust" => ExportEncoder::braintrust(attachments),
        other => panic!("EXPORT_PATH={other}: one of otlp, braintrust-otlp, braintrust"),
    }
    .expect("the sink builds");
    let batches: Vec<Vec<SpanData>> = (0..n)
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(|c| c.iter().map(|_| span.clone()).collect())
        .collect();
    let started = Instant::now();
    let bytes = callgrind_measured(batches, &encoder);
    let elapsed = started.elapsed();
    println!(
        "{path} (attachments {}): {n} spans, {bytes} bytes, {:.0} ns per span",
        if attachments { "on" } else { "off" },
        elapsed.as_nanos() as f64 / n.max(1) as f64
    );
}
