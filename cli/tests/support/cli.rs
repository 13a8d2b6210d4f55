//! Runs the `azinfer` binary as a child process, in an environment of its
//! own: every `AZURE_*`, `OTEL_*` and `BRAINTRUST_*` variable of the test
//! process is removed, so a developer's settings never reach it. The child
//! exits only after its telemetry is delivered, so once `run` returns every
//! loopback receiver already holds what it was sent: no waiting.

use std::time::Duration;

use assert_cmd::Command;
use azure_ai_inference_otel::testing::MockInferenceServer;

/// The key the tests pass with `--key`; it must never show in any output.
pub const KEY: &str = "sk-cli-test-key-5f3c9a1e7b";

/// What the demo endpoint says on stderr.
pub const DEMO_NOTICE: &str =
    "using the built-in demo endpoint; set AZURE_AI_INFERENCE_ENDPOINT for a real one";

/// `azinfer` with a clean environment (a safety timeout, not a synchronization).
pub fn azinfer() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azinfer"));
    for (name, _) in std::env::vars_os() {
        if let Some(name) = name.to_str()
            && ["AZURE_", "OTEL_", "BRAINTRUST_", "RUST_LOG"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
        {
            cmd.env_remove(name);
        }
    }
    // A test that scripts one failure expects to see it; the retry tests
    // pass --max-retries.
    cmd.env("AZURE_AI_INFERENCE_MAX_RETRIES", "0");
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// `azinfer --endpoint <server> --key KEY`.
pub fn against(server: &MockInferenceServer) -> Command {
    let mut cmd = azinfer();
    cmd.args(["--endpoint", &server.endpoint(), "--key", KEY]);
    cmd
}

/// What a run printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    /// The exit status (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit status 0 and returns the run.
    pub fn success(self) -> Self {
        assert_eq!(self.code, Some(0), "azinfer failed: {self:#?}");
        self
    }

    /// Asserts `code` and that stderr is exactly one `azinfer: error:` line
    /// containing every one of `parts`.
    pub fn fails_with(self, code: i32, parts: &[&str]) -> Self {
        assert_eq!(self.code, Some(code), "{self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stderr: {self:#?}");
        assert!(lines[0].starts_with("azinfer: error: "), "{self:#?}");
        for part in parts {
            assert!(lines[0].contains(part), "{part:?} missing: {self:#?}");
        }
        self
    }

    /// Asserts that neither output contains `secret`.
    pub fn never_shows(&self, secret: &str) {
        assert!(
            !self.stdout.contains(secret) && !self.stderr.contains(secret),
            "{secret:?} leaked: {self:#?}"
        );
    }
}

/// Runs `cmd` to completion.
pub fn run(cmd: &mut Command) -> Run {
    let output = cmd.output().expect("azinfer runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
