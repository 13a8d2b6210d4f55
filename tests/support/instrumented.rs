//! Clients of other crates instrumented by `azure_ai_inference_otel::instrument`,
//! and the comparison of their spans and Braintrust rows with the crate's
//! own client's, ids and times aside.

use std::collections::BTreeMap;

use azure_ai_inference_otel::client::{
    ChatCompletionsClient, ClientOptions, Credential, EmbeddingsClient,
};
use azure_ai_inference_otel::exporters::braintrust::preview_row;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value, json};

/// Attributes whose value is a duration (equal traffic, different clocks)
/// or an id the server makes up per answer.
const TIME_AND_ID_ATTRIBUTES: &[&str] =
    &["gen_ai.response.time_to_first_chunk", "gen_ai.response.id"];

/// Row keys that carry ids or times.
const ROW_ID_AND_TIME_KEYS: &[&str] = &[
    "id",
    "span_id",
    "root_span_id",
    "span_parents",
    "created",
    "start",
    "end",
    "time_to_first_token",
];

/// The crate's chat client on the v1 base of the server at `endpoint`
/// (`http://127.0.0.1:PORT`), the base the instrumented clients call.
pub fn v1_chat(endpoint: &str, options: ClientOptions) -> ChatCompletionsClient {
    super::client::install_propagator();
    let key = Credential::api_key(super::client::KEY).unwrap();
    ChatCompletionsClient::new(format!("{endpoint}/openai/v1"), key, Some(options)).unwrap()
}

/// The crate's embeddings client on the v1 base of the server at `endpoint`.
pub fn v1_embeddings(endpoint: &str, options: ClientOptions) -> EmbeddingsClient {
    super::client::install_propagator();
    let key = Credential::api_key(super::client::KEY).unwrap();
    EmbeddingsClient::new(format!("{endpoint}/openai/v1"), key, Some(options)).unwrap()
}

/// A span as a comparable value: name, kind, status, attributes and events
/// (names and attributes, in order), without ids, times or durations.
pub fn span_shape(span: &SpanData) -> Value {
    let attributes: BTreeMap<String, String> = span
        .attributes
        .iter()
        .filter(|kv| !TIME_AND_ID_ATTRIBUTES.contains(&kv.key.as_str()))
        .map(|kv| (kv.key.as_str().to_owned(), format!("{:?}", kv.value)))
        .collect();
    let events: Vec<Value> = span
        .events
        .iter()
        .map(|event| {
            let attributes: BTreeMap<String, String> = event
                .attributes
                .iter()
                .map(|kv| (kv.key.as_str().to_owned(), format!("{:?}", kv.value)))
                .collect();
            json!({ "name": event.name, "attributes": attributes })
        })
        .collect();
    json!({
        "name": span.name,
        "kind": format!("{:?}", span.span_kind),
        "status": format!("{:?}", span.status),
        "attributes": attributes,
        "events": events,
    })
}

/// The span's Braintrust row as JSON, without ids and times.
pub fn row_shape(span: &SpanData) -> Value {
    let mut row = preview_row(span);
    strip(&mut row);
    row
}

fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| {
                !ROW_ID_AND_TIME_KEYS.contains(&key.as_str())
                    && !TIME_AND_ID_ATTRIBUTES.contains(&key.as_str())
            });
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

/// Asserts that `ours` (the crate's client) and `theirs` (another client,
/// instrumented) are one span each, equal in shape and in Braintrust row.
pub fn assert_same_span(ours: &[SpanData], theirs: &[SpanData]) {
    assert_eq!(ours.len(), 1, "the crate's client made one span");
    assert_eq!(theirs.len(), 1, "the instrumented client made one span");
    assert_eq!(
        span_shape(&theirs[0]),
        span_shape(&ours[0]),
        "span (instrumented, then the crate's)"
    );
    assert_eq!(
        row_shape(&theirs[0]),
        row_shape(&ours[0]),
        "Braintrust row (instrumented, then the crate's)"
    );
}
