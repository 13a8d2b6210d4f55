//! Clients pointed at a loopback `MockInferenceServer`, with telemetry going
//! to an in-memory `Harness`.

use std::sync::Once;
use std::time::Duration;

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::client::{
    ChatCompletionsClient, ClientOptions, Credential, EmbeddingsClient, ImageEmbeddingsClient,
    RetryPolicy,
};
use azure_ai_inference_otel::models::{ChatCompletionsOptions, StreamingChatCompletionsUpdate};
use azure_ai_inference_otel::testing::MockInferenceServer;
use futures::StreamExt;

use super::telemetry::Harness;

/// The API key every test client sends.
pub const KEY: &str = "test-key-0123456789";

/// The W3C propagator, installed once per test binary, so `traceparent` is injected.
pub fn install_propagator() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
    });
}

/// Retries off: a test that scripts one failure expects to see it (the
/// retry tests set their own, millisecond-scale policy).
pub fn options(harness: &Harness, record_content: bool) -> ClientOptions {
    ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_retry(RetryPolicy::none())
        .with_telemetry(harness.options(record_content))
}

pub fn chat(server: &MockInferenceServer, options: ClientOptions) -> ChatCompletionsClient {
    install_propagator();
    ChatCompletionsClient::new(
        server.endpoint(),
        Credential::api_key(KEY).unwrap(),
        Some(options),
    )
    .unwrap()
}

pub fn embeddings(server: &MockInferenceServer, options: ClientOptions) -> EmbeddingsClient {
    install_propagator();
    EmbeddingsClient::new(
        server.endpoint(),
        Credential::api_key(KEY).unwrap(),
        Some(options),
    )
    .unwrap()
}

pub fn image_embeddings(
    server: &MockInferenceServer,
    options: ClientOptions,
) -> ImageEmbeddingsClient {
    install_propagator();
    ImageEmbeddingsClient::new(
        server.endpoint(),
        Credential::api_key(KEY).unwrap(),
        Some(options),
    )
    .unwrap()
}

/// Every item of the stream `client` answers `options` with, read to its
/// end: the updates, then the error when it failed. Panics when the stream
/// does not start (the tests that expect that call `complete_streaming`).
pub async fn stream_items(
    client: &ChatCompletionsClient,
    options: ChatCompletionsOptions,
) -> Vec<Result<StreamingChatCompletionsUpdate, Error>> {
    client
        .complete_streaming(options)
        .await
        .expect("the stream starts")
        .collect()
        .await
}

/// Asserts that `results` are `events` updates and then the error of a
/// stream cut after them with one choice unfinished.
pub fn assert_cut_after(results: &[Result<StreamingChatCompletionsUpdate, Error>], events: usize) {
    assert_eq!(
        results.len(),
        events + 1,
        "{events} updates, then the error"
    );
    assert!(results[..events].iter().all(Result::is_ok), "{results:?}");
    assert!(
        matches!(
            &results[events],
            Err(Error::StreamTruncated { events: Some(n), unfinished: 1, .. }) if *n == events
        ),
        "{:?}",
        results[events]
    );
}
