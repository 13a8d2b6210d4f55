//! The Responses API answer: [`ModelResponse`], its status, usage and errors.

use serde::{Deserialize, Serialize};

use super::common::{CompletionsUsageDetails, PromptUsageDetails};
use super::common::{extensible_enum, null_as_default};
use super::responses_items::{ResponseContentPart, ResponseItem, ResponseMessageContent};

extensible_enum! {
    /// A response's `status`.
    pub enum ResponseStatus {
        /// `"completed"`.
        Completed = "completed",
        /// `"incomplete"`: see [`ModelResponse::incomplete_details`].
        Incomplete = "incomplete",
        /// `"failed"`: see [`ModelResponse::error`].
        Failed = "failed",
        /// `"in_progress"` (stream events before the end).
        InProgress = "in_progress",
        /// `"queued"` (background requests).
        Queued = "queued",
        /// `"cancelled"`.
        Cancelled = "cancelled",
    }
}

/// `incomplete_details`: why a response stopped early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncompleteDetails {
    /// `reason`: `max_output_tokens` or `content_filter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `error` of a failed response, and of an `error` stream event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseError {
    /// `code`: `server_error`, `rate_limit_exceeded`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `message`: the service's explanation.
    #[serde(default)]
    pub message: String,
}

/// `usage` of a response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResponseUsage {
    /// `input_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// `input_tokens_details`: `cached_tokens`, input tokens read from the
    /// prompt cache (the chat API's prompt details, under another name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens_details: Option<PromptUsageDetails>,
    /// `output_tokens`, reasoning included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// `output_tokens_details`: `reasoning_tokens`, output tokens spent
    /// reasoning (the chat API's completion details, under another name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_details: Option<CompletionsUsageDetails>,
    /// `total_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
}

/// A Responses API answer (`"object":"response"`), whole or as carried by
/// stream events.
///
/// Read leniently: fields some services leave out are optional, unknown
/// fields are ignored, unknown output item types are kept as JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelResponse {
    /// `id`: `resp_...`.
    #[serde(default)]
    pub id: String,
    /// `created_at`: unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// `model`: the model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ResponseStatus>,
    /// `output`: the items the model produced, in order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub output: Vec<ResponseItem>,
    /// `usage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<ResponseUsage>,
    /// `incomplete_details`, when `status` is `incomplete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete_details: Option<IncompleteDetails>,
    /// `error`, when `status` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
    /// `previous_response_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
}

impl ModelResponse {
    /// The text of every `output_text` part of every message, joined (the
    /// SDKs' `output_text`); `None` when there is none.
    pub fn output_text(&self) -> Option<String> {
        let mut out: Option<String> = None;
        for item in &self.output {
            let ResponseItem::Message {
                content: ResponseMessageContent::Parts(parts),
                ..
            } = item
            else {
                continue;
            };
            for part in parts {
                if let ResponseContentPart::OutputText { text, .. } = part {
                    out.get_or_insert_with(String::new).push_str(text);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_full_answer() {
        let body = json!({
            "id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-5-mini",
            "status": "completed", "error": null, "incomplete_details": null,
            "output": [
                {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "think"}]},
                {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": "Hel", "annotations": []},
                             {"type": "output_text", "text": "lo", "annotations": []}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}", "status": "completed"}
            ],
            "usage": {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4},
                      "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 12}, "total_tokens": 30},
            "parallel_tool_calls": true, "tools": []
        });
        let r: ModelResponse = serde_json::from_value(body).unwrap();
        assert_eq!(r.status, Some(ResponseStatus::Completed));
        assert_eq!(r.output_text().as_deref(), Some("Hello"));
        assert_eq!(
            r.output
                .iter()
                .filter(|i| i.kind() == "function_call")
                .count(),
            1
        );
        let usage = r.usage.unwrap();
        assert_eq!(usage.input_tokens_details.unwrap().cached_tokens, Some(4));
        assert_eq!(
            usage.output_tokens_details.unwrap().reasoning_tokens,
            Some(12)
        );
        assert!(r.error.is_none());
    }
}
