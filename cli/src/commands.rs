//! Where the calls go, and the calls themselves.

use std::io::{self, Write};

use azure_ai_inference_otel::client::{
    ChatCompletionsClient, ClientOptions, Credential, EmbeddingsClient, Endpoint, EndpointEnv,
    ImageEmbeddingsClient, ModelsClient, ResponsesClient, RetryPolicy,
};
use azure_ai_inference_otel::models::{
    ChatCompletions, CompletionsFinishReason, ModelResponse, ResponseStatus, ResponseStreamEvent,
};
use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::{MockInferenceServer, RecordOptions, ReplayOptions};
use futures::StreamExt as _;

use crate::args::{
    AZURE_AI_INFERENCE_ENDPOINT, AZURE_AI_INFERENCE_KEY, AZURE_OPENAI_API_KEY, Global,
};
use crate::failure::Failure;
use crate::input::Prepared;
use crate::output::{self, StreamPrinter};

/// The key sent to the built-in demo endpoint (which checks none); a key
/// given for a real endpoint is never sent there.
const DEMO_KEY: &str = "azinfer-demo-key";

/// The endpoint, credential and client options of this run.
pub struct Target {
    endpoint: String,
    credential: Credential,
    options: ClientOptions,
    /// The loopback server in front, if any: the built-in demo endpoint
    /// when no endpoint was configured, the recorder with `--record`, the
    /// cassette with `--replay`. It stops when dropped.
    server: Option<MockInferenceServer>,
    /// Whether `server` is the built-in demo endpoint, whose base is its
    /// root (so that chat needs no model) rather than a v1 base.
    demo: bool,
}

impl Target {
    /// The configured endpoint and key, or the built-in demo endpoint (said
    /// on `stderr`) when no endpoint is configured.
    pub fn resolve(global: &Global, stderr: &mut dyn Write) -> Result<Target, Failure> {
        // --endpoint / AZURE_AI_INFERENCE_ENDPOINT (clap), else the names
        // Microsoft's v1 samples use (EndpointEnv: the crate's own win).
        let env = EndpointEnv::from_env();
        let configured = global
            .endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .or(env.endpoint.as_deref());
        let demo = configured.is_none() && global.replay.is_none();
        let (endpoint, key, server) = match (configured, &global.replay) {
            (_, Some(cassette)) => {
                let options = ReplayOptions::new().realtime(global.realtime);
                let server = MockInferenceServer::replay_background(cassette, options)
                    .map_err(|e| Failure::usage(e.to_string()))?;
                let _ = writeln!(stderr, "azinfer: replaying {}", cassette.display());
                // The configured endpoint's path (a v1 base, a deployment)
                // is kept, so the calls match the recorded routes.
                let path = match configured {
                    Some(url) => Endpoint::parse(url)?
                        .as_url()
                        .path()
                        .trim_end_matches('/')
                        .to_owned(),
                    None => String::new(),
                };
                (
                    format!("{}{path}", server.endpoint()),
                    DEMO_KEY,
                    Some(server),
                )
            }
            (Some(url), None) => {
                Endpoint::parse(url)?;
                let key = global
                    .key
                    .as_deref()
                    .filter(|k| !k.is_empty())
                    .or(env.key.as_deref())
                    .ok_or_else(|| {
                        Failure::usage(format!(
                            "no API key for the endpoint: pass --key or set {AZURE_AI_INFERENCE_KEY} (or {AZURE_OPENAI_API_KEY})"
                        ))
                    })?;
                match &global.record {
                    Some(cassette) => {
                        // The recorder forwards to the endpoint's origin and
                        // the client keeps its path, so the endpoint keeps its
                        // kind (no api-version on v1, the model required).
                        let endpoint = Endpoint::parse(url)?;
                        let path = endpoint.as_url().path().trim_end_matches('/').to_owned();
                        let origin = endpoint.as_url().origin().ascii_serialization();
                        let options = RecordOptions::new()
                            .with_secret(key)
                            .with_insecure_http_key(global.insecure_http_key);
                        let server =
                            MockInferenceServer::record_background(&origin, cassette, options)
                                .map_err(|e| Failure::usage(e.to_string()))?;
                        let _ = writeln!(stderr, "azinfer: recording to {}", cassette.display());
                        (format!("{}{path}", server.endpoint()), key, Some(server))
                    }
                    None => (url.to_owned(), key, None),
                }
            }
            (None, None) if global.record.is_some() => {
                return Err(Failure::usage(format!(
                    "--record needs the endpoint to record: pass --endpoint or set {AZURE_AI_INFERENCE_ENDPOINT}"
                )));
            }
            (None, None) => {
                let server = MockInferenceServer::start_background().map_err(|e| {
                    Failure::call(format!("could not start the built-in demo endpoint: {e}"))
                })?;
                let _ = writeln!(
                    stderr,
                    "azinfer: using the built-in demo endpoint; set {AZURE_AI_INFERENCE_ENDPOINT} for a real one"
                );
                (server.endpoint(), DEMO_KEY, Some(server))
            }
        };
        let credential = Credential::api_key(key)?;

        let mut options =
            ClientOptions::new().with_user_agent(concat!("azinfer/", env!("CARGO_PKG_VERSION")));
        if let Some(version) = &global.api_version {
            options = options.with_api_version(version.clone());
        }
        if let Some(model) = global.model.as_deref().filter(|m| !m.is_empty()) {
            options = options.with_model(model);
        }
        if let Some(timeout) = global.connect_timeout {
            options = options.with_connect_timeout(timeout);
        }
        if let Some(timeout) = global.read_timeout {
            options = options.with_read_timeout(timeout);
        }
        if let Some(retries) = global.max_retries {
            options = options.with_retry(RetryPolicy::default().with_max_retries(retries));
        }
        options = options.with_insecure_http_key(global.insecure_http_key);
        if global.record_content {
            options = options.with_telemetry(TelemetryOptions::new().with_content_recording(true));
        }
        Ok(Target {
            endpoint,
            credential,
            options,
            server,
            demo,
        })
    }

    /// Stops the loopback server, if any; with `--record`, writes the
    /// cassette and says so on `stderr`.
    pub fn finish(self, stderr: &mut dyn Write) -> Result<(), Failure> {
        let Some(server) = self.server else {
            return Ok(());
        };
        let mismatches = server.replay_mismatches();
        if !mismatches.is_empty() {
            let _ = writeln!(
                stderr,
                "azinfer: {} request(s) had no recorded answer",
                mismatches.len()
            );
        }
        let written = server
            .finish()
            .map_err(|e| Failure::call(format!("could not write the cassette: {e}")))?;
        if written > 0 {
            let _ = writeln!(stderr, "azinfer: recorded {written} interaction(s)");
        }
        Ok(())
    }

    /// The endpoint of `models`: the configured one, or the demo
    /// endpoint's v1 base (the model list is a v1 route).
    fn models_endpoint(&self) -> String {
        match &self.server {
            Some(server) if self.demo => server.v1_endpoint(),
            _ => self.endpoint.clone(),
        }
    }

    fn parts(&self) -> (&str, Credential, Option<ClientOptions>) {
        (
            &self.endpoint,
            self.credential.clone(),
            Some(self.options.clone()),
        )
    }
}

/// Makes the call and prints the answer on `out`.
pub async fn execute(
    prepared: Prepared,
    target: &Target,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let (endpoint, credential, options) = target.parts();
    match prepared {
        Prepared::Chat {
            request,
            stream: false,
            json,
        } => {
            let client = ChatCompletionsClient::new(endpoint, credential, options)?;
            let answer = client.complete(*request).await?;
            if json {
                output::json(out, &answer)?;
            } else {
                output::chat(out, &answer)?;
                note_cut_short(first_finish_reason(&answer));
            }
        }
        Prepared::Chat {
            request,
            stream: true,
            json,
        } => {
            let client = ChatCompletionsClient::new(endpoint, credential, options)?;
            let mut stream = client.complete_streaming(*request).await?;
            let mut printer = StreamPrinter::default();
            while let Some(update) = stream.next().await {
                match update {
                    Ok(update) if json => output::json_line(out, &update)?,
                    Ok(update) => printer.update(out, &update)?,
                    Err(error) => {
                        printer.finish(out)?;
                        return Err(error.into());
                    }
                }
            }
            printer.finish(out)?;
            note_cut_short(printer.finish_reason());
        }
        Prepared::Responses {
            request,
            stream: false,
            json,
        } => {
            let client = ResponsesClient::new(endpoint, credential, options)?;
            let answer = client.create(*request).await?;
            if json {
                output::json(out, &answer)?;
            } else {
                output::response(out, &answer)?;
                note_incomplete(&answer);
            }
        }
        Prepared::Responses {
            request,
            stream: true,
            json,
        } => {
            let client = ResponsesClient::new(endpoint, credential, options)?;
            let mut stream = client.create_streaming(*request).await?;
            let mut last = None;
            while let Some(event) = stream.next().await {
                match event {
                    Ok(event) => {
                        if json {
                            output::json_line(out, &event)?;
                        } else if let ResponseStreamEvent::OutputTextDelta { delta, .. } = &event {
                            write!(out, "{delta}")?;
                            out.flush()?;
                        }
                        if let Some(response) = event.terminal_response() {
                            last = Some(response.clone());
                        }
                    }
                    Err(error) => {
                        if !json {
                            writeln!(out)?;
                        }
                        return Err(error.into());
                    }
                }
            }
            if let Some(answer) = last.filter(|_| !json) {
                writeln!(out)?;
                output::function_calls(out, &answer)?;
                note_incomplete(&answer);
            }
        }
        Prepared::Embed { request, json } => {
            let client = EmbeddingsClient::new(endpoint, credential, options)?;
            let result = client.embed(request).await?;
            if json {
                output::json(out, &result)?;
            } else {
                output::embeddings(out, &result)?;
            }
        }
        Prepared::ImageEmbed { request, json } => {
            let client = ImageEmbeddingsClient::new(endpoint, credential, options)?;
            let result = client.embed(request).await?;
            if json {
                output::json(out, &result)?;
            } else {
                output::embeddings(out, &result)?;
            }
        }
        Prepared::Info { json } => {
            let client = ChatCompletionsClient::new(endpoint, credential, options)?;
            let info = client.get_model_info().await?;
            if json {
                output::json(out, &info)?;
            } else {
                output::model_info(out, &info)?;
            }
        }
        Prepared::Models { json } => {
            let client = ModelsClient::new(target.models_endpoint(), credential, options)?;
            let list = client.list().await?;
            if json {
                output::json(out, &list)?;
            } else {
                output::models(out, &list)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Says on `stderr` when a Responses answer is `incomplete`, and why.
fn note_incomplete(answer: &ModelResponse) {
    if answer.status == Some(ResponseStatus::Incomplete) {
        let reason = answer
            .incomplete_details
            .as_ref()
            .and_then(|d| d.reason.as_deref())
            .unwrap_or("unknown");
        let _ = writeln!(
            io::stderr(),
            "azinfer: note: the answer is incomplete (incomplete_details.reason: {reason})"
        );
    }
}

fn first_finish_reason(answer: &ChatCompletions) -> Option<&CompletionsFinishReason> {
    answer.choices.first()?.finish_reason.as_ref()
}

/// Says on `stderr` when the answer stopped before the model was done, which
/// the text alone does not show.
fn note_cut_short(reason: Option<&CompletionsFinishReason>) {
    let why = match reason {
        Some(CompletionsFinishReason::Length) => "the token limit was reached",
        Some(CompletionsFinishReason::ContentFilter) => "the content filter stopped it",
        _ => return,
    };
    let _ = writeln!(
        io::stderr(),
        "azinfer: note: the answer is incomplete: {why} (finish_reason: {})",
        reason.map(|r| r.as_str()).unwrap_or_default()
    );
}
