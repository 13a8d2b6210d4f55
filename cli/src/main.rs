//! `azinfer`: call an Azure AI model inference endpoint from the command line
//! and see the OpenTelemetry GenAI spans the call makes.
//!
//! ```text
//! azinfer chat What is the capital of France?
//! azinfer chat --stream --request request.json --exporter stdout,otlp
//! azinfer embed "first text" "second text" --json
//! azinfer image-embed cat.png
//! azinfer info
//! azinfer models                          # the deployments of a v1 endpoint
//! azinfer --record chat.json chat Hello   # forward to the endpoint, write a cassette
//! azinfer --replay chat.json chat Hello   # answer from the cassette
//! ```
//!
//! With no endpoint configured (`--endpoint`, `AZURE_AI_INFERENCE_ENDPOINT`)
//! it starts the crate's loopback demo endpoint
//! ([`MockInferenceServer`](azure_ai_inference_otel::testing::MockInferenceServer)),
//! and says so on stderr.
//!
//! A run goes: parse the arguments, read every input (`--request`, images),
//! install the telemetry pipeline, pick the endpoint, make the call inside a
//! `azinfer <subcommand>` span, print the answer, then shut the pipeline
//! down (delivering every span, whether the call succeeded or not) and exit
//! with 0, 1 (the call failed) or 2 (usage error). A failure is one line on
//! stderr: `azinfer: error: ...`.
//!
//! The `stdout` exporter draws the spans as a tree on stderr once they are
//! all delivered, instead of `opentelemetry-stdout`'s dump on stdout, which
//! would interleave with the answer and break pipes.

// The doc comments on the argument types are clap's `--help` text, read in a
// terminal: placeholders like `<resource>` are meant literally, not as HTML.
#![allow(rustdoc::invalid_html_tags)]

mod args;
mod commands;
mod failure;
mod input;
mod output;
mod telemetry;
mod tree;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser as _;
use clap::error::ErrorKind;
use tracing::Instrument as _;

use crate::args::Cli;
use crate::commands::Target;
use crate::failure::Failure;
use crate::telemetry::Telemetry;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // One thread is plenty for one call; the exporters and the demo endpoint
    // run on threads of their own.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(&Failure::call(format!("cannot start the runtime: {e}"))),
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let mut stderr = io::stderr();
    // Inputs first: a bad `--request` fails before anything starts.
    let prepared = match input::prepare(&cli.command, &mut io::stdin()) {
        Ok(prepared) => prepared,
        Err(failure) => return report(&failure),
    };
    // Before any client is built: clients create their metric instruments
    // from the global meter provider.
    let telemetry = match Telemetry::install(&cli.global) {
        Ok(telemetry) => telemetry,
        Err(failure) => return report(&failure),
    };
    let target = match Target::resolve(&cli.global, &mut stderr) {
        Ok(target) => target,
        Err(failure) => {
            let code = report(&failure);
            telemetry.finish(&mut stderr).await;
            return code;
        }
    };

    let root = tracing::info_span!(
        "azinfer",
        otel.name = %format!("azinfer {}", cli.command.name())
    );
    let outcome = commands::execute(prepared, &target, &mut io::stdout())
        .instrument(root)
        .await;
    let code = match &outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(failure),
    };
    telemetry.finish(&mut stderr).await;
    match target.finish(&mut stderr) {
        Ok(()) => code,
        Err(failure) if code == ExitCode::SUCCESS => report(&failure),
        Err(failure) => {
            report(&failure);
            code
        }
    }
}

/// Writes the failure's one line on stderr and returns its exit status.
fn report(failure: &Failure) -> ExitCode {
    let _ = writeln!(io::stderr(), "{}", failure.line());
    failure.exit_code()
}

/// Help and version go out as clap prints them; argument errors become one
/// line, like every other failure, with clap's exit status (2).
fn usage_error(e: clap::Error) -> ExitCode {
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    let code = ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    let _ = writeln!(
        io::stderr(),
        "{}",
        Failure::usage(one_line(&e.to_string())).line()
    );
    code
}

/// clap's message (`error: ...`, detail lines, tips) on one line, with the
/// help command of the subcommand its usage line names.
fn one_line(rendered: &str) -> String {
    let (message, usage) = match rendered.split_once("\nUsage: ") {
        Some((message, usage)) => (message, Some(usage)),
        None => (rendered, None),
    };
    let mut line = String::new();
    let parts = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"));
    for part in parts {
        let part = part.strip_prefix("error: ").unwrap_or(part);
        if !line.is_empty() {
            line.push_str(if part.starts_with("tip:") { "; " } else { " " });
        }
        line.push_str(part);
    }
    if let Some(usage) = usage {
        let command: Vec<&str> = usage
            .split_whitespace()
            .take_while(|w| !w.starts_with(['[', '<', '-']))
            .collect();
        if !command.is_empty() {
            line.push_str(&format!(" (see '{} --help')", command.join(" ")));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_become_one_line() {
        let rendered = "error: unexpected argument '--foo' found\n\n  tip: to pass '--foo' as a value, use '-- --foo'\n\nUsage: azinfer chat [OPTIONS] <PROMPT>...\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "unexpected argument '--foo' found; tip: to pass '--foo' as a value, use '-- --foo' (see 'azinfer chat --help')"
        );
        let rendered = "error: invalid value 'x' for '--exporter <LIST>': unknown\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "invalid value 'x' for '--exporter <LIST>': unknown"
        );
        let rendered = "error: the following required arguments were not provided:\n  <PROMPT>...\n\nUsage: azinfer chat --request <FILE> <PROMPT>...\n";
        assert_eq!(
            one_line(rendered),
            "the following required arguments were not provided: <PROMPT>... (see 'azinfer chat --help')"
        );
    }
}
