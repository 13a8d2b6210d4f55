//! The newer names (`gen_ai_latest_experimental`) to the letter of
//! semantic-conventions v1.41.0 (`docs/gen-ai/azure-ai-inference.md`):
//! `gen_ai.request.stream`, `gen_ai.request.choice.count`, the schema URL,
//! the attributes the page requires, and `gen_ai.input.messages`,
//! `gen_ai.output.messages` and `gen_ai.tool.definitions` validated against
//! the release's JSON schemas (copied in `tests/data/semconv-v1.41.0/`) for
//! every content kind, content recording on; no event v1.41 deprecates
//! (`gen_ai.choice`, `gen_ai.{role}.message`), with recording on or off.

mod support;
use support::client as client_support;
use support::genai_spans::vocabulary;
use support::semconv_v141::{assert_no_deprecated_events, assert_valid, validator};
use support::telemetry;

use std::collections::BTreeSet;
use std::time::Duration;

use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions};
use azure_ai_inference_otel::models::{
    AudioContentFormat, ChatCompletionsOptions, ChatCompletionsToolCall,
    ChatCompletionsToolDefinition, ChatRequestMessage, ContentItem, FunctionDefinition,
};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value as Json, json};
use telemetry::{Harness, attrs, dump};

const INPUT_SCHEMA: &str = include_str!("data/semconv-v1.41.0/gen-ai-input-messages.json");
const OUTPUT_SCHEMA: &str = include_str!("data/semconv-v1.41.0/gen-ai-output-messages.json");
const TOOLS_SCHEMA: &str = include_str!("data/semconv-v1.41.0/gen-ai-tool-definitions.json");

fn client(
    server: &MockInferenceServer,
    h: &Harness,
    record: bool,
    mode: SemconvMode,
) -> ChatCompletionsClient {
    let options = ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_telemetry(h.options(record).with_semconv_mode(mode));
    client_support::chat(server, options)
}

fn weather_tool() -> ChatCompletionsToolDefinition {
    ChatCompletionsToolDefinition::function(
        FunctionDefinition::new("get_weather")
            .with_description("Current weather in a city")
            .with_parameters(json!({
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            })),
    )
}

/// A conversation with every content kind of the request side: text, an
/// image by URL, an image as a data URL, audio inline and by URL, a tool
/// call, a tool result.
fn conversation() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![
        ChatRequestMessage::system("You are terse."),
        ChatRequestMessage::user_parts(vec![
            ContentItem::text("What is in these, and what did I say?"),
            ContentItem::image_url("https://example.com/city.png"),
            ContentItem::image_url("data:image/png;base64,iVBORw0KGgo="),
            ContentItem::input_audio("UklGRiQAAABXQVZF", AudioContentFormat::Wav),
            ContentItem::AudioUrl {
                url: "https://example.com/question.mp3".into(),
            },
        ]),
        ChatRequestMessage::assistant_tool_calls(vec![ChatCompletionsToolCall::function(
            "call_1",
            "get_weather",
            r#"{"city":"Paris"}"#,
        )]),
        ChatRequestMessage::tool("call_1", "21 degrees"),
    ])
    .with_model("DeepSeek-R1")
    .with_tools(vec![weather_tool()])
}

fn json_attr(span: &SpanData, key: &str) -> Json {
    let a = attrs(span);
    let text = a
        .get(key)
        .unwrap_or_else(|| panic!("{key} missing in {a:?}"))
        .as_str();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{key} is not JSON ({e}): {text}"))
}

fn part_types(messages: &Json) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for message in messages.as_array().into_iter().flatten() {
        for part in message["parts"].as_array().into_iter().flatten() {
            let kind = part["type"].as_str().unwrap_or_default();
            match part["modality"].as_str() {
                Some(modality) => out.insert(format!("{kind}/{modality}")),
                None => out.insert(kind.to_owned()),
            };
        }
    }
    out
}

/// Every content kind, whole and streamed answers, valid against the
/// release's schemas; the tool definitions in the conventions' shape.
#[tokio::test]
async fn content_attributes_validate_against_the_release_schemas() {
    let (input, output, tools) = (
        validator(INPUT_SCHEMA),
        validator(OUTPUT_SCHEMA),
        validator(TOOLS_SCHEMA),
    );
    // The validators can fail: the wire shape of tools is not the conventions'.
    let wire_tools = serde_json::to_value(vec![weather_tool()]).unwrap();
    assert!(!tools.is_valid(&wire_tools), "{wire_tools}");
    assert!(
        !output.is_valid(&json!([{"role": "assistant", "parts": []}])),
        "finish_reason is required"
    );

    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = client(&server, &h, true, SemconvMode::LatestExperimental);

    // Whole: reasoning and text; and two choices, one a tool call.
    server.enqueue(
        Reply::chat_completion("Paris, 21 degrees.").with_reasoning(["Look at the tool result."]),
    );
    client.complete(conversation()).await.unwrap();
    server.enqueue(
        Reply::chat_tool_calls([("call_2", "get_weather", r#"{"city":"Lyon"}"#)])
            .with_reasoning(["Need Lyon."]),
    );
    client.complete(conversation()).await.unwrap();
    server.enqueue(Reply::chat_choices([
        ("First.", "stop"),
        ("Second, cut", "length"),
    ]));
    client
        .complete(conversation().with_extra("n", 2))
        .await
        .unwrap();
    // Streamed: reasoning then text; reasoning then a tool call.
    server.enqueue(Reply::chat_stream(["Par", "is."]).with_reasoning(["Think", "ing."]));
    let mut stream = client.complete_streaming(conversation()).await.unwrap();
    while stream.next().await.is_some() {}
    server.enqueue(
        Reply::chat_stream_tool_call("call_3", "get_weather", ["{\"city\":", "\"Nice\"}"])
            .with_reasoning(["Nice?"]),
    );
    let mut stream = client.complete_streaming(conversation()).await.unwrap();
    while stream.next().await.is_some() {}

    let spans = h.spans();
    assert_eq!(spans.len(), 5, "{}", dump(&spans));
    let mut input_kinds = BTreeSet::new();
    let mut output_kinds = BTreeSet::new();
    for (i, span) in spans.iter().enumerate() {
        // Content in the attributes only: no event v1.41 deprecates.
        assert_no_deprecated_events(span);
        let inputs = json_attr(span, "gen_ai.input.messages");
        assert_valid(
            &input,
            &inputs,
            &format!("span {i}: {}", "gen_ai.input.messages"),
        );
        input_kinds.extend(part_types(&inputs));
        let outputs = json_attr(span, "gen_ai.output.messages");
        assert_valid(
            &output,
            &outputs,
            &format!("span {i}: {}", "gen_ai.output.messages"),
        );
        output_kinds.extend(part_types(&outputs));
        let definitions = json_attr(span, "gen_ai.tool.definitions");
        assert_valid(
            &tools,
            &definitions,
            &format!("span {i}: {}", "gen_ai.tool.definitions"),
        );
        assert_eq!(
            definitions,
            json!([{"type": "function", "name": "get_weather", "description": "Current weather in a city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}])
        );
    }
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        input_kinds,
        set(&[
            "blob/audio",
            "blob/image",
            "text",
            "tool_call",
            "tool_call_response",
            "uri/audio",
            "uri/image"
        ])
    );
    assert_eq!(output_kinds, set(&["reasoning", "text", "tool_call"]));

    // The data URL went into a blob part, as the schema asks of URIs.
    let inputs = json_attr(&spans[0], "gen_ai.input.messages");
    assert_eq!(
        inputs[1]["parts"][2],
        json!({"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw0KGgo="})
    );
}

/// `gen_ai.request.stream` only on streamed calls and
/// `gen_ai.request.choice.count` only for `n` other than 1, both only under
/// the newer names; the schema URL follows the vocabulary.
#[tokio::test]
async fn request_stream_choice_count_and_schema_url_follow_the_vocabulary() {
    let server = MockInferenceServer::start().await.unwrap();
    for mode in [SemconvMode::Default, SemconvMode::LatestExperimental] {
        let h = Harness::new();
        let client = client(&server, &h, false, mode);
        let ask =
            || ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Hi")]).with_model("m");
        server.enqueue(Reply::chat_completion("Hello."));
        client.complete(ask()).await.unwrap();
        server.enqueue(Reply::chat_stream(["Hel", "lo."]));
        let mut stream = client.complete_streaming(ask()).await.unwrap();
        while stream.next().await.is_some() {}
        server.enqueue(Reply::chat_choices([
            ("A.", "stop"),
            ("B.", "stop"),
            ("C.", "stop"),
        ]));
        client.complete(ask().with_extra("n", 3)).await.unwrap();
        server.enqueue(Reply::chat_completion("One."));
        client.complete(ask().with_extra("n", 1)).await.unwrap();

        let spans = h.spans();
        assert_eq!(spans.len(), 4);
        let latest = mode == SemconvMode::LatestExperimental;
        let get = |i: usize, key: &str| attrs(&spans[i]).get(key).cloned();
        assert_eq!(
            get(0, "gen_ai.request.stream"),
            None,
            "{mode:?}: not set on whole answers"
        );
        assert_eq!(
            get(1, "gen_ai.request.stream"),
            latest.then_some(Value::Bool(true)),
            "{mode:?}"
        );
        assert_eq!(
            get(2, "gen_ai.request.choice.count"),
            latest.then_some(Value::I64(3)),
            "{mode:?}"
        );
        assert_eq!(
            get(3, "gen_ai.request.choice.count"),
            None,
            "{mode:?}: n = 1 is the default"
        );
        assert_eq!(get(0, "gen_ai.request.choice.count"), None, "{mode:?}");

        let url = if latest {
            "https://opentelemetry.io/schemas/1.41.0"
        } else {
            "https://opentelemetry.io/schemas/1.34.0"
        };
        assert_eq!(url, vocabulary(mode).schema_url);
        for span in &spans {
            assert_eq!(
                span.instrumentation_scope.schema_url(),
                Some(url),
                "{mode:?}"
            );
        }
        // The meter's scope follows the vocabulary too.
        let metrics = h.metrics();
        let last = metrics.last().expect("a collection");
        let scopes: Vec<_> = last
            .scope_metrics()
            .map(|s| s.scope().schema_url())
            .collect();
        assert!(!scopes.is_empty());
        assert!(
            scopes.iter().all(|s| *s == Some(url)),
            "{mode:?}: {scopes:?}"
        );
    }
    assert_eq!(
        "https://opentelemetry.io/schemas/1.41.0",
        "https://opentelemetry.io/schemas/1.41.0"
    );
}

/// The attributes of the upstream page's table that apply to this API, by
/// requirement level, on a whole and a streamed call; none of today's names.
#[tokio::test]
async fn spans_carry_the_upstream_attributes() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = client(&server, &h, false, SemconvMode::LatestExperimental);
    let ask = || {
        ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Hi")])
            .with_model("gpt-4o-mini")
            .with_max_tokens(10)
            .with_temperature(0.5)
            .with_top_p(0.9)
            .with_frequency_penalty(0.1)
            .with_presence_penalty(0.2)
            .with_seed(3)
            .with_stop(["END"])
    };
    server.enqueue(
        Reply::chat_completion("Hello.")
            .with_usage(5, 2)
            .with_token_details(1, 0),
    );
    client.complete(ask()).await.unwrap();
    server.enqueue(
        Reply::chat_stream(["Hel", "lo."])
            .with_usage(5, 2)
            .with_token_details(1, 0),
    );
    let mut stream = client.complete_streaming(ask()).await.unwrap();
    while stream.next().await.is_some() {}

    let spans = h.spans();
    assert_eq!(spans.len(), 2);
    for (i, span) in spans.iter().enumerate() {
        let a = attrs(span);
        assert_eq!(span.name, "chat gpt-4o-mini");
        assert_eq!(a["gen_ai.provider.name"].as_str(), "azure.ai.inference");
        assert_eq!(
            a["azure.resource_provider.namespace"].as_str(),
            "Microsoft.CognitiveServices"
        );
        for key in [
            // Required and conditionally required (the mock's port is not 443).
            "gen_ai.operation.name",
            "gen_ai.request.model",
            "gen_ai.request.seed",
            "server.port",
            // Recommended.
            "server.address",
            "gen_ai.request.frequency_penalty",
            "gen_ai.request.max_tokens",
            "gen_ai.request.presence_penalty",
            "gen_ai.request.stop_sequences",
            "gen_ai.request.temperature",
            "gen_ai.request.top_p",
            "gen_ai.response.finish_reasons",
            "gen_ai.response.id",
            "gen_ai.response.model",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.reasoning.output_tokens",
        ] {
            assert!(a.contains_key(key), "span {i}: {key} missing in {a:?}");
        }
        let streamed = i == 1;
        assert_eq!(
            a.contains_key("gen_ai.request.stream"),
            streamed,
            "span {i}"
        );
        assert_eq!(
            a.contains_key("gen_ai.response.time_to_first_chunk"),
            streamed,
            "span {i}"
        );
        for key in ["gen_ai.system", "az.namespace"] {
            assert!(
                !a.contains_key(key),
                "span {i}: today's {key} under the newer names"
            );
        }
        // No event v1.41 deprecates (finish reasons are the attribute).
        assert_no_deprecated_events(span);
        assert!(span.events.is_empty(), "span {i}: {:?}", span.events);
        // Content is opt-in: off here.
        for key in [
            "gen_ai.input.messages",
            "gen_ai.output.messages",
            "gen_ai.tool.definitions",
        ] {
            assert!(!a.contains_key(key), "span {i}: {key} with recording off");
        }
    }
}
