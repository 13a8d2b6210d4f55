//! Model information (`GET /info`).

use serde::{Deserialize, Serialize};

use super::common::{extensible_enum, null_as_default};

/// What the endpoint says about its model (`ModelInfo`, the body of `GET /info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// `model_name`: for example `Phi-4` (empty when the service sent none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub model_name: String,
    /// `model_type`: what kind of model it is.
    #[serde(default = "unknown_model_type")]
    pub model_type: ModelType,
    /// `model_provider_name`: for example `Microsoft` (empty when the service sent none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub model_provider_name: String,
}

/// `model_type` absent from the body.
fn unknown_model_type() -> ModelType {
    ModelType::Other(String::new())
}

extensible_enum! {
    /// The kind of model (`model_type` on the wire).
    ///
    /// The stable API documents `embeddings` and `chat-completion`; earlier
    /// SDKs also knew the other values. `chat_completion` and `chat` are read
    /// as [`ChatCompletion`](ModelType::ChatCompletion), which is written as
    /// `chat-completion`. Anything else is kept as
    /// [`Other`](ModelType::Other).
    pub enum ModelType {
        /// `"embeddings"`: text embeddings.
        Embeddings = "embeddings",
        /// `"image_generation"`: image generation.
        ImageGeneration = "image_generation",
        /// `"text_generation"`: text generation.
        TextGeneration = "text_generation",
        /// `"image_embeddings"`: image embeddings.
        ImageEmbeddings = "image_embeddings",
        /// `"audio_generation"`: audio generation.
        AudioGeneration = "audio_generation",
        /// `"chat-completion"` (also read from `chat_completion` and `chat`): chat completions.
        ChatCompletion = "chat-completion" | "chat_completion" | "chat",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_documented_example() {
        let info: ModelInfo = serde_json::from_value(json!({
            "model_name": "Phi-4",
            "model_type": "chat-completion",
            "model_provider_name": "Microsoft"
        }))
        .unwrap();
        assert_eq!(
            info,
            ModelInfo {
                model_name: "Phi-4".into(),
                model_type: ModelType::ChatCompletion,
                model_provider_name: "Microsoft".into(),
            }
        );
        assert_eq!(
            serde_json::to_value(&info).unwrap(),
            json!({
                "model_name": "Phi-4",
                "model_type": "chat-completion",
                "model_provider_name": "Microsoft"
            })
        );
    }

    #[test]
    fn model_types_known_aliases_and_unknown() {
        for (wire, expected) in [
            ("embeddings", ModelType::Embeddings),
            ("image_generation", ModelType::ImageGeneration),
            ("text_generation", ModelType::TextGeneration),
            ("image_embeddings", ModelType::ImageEmbeddings),
            ("audio_generation", ModelType::AudioGeneration),
            ("chat-completion", ModelType::ChatCompletion),
            ("chat_completion", ModelType::ChatCompletion),
            ("chat", ModelType::ChatCompletion),
            ("speech-to-text", ModelType::Other("speech-to-text".into())),
        ] {
            let parsed: ModelType = serde_json::from_value(json!(wire)).unwrap();
            assert_eq!(parsed, expected, "{wire}");
        }
        let other = ModelType::Other("rerank".into());
        assert_eq!(other.as_str(), "rerank");
        assert_eq!(serde_json::to_value(&other).unwrap(), json!("rerank"));
        assert_eq!(ModelType::ImageEmbeddings.as_str(), "image_embeddings");
    }

    #[test]
    fn missing_and_unknown_fields_are_tolerated() {
        let info: ModelInfo =
            serde_json::from_value(json!({"model_name": "m", "model_provider_name": null, "x": 1}))
                .unwrap();
        assert_eq!(info.model_name, "m");
        assert_eq!(info.model_provider_name, "");
        assert_eq!(info.model_type, ModelType::Other(String::new()));
    }
}
