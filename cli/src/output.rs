//! How answers are printed on stdout.

use std::collections::BTreeMap;
use std::io::{self, Write};

use azure_ai_inference_otel::models::{
    ChatCompletions, CompletionsFinishReason, EmbeddingsResult, ModelInfo, ModelList,
    ModelResponse, ResponseItem, StreamingChatCompletionsUpdate,
};

use crate::failure::Failure;

/// How many components of a vector the summary line shows.
const PREVIEW: usize = 4;

/// The text of every choice, then its tool calls, one per line. With several
/// choices each gets a `[choice N]` header.
pub fn chat(out: &mut dyn Write, answer: &ChatCompletions) -> io::Result<()> {
    let several = answer.choices.len() > 1;
    for choice in &answer.choices {
        if several {
            writeln!(out, "[choice {}]", choice.index)?;
        }
        let message = &choice.message;
        if let Some(text) = message.content.as_deref().filter(|t| !t.is_empty()) {
            writeln!(out, "{text}")?;
        }
        for call in message.tool_calls.iter().flatten() {
            tool_call(out, &call.function.name, &call.function.arguments, &call.id)?;
        }
    }
    Ok(())
}

/// `tool call: get_weather({"city":"Paris"})  [id call_1]`, with the
/// arguments as compact JSON when they are JSON, else as they came.
fn tool_call(out: &mut dyn Write, name: &str, arguments: &str, id: &str) -> io::Result<()> {
    let arguments = serde_json::from_str::<serde_json::Value>(arguments)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| arguments.to_owned());
    write!(out, "tool call: {name}({arguments})")?;
    if !id.is_empty() {
        write!(out, "  [id {id}]")?;
    }
    writeln!(out)
}

/// Prints a streamed answer as it arrives: the text of the first choice at
/// once (flushed after each piece), its tool calls once they are complete.
#[derive(Default)]
pub struct StreamPrinter {
    /// Text printed since the last line break.
    open_line: bool,
    /// Tool calls being assembled, by index: (id, name, arguments).
    calls: BTreeMap<u32, (String, String, String)>,
    /// The first choice's finish reason, once sent.
    finish_reason: Option<CompletionsFinishReason>,
}

impl StreamPrinter {
    /// Prints what `update` adds.
    pub fn update(
        &mut self,
        out: &mut dyn Write,
        update: &StreamingChatCompletionsUpdate,
    ) -> io::Result<()> {
        for choice in update.choices.iter().filter(|c| c.index == 0) {
            if let Some(reason) = &choice.finish_reason {
                self.finish_reason = Some(reason.clone());
            }
            let Some(delta) = &choice.delta else { continue };
            if let Some(text) = delta.content.as_deref().filter(|t| !t.is_empty()) {
                write!(out, "{text}")?;
                out.flush()?;
                self.open_line = !text.ends_with('\n');
            }
            for (position, call) in delta.tool_calls.iter().flatten().enumerate() {
                let index = call.index.unwrap_or(position as u32);
                let entry = self.calls.entry(index).or_default();
                if let Some(id) = &call.id {
                    entry.0.push_str(id);
                }
                if let Some(function) = &call.function {
                    entry
                        .1
                        .push_str(function.name.as_deref().unwrap_or_default());
                    entry
                        .2
                        .push_str(function.arguments.as_deref().unwrap_or_default());
                }
            }
        }
        Ok(())
    }

    /// The first choice's finish reason, once the stream sent it.
    pub fn finish_reason(&self) -> Option<&CompletionsFinishReason> {
        self.finish_reason.as_ref()
    }

    /// Ends the text with a line break and prints the tool calls. Called
    /// when the stream ends, and before an error is reported.
    pub fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if std::mem::take(&mut self.open_line) {
            writeln!(out)?;
        }
        for (id, name, arguments) in std::mem::take(&mut self.calls).into_values() {
            tool_call(out, &name, &arguments, &id)?;
        }
        out.flush()
    }
}

/// `#0 dims=8 [0.0123, -0.4000, 0.1000, 0.2500, ...]`, one line per vector.
pub fn embeddings(out: &mut dyn Write, result: &EmbeddingsResult) -> Result<(), Failure> {
    for item in &result.data {
        let vector = item.embedding.to_f32()?;
        let mut preview: Vec<String> = vector
            .iter()
            .take(PREVIEW)
            .map(|v| format!("{v:.4}"))
            .collect();
        if vector.len() > PREVIEW {
            preview.push("...".to_owned());
        }
        writeln!(
            out,
            "#{} dims={} [{}]",
            item.index,
            vector.len(),
            preview.join(", ")
        )?;
    }
    Ok(())
}

/// `model_name: ...` and the other fields, one per line.
pub fn model_info(out: &mut dyn Write, info: &ModelInfo) -> io::Result<()> {
    writeln!(out, "model_name: {}", info.model_name)?;
    writeln!(out, "model_type: {}", info.model_type)?;
    writeln!(out, "model_provider_name: {}", info.model_provider_name)
}

/// One model per line: its id (the value to pass as `--model`), then
/// `owned_by` when the service sent it.
pub fn models(out: &mut dyn Write, list: &ModelList) -> io::Result<()> {
    for model in &list.data {
        match model.owned_by.as_deref().filter(|o| !o.is_empty()) {
            Some(owner) => writeln!(out, "{}\t{owner}", model.id)?,
            None => writeln!(out, "{}", model.id)?,
        }
    }
    Ok(())
}

/// Any response as pretty JSON.
pub fn json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::call(format!("cannot print the response as JSON: {e}")))?;
    writeln!(out, "{text}")?;
    Ok(())
}

/// A Responses answer: its text, then its function calls.
pub fn response(out: &mut dyn Write, answer: &ModelResponse) -> io::Result<()> {
    if let Some(text) = answer.output_text().filter(|t| !t.is_empty()) {
        writeln!(out, "{text}")?;
    }
    function_calls(out, answer)
}

/// The function calls of a Responses answer, one line each.
pub fn function_calls(out: &mut dyn Write, answer: &ModelResponse) -> io::Result<()> {
    for item in &answer.output {
        if let ResponseItem::FunctionCall {
            call_id,
            name,
            arguments,
            ..
        } = item
        {
            tool_call(out, name, arguments, call_id)?;
        }
    }
    Ok(())
}

/// One streamed update as one JSON line.
pub fn json_line<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string(value)
        .map_err(|e| Failure::call(format!("cannot print the update as JSON: {e}")))?;
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_ai_inference_otel::models::{EmbeddingItem, EmbeddingVector};

    #[test]
    fn embeddings_are_summarized() {
        let result = EmbeddingsResult {
            data: vec![
                EmbeddingItem {
                    embedding: EmbeddingVector::Float(vec![0.5, -0.25, 0.125, 1.0, 2.0]),
                    index: 0,
                },
                EmbeddingItem {
                    embedding: EmbeddingVector::Float(vec![1.0, 0.0]),
                    index: 1,
                },
            ],
            ..Default::default()
        };
        let mut out = Vec::new();
        embeddings(&mut out, &result).unwrap_or_else(|f| panic!("{}", f.message()));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "#0 dims=5 [0.5000, -0.2500, 0.1250, 1.0000, ...]\n#1 dims=2 [1.0000, 0.0000]\n"
        );
    }

    #[test]
    fn streamed_tool_calls_are_assembled() {
        let update: StreamingChatCompletionsUpdate = serde_json::from_value(serde_json::json!({
            "id": "x",
            "choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":"}}
            ]}}]
        }))
        .expect("update");
        let more: StreamingChatCompletionsUpdate = serde_json::from_value(serde_json::json!({
            "id": "x",
            "choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": " \"Paris\"}"}}
            ]}}]
        }))
        .expect("update");
        let mut printer = StreamPrinter::default();
        let mut out = Vec::new();
        printer.update(&mut out, &update).expect("write");
        printer.update(&mut out, &more).expect("write");
        printer.finish(&mut out).expect("write");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "tool call: get_weather({\"city\":\"Paris\"})  [id call_1]\n"
        );
    }
}
