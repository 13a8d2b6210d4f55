//! Cassettes end to end on loopback: a `MockInferenceServer` with scripted
//! replies plays the real endpoint ("Azure"), a recording server forwards to
//! it and writes the cassette, a replaying server answers from the file.

mod support;
use support::client as client_support;
use support::telemetry::Harness;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions,
};
use azure_ai_inference_otel::testing::{
    CassetteError, MockInferenceServer, RecordOptions, ReplayOptions, Reply,
};
use futures::StreamExt as _;
use serde_json::{Value, json};

fn cassette_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("cassette.json")
}

fn request(text: &str) -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user(text)]).with_model("gpt-4o-mini")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// What a raw call saw: status, the headers the service set, the body bytes.
#[derive(Debug, PartialEq)]
struct Seen {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn raw_post(base: &str, route: &str, body: &Value) -> Seen {
    let response = http()
        .post(format!("{base}{route}"))
        .header("api-key", client_support::KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "date" | "content-length" | "transfer-encoding"))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    let body = response.bytes().await.unwrap().to_vec();
    Seen {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn a_whole_answer_replays_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = cassette_in(&dir);
    let azure = MockInferenceServer::start().await.unwrap();
    azure.enqueue(
        Reply::chat_completion("Paris.")
            .with_usage(12, 1)
            .with_header("x-request-id", "req-1"),
    );
    let recorder = MockInferenceServer::record(&azure.endpoint(), &path, RecordOptions::new())
        .await
        .unwrap();
    let body = json!({"messages": [{"role": "user", "content": "Capital of France?"}], "model": "gpt-4o-mini"});
    let route = "/chat/completions?api-version=2024-05-01-preview";
    let recorded = raw_post(&recorder.endpoint(), route, &body).await;
    assert_eq!(recorded.status, 200);
    // Forwarded with its route and key.
    let at_azure = azure.requests();
    assert_eq!(at_azure.len(), 1);
    assert_eq!(at_azure[0].path, "/chat/completions");
    assert_eq!(at_azure[0].query, "api-version=2024-05-01-preview");
    assert_eq!(at_azure[0].header("api-key"), Some(client_support::KEY));
    assert_eq!(recorder.finish().unwrap(), 1);

    let file = read_json(&path);
    let interaction = &file["interactions"][0];
    assert_eq!(interaction["request"]["method"], "POST");
    assert_eq!(interaction["request"]["path"], "/chat/completions");
    assert_eq!(interaction["response"]["status"], 200);
    assert_eq!(
        interaction["response"]["body"]["text"]
            .as_str()
            .unwrap()
            .as_bytes(),
        recorded.body.as_slice()
    );

    drop(azure);
    let replay = MockInferenceServer::replay(&path).await.unwrap();
    let replayed = raw_post(&replay.endpoint(), route, &body).await;
    assert_eq!(replayed, recorded);
    assert!(replay.replay_mismatches().is_empty());
}

#[tokio::test]
async fn a_stream_replays_its_events_with_their_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = cassette_in(&dir);
    let azure = MockInferenceServer::start().await.unwrap();
    azure.enqueue(
        Reply::chat_stream(["Hel", "lo", " there"]).with_event_delay(Duration::from_millis(40)),
    );
    let recorder = MockInferenceServer::record(&azure.endpoint(), &path, RecordOptions::new())
        .await
        .unwrap();
    let h = Harness::new();
    let client = client_support::chat(&recorder, client_support::options(&h, false));
    let mut stream = client.complete_streaming(request("Hi")).await.unwrap();
    let mut recorded_text = String::new();
    let mut recorded_ids = Vec::new();
    while let Some(update) = stream.next().await {
        let update = update.unwrap();
        recorded_ids.push(update.id.clone());
        recorded_text.push_str(update.content().unwrap_or(""));
    }
    assert_eq!(recorded_text, "Hello there");
    drop(stream);
    assert_eq!(recorder.finish().unwrap(), 1);

    let file = read_json(&path);
    let response = &file["interactions"][0]["response"];
    let events = response["events"].as_array().unwrap();
    // Three pieces, the finish chunk, the usage chunk and [DONE].
    assert_eq!(events.len(), 6, "{response:#}");
    assert_eq!(events[5]["data"], "[DONE]");
    let gaps: Vec<u64> = events
        .iter()
        .map(|e| e["gap_ms"].as_u64().unwrap())
        .collect();
    // Azure waited 40 ms before each of the six events; on a busy machine
    // two may arrive in one read, but the whole stream cannot come sooner.
    assert!(
        gaps.iter().sum::<u64>() >= 200,
        "the gaps add up to the stream's length: {gaps:?}"
    );
    assert!(
        response["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "content-type: text/event-stream")
    );

    // Paced replay: the first chunk waits at least the recorded gap.
    drop(azure);
    let replay = MockInferenceServer::replay_with(&path, ReplayOptions::new().realtime(true))
        .await
        .unwrap();
    let client = client_support::chat(&replay, client_support::options(&h, false));
    let started = Instant::now();
    let mut stream = client.complete_streaming(request("Hi")).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(gaps[0]));
    let mut replayed_text = first.content().unwrap_or("").to_owned();
    let mut replayed_ids = vec![first.id.clone()];
    while let Some(update) = stream.next().await {
        let update = update.unwrap();
        replayed_ids.push(update.id.clone());
        replayed_text.push_str(update.content().unwrap_or(""));
    }
    assert_eq!(replayed_text, recorded_text);
    assert_eq!(replayed_ids, recorded_ids);
}

#[tokio::test]
async fn errors_replay_with_their_status_headers_and_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let path = cassette_in(&dir);
    let azure = MockInferenceServer::start().await.unwrap();
    azure.enqueue(
        Reply::error(429, "RateLimitExceeded", "slow down").with_header("retry-after", "7"),
    );
    // An in-band error: status 200, the body the service's error shape.
    azure.enqueue(Reply::json(
        200,
        json!({"error": {"code": "content_filter", "message": "filtered", "status": 400}}),
    ));
    let recorder = MockInferenceServer::record(&azure.endpoint(), &path, RecordOptions::new())
        .await
        .unwrap();
    let throttled_body = json!({"messages": [{"role": "user", "content": "one"}]});
    let in_band_body = json!({"messages": [{"role": "user", "content": "two"}]});
    let route = "/chat/completions?api-version=2024-05-01-preview";
    let throttled = raw_post(&recorder.endpoint(), route, &throttled_body).await;
    assert_eq!(throttled.status, 429);
    assert!(
        throttled
            .headers
            .contains(&("retry-after".into(), "7".into()))
    );
    let in_band = raw_post(&recorder.endpoint(), route, &in_band_body).await;
    assert_eq!(in_band.status, 200);
    assert_eq!(recorder.finish().unwrap(), 2);
    drop(azure);

    let replay = MockInferenceServer::replay(&path).await.unwrap();
    // Out of order: matching is by request, not position.
    assert_eq!(
        raw_post(&replay.endpoint(), route, &in_band_body).await,
        in_band
    );
    assert_eq!(
        raw_post(&replay.endpoint(), route, &throttled_body).await,
        throttled
    );

    // The client reads the replayed errors as it read the real ones.
    let h = Harness::new();
    let client = client_support::chat(&replay, client_support::options(&h, false));
    let error = client
        .complete(request("one").with_model("x"))
        .await
        .unwrap_err();
    // A different body: no match, a clear error naming the closest request.
    match &error {
        Error::Http {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(*status, 404);
            assert_eq!(code.as_deref(), Some("NoRecordedAnswer"));
            assert!(
                message.contains("closest recorded request is #1"),
                "{}",
                message
            );
            assert!(message.contains("/model"), "{}", message);
        }
        other => panic!("expected the no-match answer, got {other:?}"),
    }
    let mismatches = replay.replay_mismatches();
    assert_eq!(mismatches.len(), 1);
    assert!(
        mismatches[0].ends_with(r#": body differs at /model: recorded nothing, got "x""#),
        "{}",
        mismatches[0]
    );
    let throttled_again = ChatCompletionsOptions::new(vec![ChatRequestMessage::user("one")]);
    match client.complete(throttled_again).await.unwrap_err() {
        Error::Http {
            status,
            retry_after,
            ..
        } => {
            assert_eq!(status, 429);
            assert_eq!(retry_after, Some(Duration::from_secs(7)));
        }
        other => panic!("expected the recorded 429, got {other:?}"),
    }
}

#[tokio::test]
async fn embeddings_replay() {
    let dir = tempfile::tempdir().unwrap();
    let path = cassette_in(&dir);
    let azure = MockInferenceServer::start().await.unwrap();
    let recorder = MockInferenceServer::record(&azure.endpoint(), &path, RecordOptions::new())
        .await
        .unwrap();
    let h = Harness::new();
    let client = client_support::embeddings(&recorder, client_support::options(&h, false));
    let recorded = client
        .embed(EmbeddingsOptions::new(["first text", "second"]).with_dimensions(4))
        .await
        .unwrap();
    assert_eq!(recorded.data.len(), 2);
    recorder.finish().unwrap();
    drop(azure);

    let replay = MockInferenceServer::replay(&path).await.unwrap();
    let client = client_support::embeddings(&replay, client_support::options(&h, false));
    let replayed = client
        .embed(EmbeddingsOptions::new(["first text", "second"]).with_dimensions(4))
        .await
        .unwrap();
    assert_eq!(format!("{replayed:?}"), format!("{recorded:?}"));
}

#[tokio::test]
async fn ignored_fields_and_parameters_are_left_out_of_matching() {
    let dir = tempfile::tempdir().unwrap();
    let path = cassette_in(&dir);
    let azure = MockInferenceServer::start().await.unwrap();
    let recorder = MockInferenceServer::record(&azure.endpoint(), &path, RecordOptions::new())
        .await
        .unwrap();
    let route = "/chat/completions?api-version=2024-05-01-preview&trace=1";
    let body = json!({"messages": [{"role": "user", "content": "hi"}], "seed": 1, "user": "a"});
    let recorded = raw_post(&recorder.endpoint(), route, &body).await;
    recorder.finish().unwrap();

    let options = ReplayOptions::new()
        .ignore_body_field("seed")
        .ignore_body_field("user")
        .ignore_query_param("trace");
    let replay = MockInferenceServer::replay_with(&path, options)
        .await
        .unwrap();
    let other = json!({"user": "b", "messages": [{"content": "hi", "role": "user"}], "seed": 99});
    let replayed = raw_post(
        &replay.endpoint(),
        "/chat/completions?trace=2&api-version=2024-05-01-preview",
        &other,
    )
    .await;
    assert_eq!(replayed, recorded);
    // Without the options the same request does not match.
    let strict = MockInferenceServer::replay(&path).await.unwrap();
    let missed = raw_post(&strict.endpoint(), route, &other).await;
    assert_eq!(missed.status, 404);
    assert_eq!(strict.replay_mismatches().len(), 1);
}

#[tokio::test]
async fn a_cassette_edited_by_hand_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = cassette_in(&dir);
    let azure = MockInferenceServer::start().await.unwrap();
    let recorder = MockInferenceServer::record(&azure.endpoint(), &path, RecordOptions::new())
        .await
        .unwrap();
    let h = Harness::new();
    let client = client_support::chat(&recorder, client_support::options(&h, false));
    client.complete(request("Hello")).await.unwrap();
    recorder.finish().unwrap();
    let original = read_json(&path);

    // A request body edited to something else: loads, then no request matches.
    let mut edited = original.clone();
    let body = edited["interactions"][0]["request"]["body"]["text"]
        .as_str()
        .unwrap()
        .replace("Hello", "Goodbye");
    edited["interactions"][0]["request"]["body"]["text"] = Value::String(body);
    std::fs::write(&path, serde_json::to_vec_pretty(&edited).unwrap()).unwrap();
    let replay = MockInferenceServer::replay(&path).await.unwrap();
    let client = client_support::chat(&replay, client_support::options(&h, false));
    let error = client.complete(request("Hello")).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains(r#"/messages/0/content: recorded "Goodbye", got "Hello""#),
        "{error}"
    );

    // A request body that is no longer JSON: an error at load naming it.
    let mut broken = original.clone();
    broken["interactions"][0]["request"]["body"]["text"] = Value::String("{\"messages\": [".into());
    std::fs::write(&path, serde_json::to_vec_pretty(&broken).unwrap()).unwrap();
    let error = MockInferenceServer::replay(&path).await.unwrap_err();
    assert!(
        matches!(error, CassetteError::Invalid { index: 1, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("request.body is not valid JSON"),
        "{error}"
    );

    // A body that is not valid base64.
    let mut bad_base64 = original.clone();
    bad_base64["interactions"][0]["response"]["body"] = json!({"base64": "%%%"});
    std::fs::write(&path, serde_json::to_vec_pretty(&bad_base64).unwrap()).unwrap();
    let error = MockInferenceServer::replay(&path).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("response.body is not valid base64"),
        "{error}"
    );

    // Broken JSON: the line and column.
    let text = serde_json::to_string_pretty(&original).unwrap();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let error = MockInferenceServer::replay(&path).await.unwrap_err();
    assert!(matches!(error, CassetteError::Parse { .. }), "{error}");
    assert!(error.to_string().contains("line"), "{error}");

    // A misspelled field.
    let mut misspelled = original.clone();
    misspelled["interactions"][0]["response"]["stauts"] = json!(200);
    std::fs::write(&path, serde_json::to_vec_pretty(&misspelled).unwrap()).unwrap();
    let error = MockInferenceServer::replay(&path).await.unwrap_err();
    assert!(error.to_string().contains("stauts"), "{error}");

    // A missing file.
    let error = MockInferenceServer::replay(dir.path().join("none.json"))
        .await
        .unwrap_err();
    assert!(matches!(error, CassetteError::Io { .. }), "{error}");
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_and_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = cassette_in(&dir);
    let closed = support::loopback::closed_port();
    let recorder = MockInferenceServer::record(
        &format!("http://127.0.0.1:{closed}"),
        &path,
        RecordOptions::new(),
    )
    .await
    .unwrap();
    let seen = raw_post(
        &recorder.endpoint(),
        "/chat/completions",
        &json!({"messages": []}),
    )
    .await;
    assert_eq!(seen.status, 502);
    let body: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(body["error"]["code"], "RecorderUpstreamError");
    assert_eq!(recorder.finish().unwrap(), 0);
    assert_eq!(read_json(&path)["interactions"], json!([]));
}

#[test]
fn background_servers_record_and_replay_from_synchronous_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = cassette_in(&dir);
    let azure = MockInferenceServer::start_background().unwrap();
    let recorder =
        MockInferenceServer::record_background(&azure.endpoint(), &path, RecordOptions::new())
            .unwrap();
    let url = format!(
        "{}/info?api-version=2024-05-01-preview",
        recorder.endpoint()
    );
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let recorded = client.get(&url).send().unwrap().text().unwrap();
    // Dropping a recording server writes its cassette too.
    drop(recorder);
    let replay = MockInferenceServer::replay_background(&path, ReplayOptions::new()).unwrap();
    let url = format!("{}/info?api-version=2024-05-01-preview", replay.endpoint());
    assert_eq!(client.get(&url).send().unwrap().text().unwrap(), recorded);
}

#[tokio::test]
async fn a_stream_cut_short_is_recorded_and_replayed_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = cassette_in(&dir);
    let azure = MockInferenceServer::start().await.unwrap();
    azure.enqueue(Reply::chat_stream(["Hel", "lo", " there"]).with_disconnect_after(2));
    let recorder = MockInferenceServer::record(&azure.endpoint(), &path, RecordOptions::new())
        .await
        .unwrap();
    let h = Harness::new();
    let run = |server: &MockInferenceServer| {
        let client = client_support::chat(server, client_support::options(&h, false));
        async move {
            let mut stream = client.complete_streaming(request("Hi")).await.unwrap();
            let mut seen = Vec::new();
            while let Some(update) = stream.next().await {
                match update {
                    Ok(update) => seen.push(update.content().unwrap_or("").to_owned()),
                    Err(e) => {
                        seen.push(format!("error: {}", e.error_type()));
                        break;
                    }
                }
            }
            seen
        }
    };
    let recorded = run(&recorder).await;
    assert_eq!(recorded.len(), 3, "two updates, then the cut: {recorded:?}");
    assert!(recorded[2].starts_with("error: "), "{recorded:?}");
    recorder.finish().unwrap();
    let response = &read_json(&path)["interactions"][0]["response"];
    assert_eq!(response["cut"], true, "{response:#}");
    assert_eq!(response["events"].as_array().unwrap().len(), 2);

    drop(azure);
    let replay = MockInferenceServer::replay(&path).await.unwrap();
    assert_eq!(run(&replay).await, recorded);
}
