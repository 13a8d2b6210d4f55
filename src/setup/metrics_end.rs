//! Flushing and shutting down the meter provider within a deadline, with
//! errors a person can read.
//!
//! The SDK's `SdkMeterProvider::force_flush` waits for the periodic reader's
//! export without a timeout, and its errors nest the reader's `Debug` output
//! (`InternalFailure("[InternalFailure(\"Failed to shutdown\")]")`). So the
//! work runs on a thread of its own that the guard stops waiting for at the
//! deadline (the thread then ends with the export, bounded by the exporter's
//! own timeout, e.g. `OTEL_EXPORTER_OTLP_TIMEOUT`), and the error is
//! rewritten to say what failed.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::metrics::SdkMeterProvider;

/// What to do with the meter provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MetricsEnd {
    /// Export what was recorded, keep running.
    Flush,
    /// Export what was recorded, then stop the readers.
    Shutdown,
}

/// Runs `end` on `provider` on its own thread and waits for it until
/// `deadline`; `None` when it succeeded (or someone else already shut the
/// provider down).
pub(super) fn end_metrics(
    provider: &SdkMeterProvider,
    end: MetricsEnd,
    deadline: Instant,
) -> Option<OTelSdkError> {
    let provider = provider.clone();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("telemetry-metrics-end".into())
        .spawn(move || {
            let flush = provider.force_flush();
            let outcome = match end {
                MetricsEnd::Flush => flush.err(),
                MetricsEnd::Shutdown => settle(
                    flush,
                    provider
                        .shutdown_with_timeout(deadline.saturating_duration_since(Instant::now())),
                ),
            };
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Some(OTelSdkError::InternalFailure(format!(
            "metrics: could not start the thread that exports them: {e}"
        )));
    }
    let waited = deadline.saturating_duration_since(Instant::now());
    match rx.recv_timeout(waited) {
        Ok(outcome) => outcome.map(|e| readable(e, end)),
        Err(mpsc::RecvTimeoutError::Timeout) => Some(OTelSdkError::InternalFailure(format!(
            "the metrics export did not finish within the shutdown deadline ({waited:?} left); \
             abandoned (it ends on its own within the exporter's timeout)"
        ))),
        Err(mpsc::RecvTimeoutError::Disconnected) => Some(OTelSdkError::InternalFailure(
            "the metrics export thread ended without an answer".to_owned(),
        )),
    }
}

/// One provider's outcome: nothing to report when someone else already shut
/// it down, else the shutdown error, else the flush error.
pub(super) fn settle(
    flush: Result<(), OTelSdkError>,
    shutdown: Result<(), OTelSdkError>,
) -> Option<OTelSdkError> {
    match shutdown {
        Err(OTelSdkError::AlreadyShutdown) => None,
        Err(e) => Some(e),
        Ok(()) => flush.err(),
    }
}

/// The SDK's error with its nested `Debug` text unwrapped and its stock
/// phrases explained.
fn readable(e: OTelSdkError, end: MetricsEnd) -> OTelSdkError {
    let OTelSdkError::InternalFailure(text) = e else {
        return e;
    };
    let causes: Vec<String> = peel(&text)
        .into_iter()
        .map(|cause| match cause.as_str() {
            "Failed to shutdown" | "Failed to flush" => {
                let when = match end {
                    MetricsEnd::Flush => "flushing",
                    MetricsEnd::Shutdown => "shutting down",
                };
                format!(
                    "the metrics exporter failed while {when} (is the metrics backend reachable?)"
                )
            }
            _ => cause,
        })
        .collect();
    OTelSdkError::InternalFailure(causes.join("; "))
}

/// The innermost messages of text such as
/// `[InternalFailure("[InternalFailure(\"Failed to shutdown\")]")]`; the
/// text itself when it holds none.
fn peel(text: &str) -> Vec<String> {
    const OPEN: &str = "InternalFailure(\"";
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let (message, tail) = debug_string(&rest[at + OPEN.len()..]);
        found.extend(peel(&message));
        rest = tail;
    }
    if found.is_empty() {
        found.push(text.to_owned());
    }
    found
}

/// The contents of a `Debug`-quoted string whose opening quote was just
/// read, unescaped, and the text after its closing quote.
fn debug_string(text: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &text[i + 1..]),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, other)) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    (out, "")
}

/// How long `end_metrics` may take when no deadline is given: the longest
/// flush timeout of the span paths, at least this.
pub(super) const MIN_METRICS_FLUSH: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_sdk_errors_become_one_sentence() {
        let e = OTelSdkError::InternalFailure(
            "[InternalFailure(\"[InternalFailure(\\\"Failed to shutdown\\\")]\")]".to_owned(),
        );
        let text = readable(e, MetricsEnd::Shutdown).to_string();
        assert!(
            text.contains("the metrics exporter failed while shutting down")
                && !text.contains("InternalFailure")
                && !text.contains('\\'),
            "{text}"
        );
        let plain = readable(
            OTelSdkError::InternalFailure("connection refused".into()),
            MetricsEnd::Flush,
        );
        assert!(plain.to_string().contains("connection refused"), "{plain}");
        assert!(matches!(
            readable(
                OTelSdkError::Timeout(Duration::from_secs(1)),
                MetricsEnd::Flush
            ),
            OTelSdkError::Timeout(_)
        ));
    }

    #[test]
    fn settle_ignores_a_provider_shut_down_elsewhere() {
        let flush_failed = || Err(OTelSdkError::InternalFailure("flush".into()));
        assert!(settle(flush_failed(), Err(OTelSdkError::AlreadyShutdown)).is_none());
        assert!(settle(flush_failed(), Ok(())).is_some());
        assert!(settle(Ok(()), Ok(())).is_none());
    }

    #[test]
    fn a_provider_without_readers_ends_at_once() {
        let provider = SdkMeterProvider::builder().build();
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(end_metrics(&provider, MetricsEnd::Flush, deadline).is_none());
        assert!(end_metrics(&provider, MetricsEnd::Shutdown, deadline).is_none());
        // Already shut down: not an error.
        assert!(end_metrics(&provider, MetricsEnd::Shutdown, deadline).is_none());
    }

    /// An exporter whose export blocks until the test lets it go: a
    /// collector that accepts the connection and never answers.
    struct Hanging(std::sync::Mutex<mpsc::Receiver<()>>);

    impl opentelemetry_sdk::metrics::exporter::PushMetricExporter for Hanging {
        async fn export(
            &self,
            _: &opentelemetry_sdk::metrics::data::ResourceMetrics,
        ) -> opentelemetry_sdk::error::OTelSdkResult {
            let _ = self.0.lock().map(|rx| rx.recv());
            Ok(())
        }
        fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
            Ok(())
        }
        fn shutdown_with_timeout(&self, _: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
            Ok(())
        }
        fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
            opentelemetry_sdk::metrics::Temporality::Cumulative
        }
    }

    #[test]
    fn a_hung_metrics_export_is_abandoned_at_the_deadline() {
        use opentelemetry::metrics::MeterProvider as _;
        let (release, hold) = mpsc::channel();
        let provider = SdkMeterProvider::builder()
            .with_reader(
                opentelemetry_sdk::metrics::PeriodicReader::builder(Hanging(
                    std::sync::Mutex::new(hold),
                ))
                .build(),
            )
            .build();
        provider.meter("m").u64_counter("c").build().add(1, &[]);
        let deadline = Instant::now() + Duration::from_millis(200);
        let e = end_metrics(&provider, MetricsEnd::Shutdown, deadline).expect("abandoned");
        assert!(
            e.to_string()
                .contains("did not finish within the shutdown deadline"),
            "{e}"
        );
        drop(release);
    }
}
