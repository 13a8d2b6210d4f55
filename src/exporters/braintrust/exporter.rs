//! The native Braintrust exporter: rows over Braintrust's REST API.

use crate::net::saturating_deadline;
use std::fmt;
use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use std::sync::Arc;

use super::attachments::Uploader;
use super::config::{BraintrustBuildError, BraintrustConfig, Parent};
use super::filter::SpanFilter;
use super::options::start_uploader;
use super::transport::BraintrustSink;
use crate::exporters::delivery::{
    Delivery, DeliveryConfig, DeliveryProcessor, DeliveryStats, Engine, ShutdownOutcome,
};

/// Label of the native exporter's logs, errors and statistics.
pub(crate) const NAME: &str = "braintrust";

/// An `opentelemetry_sdk` [`SpanExporter`] that sends each span as a
/// Braintrust log row (see `span_to_row`) with Braintrust's REST
/// API.
///
/// The pipeline ([`ExporterKind::Braintrust`](crate::setup::ExporterKind::Braintrust))
/// does not use this type but the same sink behind a
/// `DeliveryProcessor` ([`BraintrustExporter::processor`]); this type is
/// for providers built by hand.
///
/// # Runtime and limits
///
/// [`export`](SpanExporter::export) only queues the spans for a delivery
/// engine (the [`delivery`](crate::exporters::delivery) module: a queue bounded by
/// bytes, a worker thread with its own single-threaded Tokio runtime,
/// requests of at most 100 rows and 3 MiB, a few in flight, retries with
/// backoff within a time budget) and returns at once, so the SDK's batch
/// processor never waits behind the network. `Ok` means queued; spans over
/// the memory budget, or exported after shutdown, are refused with an error
/// and counted. [`force_flush`](SpanExporter::force_flush) waits up to the
/// [flush timeout](BraintrustConfig::with_flush_timeout) and reports what
/// was lost since the previous flush; `shutdown_with_timeout` delivers what
/// is queued within its deadline and reports what it could not.
///
/// # Never traced
///
/// The worker thread runs with OpenTelemetry telemetry suppressed and with
/// a `tracing` `NoSubscriber` as its default, so the exporter's own HTTP
/// calls never produce spans or logs that would come back to it. The API
/// key never appears in `Debug` output, errors or logs.
pub struct BraintrustExporter {
    engine: Engine<BraintrustSink>,
    api_url: String,
    parent: Parent,
    filter: SpanFilter,
    /// Flushed after the rows, when attachment conversion is on.
    attachments: Option<Arc<Uploader>>,
}

impl BraintrustExporter {
    /// Builds the exporter; its worker starts on first use. Values the
    /// config leaves unset are read from the environment (see
    /// [`BraintrustConfig`]); the delivery settings are
    /// [`DeliveryConfig::default`] with the config's retry policy and flush
    /// timeout.
    pub fn new(config: BraintrustConfig) -> Result<Self, BraintrustBuildError> {
        Self::with_delivery_config(config, DeliveryConfig::default())
    }

    /// [`new`](Self::new) with other delivery settings (memory budget,
    /// batch size, requests in flight); the config's retry policy and flush
    /// timeout, when set, still win.
    pub fn with_delivery_config(
        config: BraintrustConfig,
        delivery: DeliveryConfig,
    ) -> Result<Self, BraintrustBuildError> {
        let delivery = config.delivery_config(delivery);
        let config = config.resolve()?;
        let attachments = start_uploader(&config)?;
        let sink = BraintrustSink::new(&config)?.with_attachments(attachments.clone());
        Ok(BraintrustExporter {
            engine: Engine::new(sink, delivery, NAME),
            api_url: config.api_url,
            parent: config.parent,
            filter: config.rows.filter,
            attachments,
        })
    }

    /// The same delivery as a span processor (what the pipeline installs):
    /// no SDK batch processor in between.
    pub fn processor(
        config: BraintrustConfig,
        delivery: DeliveryConfig,
    ) -> Result<DeliveryProcessor, BraintrustBuildError> {
        super::options::processor(config, delivery, NAME, |config, attachments| {
            Ok(BraintrustSink::new(config)?.with_attachments(attachments))
        })
    }

    /// The exporter's counters (a handle that stays valid after the exporter
    /// moves into a span processor, and after shutdown).
    pub fn stats(&self) -> DeliveryStats {
        self.engine.stats()
    }
}

impl fmt::Debug for BraintrustExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BraintrustExporter")
            .field("api_url", &self.api_url)
            .field("parent", &self.parent)
            .field("stats", &self.engine.stats())
            .finish_non_exhaustive()
    }
}

/// `force_flush` of both Braintrust exporters: the rows (or spans) first,
/// then the uploads they refer to, within one flush timeout.
pub(super) fn flush_then_uploads(
    engine: &dyn Delivery,
    attachments: Option<&Uploader>,
) -> OTelSdkResult {
    let started = std::time::Instant::now();
    let timeout = engine.config().flush_timeout();
    engine
        .flush(timeout)
        .map_err(OTelSdkError::InternalFailure)?;
    match attachments {
        Some(uploader) if !uploader.flush(saturating_deadline(started, timeout)) => {
            Err(OTelSdkError::Timeout(timeout))
        }
        _ => Ok(()),
    }
}

/// `shutdown_with_timeout` of both Braintrust exporters: the rows (or
/// spans) are delivered or counted, then the uploads they refer to finish
/// within what is left of the caller's deadline (past it the uploader gives
/// up and the result says so).
pub(super) fn shutdown_then_uploads(
    engine: &dyn Delivery,
    attachments: Option<&Uploader>,
    timeout: Duration,
) -> OTelSdkResult {
    let started = std::time::Instant::now();
    let spans = engine.shutdown(timeout);
    let uploads_done =
        attachments.is_none_or(|u| u.shutdown(saturating_deadline(started, timeout)));
    // What was lost comes first: it is the figure the caller acts on.
    match spans {
        ShutdownOutcome::Lost(summary) if uploads_done => {
            Err(OTelSdkError::InternalFailure(summary))
        }
        ShutdownOutcome::Lost(summary) => Err(OTelSdkError::InternalFailure(format!(
            "{summary}; attachment uploads were not finished by the deadline"
        ))),
        ShutdownOutcome::AlreadyShutDown => Err(OTelSdkError::AlreadyShutdown),
        ShutdownOutcome::Done if uploads_done => Ok(()),
        ShutdownOutcome::Done => Err(OTelSdkError::Timeout(timeout)),
    }
}

impl SpanExporter for BraintrustExporter {
    fn export(
        &self,
        mut batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.filter.apply(&mut batch);
        std::future::ready(self.engine.enqueue_batch(batch))
    }

    /// Waits (up to the configured flush timeout) until every span queued
    /// before the call has been delivered or given up; an error tells what
    /// was lost since the last flush.
    fn force_flush(&self) -> OTelSdkResult {
        flush_then_uploads(&self.engine, self.attachments.as_deref())
    }

    /// Stops taking spans, delivers what is queued within `timeout`, and
    /// reports what was not delivered.
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        shutdown_then_uploads(&self.engine, self.attachments.as_deref(), timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.engine.set_resource(resource);
    }
}
