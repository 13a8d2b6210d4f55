//! Token details and reasoning content (2025-04-01 API) through the public
//! client on the real wire format, whole and streamed, in both vocabularies,
//! with content recording off and on: the span attributes, the token
//! histogram, the `gen_ai.choice` event (today's names only),
//! `gen_ai.output.messages` (the newer names, v1.41 schema) and the
//! Braintrust row, and that nothing of the reasoning or of tool arguments
//! reaches telemetry with recording off.

mod support;
use support::client as client_support;
use support::semconv_v141;
use support::telemetry;

use std::time::Duration;

use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions};
use azure_ai_inference_otel::exporters::braintrust::preview_row;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value as Json, json};
use telemetry::{Harness, attrs, dump, kv_map};

const MODES: [SemconvMode; 2] = [SemconvMode::Default, SemconvMode::LatestExperimental];
const REASONING: [&str; 2] = ["The user wants 2+2; ", "that is 4."];
const REASONING_TEXT: &str = "The user wants 2+2; that is 4.";

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

fn request() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("What is 2+2?")])
        .with_model("DeepSeek-R1")
}

fn only_span(h: &Harness) -> SpanData {
    let spans = h.spans();
    assert_eq!(spans.len(), 1, "{}", dump(&spans));
    spans.into_iter().next().unwrap()
}

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attrs(span).get(key) {
        Some(Value::I64(n)) => Some(*n),
        None => None,
        other => panic!("{key} is not an int: {other:?}"),
    }
}

fn row(span: &SpanData) -> Json {
    preview_row(span)
}

/// The content of the (one) `gen_ai.choice` event.
fn choice_event(span: &SpanData) -> Json {
    let events: Vec<_> = span
        .events
        .iter()
        .filter(|e| e.name == "gen_ai.choice")
        .collect();
    assert_eq!(events.len(), 1, "{:?}", span.events);
    let content = kv_map(&events[0].attributes)["gen_ai.event.content"]
        .as_str()
        .into_owned();
    serde_json::from_str(&content).expect("choice event content is JSON")
}

fn output_messages(span: &SpanData) -> Json {
    let text = attrs(span)["gen_ai.output.messages"].as_str().into_owned();
    serde_json::from_str(&text).expect("output messages are JSON")
}

#[tokio::test]
async fn token_details_are_recorded_whole_and_streamed_in_both_vocabularies() {
    let server = MockInferenceServer::start().await.unwrap();
    for mode in MODES {
        for streamed in [false, true] {
            let h = Harness::new();
            let client = client(&server, &h, false, mode);
            if streamed {
                server.enqueue(
                    Reply::chat_stream(["4"])
                        .with_usage(12, 30)
                        .with_token_details(8, 25),
                );
                let mut stream = client.complete_streaming(request()).await.unwrap();
                let mut last_usage = None;
                while let Some(update) = stream.next().await {
                    if let Some(usage) = update.unwrap().usage {
                        last_usage = Some(usage);
                    }
                }
                let usage = last_usage.expect("the usage chunk");
                assert_eq!(
                    (usage.cached_tokens(), usage.reasoning_tokens()),
                    (Some(8), Some(25))
                );
            } else {
                server.enqueue(
                    Reply::chat_completion("4")
                        .with_usage(12, 30)
                        .with_token_details(8, 25),
                );
                let answer = client.complete(request()).await.unwrap();
                let usage = answer.usage.expect("usage");
                assert_eq!(
                    (usage.cached_tokens(), usage.reasoning_tokens()),
                    (Some(8), Some(25))
                );
            }
            let span = only_span(&h);
            let what = format!("{mode:?}, streamed {streamed}");
            assert_eq!(int(&span, "gen_ai.usage.input_tokens"), Some(12), "{what}");
            assert_eq!(int(&span, "gen_ai.usage.output_tokens"), Some(30), "{what}");
            assert_eq!(
                int(&span, "gen_ai.usage.cache_read.input_tokens"),
                Some(8),
                "{what}"
            );
            assert_eq!(
                int(&span, "gen_ai.usage.reasoning.output_tokens"),
                Some(25),
                "{what}"
            );

            // The histogram keeps its two token types; details are parts of them.
            let points = h.u64_points("gen_ai.client.token.usage");
            let mut types: Vec<(String, u64)> = points
                .iter()
                .map(|p| {
                    let t = kv_map(p.attributes())["gen_ai.token.type"]
                        .as_str()
                        .into_owned();
                    (t, p.sum())
                })
                .collect();
            types.sort();
            assert_eq!(
                types,
                [("input".to_owned(), 12), ("output".to_owned(), 30)],
                "{what}"
            );

            let metrics = &row(&span)["metrics"];
            assert_eq!(metrics["prompt_tokens"], 12, "{what}");
            assert_eq!(metrics["completion_tokens"], 30, "{what}");
            assert_eq!(metrics["prompt_cached_tokens"], 8, "{what}");
            assert_eq!(metrics["completion_reasoning_tokens"], 25, "{what}");
        }
    }
}

#[tokio::test]
async fn token_details_are_never_invented() {
    let server = MockInferenceServer::start().await.unwrap();
    for mode in MODES {
        let h = Harness::new();
        let client = client(&server, &h, false, mode);
        server.enqueue(Reply::chat_completion("4").with_usage(3, 1));
        client.complete(request()).await.unwrap();
        server.enqueue(Reply::chat_stream(["4"]).with_usage(3, 1));
        let mut stream = client.complete_streaming(request()).await.unwrap();
        while stream.next().await.is_some() {}
        let spans = h.spans();
        assert_eq!(spans.len(), 2);
        for span in &spans {
            let a = attrs(span);
            assert!(a.contains_key("gen_ai.usage.input_tokens"));
            assert!(
                !a.contains_key("gen_ai.usage.cache_read.input_tokens"),
                "{a:?}"
            );
            assert!(
                !a.contains_key("gen_ai.usage.reasoning.output_tokens"),
                "{a:?}"
            );
            let metrics = &row(span)["metrics"];
            assert!(metrics.get("prompt_cached_tokens").is_none(), "{metrics}");
            assert!(
                metrics.get("completion_reasoning_tokens").is_none(),
                "{metrics}"
            );
        }
    }
}

/// With recording on, the reasoning is in the choice event (today's names)
/// or a `reasoning` part of `gen_ai.output.messages` (newer names), and in
/// the Braintrust output message under its wire name, whole and streamed.
#[tokio::test]
async fn reasoning_is_recorded_with_content_recording_on() {
    let server = MockInferenceServer::start().await.unwrap();
    for mode in MODES {
        for streamed in [false, true] {
            let h = Harness::new();
            let client = client(&server, &h, true, mode);
            if streamed {
                server.enqueue(Reply::chat_stream(["It is ", "4."]).with_reasoning(REASONING));
                let mut stream = client.complete_streaming(request()).await.unwrap();
                let mut reasoning = String::new();
                while let Some(update) = stream.next().await {
                    reasoning.push_str(update.unwrap().reasoning_content().unwrap_or_default());
                }
                assert_eq!(reasoning, REASONING_TEXT);
            } else {
                server.enqueue(Reply::chat_completion("It is 4.").with_reasoning(REASONING));
                let answer = client.complete(request()).await.unwrap();
                assert_eq!(answer.reasoning_content(), Some(REASONING_TEXT));
                assert_eq!(
                    answer.choices[0].message.reasoning_content.as_deref(),
                    Some(REASONING_TEXT)
                );
            }
            let span = only_span(&h);
            let what = format!("{mode:?}, streamed {streamed}");
            match mode {
                SemconvMode::Default => {
                    let event = choice_event(&span);
                    assert_eq!(
                        event["message"]["reasoning_content"], REASONING_TEXT,
                        "{what}"
                    );
                    assert_eq!(event["message"]["content"], "It is 4.", "{what}");
                }
                _ => {
                    // The newer names carry content in the attribute, valid
                    // against the v1.41 schema, and no choice event (v1.41
                    // deprecates it).
                    semconv_v141::assert_no_deprecated_events(&span);
                    assert_eq!(
                        semconv_v141::content_attribute(&span, "gen_ai.output.messages"),
                        Some(output_messages(&span)),
                        "{what}"
                    );
                    assert_eq!(
                        output_messages(&span),
                        json!([{"role": "assistant", "parts": [
                            {"type": "reasoning", "content": REASONING_TEXT},
                            {"type": "text", "content": "It is 4."}
                        ], "finish_reason": "stop"}]),
                        "{what}"
                    );
                }
            }
            let output = &row(&span)["output"];
            let message = &output[0]["message"];
            assert_eq!(
                message["reasoning_content"], REASONING_TEXT,
                "{what}: {output}"
            );
            assert_eq!(message["content"], "It is 4.", "{what}: {output}");
        }
    }
}

/// Recording off: neither the reasoning nor a tool call's name or arguments
/// reach any span, event, attribute or Braintrust row, whole or streamed.
#[tokio::test]
async fn reasoning_and_tool_arguments_never_leak_with_recording_off() {
    const SECRET_ARGS: &str = r#"{"account":"IBAN-SECRET-42"}"#;
    let server = MockInferenceServer::start().await.unwrap();
    for mode in MODES {
        let h = Harness::new();
        let client = client(&server, &h, false, mode);
        server.enqueue(Reply::chat_completion("It is 4.").with_reasoning(REASONING));
        client.complete(request()).await.unwrap();
        server.enqueue(Reply::chat_stream(["It is ", "4."]).with_reasoning(REASONING));
        let mut stream = client.complete_streaming(request()).await.unwrap();
        while stream.next().await.is_some() {}
        server.enqueue(
            Reply::chat_tool_calls([("call_1", "transfer_funds", SECRET_ARGS)])
                .with_reasoning(REASONING),
        );
        client.complete(request()).await.unwrap();
        server.enqueue(
            Reply::chat_stream_tool_call(
                "call_2",
                "transfer_funds",
                ["{\"account\":", "\"IBAN-SECRET-42\"}"],
            )
            .with_reasoning(REASONING),
        );
        let mut stream = client.complete_streaming(request()).await.unwrap();
        while stream.next().await.is_some() {}

        let spans = h.spans();
        assert_eq!(spans.len(), 4);
        let mut everything = dump(&spans);
        for span in &spans {
            everything.push_str(&row(span).to_string());
        }
        for secret in [
            "2+2; ",
            "that is 4",
            "IBAN-SECRET",
            "transfer_funds",
            "It is 4",
        ] {
            assert!(
                !everything.contains(secret),
                "{mode:?}: {secret:?} leaked:\n{everything}"
            );
        }
        // The finish reasons still are there; today's names also keep the
        // tool-call ids in the content-free choice events, the newer names
        // have no event for them (v1.41 deprecates `gen_ai.choice`).
        for span in &spans {
            assert!(
                attrs(span).contains_key("gen_ai.response.finish_reasons"),
                "{mode:?}: {}",
                span.name
            );
        }
        assert_eq!(
            row(&spans[2])["output"][0]["finish_reason"],
            "tool_calls",
            "{mode:?}"
        );
        match mode {
            SemconvMode::Default => assert!(
                everything.contains("call_1") && everything.contains("call_2"),
                "{everything}"
            ),
            _ => spans
                .iter()
                .for_each(|span| assert!(span.events.is_empty(), "{:?}", span.events)),
        }
    }
}
