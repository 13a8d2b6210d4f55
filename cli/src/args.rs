//! The command line: global options and the subcommands.

use std::path::PathBuf;
use std::time::Duration;

use azure_ai_inference_otel::setup::{ExporterKind, SetupError};
use clap::{ArgAction, Args, Parser, Subcommand};

/// The endpoint when `--endpoint` is not given (then `AZURE_OPENAI_ENDPOINT`;
/// `EndpointEnv` reads both).
pub const AZURE_AI_INFERENCE_ENDPOINT: &str = "AZURE_AI_INFERENCE_ENDPOINT";
/// The API key when `--key` is not given (then `AZURE_OPENAI_API_KEY`).
pub const AZURE_AI_INFERENCE_KEY: &str = "AZURE_AI_INFERENCE_KEY";
/// Microsoft's name for the API key, read when [`AZURE_AI_INFERENCE_KEY`] is unset.
pub const AZURE_OPENAI_API_KEY: &str = "AZURE_OPENAI_API_KEY";
/// The model when `--model` is not given.
pub const AZURE_AI_INFERENCE_MODEL: &str = "AZURE_AI_INFERENCE_MODEL";
/// The connect timeout when `--connect-timeout` is not given (`5s`, `500ms`).
pub const AZURE_AI_INFERENCE_CONNECT_TIMEOUT: &str = "AZURE_AI_INFERENCE_CONNECT_TIMEOUT";
/// The read timeout when `--read-timeout` is not given (`30s`, `2m`).
pub const AZURE_AI_INFERENCE_READ_TIMEOUT: &str = "AZURE_AI_INFERENCE_READ_TIMEOUT";
/// The number of retries when `--max-retries` is not given.
pub const AZURE_AI_INFERENCE_MAX_RETRIES: &str = "AZURE_AI_INFERENCE_MAX_RETRIES";

const ABOUT: &str = "Call an Azure AI Foundry or Azure OpenAI endpoint (the v1 API, deployments, \
the retired Model Inference API) and see its OpenTelemetry GenAI spans.";

const LONG_ABOUT: &str =
    "Call an Azure AI Foundry or Azure OpenAI endpoint (the v1 API, deployments, \
the retired Model Inference API) and see its OpenTelemetry GenAI spans.

The answer goes to stdout; everything else (notes, errors, the span tree of the `stdout` \
exporter) goes to stderr, so the answer can be piped.

With no endpoint configured, azinfer starts a built-in demo endpoint on 127.0.0.1 that speaks \
the real wire format (JSON and server-sent events) with canned answers, and says so on stderr.";

const AFTER_HELP: &str = "\
Environment:
  AZURE_AI_INFERENCE_ENDPOINT   the endpoint (--endpoint), e.g. https://<resource>.openai.azure.com/openai/v1;
                                unset: AZURE_OPENAI_ENDPOINT, else the built-in demo endpoint
  AZURE_AI_INFERENCE_KEY        the API key (--key); unset: AZURE_OPENAI_API_KEY
  AZURE_AI_INFERENCE_MODEL      the model (--model), on v1 the deployment name (required there)
  AZURE_AI_INFERENCE_CONNECT_TIMEOUT, AZURE_AI_INFERENCE_READ_TIMEOUT
                                the timeouts (--connect-timeout, --read-timeout), e.g. 5s
  AZURE_AI_INFERENCE_MAX_RETRIES
                                retries of transient failures (--max-retries)
  AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true
                                record prompts and completions (--record-content)
  AZURE_AI_INFERENCE_OTEL_EXPORTERS
                                the exporters when --exporter is not given
  OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
                                the otlp exporter and the resource
  BRAINTRUST_API_KEY, BRAINTRUST_API_URL, BRAINTRUST_PARENT
                                the braintrust and braintrust-otlp exporters

Exit status:
  0  success
  1  the call failed (endpoint unreachable, HTTP error, invalid answer)
  2  usage error (arguments, --request content, image files, configuration)

Examples:
  azinfer chat What is the capital of France?
  azinfer --record chat.json chat --stream Hello     (with AZURE_AI_INFERENCE_ENDPOINT and _KEY set)
  azinfer --replay chat.json chat --stream Hello     (no endpoint or key needed)
  azinfer chat --stream --exporter stdout Tell me a story
  azinfer chat --request request.json
  echo '{\"input\": [\"hello\", \"world\"]}' | azinfer embed --request -
  azinfer image-embed cat.png dog.jpg
  azinfer info
  azinfer models                                     (v1 endpoints: the deployments to pass as --model)";

const EXPORTER_HELP: &str = "Where telemetry goes: a comma-separated list (the option can also \
be repeated) of:
  stdout           the spans as a tree on stderr, after the answer (stdout keeps only the \
answer, so it can be piped; no metrics)
  otlp             traces and metrics over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (default \
http://localhost:4318), configured by the standard OTEL_EXPORTER_OTLP_* variables
  braintrust       Braintrust log rows over its REST API (BRAINTRUST_API_KEY, BRAINTRUST_API_URL, \
BRAINTRUST_PARENT)
  braintrust-otlp  Braintrust over its OTLP endpoint (same variables)
  none             nowhere
Default: AZURE_AI_INFERENCE_OTEL_EXPORTERS, else otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set, \
else stdout. Telemetry is delivered before azinfer exits, whether the call succeeded or not.";

/// The help heading of the options every subcommand takes.
const GLOBAL: &str = "Global options";

/// `azinfer`'s arguments.
#[derive(Parser)]
#[command(
    name = "azinfer",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted before or after the subcommand.
///
/// No `Debug`: it holds the API key.
#[derive(Args)]
pub struct Global {
    /// The endpoint, e.g. https://<resource>.openai.azure.com/openai/v1; unset: AZURE_OPENAI_ENDPOINT, else the built-in demo endpoint
    #[arg(long, global = true, help_heading = GLOBAL, env = AZURE_AI_INFERENCE_ENDPOINT, value_name = "URL")]
    pub endpoint: Option<String>,

    /// The API key; prefer the environment variable, which other users cannot see
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = AZURE_AI_INFERENCE_KEY,
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub key: Option<String>,

    /// The API version sent as `api-version` [default: none on .../openai/v1, 2024-10-21 on .../openai/deployments/<name>, 2024-05-01-preview elsewhere]
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "VERSION")]
    pub api_version: Option<String>,

    /// The model to ask for when the request names none (endpoints serving several models need one)
    #[arg(long, global = true, help_heading = GLOBAL, env = AZURE_AI_INFERENCE_MODEL, value_name = "MODEL")]
    pub model: Option<String>,

    /// The longest wait for a connection, e.g. 5s or 500ms [default: 10s]
    #[arg(long, global = true, help_heading = GLOBAL, env = AZURE_AI_INFERENCE_CONNECT_TIMEOUT, value_name = "DURATION", value_parser = parse_timeout)]
    pub connect_timeout: Option<Duration>,

    /// The longest wait for the answer to start, and then between two pieces of it, e.g. 30s; each attempt waits this long (see --max-retries) [default: 120s]
    #[arg(long, global = true, help_heading = GLOBAL, env = AZURE_AI_INFERENCE_READ_TIMEOUT, value_name = "DURATION", value_parser = parse_timeout)]
    pub read_timeout: Option<Duration>,

    /// How many times to retry HTTP 408, 429, 500, 502, 503, 504, connection failures and timeouts; 0 turns retries off [default: 3]
    #[arg(long, global = true, help_heading = GLOBAL, env = AZURE_AI_INFERENCE_MAX_RETRIES, value_name = "N")]
    pub max_retries: Option<u32>,

    /// Send the API key even over plain http:// to a host that is not loopback (anyone on the path can read it)
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub insecure_http_key: bool,

    /// Record prompts and completions on the spans (off by default; also on when AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true)
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub record_content: bool,

    /// Record the traffic with the endpoint to a cassette FILE (JSON; the key, cookies and authorization headers scrubbed), for replaying in tests
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "FILE", conflicts_with = "replay")]
    pub record: Option<PathBuf>,

    /// Answer from a cassette FILE written by --record instead of calling an endpoint (no endpoint or key needed)
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "FILE")]
    pub replay: Option<PathBuf>,

    /// With --replay: play stream events at their recorded pace
    #[arg(long, global = true, help_heading = GLOBAL, requires = "replay")]
    pub realtime: bool,

    /// Where telemetry goes: stdout (a span tree on stderr), otlp, braintrust, braintrust-otlp, none (comma-separated)
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        value_name = "LIST",
        value_parser = parse_exporters,
        action = ArgAction::Append,
        long_help = EXPORTER_HELP
    )]
    pub exporter: Vec<Exporters>,
}

/// One `--exporter` value: a list of kinds.
#[derive(Debug, Clone)]
pub struct Exporters(pub Vec<ExporterKind>);

/// A duration such as `5s`, `500ms` or `2m`, greater than zero.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| format!("expected a duration like 5s or 500ms: {e}"))?;
    if d.is_zero() {
        return Err("must be greater than zero".to_owned());
    }
    Ok(d)
}

fn parse_exporters(list: &str) -> Result<Exporters, SetupError> {
    ExporterKind::parse_list(list).map(Exporters)
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Ask for a chat completion and print the answer
    Chat(ChatArgs),
    /// Ask the Responses API (POST …/responses, v1 endpoints) and print the answer
    Responses(ResponsesArgs),
    /// Embed texts and print one summary line per vector
    Embed(EmbedArgs),
    /// Embed images and print one summary line per vector
    ImageEmbed(ImageEmbedArgs),
    /// Print what the endpoint says about its model (GET /info)
    Info(OutputArgs),
    /// List the models (on Azure, the deployments) a v1 endpoint offers (GET …/models)
    Models(OutputArgs),
}

impl Command {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Chat(_) => "chat",
            Command::Responses(_) => "responses",
            Command::Embed(_) => "embed",
            Command::ImageEmbed(_) => "image-embed",
            Command::Info(_) => "info",
            Command::Models(_) => "models",
        }
    }
}

/// `azinfer chat`.
#[derive(Args)]
pub struct ChatArgs {
    /// The prompt; the words are joined with spaces (put `--` before words that start with `-`)
    #[arg(value_name = "PROMPT", required_unless_present = "request")]
    pub prompt: Vec<String>,

    /// Send this JSON request body instead, exactly as the REST API takes it ({"messages": [...], ...}); `-` reads stdin
    #[arg(long, value_name = "FILE", conflicts_with_all = ["prompt", "system"])]
    pub request: Option<PathBuf>,

    /// A system message sent before the prompt
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,

    /// The most tokens to generate (overrides the request's)
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u32>,

    /// How many choices to generate, sent as `n` (overrides the request's)
    #[arg(long = "n", value_name = "N")]
    pub choices: Option<u32>,

    /// The most tokens to generate, reasoning included, sent as `max_completion_tokens` (v1 API, reasoning models; overrides the request's)
    #[arg(long, value_name = "N")]
    pub max_completion_tokens: Option<u32>,

    /// How hard a reasoning model thinks: minimal, low, medium or high, sent as `reasoning_effort` (overrides the request's)
    #[arg(long, value_name = "EFFORT")]
    pub reasoning_effort: Option<String>,

    /// With --stream: whether the last chunk carries the token counts, sent as `stream_options.include_usage` [default on v1 and deployment endpoints: true]
    #[arg(long, value_name = "BOOL")]
    pub include_usage: Option<bool>,

    /// Temperature, streaming and output format.
    #[command(flatten)]
    pub answer: AnswerArgs,
}

/// `azinfer responses`.
#[derive(Args)]
pub struct ResponsesArgs {
    /// The prompt (the `input`); the words are joined with spaces (put `--` before words that start with `-`)
    #[arg(value_name = "PROMPT", required_unless_present = "request")]
    pub prompt: Vec<String>,

    /// Send this JSON request body instead, exactly as the REST API takes it ({"input": ..., "tools": [...], ...}); `-` reads stdin
    #[arg(long, value_name = "FILE", conflicts_with_all = ["prompt", "instructions"])]
    pub request: Option<PathBuf>,

    /// The `instructions` (a system message ahead of the input)
    #[arg(long, value_name = "TEXT")]
    pub instructions: Option<String>,

    /// The most output tokens, reasoning included (`max_output_tokens`; overrides the request's)
    #[arg(long, value_name = "N")]
    pub max_output_tokens: Option<u32>,

    /// `reasoning.effort` for reasoning models: minimal, low, medium or high (overrides the request's)
    #[arg(long, value_name = "EFFORT")]
    pub reasoning_effort: Option<String>,

    /// Temperature, streaming and output format.
    #[command(flatten)]
    pub answer: AnswerArgs,
}

/// What `chat` and `responses` share after their own options.
#[derive(Args)]
pub struct AnswerArgs {
    /// The sampling temperature (overrides the request's)
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,

    /// Stream the answer: print the text as it arrives (also when the --request body has "stream": true)
    #[arg(long)]
    pub stream: bool,

    /// Print the whole response as JSON (with --stream: one JSON line per streamed update or event)
    #[arg(long)]
    pub json: bool,
}

/// `azinfer embed`.
#[derive(Args)]
pub struct EmbedArgs {
    /// The texts; each argument is one input (quote a sentence to keep it together)
    #[arg(value_name = "TEXT", required_unless_present = "request")]
    pub inputs: Vec<String>,

    /// The request body, dimensions and output format.
    #[command(flatten)]
    pub embed: EmbedRequestArgs,
}

/// `azinfer image-embed`.
#[derive(Args)]
pub struct ImageEmbedArgs {
    /// Image files (png, jpg, jpeg, gif, webp, bmp, tif, tiff); each is one input
    #[arg(value_name = "IMAGE", required_unless_present = "request")]
    pub inputs: Vec<PathBuf>,

    /// The request body, dimensions and output format.
    #[command(flatten)]
    pub embed: EmbedRequestArgs,
}

/// What `embed` and `image-embed` share after their inputs.
#[derive(Args)]
pub struct EmbedRequestArgs {
    /// Send this JSON request body instead, exactly as the REST API takes it ({"input": [...], ...}; images as {"image": "data:..."}); `-` reads stdin
    #[arg(long, value_name = "FILE", conflicts_with = "inputs")]
    pub request: Option<PathBuf>,

    /// The number of dimensions to ask for (overrides the request's)
    #[arg(long, value_name = "N")]
    pub dimensions: Option<u32>,

    /// Print the whole response as JSON
    #[arg(long)]
    pub json: bool,
}

/// `azinfer info` and `azinfer models`: only the output format.
#[derive(Args)]
pub struct OutputArgs {
    /// Print the response as JSON
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn timeouts_take_durations() {
        let cli = Cli::try_parse_from([
            "azinfer",
            "info",
            "--read-timeout",
            "500ms",
            "--connect-timeout",
            "5s",
            "--max-retries",
            "0",
        ])
        .expect("parses");
        assert_eq!(cli.global.read_timeout, Some(Duration::from_millis(500)));
        assert_eq!(cli.global.connect_timeout, Some(Duration::from_secs(5)));
        assert_eq!(cli.global.max_retries, Some(0));
        for bad in ["0s", "soon", "5"] {
            assert!(
                Cli::try_parse_from(["azinfer", "info", "--read-timeout", bad]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        for args in [
            [
                "azinfer",
                "--model",
                "m",
                "--exporter",
                "none,stdout",
                "info",
            ],
            [
                "azinfer",
                "info",
                "--model",
                "m",
                "--exporter",
                "none,stdout",
            ],
        ] {
            let cli = Cli::try_parse_from(args).expect("parses");
            assert_eq!(cli.global.model.as_deref(), Some("m"));
            assert_eq!(
                cli.global.exporter[0].0,
                [ExporterKind::None, ExporterKind::Stdout]
            );
        }
    }

    #[test]
    fn unknown_exporters_are_usage_errors() {
        let Err(e) = Cli::try_parse_from(["azinfer", "info", "--exporter", "jaeger"]) else {
            panic!("jaeger is not an exporter");
        };
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("jaeger"), "{e}");
    }

    #[test]
    fn prompt_and_request_exclude_each_other() {
        assert!(Cli::try_parse_from(["azinfer", "chat"]).is_err());
        assert!(Cli::try_parse_from(["azinfer", "chat", "hi", "--request", "r.json"]).is_err());
        assert!(Cli::try_parse_from(["azinfer", "chat", "--request", "-"]).is_ok());
    }
}
