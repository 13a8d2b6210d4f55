//! Why `azinfer` failed: one line for stderr and the exit status.

use std::io;
use std::process::ExitCode;

use azure_ai_inference_otel::{ConfigField, Error};

/// A failure, reported as `azinfer: error: <message>` on one line.
#[derive(Debug)]
pub enum Failure {
    /// The arguments, a `--request` body, an image file or the configuration
    /// are wrong: exit status 2, as for clap's own usage errors.
    Usage(String),
    /// The call (or writing its answer) failed: exit status 1.
    Call(String),
}

impl Failure {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::Usage(message.into())
    }

    /// A failed call.
    pub fn call(message: impl Into<String>) -> Self {
        Failure::Call(message.into())
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        match self {
            Failure::Usage(m) | Failure::Call(m) => m,
        }
    }

    /// 2 for usage errors, 1 for failed calls.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Usage(_) => ExitCode::from(2),
            Failure::Call(_) => ExitCode::from(1),
        }
    }

    /// The line written to stderr: control characters (line breaks in a
    /// service's message, say) become spaces, so it stays one line.
    pub fn line(&self) -> String {
        let message: String = self
            .message()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("azinfer: error: {}", message.trim())
    }
}

impl From<Error> for Failure {
    /// Configuration errors name the option at fault and are usage errors;
    /// everything else is a failed call.
    fn from(error: Error) -> Self {
        if let Error::InvalidConfig { field, reason } = &error {
            let option = match field {
                ConfigField::Endpoint => Some("--endpoint"),
                ConfigField::ApiKey => Some("--key"),
                ConfigField::ApiVersion => Some("--api-version"),
                ConfigField::Model => Some("--model"),
                _ => None,
            };
            let reason = cli_words(reason);
            return match option {
                Some(option) => Failure::Usage(format!("{option}: {reason}")),
                None => Failure::Usage(error.to_string()),
            };
        }
        Failure::Call(cli_words(&error.to_string()))
    }
}

/// The library's messages name its options; the CLI user needs the flags.
fn cli_words(message: &str) -> String {
    message
        .replace(
            "ClientOptions::with_insecure_http_key(true)",
            "--insecure-http-key",
        )
        .replace("ClientOptions::with_read_timeout", "--read-timeout")
        .replace("ClientOptions::with_connect_timeout", "--connect-timeout")
}

impl From<io::Error> for Failure {
    /// Writing the answer failed (a closed pipe, a full disk).
    fn from(error: io::Error) -> Self {
        Failure::Call(format!("cannot write the answer to stdout: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_errors_name_the_option() {
        let f = Failure::from(Error::invalid_config(
            ConfigField::ApiKey,
            "the API key is empty",
        ));
        assert_eq!(f.line(), "azinfer: error: --key: the API key is empty");
        assert_eq!(f.exit_code(), ExitCode::from(2));
    }

    #[test]
    fn the_line_is_one_line() {
        let f = Failure::call("bad\ngateway\r\n");
        assert_eq!(f.line(), "azinfer: error: bad gateway");
        assert_eq!(f.exit_code(), ExitCode::from(1));
    }
}
