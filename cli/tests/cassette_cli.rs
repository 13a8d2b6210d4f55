//! `azinfer --record FILE` and `azinfer --replay FILE` around a command: a
//! loopback server plays the real endpoint while recording.

mod support;
use support::cli;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{KEY, against, azinfer, run};

#[test]
fn records_a_stream_then_replays_it_without_an_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let cassette = dir.path().join("chat.json");
    let cassette_arg = cassette.to_str().unwrap();
    let azure = MockInferenceServer::start_background().unwrap();
    azure.enqueue(Reply::chat_stream(["Bonjour", " !"]));

    let recorded = run(against(&azure).args([
        "--record",
        cassette_arg,
        "chat",
        "--stream",
        "Say hello",
        "--exporter",
        "none",
    ]))
    .success();
    recorded.never_shows(KEY);
    assert_eq!(recorded.stdout, "Bonjour !\n");
    assert!(recorded.stderr.contains("recording to"), "{recorded:#?}");
    assert!(
        recorded.stderr.contains("recorded 1 interaction(s)"),
        "{recorded:#?}"
    );
    // The real endpoint got the real key; the cassette never holds it.
    assert_eq!(azure.requests()[0].header("api-key"), Some(KEY));
    let file = std::fs::read_to_string(&cassette).unwrap();
    assert!(!file.contains(KEY), "{file}");
    assert!(file.contains("api-key: [scrubbed]"), "{file}");
    drop(azure);

    let replayed = run(azinfer().args([
        "--replay",
        cassette_arg,
        "chat",
        "--stream",
        "Say hello",
        "--exporter",
        "none",
    ]))
    .success();
    assert_eq!(replayed.stdout, recorded.stdout);
    assert!(replayed.stderr.contains("replaying"), "{replayed:#?}");

    // Another prompt: no recorded answer, and the error says which one is closest.
    let missed = run(azinfer().args([
        "--replay",
        cassette_arg,
        "chat",
        "--stream",
        "Say goodbye",
        "--exporter",
        "none",
    ]));
    assert_eq!(missed.code, Some(1), "{missed:#?}");
    assert!(
        missed
            .stderr
            .contains(r#"/messages/0/content: recorded "Say hello", got "Say goodbye""#),
        "{missed:#?}"
    );
    assert!(
        missed
            .stderr
            .contains("1 request(s) had no recorded answer"),
        "{missed:#?}"
    );
}

#[test]
fn record_needs_an_endpoint_and_replay_a_readable_cassette() {
    let dir = tempfile::tempdir().unwrap();
    let cassette = dir.path().join("c.json");
    let cassette_arg = cassette.to_str().unwrap();
    run(azinfer().args(["--record", cassette_arg, "info", "--exporter", "none"]))
        .fails_with(2, &["--record needs the endpoint"]);

    std::fs::write(&cassette, "{\"version\": 1, \"interactions\": [}").unwrap();
    run(azinfer().args(["--replay", cassette_arg, "info", "--exporter", "none"]))
        .fails_with(2, &["c.json is not valid", "line 1"]);
}
