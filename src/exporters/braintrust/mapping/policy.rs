//! The guide's data policy for `llm` rows: "instrumentation MUST NOT capture
//! any data or fields unless this guide explicitly requires or allows them".
//!
//! An llm row's `metadata` keeps only:
//! - `model` and `provider` (required);
//! - the request parameters the guide lists (`temperature`, `top_p`,
//!   `max_tokens`, `frequency_penalty`, `presence_penalty`, `stop`,
//!   `response_format`) and this integration's own allow-list, which the
//!   guide permits (`max_completion_tokens` and `reasoning_effort`, the v1
//!   API's reasoning-model parameters): the rows of
//!   [`REQUEST_PARAMS`](crate::telemetry::REQUEST_PARAMS) with a
//!   `braintrust_key`;
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

use crate::telemetry::REQUEST_PARAMS;

/// The keys an llm row's `metadata` may carry besides the request parameters.
pub(crate) const LLM_METADATA_KEYS: &[&str] = &[
    "model",
    "provider",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_tool_calls",
];

/// The request parameters' keys the guide allows, as the table names them,
/// then this integration's own (the guide lets an integration allow-list
/// fields one by one).
const ALLOWED_PARAMS: &[&str] = &[
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

/// Whether an llm row's `metadata` may carry `key`: the policy as the
/// lists state it. Both row paths go through [`llm_metadata_rank`], which
/// computes this at compile time; the tests hold the two together.
#[cfg(test)]
fn llm_metadata_allowed(key: &str) -> bool {
    LLM_METADATA_KEYS.contains(&key)
        || (ALLOWED_PARAMS.contains(&key)
            && REQUEST_PARAMS.iter().any(|p| p.braintrust_key == Some(key)))
}

/// Every key of [`LLM_METADATA_KEYS`] and [`ALLOWED_PARAMS`], in byte
/// order (a test keeps it so): an allowed key's place here is its place in
/// a sorted `metadata`.
const SORTED_ALLOWED: &[&str] = &[
    "frequency_penalty",
    "max_completion_tokens",
    "max_tokens",
    "max_tool_calls",
    "model",
    "parallel_tool_calls",
    "presence_penalty",
    "provider",
    "reasoning_effort",
    "response_format",
    "stop",
    "temperature",
    "tool_choice",
    "tools",
    "top_p",
];

/// How many keys an llm row's `metadata` can hold: the slots of
/// [`llm_metadata_rank`].
pub(crate) const LLM_METADATA_SLOTS: usize = SORTED_ALLOWED.len();

/// Where `key` goes in an llm row's sorted `metadata`, `None` when the
/// policy leaves it out: the row writer sorts by it, comparing numbers
/// instead of texts.
pub(crate) fn llm_metadata_rank(key: &str) -> Option<usize> {
    // A `match` (the compiler dispatches on the length, then compares
    // once) and a verdict computed at compile time, rather than a walk of
    // `SORTED_ALLOWED` followed by a walk of the lists: about 180
    // instructions per exported default chat span (callgrind). The arms
    // copy `SORTED_ALLOWED` (a test keeps them in step) because most keys
    // an llm span carries are rejected by their length alone: a binary
    // search of `SORTED_ALLOWED` compares texts for every key and measured
    // 12.6k instructions per span instead of 10.2k.
    let rank = match key {
        "frequency_penalty" => 0,
        "max_completion_tokens" => 1,
        "max_tokens" => 2,
        "max_tool_calls" => 3,
        "model" => 4,
        "parallel_tool_calls" => 5,
        "presence_penalty" => 6,
        "provider" => 7,
        "reasoning_effort" => 8,
        "response_format" => 9,
        "stop" => 10,
        "temperature" => 11,
        "tool_choice" => 12,
        "tools" => 13,
        "top_p" => 14,
        _ => return None,
    };
    ALLOWED_BY_RANK.get(rank).copied()?.then_some(rank)
}

/// `llm_metadata_allowed` of each key of [`SORTED_ALLOWED`], evaluated by
/// the compiler.
const ALLOWED_BY_RANK: [bool; SORTED_ALLOWED.len()] = {
    const fn eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    const fn listed(list: &[&str], key: &str) -> bool {
        let mut i = 0;
        while i < list.len() {
            if eq(list[i], key) {
                return true;
            }
            i += 1;
        }
        false
    }
    const fn in_table(key: &str) -> bool {
        let mut i = 0;
        while i < REQUEST_PARAMS.len() {
            if let Some(k) = REQUEST_PARAMS[i].braintrust_key
                && eq(k, key)
            {
                return true;
            }
            i += 1;
        }
        false
    }
    let mut out = [false; SORTED_ALLOWED.len()];
    let mut i = 0;
    while i < SORTED_ALLOWED.len() {
        let key = SORTED_ALLOWED[i];
        out[i] = listed(LLM_METADATA_KEYS, key) || (listed(ALLOWED_PARAMS, key) && in_table(key));
        i += 1;
    }
    out
};

/// Drops every key the policy does not allow.
pub(super) fn keep_llm_metadata(metadata: &mut Map<String, Json>) {
    metadata.retain(|key, _| llm_metadata_rank(key).is_some());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parameter row that names a Braintrust key must name one the guide
    /// allows: a new row with a key outside the list fails here.
    #[test]
    fn every_braintrust_key_of_the_parameter_table_is_allowed() {
        for spec in REQUEST_PARAMS {
            if let Some(key) = spec.braintrust_key {
                assert!(
                    ALLOWED_PARAMS.contains(&key) || LLM_METADATA_KEYS.contains(&key),
                    "{spec:?}"
                );
                assert!(llm_metadata_allowed(key));
            }
        }
        assert!(!llm_metadata_allowed("seed"));
        let mut all: Vec<&str> = LLM_METADATA_KEYS
            .iter()
            .chain(ALLOWED_PARAMS)
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(SORTED_ALLOWED, all);
        // The rank's `match` arms are `SORTED_ALLOWED`, in its order.
        for (place, key) in SORTED_ALLOWED.iter().enumerate() {
            let expected = llm_metadata_allowed(key).then_some(place);
            assert_eq!(llm_metadata_rank(key), expected, "{key}");
        }
        for key in ["seed", "server.address", "tool", "models", ""] {
            assert_eq!(llm_metadata_rank(key), None, "{key}");
        }
        assert!(!llm_metadata_allowed("server.address"));
        // The row writer copies allowed keys without escaping them.
        for key in SORTED_ALLOWED {
            assert!(
                key.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'),
                "{key}"
            );
        }
    }
}
