//! Text and image embeddings: spans, wire format, both encodings.

mod support;
use support::client as client_support;
use support::telemetry;

use azure_ai_inference_otel::models::{
    EmbeddingEncodingFormat, EmbeddingsOptions, ImageEmbeddingInput, ImageEmbeddingsOptions,
};
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use opentelemetry::trace::Status;
use opentelemetry::{Array, Value};
use serde_json::json;
use telemetry::{Harness, attrs};

#[tokio::test]
async fn text_embeddings_span_and_wire() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::embeddings(2, 4).with_usage(6, 0));
    let h = Harness::new();
    let client = client_support::embeddings(&server, client_support::options(&h, false));
    let result = client
        .embed(
            EmbeddingsOptions::new(["first text", "second text"])
                .with_model("text-embedding-3-small"),
        )
        .await
        .unwrap();
    assert_eq!(result.data.len(), 2);
    assert_eq!(result.data[0].embedding.to_f32().unwrap().len(), 4);

    let r = &server.requests()[0];
    assert_eq!(r.path, "/embeddings");
    assert_eq!(
        r.json().unwrap()["input"],
        json!(["first text", "second text"])
    );

    let spans = h.spans();
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(s.name, "embeddings text-embedding-3-small");
    assert_eq!(s.status, Status::Unset);
    let a = attrs(s);
    let keys: Vec<&str> = a.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "az.ai.inference.embeddings.count",
            "az.namespace",
            "gen_ai.embeddings.dimension.count",
            "gen_ai.operation.name",
            "gen_ai.request.model",
            "gen_ai.response.id",
            "gen_ai.response.model",
            "gen_ai.system",
            "gen_ai.usage.input_tokens",
            "server.address",
            "server.port",
        ]
    );
    assert_eq!(a["gen_ai.operation.name"], Value::from("embeddings"));
    assert_eq!(a["gen_ai.usage.input_tokens"], Value::I64(6));
    // How many vectors and their size, read from the answer; never the vectors.
    assert_eq!(a["az.ai.inference.embeddings.count"], Value::I64(2));
    assert_eq!(a["gen_ai.embeddings.dimension.count"], Value::I64(4));
    assert_eq!(s.events.iter().count(), 0, "embeddings have no choices");
}

#[tokio::test]
async fn base64_embeddings_decode_and_record_the_format() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::embeddings(1, 8));
    let h = Harness::new();
    let client = client_support::embeddings(&server, client_support::options(&h, false));
    let result = client
        .embed(EmbeddingsOptions::new(["x"]).with_encoding_format(EmbeddingEncodingFormat::Base64))
        .await
        .unwrap();
    assert_eq!(result.data[0].embedding.to_f32().unwrap().len(), 8);
    assert_eq!(
        server.requests()[0].json().unwrap()["encoding_format"],
        json!("base64")
    );
    assert_eq!(
        attrs(&h.spans()[0])["gen_ai.request.encoding_formats"],
        Value::Array(Array::String(vec!["base64".into()]))
    );
}

#[tokio::test]
async fn image_embeddings_span_and_wire() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::embeddings(1, 4));
    let h = Harness::new();
    let client = client_support::image_embeddings(
        &server,
        client_support::options(&h, false).with_model("cohere-embed"),
    );
    let input = ImageEmbeddingInput::from_bytes(b"\x89PNG fake", "image/png").with_text("a cat");
    client
        .embed(ImageEmbeddingsOptions::new(vec![input]))
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.path, "/images/embeddings");
    let body = r.json().unwrap();
    assert!(
        body["input"][0]["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(body["model"], json!("cohere-embed"));
    let spans = h.spans();
    assert_eq!(spans[0].name, "embeddings cohere-embed");
    assert_eq!(
        attrs(&spans[0])["gen_ai.operation.name"],
        Value::from("embeddings")
    );
}

#[tokio::test]
async fn azure_openai_deployment_paths_work() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let endpoint = format!("{}/openai/deployments/my-embedder", server.endpoint());
    let client = azure_ai_inference_otel::client::EmbeddingsClient::new(
        endpoint,
        azure_ai_inference_otel::client::Credential::api_key(client_support::KEY).unwrap(),
        Some(client_support::options(&h, false).with_api_version("2024-10-21")),
    )
    .unwrap();
    client.embed(EmbeddingsOptions::new(["x"])).await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.path, "/openai/deployments/my-embedder/embeddings");
    assert_eq!(r.query_param("api-version").as_deref(), Some("2024-10-21"));
}
