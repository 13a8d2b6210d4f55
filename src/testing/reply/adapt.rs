//! How a realistic [`Reply`] helper adapts its body to the request it answers.

use serde_json::{Value, json};

use super::Reply;
use crate::testing::request::RecordedRequest;
use crate::testing::wire;

/// What a realistic helper adapts to the request it answers.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Adapt {
    pub(super) model: bool,
    pub(super) prompt_tokens: bool,
    pub(super) embedding_encoding: bool,
}

impl Adapt {
    pub(super) const CHAT: Adapt = Adapt {
        model: true,
        prompt_tokens: true,
        embedding_encoding: false,
    };
    pub(super) const EMBEDDINGS: Adapt = Adapt {
        model: true,
        prompt_tokens: true,
        embedding_encoding: true,
    };

    fn any(self) -> bool {
        self.model || self.prompt_tokens || self.embedding_encoding
    }
}

impl Reply {
    /// Adapts a helper's body to the request it answers.
    pub(super) fn adapt_to(&mut self, request: &RecordedRequest) {
        if !self.adapt.any() {
            return;
        }
        let Some(req) = request.json() else { return };
        let adapt = self.adapt;
        if adapt.model
            && let Some(model) = req.get("model").and_then(Value::as_str)
        {
            self.set_model(model.to_owned());
        }
        if adapt.prompt_tokens {
            let prompt = match req.get("messages").and_then(Value::as_array) {
                Some(messages) => Some(wire::chat_prompt_tokens(messages)),
                None => wire::embeddings_prompt_tokens(&req),
            };
            if let Some(prompt) = prompt {
                self.for_each_json(|v| {
                    if let Some(usage) = v.get_mut("usage").and_then(Value::as_object_mut) {
                        let completion = usage
                            .get("completion_tokens")
                            .and_then(Value::as_u64)
                            .unwrap_or(0);
                        usage.insert("prompt_tokens".into(), json!(prompt));
                        usage.insert("total_tokens".into(), json!(prompt + completion));
                    }
                });
            }
        }
        if adapt.embedding_encoding
            && req.get("encoding_format").and_then(Value::as_str) == Some("base64")
        {
            self.for_each_json(|v| {
                let Some(data) = v.get_mut("data").and_then(Value::as_array_mut) else {
                    return;
                };
                for item in data {
                    let Some(embedding) = item.get_mut("embedding") else {
                        continue;
                    };
                    if let Some(values) = embedding.as_array() {
                        let floats: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
                        *embedding = Value::String(wire::base64_f32(&floats));
                    }
                }
            });
        }
    }
}
