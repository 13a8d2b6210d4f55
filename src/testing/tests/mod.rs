//! Tests of the mock server over real loopback HTTP.

use std::io::{Read as _, Write as _};
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use futures::{FutureExt as _, StreamExt as _};
use serde_json::{Value, json};

use super::{MockInferenceServer, Reply};

const API_VERSION: &str = "api-version=2024-05-01-preview";

/// Generous bound so a broken server fails a test instead of hanging it.
const GUARD: Duration = Duration::from_secs(30);

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn url(server: &MockInferenceServer, path: &str) -> String {
    format!("{}{path}?{API_VERSION}", server.endpoint())
}

async fn post(server: &MockInferenceServer, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(url(server, path))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn post_json(server: &MockInferenceServer, path: &str, body: &Value) -> (u16, Value) {
    let response = post(server, path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn chat_body(text: &str) -> Value {
    json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]})
}

/// Splits an SSE body into its events, asserting the exact framing: every
/// event is one or more `data: ` lines ended by a blank line.
fn sse_payloads(body: &str) -> Vec<String> {
    assert!(
        body.ends_with("\n\n"),
        "SSE body must end with a blank line: {body:?}"
    );
    body[..body.len() - 2]
        .split("\n\n")
        .map(|event| {
            let payload = event
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("event without `data: `: {event:?}"));
            assert!(
                !payload.contains('\n'),
                "unexpected multi-line event: {event:?}"
            );
            payload.to_owned()
        })
        .collect()
}

fn decode_base64_f32(s: &str) -> Vec<f32> {
    BASE64_STANDARD
        .decode(s)
        .unwrap()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

mod demo;
mod lifecycle;
mod scripting;
mod streams;
