//! With content recording off (the default), no prompt, answer, tool name,
//! tool argument, image or embedding input leaves the process: a marker put
//! in all of them never appears in any byte the Braintrust stand-in or the
//! OTLP collector received through the full pipeline (native Braintrust +
//! OTLP), on success, tool-call, streaming, truncation, cancellation and
//! error paths, in both convention modes. The positive control: with
//! recording on, the same marker does arrive in both.

mod support;
use support::e2e;

use std::time::Duration;

use azure_ai_inference_otel::client::{
    ChatCompletionsClient, ClientOptions, Credential, EmbeddingsClient, ImageEmbeddingsClient,
};
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatCompletionsToolCall, ChatCompletionsToolDefinition,
    ChatRequestMessage, ContentItem, EmbeddingsOptions, FunctionDefinition, ImageEmbeddingInput,
    ImageEmbeddingsOptions,
};
use azure_ai_inference_otel::telemetry::{SemconvMode, TelemetryOptions};

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use e2e::Sinks;
use futures::StreamExt;
use serde_json::json;

/// In every piece of content below; nowhere else (not in ids, models or keys).
const MARK: &str = "zq7731mark";

/// What a run exported, byte for byte.
struct Exported {
    braintrust: Vec<u8>,
    otlp: Vec<u8>,
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

fn tools() -> Vec<ChatCompletionsToolDefinition> {
    vec![ChatCompletionsToolDefinition::function(
        FunctionDefinition::new(format!("lookup_{MARK}"))
            .with_description(format!("looks up {MARK}"))
            .with_parameters(json!({"type": "object", "properties": {MARK: {"type": "string"}}})),
    )]
}

fn chat_request(extra: Vec<ChatRequestMessage>) -> ChatCompletionsOptions {
    let mut messages = vec![
        ChatRequestMessage::system(format!("system {MARK} prompt")),
        ChatRequestMessage::user_parts(vec![
            ContentItem::text(format!("user {MARK} question")),
            ContentItem::image_url(format!("https://images.example/{MARK}.png")),
        ]),
    ];
    messages.extend(extra);
    ChatCompletionsOptions::new(messages)
        .with_model("gpt-4o-mini")
        .with_tools(tools())
}

/// The calls of every scenario, each answered with content carrying the
/// marker; returns how many spans they make.
async fn scenarios(server: &MockInferenceServer, options: ClientOptions) -> usize {
    let credential = || Credential::api_key(e2e::SERVICE_KEY).expect("key");
    let chat = ChatCompletionsClient::new(server.endpoint(), credential(), Some(options.clone()))
        .expect("chat client");
    let embeddings = EmbeddingsClient::new(server.endpoint(), credential(), Some(options.clone()))
        .expect("embeddings client");
    let images = ImageEmbeddingsClient::new(server.endpoint(), credential(), Some(options))
        .expect("image embeddings client");

    // A whole answer.
    server.enqueue(Reply::chat_completion(format!("answer {MARK} text")));
    let answer = chat.complete(chat_request(vec![])).await.expect("answer");
    assert!(answer.content().is_some_and(|c| c.contains(MARK)));

    // The model calls a tool; the result goes back.
    server.enqueue(Reply::chat_tool_calls([(
        "call_1",
        format!("lookup_{MARK}"),
        format!(r#"{{"{MARK}":"{MARK} value"}}"#),
    )]));
    chat.complete(chat_request(vec![]))
        .await
        .expect("tool call");
    server.enqueue(Reply::chat_completion(format!("after the tool, {MARK}")));
    let follow_up = vec![
        ChatRequestMessage::assistant_tool_calls(vec![ChatCompletionsToolCall::function(
            "call_1",
            format!("lookup_{MARK}"),
            format!(r#"{{"{MARK}":"{MARK} value"}}"#),
        )]),
        ChatRequestMessage::tool("call_1", format!("tool said {MARK}")),
    ];
    chat.complete(chat_request(follow_up))
        .await
        .expect("tool result");

    // Streams: text, a tool call, one cut short, one dropped by the caller.
    server.enqueue(Reply::chat_stream(["streamed ", MARK, " words"]));
    server.enqueue(Reply::chat_stream_tool_call(
        "call_2",
        format!("lookup_{MARK}"),
        [format!("{{\"q\":\"{MARK}"), "\"}".to_owned()],
    ));
    server.enqueue(Reply::chat_stream(["partial ", MARK, " text"]).truncated_after(2));
    for _ in 0..3 {
        let stream = chat
            .complete_streaming(chat_request(vec![]))
            .await
            .expect("stream accepted");
        let _: Vec<_> = stream.collect().await;
    }
    server.enqueue(Reply::chat_stream([MARK, " more ", MARK]));
    let mut stream = chat
        .complete_streaming(chat_request(vec![]))
        .await
        .expect("stream accepted");
    stream.next().await.expect("a chunk").expect("valid chunk");
    drop(stream);

    // An error answer quoting the prompt.
    server.enqueue(Reply::error(
        400,
        "BadRequest",
        format!("rejected: user {MARK} question"),
    ));
    chat.complete(chat_request(vec![])).await.expect_err("400");

    // Embeddings of text and of an image with a caption, then an error.
    server.enqueue(Reply::embeddings(1, 4));
    embeddings
        .embed(EmbeddingsOptions::new([format!("embed {MARK} text")]))
        .await
        .expect("embeddings");
    server.enqueue(Reply::embeddings(1, 4));
    let image = ImageEmbeddingInput::from_bytes(MARK.as_bytes(), "image/png")
        .with_text(format!("caption {MARK}"));
    images
        .embed(ImageEmbeddingsOptions::new(vec![image]))
        .await
        .expect("image embeddings");
    server.enqueue(Reply::error(
        400,
        "BadRequest",
        format!("input {MARK} rejected"),
    ));
    embeddings
        .embed(EmbeddingsOptions::new([format!("embed {MARK} again")]))
        .await
        .expect_err("400");

    // The marker did go out to the service, in every request.
    let requests = server.requests();
    assert_eq!(requests.len(), 11);
    for request in &requests {
        assert!(contains(&request.body, MARK), "{}", request.path);
    }
    requests.len()
}

/// Runs every scenario through an installed pipeline (native Braintrust +
/// OTLP) with `telemetry`, shuts it down, and returns every byte received.
async fn export(telemetry: impl FnOnce(TelemetryOptions) -> TelemetryOptions) -> Exported {
    let sinks = Sinks::start();
    let server = MockInferenceServer::start().await.expect("mock server");
    let guard = sinks
        .pipeline("e2e-no-content")
        .with_global(false)
        .install()
        .expect("pipeline installs");
    let options = ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_telemetry(telemetry(e2e::options_for(&guard)));
    e2e::install_propagator();
    let spans = scenarios(&server, options).await;
    guard.shutdown_async().await.expect("clean shutdown");

    // Not vacuous: every span arrived at both, metrics too.
    sinks.stand_in.assert_clean();
    assert_eq!(sinks.stand_in.rows().len(), spans);
    assert_eq!(sinks.collector.spans().len(), spans);
    assert!(
        sinks
            .collector
            .metrics()
            .iter()
            .any(|(_, name)| name == "gen_ai.client.operation.duration")
    );
    Exported {
        braintrust: sinks.stand_in.raw_bodies().concat(),
        otlp: sinks
            .collector
            .requests()
            .into_iter()
            .flat_map(|r| r.body)
            .collect(),
    }
}

async fn assert_nothing_leaves(mode: SemconvMode) {
    let exported = export(|options| {
        // The default: nothing set in code.
        assert!(
            !options.content_recording(),
            "content recording must be off by default (is {} set?)",
            "AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED"
        );
        options.with_semconv_mode(mode)
    })
    .await;
    assert!(
        !contains(&exported.braintrust, MARK),
        "{mode:?}: content reached Braintrust:\n{}",
        String::from_utf8_lossy(&exported.braintrust)
    );
    assert!(
        !contains(&exported.otlp, MARK),
        "{mode:?}: content reached the OTLP collector"
    );
}

#[tokio::test]
async fn nothing_leaves_with_todays_names() {
    assert_nothing_leaves(SemconvMode::Default).await;
}

#[tokio::test]
async fn nothing_leaves_with_the_newer_names() {
    assert_nothing_leaves(SemconvMode::LatestExperimental).await;
}

/// The check can fail: with recording on, the marker arrives at both.
#[tokio::test]
async fn with_recording_on_the_marker_arrives() {
    for mode in [SemconvMode::Default, SemconvMode::LatestExperimental] {
        let exported =
            export(|options| options.with_content_recording(true).with_semconv_mode(mode)).await;
        assert!(contains(&exported.braintrust, MARK), "{mode:?}: Braintrust");
        assert!(contains(&exported.otlp, MARK), "{mode:?}: OTLP");
    }
}
