//! The Responses API as the telemetry core records it (TELEMETRY.md §10):
//! functions over the wire types ([`ResponsesOptions`], [`ModelResponse`],
//! [`ResponseStreamEvent`]), so the crate's client and any other code that
//! decoded the same JSON record the same span.
//!
//! - [`start_responses_span`]: one `chat {model}` span with
//!   `openai.api.type` = `responses`, the request parameters, and with
//!   content recording on the instructions, input items and tools.
//! - [`record_model_response`]: id, model, usage (cached and reasoning
//!   tokens), the one finish reason derived from `status`, the choice event
//!   (today's names) or output messages (the newer names), and `az.ai.inference.response.output` (the output
//!   items; content-free without recording).
//! - [`ResponsesStreamRecorder`]: owns the span of a streamed call, gathers
//!   the events (text, argument and summary deltas appended to their items,
//!   kept only with recording on) and ends the span once.

use opentelemetry::KeyValue;
use serde_json::{Value as Json, json};

use super::UsageRecord;
use super::message::{Message, MessagePart, Role, ToolCallPart};
use super::params::{ParamValue, RequestParam, RequestParams};
use super::record::{ChoiceRecord, Operation, RequestAttributes, ResponseRecord, ToolCallRecord};
use super::response_output::{content_free, output_attribute};
use super::semconv::{self as sc, ContentForm};
use super::span::{Instrumentation, OperationSpan, StreamOutcome};
use crate::models::{
    ModelResponse, ResponseContentPart, ResponseInput, ResponseItem, ResponseMessageContent,
    ResponseStatus, ResponseStreamEvent, ResponseTextFormat, ResponseUsage, ResponsesOptions,
};

/// The request as the span records it. A named `tool_choice` is content:
/// without recording only its type is recorded; so is `text.format` (a
/// JSON schema's names and descriptions are content).
pub fn responses_request_attributes(
    o: &ResponsesOptions,
    record_content: bool,
) -> RequestAttributes<'_> {
    let format = o.text.as_ref().and_then(|t| t.format.as_ref());
    let reasoning = o.reasoning.as_ref();
    let params = RequestParams::from_fn(|param| match param {
        RequestParam::MaxTokens => o.max_output_tokens.map(ParamValue::from),
        RequestParam::Temperature => o.temperature.map(ParamValue::from),
        RequestParam::TopP => o.top_p.map(ParamValue::from),
        RequestParam::FrequencyPenalty
        | RequestParam::PresencePenalty
        | RequestParam::Seed
        | RequestParam::Stop
        | RequestParam::EncodingFormat
        | RequestParam::ChoiceCount
        | RequestParam::Dimensions => None,
        // `max_output_tokens` is recorded as `max_tokens` (§10).
        RequestParam::MaxCompletionTokens => None,
        RequestParam::ResponseFormat => format.map(|f| ParamValue::Text(f.kind())),
        RequestParam::Stream => o.stream.map(ParamValue::Bool),
        RequestParam::ToolChoice => o.tool_choice.as_ref().map(|choice| match choice.mode() {
            Some(mode) => ParamValue::Text(mode),
            None if record_content => ParamValue::Json(choice),
            None => ParamValue::Text(choice.kind()),
        }),
        RequestParam::ParallelToolCalls => o.parallel_tool_calls.map(ParamValue::Bool),
        RequestParam::ResponseFormatJson => format.map(|f| {
            if record_content {
                ParamValue::Json(f)
            } else {
                ParamValue::Text(match f {
                    ResponseTextFormat::Text => r#"{"type":"text"}"#,
                    ResponseTextFormat::JsonObject => r#"{"type":"json_object"}"#,
                    ResponseTextFormat::JsonSchema(_) => r#"{"type":"json_schema"}"#,
                })
            }
        }),
        RequestParam::ReasoningEffort => reasoning
            .and_then(|r| r.effort.as_ref())
            .map(|e| ParamValue::Text(e.as_str())),
        RequestParam::ReasoningSummary => reasoning
            .and_then(|r| r.summary.as_ref())
            .map(|s| ParamValue::Text(s.as_str())),
        RequestParam::PreviousResponseId => o.previous_response_id.as_deref().map(ParamValue::Text),
        RequestParam::Store => o.store.map(ParamValue::Bool),
        RequestParam::Truncation => o.truncation.as_ref().map(|t| ParamValue::Text(t.as_str())),
    });
    RequestAttributes {
        model: o.model.as_deref(),
        params,
        openai_api_type: Some(sc::OPENAI_API_TYPE_RESPONSES),
    }
}

/// Starts the span of a Responses call (streamed when `request.stream` is
/// `true`) under the current context, recording the request content when
/// recording is on.
pub fn start_responses_span(
    instrumentation: &Instrumentation,
    request: &ResponsesOptions,
) -> OperationSpan {
    let attributes = responses_request_attributes(request, instrumentation.records_content());
    let mut span = instrumentation.start(Operation::Chat, &attributes);
    if span.records_content() {
        record_request_content(&mut span, request);
    }
    span
}

/// Instructions, input items and tools (content recording only).
fn record_request_content(span: &mut OperationSpan, request: &ResponsesOptions) {
    match span.vocabulary().content {
        ContentForm::Events => {
            // One event per item, its body the item as sent: a string input
            // is one user message, the instructions a leading system message.
            let mut messages: Vec<(&str, Json)> = Vec::new();
            if let Some(instructions) = &request.instructions {
                messages.push(("system", json!({"role": "system", "content": instructions})));
            }
            match &request.input {
                ResponseInput::Text(text) => {
                    messages.push(("user", json!({"role": "user", "content": text})));
                }
                ResponseInput::Items(items) => {
                    for item in items {
                        let body = serde_json::to_value(item).unwrap_or(Json::Null);
                        messages.push((input_item_role(item), body));
                    }
                }
            }
            span.record_input_messages(messages.iter().map(|(role, body)| (*role, body)));
        }
        ContentForm::Attributes => {
            if let Some(instructions) = &request.instructions {
                let parts = json!([{"type": "text", "content": instructions}]);
                span.record_attribute(KeyValue::new(
                    sc::GEN_AI_SYSTEM_INSTRUCTIONS,
                    parts.to_string(),
                ));
            }
            let messages: Vec<Json> = match &request.input {
                ResponseInput::Text(text) => {
                    vec![Message::new(Role::User, vec![MessagePart::Text(text.clone())]).to_parts()]
                }
                ResponseInput::Items(items) => {
                    items.iter().map(|i| input_message(i).to_parts()).collect()
                }
            };
            span.record_attribute(KeyValue::new(
                sc::GEN_AI_INPUT_MESSAGES,
                Json::Array(messages).to_string(),
            ));
        }
    }
    if let Some(tools) = &request.tools {
        span.record_tool_definitions(tools);
    }
}

/// The role an input item speaks with: a message's own, the assistant for
/// the model's earlier calls and reasoning, the tool for call outputs.
fn input_item_role(item: &ResponseItem) -> &str {
    match item {
        ResponseItem::Message { role, .. } => role,
        ResponseItem::FunctionCall { .. } | ResponseItem::Reasoning { .. } => "assistant",
        ResponseItem::FunctionCallOutput { .. } => "tool",
        ResponseItem::Other(value) => value.get("role").and_then(Json::as_str).unwrap_or("user"),
    }
}

/// An input item as a message of the one message model (newer names).
fn input_message(item: &ResponseItem) -> Message {
    let role = Role::parse(input_item_role(item));
    let parts = match item {
        ResponseItem::Message { content, .. } => match content {
            ResponseMessageContent::Text(text) => vec![MessagePart::Text(text.clone())],
            ResponseMessageContent::Parts(parts) => parts.iter().map(content_part).collect(),
        },
        ResponseItem::FunctionCall {
            call_id,
            name,
            arguments,
            ..
        } => vec![MessagePart::ToolCall(ToolCallPart {
            id: Some(call_id.clone()),
            kind: "function".to_owned(),
            name: Some(name.clone()),
            arguments: Some(parsed_arguments(arguments)),
        })],
        ResponseItem::FunctionCallOutput {
            call_id, output, ..
        } => vec![MessagePart::ToolResult {
            id: Some(call_id.clone()),
            response: output.clone(),
        }],
        ResponseItem::Reasoning { summary, .. } => summary
            .iter()
            .filter_map(ResponseContentPart::text)
            .map(|text| MessagePart::Reasoning(text.to_owned()))
            .collect(),
        ResponseItem::Other(value) => vec![MessagePart::Other(value.clone())],
    };
    Message::new(role, parts)
}

fn content_part(part: &ResponseContentPart) -> MessagePart {
    match part {
        ResponseContentPart::InputImage {
            image_url: Some(url),
            ..
        } => MessagePart::Image { url: url.clone() },
        other => match other.text() {
            Some(text) => MessagePart::Text(text.to_owned()),
            None => MessagePart::Other(serde_json::to_value(other).unwrap_or(Json::Null)),
        },
    }
}

fn parsed_arguments(arguments: &str) -> Json {
    serde_json::from_str(arguments).unwrap_or_else(|_| Json::String(arguments.to_owned()))
}

/// The one finish reason of a response (§10): `completed` → `tool_calls`
/// when the output holds a `function_call`, else `stop`; `incomplete` →
/// `length` for `max_output_tokens`, else the reason as given; `failed` →
/// `error`; `None` while unknown (an unfinished stream).
fn finish_reason(
    status: Option<&ResponseStatus>,
    incomplete_reason: Option<&str>,
    has_function_call: bool,
) -> Option<&'static str> {
    Some(match status? {
        ResponseStatus::Completed if has_function_call => "tool_calls",
        ResponseStatus::Completed => "stop",
        ResponseStatus::Incomplete => match incomplete_reason {
            Some("max_output_tokens") => "length",
            Some("content_filter") => "content_filter",
            _ => "incomplete",
        },
        ResponseStatus::Failed | ResponseStatus::Cancelled => sc::FINISH_REASON_ERROR,
        _ => return None,
    })
}

impl From<&ResponseUsage> for UsageRecord {
    fn from(u: &ResponseUsage) -> Self {
        UsageRecord {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cache_read_input_tokens: u
                .input_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens),
            reasoning_output_tokens: u
                .output_tokens_details
                .as_ref()
                .and_then(|d| d.reasoning_tokens),
        }
    }
}

/// The texts of the output, joined: the message text and the reasoning
/// summary of the one choice a Responses span reports.
#[derive(Default)]
struct OutputTexts {
    text: Option<String>,
    reasoning: Option<String>,
}

impl OutputTexts {
    fn of(items: &[ResponseItem]) -> Self {
        let mut texts = OutputTexts::default();
        for item in items {
            let (parts, into) = match item {
                ResponseItem::Message {
                    content: ResponseMessageContent::Parts(parts),
                    ..
                } => (parts, &mut texts.text),
                ResponseItem::Reasoning { summary, .. } => (summary, &mut texts.reasoning),
                _ => continue,
            };
            for text in parts.iter().filter_map(ResponseContentPart::text) {
                into.get_or_insert_with(String::new).push_str(text);
            }
        }
        texts
    }
}

/// The span's view of a response: `status` etc. from `response`, the
/// output items from `items` (the response's own, or those a stream
/// gathered), recorded on `span`.
fn record_output(
    span: &mut OperationSpan,
    response: Option<&ModelResponse>,
    items: &[ResponseItem],
    unfinished: bool,
) -> ResponseRecordOwned {
    let record_content = span.records_content();
    let texts = if record_content {
        OutputTexts::of(items)
    } else {
        OutputTexts::default()
    };
    let has_call = items
        .iter()
        .any(|i| matches!(i, ResponseItem::FunctionCall { .. }));
    let finish = if unfinished {
        None
    } else {
        response.and_then(|r| {
            finish_reason(
                r.status.as_ref(),
                r.incomplete_details
                    .as_ref()
                    .and_then(|d| d.reason.as_deref()),
                has_call,
            )
        })
    };
    // Built only for a span that keeps it (none without an SDK, or sampled out).
    if span.is_recording()
        && let Some(json) = output_attribute(items, record_content)
    {
        span.record_attribute(KeyValue::new(sc::AZ_AI_INFERENCE_RESPONSE_OUTPUT, json));
    }
    ResponseRecordOwned { texts, finish }
}

/// What a `ResponseRecord` borrows that had to be built.
struct ResponseRecordOwned {
    texts: OutputTexts,
    finish: Option<&'static str>,
}

impl ResponseRecordOwned {
    fn record<'a>(
        &'a self,
        response: Option<&'a ModelResponse>,
        items: &'a [ResponseItem],
        record_content: bool,
    ) -> ResponseRecord<'a> {
        let tool_calls = items
            .iter()
            .filter_map(|item| match item {
                ResponseItem::FunctionCall {
                    call_id,
                    name,
                    arguments,
                    ..
                } => Some(ToolCallRecord {
                    id: call_id,
                    kind: "function",
                    name: if record_content { name } else { "" },
                    arguments: if record_content { arguments } else { "" },
                }),
                _ => None,
            })
            .collect();
        ResponseRecord {
            id: response.map(|r| r.id.as_str()).filter(|id| !id.is_empty()),
            model: response.and_then(|r| r.model.as_deref()),
            usage: response
                .and_then(|r| r.usage.as_ref())
                .map(UsageRecord::from),
            choices: vec![ChoiceRecord {
                index: 0,
                finish_reason: self.finish,
                content: self.texts.text.as_deref(),
                reasoning: self.texts.reasoning.as_deref(),
                tool_calls,
            }],
        }
    }
}

/// Records a whole answer on `span`: id, model, usage, the finish reason
/// of its status, the choice (content only with recording on) and the
/// output items. The caller ends the span: [`OperationSpan::end`], or
/// [`OperationSpan::fail`] for a `failed` response.
pub fn record_model_response(span: &mut OperationSpan, response: &ModelResponse) {
    let record_content = span.records_content();
    let owned = record_output(span, Some(response), &response.output, false);
    span.record_response(&owned.record(Some(response), &response.output, record_content));
}

/// The span and accumulation of a streamed Responses call.
///
/// Feed it every event with [`observe`](Self::observe) and end it with
/// [`finish`](Self::finish) (a terminal event, a failure) or by dropping it
/// (cancelled, unless a terminal event was seen). Memory: item skeletons
/// always (a handful per answer); their text only with content recording
/// on.
#[derive(Debug)]
pub struct ResponsesStreamRecorder {
    span: Option<OperationSpan>,
    keep_content: bool,
    /// The first response an event carried (`response.created`), replaced
    /// by the terminal one.
    response: Option<Box<ModelResponse>>,
    items: Vec<ResponseItem>,
    terminal: bool,
}

impl ResponsesStreamRecorder {
    /// Takes over `span` (from [`start_responses_span`]).
    pub fn new(span: OperationSpan) -> Self {
        ResponsesStreamRecorder {
            keep_content: span.records_content(),
            span: Some(span),
            response: None,
            items: Vec::new(),
            terminal: false,
        }
    }

    /// The span, while it has not ended (to record retries and request ids).
    pub fn span_mut(&mut self) -> Option<&mut OperationSpan> {
        self.span.as_mut()
    }

    /// Whether a terminal event (`response.completed`, `.incomplete`,
    /// `.failed`) was seen.
    pub fn saw_terminal(&self) -> bool {
        self.terminal
    }

    /// Records one event that arrived at `arrived`: output-bearing events
    /// (text, argument and summary deltas) are chunks for the time to first
    /// chunk and the time per chunk; their text is appended to its item
    /// only with content recording on.
    #[inline]
    pub fn observe(&mut self, event: &ResponseStreamEvent, arrived: std::time::Instant) {
        use ResponseStreamEvent as E;
        match event {
            E::OutputTextDelta {
                output_index,
                content_index,
                delta,
                ..
            } => {
                self.chunk(arrived);
                if self.keep_content {
                    self.append_text(*output_index, *content_index, delta);
                }
            }
            E::FunctionCallArgumentsDelta {
                output_index,
                delta,
                ..
            } => {
                self.chunk(arrived);
                if self.keep_content
                    && let Some(ResponseItem::FunctionCall { arguments, .. }) =
                        self.items.get_mut(*output_index as usize)
                {
                    arguments.push_str(delta);
                }
            }
            E::ReasoningSummaryTextDelta {
                output_index,
                summary_index,
                delta,
                ..
            } => {
                self.chunk(arrived);
                if self.keep_content {
                    self.append_summary(*output_index, *summary_index, delta);
                }
            }
            E::OutputItemAdded { output_index, item }
            | E::OutputItemDone { output_index, item } => {
                let index = *output_index as usize;
                if self.items.len() <= index {
                    self.items
                        .resize(index + 1, ResponseItem::Other(Json::Null));
                }
                self.items[index] = if self.keep_content {
                    (**item).clone()
                } else {
                    without_text(item)
                };
            }
            E::Created { response } | E::InProgress { response } if self.response.is_none() => {
                self.response = Some(response.clone());
            }
            E::Completed { response } | E::Incomplete { response } | E::Failed { response } => {
                self.terminal = true;
                self.response = Some(response.clone());
            }
            _ => {}
        }
    }

    fn chunk(&mut self, arrived: std::time::Instant) {
        if let Some(span) = self.span.as_mut() {
            span.record_chunk_at(arrived);
        }
    }

    fn append_text(&mut self, output_index: u32, content_index: u32, delta: &str) {
        let Some(ResponseItem::Message {
            content: ResponseMessageContent::Parts(parts),
            ..
        }) = self.items.get_mut(output_index as usize)
        else {
            return;
        };
        let index = content_index as usize;
        while parts.len() <= index {
            parts.push(ResponseContentPart::OutputText {
                text: String::new(),
                annotations: Vec::new(),
            });
        }
        if let ResponseContentPart::OutputText { text, .. } = &mut parts[index] {
            text.push_str(delta);
        }
    }

    fn append_summary(&mut self, output_index: u32, summary_index: u32, delta: &str) {
        let Some(ResponseItem::Reasoning { summary, .. }) =
            self.items.get_mut(output_index as usize)
        else {
            return;
        };
        let index = summary_index as usize;
        while summary.len() <= index {
            summary.push(ResponseContentPart::summary_text(""));
        }
        if let ResponseContentPart::SummaryText { text } = &mut summary[index] {
            text.push_str(delta);
        }
    }

    /// Ends the span: the terminal response when one came (its output, else
    /// the items gathered), else what was gathered with no finish reason
    /// (`error`, or `cancelled` for [`StreamOutcome::Cancelled`]).
    pub fn finish(&mut self, outcome: StreamOutcome<'_>) {
        let Some(mut span) = self.span.take() else {
            return;
        };
        let response = self.response.as_deref();
        let items = match response {
            Some(r) if self.terminal && !r.output.is_empty() => r.output.as_slice(),
            _ => self.items.as_slice(),
        };
        let record_content = span.records_content();
        let owned = record_output(&mut span, response, items, !self.terminal);
        span.finish_response(owned.record(response, items, record_content), outcome);
    }
}

impl Drop for ResponsesStreamRecorder {
    /// Dropped after the terminal event: complete; before it: cancelled.
    fn drop(&mut self) {
        self.finish(if self.terminal {
            StreamOutcome::Completed
        } else {
            StreamOutcome::Cancelled
        });
    }
}

/// An item with its texts emptied, for a stream that does not record content.
fn without_text(item: &ResponseItem) -> ResponseItem {
    let mut item = item.clone();
    match &mut item {
        ResponseItem::Message { content, .. } => match content {
            ResponseMessageContent::Text(text) => text.clear(),
            ResponseMessageContent::Parts(parts) => {
                for part in parts {
                    if let ResponseContentPart::OutputText { text, annotations } = part {
                        text.clear();
                        annotations.clear();
                    }
                }
            }
        },
        ResponseItem::FunctionCall {
            name, arguments, ..
        } => {
            name.clear();
            arguments.clear();
        }
        ResponseItem::Reasoning {
            summary,
            encrypted_content,
            ..
        } => {
            for part in summary {
                if let ResponseContentPart::SummaryText { text } = part {
                    text.clear();
                }
            }
            *encrypted_content = None;
        }
        ResponseItem::FunctionCallOutput { output, .. } => *output = Json::Null,
        ResponseItem::Other(value) => *value = content_free(value),
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons_follow_the_status() {
        use ResponseStatus as S;
        assert_eq!(
            finish_reason(Some(&S::Completed), None, false),
            Some("stop")
        );
        assert_eq!(
            finish_reason(Some(&S::Completed), None, true),
            Some("tool_calls")
        );
        assert_eq!(
            finish_reason(Some(&S::Incomplete), Some("max_output_tokens"), false),
            Some("length")
        );
        assert_eq!(
            finish_reason(Some(&S::Incomplete), Some("content_filter"), false),
            Some("content_filter")
        );
        assert_eq!(finish_reason(Some(&S::Failed), None, false), Some("error"));
        assert_eq!(finish_reason(Some(&S::InProgress), None, false), None);
        assert_eq!(finish_reason(None, None, false), None);
    }
}
