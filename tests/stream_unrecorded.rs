//! Streams whose span does not record: the metrics are the same as when it
//! does (the per-chunk times, the response model and the usage are still
//! gathered for the meter), and with no meter either the stream still
//! knows how it ended.

mod support;
use support::client as client_support;
use support::telemetry;

use std::collections::BTreeMap;
use std::time::Duration;

use azure_ai_inference_otel::client::{ClientOptions, RetryPolicy};
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry_sdk::trace::{InMemorySpanExporter, Sampler, SdkTracerProvider};
use telemetry::{Harness, kv_map};

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Tell me a story")])
        .with_model("mistral-large")
}

/// A tracer provider whose spans never record.
fn sampled_out() -> (SdkTracerProvider, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::AlwaysOff)
        .with_simple_exporter(exporter.clone())
        .build();
    (provider, exporter)
}

fn client_options(telemetry: TelemetryOptions) -> ClientOptions {
    ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_retry(RetryPolicy::none())
        .with_telemetry(telemetry)
}

/// Every histogram point as (metric, attributes) -> count, timings left out.
fn point_counts(h: &Harness) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for name in [
        "gen_ai.client.operation.duration",
        "gen_ai.client.operation.time_to_first_chunk",
        "gen_ai.client.operation.time_per_output_chunk",
    ] {
        for p in h.f64_points(name) {
            let attrs = format!("{:?}", kv_map(p.attributes()));
            *out.entry(format!("{name} {attrs}")).or_default() += p.count();
        }
    }
    for p in h.u64_points("gen_ai.client.token.usage") {
        let attrs = format!("{:?}", kv_map(p.attributes()));
        *out.entry(format!("gen_ai.client.token.usage {attrs} sum={}", p.sum()))
            .or_default() += p.count();
    }
    out
}

async fn read_all(server: &MockInferenceServer, telemetry: TelemetryOptions) -> usize {
    server.enqueue(Reply::chat_stream(["Once", " upon", " a time"]).with_usage(5, 3));
    let client = client_support::chat(server, client_options(telemetry));
    let mut stream = client.complete_streaming(request()).await.unwrap();
    let mut n = 0;
    while let Some(update) = stream.next().await {
        update.unwrap();
        n += 1;
    }
    n
}

#[tokio::test]
async fn a_sampled_out_span_leaves_the_metrics_unchanged() {
    let server = MockInferenceServer::start().await.unwrap();

    let recorded = Harness::new();
    let chunks = read_all(&server, recorded.options(false)).await;
    assert_eq!(recorded.spans().len(), 1);

    let unrecorded = Harness::new();
    let (tracer, spans) = sampled_out();
    let options = TelemetryOptions::new()
        .with_tracer_provider(&tracer)
        .with_meter_provider(&unrecorded.meter_provider);
    assert_eq!(read_all(&server, options).await, chunks);
    tracer.force_flush().unwrap();
    assert!(spans.get_finished_spans().unwrap().is_empty());

    let want = point_counts(&recorded);
    assert_eq!(point_counts(&unrecorded), want);
    let per_chunk: u64 = want
        .iter()
        .filter(|(k, _)| k.starts_with("gen_ai.client.operation.time_per_output_chunk"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(per_chunk, chunks as u64 - 1, "{want:#?}");
    assert!(
        want.keys()
            .any(|k| k.contains("gen_ai.response.model") && k.contains("mistral-large")),
        "{want:#?}"
    );
    assert!(
        want.keys()
            .any(|k| k.contains("token.usage") && k.ends_with("sum=3")),
        "{want:#?}"
    );
}

#[tokio::test]
async fn with_nothing_recording_a_stream_still_knows_how_it_ended() {
    let server = MockInferenceServer::start().await.unwrap();
    // No meter given and none installed globally: the global no-op one.
    let (tracer, _spans) = sampled_out();
    let telemetry = || TelemetryOptions::new().with_tracer_provider(&tracer);

    server.enqueue(Reply::chat_stream(["a", "b"]).without_done());
    let client = client_support::chat(&server, client_options(telemetry()));
    let results = client_support::stream_items(&client, request()).await;
    assert!(results.iter().all(Result::is_ok), "finished: a success");

    server.enqueue(Reply::chat_stream(["a", "b", "c"]).truncated_after(2));
    let results = client_support::stream_items(&client, request()).await;
    client_support::assert_cut_after(&results, 2);
}
