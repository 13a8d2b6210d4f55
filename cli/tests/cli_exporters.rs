//! Every `--exporter` choice against loopback receivers: `stdout` (the span
//! tree on stderr, stdout left to the answer), `none`, `otlp` (traces and
//! metrics), `braintrust` (the REST stand-in) and `braintrust-otlp`, several
//! at once, the default from the environment, and delivery when the call
//! fails. The child process exits only after delivering, so the receivers
//! are read as soon as it has.

mod support;
use support::cli;
use support::otlp_collector;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use cli::{against, run};
use otlp_collector::{OtlpCollector, attr, hex};
use serde_json::Value;
use support::braintrust_stand_in::{API_KEY, PROJECT_NAME, StandIn};
use support::loopback::closed_port;
use support::otlp_receiver::OtlpReceiver;

fn server() -> MockInferenceServer {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(Reply::chat_completion("The answer.").with_usage(5, 2));
    server
}

/// Asserts the tree of one `chat --model m-1` call.
fn assert_tree(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("azinfer chat "), "{stderr}");
    assert!(lines[1].starts_with("└─ chat m-1 "), "{stderr}");
    for detail in ["model=m-1", "tokens 5 in / 2 out", "finish=stop"] {
        assert!(lines[1].contains(detail), "{detail}: {stderr}");
    }
}

#[test]
fn stdout_draws_the_span_tree_on_stderr() {
    let server = server();
    let out = run(against(&server).args(["chat", "hi", "--model", "m-1", "--exporter", "stdout"]))
        .success();
    assert_eq!(out.stdout, "The answer.\n", "stdout holds only the answer");
    assert_tree(&out.stderr);
}

#[test]
fn stdout_is_the_default_without_configuration() {
    let server = server();
    let out = run(against(&server).args(["chat", "hi", "--model", "m-1"])).success();
    assert_eq!(out.stdout, "The answer.\n");
    assert_tree(&out.stderr);
}

#[test]
fn none_sends_nothing_anywhere() {
    let server = server();
    let out = run(against(&server).args(["chat", "hi", "--exporter", "none"])).success();
    assert_eq!(out.stdout, "The answer.\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn the_environment_chooses_when_the_flag_is_absent() {
    let server = server();
    let out = run(against(&server)
        .args(["chat", "hi"])
        .env("AZURE_AI_INFERENCE_OTEL_EXPORTERS", "none"))
    .success();
    assert_eq!(out.stderr, "");
}

#[test]
fn otlp_sends_traces_and_metrics_to_the_collector() {
    let server = server();
    let collector = OtlpCollector::start();

    let out = run(against(&server)
        .args(["chat", "hi", "--model", "m-1", "--exporter", "otlp"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()))
    .success();

    assert_eq!(out.stdout, "The answer.\n");
    assert_eq!(out.stderr, "", "delivered without a warning");
    let root = collector.span("azinfer chat");
    let chat = collector.span("chat m-1");
    assert_eq!(chat.span.trace_id, root.span.trace_id);
    assert_eq!(hex(&chat.span.parent_span_id), hex(&root.span.span_id));
    assert_eq!(
        attr(&chat.resource, "service.name").as_deref(),
        Some("azinfer")
    );
    assert_eq!(
        attr(&chat.span.attributes, "gen_ai.response.model").as_deref(),
        Some("m-1")
    );
    let metrics: Vec<String> = collector
        .metrics()
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    for name in [
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
    ] {
        assert!(metrics.iter().any(|m| m == name), "{name} in {metrics:?}");
    }
}

#[test]
fn otel_service_name_beats_the_default_service_name() {
    let server = server();
    let collector = OtlpCollector::start();

    run(against(&server)
        .args(["chat", "hi", "--exporter", "otlp"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
        .env("OTEL_SERVICE_NAME", "my-shell"))
    .success();

    let root = collector.span("azinfer chat");
    assert_eq!(
        attr(&root.resource, "service.name").as_deref(),
        Some("my-shell")
    );
}

#[test]
fn braintrust_sends_rows_to_the_rest_api() {
    let server = server();
    let stand_in = StandIn::start();

    run(against(&server)
        .args(["chat", "hi", "--model", "m-1", "--exporter", "braintrust"])
        .env("BRAINTRUST_API_URL", &stand_in.url)
        .env("BRAINTRUST_API_KEY", API_KEY)
        .env("BRAINTRUST_PARENT", format!("project_name:{PROJECT_NAME}")))
    .success();

    stand_in.assert_clean();
    assert_eq!(stand_in.unauthorized(), 0);
    assert_eq!(stand_in.project_names(), [PROJECT_NAME]);
    let rows = stand_in.rows();
    let row = |name: &str| -> Value {
        rows.iter()
            .find(|r| r["span_attributes"]["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no row {name} in {rows:#?}"))
    };
    let (root, chat) = (row("azinfer chat"), row("chat m-1"));
    assert_eq!(root["span_attributes"]["type"], "task");
    assert_eq!(chat["span_attributes"]["type"], "llm");
    assert_eq!(chat["span_parents"][0], root["span_id"]);
    assert_eq!(chat["metrics"]["tokens"], 7);
}

#[test]
fn braintrust_otlp_sends_spans_with_the_row_attributes() {
    let server = server();
    let receiver = OtlpReceiver::start();

    run(against(&server)
        .args([
            "chat",
            "hi",
            "--model",
            "m-1",
            "--exporter",
            "braintrust-otlp",
        ])
        .env("BRAINTRUST_API_URL", &receiver.url)
        .env("BRAINTRUST_API_KEY", API_KEY)
        .env("BRAINTRUST_PARENT", format!("project_name:{PROJECT_NAME}")))
    .success();

    let requests = receiver.requests();
    assert!(!requests.is_empty(), "spans were sent");
    for request in &requests {
        assert_eq!(request.path, "/otel/v1/traces");
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {API_KEY}").as_str())
        );
        assert_eq!(
            request.parent.as_deref(),
            Some(format!("project_name:{PROJECT_NAME}").as_str())
        );
    }
    let spans = receiver.spans();
    let chat = spans
        .iter()
        .find(|s| s.name == "chat m-1")
        .unwrap_or_else(|| panic!("no chat span in {spans:#?}"));
    let row_attributes =
        attr(&chat.attributes, "braintrust.span_attributes").expect("the row's span_attributes");
    let row_attributes: Value = serde_json::from_str(&row_attributes).expect("JSON");
    assert_eq!(row_attributes["type"], "llm");
}

#[test]
fn several_exporters_at_once() {
    let server = server();
    let collector = OtlpCollector::start();

    let out = run(against(&server)
        .args(["chat", "hi", "--model", "m-1"])
        .args(["--exporter", "stdout", "--exporter", "otlp,none"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()))
    .success();

    assert_tree(&out.stderr);
    collector.span("chat m-1");
}

#[test]
fn a_failed_call_still_delivers_its_spans() {
    let server = MockInferenceServer::start_background().expect("mock server");
    server.enqueue(Reply::error(429, "RateLimitExceeded", "slow down"));
    let collector = OtlpCollector::start();

    let out = run(against(&server)
        .args(["chat", "hi", "--model", "m-1", "--exporter", "otlp,stdout"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()));

    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr
            .starts_with("azinfer: error: the service answered HTTP 429"),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("ERROR 429"),
        "the tree shows the failure: {out:#?}"
    );
    let chat = collector.span("chat m-1");
    assert_eq!(
        attr(&chat.span.attributes, "error.type").as_deref(),
        Some("429")
    );
}

#[test]
fn an_unreachable_collector_is_a_warning_not_a_failure() {
    let server = server();

    let out = run(against(&server)
        .args(["chat", "hi", "--exporter", "otlp"])
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{}", closed_port()),
        ));

    assert_eq!(out.code, Some(0), "the call succeeded: {out:#?}");
    assert_eq!(out.stdout, "The answer.\n");
    // One delivery summary line: what was lost, and why. (Usually "unsent
    // at the shutdown deadline ... connection failed"; should another test
    // bind the freed port meanwhile, its answer is the reason instead.)
    assert!(
        out.stderr
            .starts_with("azinfer: warning: telemetry delivery: otlp: ")
            && out.stderr.contains(" not delivered: ")
            && out.stderr.lines().count() == 1,
        "{out:#?}"
    );
}
