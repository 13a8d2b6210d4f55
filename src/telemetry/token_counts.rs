//! The table of token counts the service reports in `usage`: span attribute
//! and token-usage histogram type per count (the Braintrust exporter names
//! each [`TokenCount`]'s metric in one `match` of its own). The
//! request-side table is [`REQUEST_PARAMS`](super::REQUEST_PARAMS).

use super::semconv as sc;

/// A token count the service reports in `usage`. The discriminant is the
/// count's row in [`TOKEN_COUNTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenCount {
    /// `usage.prompt_tokens`.
    Input,
    /// `usage.completion_tokens`.
    Output,
    /// `usage.prompt_tokens_details.cached_tokens`.
    CacheReadInput,
    /// `usage.completion_tokens_details.reasoning_tokens`.
    ReasoningOutput,
}

/// One row of [`TOKEN_COUNTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCountSpec {
    /// The count.
    pub count: TokenCount,
    /// Its path in the response body.
    pub wire_name: &'static str,
    /// Its span attribute (an int), the same in both vocabularies.
    pub key: &'static str,
    /// Its `gen_ai.token.type` on the token-usage histogram; `None`: not a
    /// histogram point (counts that are part of another, such as cached tokens).
    pub token_type: Option<&'static str>,
}

/// The token counts, one row each, in [`TokenCount`] order. The span
/// attributes, the token-usage histogram and the Braintrust row's token
/// metrics are read from it.
pub const TOKEN_COUNTS: &[TokenCountSpec] = &[
    TokenCountSpec {
        count: TokenCount::Input,
        wire_name: "usage.prompt_tokens",
        key: sc::GEN_AI_USAGE_INPUT_TOKENS,
        token_type: Some(sc::TOKEN_TYPE_INPUT),
    },
    TokenCountSpec {
        count: TokenCount::Output,
        wire_name: "usage.completion_tokens",
        key: sc::GEN_AI_USAGE_OUTPUT_TOKENS,
        token_type: Some(sc::TOKEN_TYPE_OUTPUT),
    },
    // Details are parts of the counts above: no histogram point of their own
    // (`gen_ai.token.type` has only `input` and `output`). The 2025-04-01 API
    // reports no cache-write count, so there is no cache-creation row.
    TokenCountSpec {
        count: TokenCount::CacheReadInput,
        wire_name: "usage.prompt_tokens_details.cached_tokens",
        key: sc::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
        token_type: None,
    },
    TokenCountSpec {
        count: TokenCount::ReasoningOutput,
        wire_name: "usage.completion_tokens_details.reasoning_tokens",
        key: sc::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
        token_type: None,
    },
];

// The table and the discriminants agree, or the crate does not build.
const _: () = {
    let mut i = 0;
    while i < TOKEN_COUNTS.len() {
        assert!(TOKEN_COUNTS[i].count as usize == i);
        i += 1;
    }
};

impl TokenCountSpec {
    /// The row whose attribute key is `key`.
    pub fn for_attribute(key: &str) -> Option<&'static TokenCountSpec> {
        TOKEN_COUNTS.iter().find(|t| t.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_counts_are_unique() {
        for (i, a) in TOKEN_COUNTS.iter().enumerate() {
            for b in &TOKEN_COUNTS[i + 1..] {
                assert_ne!(a.key, b.key);
            }
        }
        assert_eq!(
            TokenCountSpec::for_attribute(sc::GEN_AI_USAGE_OUTPUT_TOKENS).map(|t| t.count),
            Some(TokenCount::Output)
        );
        // Only input and output are histogram points; details are parts of them.
        let typed: Vec<_> = TOKEN_COUNTS.iter().filter_map(|t| t.token_type).collect();
        assert_eq!(typed, [sc::TOKEN_TYPE_INPUT, sc::TOKEN_TYPE_OUTPUT]);
    }
}
