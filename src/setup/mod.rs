//! One call installs a whole telemetry pipeline: resource, span exporters
//! behind batch processors, a meter provider with periodic readers, the W3C
//! trace-context and baggage propagator, the global providers, and optionally a
//! `tracing` layer.
//!
//! # Quick start
//!
//! ```
//! use azure_ai_inference_otel::setup::{ExporterKind, TelemetryPipeline};
//! use tracing_subscriber::prelude::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (guard, otel_layer) = TelemetryPipeline::builder()
//!     .with_service_name("checkout")
//!     .with_exporter(ExporterKind::None) // `Stdout`, `Otlp`, ... in a real service
//!     .install_with_tracing()?;
//! // The one line a service that already uses `tracing` adds:
//! tracing_subscriber::registry().with(otel_layer).init();
//!
//! {
//!     let _request = tracing::info_span!("handle_request").entered();
//!     // Client calls made here get spans that are children of `handle_request`.
//! }
//!
//! guard.shutdown()?; // delivers what is still queued
//! # Ok(())
//! # }
//! ```
//!
//! From the environment, with a console log beside the spans:
//!
//! ```no_run
//! use azure_ai_inference_otel::setup::PipelineBuilder;
//! use tracing_subscriber::prelude::*;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // AZURE_AI_INFERENCE_OTEL_EXPORTERS=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
//! let (guard, otel_layer) = PipelineBuilder::from_env()?.install_with_tracing()?;
//! tracing_subscriber::registry()
//!     .with(otel_layer)
//!     .with(tracing_subscriber::fmt::layer())
//!     .init();
//! // ... serve ...
//! guard.shutdown_async().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # What `install` sets up
//!
//! - A [`Resource`] from [`Resource::builder`] (so `OTEL_RESOURCE_ATTRIBUTES`
//!   and the `telemetry.sdk.*` attributes are there), plus the attributes
//!   given in code (which win), with `service.name` taken from the first of:
//!   [`PipelineBuilder::with_service_name`], a `service.name` resource
//!   attribute given in code, [`OTEL_SERVICE_NAME`], `service.name` in
//!   [`OTEL_RESOURCE_ATTRIBUTES`], [`DEFAULT_SERVICE_NAME`].
//! - One [`BatchSpanProcessor`] per span exporter. It exports on its own
//!   background thread, and every exporter here is synchronous or brings its
//!   own client thread, so no Tokio reactor is needed: the pipeline works the
//!   same from a plain `main`, a `current_thread` or a `multi_thread` runtime.
//!   (The SDK's experimental async-runtime processor is deliberately not used.)
//!   Queue and batch sizes follow the SDK's `OTEL_BSP_*` variables.
//! - An [`SdkMeterProvider`] with one [`PeriodicReader`] per kind that
//!   exports metrics (`otlp`, `stdout`), every
//!   [`with_metric_export_interval`](PipelineBuilder::with_metric_export_interval),
//!   else `OTEL_METRIC_EXPORT_INTERVAL` ms, else 60 s.
//! - Unless [`with_global(false)`](PipelineBuilder::with_global): both
//!   providers as the global ones and W3C trace context plus baggage
//!   ([`TraceContextPropagator`], [`BaggagePropagator`]) as the global
//!   propagator, so an incoming `baggage: braintrust.parent=...` travels on
//!   with the trace (and, with a Braintrust exporter, routes its rows: see
//!   [`BraintrustParentProcessor`]). The crate's clients use the global providers unless
//!   their `TelemetryOptions` name others, so install the pipeline before
//!   building clients (their metric instruments are created then).
//!
//! # Environment variables
//!
//! | variable | read by | meaning |
//! |---|---|---|
//! | [`AZURE_AI_INFERENCE_OTEL_EXPORTERS`] | [`PipelineBuilder::from_env`] | comma-separated [`ExporterKind`] names |
//! | [`OTEL_SERVICE_NAME`] | `install` | `service.name` when not set in code |
//! | [`OTEL_RESOURCE_ATTRIBUTES`] | `install` | `k=v,k=v` resource attributes; code wins |
//! | `OTEL_EXPORTER_OTLP_*` | the `otlp` kind | see [`exporters::otlp`](crate::exporters::otlp) |
//! | `OTEL_BSP_*`, `OTEL_METRIC_EXPORT_INTERVAL` | the SDK | batch sizes and delays, metric interval |
//!
//! # Shutting down
//!
//! [`TelemetryGuard::shutdown`] from synchronous code,
//! [`TelemetryGuard::shutdown_async`] from async code; dropping the guard
//! does the same. See [`TelemetryGuard`] for why and for the gRPC caveat.

use crate::exporters::braintrust::{
    BraintrustBuildError, BraintrustConfig, BraintrustExporter, BraintrustOtlpExporter,
    BraintrustParentProcessor,
};
use std::time::Duration;

use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::{Key, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::resource::{EnvResourceDetector, ResourceDetector};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, SpanExporter};
use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;

use crate::exporters::otlp::{
    OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OtlpBuildError, OtlpConfig,
};

mod guard;
mod kind;

pub use guard::{ShutdownError, TelemetryGuard};
pub use kind::{ExporterKind, UnknownExporterKind};

/// Comma-separated [`ExporterKind`] names read by [`PipelineBuilder::from_env`],
/// e.g. `stdout,otlp`. Unset or blank: `otlp` when
/// [`OTEL_EXPORTER_OTLP_ENDPOINT`] or [`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`]
/// is set (someone configured a collector), else `stdout` (`none` in a build
/// without the `stdout` feature).
pub const AZURE_AI_INFERENCE_OTEL_EXPORTERS: &str = "AZURE_AI_INFERENCE_OTEL_EXPORTERS";
/// The standard variable for `service.name`; beaten by
/// [`PipelineBuilder::with_service_name`], and it beats `service.name` in
/// [`OTEL_RESOURCE_ATTRIBUTES`] (as the specification asks).
pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// The standard variable for extra resource attributes (`k=v,k=v`, values
/// percent-encoded); attributes given in code win over it.
pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// `service.name` when neither code nor the environment gives one: this
/// crate's name, rather than the SDK's `unknown_service`.
pub const DEFAULT_SERVICE_NAME: &str = env!("CARGO_PKG_NAME");
/// Instrumentation scope name of spans that come from `tracing` through the
/// layer (the crate's own spans use [`instrumentation_scope`](crate::telemetry::instrumentation_scope)).
pub const TRACING_SCOPE_NAME: &str = "tracing-opentelemetry";

/// Targets of the HTTP and TLS libraries under our clients and exporters.
/// Their `tracing` spans (h2 opens several per request at debug and trace
/// level) would otherwise become exported spans, and Braintrust `task`
/// rows, in every trace: the layer drops them. The application's own spans
/// pass at every level.
pub const HTTP_INTERNAL_TARGETS: &[&str] = &[
    "h2",
    "hyper",
    "hyper_util",
    "reqwest",
    "rustls",
    "tonic",
    "tower",
];

/// The `tracing` layer returned by [`PipelineBuilder::install_with_tracing`]
/// and [`TelemetryGuard::tracing_layer`]: tracing-opentelemetry's layer,
/// filtered to drop [`HTTP_INTERNAL_TARGETS`].
pub type TracingLayer<S> = tracing_subscriber::filter::Filtered<
    tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>,
    tracing_subscriber::filter::Targets,
    S,
>;

/// The pipeline could not be installed; nothing was installed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// An exporter list (from a variable) names an unknown kind.
    #[error("invalid {variable}: {source}")]
    InvalidExporterList {
        /// The variable holding the list.
        variable: &'static str,
        /// The unknown name.
        #[source]
        source: UnknownExporterKind,
    },
    /// The OTLP exporters could not be built.
    #[error(transparent)]
    Otlp(#[from] OtlpBuildError),
    /// The kind needs a crate feature this build does not enable (`stdout`
    /// without the `stdout` feature).
    #[error(
        "the `{kind}` exporter needs the crate feature `{feature}`, which this build does not enable"
    )]
    FeatureDisabled {
        /// The kind asked for.
        kind: ExporterKind,
        /// The feature it needs.
        feature: &'static str,
    },
    /// A Braintrust exporter could not be built (e.g. `BRAINTRUST_API_KEY`
    /// is missing or `BRAINTRUST_PARENT` is malformed).
    #[error("the `{kind}` exporter: {source}")]
    Braintrust {
        /// `braintrust` or `braintrust-otlp`.
        kind: ExporterKind,
        /// What is wrong.
        #[source]
        source: BraintrustBuildError,
    },
}

/// Entry point: [`TelemetryPipeline::builder`].
#[derive(Debug, Clone, Copy)]
pub struct TelemetryPipeline;

impl TelemetryPipeline {
    /// A builder with nothing configured: no exporter (spans go nowhere until
    /// one is added), globals on, service name from the environment.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::new()
    }
}

/// Configures and installs a pipeline; see the [module docs](self).
#[derive(Debug, Default)]
pub struct PipelineBuilder {
    service_name: Option<String>,
    resource_attributes: Vec<KeyValue>,
    kinds: Vec<ExporterKind>,
    custom: Vec<Box<dyn ErasedSpanExporter>>,
    otlp: OtlpConfig,
    braintrust: BraintrustConfig,
    global: Option<bool>,
    metric_interval: Option<Duration>,
}

impl PipelineBuilder {
    /// Same as [`TelemetryPipeline::builder`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder whose exporters come from [`AZURE_AI_INFERENCE_OTEL_EXPORTERS`]
    /// (see there for the default). Everything else can still be set in code.
    pub fn from_env() -> Result<Self, SetupError> {
        let kinds = kinds_from_env(&|name| std::env::var(name).ok())?;
        Ok(Self::new().with_exporters(kinds))
    }

    /// Sets `service.name`, beating every variable.
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute; beats the same key in [`OTEL_RESOURCE_ATTRIBUTES`].
    pub fn with_resource_attribute(mut self, attribute: KeyValue) -> Self {
        self.resource_attributes.push(attribute);
        self
    }

    /// Adds resource attributes; they beat the same keys in [`OTEL_RESOURCE_ATTRIBUTES`].
    pub fn with_resource_attributes(
        mut self,
        attributes: impl IntoIterator<Item = KeyValue>,
    ) -> Self {
        self.resource_attributes.extend(attributes);
        self
    }

    /// Adds an exporter kind. Adding a kind twice keeps it once.
    pub fn with_exporter(mut self, kind: ExporterKind) -> Self {
        if !self.kinds.contains(&kind) {
            self.kinds.push(kind);
        }
        self
    }

    /// Adds exporter kinds, e.g. from [`ExporterKind::parse_list`].
    pub fn with_exporters(self, kinds: impl IntoIterator<Item = ExporterKind>) -> Self {
        kinds.into_iter().fold(self, Self::with_exporter)
    }

    /// The exporter kinds configured so far, in order.
    pub fn exporter_kinds(&self) -> &[ExporterKind] {
        &self.kinds
    }

    /// Adds any span exporter, behind its own batch processor.
    pub fn with_span_exporter(mut self, exporter: impl SpanExporter + 'static) -> Self {
        self.custom.push(Box::new(exporter));
        self
    }

    /// Code overrides for the `otlp` kind (endpoint, headers, protocol,
    /// timeout); they beat the `OTEL_EXPORTER_OTLP_*` variables.
    pub fn with_otlp_config(mut self, config: OtlpConfig) -> Self {
        self.otlp = config;
        self
    }

    /// How often metrics are exported; beats `OTEL_METRIC_EXPORT_INTERVAL`.
    pub fn with_metric_export_interval(mut self, interval: Duration) -> Self {
        self.metric_interval = Some(interval);
        self
    }

    /// Configuration of the `braintrust` and `braintrust-otlp` exporters;
    /// what it leaves unset comes from `BRAINTRUST_API_KEY`,
    /// `BRAINTRUST_API_URL` and `BRAINTRUST_PARENT`.
    pub fn with_braintrust_config(mut self, config: BraintrustConfig) -> Self {
        self.braintrust = config;
        self
    }

    /// Whether to set the global tracer and meter providers and the global
    /// propagator (default `true`). With `false`, hand the providers to
    /// clients through `TelemetryOptions::with_tracer_provider` /
    /// `with_meter_provider` ([`TelemetryGuard::tracer_provider`]), and
    /// inject context with your own propagator.
    pub fn with_global(mut self, global: bool) -> Self {
        self.global = Some(global);
        self
    }

    /// Builds every exporter, then the providers, then sets the globals.
    /// When an exporter cannot be built, nothing is installed.
    pub fn install(self) -> Result<TelemetryGuard, SetupError> {
        let resource = self.resource();

        // Fallible part first, so a failure leaves no background thread behind.
        let mut span_exporters: Vec<Box<dyn ErasedSpanExporter>> = Vec::new();
        let mut metric_exporters = Vec::new();
        for &kind in &self.kinds {
            match kind {
                #[cfg(not(feature = "stdout"))]
                ExporterKind::Stdout => {
                    return Err(SetupError::FeatureDisabled {
                        kind,
                        feature: "stdout",
                    });
                }
                #[cfg(feature = "stdout")]
                ExporterKind::Stdout => {
                    span_exporters.push(Box::new(opentelemetry_stdout::SpanExporter::default()));
                    metric_exporters.push(MetricSink::Stdout(
                        opentelemetry_stdout::MetricExporter::default(),
                    ));
                }
                ExporterKind::Otlp => {
                    span_exporters.push(Box::new(self.otlp.build_span_exporter()?));
                    metric_exporters.push(MetricSink::Otlp(Box::new(
                        self.otlp.build_metric_exporter()?,
                    )));
                }
                ExporterKind::Braintrust | ExporterKind::BraintrustOtlp => {
                    span_exporters.push(braintrust_exporter(kind, &self.braintrust)?);
                }
                ExporterKind::None => {}
            }
        }
        span_exporters.extend(self.custom);

        let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
        // Rows follow an incoming `braintrust.parent` baggage entry.
        if self
            .kinds
            .iter()
            .any(|k| matches!(k, ExporterKind::Braintrust | ExporterKind::BraintrustOtlp))
        {
            tracer_builder = tracer_builder.with_span_processor(BraintrustParentProcessor);
        }
        let tracer_provider = span_exporters
            .into_iter()
            .fold(tracer_builder, |builder, exporter| {
                builder.with_span_processor(exporter.into_batch_processor())
            })
            .build();
        let interval = self.metric_interval;
        let meter_provider = metric_exporters
            .into_iter()
            .fold(
                SdkMeterProvider::builder().with_resource(resource),
                |builder, sink| match sink {
                    #[cfg(feature = "stdout")]
                    MetricSink::Stdout(e) => builder.with_reader(periodic(e, interval)),
                    MetricSink::Otlp(e) => builder.with_reader(periodic(*e, interval)),
                },
            )
            .build();

        if self.global.unwrap_or(true) {
            opentelemetry::global::set_tracer_provider(tracer_provider.clone());
            opentelemetry::global::set_meter_provider(meter_provider.clone());
            opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
                Box::new(TraceContextPropagator::new()),
                Box::new(BaggagePropagator::new()),
            ]));
        }
        Ok(TelemetryGuard::new(tracer_provider, meter_provider))
    }

    /// [`install`](Self::install), plus the `tracing` layer that sends
    /// `tracing` spans to this pipeline ([`TelemetryGuard::tracing_layer`]):
    /// add it to a registry with
    /// `tracing_subscriber::registry().with(layer).with(fmt::layer()).init()`.
    /// With the layer on, an entered `tracing` span is the current
    /// OpenTelemetry context, so the crate's client spans nest under it.
    pub fn install_with_tracing<S>(self) -> Result<(TelemetryGuard, TracingLayer<S>), SetupError>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        let guard = self.install()?;
        let layer = guard.tracing_layer();
        Ok((guard, layer))
    }

    fn resource(&self) -> Resource {
        let env_resource = EnvResourceDetector::new().detect();
        let service_name = resolve_service_name(
            self.service_name.as_deref(),
            &self.resource_attributes,
            std::env::var(OTEL_SERVICE_NAME).ok(),
            env_resource
                .get(&Key::new(SERVICE_NAME))
                .map(|v| v.as_str().into_owned()),
        );
        Resource::builder()
            .with_attributes(self.resource_attributes.iter().cloned())
            .with_service_name(service_name)
            .build()
    }
}

const SERVICE_NAME: &str = opentelemetry_semantic_conventions::resource::SERVICE_NAME;

/// `service.name`: code, then a code resource attribute, then
/// `OTEL_SERVICE_NAME`, then `OTEL_RESOURCE_ATTRIBUTES`, then the crate name.
/// (The SDK's own detectors let `OTEL_RESOURCE_ATTRIBUTES` win over
/// `OTEL_SERVICE_NAME`, against the specification; this order is the spec's.)
fn resolve_service_name(
    code: Option<&str>,
    code_attributes: &[KeyValue],
    env_service_name: Option<String>,
    env_resource_service_name: Option<String>,
) -> String {
    let non_blank = |s: &String| !s.trim().is_empty();
    code.map(str::to_owned)
        .filter(non_blank)
        .or_else(|| {
            code_attributes
                .iter()
                .rev()
                .find(|kv| kv.key.as_str() == SERVICE_NAME)
                .map(|kv| kv.value.as_str().into_owned())
                .filter(non_blank)
        })
        .or_else(|| env_service_name.filter(non_blank))
        .or_else(|| env_resource_service_name.filter(non_blank))
        .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned())
}

/// The kinds [`PipelineBuilder::from_env`] uses, over any variable lookup.
fn kinds_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ExporterKind>, SetupError> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    match set(AZURE_AI_INFERENCE_OTEL_EXPORTERS) {
        Some(list) => {
            ExporterKind::parse_list(&list).map_err(|source| SetupError::InvalidExporterList {
                variable: AZURE_AI_INFERENCE_OTEL_EXPORTERS,
                source,
            })
        }
        None if set(OTEL_EXPORTER_OTLP_ENDPOINT).is_some()
            || set(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).is_some() =>
        {
            Ok(vec![ExporterKind::Otlp])
        }
        None => Ok(vec![ExporterKind::LOCAL_DEFAULT]),
    }
}

fn periodic<E>(exporter: E, interval: Option<Duration>) -> PeriodicReader<E>
where
    E: opentelemetry_sdk::metrics::exporter::PushMetricExporter,
{
    let builder = PeriodicReader::builder(exporter);
    match interval {
        Some(interval) => builder.with_interval(interval),
        None => builder,
    }
    .build()
}

/// A metric exporter waiting for its reader (`PushMetricExporter` is not
/// object-safe, so the known ones are listed).
enum MetricSink {
    #[cfg(feature = "stdout")]
    Stdout(opentelemetry_stdout::MetricExporter),
    Otlp(Box<opentelemetry_otlp::MetricExporter>),
}

/// A span exporter of any type, waiting for its batch processor.
/// `SpanExporter` is not object-safe (its `export` returns `impl Future`),
/// so exporters are boxed behind this instead; the processor is only created
/// (and its thread started) by `install`.
trait ErasedSpanExporter: Send + std::fmt::Debug {
    fn into_batch_processor(self: Box<Self>) -> BatchSpanProcessor;
}

impl<E: SpanExporter + 'static> ErasedSpanExporter for E {
    fn into_batch_processor(self: Box<Self>) -> BatchSpanProcessor {
        BatchSpanProcessor::builder(*self).build()
    }
}

/// The Braintrust exporters, built from the builder's [`BraintrustConfig`]
/// (environment for whatever it leaves unset).
fn braintrust_exporter(
    kind: ExporterKind,
    config: &BraintrustConfig,
) -> Result<Box<dyn ErasedSpanExporter>, SetupError> {
    let config = config.clone();
    let wrap = |source| SetupError::Braintrust { kind, source };
    match kind {
        ExporterKind::BraintrustOtlp => {
            Ok(Box::new(BraintrustOtlpExporter::new(config).map_err(wrap)?))
        }
        _ => Ok(Box::new(BraintrustExporter::new(config).map_err(wrap)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn from_env_defaults_to_otlp_when_a_collector_is_configured() {
        assert_eq!(
            kinds_from_env(&env_of(&[])).ok(),
            Some(vec![ExporterKind::LOCAL_DEFAULT])
        );
        for var in [
            OTEL_EXPORTER_OTLP_ENDPOINT,
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
        ] {
            let env = [(var, "http://c:4318")];
            assert_eq!(
                kinds_from_env(&env_of(&env)).ok(),
                Some(vec![ExporterKind::Otlp])
            );
        }
        let env = [(OTEL_EXPORTER_OTLP_ENDPOINT, " ")];
        assert_eq!(
            kinds_from_env(&env_of(&env)).ok(),
            Some(vec![ExporterKind::LOCAL_DEFAULT])
        );
    }

    #[test]
    fn from_env_list_wins_and_errors_name_the_variable() {
        let env = [
            (AZURE_AI_INFERENCE_OTEL_EXPORTERS, "none"),
            (OTEL_EXPORTER_OTLP_ENDPOINT, "http://c:4318"),
        ];
        assert_eq!(
            kinds_from_env(&env_of(&env)).ok(),
            Some(vec![ExporterKind::None])
        );
        let env = [(AZURE_AI_INFERENCE_OTEL_EXPORTERS, "otlp,zipkin")];
        let msg = kinds_from_env(&env_of(&env))
            .expect_err("zipkin")
            .to_string();
        assert!(
            msg.contains(AZURE_AI_INFERENCE_OTEL_EXPORTERS) && msg.contains("`zipkin`"),
            "{msg}"
        );
    }

    #[test]
    fn service_name_precedence() {
        let attr = [KeyValue::new(SERVICE_NAME, "from-attr")];
        let env = || Some("from-env".to_owned());
        let res = || Some("from-resource-env".to_owned());
        assert_eq!(
            resolve_service_name(Some("code"), &attr, env(), res()),
            "code"
        );
        assert_eq!(resolve_service_name(None, &attr, env(), res()), "from-attr");
        assert_eq!(resolve_service_name(None, &[], env(), res()), "from-env");
        assert_eq!(
            resolve_service_name(None, &[], Some(String::new()), res()),
            "from-resource-env"
        );
        assert_eq!(
            resolve_service_name(None, &[], None, None),
            DEFAULT_SERVICE_NAME
        );
    }

    #[test]
    fn braintrust_build_errors_name_the_exporter_and_the_problem() {
        // An API URL set in code wins over the environment, so this fails the
        // same way whatever BRAINTRUST_* variables are set.
        let config = BraintrustConfig::new()
            .with_api_key("k")
            .with_api_url("not a url");
        for kind in [ExporterKind::Braintrust, ExporterKind::BraintrustOtlp] {
            let err = TelemetryPipeline::builder()
                .with_global(false)
                .with_exporter(kind)
                .with_braintrust_config(config.clone())
                .install()
                .expect_err("an invalid API URL is refused");
            let text = err.to_string();
            assert!(
                text.contains(kind.name()) && text.contains("not a url"),
                "{text}"
            );
            assert!(matches!(err, SetupError::Braintrust { .. }));
        }
    }

    #[test]
    fn none_installs_and_shuts_down_cleanly() {
        let guard = TelemetryPipeline::builder()
            .with_global(false)
            .with_exporter(ExporterKind::None)
            .install()
            .expect("installs");
        guard.force_flush().expect("nothing to flush");
        guard.shutdown().expect("clean shutdown");
    }
}
