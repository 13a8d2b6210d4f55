//! The guide's data policy for `llm` rows: "instrumentation MUST NOT capture
//! any data or fields unless this guide explicitly requires or allows them".
//!
//! An llm row's `metadata` keeps only:
//! - `model` and `provider` (required);
//! - the request parameters the guide lists (`temperature`, `top_p`,
//!   `max_tokens`, `frequency_penalty`, `presence_penalty`, `stop`,
//!   `response_format`) and this integration's own allow-list, which the
//!   guide permits (`max_completion_tokens` and `reasoning_effort`, the v1
//!   API's reasoning-model parameters): the parameters with a Braintrust
//!   metadata key ([`names::metadata_key`](super::names::metadata_key));
//! - the tool fields: `tools`, `tool_choice`, `parallel_tool_calls`,
//!   `max_tool_calls`.
//!
//! Everything else an llm span carries (`gen_ai.system`, `az.namespace`,
//! `server.address`, `server.port`, `gen_ai.response.id`, the finish reasons,
//! the request model when the service answered with another, `seed`, the
//! embeddings `encoding_format`, the application's own attributes on the
//! client span) is left out: the finish reasons are already in `output`,
//! the error type in `error`, and the rest is not allowed. The application's
//! own spans (`task`) and tool spans keep their attributes.

use serde_json::{Map, Value as Json};

use super::names::metadata_key;
use crate::telemetry::RequestParam;

/// The keys an llm row's `metadata` may carry besides the request parameters.
const LLM_METADATA_KEYS: &[&str] = &[
    "model",
    "provider",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_tool_calls",
];

/// Whether an llm row's `metadata` may carry `key`.
fn llm_metadata_allowed(key: &str) -> bool {
    LLM_METADATA_KEYS.contains(&key)
        || RequestParam::ALL
            .iter()
            .any(|&param| metadata_key(param) == Some(key))
}

/// Drops every key the policy does not allow.
pub(super) fn keep_llm_metadata(metadata: &mut Map<String, Json>) {
    metadata.retain(|key, _| llm_metadata_allowed(key));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request parameters the guide allows, as it names them, then this
    /// integration's own allow-list.
    const GUIDE_PARAMS: &[&str] = &[
        "temperature",
        "top_p",
        "max_tokens",
        "frequency_penalty",
        "presence_penalty",
        "stop",
        "response_format",
        "max_completion_tokens",
        "reasoning_effort",
    ];

    /// A parameter with a Braintrust key must have one the guide allows: a
    /// new arm with a key outside the list fails here.
    #[test]
    fn every_parameter_key_is_one_the_guide_allows() {
        for param in RequestParam::ALL {
            if let Some(key) = metadata_key(param) {
                assert!(
                    GUIDE_PARAMS.contains(&key) || LLM_METADATA_KEYS.contains(&key),
                    "{param:?}"
                );
                assert!(llm_metadata_allowed(key));
            }
        }
        for key in GUIDE_PARAMS.iter().chain(LLM_METADATA_KEYS) {
            assert!(llm_metadata_allowed(key), "{key}");
        }
        for key in ["seed", "server.address", "tool", "models", ""] {
            assert!(!llm_metadata_allowed(key), "{key}");
        }
    }
}
