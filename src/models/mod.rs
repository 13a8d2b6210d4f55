//! Serde types for the Azure AI model inference REST API.
//!
//! The shapes follow the REST API (`2024-05-01-preview` and the stable
//! `2025-04-01`, which adds the `developer` role, `reasoning_content` and
//! token details); the names follow the official Azure SDKs
//! (`azure-ai-inference` for Python and JavaScript). Everything is re-exported
//! flat from this module.
//!
//! - Chat: [`ChatCompletionsOptions`] (request, built with `new` + `with_*`),
//!   [`ChatRequestMessage`], [`ChatCompletions`] (response) and
//!   [`StreamingChatCompletionsUpdate`] (one streamed chunk).
//! - Embeddings: [`EmbeddingsOptions`], [`ImageEmbeddingsOptions`] and their
//!   shared [`EmbeddingsResult`].
//! - Model information: [`ModelInfo`] (`GET /info`) and, on the v1 API,
//!   [`ModelList`] of [`Model`]s (`GET {v1}/models`).
//! - Responses (v1 API): [`ResponsesOptions`] (request, built with `new` +
//!   `with_*`), [`ModelResponse`] (answer), their [`ResponseItem`]s (one
//!   type for input and output, so an answer's items go back as the next
//!   turn's input), and [`ResponseStreamEvent`] (one streamed event).
//!
//! Requests serialize only what is set (`None` fields are left out) and
//! carry an `extra` map for parameters the REST API does not define; reading
//! a JSON request body puts unknown keys in `extra`, so nothing is lost.
//!
//! Responses are read leniently, because services behind this API differ:
//! unknown fields are ignored, fields some services omit (`created`, `model`,
//! `usage`, `role`, ...) are optional or defaulted, and the spec's extensible
//! string enums ([`CompletionsFinishReason`], [`ModelType`], ...) keep values
//! they do not know as `Other(String)` instead of failing.
//!
//! ```
//! use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
//!
//! let request = ChatCompletionsOptions::new(vec![
//!     ChatRequestMessage::system("You are terse."),
//!     ChatRequestMessage::user("What is the capital of France?"),
//! ])
//! .with_model("gpt-4o-mini")
//! .with_max_tokens(50)
//! .with_extra("top_k", 40);
//! let body = serde_json::to_value(&request).unwrap();
//! assert_eq!(body["messages"][1], serde_json::json!({"role": "user", "content": "What is the capital of France?"}));
//! assert_eq!(body["top_k"], 40);
//! assert!(body.get("temperature").is_none());
//! ```

mod chat;
mod chat_response;
mod common;
mod content;
mod embeddings;
mod model_info;
mod model_list;
mod responses;
mod responses_events;
mod responses_items;
mod responses_output;
mod responses_tools;
mod tool_choice;
mod tools;

pub use chat::{ChatCompletionsOptions, ChatRequestMessage, StreamOptions};
pub use chat_response::{
    ChatChoice, ChatCompletions, ChatCompletionsAudio, ChatResponseMessage, FunctionCallUpdate,
    StreamingChatChoiceUpdate, StreamingChatCompletionsUpdate, StreamingChatResponseMessageUpdate,
    StreamingChatResponseToolCallUpdate,
};
pub use common::{
    ChatRole, CompletionsFinishReason, CompletionsUsage, CompletionsUsageDetails,
    PromptUsageDetails,
};
pub use content::{
    AudioContentFormat, ContentItem, ImageDetailLevel, ImageUrl, InputAudio, MessageContent,
};
pub use embeddings::{
    EmbeddingEncodingFormat, EmbeddingItem, EmbeddingVector, EmbeddingsOptions, EmbeddingsResult,
    EmbeddingsUsage, ImageEmbeddingInput, ImageEmbeddingsOptions,
};
pub use model_info::{ModelInfo, ModelType};
pub use model_list::{Model, ModelList};
pub use responses::{ResponseInput, ResponsesOptions};
pub use responses_events::ResponseStreamEvent;
pub use responses_items::{ResponseContentPart, ResponseItem, ResponseMessageContent};
pub use responses_output::{
    IncompleteDetails, ModelResponse, ResponseError, ResponseStatus, ResponseUsage,
};
pub use responses_tools::{
    ReasoningConfig, ReasoningEffort, ReasoningSummary, ResponseTextConfig, ResponseTextFormat,
    ResponseTool, ResponseToolChoice, Truncation,
};
pub use tools::{
    ChatCompletionsResponseFormat, ChatCompletionsToolCall, ChatCompletionsToolChoice,
    ChatCompletionsToolDefinition, FunctionCall, FunctionDefinition, JsonSchemaFormat,
};
