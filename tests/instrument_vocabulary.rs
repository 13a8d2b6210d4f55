//! The async-openai layer and the reqwest middleware with the newer names
//! and a provider value of the caller's: the same options as the crate's
//! client give the same span, events and row (one recorder); with the newer
//! names no event v1.41 deprecates, the content in attributes valid against
//! the v1.41 schemas; the provider on every span and metric point.
#![cfg(all(
    feature = "async-openai",
    feature = "reqwest-middleware",
    feature = "testing"
))]

mod support;

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::CreateChatCompletionRequest;
use async_openai::types::responses::CreateResponse;
use azure_ai_inference_otel::client::{ClientOptions, Credential, ResponsesClient, RetryPolicy};
use azure_ai_inference_otel::instrument::{GenAiLayer, GenAiMiddleware};
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ResponsesOptions};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply, ResponseAnswer};
use futures::StreamExt;
use serde_json::{Value, json};
use tower::Layer;

use support::client::{self as crate_client, KEY};
use support::genai_spans::vocabulary;
use support::instrumented::{assert_same_span, v1_chat};
use support::semconv_v141;
use support::telemetry::{Harness, attrs, kv_map};

const MODES: [SemconvMode; 2] = [SemconvMode::Default, SemconvMode::LatestExperimental];

/// Both vocabularies, content on and off, the default provider and two of
/// the caller's: (mode, record, given provider, the value written).
fn settings() -> Vec<(SemconvMode, bool, Option<&'static str>, &'static str)> {
    let mut out = Vec::new();
    for mode in MODES {
        for record in [true, false] {
            for (given, default, latest) in [
                (None, "az.ai.inference", "azure.ai.inference"),
                (Some("azure.ai.openai"), "az.ai.openai", "azure.ai.openai"),
                (Some("openai"), "openai", "openai"),
            ] {
                let want = match mode {
                    SemconvMode::Default => default,
                    SemconvMode::LatestExperimental => latest,
                };
                out.push((mode, record, given, want));
            }
        }
    }
    out
}

fn telemetry(
    harness: &Harness,
    mode: SemconvMode,
    record: bool,
    given: Option<&'static str>,
) -> TelemetryOptions {
    let options = harness.options(record).with_semconv_mode(mode);
    match given {
        Some(given) => options.with_provider(given),
        None => options,
    }
}

fn client_options(telemetry: TelemetryOptions) -> ClientOptions {
    ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_retry(RetryPolicy::none())
        .with_telemetry(telemetry)
}

fn openai(server: &MockInferenceServer, telemetry: TelemetryOptions) -> Client<OpenAIConfig> {
    crate_client::install_propagator();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let service = GenAiLayer::new(telemetry).layer(ReqwestService::new(http));
    let config = OpenAIConfig::new()
        .with_api_base(format!("{}/openai/v1", server.endpoint()))
        .with_api_key(KEY);
    Client::with_config(config).with_http_service(service)
}

fn hello() -> Value {
    json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"}
        ],
        "tools": [{"type": "function", "function": {"name": "get_time",
            "description": "The time", "parameters": {"type": "object", "properties": {}}}}],
        "max_tokens": 50
    })
}

/// The checks every instrumented span passes in its setting.
fn assert_shape(harness: &Harness, mode: SemconvMode, record: bool, want: &str, what: &str) {
    let spans = harness.spans();
    let key = vocabulary(mode).system_key;
    for span in &spans {
        assert_eq!(attrs(span)[key].as_str(), want, "{what}");
        if mode == SemconvMode::LatestExperimental {
            semconv_v141::assert_no_deprecated_events(span);
            let recorded = semconv_v141::validate_content_attributes(span);
            assert_eq!(recorded > 0, record, "{what}: {recorded}");
            assert!(
                attrs(span).contains_key("gen_ai.response.finish_reasons"),
                "{what}"
            );
        }
    }
    for point in harness.f64_points("gen_ai.client.operation.duration") {
        assert_eq!(kv_map(point.attributes())[key].as_str(), want, "{what}");
    }
    for point in harness.u64_points("gen_ai.client.token.usage") {
        assert_eq!(kv_map(point.attributes())[key].as_str(), want, "{what}");
    }
}

#[tokio::test]
async fn the_layer_matches_the_crates_client_in_every_setting() {
    let server = MockInferenceServer::start().await.unwrap();
    for (mode, record, given, want) in settings() {
        let what = format!("{mode:?}, record {record}, {given:?}");
        for streamed in [false, true] {
            let (ours, theirs) = (Harness::new(), Harness::new());
            let mut body = hello();
            if streamed {
                body["stream"] = json!(true);
            }
            let crate_request: ChatCompletionsOptions =
                serde_json::from_value(body.clone()).unwrap();
            let openai_request: CreateChatCompletionRequest = serde_json::from_value(body).unwrap();
            let reply = if streamed {
                Reply::chat_stream(["It is ", "noon."])
            } else {
                Reply::chat_tool_calls([("call_1", "get_time", "{}")])
            };
            let ours_client = v1_chat(
                &server.endpoint(),
                client_options(telemetry(&ours, mode, record, given)),
            );
            let theirs_client = openai(&server, telemetry(&theirs, mode, record, given));
            server.enqueue(reply.clone());
            server.enqueue(reply);
            if streamed {
                let _ = crate_client::stream_items(&ours_client, crate_request).await;
                let stream = theirs_client
                    .chat()
                    .create_stream(openai_request)
                    .await
                    .expect("stream");
                let _: Vec<_> = stream.collect().await;
            } else {
                ours_client.complete(crate_request).await.expect("crate");
                theirs_client
                    .chat()
                    .create(openai_request)
                    .await
                    .expect("async-openai");
            }
            assert_same_span(&ours.spans(), &theirs.spans());
            assert_shape(&theirs, mode, record, want, &what);
        }

        // Responses, whole.
        let (ours, theirs) = (Harness::new(), Harness::new());
        let body = json!({"model": "gpt-4o-mini", "instructions": "Be brief.",
            "input": "Hello", "max_output_tokens": 50});
        let crate_request: ResponsesOptions = serde_json::from_value(body.clone()).unwrap();
        let openai_request: CreateResponse = serde_json::from_value(body).unwrap();
        let reply = Reply::response(ResponseAnswer::text("Hi there"));
        server.enqueue(reply.clone());
        server.enqueue(reply);
        ResponsesClient::new(
            format!("{}/openai/v1", server.endpoint()),
            Credential::api_key(KEY).unwrap(),
            Some(client_options(telemetry(&ours, mode, record, given))),
        )
        .unwrap()
        .create(crate_request)
        .await
        .expect("crate");
        openai(&server, telemetry(&theirs, mode, record, given))
            .responses()
            .create(openai_request)
            .await
            .expect("async-openai");
        assert_same_span(&ours.spans(), &theirs.spans());
        assert_shape(&theirs, mode, record, want, &format!("{what}, responses"));
    }
}

#[tokio::test]
async fn the_middleware_matches_the_crates_client_in_every_setting() {
    let server = MockInferenceServer::start().await.unwrap();
    let url = format!("{}/openai/v1/chat/completions", server.endpoint());
    for (mode, record, given, want) in settings() {
        let what = format!("{mode:?}, record {record}, {given:?}");
        let (ours, theirs) = (Harness::new(), Harness::new());
        let reply = Reply::chat_completion("Noon.");
        server.enqueue(reply.clone());
        server.enqueue(reply);
        v1_chat(
            &server.endpoint(),
            client_options(telemetry(&ours, mode, record, given)),
        )
        .complete(serde_json::from_value(hello()).unwrap())
        .await
        .expect("crate");
        crate_client::install_propagator();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let client = reqwest_middleware::ClientBuilder::new(http)
            .with(GenAiMiddleware::new(telemetry(
                &theirs, mode, record, given,
            )))
            .build();
        let answer: Value = client
            .post(&url)
            .header("api-key", KEY)
            .header("content-type", "application/json")
            .body(hello().to_string())
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("JSON");
        assert_eq!(answer["choices"][0]["message"]["content"], "Noon.");
        assert_same_span(&ours.spans(), &theirs.spans());
        assert_shape(&theirs, mode, record, want, &what);
    }
}
