//! Distributed parents: an incoming `traceparent` + `baggage:
//! braintrust.parent=...` routes the rows of that trace to that project or
//! experiment, on the native path (insert URL) and the OTLP path (the
//! `braintrust.parent` attribute), and the baggage travels on when the
//! context is injected into an outgoing request. Only when the
//! configuration admits baggage parents (`with_baggage_parents`): by
//! default, and for parents outside the allow-list, rows go to the
//! configured parent and no project is created from baggage; a full route
//! table falls back to the configured parent.

mod support;

use std::collections::HashMap;

use azure_ai_inference_otel::exporters::braintrust::{
    BaggageParents, BraintrustConfig, BraintrustExporter, BraintrustOtlpExporter,
    BraintrustParentProcessor, Parent,
};
use azure_ai_inference_otel::exporters::delivery::{DeliveryConfig, DeliveryProcessor};
use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
use opentelemetry::baggage::BaggageExt as _;
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator as _};
use opentelemetry::trace::{Span as _, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::SdkTracerProvider;
use support::braintrust_stand_in::{API_KEY, PROJECT_NAME, StandIn, fast_retries, project_id_for};
use support::otlp_receiver::OtlpReceiver;

const EXPERIMENT: &str = "3f1d2c4b-5a69-4788-9abc-def012345678";
const TRACE: &str = "f53d4cd03acedba3ca85a4605ca4bdce";
const REMOTE_SPAN: &str = "baeeec9367deae51";

fn propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
}

/// The context of an incoming request with these headers.
fn incoming(baggage: Option<&str>) -> Context {
    let mut headers = HashMap::new();
    headers.insert(
        "traceparent".to_owned(),
        format!("00-{TRACE}-{REMOTE_SPAN}-01"),
    );
    if let Some(baggage) = baggage {
        headers.insert("baggage".to_owned(), baggage.to_owned());
    }
    propagator().extract(&headers)
}

/// A provider recording baggage parents and delivering through `path`
/// (what the pipeline installs).
fn provider(path: DeliveryProcessor) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_span_processor(BraintrustParentProcessor)
        .with_span_processor(path)
        .build()
}

/// Any parent, projects created: what adding `BraintrustParentProcessor`
/// by hand chooses.
fn native_path(stand_in: &StandIn) -> DeliveryProcessor {
    let config = stand_in
        .config()
        .with_baggage_parents(BaggageParents::any().with_project_creation(true));
    BraintrustExporter::processor(config, DeliveryConfig::new()).expect("builds")
}

/// A handler span under `cx` with a chat span under it.
fn handle(provider: &SdkTracerProvider, cx: &Context, name: &str) {
    let tracer = provider.tracer("my-app");
    let root = tracer.start_with_context(name.to_owned(), cx);
    let root_cx = cx.with_span(root);
    let mut chat = tracer.start_with_context(format!("chat {name}"), &root_cx);
    chat.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
    chat.end();
    root_cx.span().end();
}

#[test]
fn native_rows_of_a_trace_go_to_its_baggage_parent() {
    let stand_in = StandIn::start();
    let provider = provider(native_path(&stand_in));
    handle(
        &provider,
        &incoming(Some(&format!(
            "other=1,braintrust.parent=experiment_id:{EXPERIMENT}"
        ))),
        "experiment",
    );
    handle(
        &provider,
        &incoming(Some("braintrust.parent=project_name:Caf%C3%A9%20a%2Cb")),
        "named",
    );
    handle(&provider, &incoming(None), "plain");
    handle(
        &provider,
        &incoming(Some("braintrust.parent=nonsense")),
        "invalid",
    );
    provider.force_flush().expect("flush");

    // Rows are recorded in insert order: each accepted insert's rows in turn.
    let rows = stand_in.rows();
    let mut by_row: HashMap<String, (String, String)> = HashMap::new();
    let mut next = 0;
    for insert in stand_in.inserts().iter().filter(|i| i.status == 200) {
        for row in &rows[next..next + insert.rows] {
            by_row.insert(
                row["span_attributes"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                (insert.object_type.clone(), insert.object_id.clone()),
            );
        }
        next += insert.rows;
    }
    let configured = ("project_logs".to_owned(), project_id_for(PROJECT_NAME));
    for (name, target) in [
        (
            "experiment",
            ("experiment".to_owned(), EXPERIMENT.to_owned()),
        ),
        (
            "named",
            ("project_logs".to_owned(), project_id_for("Café a,b")),
        ),
        ("plain", configured.clone()),
        ("invalid", configured.clone()),
    ] {
        for row in [name.to_owned(), format!("chat {name}")] {
            assert_eq!(by_row.get(&row), Some(&target), "{row}: {by_row:#?}");
        }
    }
    let mut names = stand_in.project_names();
    names.sort();
    assert_eq!(names, ["Café a,b", PROJECT_NAME]);

    for row in stand_in.rows() {
        assert_eq!(row["root_span_id"], TRACE, "the incoming trace is kept");
        assert!(row["metadata"].get("braintrust.parent").is_none(), "{row}");
        if row["span_attributes"]["type"] == "task" {
            assert_eq!(row["span_parents"], serde_json::json!([REMOTE_SPAN]));
        }
    }
    stand_in.assert_clean();
}

#[test]
fn otlp_spans_carry_their_baggage_parent() {
    let receiver = OtlpReceiver::start();
    let config = azure_ai_inference_otel::exporters::braintrust::BraintrustConfig::new()
        .with_api_key(API_KEY)
        .with_api_url(&receiver.url)
        .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned()))
        .with_retry_policy(fast_retries());
    let provider =
        provider(BraintrustOtlpExporter::processor(config, DeliveryConfig::new()).expect("builds"));
    handle(
        &provider,
        &incoming(Some(&format!(
            "braintrust.parent=experiment_id:{EXPERIMENT}"
        ))),
        "experiment",
    );
    handle(&provider, &incoming(None), "plain");
    provider.force_flush().expect("flush");

    let parents: HashMap<String, String> = receiver
        .spans()
        .into_iter()
        .filter_map(|span| {
            let parent = span.attributes.iter().find_map(|kv| {
                match kv.value.as_ref()?.value.as_ref()? {
                    any_value::Value::StringValue(s) if kv.key == "braintrust.parent" => {
                        Some(s.clone())
                    }
                    _ => None,
                }
            })?;
            Some((span.name, parent))
        })
        .collect();
    let experiment = format!("experiment_id:{EXPERIMENT}");
    let configured = format!("project_name:{PROJECT_NAME}");
    assert_eq!(parents["experiment"], experiment);
    assert_eq!(parents["chat experiment"], experiment);
    assert_eq!(parents["plain"], configured);
    assert_eq!(parents["chat plain"], configured);
}

#[test]
fn the_baggage_travels_on_when_injected() {
    let cx = incoming(Some(
        "braintrust.parent=project_name:Caf%C3%A9%20a%2Cb,path=a%2Fb",
    ));
    let mut headers: HashMap<String, String> = HashMap::new();
    propagator().inject_context(&cx, &mut headers);
    let baggage = &headers["baggage"];
    assert!(baggage.is_ascii() && !baggage.contains(' '), "{baggage}");
    assert!(headers["traceparent"].contains(TRACE));
    // And back: the parent survives the round trip byte for byte.
    let again = propagator().extract(&headers);
    let entry = again.baggage().get("braintrust.parent").expect("the entry");
    assert_eq!(
        entry.as_str().parse::<Parent>().ok(),
        Some(Parent::ProjectName("Café a,b".to_owned()))
    );
}

/// Through the real client: a call made under an incoming context carries
/// the baggage on to the model endpoint, and its span's row goes to the
/// baggage parent.
#[tokio::test]
async fn a_client_call_passes_the_baggage_on_and_its_row_follows_it() {
    use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions, Credential};
    use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
    use azure_ai_inference_otel::telemetry::TelemetryOptions;
    use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
    use opentelemetry::context::FutureExt as _;

    opentelemetry::global::set_text_map_propagator(propagator());
    let stand_in = StandIn::start();
    let provider = provider(native_path(&stand_in));
    let server = MockInferenceServer::start().await.expect("server");
    server.enqueue(Reply::chat_completion("Paris."));
    let client = ChatCompletionsClient::new(
        server.endpoint(),
        Credential::api_key("test-key-0123456789").expect("key"),
        Some(
            ClientOptions::new()
                .with_telemetry(TelemetryOptions::new().with_tracer_provider(&provider)),
        ),
    )
    .expect("client");
    let cx = incoming(Some(&format!(
        "braintrust.parent=experiment_id:{EXPERIMENT},user=7"
    )));
    client
        .complete(
            ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Capital of France?")])
                .with_model("gpt-4o-mini"),
        )
        .with_context(cx)
        .await
        .expect("answer");
    let provider_for_flush = provider.clone();
    tokio::task::spawn_blocking(move || provider_for_flush.force_flush())
        .await
        .expect("joined")
        .expect("flush");

    let requests = server.requests();
    let baggage = requests[0].header("baggage").expect("baggage header");
    let mut members: Vec<&str> = baggage.split(',').map(str::trim).collect();
    members.sort();
    assert_eq!(
        members,
        [
            format!("braintrust.parent=experiment_id:{EXPERIMENT}").as_str(),
            "user=7"
        ]
    );
    assert!(
        requests[0]
            .header("traceparent")
            .is_some_and(|t| t.contains(TRACE))
    );
    let inserts = stand_in.inserts();
    assert_eq!(inserts.len(), 1);
    assert_eq!(
        (
            inserts[0].object_type.as_str(),
            inserts[0].object_id.as_str()
        ),
        ("experiment", EXPERIMENT)
    );
    stand_in.assert_clean();
}

/// Row targets by span name, from the stand-in's accepted inserts.
fn targets(stand_in: &StandIn) -> HashMap<String, (String, String)> {
    let rows = stand_in.rows();
    let mut by_row = HashMap::new();
    let mut next = 0;
    for insert in stand_in.inserts().iter().filter(|i| i.status == 200) {
        for row in &rows[next..next + insert.rows] {
            by_row.insert(
                row["span_attributes"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                (insert.object_type.clone(), insert.object_id.clone()),
            );
        }
        next += insert.rows;
    }
    by_row
}

/// The pipeline with `config`, spans under an incoming context each.
fn through_pipeline(config: BraintrustConfig, contexts: &[(&str, Option<String>)]) {
    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::Braintrust)
        .with_braintrust_config(config)
        .install()
        .expect("installs");
    let provider = guard.tracer_provider();
    for (name, baggage) in contexts {
        handle(provider, &incoming(baggage.as_deref()), name);
    }
    guard.shutdown().expect("everything delivered");
}

#[test]
fn by_default_baggage_steers_nothing_and_creates_no_project() {
    let stand_in = StandIn::start();
    through_pipeline(
        stand_in.config(),
        &[
            (
                "named",
                Some("braintrust.parent=project_name:attacker".to_owned()),
            ),
            (
                "experiment",
                Some(format!("braintrust.parent=experiment_id:{EXPERIMENT}")),
            ),
        ],
    );
    let configured = ("project_logs".to_owned(), project_id_for(PROJECT_NAME));
    for (name, target) in targets(&stand_in) {
        assert_eq!(target, configured, "{name}");
    }
    assert_eq!(stand_in.project_names(), [PROJECT_NAME]);
}

#[test]
fn only_admitted_parents_steer_rows_and_names_need_creation_allowed() {
    let stand_in = StandIn::start();
    let policy = BaggageParents::allow([
        format!("experiment_id:{EXPERIMENT}"),
        "project_name:team-".to_owned(),
    ]);
    through_pipeline(
        stand_in.config().with_baggage_parents(policy),
        &[
            (
                "allowed",
                Some(format!("braintrust.parent=experiment_id:{EXPERIMENT}")),
            ),
            (
                "other",
                Some(
                    "braintrust.parent=experiment_id:00000000-0000-4000-8000-000000000000"
                        .to_owned(),
                ),
            ),
            (
                "team",
                Some("braintrust.parent=project_name:team-a".to_owned()),
            ),
        ],
    );
    let by_row = targets(&stand_in);
    let configured = ("project_logs".to_owned(), project_id_for(PROJECT_NAME));
    assert_eq!(
        by_row["chat allowed"],
        ("experiment".to_owned(), EXPERIMENT.to_owned())
    );
    assert_eq!(by_row["chat other"], configured);
    assert_eq!(
        by_row["chat team"], configured,
        "no creation: the configured parent"
    );
    assert_eq!(stand_in.project_names(), [PROJECT_NAME]);
}

#[test]
fn a_full_route_table_falls_back_to_the_configured_parent() {
    let stand_in = StandIn::start();
    let contexts: Vec<(String, Option<String>)> = (0..70)
        .map(|i| {
            (
                format!("e{i}"),
                Some(format!(
                    "braintrust.parent=experiment_id:00000000-0000-4000-8000-{i:012}"
                )),
            )
        })
        .collect();
    let borrowed: Vec<(&str, Option<String>)> = contexts
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    through_pipeline(
        stand_in
            .config()
            .with_baggage_parents(BaggageParents::any()),
        &borrowed,
    );
    let by_row = targets(&stand_in);
    assert_eq!(by_row.len(), 140, "every row delivered");
    let configured = by_row
        .values()
        .filter(|(kind, _)| kind == "project_logs")
        .count();
    assert_eq!(
        configured,
        2 * (70 - 64),
        "the parents past 64 go to the configured one"
    );
}
