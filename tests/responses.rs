//! The Responses API through `ResponsesClient` against the demo endpoint:
//! plain, streamed, function calls, reasoning, incomplete, failed, cut
//! mid-stream, an in-band `error` event and a dropped stream each give
//! exactly one `chat` span with TELEMETRY.md §10's attributes and the same
//! metrics as chat; the request goes out as the wire format says.

mod support;

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::models::{
    ReasoningEffort, ReasoningSummary, ResponseItem, ResponseStatus, ResponseStreamEvent,
    ResponseTool, ResponseToolChoice, ResponsesOptions, Truncation,
};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply, ResponseAnswer};
use opentelemetry::Value;
use opentelemetry::trace::Status;
use serde_json::json;
use support::responses::{Call, Outcome, run};
use support::telemetry::{Harness, attrs, string_array};

const MODEL: &str = "gpt-5-mini";

fn request() -> ResponsesOptions {
    ResponsesOptions::new("What is the weather in Paris?")
        .with_model(MODEL)
        .with_instructions("Answer briefly.")
        .with_max_output_tokens(300)
        .with_temperature(0.5)
}

async fn scenario(reply: Reply, call: Call) -> Outcome {
    run(reply, request(), call, false, SemconvMode::Default).await
}

fn attr(o: &Outcome, key: &str) -> Option<Value> {
    attrs(&o.span).get(key).cloned()
}

fn finish_reasons(o: &Outcome) -> Vec<String> {
    string_array(&attr(o, "gen_ai.response.finish_reasons").expect("finish reasons"))
}

fn error_type(o: &Outcome) -> Option<String> {
    attr(o, "error.type").map(|v| v.as_str().into_owned())
}

/// What every Responses span carries (§1, §2, §10).
fn assert_common(o: &Outcome) {
    assert_eq!(o.span.name, format!("chat {MODEL}"));
    assert_eq!(o.span.span_kind, opentelemetry::trace::SpanKind::Client);
    let a = attrs(&o.span);
    assert_eq!(a["openai.api.type"], Value::from("responses"));
    assert_eq!(a["gen_ai.operation.name"], Value::from("chat"));
    assert_eq!(a["gen_ai.system"], Value::from("az.ai.inference"));
    assert_eq!(a["gen_ai.request.model"], Value::from(MODEL));
    assert_eq!(a["gen_ai.request.max_tokens"], Value::I64(300));
    assert_eq!(a["gen_ai.request.temperature"], Value::F64(0.5));
    assert_eq!(a["server.address"], Value::from("127.0.0.1"));
}

fn assert_usage(o: &Outcome) {
    let a = attrs(&o.span);
    assert!(
        matches!(a["gen_ai.usage.input_tokens"], Value::I64(n) if n > 0),
        "{a:?}"
    );
    assert!(
        matches!(a["gen_ai.usage.output_tokens"], Value::I64(n) if n > 0),
        "{a:?}"
    );
    assert_eq!(a["gen_ai.response.model"], Value::from(MODEL));
    assert!(a["gen_ai.response.id"].as_str().starts_with("resp_"));
}

#[tokio::test]
async fn plain_call_records_status_usage_and_the_request() {
    let reply = Reply::response(ResponseAnswer::text("It is sunny.").with_cached_tokens(3));
    let o = scenario(reply, Call::Plain).await;
    o.result.as_ref().expect("answer");
    assert_common(&o);
    assert_usage(&o);
    assert_eq!(finish_reasons(&o), ["stop"]);
    assert_eq!(
        attr(&o, "gen_ai.usage.cache_read.input_tokens"),
        Some(Value::I64(3))
    );
    assert_eq!(o.span.status, Status::Unset);
    assert!(attr(&o, "gen_ai.response.time_to_first_chunk").is_none());
    // The request as sent: the route, the model, only what was set.
    let sent = &o.server.requests()[0];
    assert!(sent.path.ends_with("/responses"), "{}", sent.path);
    let body = sent.json().unwrap();
    assert_eq!(
        body,
        json!({"model": MODEL, "input": "What is the weather in Paris?", "instructions": "Answer briefly.",
               "max_output_tokens": 300, "temperature": 0.5})
    );
    // Duration and token usage, as for chat.
    assert_eq!(
        o.harness
            .f64_points("gen_ai.client.operation.duration")
            .len(),
        1
    );
    assert_eq!(o.harness.u64_points("gen_ai.client.token.usage").len(), 2);
}

#[tokio::test]
async fn streamed_call_accumulates_and_times_its_chunks() {
    let reply = Reply::response_stream(ResponseAnswer::text("It is sunny in Paris today."));
    let o = scenario(reply, Call::Streamed).await;
    o.result.as_ref().expect("stream");
    assert_common(&o);
    assert_usage(&o);
    assert_eq!(finish_reasons(&o), ["stop"]);
    let text: String = o
        .events
        .iter()
        .filter_map(|e| match e {
            ResponseStreamEvent::OutputTextDelta { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "It is sunny in Paris today.");
    let last = o
        .events
        .last()
        .and_then(ResponseStreamEvent::terminal_response)
        .expect("terminal");
    assert_eq!(last.status, Some(ResponseStatus::Completed));
    assert!(
        matches!(attr(&o, "gen_ai.response.time_to_first_chunk"), Some(Value::F64(s)) if s >= 0.0)
    );
    assert_eq!(
        o.harness
            .f64_points("gen_ai.client.operation.time_to_first_chunk")
            .len(),
        1
    );
    let per_chunk = o
        .harness
        .f64_points("gen_ai.client.operation.time_per_output_chunk");
    assert_eq!(
        per_chunk.iter().map(|p| p.count()).sum::<u64>(),
        5,
        "six deltas, five gaps"
    );
    let body = o.server.requests()[0].json().unwrap();
    assert_eq!(body["stream"], true);
}

#[tokio::test]
async fn function_calls_finish_as_tool_calls_in_both_modes() {
    let answer =
        || ResponseAnswer::new().with_function_call("call_7", "get_weather", r#"{"city":"Paris"}"#);
    for (reply, call) in [
        (Reply::response(answer()), Call::Plain),
        (Reply::response_stream(answer()), Call::Streamed),
    ] {
        let o = scenario(reply, call).await;
        o.result.as_ref().expect("answer");
        assert_eq!(finish_reasons(&o), ["tool_calls"], "{call:?}");
        let choice = o
            .span
            .events
            .iter()
            .find(|e| e.name == "gen_ai.choice")
            .expect("choice event");
        let body = choice
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == "gen_ai.event.content")
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&body.value.as_str()).unwrap();
        assert_eq!(
            body,
            json!({"finish_reason": "tool_calls", "index": 0,
                   "message": {"tool_calls": [{"id": "call_7", "type": "function"}]}}),
            "{call:?}: content-free without recording"
        );
        let output = attr(&o, "az.ai.inference.response.output").expect("output items");
        let output: serde_json::Value = serde_json::from_str(&output.as_str()).unwrap();
        assert_eq!(output[0]["type"], "function_call");
        assert_eq!(output[0]["call_id"], "call_7");
        assert!(output[0].get("name").is_none() && output[0].get("arguments").is_none());
    }
}

#[tokio::test]
async fn reasoning_settings_and_tokens_are_recorded() {
    let req = request()
        .with_reasoning_effort(ReasoningEffort::Low)
        .with_reasoning_summary(ReasoningSummary::Auto)
        .with_store(false)
        .with_truncation(Truncation::Auto)
        .with_previous_response_id("resp_prev")
        .with_parallel_tool_calls(false)
        .with_tool_choice(ResponseToolChoice::function("get_weather"))
        .with_tools(vec![ResponseTool::function(
            "get_weather",
            "Weather",
            json!({"type": "object"}),
        )]);
    let answer = ResponseAnswer::new()
        .with_reasoning("The user wants weather.")
        .with_text("Sunny.");
    for (reply, call) in [
        (Reply::response(answer.clone()), Call::Plain),
        (Reply::response_stream(answer.clone()), Call::Streamed),
    ] {
        let o = run(reply, req.clone(), call, true, SemconvMode::Default).await;
        o.result.as_ref().expect("answer");
        let a = attrs(&o.span);
        assert_eq!(
            a["az.ai.inference.request.reasoning_effort"],
            Value::from("low")
        );
        assert_eq!(
            a["az.ai.inference.request.reasoning_summary"],
            Value::from("auto")
        );
        assert_eq!(a["az.ai.inference.request.store"], Value::Bool(false));
        assert_eq!(a["az.ai.inference.request.truncation"], Value::from("auto"));
        assert_eq!(
            a["az.ai.inference.request.previous_response_id"],
            Value::from("resp_prev")
        );
        assert_eq!(
            a["az.ai.inference.request.parallel_tool_calls"],
            Value::Bool(false)
        );
        // Recording on: the named tool choice as sent.
        assert_eq!(
            a["az.ai.inference.request.tool_choice"],
            Value::from(r#"{"type":"function","name":"get_weather"}"#)
        );
        assert_eq!(a["gen_ai.usage.reasoning.output_tokens"], Value::I64(8));
        let choice = o
            .span
            .events
            .iter()
            .find(|e| e.name == "gen_ai.choice")
            .unwrap();
        let body = choice
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == "gen_ai.event.content")
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&body.value.as_str()).unwrap();
        assert_eq!(body["message"]["content"], "Sunny.", "{call:?}");
        assert_eq!(
            body["message"]["reasoning_content"], "The user wants weather.",
            "{call:?}"
        );
        let output: serde_json::Value =
            serde_json::from_str(&a["az.ai.inference.response.output"].as_str()).unwrap();
        assert_eq!(
            output[0]["summary"][0]["text"], "The user wants weather.",
            "{call:?}"
        );
        assert_eq!(output[1]["content"][0]["text"], "Sunny.", "{call:?}");
    }
}

#[tokio::test]
async fn a_named_tool_choice_is_only_its_type_without_recording() {
    let req = request().with_tool_choice(ResponseToolChoice::function("secret_tool"));
    let o = run(
        Reply::response(ResponseAnswer::text("ok")),
        req,
        Call::Plain,
        false,
        SemconvMode::Default,
    )
    .await;
    assert_eq!(
        attr(&o, "az.ai.inference.request.tool_choice"),
        Some(Value::from("function"))
    );
}

#[tokio::test]
async fn incomplete_answers_are_successes_with_their_reason() {
    let answer = || ResponseAnswer::text("It is").incomplete("max_output_tokens");
    for (reply, call) in [
        (Reply::response(answer()), Call::Plain),
        (Reply::response_stream(answer()), Call::Streamed),
    ] {
        let o = scenario(reply, call).await;
        o.result
            .as_ref()
            .expect("an incomplete answer is an answer");
        assert_eq!(finish_reasons(&o), ["length"], "{call:?}");
        assert_eq!(o.span.status, Status::Unset);
    }
    let filtered = scenario(
        Reply::response(ResponseAnswer::text("").incomplete("content_filter")),
        Call::Plain,
    )
    .await;
    assert_eq!(finish_reasons(&filtered), ["content_filter"]);
}

#[tokio::test]
async fn failed_answers_are_service_errors_with_their_code() {
    let answer = || ResponseAnswer::text("partial").failed("server_error", "The model failed.");
    for (reply, call) in [
        (Reply::response(answer()), Call::Plain),
        (Reply::response_stream(answer()), Call::Streamed),
    ] {
        let o = scenario(reply, call).await;
        match &o.result {
            Err(Error::Service { code, .. }) => {
                assert_eq!(code.as_deref(), Some("server_error"), "{call:?}")
            }
            other => panic!("{call:?}: {other:?}"),
        }
        assert_eq!(error_type(&o).as_deref(), Some("server_error"), "{call:?}");
        assert_eq!(finish_reasons(&o), ["error"], "{call:?}");
        assert!(matches!(o.span.status, Status::Error { .. }));
        assert!(
            attr(&o, "gen_ai.response.id").is_some(),
            "{call:?}: the failed response is recorded"
        );
    }
}

#[tokio::test]
async fn an_error_event_is_an_in_band_error() {
    let reply = Reply::response_stream(
        ResponseAnswer::text("partial answer").error_event("rate_limit_exceeded", "Slow down."),
    );
    let o = scenario(reply, Call::Streamed).await;
    match &o.result {
        Err(Error::Service { code, .. }) => {
            assert_eq!(code.as_deref(), Some("rate_limit_exceeded"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error_type(&o).as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(finish_reasons(&o), ["error"]);
    let duration = o.harness.f64_points("gen_ai.client.operation.duration");
    assert_eq!(duration.len(), 1);
}

#[tokio::test]
async fn a_body_cut_before_the_terminal_event_is_stream_truncated() {
    let cut = Reply::response_stream(ResponseAnswer::text("It is sunny in Paris."))
        .with_disconnect_after(6);
    let ended =
        Reply::response_stream(ResponseAnswer::text("It is sunny in Paris.")).truncated_after(6);
    for reply in [cut, ended] {
        let o = scenario(reply, Call::Streamed).await;
        assert_eq!(o.events.len(), 6);
        assert!(
            matches!(
                &o.result,
                Err(Error::StreamTruncated {
                    events: Some(6),
                    ..
                })
            ),
            "{:?}",
            o.result
        );
        assert_eq!(error_type(&o).as_deref(), Some("stream_truncated"));
        assert_eq!(finish_reasons(&o), ["error"]);
    }
}

#[tokio::test]
async fn a_dropped_stream_is_cancelled() {
    let reply = Reply::response_stream(ResponseAnswer::text("It is sunny in Paris today."));
    let o = scenario(reply, Call::DroppedAfter(5)).await;
    o.result.as_ref().expect("no error before the drop");
    assert_eq!(o.events.len(), 5);
    assert_eq!(error_type(&o).as_deref(), Some("cancelled"));
    assert!(attr(&o, "gen_ai.response.time_to_first_chunk").is_some());
}

#[tokio::test]
async fn create_refuses_stream_true_and_sends_nothing() {
    let server = MockInferenceServer::start().await.unwrap();
    let harness = Harness::new();
    let client = support::responses::client(&server, &harness, false, SemconvMode::Default);
    let mut req = request();
    req.stream = Some(true);
    let error = client.create(req).await.unwrap_err();
    assert!(error.to_string().contains("stream"), "{error}");
    assert!(server.requests().is_empty());
    assert!(harness.spans().is_empty());
}

#[tokio::test]
async fn input_items_of_every_kind_reach_the_demo_endpoint() {
    let server = MockInferenceServer::start().await.unwrap();
    let harness = Harness::new();
    let client = support::responses::client(&server, &harness, false, SemconvMode::Default);
    // A tool call turn: the demo endpoint calls the first function...
    let first = client
        .create(
            ResponsesOptions::new(vec![ResponseItem::user("Weather in Paris?")])
                .with_model(MODEL)
                .with_tools(vec![ResponseTool::function(
                    "get_weather",
                    "Weather",
                    json!({"type": "object"}),
                )]),
        )
        .await
        .unwrap();
    let call_id = first
        .output
        .iter()
        .find_map(|item| match item {
            ResponseItem::FunctionCall { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .expect("a function call");
    // ...and answers the function's output, sent back with the call (the
    // answer's items go back as they came).
    let mut items = vec![ResponseItem::user("Weather in Paris?")];
    items.extend(first.output);
    items.push(ResponseItem::function_call_output(
        &call_id,
        "22 C and sunny",
    ));
    let second = client
        .create(ResponsesOptions::new(items).with_model(MODEL))
        .await
        .unwrap();
    assert!(second.output_text().unwrap().contains("22 C and sunny"));
    let spans = harness.spans();
    assert_eq!(spans.len(), 2);
    assert_eq!(
        string_array(&attrs(&spans[0])["gen_ai.response.finish_reasons"]),
        ["tool_calls"]
    );
    assert_eq!(
        string_array(&attrs(&spans[1])["gen_ai.response.finish_reasons"]),
        ["stop"]
    );
}

#[tokio::test]
async fn on_a_v1_base_the_route_is_responses_without_api_version_and_a_model_is_required() {
    use azure_ai_inference_otel::client::{ClientOptions, Credential, ResponsesClient};
    let server = MockInferenceServer::start().await.unwrap();
    let harness = Harness::new();
    let client = ResponsesClient::new(
        format!("{}/openai/v1", server.endpoint()),
        Credential::api_key("test-key").unwrap(),
        Some(ClientOptions::new().with_telemetry(harness.options(false))),
    )
    .unwrap();
    let missing = client
        .create(ResponsesOptions::new("hi"))
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("model"), "{missing}");
    assert!(server.requests().is_empty(), "refused before sending");
    client.create(request()).await.unwrap();
    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/openai/v1/responses");
    assert_eq!(sent.query_param("api-version"), None);
    assert_eq!(sent.header("api-key"), Some("test-key"));
}
