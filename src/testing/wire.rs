//! JSON builders for the Azure AI model inference wire format, shared by the
//! scripted [`Reply`](super::Reply) helpers and the demo answers.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde_json::{Map, Value, json};

/// The model name used when a request names none.
pub(crate) const DEMO_MODEL: &str = "demo-model";

/// Dimensions of a demo embedding when the request does not ask for a size.
pub(crate) const DEFAULT_DIMENSIONS: usize = 8;

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_alphanumeric(len: usize) -> String {
    (0..len).map(|_| fastrand::alphanumeric()).collect()
}

/// A chat completion id shaped like the service's (`chatcmpl-` + 29 chars).
pub(crate) fn chat_id() -> String {
    format!("chatcmpl-{}", random_alphanumeric(29))
}

/// A tool call id shaped like the service's (`call_` + 24 chars).
pub(crate) fn tool_call_id() -> String {
    format!("call_{}", random_alphanumeric(24))
}

/// An embeddings result id (a random UUID v4 in its usual text form).
pub(crate) fn embeddings_id() -> String {
    crate::net::uuid_v4()
}

/// Whitespace-separated words: the mock's stand-in for a token count.
pub(crate) fn count_words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// The text of a chat message's `content`: a string, or the `text` of the
/// parts of a multi-part content array. `None` when there is no text.
pub(crate) fn message_text(message: &Value) -> Option<String> {
    match message.get("content")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join(" "))
        }
        _ => None,
    }
}

/// Prompt "tokens" of a chat request: words over every message, at least 1.
pub(crate) fn chat_prompt_tokens(messages: &[Value]) -> u64 {
    messages
        .iter()
        .filter_map(message_text)
        .map(|t| count_words(&t))
        .sum::<u64>()
        .max(1)
}

/// Prompt "tokens" of an embeddings request (text or image), or `None` when
/// the body has no usable `input`.
pub(crate) fn embeddings_prompt_tokens(body: &Value) -> Option<u64> {
    let inputs = embedding_inputs(body.get("input")?).ok()?;
    Some(inputs.iter().map(|i| i.tokens).sum())
}

/// One input of an embeddings request, reduced to what the mock needs.
#[derive(Debug)]
pub(crate) struct EmbeddingInput {
    /// Bytes the deterministic vector is derived from.
    pub(crate) seed: String,
    /// Its "token" count (words, at least 1).
    pub(crate) tokens: u64,
}

/// Reads `input` of a text (`/embeddings`) or image (`/images/embeddings`)
/// request: a string, an array of strings, an array of token arrays, or an
/// array of `{"image": ..., "text"?: ...}` objects.
pub(crate) fn embedding_inputs(input: &Value) -> Result<Vec<EmbeddingInput>, String> {
    let text_input = |s: &str| EmbeddingInput {
        seed: s.to_owned(),
        tokens: count_words(s).max(1),
    };
    match input {
        Value::String(s) => Ok(vec![text_input(s)]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(text_input(s)),
                Value::Array(tokens) if tokens.iter().all(Value::is_number) => {
                    Ok(EmbeddingInput {
                        seed: item.to_string(),
                        tokens: (tokens.len() as u64).max(1),
                    })
                }
                Value::Object(obj) => {
                    let image = obj.get("image").and_then(Value::as_str).ok_or_else(|| {
                        format!("`input[{i}].image` is required and must be a string (a data URL or base64 image)")
                    })?;
                    let text = obj.get("text").and_then(Value::as_str).unwrap_or("");
                    Ok(EmbeddingInput {
                        seed: format!("{image}\n{text}"),
                        tokens: 1 + count_words(text),
                    })
                }
                _ => Err(format!(
                    "`input[{i}]` must be a string, an array of token ids, or an {{\"image\": ...}} object"
                )),
            })
            .collect(),
        _ => Err("`input` must be a string or an array".to_owned()),
    }
}

/// The `usage` object of a chat completion.
pub(crate) fn chat_usage(prompt: u64, completion: u64) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    })
}

/// A tool call as it appears in `message.tool_calls`.
pub(crate) fn tool_call(id: &str, name: &str, arguments: &str) -> Value {
    json!({
        "id": id,
        "type": "function",
        "function": { "name": name, "arguments": arguments },
    })
}

/// One choice of a (non-streaming) chat completion.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub(crate) content: Option<String>,
    pub(crate) tool_calls: Vec<Value>,
    pub(crate) finish_reason: String,
}

/// A complete `chat.completion` object.
pub(crate) fn chat_completion(model: &str, choices: &[Choice], usage: Value) -> Value {
    let choices: Vec<Value> = choices
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let mut message = Map::new();
            message.insert("role".into(), "assistant".into());
            message.insert(
                "content".into(),
                c.content.clone().map_or(Value::Null, Value::String),
            );
            if !c.tool_calls.is_empty() {
                message.insert("tool_calls".into(), Value::Array(c.tool_calls.clone()));
            }
            json!({
                "index": index,
                "message": message,
                "finish_reason": c.finish_reason,
            })
        })
        .collect();
    json!({
        "id": chat_id(),
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "choices": choices,
        "usage": usage,
    })
}

/// Builds the chunks of one streamed chat completion, all sharing an id.
#[derive(Debug)]
pub(crate) struct ChunkBuilder {
    id: String,
    created: u64,
    model: String,
}

impl ChunkBuilder {
    pub(crate) fn new(model: &str) -> Self {
        Self {
            id: chat_id(),
            created: unix_now(),
            model: model.to_owned(),
        }
    }

    fn chunk(&self, choices: Value) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        })
    }

    /// A chunk with one choice (index 0) carrying `delta`.
    pub(crate) fn delta(&self, delta: Value, finish_reason: Option<&str>) -> Value {
        self.chunk(json!([{ "index": 0, "delta": delta, "finish_reason": finish_reason }]))
    }

    /// The closing chunk: no choices, only `usage`.
    pub(crate) fn usage(&self, usage: Value) -> Value {
        let mut chunk = self.chunk(json!([]));
        chunk["usage"] = usage;
        chunk
    }

    /// The full chunk sequence of a streamed text answer: the pieces as
    /// content deltas (the first also carrying the role), a finishing chunk,
    /// and the usage chunk. `[DONE]` is not included.
    pub(crate) fn text_events(
        &self,
        pieces: &[String],
        finish_reason: &str,
        usage: Value,
    ) -> Vec<Value> {
        let mut events = Vec::with_capacity(pieces.len() + 2);
        if pieces.is_empty() {
            events.push(self.delta(json!({ "role": "assistant", "content": "" }), None));
        }
        for (i, piece) in pieces.iter().enumerate() {
            let delta = if i == 0 {
                json!({ "role": "assistant", "content": piece })
            } else {
                json!({ "content": piece })
            };
            events.push(self.delta(delta, None));
        }
        events.push(self.delta(json!({}), Some(finish_reason)));
        events.push(self.usage(usage));
        events
    }

    /// The full chunk sequence of one streamed tool call: a chunk opening the
    /// call (id, name, empty arguments), one per argument piece, a chunk
    /// finishing with `tool_calls`, and the usage chunk.
    pub(crate) fn tool_call_events(
        &self,
        id: &str,
        name: &str,
        argument_pieces: &[String],
        usage: Value,
    ) -> Vec<Value> {
        let mut events = Vec::with_capacity(argument_pieces.len() + 3);
        events.push(self.delta(
            json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "index": 0,
                    "id": id,
                    "type": "function",
                    "function": { "name": name, "arguments": "" },
                }],
            }),
            None,
        ));
        for piece in argument_pieces {
            events.push(self.delta(
                json!({ "tool_calls": [{ "index": 0, "function": { "arguments": piece } }] }),
                None,
            ));
        }
        events.push(self.delta(json!({}), Some("tool_calls")));
        events.push(self.usage(usage));
        events
    }
}

/// The v1 API's model list (`GET …/models`): `{"object":"list","data":[..]}`.
pub(crate) fn model_list(ids: &[&str]) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "id": id, "object": "model", "created": 0, "owned_by": "demo" }))
        .collect();
    json!({ "object": "list", "data": data })
}

/// FNV-1a, to turn an input into a seed.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A deterministic unit-length vector derived from `seed`, each component
/// rounded to 6 decimals so the JSON stays short.
pub(crate) fn embedding_vector(seed: &str, dims: usize) -> Vec<f64> {
    let mut state = fnv1a(seed.as_bytes());
    let raw: Vec<f64> = (0..dims)
        .map(|_| (splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
        .collect();
    let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt();
    let norm = if norm > 0.0 { norm } else { 1.0 };
    raw.iter()
        .map(|x| ((x / norm) * 1e6).round() / 1e6)
        .collect()
}

/// A vector as the service sends it with `encoding_format: base64`: the
/// little-endian `f32` bytes, standard base64 with padding.
pub(crate) fn base64_f32(values: &[f64]) -> String {
    let bytes: Vec<u8> = values
        .iter()
        .flat_map(|v| (*v as f32).to_le_bytes())
        .collect();
    BASE64_STANDARD.encode(bytes)
}

/// One `data` item of an embeddings result.
pub(crate) fn embedding_item(index: usize, vector: &[f64], base64: bool) -> Value {
    let embedding = if base64 {
        Value::String(base64_f32(vector))
    } else {
        json!(vector)
    };
    json!({ "object": "embedding", "embedding": embedding, "index": index })
}

/// A complete embeddings result (`"object": "list"`).
pub(crate) fn embeddings_result(model: &str, data: Vec<Value>, prompt_tokens: u64) -> Value {
    json!({
        "id": embeddings_id(),
        "object": "list",
        "data": data,
        "model": model,
        "usage": { "prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens },
    })
}

/// A model info object (`GET /info`).
pub(crate) fn model_info(name: &str, model_type: &str, provider: &str) -> Value {
    json!({
        "model_name": name,
        "model_type": model_type,
        "model_provider_name": provider,
    })
}

/// The service's error body: `{"error": {"code", "message", "status"}}`.
pub(crate) fn error_body(status: u16, code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message, "status": status } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_deterministic_and_unit_length() {
        let a = embedding_vector("hello", 8);
        assert_eq!(a, embedding_vector("hello", 8));
        assert_ne!(a, embedding_vector("hellp", 8));
        let norm: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }

    #[test]
    fn base64_is_little_endian_f32() {
        let b64 = base64_f32(&[1.0, -2.5]);
        let bytes = BASE64_STANDARD.decode(b64).unwrap();
        assert_eq!(bytes.len(), 8);
        assert_eq!(f32::from_le_bytes(bytes[0..4].try_into().unwrap()), 1.0);
        assert_eq!(f32::from_le_bytes(bytes[4..8].try_into().unwrap()), -2.5);
    }

    #[test]
    fn uuid_shape() {
        let id = embeddings_id();
        let parts: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn message_text_reads_parts() {
        let m = json!({"role":"user","content":[{"type":"text","text":"a b"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"c"}]});
        assert_eq!(message_text(&m).as_deref(), Some("a b c"));
        assert_eq!(
            message_text(&json!({"role":"assistant","content":null})),
            None
        );
    }
}
