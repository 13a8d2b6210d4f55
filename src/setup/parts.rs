//! The pieces `install` assembles the providers from: the resource
//! (`service.name` in the specification's order: code, then
//! `OTEL_SERVICE_NAME`, then `OTEL_RESOURCE_ATTRIBUTES`, then this crate's
//! name), metric exporters waiting for their reader, custom span exporters
//! waiting for their processor, and the Braintrust paths' processors.

use std::time::Duration;

use opentelemetry::{Key, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::PeriodicReader;
use opentelemetry_sdk::resource::{EnvResourceDetector, ResourceDetector};
use opentelemetry_sdk::trace::SpanExporter;

use super::{ExporterKind, PipelineBuilder, SetupError};
use crate::exporters::braintrust::{BraintrustConfig, BraintrustExporter, BraintrustOtlpExporter};
use crate::exporters::delivery::{DeliveryConfig, DeliveryProcessor};

/// The standard variable for `service.name`; beaten by
/// [`PipelineBuilder::with_service_name`], and it beats `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES` (as the specification asks).
pub(crate) const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// `service.name` when neither code nor the environment gives one: this
/// crate's name, rather than the SDK's `unknown_service`.
pub(crate) const DEFAULT_SERVICE_NAME: &str = env!("CARGO_PKG_NAME");

impl PipelineBuilder {
    /// The resource every span and metric of the pipeline carries.
    pub(super) fn resource(&self) -> Resource {
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

pub(super) const SERVICE_NAME: &str = opentelemetry_semantic_conventions::resource::SERVICE_NAME;

/// `service.name`: code, then a code resource attribute, then
/// `OTEL_SERVICE_NAME`, then `OTEL_RESOURCE_ATTRIBUTES`, then the crate name.
/// (The SDK's own detectors let `OTEL_RESOURCE_ATTRIBUTES` win over
/// `OTEL_SERVICE_NAME`, against the specification; this order is the spec's.)
pub(super) fn resolve_service_name(
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

/// The SDK's periodic reader over `exporter`, at `interval` when given
/// (else the SDK's, which reads `OTEL_METRIC_EXPORT_INTERVAL`).
pub(super) fn periodic<E>(exporter: E, interval: Option<Duration>) -> PeriodicReader<E>
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
pub(super) enum MetricSink {
    #[cfg(feature = "stdout")]
    Stdout(opentelemetry_stdout::MetricExporter),
    Otlp(Box<opentelemetry_otlp::MetricExporter>),
}

/// A span exporter of any type, waiting for its processor.
/// `SpanExporter` is not object-safe (its `export` returns `impl Future`),
/// so exporters are boxed behind this instead; the processor is only created
/// by `install` (and its thread started when the provider is built).
pub(super) trait ErasedSpanExporter: Send + std::fmt::Debug {
    fn into_processor(self: Box<Self>, delivery: DeliveryConfig) -> DeliveryProcessor;
}

impl<E: SpanExporter + 'static> ErasedSpanExporter for E {
    fn into_processor(self: Box<Self>, delivery: DeliveryConfig) -> DeliveryProcessor {
        DeliveryProcessor::for_exporter(*self, delivery, "custom")
    }
}

/// The Braintrust paths, built from the builder's [`BraintrustConfig`]
/// (environment for whatever it leaves unset).
pub(super) fn braintrust_processor(
    kind: ExporterKind,
    config: &BraintrustConfig,
    delivery: DeliveryConfig,
) -> Result<DeliveryProcessor, SetupError> {
    let config = config.clone();
    let wrap = |source| SetupError::Braintrust { kind, source };
    match kind {
        ExporterKind::BraintrustOtlp => {
            BraintrustOtlpExporter::processor(config, delivery).map_err(wrap)
        }
        _ => BraintrustExporter::processor(config, delivery).map_err(wrap),
    }
}

/// The pipeline's per-span event limit (the SDK's default is 128): the
/// client's message events are capped at
/// the telemetry core's message-event limit, so this
/// leaves room for many choices and retry attempts besides.
pub(crate) const PIPELINE_MAX_EVENTS_PER_SPAN: u32 = 256;

/// Instrumentation scope name of spans that come from `tracing` through the
/// layer (the crate's own spans use the crate's instrumentation scope).
pub(crate) const TRACING_SCOPE_NAME: &str = "tracing-opentelemetry";
