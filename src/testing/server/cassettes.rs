//! [`MockInferenceServer`]'s cassette modes: recording through to a real
//! endpoint, and replaying a cassette.

use std::path::Path;
use std::sync::Arc;

use super::{MockInferenceServer, Mode};
use crate::testing::answers::Script;
use crate::testing::cassette::{self, CassetteError};
use crate::testing::demo::Demo;
use crate::testing::record::{RecordOptions, Recorder};
use crate::testing::replay::{ReplayOptions, Replayer};

/// Recording and replaying cassettes (see `testing::cassette` for the file).
impl MockInferenceServer {
    /// A recording server on the current tokio runtime: every request no
    /// queued reply takes is forwarded to `upstream` (the real endpoint's
    /// base URL, e.g. `https://<resource>.services.ai.azure.com/models`;
    /// the request's path and query are appended to it) with its headers,
    /// and the answer is streamed back to the caller as it arrives. Each
    /// request/answer pair is kept and written, scrubbed (see
    /// [`RecordOptions`]), to `cassette` by [`finish`](Self::finish) or,
    /// failing that, when the server is dropped (errors are then lost).
    ///
    /// Point the client at [`endpoint`](Self::endpoint) with the real key:
    /// it is forwarded upstream and never written. An upstream that cannot
    /// be reached is answered with a 502 (`RecorderUpstreamError`) and not
    /// recorded; an answer cut short is recorded with `cut: true`.
    pub async fn record(
        upstream: &str,
        cassette: impl AsRef<Path>,
        options: RecordOptions,
    ) -> Result<Self, CassetteError> {
        let recorder = Recorder::new(upstream, cassette.as_ref().to_owned(), &options)?;
        let mode = Mode {
            recorder: Some(Arc::new(recorder)),
            replayer: None,
        };
        Self::start_with(Script::new(Box::new(Demo)), mode)
            .await
            .map_err(|e| CassetteError::Setup(format!("cannot start the recording server: {e}")))
    }

    /// [`record`](Self::record) on a thread of its own, for synchronous code
    /// and the `azinfer` CLI.
    pub fn record_background(
        upstream: &str,
        cassette: impl AsRef<Path>,
        options: RecordOptions,
    ) -> Result<Self, CassetteError> {
        let recorder = Recorder::new(upstream, cassette.as_ref().to_owned(), &options)?;
        let mode = Mode {
            recorder: Some(Arc::new(recorder)),
            replayer: None,
        };
        Self::start_background_with(Script::new(Box::new(Demo)), mode)
            .map_err(|e| CassetteError::Setup(format!("cannot start the recording server: {e}")))
    }

    /// A server answering from the cassette at `path` with the default
    /// [`ReplayOptions`], on the current tokio runtime. The cassette is read
    /// and checked first: broken JSON or a malformed interaction is an
    /// error naming the file, the interaction and the field.
    pub async fn replay(cassette: impl AsRef<Path>) -> Result<Self, CassetteError> {
        Self::replay_with(cassette, ReplayOptions::default()).await
    }

    /// [`replay`](Self::replay) with `options` (fields to ignore, pacing).
    ///
    /// A request no recorded one matches is answered
    /// `NO_MATCH_STATUS` with the service's error
    /// shape, `code` `NO_MATCH_CODE` and a message
    /// naming the closest recorded request and how it differs; it is also
    /// kept in [`replay_mismatches`](Self::replay_mismatches). Queued
    /// replies still come first.
    pub async fn replay_with(
        cassette: impl AsRef<Path>,
        options: ReplayOptions,
    ) -> Result<Self, CassetteError> {
        let (script, mode) = Self::replay_parts(cassette.as_ref(), options)?;
        Self::start_with(script, mode)
            .await
            .map_err(|e| CassetteError::Setup(format!("cannot start the replay server: {e}")))
    }

    /// [`replay_with`](Self::replay_with) on a thread of its own.
    pub fn replay_background(
        cassette: impl AsRef<Path>,
        options: ReplayOptions,
    ) -> Result<Self, CassetteError> {
        let (script, mode) = Self::replay_parts(cassette.as_ref(), options)?;
        Self::start_background_with(script, mode)
            .map_err(|e| CassetteError::Setup(format!("cannot start the replay server: {e}")))
    }

    fn replay_parts(path: &Path, options: ReplayOptions) -> Result<(Script, Mode), CassetteError> {
        let interactions = cassette::load(path)?;
        let replayer = Arc::new(Replayer::new(interactions, options));
        let script = Script::new(Box::new(Arc::clone(&replayer)));
        let mode = Mode {
            recorder: None,
            replayer: Some(replayer),
        };
        Ok((script, mode))
    }

    /// The requests a replaying server found no recorded answer for, oldest
    /// first (always empty for other servers), each as one line naming the
    /// request, the closest recorded one and how they differ: `no recorded
    /// answer for POST /chat/completions; the closest recorded request is
    /// #1 POST /chat/completions: body differs at /messages/0/content:
    /// recorded "Hello", got "Hi"`.
    pub fn replay_mismatches(&self) -> Vec<String> {
        self.shared
            .mode
            .replayer
            .as_ref()
            .map(|r| r.mismatches().iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }

    /// Stops the server and, when it records, writes the cassette. Returns
    /// how many interactions were written (0 for servers that do not
    /// record). Answers still streaming are cut and recorded as cut.
    pub fn finish(mut self) -> Result<usize, CassetteError> {
        self.stop_and_join();
        match &self.shared.mode.recorder {
            Some(recorder) => recorder.write(),
            None => Ok(0),
        }
    }
}
