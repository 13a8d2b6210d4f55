//! The native Braintrust exporter: rows over Braintrust's REST API.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::attachments::{Uploader, UploaderConfig, convert_row};
use super::config::{BraintrustBuildError, BraintrustConfig, Parent};
use super::filter::SpanFilter;
use super::mapping::{BraintrustRow, span_to_row};
use super::transport::{Delivery, Transport};

/// `target` of the exporter's log lines.
const LOG_TARGET: &str = env!("CARGO_PKG_NAME");

/// An `opentelemetry_sdk` [`SpanExporter`] that sends each span as a
/// Braintrust log row (see [`mapping`](super::mapping)) with Braintrust's REST
/// API.
///
/// # Runtime
///
/// Uses a dedicated background thread (named `braintrust-exporter`) with its
/// own single-threaded Tokio runtime: it needs no runtime from the caller,
/// so it works under the SDK's `BatchSpanProcessor` (which exports from its
/// own plain thread), and under `SimpleSpanProcessor` from a plain thread or
/// from inside any Tokio runtime.
///
/// [`export`](SpanExporter::export) maps the spans to rows, queues them for
/// the worker at once (when it is called, not when the future is first
/// polled) and returns a future that resolves when the worker has delivered
/// or given up the rows. With the batch processor (recommended) the
/// application's threads therefore never wait for the network, the batch
/// processor gets backpressure, and `SdkTracerProvider::force_flush` /
/// `shutdown` deliver everything. With `SimpleSpanProcessor` the thread that
/// ends a span waits for Braintrust to answer: use it for tests and demos.
///
/// # Bounded, never panics
///
/// At most [`with_queue_capacity`](BraintrustConfig::with_queue_capacity)
/// batches wait for the worker; a batch arriving when the queue is full is
/// dropped at once, counted, and reported as an export error. A batch the
/// worker gives up (after retries, or a 4xx answer) is dropped with one
/// warning through `tracing` (target `azure-ai-inference-otel`, name
/// `BraintrustExporter.RowsDropped`) and counted in [`BraintrustStats`].
///
/// # Never traced
///
/// The worker thread runs with OpenTelemetry telemetry suppressed
/// (`Context::enter_telemetry_suppressed_scope`) and with a `tracing`
/// `NoSubscriber` as its default, so the exporter's own HTTP calls never
/// produce spans or logs that would come back to it. The API key never
/// appears in `Debug` output, errors or logs.
pub struct BraintrustExporter {
    queue: Mutex<QueueState>,
    progress: Arc<Progress>,
    worker: Mutex<Option<JoinHandle<()>>>,
    stats: BraintrustStats,
    flush_timeout: Duration,
    api_url: String,
    parent: Parent,
    filter: SpanFilter,
    /// `None` when attachment conversion is off.
    attachments: Option<Uploader>,
}

struct QueueState {
    /// `None` once shut down.
    sender: Option<SyncSender<Job>>,
    /// Sequence number of the last job queued.
    last_seq: u64,
    capacity: usize,
}

/// One export handed to the worker.
struct Job {
    rows: Vec<BraintrustRow>,
    seq: u64,
    done: oneshot::Sender<OTelSdkResult>,
}

/// What the worker has finished, for `force_flush` and `shutdown` to wait on.
#[derive(Default)]
struct Progress {
    state: Mutex<ProgressState>,
    changed: Condvar,
}

#[derive(Default)]
struct ProgressState {
    /// Sequence number of the last job handled (jobs are handled in order).
    processed: u64,
    /// The worker has exited.
    finished: bool,
}

impl Progress {
    fn lock(&self) -> MutexGuard<'_, ProgressState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, f: impl FnOnce(&mut ProgressState)) {
        f(&mut self.lock());
        self.changed.notify_all();
    }

    /// Waits until `done` holds or `timeout` passes; returns whether it holds.
    fn wait_until(&self, timeout: Duration, done: impl Fn(&ProgressState) -> bool) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.lock();
        loop {
            if done(&state) {
                return true;
            }
            let remaining = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if remaining.is_zero() {
                return false;
            }
            state = self
                .changed
                .wait_timeout(state, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Counters of a [`BraintrustExporter`]; clone it before handing the exporter
/// to the SDK. Cheap to clone, all clones see the same counts.
#[derive(Debug, Clone, Default)]
pub struct BraintrustStats(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    rows_sent: AtomicU64,
    rows_dropped: AtomicU64,
    batches_failed: AtomicU64,
}

impl BraintrustStats {
    /// Rows Braintrust accepted.
    pub fn rows_sent(&self) -> u64 {
        self.0.rows_sent.load(Ordering::Relaxed)
    }

    /// Rows lost: given up after retries or on a 4xx answer, too large on
    /// their own, refused because the queue was full, or exported after shutdown.
    pub fn rows_dropped(&self) -> u64 {
        self.0.rows_dropped.load(Ordering::Relaxed)
    }

    /// Insert requests (of at most 100 rows) given up.
    pub fn batches_failed(&self) -> u64 {
        self.0.batches_failed.load(Ordering::Relaxed)
    }

    fn add_dropped(&self, rows: usize) {
        self.0
            .rows_dropped
            .fetch_add(rows as u64, Ordering::Relaxed);
    }

    fn record(&self, delivery: &Delivery) {
        self.0
            .rows_sent
            .fetch_add(delivery.sent as u64, Ordering::Relaxed);
        self.add_dropped(delivery.dropped);
        self.0
            .batches_failed
            .fetch_add(delivery.failed_batches as u64, Ordering::Relaxed);
    }
}

impl BraintrustExporter {
    /// Builds the exporter and starts its worker thread. Values the config
    /// leaves unset are read from the environment (see [`BraintrustConfig`]).
    pub fn new(config: BraintrustConfig) -> Result<Self, BraintrustBuildError> {
        let config = config.resolve()?;
        let transport = Transport::new(&config)?;
        let attachments = start_uploader(&config)?;
        let (sender, receiver) = std::sync::mpsc::sync_channel(config.queue_capacity);
        let progress = Arc::new(Progress::default());
        let stats = BraintrustStats::default();

        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let worker = {
            let progress = Arc::clone(&progress);
            let stats = stats.clone();
            std::thread::Builder::new()
                .name("braintrust-exporter".to_owned())
                .spawn(move || run_worker(receiver, transport, progress, stats, ready_tx))
                .map_err(BraintrustBuildError::Worker)?
        };
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(BraintrustBuildError::Worker(error)),
            Err(_) => {
                return Err(BraintrustBuildError::Worker(std::io::Error::other(
                    "the worker thread stopped while starting",
                )));
            }
        }

        Ok(BraintrustExporter {
            queue: Mutex::new(QueueState {
                sender: Some(sender),
                last_seq: 0,
                capacity: config.queue_capacity,
            }),
            progress,
            worker: Mutex::new(Some(worker)),
            stats,
            flush_timeout: config.flush_timeout,
            api_url: config.api_url,
            parent: config.parent,
            filter: config.rows.filter,
            attachments,
        })
    }

    /// The exporter's counters (a handle that stays valid after the exporter
    /// moves into a span processor).
    pub fn stats(&self) -> BraintrustStats {
        self.stats.clone()
    }

    /// Maps and queues a batch; the receiver resolves when it is handled.
    fn submit(
        &self,
        mut batch: Vec<SpanData>,
    ) -> Result<oneshot::Receiver<OTelSdkResult>, OTelSdkError> {
        let (done, receiver) = oneshot::channel();
        self.filter.apply(&mut batch);
        if batch.is_empty() {
            let _ = done.send(Ok(()));
            return Ok(receiver);
        }
        let mut rows: Vec<BraintrustRow> = batch.iter().map(span_to_row).collect();
        if let Some(uploader) = &self.attachments {
            for row in &mut rows {
                convert_row(row, uploader);
            }
        }
        drop(batch);
        let count = rows.len();

        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(sender) = &queue.sender else {
            self.stats.add_dropped(count);
            return Err(OTelSdkError::AlreadyShutdown);
        };
        // Numbered and queued under one lock, so sequence numbers follow
        // queue order and `force_flush` waits for exactly what came before it.
        let seq = queue.last_seq + 1;
        match sender.try_send(Job { rows, seq, done }) {
            Ok(()) => {
                queue.last_seq = seq;
                Ok(receiver)
            }
            Err(TrySendError::Full(_)) => {
                self.stats.add_dropped(count);
                Err(OTelSdkError::InternalFailure(format!(
                    "Braintrust export queue is full ({} batches waiting); dropped {count} spans",
                    queue.capacity
                )))
            }
            Err(TrySendError::Disconnected(_)) => {
                self.stats.add_dropped(count);
                Err(OTelSdkError::InternalFailure(format!(
                    "the Braintrust export worker has stopped; dropped {count} spans"
                )))
            }
        }
    }

    fn last_queued(&self) -> u64 {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last_seq
    }
}

impl fmt::Debug for BraintrustExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BraintrustExporter")
            .field("api_url", &self.api_url)
            .field("parent", &self.parent)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl SpanExporter for BraintrustExporter {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        // The work that must not wait (mapping, queueing) happens now; the
        // future only awaits a runtime-agnostic oneshot, so any executor
        // (the SDK's `block_on`, Tokio, ...) can drive it.
        let submitted = self.submit(batch);
        async move {
            match submitted {
                Ok(receiver) => receiver.await.unwrap_or_else(|_| {
                    Err(OTelSdkError::InternalFailure(
                        "the Braintrust export worker stopped before answering".to_owned(),
                    ))
                }),
                Err(error) => Err(error),
            }
        }
    }

    /// Waits (up to the configured flush timeout) until every batch queued
    /// before the call has been delivered or given up, then, within the same
    /// timeout, for the attachment uploads those rows refer to.
    fn force_flush(&self) -> OTelSdkResult {
        let started = Instant::now();
        let target = self.last_queued();
        let rows = self
            .progress
            .wait_until(self.flush_timeout, |s| s.processed >= target || s.finished);
        let uploads = self
            .attachments
            .as_ref()
            .is_none_or(|u| u.flush(deadline(started, self.flush_timeout)));
        if rows && uploads {
            Ok(())
        } else {
            Err(OTelSdkError::Timeout(self.flush_timeout))
        }
    }

    /// Stops taking batches, lets the worker deliver what is queued, and
    /// waits up to `timeout` for it to finish. On timeout the worker keeps
    /// going in the background until its queue is empty.
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let sender = self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sender
            .take();
        if sender.is_none() {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        // Closing the channel: the worker handles what is queued, then exits.
        drop(sender);
        let started = Instant::now();
        let rows = self.progress.wait_until(timeout, |s| s.finished);
        // Rows first, then the uploads they refer to, within one deadline.
        let uploads = self
            .attachments
            .as_ref()
            .is_none_or(|u| u.shutdown(deadline(started, timeout)));
        if !(rows && uploads) {
            return Err(OTelSdkError::Timeout(timeout));
        }
        let handle = self
            .worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle
            && handle.join().is_err()
        {
            return Err(OTelSdkError::InternalFailure(
                "the Braintrust export worker panicked".to_owned(),
            ));
        }
        Ok(())
    }
}

/// The attachment uploader, when conversion is on.
pub(super) fn start_uploader(
    config: &super::config::ResolvedConfig,
) -> Result<Option<Uploader>, BraintrustBuildError> {
    if !config.rows.attachments {
        return Ok(None);
    }
    Uploader::start(UploaderConfig::new(
        config.api_url.clone(),
        config.api_key.clone(),
        config.retry,
        config.request_timeout,
    ))
    .map(Some)
    .map_err(BraintrustBuildError::Worker)
}

/// `started + timeout`, or far away when that does not fit an `Instant`.
pub(super) fn deadline(started: Instant, timeout: Duration) -> Instant {
    started
        .checked_add(timeout)
        .unwrap_or_else(|| started + Duration::from_secs(3600))
}

/// The worker thread: one job at a time, in order, until the channel closes.
fn run_worker(
    receiver: Receiver<Job>,
    mut transport: Transport,
    progress: Arc<Progress>,
    stats: BraintrustStats,
    ready: std::sync::mpsc::Sender<std::io::Result<()>>,
) {
    // However this thread ends, `force_flush` and `shutdown` stop waiting.
    let _finished = FinishOnExit(Arc::clone(&progress));
    // Nothing this thread does may be traced: it would feed spans back
    // into the exporter.
    let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
    let mut quiet = QuietTracing::enter();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    drop(ready);

    while let Ok(job) = receiver.recv() {
        let delivery = runtime.block_on(transport.deliver(&job.rows));
        stats.record(&delivery);
        let result = match &delivery.reason {
            Some(reason) if delivery.dropped > 0 => {
                let (dropped, total) = (delivery.dropped, job.rows.len());
                quiet.with_global(|| {
                    tracing::warn!(
                        name: "BraintrustExporter.RowsDropped",
                        target: LOG_TARGET,
                        dropped,
                        total,
                        reason = reason.as_str(),
                        "Braintrust export dropped {dropped} of {total} rows: {reason}"
                    );
                });
                Err(OTelSdkError::InternalFailure(format!(
                    "Braintrust export dropped {dropped} of {total} rows: {reason}"
                )))
            }
            _ => Ok(()),
        };
        drop(job.rows);
        progress.update(|s| s.processed = job.seq);
        // The exporter may have stopped waiting (future dropped): fine.
        let _ = job.done.send(result);
    }
}

/// Marks the worker finished when its thread ends, normally or not.
struct FinishOnExit(Arc<Progress>);

impl Drop for FinishOnExit {
    fn drop(&mut self) {
        self.0.update(|s| s.finished = true);
    }
}

/// Keeps `tracing` silent on the worker thread, except for the exporter's
/// own warnings, which go to the process-wide subscriber.
struct QuietTracing(Option<tracing::subscriber::DefaultGuard>);

impl QuietTracing {
    fn enter() -> Self {
        QuietTracing(Some(tracing::subscriber::set_default(
            tracing::subscriber::NoSubscriber::default(),
        )))
    }

    fn with_global(&mut self, f: impl FnOnce()) {
        // Dropping the guard restores the thread's previous default: none on
        // this thread, i.e. the global subscriber.
        self.0 = None;
        f();
        self.0 = Some(tracing::subscriber::set_default(
            tracing::subscriber::NoSubscriber::default(),
        ));
    }
}
