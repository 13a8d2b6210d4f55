//! Chat and embeddings on a v1 base (`…/openai/v1`) through the public
//! clients against the demo endpoint: `openai.api.type`, streamed usage
//! asked for with `stream_options`, the reasoning-model parameters, the
//! embeddings dimension count, and the embeddings rows of Braintrust's
//! embeddings spec on both Braintrust paths (native rows checked against
//! the insert schema by the stand-in, OTLP rows rebuilt and checked too).

mod support;

use std::time::Duration;

use azure_ai_inference_otel::client::{
    ChatCompletionsClient, ClientOptions, Credential, EmbeddingsClient, RetryPolicy,
};
use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustExporter, BraintrustOtlpExporter, Parent,
};
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions, StreamOptions,
};
use azure_ai_inference_otel::testing::MockInferenceServer;
use futures::executor::block_on;
use opentelemetry::Value;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use serde_json::{Value as Json, json};
use support::braintrust_stand_in::{API_KEY, PROJECT_NAME, StandIn, fast_retries};
use support::otlp_receiver::OtlpReceiver;
use support::schema::row_schema;
use support::telemetry::{Harness, attrs};

const KEY: &str = "test-key-0123456789";

fn options(h: &Harness, record_content: bool) -> ClientOptions {
    ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_retry(RetryPolicy::none())
        .with_telemetry(h.options(record_content))
}

fn chat(server: &MockInferenceServer, h: &Harness) -> ChatCompletionsClient {
    ChatCompletionsClient::new(
        server.v1_endpoint(),
        Credential::api_key(KEY).unwrap(),
        Some(options(h, false).with_model("gpt-5-mini")),
    )
    .unwrap()
}

fn hello() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("How far is the moon?")])
}

#[tokio::test]
async fn a_streamed_v1_call_asks_for_usage_and_gets_token_counts() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let items = support::client::stream_items(&chat(&server, &h), hello()).await;
    assert!(items.iter().all(Result::is_ok));

    let body = server.requests()[0].json().unwrap();
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(body["model"], "gpt-5-mini");
    let spans = h.spans();
    let a = attrs(&spans[0]);
    assert_eq!(a["openai.api.type"], Value::from("chat_completions"));
    assert!(
        matches!(a["gen_ai.usage.input_tokens"], Value::I64(n) if n > 0),
        "{a:?}"
    );
    assert!(matches!(a["gen_ai.usage.output_tokens"], Value::I64(n) if n > 0));
}

#[tokio::test]
async fn a_caller_s_stream_options_are_sent_as_they_are() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let request = hello().with_stream_options(StreamOptions {
        include_usage: Some(false),
        ..StreamOptions::default()
    });
    support::client::stream_items(&chat(&server, &h), request).await;

    let body = server.requests()[0].json().unwrap();
    assert_eq!(body["stream_options"], json!({"include_usage": false}));
    // The service then sends no usage: none is invented.
    let a = attrs(&h.spans()[0]);
    assert!(!a.contains_key("gen_ai.usage.input_tokens"), "{a:?}");

    // A Model Inference base is not sent `stream_options`, nor tagged.
    let legacy = ChatCompletionsClient::new(
        server.endpoint(),
        Credential::api_key(KEY).unwrap(),
        Some(options(&h, false)),
    )
    .unwrap();
    support::client::stream_items(&legacy, hello()).await;
    assert!(
        server.requests()[1]
            .json()
            .unwrap()
            .get("stream_options")
            .is_none()
    );
    assert!(!attrs(&h.spans()[1]).contains_key("openai.api.type"));
}

#[tokio::test]
async fn reasoning_parameters_are_sent_recorded_and_kept_in_row_metadata() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let request = hello()
        .with_max_completion_tokens(400)
        .with_reasoning_effort("low");
    chat(&server, &h).complete(request).await.unwrap();

    let body = server.requests()[0].json().unwrap();
    assert_eq!(body["max_completion_tokens"], 400);
    assert_eq!(body["reasoning_effort"], "low");
    assert!(body.get("stream_options").is_none());
    let span = h.spans().remove(0);
    let a = attrs(&span);
    assert_eq!(
        a["az.ai.inference.request.max_completion_tokens"],
        Value::I64(400)
    );
    assert_eq!(
        a["az.ai.inference.request.reasoning_effort"],
        Value::from("low")
    );
    let (row, _) = native_row(&span);
    assert_eq!(row["metadata"]["max_completion_tokens"], 400);
    assert_eq!(row["metadata"]["reasoning_effort"], "low");
    let otlp = otlp_row(&span);
    assert_eq!(otlp["metadata"]["max_completion_tokens"], 400);
    assert_eq!(otlp["metadata"]["reasoning_effort"], "low");
}

/// One embeddings call on the v1 base; its span.
async fn embed(record_content: bool, options: EmbeddingsOptions) -> SpanData {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = EmbeddingsClient::new(
        server.v1_endpoint(),
        Credential::api_key(KEY).unwrap(),
        Some(options_for(&h, record_content)),
    )
    .unwrap();
    let result = client.embed(options).await.unwrap();
    let mut spans = h.spans();
    assert_eq!(spans.len(), 1);
    let a = attrs(&spans[0]);
    assert_eq!(
        a["az.ai.inference.embeddings.count"],
        Value::I64(result.data.len() as i64)
    );
    assert!(!a.contains_key("openai.api.type"));
    spans.remove(0)
}

fn options_for(h: &Harness, record_content: bool) -> ClientOptions {
    options(h, record_content).with_model("text-embedding-3-small")
}

/// The native row of `span` (the stand-in checks it against the insert
/// schema), and the stand-in.
fn native_row(span: &SpanData) -> (Json, StandIn) {
    let stand_in = StandIn::start();
    let exporter = BraintrustExporter::new(stand_in.config()).expect("exporter builds");
    block_on(exporter.export(vec![span.clone()])).expect("export");
    exporter.force_flush().expect("flush");
    let rows = stand_in.rows();
    stand_in.assert_clean();
    assert_eq!(rows.len(), 1);
    (rows[0].clone(), stand_in)
}

/// The row the Braintrust OTLP exporter sends, rebuilt from its
/// `braintrust.*` attributes and checked against the insert schema.
fn otlp_row(span: &SpanData) -> Json {
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
    let part = |key: &str| {
        spans[0]
            .attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(s) => serde_json::from_str::<Json>(s).ok(),
                _ => None,
            })
    };
    let mut row = json!({"id": "otlp-row"});
    for (field, key) in [
        ("span_attributes", "braintrust.span_attributes"),
        ("input", "braintrust.input_json"),
        ("output", "braintrust.output_json"),
        ("metadata", "braintrust.metadata"),
        ("metrics", "braintrust.metrics"),
    ] {
        if let Some(value) = part(key) {
            row[field] = value;
        }
    }
    row_schema().assert_valid(&row);
    row
}

#[tokio::test]
async fn embeddings_rows_follow_braintrust_s_embeddings_spec_on_both_paths() {
    let span = embed(
        true,
        EmbeddingsOptions::new(["first text", "second text"]).with_dimensions(4),
    )
    .await;
    let a = attrs(&span);
    assert_eq!(a["gen_ai.embeddings.dimension.count"], Value::I64(4));
    assert_eq!(a["az.ai.inference.request.dimensions"], Value::I64(4));

    let (native, _stand_in) = native_row(&span);
    for row in [native, otlp_row(&span)] {
        assert_eq!(
            row["input"],
            json!({"inputs": [{"content": "first text"}, {"content": "second text"}], "output_dimensions": 4}),
            "{row:#}"
        );
        assert_eq!(row["output"], json!({"count": 2}));
        assert_eq!(row["span_attributes"]["type"], "llm");
        let metrics = row["metrics"].as_object().unwrap();
        assert!(metrics["prompt_tokens"].as_i64().unwrap() > 0, "{row:#}");
        assert_eq!(metrics["tokens"], metrics["prompt_tokens"]);
        assert!(!metrics.contains_key("completion_tokens"));
        assert!(!metrics.contains_key("time_to_first_token"));
        assert_eq!(row["metadata"]["provider"], "azure");
        assert_eq!(row["metadata"]["model"], "text-embedding-3-small");
        // Never a vector, nor the crate's own embeddings attributes.
        let text = row.to_string();
        assert!(!text.contains("embedding\""), "{text}");
        assert!(
            row["metadata"]
                .get("az.ai.inference.embeddings.count")
                .is_none()
        );
    }
}

#[tokio::test]
async fn without_content_recording_the_row_keeps_the_count_and_no_text() {
    let span = embed(false, EmbeddingsOptions::new(["secret text"])).await;
    let a = attrs(&span);
    // The answer's vector size (the demo's default of 8), the request set none.
    assert_eq!(a["gen_ai.embeddings.dimension.count"], Value::I64(8));
    assert!(!a.contains_key("az.ai.inference.embeddings.inputs"));
    assert!(!a.contains_key("az.ai.inference.request.dimensions"));

    let (native, _stand_in) = native_row(&span);
    for row in [native, otlp_row(&span)] {
        assert!(row.get("input").is_none(), "{row:#}");
        assert_eq!(row["output"], json!({"count": 1}));
        assert!(!row.to_string().contains("secret"));
    }

    // A requested size with recording off: the input holds it alone.
    let span = embed(
        false,
        EmbeddingsOptions::new(["secret text"]).with_dimensions(3),
    )
    .await;
    let (native, _stand_in) = native_row(&span);
    for row in [native, otlp_row(&span)] {
        assert_eq!(row["input"], json!({"output_dimensions": 3}), "{row:#}");
        assert!(!row.to_string().contains("secret"));
    }
}

#[tokio::test]
async fn the_demo_lists_its_models_on_v1() {
    let server = MockInferenceServer::start().await.unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let list: Json = client
        .get(format!("{}/models", server.v1_endpoint()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"][0]["object"], "model");
}

#[tokio::test]
async fn v1_calls_record_and_replay_through_a_cassette() {
    use azure_ai_inference_otel::testing::{RecordOptions, ReplayOptions};

    let dir = tempfile::tempdir().unwrap();
    let cassette = dir.path().join("v1.json");
    let azure = MockInferenceServer::start().await.unwrap();
    let call = |base: String| async move {
        let h = Harness::new();
        let client = ChatCompletionsClient::new(
            base,
            Credential::api_key(KEY).unwrap(),
            Some(options(&h, false).with_model("gpt-5-mini")),
        )
        .unwrap();
        let items = support::client::stream_items(&client, hello()).await;
        assert!(items.iter().all(Result::is_ok), "{items:?}");
        let a = attrs(&h.spans()[0]);
        assert!(a.contains_key("gen_ai.usage.output_tokens"), "{a:?}");
        assert_eq!(a["openai.api.type"], Value::from("chat_completions"));
    };
    {
        // The recorder forwards to the upstream origin; the client keeps
        // the v1 base path, so the cassette holds the v1 routes.
        let recorder =
            MockInferenceServer::record(&azure.endpoint(), &cassette, RecordOptions::new())
                .await
                .unwrap();
        call(recorder.v1_endpoint()).await;
        recorder.finish().unwrap();
    }
    assert_eq!(azure.requests()[0].path, "/openai/v1/chat/completions");
    assert_eq!(azure.requests()[0].query, "");
    let replay = MockInferenceServer::replay_with(&cassette, ReplayOptions::new())
        .await
        .unwrap();
    call(replay.v1_endpoint()).await;
    assert_eq!(azure.requests().len(), 1, "the replay reached no upstream");
}
