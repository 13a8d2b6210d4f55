//! The queue and the worker behind every exporter path: a byte-bounded
//! queue that `on_end` appends to without waiting, and one thread with its
//! own Tokio runtime that sends batches, a few at a time, and retries them.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;
use tokio::sync::{Notify, Semaphore};

use super::DeliveryConfig;
use super::stats::{Counter, DeliveryStats};

/// `target` of the delivery log lines.
const LOG_TARGET: &str = env!("CARGO_PKG_NAME");

/// One backend: how a batch of spans becomes requests, and how one request
/// is sent once. Retries, concurrency and accounting are the engine's.
pub(crate) trait Sink: Send + Sync + 'static {
    /// An encoded request, kept for retries.
    type Request: Send + Sync + 'static;

    /// Requests in flight at most, when the sink needs fewer than the
    /// configuration allows (an SDK exporter expects one call at a time).
    fn max_in_flight(&self) -> Option<usize> {
        None
    }

    /// The pipeline's resource, given before the worker starts.
    fn set_resource(&mut self, _resource: &Resource) {}

    /// Turns spans into requests, each with the number of spans it carries.
    fn encode(&self, spans: Vec<SpanData>) -> Encoded<Self::Request>;

    /// One attempt at sending one request.
    fn send(&self, request: &Self::Request) -> impl Future<Output = Outcome> + Send;

    /// Called once on the worker thread when it stops.
    fn shutdown(&self) {}
}

/// A batch as requests.
pub(crate) struct Encoded<R> {
    /// Requests and the spans each carries.
    pub(crate) requests: Vec<(R, usize)>,
    /// Spans that could not be encoded (too large on their own), and why.
    pub(crate) rejected: usize,
    pub(crate) reason: Option<String>,
}

impl<R> Encoded<R> {
    /// Every span in one request.
    pub(crate) fn one(request: R, spans: usize) -> Self {
        Encoded {
            requests: vec![(request, spans)],
            rejected: 0,
            reason: None,
        }
    }
}

/// How one attempt ended. Reasons are content-free and key-free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The backend took the spans.
    Delivered,
    /// Worth trying again (connection failure, timeout, 408, 429, 5xx).
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Final (other 4xx): the spans are rejected.
    Reject { reason: String },
}

impl Outcome {
    /// The usual reading of an HTTP status.
    pub(crate) fn from_status(status: u16, retry_after: Option<Duration>, hint: &str) -> Self {
        match status {
            200..=299 => Outcome::Delivered,
            408 | 429 | 500..=599 => Outcome::Retry {
                reason: format!("HTTP {status}"),
                retry_after,
            },
            _ => Outcome::Reject {
                reason: format!("HTTP {status} (not retried){hint}"),
            },
        }
    }

    /// A transport error, classified without its URL.
    pub(crate) fn from_reqwest(error: &reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            "timeout"
        } else if error.is_connect() {
            "connection failed"
        } else if error.is_body() || error.is_decode() {
            "response body could not be read"
        } else {
            "network error"
        };
        Outcome::Retry {
            reason: kind.to_owned(),
            retry_after: None,
        }
    }
}

/// The engine as the processor and the Braintrust exporter see it.
pub(crate) trait Delivery: Send + Sync {
    fn enqueue(&self, span: SpanData);
    /// Stops taking spans and sends what is queued at once, without waiting.
    fn close(&self);
    fn flush(&self, timeout: Duration) -> Result<(), String>;
    fn shutdown(&self, timeout: Duration) -> ShutdownOutcome;
    fn set_resource(&self, resource: &Resource);
    fn stats(&self) -> DeliveryStats;
    fn config(&self) -> &DeliveryConfig;
}

/// What [`Delivery::shutdown`] found.
#[derive(Debug)]
pub(crate) enum ShutdownOutcome {
    Done,
    AlreadyShutDown,
    /// Something was not delivered (the whole summary).
    Lost(String),
}

pub(crate) struct Engine<S: Sink> {
    shared: Arc<Shared>,
    sink: Mutex<Option<S>>,
    started: AtomicBool,
    worker: Mutex<Option<JoinHandle<()>>>,
    name: &'static str,
}

struct Shared {
    state: Mutex<State>,
    settled: Condvar,
    wake: Notify,
    stats: DeliveryStats,
    config: DeliveryConfig,
    name: &'static str,
}

#[derive(Default)]
struct State {
    queue: VecDeque<(SpanData, usize)>,
    /// Estimated bytes queued or in flight.
    bytes: usize,
    /// Spans accepted so far; the next one's sequence number.
    next_seq: u64,
    /// First sequence number of each batch in flight (a multiset).
    in_flight: BTreeMap<u64, usize>,
    /// A flush wants everything before this sent now.
    flush_to: u64,
    closed: bool,
    shut_down: bool,
    aborted: bool,
    finished: bool,
    /// Causes already warned about (one warning each).
    warned: Vec<Counter>,
    /// Warnings for the worker to log.
    warnings: Vec<String>,
    /// `lost()` when the last flush reported.
    reported_lost: u64,
}

impl State {
    fn first_unsettled(&self) -> u64 {
        let front = self.next_seq - self.queue.len() as u64;
        self.in_flight
            .keys()
            .next()
            .map_or(front, |&first| first.min(front))
    }

    fn warn_once(&mut self, cause: Counter, line: String) -> bool {
        if self.warned.contains(&cause) {
            return false;
        }
        self.warned.push(cause);
        self.warnings.push(line);
        true
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts `n` spans of a request as settled, unless shutdown already
    /// counted them as unsent.
    fn settle(&self, counter: Counter, n: usize, reason: Option<&str>) {
        let mut st = self.lock();
        if st.aborted {
            return;
        }
        self.stats.add(counter, n);
        if let Some(reason) = reason {
            self.stats.set_last_failure(reason);
            let cause = match counter {
                Counter::Rejected => "rejected by the backend",
                _ => "given up after retries",
            };
            if st.warn_once(
                counter,
                format!("{}: {n} spans {cause}: {reason}", self.name),
            ) {
                drop(st);
                self.wake.notify_one();
            }
        }
    }

    /// A batch is settled: its memory is free and flushes may be done.
    fn release(&self, first_seq: u64, bytes: usize) {
        let mut st = self.lock();
        st.bytes = st.bytes.saturating_sub(bytes);
        self.stats.set_queued_bytes(st.bytes);
        if let Some(count) = st.in_flight.get_mut(&first_seq) {
            *count -= 1;
            if *count == 0 {
                st.in_flight.remove(&first_seq);
            }
        }
        drop(st);
        self.settled.notify_all();
        self.wake.notify_one();
    }

    /// Waits on `settled` until `done` or the deadline; returns whether done.
    fn wait(&self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut st = self.lock();
        loop {
            if done(&st) {
                return true;
            }
            let remaining = deadline.map_or(Duration::from_secs(3600), |d| {
                d.saturating_duration_since(Instant::now())
            });
            if remaining.is_zero() {
                return false;
            }
            st = self
                .settled
                .wait_timeout(st, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl<S: Sink> Engine<S> {
    pub(crate) fn new(sink: S, config: DeliveryConfig, name: &'static str) -> Self {
        Engine {
            shared: Arc::new(Shared {
                state: Mutex::default(),
                settled: Condvar::new(),
                wake: Notify::new(),
                stats: DeliveryStats::default(),
                config,
                name,
            }),
            sink: Mutex::new(Some(sink)),
            started: AtomicBool::new(false),
            worker: Mutex::new(None),
            name,
        }
    }

    /// Starts the worker on first use (after `set_resource`, which the
    /// provider calls when it is built).
    fn ensure_started(&self) {
        if self.started.load(Ordering::Acquire) || self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let Some(sink) = self
            .sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return;
        };
        let shared = Arc::clone(&self.shared);
        let spawned = std::thread::Builder::new()
            .name(format!("{}-delivery", self.name))
            .spawn(move || run_worker(shared, sink));
        match spawned {
            Ok(handle) => {
                *self.worker.lock().unwrap_or_else(PoisonError::into_inner) = Some(handle);
            }
            Err(error) => {
                let mut st = self.shared.lock();
                st.finished = true;
                self.shared.stats.set_last_failure(&format!(
                    "could not start the delivery thread: {error}"
                ));
            }
        }
    }
}

impl<S: Sink> Delivery for Engine<S> {
    fn enqueue(&self, span: SpanData) {
        self.ensure_started();
        let size = span_bytes(&span);
        let config = &self.shared.config;
        let mut st = self.shared.lock();
        if st.closed {
            self.shared.stats.add(Counter::DroppedAfterShutdown, 1);
            return;
        }
        let over_count = config
            .max_queue_spans
            .is_some_and(|max| st.queue.len() >= max);
        let over_budget = st.bytes > 0 && st.bytes.saturating_add(size) > config.memory_budget;
        if over_count || over_budget {
            self.shared.stats.add(Counter::DroppedBudget, 1);
            let line = format!(
                "{}: the delivery queue is full ({} bytes of {} allowed{}); spans are dropped and counted until it drains",
                self.name,
                st.bytes,
                config.memory_budget,
                if over_count { ", or the OTEL_BSP_MAX_QUEUE_SIZE span limit" } else { "" },
            );
            let first = st.warn_once(Counter::DroppedBudget, line);
            drop(st);
            if first {
                self.shared.wake.notify_one();
            }
            return;
        }
        st.bytes += size;
        st.queue.push_back((span, size));
        st.next_seq += 1;
        self.shared.stats.add(Counter::Accepted, 1);
        self.shared.stats.set_queued_bytes(st.bytes);
        let full_batch = st.queue.len() == config.max_batch_spans;
        drop(st);
        if full_batch {
            self.shared.wake.notify_one();
        }
    }

    fn flush(&self, timeout: Duration) -> Result<(), String> {
        self.ensure_started();
        let target = {
            let mut st = self.shared.lock();
            st.flush_to = st.next_seq;
            st.next_seq
        };
        self.shared.wake.notify_one();
        let done = self
            .shared
            .wait(timeout, |st| st.first_unsettled() >= target || st.finished);
        let snapshot = self.shared.stats.snapshot();
        let mut st = self.shared.lock();
        if !done {
            return Err(format!(
                "{}: flush timed out after {timeout:?}: {snapshot}",
                self.name
            ));
        }
        let lost = snapshot.lost();
        if lost > std::mem::replace(&mut st.reported_lost, lost) {
            return Err(format!("{}: {snapshot}", self.name));
        }
        Ok(())
    }

    fn close(&self) {
        self.ensure_started();
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
    }

    fn shutdown(&self, timeout: Duration) -> ShutdownOutcome {
        if std::mem::replace(&mut self.shared.lock().shut_down, true) {
            return ShutdownOutcome::AlreadyShutDown;
        }
        self.close();
        let finished = self.shared.wait(timeout, |st| st.finished);
        if finished {
            let handle = self
                .worker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(handle) = handle {
                let _ = handle.join();
            }
        } else {
            // Past the deadline: what is left is counted as unsent, once,
            // and the worker is told to drop it.
            let mut st = self.shared.lock();
            st.aborted = true;
            let s = self.shared.stats.snapshot();
            self.shared.stats.add(Counter::Unsent, s.pending() as usize);
            drop(st);
            self.shared.wake.notify_one();
        }
        let snapshot = self.shared.stats.snapshot();
        if snapshot.lost() == 0 {
            ShutdownOutcome::Done
        } else {
            ShutdownOutcome::Lost(format!("{}: {snapshot}", self.name))
        }
    }

    fn set_resource(&self, resource: &Resource) {
        if let Some(sink) = self
            .sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            sink.set_resource(resource);
        }
        self.ensure_started();
    }

    fn stats(&self) -> DeliveryStats {
        self.shared.stats.clone()
    }

    fn config(&self) -> &DeliveryConfig {
        &self.shared.config
    }
}

impl<S: Sink> Drop for Engine<S> {
    /// An engine dropped without shutdown (a provider dropped without
    /// shutdown) still delivers what it holds, within its flush timeout.
    fn drop(&mut self) {
        if self.started.load(Ordering::Acquire) {
            let _ = Delivery::shutdown(self, self.shared.config.flush_timeout);
        }
    }
}

/// The worker thread: its own current-thread runtime, telemetry suppressed.
fn run_worker<S: Sink>(shared: Arc<Shared>, sink: S) {
    // Nothing this thread does may be traced: it would feed spans back.
    let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
    let mut quiet = QuietTracing::enter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let sink = Arc::new(sink);
    match runtime {
        Ok(runtime) => {
            runtime.block_on(dispatch(&shared, &sink, &mut quiet));
            // Dropping the runtime drops requests still retrying (abort).
            drop(runtime);
        }
        Err(error) => {
            shared
                .stats
                .set_last_failure(&format!("could not start the delivery runtime: {error}"));
        }
    }
    sink.shutdown();
    let warnings = std::mem::take(&mut shared.lock().warnings);
    log_warnings(&mut quiet, warnings);
    shared.lock().finished = true;
    shared.settled.notify_all();
}

/// Takes batches off the queue and spawns their delivery until shutdown.
async fn dispatch<S: Sink>(shared: &Arc<Shared>, sink: &Arc<S>, quiet: &mut QuietTracing) {
    let config = &shared.config;
    let in_flight = sink
        .max_in_flight()
        .map_or(config.max_in_flight, |max| max.min(config.max_in_flight))
        .max(1);
    let permits = Arc::new(Semaphore::new(in_flight));
    let mut tick = Instant::now() + config.schedule_delay;
    loop {
        let (batch, warnings) = {
            let mut st = shared.lock();
            if st.aborted {
                return;
            }
            let warnings = std::mem::take(&mut st.warnings);
            let front = st.next_seq - st.queue.len() as u64;
            let now = Instant::now();
            let due = !st.queue.is_empty()
                && (st.queue.len() >= config.max_batch_spans
                    || st.closed
                    || st.flush_to > front
                    || now >= tick);
            let batch = if due {
                let n = st.queue.len().min(config.max_batch_spans);
                let batch: Vec<(SpanData, usize)> = st.queue.drain(..n).collect();
                *st.in_flight.entry(front).or_insert(0) += 1;
                if st.queue.len() < config.max_batch_spans {
                    tick = now + config.schedule_delay;
                }
                Some((front, batch))
            } else if st.closed && st.queue.is_empty() && st.in_flight.is_empty() {
                drop(st);
                log_warnings(quiet, warnings);
                return;
            } else {
                if now >= tick {
                    tick = now + config.schedule_delay;
                }
                None
            };
            (batch, warnings)
        };
        log_warnings(quiet, warnings);
        match batch {
            Some((first_seq, batch)) => {
                tokio::spawn(deliver(
                    Arc::clone(shared),
                    Arc::clone(sink),
                    Arc::clone(&permits),
                    first_seq,
                    batch,
                ));
            }
            None => {
                tokio::select! {
                    () = shared.wake.notified() => {}
                    () = tokio::time::sleep_until(tick.into()) => {}
                }
            }
        }
    }
}

fn log_warnings(quiet: &mut QuietTracing, warnings: Vec<String>) {
    if warnings.is_empty() {
        return;
    }
    quiet.with_global(|| {
        for line in warnings {
            tracing::warn!(name: "Delivery.SpansDropped", target: LOG_TARGET, "{line}");
        }
    });
}

/// Delivers one batch: encodes it, sends its requests with retries, then
/// frees its memory.
async fn deliver<S: Sink>(
    shared: Arc<Shared>,
    sink: Arc<S>,
    permits: Arc<Semaphore>,
    first_seq: u64,
    batch: Vec<(SpanData, usize)>,
) {
    let bytes = batch.iter().map(|(_, size)| size).sum();
    let spans = batch.into_iter().map(|(span, _)| span).collect();
    let encoded = sink.encode(spans);
    if encoded.rejected > 0 {
        let reason = encoded.reason.as_deref().unwrap_or("could not be encoded");
        shared.settle(Counter::Rejected, encoded.rejected, Some(reason));
    }
    let sends = encoded
        .requests
        .into_iter()
        .map(|(request, n)| send_with_retries(&shared, &*sink, &permits, request, n));
    futures::future::join_all(sends).await;
    shared.release(first_seq, bytes);
}

/// One request until it is delivered, rejected or out of retry budget. The
/// permit is held only while a request is on the wire, so a request
/// waiting out a `Retry-After` never holds back the others.
async fn send_with_retries<S: Sink>(
    shared: &Shared,
    sink: &S,
    permits: &Semaphore,
    request: S::Request,
    n: usize,
) {
    let retry = shared.config.retry;
    let started = Instant::now();
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let outcome = {
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            tokio::time::timeout(shared.config.attempt_timeout, sink.send(&request))
                .await
                .unwrap_or_else(|_| Outcome::Retry {
                    reason: "timeout".to_owned(),
                    retry_after: None,
                })
        };
        match outcome {
            Outcome::Delivered => return shared.settle(Counter::Sent, n, None),
            Outcome::Reject { reason } => {
                return shared.settle(Counter::Rejected, n, Some(&reason));
            }
            Outcome::Retry {
                reason,
                retry_after,
            } => {
                let delay = retry.delay(attempt, retry_after);
                let plural = if attempt == 1 { "" } else { "s" };
                if attempt >= retry.max_attempts() {
                    let reason = format!("{reason} after {attempt} attempt{plural}");
                    return shared.settle(Counter::GaveUp, n, Some(&reason));
                }
                if started.elapsed().saturating_add(delay) > retry.max_elapsed() {
                    let mut reason = format!("{reason} after {attempt} attempt{plural}");
                    if let Some(after) = retry_after.filter(|after| *after >= delay) {
                        reason.push_str(&format!(
                            "; Retry-After asked for {} s, more than the retry budget",
                            after.as_secs()
                        ));
                    }
                    return shared.settle(Counter::GaveUp, n, Some(&reason));
                }
                shared.stats.add(Counter::Retried, n);
                shared.stats.set_last_failure(&reason);
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Estimated memory held by a queued span: the struct, its attribute,
/// event and link vectors, and the text they own. The memory budget is
/// counted in these bytes.
pub(crate) fn span_bytes(span: &SpanData) -> usize {
    use opentelemetry::{Array, KeyValue, Value};
    fn value_len(value: &Value) -> usize {
        match value {
            Value::String(s) => s.as_str().len(),
            Value::Array(Array::String(items)) => items
                .iter()
                .map(|s| s.as_str().len() + std::mem::size_of::<opentelemetry::StringValue>())
                .sum(),
            Value::Array(Array::Bool(items)) => items.len(),
            Value::Array(Array::I64(items)) => items.len() * 8,
            Value::Array(Array::F64(items)) => items.len() * 8,
            _ => 0,
        }
    }
    fn attributes_len(attributes: &[KeyValue]) -> usize {
        attributes
            .iter()
            .map(|kv| std::mem::size_of::<KeyValue>() + kv.key.as_str().len() + value_len(&kv.value))
            .sum()
    }
    let events: usize = span
        .events
        .iter()
        .map(|e| std::mem::size_of::<opentelemetry::trace::Event>() + e.name.len() + attributes_len(&e.attributes))
        .sum();
    let links: usize = span
        .links
        .iter()
        .map(|l| std::mem::size_of::<opentelemetry::trace::Link>() + attributes_len(&l.attributes))
        .sum();
    std::mem::size_of::<SpanData>() + span.name.len() + attributes_len(&span.attributes) + events + links
}

/// Keeps `tracing` silent on the worker thread (the HTTP stack's own
/// events and spans must not reach the application's subscriber, which may
/// export them), except for the delivery warnings, which go to the
/// process-wide subscriber.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::padded_span;
    use crate::exporters::delivery::RetryPolicy;

    /// Answers the first attempt of span 0 with `Retry-After: 400 ms`,
    /// everything else at once; records the order of deliveries.
    #[derive(Default)]
    struct Scripted {
        delivered: Mutex<Vec<u64>>,
        tried_first: AtomicBool,
    }

    impl Sink for Arc<Scripted> {
        type Request = u64;

        fn encode(&self, spans: Vec<SpanData>) -> Encoded<u64> {
            let id = u64::from_be_bytes(spans[0].span_context.span_id().to_bytes());
            Encoded::one(id, spans.len())
        }

        async fn send(&self, id: &u64) -> Outcome {
            if *id == 1 && !self.tried_first.swap(true, Ordering::SeqCst) {
                return Outcome::Retry {
                    reason: "HTTP 429".to_owned(),
                    retry_after: Some(Duration::from_millis(400)),
                };
            }
            self.delivered.lock().unwrap_or_else(PoisonError::into_inner).push(*id);
            Outcome::Delivered
        }
    }

    #[test]
    fn a_batch_waiting_out_retry_after_does_not_hold_back_the_others() {
        let sink = Arc::new(Scripted::default());
        let config = DeliveryConfig::new()
            .with_max_batch_spans(1)
            .with_max_in_flight(1)
            .with_retry_policy(RetryPolicy::default());
        let engine = Engine::new(Arc::clone(&sink), config, "test");
        for i in 0..4 {
            engine.enqueue(padded_span(i, 0));
        }
        assert!(engine.flush(Duration::from_secs(10)).is_ok());
        let order = sink.delivered.lock().unwrap_or_else(PoisonError::into_inner).clone();
        // Span ids are `i + 1`: the first waited, the three others went first.
        assert_eq!(order.len(), 4);
        assert_eq!(order.last(), Some(&1), "{order:?}");
        let s = engine.stats().snapshot();
        assert_eq!((s.accepted, s.sent, s.retried, s.lost()), (4, 4, 1, 0));
        assert!(matches!(
            engine.shutdown(Duration::from_secs(1)),
            ShutdownOutcome::Done
        ));
        assert!(matches!(
            engine.shutdown(Duration::from_secs(1)),
            ShutdownOutcome::AlreadyShutDown
        ));
    }

    #[test]
    fn span_sizes_grow_with_their_text() {
        let small = span_bytes(&padded_span(0, 0));
        let big = span_bytes(&padded_span(0, 10_000));
        assert!(small >= std::mem::size_of::<SpanData>());
        assert!(big >= small + 10_000, "{small} {big}");
    }
}
