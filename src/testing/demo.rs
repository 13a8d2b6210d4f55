//! The canned "demo mode" answers given when no [`Reply`] is queued.

use serde_json::Value;

use super::answers::Answers;
use super::reply::Reply;
use super::request::RecordedRequest;
use super::responses_wire::ResponseAnswer;
use super::wire;

/// How many words of the user's message the demo answer quotes back.
const QUOTED_WORDS: usize = 8;

/// Largest `dimensions` the demo endpoint accepts.
const MAX_DIMENSIONS: u64 = 8192;

/// The provider name in the demo `GET /info` answer.
pub(crate) const DEMO_PROVIDER: &str = "azure-ai-inference-otel demo";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Chat,
    Embeddings,
    ImageEmbeddings,
    Info,
    Responses,
    /// `GET …/v1/models` (the v1 API's model list; a legacy `…/models`
    /// base has none).
    Models,
}

/// Which route a path names, by suffix, so that Azure OpenAI style bases
/// (`/openai/deployments/<name>/chat/completions`) match too.
fn route_of(path: &str) -> Option<Route> {
    use crate::client::OperationRoute as Op;
    match Op::of_path(path) {
        Some(Op::Chat) => Some(Route::Chat),
        Some(Op::Embeddings) => Some(Route::Embeddings),
        Some(Op::ImageEmbeddings) => Some(Route::ImageEmbeddings),
        Some(Op::Responses) => Some(Route::Responses),
        None => {
            let path = path.trim_end_matches('/');
            if path.ends_with("/info") {
                Some(Route::Info)
            } else if path.ends_with("/v1/models") {
                Some(Route::Models)
            } else {
                None
            }
        }
    }
}

fn bad_request(message: impl Into<String>) -> Reply {
    Reply::error(400, "BadRequest", message)
}

/// The demo endpoint: what a server answers when nothing is queued.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Demo;

impl Answers for Demo {
    fn answer(&self, request: &RecordedRequest) -> Reply {
        answer(request)
    }
}

/// The demo endpoint's answer to `request`.
fn answer(request: &RecordedRequest) -> Reply {
    let Some(route) = route_of(&request.path) else {
        return Reply::error(
            404,
            "NotFound",
            format!(
                "no route for {} {}; the demo endpoint serves POST …/chat/completions, POST …/embeddings, POST …/images/embeddings, POST …/responses, GET …/info and GET …/v1/models",
                request.method, request.path
            ),
        );
    };
    let expected_method = if matches!(route, Route::Info | Route::Models) {
        "GET"
    } else {
        "POST"
    };
    if request.method != expected_method {
        return Reply::error(
            405,
            "MethodNotAllowed",
            format!(
                "{} expects {expected_method}, not {}",
                request.path, request.method
            ),
        )
        .with_header("allow", expected_method);
    }
    match route {
        Route::Info => Reply::model_info(wire::DEMO_MODEL, "chat-completion", DEMO_PROVIDER),
        Route::Models => Reply::json(200, wire::model_list(&[wire::DEMO_MODEL])),
        Route::Chat => {
            let v1 = is_v1(&request.path);
            with_json_body(request, |body, model| chat(body, model, v1))
        }
        Route::Responses => with_json_body(request, |body, _| responses(body)),
        Route::Embeddings => with_json_body(request, |body, model| embeddings(body, model, false)),
        Route::ImageEmbeddings => {
            with_json_body(request, |body, model| embeddings(body, model, true))
        }
    }
}

/// Parses the request body as a JSON object and calls `answer` with it and
/// the model to echo (the request's `model`, else `demo-model`); a 400 error
/// naming the problem otherwise.
fn with_json_body(request: &RecordedRequest, answer: impl FnOnce(&Value, &str) -> Reply) -> Reply {
    if request.body.iter().all(u8::is_ascii_whitespace) {
        return bad_request("the request body is empty; expected a JSON object");
    }
    let body: Value = match serde_json::from_slice(&request.body) {
        Ok(body) => body,
        Err(e) => return bad_request(format!("the request body is not valid JSON: {e}")),
    };
    if !body.is_object() {
        return bad_request("the request body must be a JSON object");
    }
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(wire::DEMO_MODEL);
    answer(&body, model)
}

/// The first `QUOTED_WORDS` words of `text`, with `…` when there were more.
fn quote(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut quoted = words
        .iter()
        .take(QUOTED_WORDS)
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if words.len() > QUOTED_WORDS {
        quoted.push('…');
    }
    quoted
}

/// The demo chat answer for a conversation.
pub(crate) fn demo_text(messages: &[Value]) -> String {
    let last_role = messages
        .last()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str);
    let intro = "Hello! This is the built-in demo endpoint of azure-ai-inference-otel, so no real model was called.";
    if last_role == Some("tool") {
        let result = messages
            .last()
            .and_then(wire::message_text)
            .unwrap_or_default();
        return format!("{intro} The tool returned: \"{}\".", quote(&result));
    }
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(wire::message_text);
    match last_user {
        Some(text) if !text.trim().is_empty() => {
            format!(
                "{intro} You said: \"{}\". Configure a real endpoint to get real answers.",
                quote(&text)
            )
        }
        _ => format!("{intro} There was no user message to answer."),
    }
}

/// Whether `path` is below a v1 base (`…/openai/v1/…`).
fn is_v1(path: &str) -> bool {
    path.contains("/openai/v1/")
}

/// A streamed answer's events as SSE. On v1 the usage chunk (the last) is
/// sent only when the request asked for it with
/// `stream_options.include_usage`, as the service does.
fn stream_reply(mut events: Vec<Value>, body: &Value, v1: bool) -> Reply {
    let asked = body
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true);
    if v1 && !asked {
        events.pop();
    }
    Reply::sse(events.iter().map(Value::to_string))
}

fn chat(body: &Value, model: &str, v1: bool) -> Reply {
    let messages = match body.get("messages").and_then(Value::as_array) {
        Some(m) if !m.is_empty() => m.as_slice(),
        _ => {
            return bad_request(
                "`messages` is required and must be a non-empty array of chat messages",
            );
        }
    };
    if let Some(i) = messages
        .iter()
        .position(|m| m.get("role").and_then(Value::as_str).is_none())
    {
        return bad_request(format!(
            "`messages[{i}].role` is required and must be a string"
        ));
    }
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let prompt = wire::chat_prompt_tokens(messages);

    let last_is_user = messages
        .last()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        == Some("user");
    let tool_choice_none = body.get("tool_choice").and_then(Value::as_str) == Some("none");
    let first_tool = body
        .get("tools")
        .and_then(Value::as_array)
        .and_then(|tools| tools.first())
        .and_then(|tool| tool.get("function"))
        .and_then(|f| f.get("name"))
        .and_then(Value::as_str);
    if let Some(name) = first_tool
        && last_is_user
        && !tool_choice_none
    {
        let id = wire::tool_call_id();
        let completion = wire::count_words(name) + 1;
        let usage = wire::chat_usage(prompt, completion);
        if stream {
            let events = wire::ChunkBuilder::new(model).tool_call_events(
                &id,
                name,
                &["{}".to_owned()],
                usage,
            );
            return stream_reply(events, body, v1);
        }
        let choice = wire::Choice {
            content: None,
            tool_calls: vec![wire::tool_call(&id, name, "{}")],
            finish_reason: "tool_calls".to_owned(),
        };
        return Reply::json(200, wire::chat_completion(model, &[choice], usage));
    }

    let mut text = demo_text(messages);
    let mut finish_reason = "stop";
    let max_tokens = body
        .get("max_tokens")
        .or_else(|| body.get("max_completion_tokens"))
        .and_then(Value::as_u64);
    if let Some(max) = max_tokens
        && wire::count_words(&text) > max
    {
        text = text
            .split_inclusive(char::is_whitespace)
            .take(usize::try_from(max).unwrap_or(usize::MAX))
            .collect::<String>()
            .trim_end()
            .to_owned();
        finish_reason = "length";
    }
    let usage = wire::chat_usage(prompt, wire::count_words(&text));
    if stream {
        let pieces: Vec<String> = text.split_inclusive(' ').map(str::to_owned).collect();
        let events = wire::ChunkBuilder::new(model).text_events(&pieces, finish_reason, usage);
        return stream_reply(events, body, v1);
    }
    let choice = wire::Choice {
        content: Some(text),
        tool_calls: Vec::new(),
        finish_reason: finish_reason.to_owned(),
    };
    Reply::json(200, wire::chat_completion(model, &[choice], usage))
}

/// The demo Responses answer: the chat demo's text as one message (a call
/// of the first function tool when the input ends with the user's turn and
/// `tool_choice` is not `none`), after a reasoning summary when the request
/// sets `reasoning`, cut to `max_output_tokens` words as `incomplete`.
fn responses(body: &Value) -> Reply {
    let messages: Vec<Value> = match body.get("input") {
        Some(Value::String(text)) => vec![serde_json::json!({"role": "user", "content": text})],
        Some(Value::Array(items)) if !items.is_empty() => {
            items.iter().map(as_chat_message).collect()
        }
        _ => {
            return bad_request(
                "`input` is required: a string or a non-empty array of input items",
            );
        }
    };
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let mut answer = ResponseAnswer::new();
    if body.get("reasoning").is_some_and(|r| !r.is_null()) {
        answer = answer.with_reasoning(
            "The demo endpoint does not reason; this summary stands in for a reasoning model's.",
        );
    }
    let last_is_user = messages
        .last()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        == Some("user");
    let tool_choice_none = body.get("tool_choice").and_then(Value::as_str) == Some("none");
    let first_function = body
        .get("tools")
        .and_then(Value::as_array)
        .and_then(|tools| {
            tools
                .iter()
                .find(|t| t.get("type").and_then(Value::as_str) == Some("function"))
        })
        .and_then(|tool| tool.get("name"))
        .and_then(Value::as_str);
    answer = match first_function {
        Some(name) if last_is_user && !tool_choice_none => {
            answer.with_function_call(wire::tool_call_id(), name, "{}")
        }
        _ => {
            let mut text = demo_text(&messages);
            let max = body.get("max_output_tokens").and_then(Value::as_u64);
            match max {
                Some(max) if wire::count_words(&text) > max => {
                    text = text
                        .split_inclusive(char::is_whitespace)
                        .take(usize::try_from(max).unwrap_or(usize::MAX))
                        .collect::<String>()
                        .trim_end()
                        .to_owned();
                    answer.with_text(text).incomplete("max_output_tokens")
                }
                _ => answer.with_text(text),
            }
        }
    };
    if stream {
        Reply::response_stream(answer)
    } else {
        Reply::response(answer)
    }
}

/// A Responses input item as a chat message, for [`demo_text`]: a
/// function's output speaks as the tool.
fn as_chat_message(item: &Value) -> Value {
    match item.get("type").and_then(Value::as_str) {
        Some("function_call_output") => serde_json::json!({
            "role": "tool",
            "content": item.get("output").map(|o| match o {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }).unwrap_or_default(),
        }),
        Some("function_call") | Some("reasoning") => {
            serde_json::json!({"role": "assistant", "content": null})
        }
        _ => item.clone(),
    }
}

fn embeddings(body: &Value, model: &str, image: bool) -> Reply {
    let Some(input) = body.get("input") else {
        return bad_request(if image {
            "`input` is required: an array of {\"image\": \"data:image/png;base64,…\", \"text\"?: …} objects"
        } else {
            "`input` is required: a string or an array of strings"
        });
    };
    let inputs = match wire::embedding_inputs(input) {
        Ok(inputs) if inputs.is_empty() => return bad_request("`input` must not be empty"),
        Ok(inputs) => inputs,
        Err(message) => return bad_request(message),
    };
    let dims = match body.get("dimensions") {
        None | Some(Value::Null) => wire::DEFAULT_DIMENSIONS,
        Some(d) => match d.as_u64() {
            Some(d @ 1..=MAX_DIMENSIONS) => usize::try_from(d).unwrap_or(wire::DEFAULT_DIMENSIONS),
            _ => {
                return bad_request(format!(
                    "`dimensions` must be an integer from 1 to {MAX_DIMENSIONS}, got {d}"
                ));
            }
        },
    };
    let base64 = match body.get("encoding_format") {
        None | Some(Value::Null) => false,
        Some(Value::String(f)) if f == "float" => false,
        Some(Value::String(f)) if f == "base64" => true,
        Some(other) => {
            return bad_request(format!(
                "`encoding_format` {other} is not supported by the demo endpoint; use \"float\" or \"base64\""
            ));
        }
    };
    let prompt = inputs.iter().map(|i| i.tokens).sum();
    let data = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            wire::embedding_item(i, &wire::embedding_vector(&input.seed, dims), base64)
        })
        .collect();
    Reply::json(200, wire::embeddings_result(model, data, prompt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_match_by_suffix() {
        assert_eq!(route_of("/chat/completions"), Some(Route::Chat));
        assert_eq!(
            route_of("/openai/deployments/gpt-4o/chat/completions"),
            Some(Route::Chat)
        );
        assert_eq!(route_of("/models/embeddings/"), Some(Route::Embeddings));
        assert_eq!(route_of("/images/embeddings"), Some(Route::ImageEmbeddings));
        assert_eq!(route_of("/info"), Some(Route::Info));
        assert_eq!(route_of("/openai/v1/responses"), Some(Route::Responses));
        assert_eq!(route_of("/openai/v1/models"), Some(Route::Models));
        assert_eq!(route_of("/models"), None, "the legacy base has no list");
        assert_eq!(route_of("/openai/v1/chat/completions"), Some(Route::Chat));
        assert_eq!(route_of("/chat/completion"), None);
        assert_eq!(route_of("/"), None);
    }

    #[test]
    fn quotes_the_first_words_of_the_last_user_message() {
        let messages = [
            json!({"role":"system","content":"be nice"}),
            json!({"role":"user","content":"first question"}),
            json!({"role":"assistant","content":"first answer"}),
            json!({"role":"user","content":"one two three four five six seven eight nine ten"}),
        ];
        let text = demo_text(&messages);
        assert!(text.contains("demo endpoint"), "{text}");
        assert!(
            text.contains("\"one two three four five six seven eight…\""),
            "{text}"
        );
    }
}
