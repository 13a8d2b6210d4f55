//! Responses API traffic recorded into a cassette and replayed: the demo
//! endpoint plays Azure, a recording server forwards to it, and a replaying
//! server answers the same calls from the file with the same spans.

mod support;

use azure_ai_inference_otel::models::{ResponseStreamEvent, ResponsesOptions};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, RecordOptions, Reply, ResponseAnswer};
use futures::StreamExt as _;
use support::telemetry::{Harness, attrs, string_array};

fn request() -> ResponsesOptions {
    ResponsesOptions::new("Say hello.").with_model("gpt-5-mini")
}

/// A plain and a streamed call against `server`: the answer text, the
/// streamed text, and the finish reasons of the two spans.
async fn calls(server: &MockInferenceServer) -> (String, String, Vec<Vec<String>>) {
    let h = Harness::new();
    let client = support::responses::client(server, &h, false, SemconvMode::Default);
    let whole = client
        .create(request())
        .await
        .unwrap()
        .output_text()
        .unwrap();
    let mut stream = client.create_streaming(request()).await.unwrap();
    let mut streamed = String::new();
    while let Some(event) = stream.next().await {
        if let ResponseStreamEvent::OutputTextDelta { delta, .. } = event.unwrap() {
            streamed.push_str(&delta);
        }
    }
    drop(stream);
    let reasons = h
        .spans()
        .iter()
        .map(|s| string_array(&attrs(s)["gen_ai.response.finish_reasons"]))
        .collect();
    (whole, streamed, reasons)
}

#[tokio::test]
async fn plain_and_streamed_responses_record_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("responses.json");
    let azure = MockInferenceServer::start().await.unwrap();
    azure.enqueue(Reply::response(ResponseAnswer::text(
        "Hello from the cassette.",
    )));
    azure.enqueue(Reply::response_stream(
        ResponseAnswer::new()
            .with_reasoning("Greeting.")
            .with_text("Hello, streamed."),
    ));
    let recorder = MockInferenceServer::record(&azure.endpoint(), &path, RecordOptions::new())
        .await
        .unwrap();
    let recorded = calls(&recorder).await;
    assert_eq!(recorded.0, "Hello from the cassette.");
    assert_eq!(recorded.1, "Hello, streamed.");
    assert_eq!(recorded.2, [["stop"], ["stop"]]);
    assert_eq!(recorder.finish().unwrap(), 2);
    drop(azure);

    let replay = MockInferenceServer::replay(&path).await.unwrap();
    assert_eq!(calls(&replay).await, recorded);
    assert!(replay.replay_mismatches().is_empty());
}
