//! `ChatCompletionsClient`: chat completions, whole or streamed.

use crate::error::{Error, Result};
use crate::models::{
    ChatCompletions, ChatCompletionsOptions, ChatCompletionsResponseFormat, StreamOptions,
};
use opentelemetry::Context;

use crate::telemetry::semconv;
use crate::telemetry::{
    ChoiceRecord, Instrumentation, Operation, OperationSpan, ParamValue, RequestAttributes,
    RequestParam, RequestParams, ResponseRecord, ToolCallRecord, UsageRecord, named_tool_choice,
};

use super::stream::StreamingChatCompletions;

const ROUTE: &str = "chat/completions";

declare_client! {
    /// A client for `POST {endpoint}/chat/completions`.
    ///
    /// Every call makes a `chat {model}` CLIENT span (see the crate docs); the
    /// future and the stream end it on every path, including when dropped.
    ///
    /// ```no_run
    /// # async fn demo() -> azure_ai_inference_otel::Result<()> {
    /// use azure_ai_inference_otel::client::{ChatCompletionsClient, Credential};
    /// use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
    ///
    /// let client = ChatCompletionsClient::new(
    ///     "https://my-resource.openai.azure.com/openai/v1",
    ///     Credential::api_key(std::env::var("AZURE_AI_INFERENCE_KEY").unwrap_or_default())?,
    ///     None,
    /// )?;
    /// let answer = client
    ///     .complete(ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Hello!")]).with_model("gpt-4o-mini"))
    ///     .await?;
    /// println!("{}", answer.content().unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub struct ChatCompletionsClient;
    /// A client for `endpoint`: the v1 API `https://<resource>.openai.azure.com/openai/v1`
    /// (or `.services.ai.azure.com/openai/v1`; every request then needs a
    /// model, the deployment name), an Azure OpenAI deployment
    /// `https://<resource>.openai.azure.com/openai/deployments/<name>`, or a
    /// Model Inference (`.../models`, retired 2026-08-26) or serverless
    /// endpoint. See [`Endpoint`](super::Endpoint) for how each is called.
    pub fn new;
    get_model_info;
}

impl ChatCompletionsClient {
    /// Asks for a chat completion and waits for the whole answer.
    ///
    /// The request's model, else the client's default model, is sent.
    pub async fn complete(&self, mut options: ChatCompletionsOptions) -> Result<ChatCompletions> {
        options.stream = None;
        let mut span = self.start(&mut options)?;
        let result = async {
            let body = serde_json::to_vec(&options).map_err(Error::Serialize)?;
            self.core
                .post_and_decode::<ChatCompletions>(ROUTE, body, &mut span)
                .await
        }
        .await;
        match result {
            Ok(completions) => {
                span.record_response(&response_record(&completions));
                span.end();
                Ok(completions)
            }
            Err(error) => {
                span.fail(&error);
                Err(error)
            }
        }
    }

    /// Asks for a streamed chat completion. Resolves once the service has
    /// accepted the request; the returned stream yields updates as they
    /// arrive and ends after `data: [DONE]`.
    ///
    /// On v1 and Azure OpenAI deployment endpoints, a request without
    /// `stream_options` is sent `"stream_options": {"include_usage": true}`,
    /// so the last chunk carries the token counts the span, the metrics and
    /// the Braintrust row need (the OpenAI API sends none otherwise). A
    /// `stream_options` the caller set is sent as it is.
    pub async fn complete_streaming(
        &self,
        mut options: ChatCompletionsOptions,
    ) -> Result<StreamingChatCompletions> {
        options.stream = Some(true);
        // The OpenAI API reports usage on a stream only when asked to.
        if options.stream_options.is_none() && self.core.endpoint_kind().is_openai() {
            options.stream_options = Some(StreamOptions::include_usage());
        }
        let span = self.start(&mut options)?;
        self.core
            .stream(
                ROUTE,
                &options,
                span,
                StreamingChatCompletions::from_response,
            )
            .await
    }

    /// Fills in the default model and starts the span, recording the request
    /// content when recording is on. A v1 request without a model fails here.
    fn start(&self, options: &mut ChatCompletionsOptions) -> Result<OperationSpan> {
        self.core.resolve_model(&mut options.model)?;
        let api_type = self
            .core
            .endpoint_kind()
            .is_openai()
            .then_some(semconv::OPENAI_API_TYPE_CHAT_COMPLETIONS);
        Ok(start_span(
            self.core.instrumentation(),
            options,
            api_type,
            &Context::current(),
        ))
    }
}

/// Starts the `chat` span of a request under `parent`, recording the
/// request content when recording is on: what this client does, and what
/// the instrumentation of other clients (`crate::instrument`) does with the
/// request it decoded. `api_type` is `openai.api.type`, for calls to the v1
/// API or Azure OpenAI deployment routes.
pub(crate) fn start_span(
    instrumentation: &Instrumentation,
    options: &ChatCompletionsOptions,
    api_type: Option<&'static str>,
    parent: &Context,
) -> OperationSpan {
    let request = request_attributes(options, instrumentation.records_content())
        .with_openai_api_type(api_type);
    let mut span = instrumentation.start_with_parent(Operation::Chat, &request, parent);
    if span.records_content() {
        span.record_input_messages(options.messages.iter().map(|m| (m.role(), m)));
        if let Some(tools) = &options.tools {
            span.record_tool_definitions(tools);
        }
    }
    span
}

/// The request as the telemetry core sees it. The `match` is exhaustive: a
/// new row of the parameter table does not compile until it is filled here.
/// `record_content` decides how much of `response_format` and of a named
/// `tool_choice` is recorded (a JSON schema and a tool's name are content;
/// their `type` is not).
fn request_attributes(o: &ChatCompletionsOptions, record_content: bool) -> RequestAttributes<'_> {
    let params = RequestParams::from_fn(|param| match param {
        RequestParam::MaxTokens => o.max_tokens.map(ParamValue::from),
        RequestParam::MaxCompletionTokens => o.max_completion_tokens.map(ParamValue::from),
        RequestParam::ReasoningEffort => o.reasoning_effort.as_deref().map(ParamValue::from),
        RequestParam::Dimensions
        | RequestParam::ReasoningSummary
        | RequestParam::PreviousResponseId
        | RequestParam::Store
        | RequestParam::Truncation => None,
        RequestParam::Temperature => o.temperature.map(ParamValue::from),
        RequestParam::TopP => o.top_p.map(ParamValue::from),
        RequestParam::FrequencyPenalty => o.frequency_penalty.map(ParamValue::from),
        RequestParam::PresencePenalty => o.presence_penalty.map(ParamValue::from),
        RequestParam::Seed => o.seed.map(ParamValue::from),
        RequestParam::Stop => o.stop.as_deref().map(ParamValue::from),
        RequestParam::ResponseFormat => o.response_format.as_ref().map(|f| {
            ParamValue::Text(match f {
                ChatCompletionsResponseFormat::Text => "text",
                ChatCompletionsResponseFormat::JsonObject => "json_object",
                ChatCompletionsResponseFormat::JsonSchema { .. } => "json_schema",
            })
        }),
        RequestParam::EncodingFormat => None,
        RequestParam::Stream => o.stream.map(ParamValue::Bool),
        // `n` is not in the REST API's request schema: it travels as an
        // extra parameter, for the models that take it.
        RequestParam::ChoiceCount => o
            .extra
            .get("n")
            .and_then(serde_json::Value::as_i64)
            .map(ParamValue::Int),
        RequestParam::ToolChoice => o.tool_choice.as_ref().map(|choice| match choice.mode() {
            Some(mode) => ParamValue::Text(mode),
            None => named_tool_choice(choice.kind(), choice, record_content),
        }),
        // Not in the REST API's request schema either: an extra parameter.
        RequestParam::ParallelToolCalls => o
            .extra
            .get("parallel_tool_calls")
            .and_then(serde_json::Value::as_bool)
            .map(ParamValue::Bool),
        RequestParam::ResponseFormatJson => o.response_format.as_ref().map(|f| {
            if record_content {
                ParamValue::Json(f)
            } else {
                ParamValue::Text(match f {
                    ChatCompletionsResponseFormat::Text => r#"{"type":"text"}"#,
                    ChatCompletionsResponseFormat::JsonObject => r#"{"type":"json_object"}"#,
                    ChatCompletionsResponseFormat::JsonSchema { .. } => r#"{"type":"json_schema"}"#,
                })
            }
        }),
    });
    RequestAttributes {
        model: o.model.as_deref(),
        params,
        openai_api_type: None,
    }
}

/// A whole answer as the span records it.
pub(crate) fn response_record(r: &ChatCompletions) -> ResponseRecord<'_> {
    ResponseRecord {
        id: Some(r.id.as_str()).filter(|id| !id.is_empty()),
        model: r.model.as_deref(),
        usage: r.usage.as_ref().map(UsageRecord::from),
        choices: r
            .choices
            .iter()
            .map(|c| ChoiceRecord {
                index: c.index,
                finish_reason: c.finish_reason.as_ref().map(|f| f.as_str()),
                content: c.message.content.as_deref(),
                reasoning: c.message.reasoning_content.as_deref(),
                tool_calls: c
                    .message
                    .tool_calls
                    .iter()
                    .flatten()
                    .map(|t| ToolCallRecord {
                        id: &t.id,
                        kind: &t.r#type,
                        name: &t.function.name,
                        arguments: &t.function.arguments,
                    })
                    .collect(),
            })
            .collect(),
    }
}
