//! The telemetry pipeline of one `azinfer` run: installed before the
//! clients are built, shut down (which delivers everything) before exit.

use std::io::Write;

use std::time::Duration;

use azure_ai_inference_otel::setup::{
    DeliveryPath, ExporterKind, PipelineBuilder, TelemetryGuard, TelemetryPipeline,
};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::args::Global;
use crate::failure::Failure;
use crate::tree::{SpanCollector, render_tree};

/// The standard variables that name the service (OpenTelemetry SDK).
const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";

/// `service.name` unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` names one.
const SERVICE_NAME: &str = "azinfer";

/// How long delivery may take at exit.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The installed pipeline.
pub struct Telemetry {
    guard: TelemetryGuard,
    /// The `stdout` exporter: spans kept for the tree printed at the end.
    tree: Option<SpanCollector>,
}

impl Telemetry {
    /// Installs the exporters `--exporter` names (else those of the
    /// environment, see `PipelineBuilder::from_env`, else the CLI's own
    /// default, `stdout`: a tree on stderr) and the `tracing` layer.
    pub fn install(global: &Global) -> Result<Telemetry, Failure> {
        let kinds: Vec<ExporterKind> = if global.exporter.is_empty() {
            let from_env = PipelineBuilder::from_env()
                .map_err(|e| Failure::usage(e.to_string()))?
                .exporter_kinds()
                .to_vec();
            if from_env.is_empty() {
                vec![ExporterKind::Stdout]
            } else {
                from_env
            }
        } else {
            global
                .exporter
                .iter()
                .flat_map(|list| list.0.iter().copied())
                .collect()
        };

        // `stdout` is drawn as a tree on stderr, so it never mixes with the answer.
        let mut builder = TelemetryPipeline::builder()
            .with_exporters(kinds.iter().copied().filter(|&k| k != ExporterKind::Stdout));
        let tree = kinds
            .contains(&ExporterKind::Stdout)
            .then(SpanCollector::default);
        if let Some(collector) = &tree {
            builder = builder.with_span_exporter(collector.clone());
        }
        if !service_name_in_env() {
            builder = builder.with_service_name(SERVICE_NAME);
        }
        // A command-line run should not hang on an unreachable backend:
        // five seconds to deliver at exit, then what is left is reported.
        let (guard, layer) = builder
            .with_shutdown_timeout(SHUTDOWN_TIMEOUT)
            .install_with_tracing()
            .map_err(|e| Failure::usage(e.to_string()))?;
        let _ = tracing_subscriber::registry().with(layer).try_init();
        Ok(Telemetry { guard, tree })
    }

    /// Delivers everything (a one-line delivery summary on `stderr` when
    /// some spans could not be), then draws the span tree of the `stdout`
    /// exporter on `stderr`.
    pub async fn finish(self, stderr: &mut dyn Write) {
        let paths = self.guard.delivery_stats().to_vec();
        let shutdown = self.guard.shutdown_async().await;
        match DeliveryPath::summary(&paths) {
            Some(summary) => {
                let _ = writeln!(stderr, "azinfer: warning: {summary}");
            }
            None => {
                if let Err(e) = shutdown {
                    let _ = writeln!(stderr, "azinfer: warning: {e}");
                }
            }
        }
        if let Some(collector) = self.tree {
            let spans = collector.spans();
            if !spans.is_empty() {
                let _ = write!(stderr, "{}", render_tree(&spans));
            }
        }
        let _ = stderr.flush();
    }
}

/// Whether the environment names the service, which should then win over
/// `azinfer` (code would beat it).
fn service_name_in_env() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    set(OTEL_SERVICE_NAME)
        || std::env::var(OTEL_RESOURCE_ATTRIBUTES).is_ok_and(|attributes| {
            attributes
                .split(',')
                .any(|pair| pair.split('=').next().map(str::trim) == Some("service.name"))
        })
}
