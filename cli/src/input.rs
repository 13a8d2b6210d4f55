//! Everything the user hands in, read and checked before any call is made:
//! prompts, `--request` bodies (a file or stdin) and image files.

use std::io::Read;
use std::path::{Path, PathBuf};

use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions, ImageEmbeddingInput,
    ImageEmbeddingsOptions, ReasoningEffort, ResponseInput, ResponsesOptions, StreamOptions,
};
use serde::de::DeserializeOwned;

use crate::args::{ChatArgs, Command, EmbedArgs, ImageEmbedArgs, ResponsesArgs};
use crate::failure::Failure;

/// A subcommand with its request ready to send.
pub enum Prepared {
    /// `chat`.
    Chat {
        request: Box<ChatCompletionsOptions>,
        stream: bool,
        json: bool,
    },
    /// `responses`.
    Responses {
        request: Box<ResponsesOptions>,
        stream: bool,
        json: bool,
    },
    /// `embed`.
    Embed {
        request: EmbeddingsOptions,
        json: bool,
    },
    /// `image-embed`.
    ImageEmbed {
        request: ImageEmbeddingsOptions,
        json: bool,
    },
    /// `info`.
    Info { json: bool },
    /// `models`.
    Models { json: bool },
}

/// Builds the request of `command`, reading `--request` from `stdin` when it is `-`.
pub fn prepare(command: &Command, stdin: &mut dyn Read) -> Result<Prepared, Failure> {
    Ok(match command {
        Command::Chat(args) => {
            let request = chat_request(args, stdin)?;
            // A body that asks for a stream gets one, as the REST API would give.
            let stream = args.answer.stream || request.stream == Some(true);
            Prepared::Chat {
                request: Box::new(request),
                stream,
                json: args.answer.json,
            }
        }
        Command::Responses(args) => {
            let mut request = responses_request(args, stdin)?;
            let stream = args.answer.stream || request.stream == Some(true);
            // The client sets `stream` itself, by the method it is asked for.
            request.stream = None;
            Prepared::Responses {
                request: Box::new(request),
                stream,
                json: args.answer.json,
            }
        }
        Command::Embed(args) => Prepared::Embed {
            request: embed_request(args, stdin)?,
            json: args.embed.json,
        },
        Command::ImageEmbed(args) => Prepared::ImageEmbed {
            request: image_embed_request(args, stdin)?,
            json: args.embed.json,
        },
        Command::Info(args) => Prepared::Info { json: args.json },
        Command::Models(args) => Prepared::Models { json: args.json },
    })
}

fn chat_request(args: &ChatArgs, stdin: &mut dyn Read) -> Result<ChatCompletionsOptions, Failure> {
    let mut request = match &args.request {
        Some(path) => read_request::<ChatCompletionsOptions>(path, "chat completions", stdin)?,
        None => {
            let prompt = args.prompt.join(" ");
            if prompt.trim().is_empty() {
                return Err(Failure::usage("the prompt is empty"));
            }
            let mut messages = Vec::with_capacity(2);
            if let Some(system) = &args.system {
                messages.push(ChatRequestMessage::system(system.clone()));
            }
            messages.push(ChatRequestMessage::user(prompt));
            ChatCompletionsOptions::new(messages)
        }
    };
    if request.messages.is_empty() {
        return Err(Failure::usage(format!(
            "{}: `messages` is empty; the request needs at least one message",
            request_label(args.request.as_deref())
        )));
    }
    if let Some(max_tokens) = args.max_tokens {
        request.max_tokens = Some(max_tokens);
    }
    if let Some(temperature) = args.answer.temperature {
        request.temperature = Some(temperature);
    }
    if let Some(n) = args.choices {
        request.extra.insert("n".to_owned(), n.into());
    }
    if let Some(max) = args.max_completion_tokens {
        request.max_completion_tokens = Some(max);
    }
    if let Some(effort) = &args.reasoning_effort {
        request.reasoning_effort = Some(effort.clone());
    }
    if let Some(include) = args.include_usage {
        // The service refuses `stream_options` on a call that is not streamed.
        if !(args.answer.stream || request.stream == Some(true)) {
            return Err(Failure::usage(
                "--include-usage applies to streamed answers: add --stream",
            ));
        }
        request
            .stream_options
            .get_or_insert_with(StreamOptions::default)
            .include_usage = Some(include);
    }
    Ok(request)
}

fn responses_request(
    args: &ResponsesArgs,
    stdin: &mut dyn Read,
) -> Result<ResponsesOptions, Failure> {
    let mut request = match &args.request {
        Some(path) => read_request::<ResponsesOptions>(path, "Responses API", stdin)?,
        None => {
            let prompt = args.prompt.join(" ");
            if prompt.trim().is_empty() {
                return Err(Failure::usage("the prompt is empty"));
            }
            let mut request = ResponsesOptions::new(prompt);
            request.instructions.clone_from(&args.instructions);
            request
        }
    };
    if matches!(&request.input, ResponseInput::Items(items) if items.is_empty()) {
        return Err(Failure::usage(format!(
            "{}: `input` is empty; the request needs a string or at least one item",
            request_label(args.request.as_deref())
        )));
    }
    if let Some(max) = args.max_output_tokens {
        request.max_output_tokens = Some(max);
    }
    if let Some(temperature) = args.answer.temperature {
        request.temperature = Some(temperature);
    }
    if let Some(effort) = &args.reasoning_effort {
        let effort = ReasoningEffort::from(effort.as_str());
        if let ReasoningEffort::Other(other) = &effort {
            return Err(Failure::usage(format!(
                "--reasoning-effort {other}: expected minimal, low, medium or high"
            )));
        }
        request
            .reasoning
            .get_or_insert_with(Default::default)
            .effort = Some(effort);
    }
    Ok(request)
}

fn embed_request(args: &EmbedArgs, stdin: &mut dyn Read) -> Result<EmbeddingsOptions, Failure> {
    let mut request = match &args.embed.request {
        Some(path) => read_request::<EmbeddingsOptions>(path, "embeddings", stdin)?,
        None => EmbeddingsOptions::new(args.inputs.iter().cloned()),
    };
    if request.input.is_empty() {
        return Err(Failure::usage(format!(
            "{}: `input` is empty; give at least one text",
            request_label(args.embed.request.as_deref())
        )));
    }
    if let Some(dimensions) = args.embed.dimensions {
        request.dimensions = Some(dimensions);
    }
    Ok(request)
}

fn image_embed_request(
    args: &ImageEmbedArgs,
    stdin: &mut dyn Read,
) -> Result<ImageEmbeddingsOptions, Failure> {
    let mut request = match &args.embed.request {
        Some(path) => read_request::<ImageEmbeddingsOptions>(path, "image embeddings", stdin)?,
        None => ImageEmbeddingsOptions::new(
            args.inputs
                .iter()
                .map(PathBuf::as_path)
                .map(read_image)
                .collect::<Result<_, _>>()?,
        ),
    };
    if request.input.is_empty() {
        return Err(Failure::usage(format!(
            "{}: `input` is empty; give at least one image",
            request_label(args.embed.request.as_deref())
        )));
    }
    if let Some(dimensions) = args.embed.dimensions {
        request.dimensions = Some(dimensions);
    }
    Ok(request)
}

fn read_image(path: &Path) -> Result<ImageEmbeddingInput, Failure> {
    ImageEmbeddingInput::from_file(path).map_err(|e| match e.kind() {
        // This message already names the file and the accepted extensions.
        std::io::ErrorKind::InvalidInput => Failure::usage(e.to_string()),
        _ => Failure::usage(format!("cannot read image {}: {e}", path.display())),
    })
}

/// How a `--request` source is named in messages: `--request FILE` or `--request -`.
fn request_label(path: Option<&Path>) -> String {
    match path {
        Some(path) => format!("--request {}", path.display()),
        None => "the request".to_owned(),
    }
}

fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// Reads and parses a `--request` body; `what` names the expected request
/// in messages ("chat completions").
fn read_request<T: DeserializeOwned>(
    path: &Path,
    what: &str,
    stdin: &mut dyn Read,
) -> Result<T, Failure> {
    let label = request_label(Some(path));
    let mut text = String::new();
    let read = if is_stdin(path) {
        stdin.read_to_string(&mut text).map(drop)
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    if let Err(e) = read {
        let source = if is_stdin(path) { "stdin" } else { "the file" };
        return Err(Failure::usage(format!(
            "{label}: cannot read {source}: {e}"
        )));
    }
    parse_request(&text, &label, what)
}

/// Parses a request body, naming the place and the problem in one line.
fn parse_request<T: DeserializeOwned>(text: &str, label: &str, what: &str) -> Result<T, Failure> {
    if text.trim().is_empty() {
        return Err(Failure::usage(format!(
            "{label}: the request is empty; expected a JSON {what} request"
        )));
    }
    serde_json::from_str(text).map_err(|e| {
        use serde_json::error::Category;
        let at = format!(" at line {} column {}", e.line(), e.column());
        let full = e.to_string();
        let detail = full.strip_suffix(&at).unwrap_or(&full);
        let problem = match e.classify() {
            Category::Data => format!("not a valid {what} request"),
            Category::Syntax | Category::Eof | Category::Io => "invalid JSON".to_owned(),
        };
        Failure::usage(format!("{label}: {problem}{at}: {detail}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<T: DeserializeOwned>(text: &str, what: &str) -> String {
        match parse_request::<T>(text, "--request r.json", what) {
            Err(f) => f.message().to_owned(),
            Ok(_) => panic!("{text:?} parsed"),
        }
    }

    #[test]
    fn syntax_errors_name_the_place() {
        assert_eq!(
            message::<ChatCompletionsOptions>("{\"messages\" [", "chat completions"),
            "--request r.json: invalid JSON at line 1 column 13: expected `:`"
        );
    }

    #[test]
    fn shape_errors_name_the_request() {
        let m = message::<ChatCompletionsOptions>("{\"model\": \"m\"}", "chat completions");
        assert!(
            m.starts_with("--request r.json: not a valid chat completions request at line 1")
                && m.ends_with("missing field `messages`"),
            "{m}"
        );
        assert_eq!(
            message::<EmbeddingsOptions>("  \n", "embeddings"),
            "--request r.json: the request is empty; expected a JSON embeddings request"
        );
    }

    #[test]
    fn a_request_body_keeps_unknown_parameters() {
        let request: ChatCompletionsOptions = parse_request(
            r#"{"messages": [{"role": "user", "content": "hi"}], "top_k": 3}"#,
            "-",
            "chat completions",
        )
        .unwrap_or_else(|f| panic!("{}", f.message()));
        assert_eq!(request.extra["top_k"], 3);
    }
}
