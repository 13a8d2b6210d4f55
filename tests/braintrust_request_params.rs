//! `tool_choice`, `parallel_tool_calls` and `response_format` through the
//! public client on the real wire format: recorded on the span under the
//! parameter table's keys, and sent in the llm row's `metadata` under their
//! wire names on both Braintrust paths (native rows checked against the
//! insert schema by the stand-in), JSON objects as JSON. With content
//! recording off only the `type` of `response_format` and of a named
//! `tool_choice` is recorded.

mod support;

use std::time::Duration;

use azure_ai_inference_otel::client::ClientOptions;
use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustExporter, BraintrustOtlpExporter, Parent,
};
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatCompletionsResponseFormat, ChatCompletionsToolChoice,
    ChatRequestMessage, JsonSchemaFormat,
};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::executor::block_on;
use opentelemetry::Value;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use serde_json::{Value as Json, json};
use support::braintrust_stand_in::{API_KEY, PROJECT_NAME, StandIn, fast_retries};
use support::otlp_receiver::OtlpReceiver;
use support::telemetry::{Harness, attrs};

fn schema_format() -> ChatCompletionsResponseFormat {
    ChatCompletionsResponseFormat::json_schema(
        JsonSchemaFormat::new(
            "forecast",
            json!({"type": "object", "properties": {"celsius": {"type": "number"}}}),
        )
        .with_description("the forecast for the city asked about"),
    )
}

fn schema_format_wire() -> Json {
    json!({"type": "json_schema", "json_schema": {
        "name": "forecast",
        "schema": {"type": "object", "properties": {"celsius": {"type": "number"}}},
        "description": "the forecast for the city asked about",
    }})
}

/// One chat call with these options; its span.
async fn call(
    server: &MockInferenceServer,
    record_content: bool,
    mode: SemconvMode,
    options: ChatCompletionsOptions,
) -> SpanData {
    let harness = Harness::new();
    let client = support::client::chat(
        server,
        ClientOptions::new()
            .with_read_timeout(Duration::from_secs(10))
            .with_telemetry(harness.options(record_content).with_semconv_mode(mode)),
    );
    server.enqueue(Reply::chat_completion("{\"celsius\": 21}").with_usage(12, 5));
    client.complete(options).await.expect("the call succeeds");
    let mut spans = harness.spans();
    assert_eq!(spans.len(), 1);
    spans.remove(0)
}

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Weather in Paris?")])
        .with_model("gpt-4o")
        .with_tool_choice(ChatCompletionsToolChoice::function("get_weather"))
        .with_response_format(schema_format())
        .with_extra("parallel_tool_calls", false)
}

/// The llm row's metadata as the native exporter sends it (schema-checked).
fn native_metadata(span: &SpanData) -> Json {
    let stand_in = StandIn::start();
    let exporter = BraintrustExporter::new(stand_in.config()).expect("exporter builds");
    block_on(exporter.export(vec![span.clone()])).expect("export");
    exporter.force_flush().expect("flush");
    let rows = stand_in.rows();
    stand_in.assert_clean();
    assert_eq!(rows.len(), 1);
    rows[0]["metadata"].clone()
}

/// The `braintrust.metadata` the OTLP exporter sends.
fn otlp_metadata(span: &SpanData) -> Json {
    let receiver = OtlpReceiver::start();
    let exporter = BraintrustOtlpExporter::new(
        BraintrustConfig::new()
            .with_api_key(API_KEY)
            .with_api_url(&receiver.url)
            .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned()))
            .with_retry_policy(fast_retries()),
    )
    .expect("exporter builds");
    block_on(exporter.export(vec![span.clone()])).expect("export");
    exporter.force_flush().expect("flush");
    let spans = receiver.spans();
    let metadata = spans[0]
        .attributes
        .iter()
        .find(|kv| kv.key == "braintrust.metadata")
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => serde_json::from_str(s).ok(),
            _ => None,
        });
    metadata.expect("braintrust.metadata")
}

#[tokio::test]
async fn tool_controls_and_the_response_format_reach_the_span_and_both_paths() {
    let server = MockInferenceServer::start().await.unwrap();
    for mode in [SemconvMode::Default, SemconvMode::LatestExperimental] {
        let span = call(&server, true, mode, request()).await;
        let a = attrs(&span);
        assert_eq!(
            a["az.ai.inference.request.tool_choice"],
            Value::from(r#"{"type":"function","function":{"name":"get_weather"}}"#),
            "{mode:?}"
        );
        assert_eq!(
            a["az.ai.inference.request.parallel_tool_calls"],
            Value::Bool(false)
        );
        let format: Json =
            serde_json::from_str(&a["az.ai.inference.request.response_format"].as_str()).unwrap();
        assert_eq!(format, schema_format_wire());
        assert_eq!(a["gen_ai.output.type"], Value::from("json"));

        for metadata in [native_metadata(&span), otlp_metadata(&span)] {
            assert_eq!(
                metadata["tool_choice"],
                json!({"type": "function", "function": {"name": "get_weather"}}),
                "{mode:?}: {metadata:#}"
            );
            assert_eq!(metadata["parallel_tool_calls"], json!(false));
            assert_eq!(metadata["response_format"], schema_format_wire());
            for key in [
                "az.ai.inference.request.tool_choice",
                "az.ai.inference.request.response_format",
                "gen_ai.output.type",
            ] {
                assert!(metadata.get(key).is_none(), "{key} in {metadata:#}");
            }
        }
    }
}

#[tokio::test]
async fn presets_are_strings_and_without_content_only_the_format_type_is_recorded() {
    let server = MockInferenceServer::start().await.unwrap();
    let options = request().with_tool_choice(ChatCompletionsToolChoice::Required);
    let span = call(&server, false, SemconvMode::Default, options).await;
    let a = attrs(&span);
    assert_eq!(
        a["az.ai.inference.request.tool_choice"],
        Value::from("required")
    );
    assert_eq!(
        a["az.ai.inference.request.response_format"],
        Value::from(r#"{"type":"json_schema"}"#)
    );
    // Nothing of the schema (content) is on the span.
    for (key, value) in &a {
        assert!(!value.as_str().contains("forecast"), "{key}: {value:?}");
    }
    for metadata in [native_metadata(&span), otlp_metadata(&span)] {
        assert_eq!(metadata["tool_choice"], json!("required"), "{metadata:#}");
        assert_eq!(metadata["response_format"], json!({"type": "json_schema"}));
        assert_eq!(metadata["parallel_tool_calls"], json!(false));
    }

    // Left unset: not recorded, not sent.
    let plain = ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")]).with_model("m");
    let span = call(&server, true, SemconvMode::Default, plain).await;
    let a = attrs(&span);
    for key in [
        "az.ai.inference.request.tool_choice",
        "az.ai.inference.request.parallel_tool_calls",
        "az.ai.inference.request.response_format",
    ] {
        assert!(!a.contains_key(key), "{key}");
    }
    let metadata = native_metadata(&span);
    for key in ["tool_choice", "parallel_tool_calls", "response_format"] {
        assert!(metadata.get(key).is_none(), "{key} in {metadata:#}");
    }
}

/// A named `tool_choice` carries a tool's name, which is content: with
/// recording off only its `type` reaches the span and both Braintrust paths.
#[tokio::test]
async fn a_named_tool_choice_without_content_records_only_its_type() {
    let server = MockInferenceServer::start().await.unwrap();
    for mode in [SemconvMode::Default, SemconvMode::LatestExperimental] {
        let span = call(&server, false, mode, request()).await;
        let a = attrs(&span);
        assert_eq!(
            a["az.ai.inference.request.tool_choice"],
            Value::from(r#"{"type":"function"}"#),
            "{mode:?}"
        );
        for (key, value) in &a {
            assert!(!value.as_str().contains("get_weather"), "{key}: {value:?}");
        }
        for metadata in [native_metadata(&span), otlp_metadata(&span)] {
            assert_eq!(
                metadata["tool_choice"],
                json!({"type": "function"}),
                "{metadata:#}"
            );
            assert!(
                !metadata.to_string().contains("get_weather"),
                "{metadata:#}"
            );
        }
    }
}
