//! The worker thread: takes batches off the queue, sends them a few at a
//! time, retries them, and logs the delivery warnings.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::FutureExt;

use opentelemetry_sdk::trace::SpanData;
use tokio::sync::Semaphore;

use super::super::sink::{Outcome, Sink};
use super::super::stats::Counter;
use super::Shared;
use crate::net::{deadline_in, saturating_deadline};

/// `target` of the delivery log lines.
const LOG_TARGET: &str = env!("CARGO_PKG_NAME");

/// The worker thread: its own current-thread runtime, telemetry suppressed.
pub(super) fn run_worker<S: Sink>(shared: Arc<Shared>, sink: S) {
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
    let mut tick = deadline_in(config.schedule_delay);
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
                    tick = saturating_deadline(now, config.schedule_delay);
                }
                Some((front, batch))
            } else if st.closed && st.queue.is_empty() && st.in_flight.is_empty() {
                drop(st);
                log_warnings(quiet, warnings);
                return;
            } else {
                if now >= tick {
                    tick = saturating_deadline(now, config.schedule_delay);
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
///
/// A panic in the sink (a user's exporter, an encoder) is caught: the
/// batch's spans not settled yet are counted as [`Counter::Panicked`] with
/// the panic's message, the batch is released (so flushes and shutdown do
/// not wait for it) and the worker goes on with the next one.
async fn deliver<S: Sink>(
    shared: Arc<Shared>,
    sink: Arc<S>,
    permits: Arc<Semaphore>,
    first_seq: u64,
    batch: Vec<(SpanData, usize)>,
) {
    let bytes = batch.iter().map(|(_, size)| size).sum();
    let count = batch.len();
    let settled = AtomicUsize::new(0);
    let work = async {
        let spans = batch.into_iter().map(|(span, _)| span).collect();
        let encoded = sink.encode(spans);
        if encoded.rejected > 0 {
            let reason = encoded.reason.as_deref().unwrap_or("could not be encoded");
            settle(
                &shared,
                &settled,
                Counter::Rejected,
                encoded.rejected,
                Some(reason),
            );
        }
        let sends = encoded
            .requests
            .into_iter()
            .map(|(request, n)| send_with_retries(&shared, &*sink, &permits, &settled, request, n));
        futures::future::join_all(sends).await;
    };
    if let Err(panic) = AssertUnwindSafe(work).catch_unwind().await {
        let what = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        let left = count.saturating_sub(settled.load(Ordering::Acquire));
        let reason = format!("the exporter panicked: {what}");
        shared.settle(Counter::Panicked, left, Some(&reason));
    }
    shared.release(first_seq, bytes);
}

/// [`Shared::settle`], also counting the batch's settled spans.
fn settle(
    shared: &Shared,
    settled: &AtomicUsize,
    counter: Counter,
    n: usize,
    reason: Option<&str>,
) {
    settled.fetch_add(n, Ordering::AcqRel);
    shared.settle(counter, n, reason);
}

/// One request until it is delivered, rejected or out of retry budget. The
/// permit is held only while a request is on the wire, so a request
/// waiting out a `Retry-After` never holds back the others.
///
/// Once shutdown has begun, a backoff ends no later than the shutdown's
/// last call ([`Shared::last_call`]): every request still failing gets one
/// more attempt before the deadline, and is given up only when even that
/// one failed.
async fn send_with_retries<S: Sink>(
    shared: &Shared,
    sink: &S,
    permits: &Semaphore,
    settled: &AtomicUsize,
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
            Outcome::Delivered => return settle(shared, settled, Counter::Sent, n, None),
            Outcome::Reject { reason } => {
                return settle(shared, settled, Counter::Rejected, n, Some(&reason));
            }
            Outcome::Retry {
                reason,
                retry_after,
            } => {
                let delay = retry.delay(attempt, retry_after);
                let plural = if attempt == 1 { "" } else { "s" };
                let gave_up = |why: &str| {
                    let reason = format!("{reason} after {attempt} attempt{plural}{why}");
                    settle(shared, settled, Counter::GaveUp, n, Some(&reason));
                };
                if retry.gives_up(attempt, started.elapsed(), delay) {
                    let why = match retry_after
                        .filter(|after| attempt <= retry.max_retries() && *after >= delay)
                    {
                        Some(after) => format!(
                            "; Retry-After asked for {} s, more than the retry budget",
                            after.as_secs()
                        ),
                        None => String::new(),
                    };
                    return gave_up(&why);
                }
                if shared
                    .last_call
                    .borrow()
                    .is_some_and(|last| Instant::now() >= last)
                {
                    return gave_up("; no time left before the shutdown deadline");
                }
                shared.stats.add(Counter::Retried, n);
                shared.stats.set_last_failure(&reason);
                wait_to_retry(shared, delay).await;
            }
        }
    }
}

/// Sleeps `delay`, or until the shutdown's last call if that comes first
/// (also when shutdown begins during the sleep).
async fn wait_to_retry(shared: &Shared, delay: Duration) {
    let wake_at = deadline_in(delay);
    let mut last_call = shared.last_call.subscribe();
    loop {
        let until = match *last_call.borrow_and_update() {
            Some(last) => wake_at.min(last),
            None => wake_at,
        };
        tokio::select! {
            () = tokio::time::sleep_until(until.into()) => return,
            changed = last_call.changed() => {
                if changed.is_err() {
                    // The engine is gone: nothing will change any more.
                    tokio::time::sleep_until(until.into()).await;
                    return;
                }
            }
        }
    }
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
