//! Both convention modes, driven by real client calls against the mock
//! service: each mode's spans use its own names (and only those), the
//! metrics have the same instruments and differ only in the provider key, and
//! the Braintrust rows mapped from the two modes' spans are equal once ids,
//! times, the two vocabulary-named metadata keys and the parameters recorded
//! only under the newer names (`stream`, `n`) are set aside.
//!
//! Both modes run against the same server with clones of the same scripted
//! replies, so response ids, models, token counts and `server.port` agree.

mod support;
use support::client as client_support;
use support::semconv_v141;
use support::telemetry;

use std::collections::BTreeMap;
use std::time::Duration;

use azure_ai_inference_otel::client::ClientOptions;
use azure_ai_inference_otel::exporters::braintrust::preview_row;
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatCompletionsToolCall, ChatCompletionsToolDefinition,
    ChatRequestMessage, ContentItem, EmbeddingEncodingFormat, EmbeddingsOptions,
    FunctionDefinition,
};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value, json};
use support::genai_spans::{VOCABULARY_DEFAULT, VOCABULARY_LATEST, Vocabulary, vocabulary};
use telemetry::{Harness, attrs};

const MODEL: &str = "gpt-4o-mini";
const EMBEDDINGS_MODEL: &str = "text-embedding-3-small";
const SCENARIOS: usize = 9;

/// The service's answers, in call order. Built once and cloned for each
/// mode: ids are fixed when a reply is built.
fn replies() -> Vec<Reply> {
    vec![
        Reply::chat_completion("Paris, seen in the picture.").with_model("gpt-4o-mini-2024-07-18"),
        Reply::chat_tool_calls([("call_w1", "get_weather", r#"{ "city": "Paris" }"#)]),
        Reply::chat_completion("It is 21 degrees in Paris."),
        Reply::chat_choices([("First answer.", "stop"), ("Second, cut", "length")]),
        Reply::chat_stream(["Bon", "jour", "!"]),
        Reply::chat_stream_tool_call("call_t2", "get_time", ["{\"tz\":", " \"CET\"}"]),
        Reply::chat_stream(["cut", " short", " here"]).truncated_after(2),
        Reply::embeddings(2, 4),
        Reply::error(400, "BadRequest", "max_tokens is too large"),
    ]
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

fn chat(messages: Vec<ChatRequestMessage>) -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(messages).with_model(MODEL)
}

/// Everything one mode produced.
struct Run {
    harness: Harness,
    vocabulary: &'static Vocabulary,
}

/// Runs the scenarios in `mode` against `server`, content recording on or off.
async fn run(
    server: &MockInferenceServer,
    mode: SemconvMode,
    replies: &[Reply],
    record: bool,
) -> Run {
    for reply in replies {
        server.enqueue(reply.clone());
    }
    let harness = Harness::new();
    let options = ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_telemetry(harness.options(record).with_semconv_mode(mode));
    let client = client_support::chat(server, options.clone());

    // 1. Whole answer: system + multimodal user message, every parameter.
    client
        .complete(
            chat(vec![
                ChatRequestMessage::system("You are terse."),
                ChatRequestMessage::user_parts(vec![
                    ContentItem::text("Which city is this?"),
                    ContentItem::image_url("https://example.com/city.png"),
                ]),
            ])
            .with_temperature(0.25)
            .with_top_p(0.9)
            .with_max_tokens(64)
            .with_frequency_penalty(0.5)
            .with_presence_penalty(0.25)
            .with_seed(7)
            .with_stop(["END"]),
        )
        .await
        .expect("completion");
    // 2. The model calls a tool.
    client
        .complete(
            chat(vec![ChatRequestMessage::user("Weather in Paris?")])
                .with_tools(vec![weather_tool()]),
        )
        .await
        .expect("tool call");
    // 3. The tool's result goes back.
    client
        .complete(
            chat(vec![
                ChatRequestMessage::user("Weather in Paris?"),
                ChatRequestMessage::assistant_tool_calls(vec![ChatCompletionsToolCall::function(
                    "call_w1",
                    "get_weather",
                    r#"{"city":"Paris"}"#,
                )]),
                ChatRequestMessage::tool("call_w1", r#"{"temp_c":21}"#),
            ])
            .with_tools(vec![weather_tool()]),
        )
        .await
        .expect("tool result");
    // 4. Two choices, asked with a content array of one text item.
    client
        .complete(chat(vec![ChatRequestMessage::user_parts(vec![
            ContentItem::text("Two answers"),
        ])]))
        .await
        .expect("two choices");
    // 5. Streamed text.
    read_stream(&client, chat(vec![ChatRequestMessage::user("Say hello")])).await;
    // 6. Streamed tool call.
    read_stream(&client, chat(vec![ChatRequestMessage::user("Time?")])).await;
    // 7. A stream cut before it finished.
    read_stream(&client, chat(vec![ChatRequestMessage::user("Long story")])).await;
    // 8. Embeddings.
    client_support::embeddings(server, options.clone())
        .embed(
            EmbeddingsOptions::new(["first text", "second text"])
                .with_model(EMBEDDINGS_MODEL)
                .with_encoding_format(EmbeddingEncodingFormat::Float),
        )
        .await
        .expect("embeddings");
    // 9. An error answer.
    client
        .complete(chat(vec![ChatRequestMessage::user("Too much")]).with_max_tokens(1_000_000))
        .await
        .expect_err("400");

    assert_eq!(server.pending_replies(), 0, "every scripted reply was used");
    Run {
        harness,
        vocabulary: vocabulary(mode),
    }
}

async fn read_stream(
    client: &azure_ai_inference_otel::client::ChatCompletionsClient,
    request: ChatCompletionsOptions,
) {
    let stream = client
        .complete_streaming(request)
        .await
        .expect("stream accepted");
    let _: Vec<_> = stream.collect().await;
}

/// Both modes, one after the other, against one server, content recording on.
async fn both_modes() -> (Run, Run) {
    both_modes_recording(true).await
}

async fn both_modes_recording(record: bool) -> (Run, Run) {
    let server = MockInferenceServer::start().await.expect("mock server");
    let replies = replies();
    let default = run(&server, SemconvMode::Default, &replies, record).await;
    let latest = run(&server, SemconvMode::LatestExperimental, &replies, record).await;
    (default, latest)
}

fn string_attr(span: &SpanData, key: &str) -> Option<String> {
    attrs(span).get(key).map(|v| v.as_str().into_owned())
}

fn is_chat(span: &SpanData) -> bool {
    string_attr(span, "gen_ai.operation.name").as_deref() == Some("chat")
}

fn choice_count(span: &SpanData) -> usize {
    span.events
        .iter()
        .filter(|e| e.name == "gen_ai.choice")
        .count()
}

fn message_events(span: &SpanData) -> Vec<String> {
    span.events
        .iter()
        .map(|e| e.name.to_string())
        .filter(|n| n.starts_with("gen_ai.") && n.ends_with(".message"))
        .collect()
}

#[tokio::test]
async fn spans_carry_their_modes_names_and_only_those() {
    let (default, latest) = both_modes().await;
    for (run, other) in [(&default, &latest), (&latest, &default)] {
        let vocab = run.vocabulary;
        let spans = run.harness.spans();
        assert_eq!(spans.len(), SCENARIOS);
        for span in &spans {
            let a = attrs(span);
            let name = &span.name;
            assert_eq!(
                string_attr(span, vocab.system_key).as_deref(),
                Some(vocab.system_value),
                "{name}"
            );
            assert_eq!(
                string_attr(span, vocab.namespace_key).as_deref(),
                Some(vocab.namespace_value),
                "{name}"
            );
            for key in [other.vocabulary.system_key, other.vocabulary.namespace_key] {
                assert!(!a.contains_key(key), "{name}: {key} in the wrong mode");
            }
            // Events carry the provider under the mode's key too.
            for event in span.events.iter().filter(|e| e.name != "exception") {
                let keys: Vec<_> = event.attributes.iter().map(|kv| kv.key.as_str()).collect();
                assert!(keys.contains(&vocab.system_key), "{name}: {keys:?}");
                assert!(!keys.contains(&other.vocabulary.system_key), "{name}");
            }
        }
    }

    // Today's names: content as message events, never as attributes.
    for span in default.harness.spans().iter().filter(|s| is_chat(s)) {
        let a = attrs(span);
        assert!(
            !message_events(span).is_empty(),
            "{}: no message events",
            span.name
        );
        assert!(!a.contains_key("gen_ai.input.messages"), "{}", span.name);
        assert!(!a.contains_key("gen_ai.output.messages"), "{}", span.name);
    }
    // Newer names: content as attributes valid against the v1.41 schemas,
    // finish reasons in `gen_ai.response.finish_reasons`, and no event v1.41
    // deprecates (message or choice events).
    let default_spans = default.harness.spans();
    for (i, span) in latest.harness.spans().iter().enumerate() {
        semconv_v141::assert_no_deprecated_events(span);
        semconv_v141::validate_content_attributes(span);
        if !is_chat(span) {
            continue;
        }
        let a = attrs(span);
        assert!(a.contains_key("gen_ai.input.messages"), "{}", span.name);
        // Output messages and finish reasons exactly where today's names
        // have choice events, one per choice.
        let choices = choice_count(&default_spans[i]);
        let reasons = a
            .get("gen_ai.response.finish_reasons")
            .map(|v| telemetry::string_array(v).len());
        assert_eq!(reasons.unwrap_or(0), choices, "{}", span.name);
        let outputs = semconv_v141::content_attribute(span, "gen_ai.output.messages")
            .map(|o| o.as_array().map_or(0, Vec::len));
        assert_eq!(outputs.unwrap_or(0), choices, "{}", span.name);
    }
}

/// Metric points as `name -> (unit, {attributes -> (count, token sum)})`,
/// with the provider attribute's key and value replaced by `<provider>`
/// after checking they are the mode's.
type Points = BTreeMap<String, (String, BTreeMap<Vec<(String, String)>, (u64, Option<u64>)>)>;

fn metric_points(run: &Run) -> Points {
    let vocab = run.vocabulary;
    let all = run.harness.metrics();
    let last = all.last().expect("a metrics export");
    let mut out = Points::new();
    let key_of = |attributes: &mut dyn Iterator<Item = &KeyValue>| {
        let mut key: Vec<(String, String)> = attributes
            .map(|kv| (kv.key.as_str().to_owned(), kv.value.as_str().into_owned()))
            .collect();
        let providers: Vec<_> = key
            .iter_mut()
            .filter(|(k, _)| k == "gen_ai.system" || k == "gen_ai.provider.name")
            .collect();
        assert_eq!(providers.len(), 1, "one provider attribute: {providers:?}");
        for (k, v) in providers {
            assert_eq!(
                (k.as_str(), v.as_str()),
                (vocab.system_key, vocab.system_value)
            );
            *k = "<provider>".to_owned();
            *v = "<provider>".to_owned();
        }
        key.sort();
        key
    };
    for scope in last.scope_metrics() {
        for metric in scope.metrics() {
            let mut points = BTreeMap::new();
            match metric.data() {
                AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                    for p in h.data_points() {
                        points.insert(key_of(&mut p.attributes()), (p.count(), None));
                    }
                }
                AggregatedMetrics::U64(MetricData::Histogram(h)) => {
                    for p in h.data_points() {
                        points.insert(key_of(&mut p.attributes()), (p.count(), Some(p.sum())));
                    }
                }
                _ => panic!("{} is not a histogram", metric.name()),
            }
            out.insert(metric.name().to_owned(), (metric.unit().to_owned(), points));
        }
    }
    out
}

#[tokio::test]
async fn metrics_have_the_same_instruments_and_differ_only_in_the_provider_key() {
    let (default, latest) = both_modes().await;
    let default_points = metric_points(&default);
    let latest_points = metric_points(&latest);
    let names: Vec<_> = default_points.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "gen_ai.client.operation.duration",
            "gen_ai.client.operation.time_per_output_chunk",
            "gen_ai.client.operation.time_to_first_chunk",
            "gen_ai.client.token.usage",
        ],
    );
    let durations: u64 = default_points["gen_ai.client.operation.duration"]
        .1
        .values()
        .map(|(count, _)| count)
        .sum();
    assert_eq!(durations, SCENARIOS as u64, "one duration per call");
    assert_eq!(default_points, latest_points);
}

/// A span's row in a form both modes can share: ids, times and the two
/// metadata keys named by the vocabulary (after checking their values, or
/// their absence from llm rows) set aside. Everything else, content
/// included, must match.
fn comparable(span: &SpanData, vocab: &Vocabulary) -> Value {
    let mut row = preview_row(span);
    let masked = || json!("<masked>");
    for key in ["id", "span_id", "root_span_id", "created"] {
        *row.get_mut(key).expect(key) = masked();
    }
    if let Some(Value::Array(parents)) = row.get_mut("span_parents") {
        parents.iter_mut().for_each(|p| *p = masked());
    }
    let metrics = row["metrics"].as_object_mut().expect("metrics");
    for key in ["start", "end", "time_to_first_token"] {
        if let Some(v) = metrics.get_mut(key) {
            *v = masked();
        }
    }
    let llm = row["span_attributes"]["type"] == "llm";
    let metadata = row["metadata"].as_object_mut().expect("metadata");
    for (key, value) in [
        (vocab.system_key, vocab.system_value),
        (vocab.namespace_key, vocab.namespace_value),
    ] {
        // Braintrust's data policy keeps the vocabulary keys off llm rows;
        // other rows carry them with the vocabulary's values.
        let expected = (!llm).then(|| json!(value));
        assert_eq!(metadata.remove(key), expected, "{} {key}", span.name);
    }
    // Parameters only the newer names record (TELEMETRY.md).
    for key in ["gen_ai.request.stream", "gen_ai.request.choice.count"] {
        let value = metadata.remove(key);
        if llm {
            // Not among the parameters Braintrust's data policy allows.
            assert_eq!(value, None, "{}: {key}", span.name);
            continue;
        }
        match vocab.mode {
            SemconvMode::Default => assert_eq!(value, None, "{}: {key}", span.name),
            _ if key == "gen_ai.request.stream" => {
                let streamed = span.attributes.iter().any(|kv| kv.key.as_str() == key);
                assert_eq!(
                    value,
                    streamed.then_some(json!(true)),
                    "{}: {key}",
                    span.name
                );
            }
            _ => {}
        }
    }
    row
}

fn comparable_rows(run: &Run) -> Vec<Value> {
    run.harness
        .spans()
        .iter()
        .map(|s| comparable(s, run.vocabulary))
        .collect()
}

#[tokio::test]
async fn braintrust_rows_are_equal_between_modes() {
    let (default, latest) = both_modes().await;
    let default_rows = comparable_rows(&default);
    let latest_rows = comparable_rows(&latest);
    assert_eq!(default_rows.len(), SCENARIOS);
    assert_eq!(latest_rows.len(), SCENARIOS);
    for (d, l) in default_rows.iter().zip(&latest_rows) {
        assert_eq!(d, l, "rows differ for {}", d["span_attributes"]["name"]);
    }

    // Not vacuous: the rows carry the recorded content.
    let first = &default_rows[0];
    assert_eq!(first["input"][1]["content"][1]["type"], "image_url");
    assert_eq!(
        first["output"][0]["message"]["content"],
        "Paris, seen in the picture."
    );
    assert_eq!(first["metadata"]["temperature"], json!(0.25));
    let tool_result = &default_rows[2];
    assert_eq!(tool_result["input"][2]["tool_call_id"], "call_w1");
    assert_eq!(
        tool_result["input"][1]["tool_calls"][0]["function"]["arguments"],
        r#"{"city":"Paris"}"#
    );
    let streamed_tool = &default_rows[5];
    assert_eq!(
        streamed_tool["output"][0]["message"]["tool_calls"][0]["function"]["name"],
        "get_time"
    );
    assert!(default_rows[8]["error"].is_string());
}

/// Content recording off: the rows are equal too, but for the tool-call
/// ids that today's names keep in their content-free choice events (the
/// newer names have no event for them: v1.41 deprecates `gen_ai.choice`,
/// and a call id is part of the opt-in output messages). Nothing of the
/// content is in either.
#[tokio::test]
async fn braintrust_rows_without_content_are_equal_between_modes() {
    let (default, latest) = both_modes_recording(false).await;
    let mut default_rows = comparable_rows(&default);
    let latest_rows = comparable_rows(&latest);
    assert_eq!(default_rows.len(), SCENARIOS);
    let mut ids = Vec::new();
    for row in &mut default_rows {
        let output = row.get_mut("output").and_then(Value::as_array_mut);
        for choice in output.into_iter().flatten() {
            if let Some(calls) = choice["message"]
                .as_object_mut()
                .and_then(|m| m.remove("tool_calls"))
            {
                ids.extend(
                    calls
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| c["id"].clone()),
                );
            }
        }
    }
    assert_eq!(ids, [json!("call_w1"), json!("call_t2")]);
    for (d, l) in default_rows.iter().zip(&latest_rows) {
        assert_eq!(d, l, "rows differ for {}", d["span_attributes"]["name"]);
        assert!(d.get("input").is_none(), "{d}");
    }
    // Not vacuous: the outline of the answers is there.
    assert_eq!(
        latest_rows[3]["output"],
        json!([
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant"}},
            {"index": 1, "finish_reason": "length", "message": {"role": "assistant"}},
        ])
    );
    assert_eq!(latest_rows[1]["output"][0]["finish_reason"], "tool_calls");
    assert_eq!(latest_rows[6]["output"][0]["finish_reason"], "error");
}

/// The comparison sees what matters: changed content, a lost structured
/// attribute and an unnormalized vocabulary key all make rows differ.
#[tokio::test]
async fn the_row_comparison_can_fail() {
    let (default, latest) = both_modes().await;
    let default_spans = default.harness.spans();
    let latest_spans = latest.harness.spans();
    let baseline = comparable(&default_spans[0], &VOCABULARY_DEFAULT);
    assert_eq!(baseline, comparable(&latest_spans[0], &VOCABULARY_LATEST));

    let mut edited = baseline.clone();
    edited["output"][0]["message"]["content"] = json!("Lyon.");
    assert_ne!(baseline, edited, "changed content");

    let mut without_output = latest_spans[0].clone();
    without_output
        .attributes
        .retain(|kv| kv.key.as_str() != "gen_ai.output.messages");
    assert_ne!(
        baseline,
        comparable(&without_output, &VOCABULARY_LATEST),
        "a mapping that ignored the structured output"
    );

    let raw = |span: &SpanData| preview_row(span);
    let (mut d, mut l) = (raw(&default_spans[0]), raw(&latest_spans[0]));
    for row in [&mut d, &mut l] {
        for key in ["id", "span_id", "root_span_id", "created", "metrics"] {
            row.as_object_mut().expect("row").remove(key);
        }
    }
    // The vocabulary keys, which alone told the modes apart, are not on llm
    // rows (Braintrust's data policy): the raw rows are the same.
    assert_eq!(d, l, "llm rows carry no vocabulary keys");
}
