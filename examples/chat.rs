//! A chat completion with a tool: the model asks for `get_weather`, the
//! example runs the tool and sends its result back, and the model answers.
//!
//! ```text
//! cargo run --example chat
//! ```
//!
//! Without `AZURE_AI_INFERENCE_ENDPOINT` it talks to the built-in demo
//! endpoint (no network), which always calls the first tool it is offered;
//! with it (plus `AZURE_AI_INFERENCE_KEY`, and `AZURE_AI_INFERENCE_MODEL`
//! for endpoints serving several models) it talks to that endpoint.
//!
//! Telemetry comes from the environment (`PipelineBuilder::from_env`): the
//! exporters in `AZURE_AI_INFERENCE_OTEL_EXPORTERS` (e.g. `otlp`,
//! `braintrust`), else `otlp` when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, else
//! `stdout`, which prints the two `chat` spans (with their token counts and
//! finish reasons) at the end.

mod common;

use std::error::Error;

use azure_ai_inference_otel::models::{
    ChatCompletions, ChatCompletionsOptions, ChatCompletionsToolDefinition, ChatRequestMessage,
    FunctionDefinition,
};
use azure_ai_inference_otel::setup::PipelineBuilder;
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let target = common::Target::from_env()?;
    let guard = PipelineBuilder::from_env()?
        .with_service_name("chat-example")
        .install()?;
    let client = target.chat_client(TelemetryOptions::new())?;

    let weather = ChatCompletionsToolDefinition::function(
        FunctionDefinition::new("get_weather")
            .with_description("The current weather in a city")
            .with_parameters(json!({
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The city name"}},
                "required": ["city"]
            })),
    );
    let mut messages = vec![
        ChatRequestMessage::system(
            "You answer questions about the weather. Use the get_weather tool.",
        ),
        ChatRequestMessage::user("What's the weather like in Paris today?"),
    ];
    println!("user:      What's the weather like in Paris today?");

    // First turn: the model may ask for the tool.
    let first = client
        .complete(ChatCompletionsOptions::new(messages.clone()).with_tools(vec![weather.clone()]))
        .await?;
    report(&first);
    let Some(choice) = first.choices.first() else {
        return Err("the service answered no choice".into());
    };
    let calls = choice.message.tool_calls.clone().unwrap_or_default();

    if !calls.is_empty() {
        // Run each call and hand the results back in a second turn.
        messages.push(ChatRequestMessage::from(choice.message.clone()));
        for call in &calls {
            let result = get_weather(&call.function.arguments);
            println!(
                "tool:      {}({}) -> {result}",
                call.function.name, call.function.arguments
            );
            messages.push(ChatRequestMessage::tool(&call.id, result.to_string()));
        }
        let second = client
            .complete(ChatCompletionsOptions::new(messages).with_tools(vec![weather]))
            .await?;
        report(&second);
    }

    // Delivers the spans; with `stdout` they are printed now.
    guard.shutdown_async().await?;
    Ok(())
}

/// Prints what one turn answered and what it cost.
fn report(answer: &ChatCompletions) {
    if let Some(text) = answer.content() {
        println!("assistant: {text}");
    }
    for choice in &answer.choices {
        for call in choice.message.tool_calls.iter().flatten() {
            println!(
                "assistant: calls {}({}) [id {}]",
                call.function.name, call.function.arguments, call.id
            );
        }
        if let Some(reason) = &choice.finish_reason {
            println!("           finish_reason: {reason}");
        }
    }
    if let Some(usage) = &answer.usage {
        println!(
            "           tokens: {} in, {} out",
            usage.prompt_tokens, usage.completion_tokens
        );
    }
}

/// The tool: a fixed, made-up forecast for the city asked for (the demo
/// endpoint asks with `{}`, hence the default).
fn get_weather(arguments: &str) -> Value {
    let city = serde_json::from_str::<Value>(arguments)
        .ok()
        .and_then(|args| args["city"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "Paris".to_owned());
    json!({"city": city, "temperature_c": 18, "conditions": "light rain"})
}
