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
    /// The body is a Responses answer (or its events): `model` and
    /// `usage.input_tokens` live in the response object.
    pub(super) responses: bool,
}

impl Adapt {
    pub(super) const CHAT: Adapt = Adapt {
        model: true,
        prompt_tokens: true,
        embedding_encoding: false,
        responses: false,
    };
    pub(super) const EMBEDDINGS: Adapt = Adapt {
        model: true,
        prompt_tokens: true,
        embedding_encoding: true,
        responses: false,
    };

    /// A Responses answer; `pinned_tokens` when its input tokens are fixed.
    pub(super) const fn responses(pinned_tokens: bool) -> Adapt {
        Adapt {
            model: true,
            prompt_tokens: !pinned_tokens,
            embedding_encoding: false,
            responses: true,
        }
    }

    fn any(self) -> bool {
        self.model || self.prompt_tokens || self.embedding_encoding
    }
}

impl Reply {
    /// A Responses answer's (or event's) response object: the request's
    /// model, and its words as input tokens.
    fn adapt_response(&mut self, req: &Value) {
        let adapt = self.adapt;
        let model = req
            .get("model")
            .and_then(Value::as_str)
            .filter(|_| adapt.model);
        let input = crate::testing::responses_wire::input_tokens(req);
        self.for_each_json(|v| {
            let response = match v.get_mut("response") {
                Some(inner) => inner,
                None => v,
            };
            if let (Some(model), Some(m)) = (model, response.get_mut("model")) {
                *m = json!(model);
            }
            if adapt.prompt_tokens
                && let Some(usage) = response.get_mut("usage").and_then(Value::as_object_mut)
            {
                let cached = usage
                    .get("input_tokens_details")
                    .and_then(|d| d.get("cached_tokens"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let input = input.max(cached);
                let output = usage
                    .get("output_tokens")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                usage.insert("input_tokens".into(), json!(input));
                usage.insert("total_tokens".into(), json!(input + output));
            }
        });
    }

    /// Adapts a helper's body to the request it answers.
    pub(super) fn adapt_to(&mut self, request: &RecordedRequest) {
        if !self.adapt.any() {
            return;
        }
        let Some(req) = request.json() else { return };
        let adapt = self.adapt;
        if adapt.responses {
            self.adapt_response(&req);
            return;
        }
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
