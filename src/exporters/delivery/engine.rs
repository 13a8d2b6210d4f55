//! The queue behind every exporter path: bounded by bytes, appended to by
//! `on_end` without waiting, drained by one worker thread
//! ([`worker`]) with its own Tokio runtime.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;
use tokio::sync::Notify;

use super::DeliveryConfig;
use super::sink::{Sink, span_bytes};
use super::stats::{Counter, DeliveryStats};

mod worker;

use worker::run_worker;

/// The most spans the queue has room for before the first one comes (a
/// batch, up to this): a few hundred bytes each.
const MAX_RESERVED_SPANS: usize = 1024;

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

/// What a delivery log line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    /// Spans were lost (rejected or given up), once per cause.
    Dropped,
    /// Exports started failing.
    Failing,
    /// Exports work again.
    Recovered,
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
    /// Set by shutdown: the last moment a retry may start so that it ends
    /// before the deadline. Requests waiting to retry watch it, so a
    /// backoff never carries an attempt past the deadline.
    last_call: tokio::sync::watch::Sender<Option<Instant>>,
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
    warnings: Vec<(Notice, String)>,
    /// Failed attempts since the path last delivered, while it is failing:
    /// one warning when exports start failing, one when they recover.
    failing: Option<u64>,
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
        self.warnings.push((Notice::Dropped, line));
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
                Counter::Panicked => "lost to a panic in the exporter",
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

    /// An attempt failed and will be retried: the first failure since the
    /// path last delivered is a warning with its cause, the others are only
    /// counted (a backend that is down fails every retry of every batch).
    fn attempt_failed(&self, reason: &str) {
        let mut st = self.lock();
        let first = st.failing.is_none();
        *st.failing.get_or_insert(0) += 1;
        if first && !st.aborted {
            st.warnings.push((
                Notice::Failing,
                format!(
                    "{}: exports are failing ({reason}); no further warning until they recover",
                    self.name
                ),
            ));
            drop(st);
            self.wake.notify_one();
        }
    }

    /// A request was delivered: after failures, one line saying the path
    /// recovered.
    fn attempt_delivered(&self) {
        let mut st = self.lock();
        if let Some(failed) = st.failing.take() {
            let plural = if failed == 1 { "" } else { "s" };
            st.warnings.push((
                Notice::Recovered,
                format!(
                    "{}: exports recovered after {failed} failed attempt{plural}",
                    self.name
                ),
            ));
            drop(st);
            self.wake.notify_one();
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
        // Room for a whole batch from the start: the queue keeps its
        // largest size anyway, and growing it on the application thread
        // (doubling, moving every queued span) cost about 300 instructions
        // per span over the first hundred spans (callgrind).
        let state = State {
            queue: VecDeque::with_capacity(config.max_batch_spans.min(MAX_RESERVED_SPANS)),
            ..State::default()
        };
        Engine {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                settled: Condvar::new(),
                wake: Notify::new(),
                last_call: tokio::sync::watch::Sender::new(None),
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

    /// Queues a whole batch, as a `SpanExporter::export` that only enqueues
    /// does: `Err` when the engine was shut down, or when the memory budget
    /// dropped part of the batch (the spans are counted as dropped either way).
    pub(crate) fn enqueue_batch(
        &self,
        batch: Vec<SpanData>,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        use opentelemetry_sdk::error::OTelSdkError;
        let before = self.shared.stats.snapshot();
        let count = batch.len();
        for span in batch {
            self.enqueue(span);
        }
        let after = self.shared.stats.snapshot();
        if after.dropped_after_shutdown > before.dropped_after_shutdown {
            Err(OTelSdkError::AlreadyShutdown)
        } else if after.dropped_budget > before.dropped_budget {
            let dropped = after.dropped_budget - before.dropped_budget;
            Err(OTelSdkError::InternalFailure(format!(
                "the {} delivery queue is full: dropped {dropped} of {count} spans",
                self.name
            )))
        } else {
            Ok(())
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
                self.shared
                    .stats
                    .set_last_failure(&format!("could not start the delivery thread: {error}"));
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
                if over_count {
                    ", or the OTEL_BSP_MAX_QUEUE_SIZE span limit"
                } else {
                    ""
                },
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
        // The last attempt of a request must fit before the deadline: a
        // fifth of the time given, at most one attempt's timeout.
        let deadline = crate::net::deadline_in(timeout);
        let reserve = (timeout / 5).min(self.shared.config.attempt_timeout);
        let last_call = deadline.checked_sub(reserve).unwrap_or(deadline);
        self.shared.last_call.send_replace(Some(last_call));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::test_spans::padded_span;
    use crate::exporters::delivery::RetryPolicy;
    use crate::exporters::delivery::sink::{Encoded, Outcome};

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
            self.delivered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(*id);
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
        let order = sink
            .delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
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
