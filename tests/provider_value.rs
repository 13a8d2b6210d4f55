//! The provider value (TELEMETRY.md §10): `az.ai.inference` (newer names
//! `azure.ai.inference`) unless `TelemetryOptions::with_provider` names
//! another, translated between the vocabularies along the known pairs
//! (`az.ai.*` ↔ `azure.ai.*`) and written as given otherwise; on every span,
//! event and metric point of the crate's clients (chat, streamed chat,
//! embeddings, Responses), and in the Braintrust row only as its `provider`.

mod support;
use support::client::{self as client_support, KEY};
use support::genai_spans::vocabulary;
use support::telemetry::{Harness, attrs, kv_map};

use std::time::Duration;

use azure_ai_inference_otel::client::{ClientOptions, Credential, ResponsesClient, RetryPolicy};
use azure_ai_inference_otel::exporters::braintrust::preview_row;
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions, ResponsesOptions,
};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply, ResponseAnswer};
use futures::StreamExt;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value, json};

const MODES: [SemconvMode; 2] = [SemconvMode::Default, SemconvMode::LatestExperimental];

/// The option as given, and the value each vocabulary writes.
struct Case {
    given: Option<&'static str>,
    default: &'static str,
    latest: &'static str,
    braintrust: &'static str,
}

const CASES: [Case; 4] = [
    Case {
        given: None,
        default: "az.ai.inference",
        latest: "azure.ai.inference",
        braintrust: "azure",
    },
    Case {
        given: Some("azure.ai.openai"),
        default: "az.ai.openai",
        latest: "azure.ai.openai",
        braintrust: "azure",
    },
    Case {
        given: Some("az.ai.inference"),
        default: "az.ai.inference",
        latest: "azure.ai.inference",
        braintrust: "azure",
    },
    Case {
        given: Some("openai"),
        default: "openai",
        latest: "openai",
        braintrust: "openai",
    },
];

/// Chat, streamed chat, embeddings and a Responses call through the
/// crate's clients, content recording on, into one harness.
async fn calls(server: &MockInferenceServer, mode: SemconvMode, given: Option<&str>) -> Harness {
    let harness = Harness::new();
    let mut telemetry = harness.options(true).with_semconv_mode(mode);
    if let Some(given) = given {
        telemetry = telemetry.with_provider(given.to_owned());
    }
    let options = ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_retry(RetryPolicy::none())
        .with_telemetry(telemetry);
    let chat = client_support::chat(server, options.clone());
    let ask = || ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Hi")]).with_model("m");

    server.enqueue(Reply::chat_completion("Hello."));
    chat.complete(ask()).await.expect("chat");
    server.enqueue(Reply::chat_stream(["Hel", "lo."]));
    let stream = chat.complete_streaming(ask()).await.expect("stream");
    let _: Vec<_> = stream.collect().await;
    server.enqueue(Reply::embeddings(1, 4));
    client_support::embeddings(server, options.clone())
        .embed(EmbeddingsOptions::new(["text"]).with_model("e"))
        .await
        .expect("embeddings");
    server.enqueue(Reply::response(ResponseAnswer::text("Hello.")));
    ResponsesClient::new(
        server.endpoint(),
        Credential::api_key(KEY).unwrap(),
        Some(options),
    )
    .unwrap()
    .create(ResponsesOptions::new("Hi").with_model("m"))
    .await
    .expect("responses");
    harness
}

fn provider_of(span: &SpanData, mode: SemconvMode) -> String {
    let a = attrs(span);
    let other = match mode {
        SemconvMode::Default => "gen_ai.provider.name",
        SemconvMode::LatestExperimental => "gen_ai.system",
    };
    assert!(!a.contains_key(other), "{}: {other}", span.name);
    a[vocabulary(mode).system_key].as_str().into_owned()
}

/// The metric points' provider values, every point of every instrument.
fn metric_providers(harness: &Harness, mode: SemconvMode) -> Vec<String> {
    let key = vocabulary(mode).system_key;
    let mut out = Vec::new();
    for name in [
        "gen_ai.client.operation.duration",
        "gen_ai.client.operation.time_to_first_chunk",
        "gen_ai.client.operation.time_per_output_chunk",
    ] {
        for point in harness.f64_points(name) {
            out.push(kv_map(point.attributes())[key].as_str().into_owned());
        }
    }
    for point in harness.u64_points("gen_ai.client.token.usage") {
        out.push(kv_map(point.attributes())[key].as_str().into_owned());
    }
    out
}

/// A row without ids, times, response ids and its provider.
fn row_without_provider(span: &SpanData) -> (Value, Value) {
    let mut row = preview_row(span);
    let provider = row["metadata"]
        .as_object_mut()
        .and_then(|m| m.remove("provider"))
        .unwrap_or(Value::Null);
    for key in ["id", "span_id", "root_span_id", "created", "span_parents"] {
        row.as_object_mut().expect("row").remove(key);
    }
    for key in ["start", "end", "time_to_first_token"] {
        row["metrics"].as_object_mut().expect("metrics").remove(key);
    }
    fn without_ids(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("id");
                map.values_mut().for_each(without_ids);
            }
            Value::Array(items) => items.iter_mut().for_each(without_ids),
            _ => {}
        }
    }
    without_ids(&mut row["output"]);
    (row, provider)
}

#[tokio::test]
async fn every_span_event_and_point_carries_the_chosen_provider_in_both_vocabularies() {
    let server = MockInferenceServer::start().await.unwrap();
    for mode in MODES {
        let mut baseline_rows: Option<Vec<Value>> = None;
        for case in &CASES {
            let harness = calls(&server, mode, case.given).await;
            let want = match mode {
                SemconvMode::Default => case.default,
                SemconvMode::LatestExperimental => case.latest,
            };
            let what = format!("{mode:?}, {:?}", case.given);
            let spans = harness.spans();
            assert_eq!(spans.len(), 4, "{what}");
            for span in &spans {
                assert_eq!(provider_of(span, mode), want, "{what}: {}", span.name);
                // Today's names: the message and choice events carry it too.
                for event in span.events.iter() {
                    let key = vocabulary(mode).system_key;
                    assert_eq!(
                        kv_map(&event.attributes)[key].as_str(),
                        want,
                        "{what}: {}",
                        event.name
                    );
                }
            }
            if mode == SemconvMode::Default {
                assert!(
                    spans.iter().any(|s| !s.events.is_empty()),
                    "{what}: events were checked"
                );
            }
            let points = metric_providers(&harness, mode);
            assert!(points.len() >= 6, "{what}: {points:?}");
            assert!(points.iter().all(|p| p == want), "{what}: {points:?}");

            // The rows: the provider as Braintrust prices it, the rest as
            // with the default provider.
            let mut rows = Vec::new();
            for span in &spans {
                let (row, provider) = row_without_provider(span);
                assert_eq!(provider, json!(case.braintrust), "{what}: {}", span.name);
                rows.push(row);
            }
            match &baseline_rows {
                None => baseline_rows = Some(rows),
                Some(baseline) => assert_eq!(baseline, &rows, "{what}"),
            }
        }
    }
}

#[tokio::test]
async fn a_provider_given_as_a_string_or_a_static_is_the_same() {
    use azure_ai_inference_otel::telemetry::TelemetryOptions;
    let server = MockInferenceServer::start().await.expect("server");
    let ask = || ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Hi")]).with_model("m");
    for (mode, expected) in [
        (SemconvMode::Default, "az.ai.inference"),
        (SemconvMode::LatestExperimental, "azure.ai.inference"),
    ] {
        let harness = Harness::new();
        let telemetry = harness.options(false).with_semconv_mode(mode);
        let options = |telemetry: TelemetryOptions| {
            ClientOptions::new()
                .with_retry(RetryPolicy::none())
                .with_telemetry(telemetry)
        };
        let owned = telemetry
            .clone()
            .with_provider(String::from("azure.ai.inference"));
        let fixed = telemetry.with_provider("azure.ai.inference");
        for telemetry in [owned, fixed] {
            server.enqueue(Reply::chat_completion("Hello."));
            let chat = client_support::chat(&server, options(telemetry));
            chat.complete(ask()).await.expect("chat");
        }
        let spans = harness.spans();
        let providers: Vec<String> = spans.iter().map(|s| provider_of(s, mode)).collect();
        assert_eq!(providers, [expected, expected], "{mode:?}");
    }
    let custom = TelemetryOptions::new().with_provider("my.gateway");
    assert!(format!("{custom:?}").contains("my.gateway"));
}
