//! One call installs a whole telemetry pipeline: resource, span exporters
//! behind delivery processors, a meter provider with periodic readers, the W3C
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
//! - A [`Resource`](opentelemetry_sdk::Resource) from [`Resource::builder`](opentelemetry_sdk::Resource::builder) (so `OTEL_RESOURCE_ATTRIBUTES`
//!   and the `telemetry.sdk.*` attributes are there), plus the attributes
//!   given in code (which win), with `service.name` taken from the first of:
//!   [`PipelineBuilder::with_service_name`], a `service.name` resource
//!   attribute given in code, `OTEL_SERVICE_NAME`, `service.name` in
//!   `OTEL_RESOURCE_ATTRIBUTES`, `DEFAULT_SERVICE_NAME`.
//! - One `DeliveryProcessor` per exporter path (see
//!   [`exporters::delivery`](crate::exporters::delivery)): a queue bounded
//!   by bytes ([`with_memory_budget`](PipelineBuilder::with_memory_budget),
//!   `AZURE_AI_INFERENCE_OTEL_DELIVERY_BUDGET_MIB`, 64 MiB by default) that
//!   the application thread appends to without waiting, and a worker thread
//!   with its own runtime that sends batches a few at a time and retries
//!   failures within a time budget, so no Tokio reactor is needed: the
//!   pipeline works the same from a plain `main`, a `current_thread` or a
//!   `multi_thread` runtime. Batch sizes and delays follow the `OTEL_BSP_*`
//!   variables, or [`with_delivery_config`](PipelineBuilder::with_delivery_config).
//!   What each path delivered and lost: [`TelemetryGuard::delivery_stats`].
//! - An [`SdkMeterProvider`] with one [`PeriodicReader`](opentelemetry_sdk::metrics::PeriodicReader) per kind that
//!   exports metrics (`otlp`, `stdout`), every
//!   [`with_metric_export_interval`](PipelineBuilder::with_metric_export_interval),
//!   else `OTEL_METRIC_EXPORT_INTERVAL` ms, else 60 s.
//! - Unless [`with_global(false)`](PipelineBuilder::with_global): both
//!   providers as the global ones and W3C trace context plus baggage
//!   as the global propagator (what the SDK's
//!   [`TraceContextPropagator`](opentelemetry_sdk::propagation::TraceContextPropagator)
//!   and [`BaggagePropagator`](opentelemetry_sdk::propagation::BaggagePropagator)
//!   read and write, with `traceparent` written without `format!` and no
//!   empty `tracestate`), so an incoming `baggage: braintrust.parent=...` travels on
//!   with the trace (and, with a Braintrust exporter and
//!   [`BraintrustConfig::with_baggage_parents`], routes its rows). The crate's clients use the global providers unless
//!   their `TelemetryOptions` name others, so install the pipeline before
//!   building clients (their metric instruments are created then).
//!
//! # The tracing layer
//!
//! The layer from [`install_with_tracing`](PipelineBuilder::install_with_tracing)
//! (or [`TelemetryGuard::tracing_layer`]) turns the service's `tracing` spans
//! into OpenTelemetry spans (and Braintrust `task` rows) and their events into
//! span events. What it exports of them:
//!
//! - **Spans of every level**, so a request span (tower-http's `TraceLayer`
//!   makes them at DEBUG) stays the parent of the client's `chat` spans;
//!   except the spans of the HTTP and TLS stack under the clients and
//!   exporters (`h2`, `hyper`, `hyper_util`, `reqwest`, `rustls`, `tonic`,
//!   `tower`) and of OpenTelemetry's own crates, matched as a crate or its
//!   modules (`tower` is not `tower_http`).
//! - **Events at INFO or more severe** (the default;
//!   [`with_event_level`](PipelineBuilder::with_event_level),
//!   `AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL`), except those of the same
//!   targets. Content recording (off by default) governs what the crate's
//!   own spans carry; the service's own events are exported as the service
//!   wrote them, so at DEBUG or TRACE a library's event quoting a request
//!   body (axum's `axum::rejection` does) would leave the process: the
//!   default keeps them in.
//! - Field values as recorded, plus the event's `level` and `target`; the
//!   span bookkeeping attributes of tracing-opentelemetry (`target`,
//!   `busy_ns`, `idle_ns`, `code.*`, `thread.*`) only with
//!   [`with_tracing_bookkeeping(true)`](PipelineBuilder::with_tracing_bookkeeping).
//!
//! # Continuing a caller's trace
//!
//! A service answering requests from other traced services makes its request
//! span continue the caller's trace (`traceparent`, `tracestate`, `baggage`)
//! with [`continue_trace`], before the span is first entered:
//!
//! ```
//! # fn handler(headers: &http::HeaderMap) {
//! let request = tracing::info_span!("ask");
//! let _ = azure_ai_inference_otel::setup::continue_trace(&request, headers);
//! # }
//! ```
//!
//! `examples/axum_service.rs` is a whole axum service doing so.
//!
//! # Environment variables
//!
//! | variable | read by | meaning |
//! |---|---|---|
//! | `AZURE_AI_INFERENCE_OTEL_EXPORTERS` | [`PipelineBuilder::from_env`] | comma-separated [`ExporterKind`] names |
//! | `OTEL_SERVICE_NAME` | `install` | `service.name` when not set in code |
//! | `OTEL_RESOURCE_ATTRIBUTES` | `install` | `k=v,k=v` resource attributes; code wins |
//! | `OTEL_EXPORTER_OTLP_*` | the `otlp` kind | see [`exporters::otlp`](crate::exporters::otlp) |
//! | `AZURE_AI_INFERENCE_OTEL_DELIVERY_BUDGET_MIB` | `install` | memory budget of each exporter path's queue, MiB (default 64) |
//! | `OTEL_BSP_*` | `install` | batch size, delay, attempt timeout, requests in flight, optional span cap ([`delivery`](crate::exporters::delivery)) |
//! | `OTEL_METRIC_EXPORT_INTERVAL` | the SDK | metric interval |
//! | `AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL` | `install` | least severe `tracing` event the layer exports: `error`, `warn`, `info` (default), `debug`, `trace`, `off` |
//!
//! # Shutting down
//!
//! [`TelemetryGuard::shutdown`] from synchronous code,
//! [`TelemetryGuard::shutdown_async`] from async code; dropping the guard
//! does the same. See [`TelemetryGuard`] for why and for the gRPC caveat.
//!
//! The whole shutdown, metrics included, ends by its deadline
//! ([`with_shutdown_timeout`](PipelineBuilder::with_shutdown_timeout), 30 s
//! by default). An orchestrator kills a process that overruns its grace
//! period (Kubernetes: `terminationGracePeriodSeconds`, 30 s by default)
//! before the shutdown report is printed, so keep the deadline a few seconds
//! below it, e.g. `.with_shutdown_timeout(Duration::from_secs(20))` for the
//! default grace period.

use crate::client::propagation::TraceContextAndBaggage;
use crate::exporters::braintrust::{
    AdmittedParentProcessor, BraintrustBuildError, BraintrustConfig,
};
use crate::exporters::delivery::{DeliveryConfig, DeliveryProcessor};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use tracing::Subscriber;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::registry::LookupSpan;

use crate::exporters::otlp::{
    OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OtlpBuildError, OtlpConfig,
};

mod continuation;
mod guard;
mod kind;
mod layer;
mod metrics_end;
mod nowhere;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod parts;

pub use continuation::continue_trace;
pub use guard::{DeliveryPath, ShutdownError, TelemetryGuard};
pub use kind::ExporterKind;
pub use layer::TracingFilter;
use layer::{LayerSettings, resolve_event_level};
use parts::{ErasedSpanExporter, MetricSink, braintrust_processor, periodic};
use parts::{PIPELINE_MAX_EVENTS_PER_SPAN, TRACING_SCOPE_NAME};

/// The standard variable that sets the SDK's per-span event limit.
const SPAN_EVENT_COUNT_LIMIT_ENV: &str = "OTEL_SPAN_EVENT_COUNT_LIMIT";

/// Comma-separated [`ExporterKind`] names read by [`PipelineBuilder::from_env`],
/// e.g. `stdout,otlp`. Unset or blank: `otlp` when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
/// is set (someone configured a collector), else nothing: the pipeline then
/// logs one warning, when the first span ends, that telemetry goes nowhere
/// and how to configure it. `stdout` prints to the process's standard output,
/// so it is used only when asked for.
pub(crate) const AZURE_AI_INFERENCE_OTEL_EXPORTERS: &str = "AZURE_AI_INFERENCE_OTEL_EXPORTERS";

/// The `tracing` layer returned by [`PipelineBuilder::install_with_tracing`]
/// and [`TelemetryGuard::tracing_layer`]: tracing-opentelemetry's layer
/// behind a [`TracingFilter`] (see [the tracing layer](self#the-tracing-layer)).
pub type TracingLayer<S> = tracing_subscriber::filter::Filtered<
    tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>,
    TracingFilter,
    S,
>;

/// The pipeline could not be installed; nothing was installed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// An exporter name (in a list, or parsed on its own) is not one of the
    /// kinds.
    #[error(
        "{}unknown exporter `{name}`; expected a comma-separated list of: stdout, otlp, braintrust, braintrust-otlp, none",
        variable.map(|v| format!("invalid {v}: ")).unwrap_or_default()
    )]
    InvalidExporterList {
        /// The variable holding the list, when it came from one.
        variable: Option<&'static str>,
        /// The name that was not recognised.
        name: String,
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
    /// `AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL` names no level.
    #[error("invalid {variable}={value:?}: expected one of error, warn, info, debug, trace, off")]
    InvalidEventLevel {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
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
    delivery: Option<DeliveryConfig>,
    shutdown_timeout: Option<Duration>,
    event_level: Option<LevelFilter>,
    bookkeeping: bool,
}

impl PipelineBuilder {
    /// Same as [`TelemetryPipeline::builder`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder whose exporters come from `AZURE_AI_INFERENCE_OTEL_EXPORTERS`,
    /// comma-separated [`ExporterKind`] names (`stdout,otlp`). Unset or
    /// blank: `otlp` when `OTEL_EXPORTER_OTLP_ENDPOINT` or
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (someone configured a
    /// collector), else nothing: the pipeline then logs one warning, when
    /// the first span ends, that telemetry goes nowhere and how to configure
    /// it. `stdout` is used only when named. Everything else can still be
    /// set in code.
    pub fn from_env() -> Result<Self, SetupError> {
        let kinds = kinds_from_env(&|name| std::env::var(name).ok())?;
        Ok(Self::new().with_exporters(kinds))
    }

    /// Sets `service.name`, beating every variable.
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute; beats the same key in `OTEL_RESOURCE_ATTRIBUTES`.
    pub fn with_resource_attribute(mut self, attribute: KeyValue) -> Self {
        self.resource_attributes.push(attribute);
        self
    }

    /// Adds resource attributes; they beat the same keys in `OTEL_RESOURCE_ATTRIBUTES`.
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

    /// Adds any span exporter, behind its own `DeliveryProcessor` (one
    /// export at a time; every export error is retried within the budget).
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

    /// Delivery settings of every exporter path: memory budget, batch size,
    /// delays, requests in flight, retries, flush timeout (default:
    /// [`DeliveryConfig::default`], from the environment). A
    /// [`BraintrustConfig`]'s retry policy and flush timeout, when set, win
    /// for the Braintrust paths.
    pub fn with_delivery_config(mut self, config: DeliveryConfig) -> Self {
        self.delivery = Some(config);
        self
    }

    /// The memory budget of each exporter path's queue, in bytes (beats
    /// `AZURE_AI_INFERENCE_OTEL_DELIVERY_BUDGET_MIB`); past it spans are
    /// dropped and counted.
    pub fn with_memory_budget(mut self, bytes: usize) -> Self {
        self.delivery = Some(
            self.delivery
                .take()
                .unwrap_or_default()
                .with_memory_budget(bytes),
        );
        self
    }

    /// How long [`TelemetryGuard::shutdown`] (and dropping the guard) waits
    /// for every path to deliver what it holds (default: 30 s, or the
    /// longest flush timeout of the paths if longer).
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// The least severe `tracing` event the pipeline's `tracing` layer
    /// exports (default INFO); beats
    /// `AZURE_AI_INFERENCE_OTEL_EVENT_LEVEL`. Spans are kept at every level
    /// (see [the tracing layer](self#the-tracing-layer)).
    pub fn with_event_level(mut self, level: LevelFilter) -> Self {
        self.event_level = Some(level);
        self
    }

    /// Whether spans exported by the `tracing` layer carry
    /// tracing-opentelemetry's bookkeeping attributes: `target`, `busy_ns` and
    /// `idle_ns`, `code.file.path`/`code.module.name`/`code.line.number`,
    /// `thread.id`/`thread.name` (default `false`: they describe the process,
    /// not the work, and would fill every Braintrust `task` row's metadata).
    pub fn with_tracing_bookkeeping(mut self, on: bool) -> Self {
        self.bookkeeping = on;
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
        self.install_with_env(&|name| std::env::var(name).ok())
    }

    /// [`install`](Self::install) reading the crate's own variables through
    /// `env` (the SDK still reads the standard ones itself).
    fn install_with_env(
        self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<TelemetryGuard, SetupError> {
        let layer = LayerSettings {
            filter: TracingFilter::new(resolve_event_level(self.event_level, env)?),
            bookkeeping: self.bookkeeping,
        };
        let resource = self.resource();
        let delivery = self.delivery.clone().unwrap_or_default();

        // Fallible part first, so a failure leaves no background thread behind
        // (a processor's worker starts when the provider is built).
        let mut processors: Vec<DeliveryProcessor> = Vec::new();
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
                    processors.push(DeliveryProcessor::for_exporter(
                        opentelemetry_stdout::SpanExporter::default(),
                        delivery.clone(),
                        "stdout",
                    ));
                    metric_exporters.push(MetricSink::Stdout(
                        opentelemetry_stdout::MetricExporter::default(),
                    ));
                }
                ExporterKind::Otlp => {
                    processors.push(self.otlp.build_span_processor(delivery.clone())?);
                    metric_exporters.push(MetricSink::Otlp(Box::new(
                        self.otlp.build_metric_exporter()?,
                    )));
                }
                ExporterKind::Braintrust | ExporterKind::BraintrustOtlp => {
                    processors.push(braintrust_processor(
                        kind,
                        &self.braintrust,
                        delivery.clone(),
                    )?);
                }
                ExporterKind::None => {}
            }
        }
        processors.extend(
            self.custom
                .into_iter()
                .map(|exporter| exporter.into_processor(delivery.clone())),
        );

        let paths: Vec<DeliveryPath> = processors
            .iter()
            .map(|p| DeliveryPath::new(p.name(), p.handle()))
            .collect();
        let longest_flush = paths
            .iter()
            .map(|p| p.flush_timeout())
            .max()
            .unwrap_or_default();
        let shutdown_timeout = self
            .shutdown_timeout
            .unwrap_or_else(|| longest_flush.max(Duration::from_secs(30)));
        let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
        // Long conversations recorded with content: room for every message
        // event the client records (at most `MAX_MESSAGE_EVENTS`) plus the
        // choice, attempt and exception events, unless the operator chose a
        // limit with `OTEL_SPAN_EVENT_COUNT_LIMIT` (which the SDK reads).
        if std::env::var_os(SPAN_EVENT_COUNT_LIMIT_ENV).is_none() {
            tracer_builder = tracer_builder.with_max_events_per_span(PIPELINE_MAX_EVENTS_PER_SPAN);
        }
        // Rows follow an incoming `braintrust.parent` baggage entry, when
        // the configuration admits baggage parents at all.
        if let Some(policy) = self.braintrust.baggage_parents()
            && self
                .kinds
                .iter()
                .any(|k| matches!(k, ExporterKind::Braintrust | ExporterKind::BraintrustOtlp))
        {
            tracer_builder =
                tracer_builder.with_span_processor(AdmittedParentProcessor(policy.clone()));
        }
        // Nothing configured (not even `none`): say so once, in the log.
        if processors.is_empty() && !self.kinds.contains(&ExporterKind::None) {
            tracer_builder = tracer_builder.with_span_processor(nowhere::NowhereNotice::default());
        }
        let tracer_provider = processors
            .into_iter()
            .fold(tracer_builder, |builder, processor| {
                builder.with_span_processor(processor)
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
            opentelemetry::global::set_text_map_propagator(TraceContextAndBaggage::new());
        }
        Ok(TelemetryGuard::new(
            tracer_provider,
            meter_provider,
            paths,
            shutdown_timeout,
            layer,
        ))
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
}

/// The kinds [`PipelineBuilder::from_env`] uses, over any variable lookup.
fn kinds_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ExporterKind>, SetupError> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    match set(AZURE_AI_INFERENCE_OTEL_EXPORTERS) {
        Some(list) => ExporterKind::parse_list(&list).map_err(|error| match error {
            SetupError::InvalidExporterList { name, .. } => SetupError::InvalidExporterList {
                variable: Some(AZURE_AI_INFERENCE_OTEL_EXPORTERS),
                name,
            },
            other => other,
        }),
        None if set(OTEL_EXPORTER_OTLP_ENDPOINT).is_some()
            || set(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).is_some() =>
        {
            Ok(vec![ExporterKind::Otlp])
        }
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests;
