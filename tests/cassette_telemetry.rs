//! A replayed call makes the telemetry the recorded call made: the same
//! spans (names, kinds, attributes, events, status) and the same Braintrust
//! rows, timestamps, durations and ids aside. The crate's own demo endpoint
//! stands in for Azure during the recording.

mod support;
use support::client as client_support;
use support::telemetry::Harness;

use std::path::Path;

use azure_ai_inference_otel::exporters::braintrust::preview_row;
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions,
};
use azure_ai_inference_otel::testing::{MockInferenceServer, RecordOptions, Reply};
use futures::StreamExt as _;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value, json};

/// What differs between two runs of the same calls by nature: when they
/// happened, how long they took, and the loopback port of the server.
const RUN_ATTRIBUTES: &[&str] = &["server.port", "gen_ai.response.time_to_first_chunk"];

fn chat_request(text: &str) -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![
        ChatRequestMessage::system("Be brief."),
        ChatRequestMessage::user(text),
    ])
    .with_model("gpt-4o-mini")
    .with_max_tokens(32)
}

/// The calls, against `server`, with telemetry into `h`.
async fn calls(server: &MockInferenceServer, h: &Harness) {
    let chat = client_support::chat(server, client_support::options(h, true));
    chat.complete(chat_request("Capital of France?"))
        .await
        .unwrap();
    let mut stream = chat
        .complete_streaming(chat_request("Count to three"))
        .await
        .unwrap();
    while let Some(update) = stream.next().await {
        update.unwrap();
    }
    drop(stream);
    let error = chat
        .complete(chat_request("Forbidden words"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    let embeddings = client_support::embeddings(server, client_support::options(h, true));
    embeddings
        .embed(EmbeddingsOptions::new(["one", "two words"]).with_model("text-embedding-3-small"))
        .await
        .unwrap();
}

/// A span without what differs between runs.
fn span_view(span: &SpanData) -> Value {
    let attributes: serde_json::Map<String, Value> = span
        .attributes
        .iter()
        .filter(|kv| !RUN_ATTRIBUTES.contains(&kv.key.as_str()))
        .map(|kv| (kv.key.to_string(), Value::String(format!("{:?}", kv.value))))
        .collect();
    let events: Vec<Value> = span
        .events
        .iter()
        .map(|e| {
            let attributes: serde_json::Map<String, Value> = e
                .attributes
                .iter()
                .map(|kv| (kv.key.to_string(), Value::String(format!("{:?}", kv.value))))
                .collect();
            json!({"name": e.name.to_string(), "attributes": attributes})
        })
        .collect();
    json!({
        "name": span.name.to_string(),
        "kind": format!("{:?}", span.span_kind),
        "status": format!("{:?}", span.status),
        "scope": span.instrumentation_scope.name(),
        "attributes": attributes,
        "events": events,
        "links": span.links.len(),
    })
}

/// A Braintrust row without ids, timestamps and durations.
fn row_view(span: &SpanData) -> Value {
    let mut row = preview_row(span);
    let object = row.as_object_mut().unwrap();
    for key in ["id", "span_id", "root_span_id", "span_parents", "created"] {
        object.remove(key);
    }
    if let Some(metrics) = object.get_mut("metrics").and_then(Value::as_object_mut) {
        for key in ["start", "end", "time_to_first_token"] {
            metrics.remove(key);
        }
    }
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in RUN_ATTRIBUTES {
            metadata.remove(*key);
        }
    }
    row
}

fn script_azure(azure: &MockInferenceServer) {
    azure.enqueue(Reply::chat_completion("Paris.").with_header("x-request-id", "req-chat"));
    azure.enqueue(Reply::chat_stream(["One", ", two", ", three."]));
    azure.enqueue(Reply::error(
        400,
        "content_filter",
        "The prompt was filtered.",
    ));
    azure.enqueue(Reply::embeddings(2, 4));
}

async fn record(path: &Path) -> Vec<SpanData> {
    let azure = MockInferenceServer::start().await.unwrap();
    script_azure(&azure);
    let recorder = MockInferenceServer::record(&azure.endpoint(), path, RecordOptions::new())
        .await
        .unwrap();
    let h = Harness::new();
    calls(&recorder, &h).await;
    assert_eq!(recorder.finish().unwrap(), 4);
    assert_eq!(azure.pending_replies(), 0, "every scripted answer was used");
    h.spans()
}

#[tokio::test]
async fn replayed_calls_make_the_recorded_telemetry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("telemetry.json");
    let recorded = record(&path).await;

    let replay = MockInferenceServer::replay(&path).await.unwrap();
    let h = Harness::new();
    calls(&replay, &h).await;
    assert!(
        replay.replay_mismatches().is_empty(),
        "{:?}",
        replay.replay_mismatches()
    );
    let replayed = h.spans();

    assert_eq!(recorded.len(), 4);
    assert_eq!(replayed.len(), recorded.len());
    for (r, p) in recorded.iter().zip(&replayed) {
        let (r_span, p_span) = (span_view(r), span_view(p));
        assert_eq!(p_span, r_span, "span {}", r.name);
        let (r_row, p_row) = (row_view(r), row_view(p));
        assert_eq!(p_row, r_row, "row of span {}", r.name);
    }
    // The comparison compares something: response ids, models, token
    // counts, the streamed output and the error all came from the cassette.
    let views: Vec<String> = replayed.iter().map(|s| span_view(s).to_string()).collect();
    let all = views.join("\n");
    for expected in [
        "chatcmpl-",
        "gen_ai.usage.input_tokens",
        "Paris.",
        "three.",
        "400",
    ] {
        assert!(all.contains(expected), "{expected} missing from {all}");
    }
}
