//! Figures for the paths every call takes: span start and end, per-chunk
//! stream handling. Run with `cargo bench --bench hot_paths`; these print
//! timings and never fail a build.

use std::hint::black_box;

use azure_ai_inference_otel::telemetry::{
    ChoiceRecord, Instrumentation, Operation, RequestAttributes, RequestParam, ResponseRecord,
    StreamAccumulator, StreamOutcome, TelemetryOptions, UsageRecord,
};
use criterion::{Criterion, criterion_group, criterion_main};
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};

/// An exporter that drops everything, so the figures measure recording, not export.
#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

fn request<'a>(stop: &'a [String]) -> RequestAttributes<'a> {
    RequestAttributes::with_model(Some("gpt-4o-mini"))
        .with(RequestParam::MaxTokens, 256i64)
        .with(RequestParam::Temperature, 0.2)
        .with(RequestParam::TopP, 0.95)
        .with(RequestParam::Stop, stop)
}

fn response() -> ResponseRecord<'static> {
    ResponseRecord {
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
    }
}

fn spans(c: &mut Criterion) {
    let stop = vec!["END".to_owned()];
    let noop = Instrumentation::new(
        &TelemetryOptions::new(),
        "example.services.ai.azure.com",
        443,
    );
    c.bench_function("span start+response+end, no provider installed", |b| {
        b.iter(|| {
            let mut span = noop.start(Operation::Chat, black_box(&request(&stop)));
            span.record_response(&response());
            span.end();
        })
    });

    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(Discard)
        .build();
    for record in [false, true] {
        let options = TelemetryOptions::new()
            .with_tracer_provider(&provider)
            .with_content_recording(record);
        let inst = Instrumentation::new(&options, "example.services.ai.azure.com", 443);
        let name = format!("span start+response+end, SDK provider, content recording {record}");
        c.bench_function(&name, |b| {
            b.iter(|| {
                let mut span = inst.start(Operation::Chat, black_box(&request(&stop)));
                span.record_response(&response());
                span.end();
            })
        });
    }
}

fn stream_chunks(c: &mut Criterion) {
    for record in [false, true] {
        let name = format!("accumulate 100 chunks, content recording {record}");
        c.bench_function(&name, |b| {
            b.iter(|| {
                let mut acc = StreamAccumulator::new(record);
                acc.observe_ids(Some("chatcmpl-1"), Some("m"));
                for _ in 0..100 {
                    acc.observe_delta(0, Some(black_box("token ")), None);
                }
                acc.observe_delta(0, None, Some("stop"));
                black_box(acc.all_finished())
            })
        });
    }

    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(Discard)
        .build();
    let options = TelemetryOptions::new().with_tracer_provider(&provider);
    let inst = Instrumentation::new(&options, "h", 443);
    c.bench_function(
        "streamed call of 100 chunks end to end (span + accumulator)",
        |b| {
            b.iter(|| {
                let mut span =
                    inst.start(Operation::Chat, &RequestAttributes::with_model(Some("m")));
                let mut acc = StreamAccumulator::new(false);
                for _ in 0..100 {
                    span.record_chunk();
                    acc.observe_delta(0, Some("token "), None);
                }
                acc.observe_delta(0, None, Some("stop"));
                span.finish_stream(&acc, StreamOutcome::Completed);
            })
        },
    );
}

/// Export mapping: a recorded chat span (content on, one tool call) to a
/// Braintrust row, and the row to its JSON bytes, as both Braintrust
/// exporters do (the native one packs the JSON into insert bodies).
fn export_mapping(c: &mut Criterion) {
    use azure_ai_inference_otel::exporters::braintrust::span_to_row;
    use azure_ai_inference_otel::telemetry::ToolCallRecord;

    let (recorder, inst) = azure_ai_inference_otel::bench_support::Recorder::new(
        TelemetryOptions::new().with_content_recording(true),
    );
    let stop = vec!["END".to_owned()];
    let mut span = inst.start(Operation::Chat, &request(&stop));
    let messages = [
        serde_json::json!({"role": "system", "content": "You are terse."}),
        serde_json::json!({"role": "user", "content": "What's the weather in Paris?"}),
    ];
    span.record_input_messages(
        messages
            .iter()
            .map(|m| (m["role"].as_str().unwrap_or("user"), m)),
    );
    span.record_response(&ResponseRecord {
        choices: vec![ChoiceRecord {
            index: 0,
            finish_reason: Some("tool_calls"),
            content: None,
            reasoning: None,
            tool_calls: vec![ToolCallRecord {
                id: "call_1",
                kind: "function",
                name: "get_weather",
                arguments: "{\"city\":\"Paris\"}",
            }],
        }],
        ..response()
    });
    span.end();
    let mut data = recorder.finished().remove(0);
    // Fixed times: the text of a time's digits varies between runs, and the
    // callgrind figure compares two runs.
    data.start_time =
        std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_764_633_600_123_456);
    data.end_time = data.start_time + std::time::Duration::from_micros(812_345);

    // Instruction counts under callgrind (stable where timings are noisy):
    // `HOT_PATHS_MAP_SPANS=N valgrind --tool=callgrind target/release/deps/hot_paths-* braintrust`
    // maps and serializes N spans (`HOT_PATHS_MAP_ONLY=1`: maps only),
    // then exits before criterion's timed loops; run it for two N and divide
    // the difference by the difference in N.
    if let Some(n) = std::env::var("HOT_PATHS_MAP_SPANS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        let map_only = std::env::var_os("HOT_PATHS_MAP_ONLY").is_some();
        let mut buffer = Vec::with_capacity(8 * 1024);
        for _ in 0..n {
            buffer.clear();
            let row = span_to_row(black_box(&data));
            if !map_only {
                let _ = serde_json::to_writer(&mut buffer, &row);
            }
            black_box((row, buffer.len()));
        }
        eprintln!(
            "mapped and serialized {n} spans, last row {} bytes",
            buffer.len()
        );
        std::process::exit(0);
    }

    c.bench_function(
        "braintrust span_to_row (chat, content recorded, tool call)",
        |b| b.iter(|| black_box(span_to_row(black_box(&data)))),
    );
    c.bench_function("braintrust span_to_row + serialize to JSON", |b| {
        b.iter(|| black_box(serde_json::to_vec(&span_to_row(black_box(&data))).unwrap_or_default()))
    });
    // What the native exporter's worker does per span (`encode_batches`).
    let mut buffer = Vec::with_capacity(8 * 1024);
    c.bench_function(
        "braintrust span_to_row + serialize into a reused buffer (exporter path)",
        |b| {
            b.iter(|| {
                buffer.clear();
                let _ = serde_json::to_writer(&mut buffer, &span_to_row(black_box(&data)));
                black_box(buffer.len())
            })
        },
    );
}

criterion_group!(benches, spans, stream_chunks, export_mapping);
criterion_main!(benches);
