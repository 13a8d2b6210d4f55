//! The Braintrust names of the core's request parameters and token counts,
//! spelled here and nowhere else. Both maps are exhaustive `match`es over
//! the core's enums: a new [`RequestParam`] or [`TokenCount`] does not
//! build until it has an arm here, so adding a parameter or a count is one
//! row in the core's table and one arm in this file.

use super::row::RowMetrics;
use crate::telemetry::{RequestParam, TokenCount};

/// The key of `param` in an `llm` row's `metadata`: its wire name, for the
/// parameters Braintrust's instrumentation guide allows there; `None`: not
/// sent on llm rows (other rows keep the attribute under its own key).
pub(super) fn metadata_key(param: RequestParam) -> Option<&'static str> {
    use RequestParam as P;
    match param {
        P::MaxTokens => Some("max_tokens"),
        P::Temperature => Some("temperature"),
        P::TopP => Some("top_p"),
        P::FrequencyPenalty => Some("frequency_penalty"),
        P::PresencePenalty => Some("presence_penalty"),
        P::Stop => Some("stop"),
        P::ToolChoice => Some("tool_choice"),
        P::ParallelToolCalls => Some("parallel_tool_calls"),
        P::ResponseFormatJson => Some("response_format"),
        // This integration's own allow-list, which the guide permits: the
        // v1 API's reasoning-model parameters.
        P::MaxCompletionTokens => Some("max_completion_tokens"),
        P::ReasoningEffort => Some("reasoning_effort"),
        // An embeddings row takes it as `input.output_dimensions`.
        P::Dimensions => None,
        // The Responses API's own settings: not in the guide's allow-list.
        P::ReasoningSummary | P::PreviousResponseId | P::Store | P::Truncation => None,
        P::Seed | P::EncodingFormat | P::ResponseFormat | P::Stream | P::ChoiceCount => None,
    }
}

/// The slot of `count` in a row's `metrics` (its field name is the
/// Braintrust metric).
pub(super) fn token_metric(metrics: &mut RowMetrics, count: TokenCount) -> &mut Option<i64> {
    match count {
        TokenCount::Input => &mut metrics.prompt_tokens,
        TokenCount::Output => &mut metrics.completion_tokens,
        TokenCount::CacheReadInput => &mut metrics.prompt_cached_tokens,
        TokenCount::ReasoningOutput => &mut metrics.completion_reasoning_tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::REQUEST_PARAMS;

    /// A metadata key is the parameter's wire name, as the guide spells it.
    #[test]
    fn metadata_keys_are_wire_names() {
        for spec in REQUEST_PARAMS {
            if let Some(key) = metadata_key(spec.param) {
                assert_eq!(key, spec.wire_name, "{spec:?}");
            }
        }
    }
}
