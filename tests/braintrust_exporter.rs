//! The native exporter against a loopback Braintrust stand-in: paths, key,
//! project resolution, batching, retries, drops, flush and shutdown, and
//! runtimes. `export` only queues: results are read from `force_flush`,
//! `shutdown` and the counters. The stand-in validates every row it receives against
//! Braintrust's schema (`assert_clean`).

mod support;

use std::time::Duration;

use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustExporter, Parent,
};
use azure_ai_inference_otel::exporters::delivery::{DeliveryConfig, DeliveryStats};
use futures::executor::block_on;
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter as _,
};
use serde_json::Value;
use support::braintrust_stand_in::{
    API_KEY, PROJECT_NAME, Reply, StandIn, fast_retries, project_id_for,
};
use support::genai_spans::VOCABULARY_DEFAULT;
use support::genai_spans::{
    CHAT_NAME, Chat, crate_tracer, emit_chat, emit_embeddings, in_user_span,
};
use support::telemetry::Harness;

/// The documented insert-body limit the native exporter packs rows under.
const MAX_BATCH_BYTES: usize = 3 * 1024 * 1024;

const EXPERIMENT: &str = "3f1d2c4b-5a69-4788-9abc-def012345678";

/// `n` finished application spans (random ids), each with `padding` bytes
/// of attribute.
fn task_spans(n: usize, padding: usize) -> Vec<SpanData> {
    let harness = Harness::new();
    let tracer = harness.tracer_provider.tracer("load");
    for i in 0..n {
        let mut span = tracer.start(format!("work {i}"));
        span.set_attribute(KeyValue::new("i", i as i64));
        if padding > 0 {
            span.set_attribute(KeyValue::new("padding", "x".repeat(padding)));
        }
        span.end();
    }
    harness.spans()
}

fn exporter(config: BraintrustConfig) -> BraintrustExporter {
    BraintrustExporter::new(config).expect("exporter builds")
}

fn statuses(stand_in: &StandIn) -> Vec<u16> {
    stand_in.inserts().iter().map(|i| i.status).collect()
}

/// (sent, gave up, rejected, dropped for the budget)
fn counts(stats: &DeliveryStats) -> (u64, u64, u64, u64) {
    let s = stats.snapshot();
    (s.sent, s.gave_up, s.rejected, s.dropped_budget)
}

/// Queues spans, then waits for them: the flush's result.
fn send(exporter: &BraintrustExporter, spans: Vec<SpanData>) -> Result<(), OTelSdkError> {
    block_on(exporter.export(spans))?;
    exporter.force_flush()
}

#[test]
fn rows_go_in_batches_of_at_most_100_and_the_project_is_resolved_once() {
    let stand_in = StandIn::start();
    let exporter = exporter(stand_in.config());
    let stats = exporter.stats();

    send(&exporter, task_spans(250, 0)).expect("export");
    send(&exporter, task_spans(3, 0)).expect("second export");

    let inserts = stand_in.inserts();
    let mut sizes: Vec<usize> = inserts.iter().map(|i| i.rows).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [3, 50, 100, 100]);
    for insert in &inserts {
        assert_eq!(insert.object_type, "project_logs");
        assert_eq!(insert.object_id, project_id_for(PROJECT_NAME));
    }
    assert_eq!(
        stand_in.project_names(),
        [PROJECT_NAME],
        "resolved once, then cached"
    );
    assert_eq!(stand_in.unauthorized(), 0);
    let rows = stand_in.rows();
    assert_eq!(rows.len(), 253);
    let mut ids: Vec<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 253, "row ids are unique");
    assert_eq!(counts(&stats), (253, 0, 0, 0));
    stand_in.assert_clean();
}

#[test]
fn large_rows_are_split_below_three_mib() {
    let stand_in = StandIn::start();
    let exporter = exporter(stand_in.config());
    send(&exporter, task_spans(8, 1024 * 1024)).expect("export");
    let inserts = stand_in.inserts();
    assert!(inserts.len() >= 3, "{} requests", inserts.len());
    for insert in &inserts {
        assert!(insert.bytes <= MAX_BATCH_BYTES, "{} bytes", insert.bytes);
    }
    assert_eq!(stand_in.rows().len(), 8);
    stand_in.assert_clean();
}

#[test]
fn a_503_is_retried_then_succeeds() {
    let stand_in = StandIn::start();
    stand_in.script([Reply::status(503)]);
    let exporter = exporter(stand_in.config());
    let stats = exporter.stats();
    send(&exporter, task_spans(5, 0)).expect("export succeeds after a retry");
    assert_eq!(statuses(&stand_in), [503, 200]);
    assert_eq!(stand_in.rows().len(), 5);
    assert_eq!(counts(&stats), (5, 0, 0, 0));
    assert_eq!(stats.snapshot().retried, 5);
    stand_in.assert_clean();
}

#[test]
fn retry_after_is_honoured() {
    // Without Retry-After, a 429 is retried at once (1 ms backoff)...
    let stand_in = StandIn::start();
    stand_in.script([Reply::status(429)]);
    let exporter = exporter(stand_in.config());
    send(&exporter, task_spans(1, 0)).expect("retried");
    assert_eq!(statuses(&stand_in), [429, 200]);

    // ...with `Retry-After: 0` too...
    let stand_in = StandIn::start();
    stand_in.script([Reply::retry_after(429, "0")]);
    let exporter = self::exporter(stand_in.config());
    send(&exporter, task_spans(1, 0)).expect("retried");
    assert_eq!(statuses(&stand_in), [429, 200]);

    // ...but a wait longer than the retry budget (5 s) is not cut short:
    // the request is given up after one attempt instead of retried early.
    for after in [
        "3600".to_owned(),
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600)),
    ] {
        let stand_in = StandIn::start();
        stand_in.script([Reply::retry_after(503, &after)]);
        let exporter = self::exporter(stand_in.config());
        let stats = exporter.stats();
        let err = send(&exporter, task_spans(2, 0)).expect_err("given up");
        assert_eq!(statuses(&stand_in), [503], "Retry-After: {after}");
        assert!(err.to_string().contains("Retry-After"), "{err}");
        assert_eq!(counts(&stats), (0, 2, 0, 0));
    }
}

#[test]
fn a_400_is_not_retried_and_its_rows_are_rejected() {
    let stand_in = StandIn::start();
    stand_in.script([Reply::status(400)]);
    let exporter = exporter(stand_in.config());
    let stats = exporter.stats();
    let err = send(&exporter, task_spans(4, 0)).expect_err("rejected");
    assert_eq!(statuses(&stand_in), [400]);
    assert!(err.to_string().contains("HTTP 400 (not retried)"), "{err}");
    assert_eq!(counts(&stats), (0, 0, 4, 0));
    // The next export is unaffected, and its flush reports no new loss.
    send(&exporter, task_spans(1, 0)).expect("next export");
    assert_eq!(stats.sent(), 1);
}

#[test]
fn giving_up_after_the_last_attempt_counts_the_rows() {
    let stand_in = StandIn::start();
    // Three requests (100 + 100 + 50 rows), four attempts each.
    stand_in.script(std::iter::repeat_n(Reply::status(503), 12));
    let exporter = exporter(
        stand_in
            .config()
            .with_retry_policy(fast_retries().with_max_retries(3)),
    );
    let stats = exporter.stats();
    let err = send(&exporter, task_spans(250, 0)).expect_err("given up");
    assert!(
        err.to_string().contains("HTTP 503 after 4 attempts"),
        "{err}"
    );
    assert_eq!(statuses(&stand_in), [503; 12]);
    assert_eq!(counts(&stats), (0, 250, 0, 0));
}

#[test]
fn a_network_failure_is_retried_then_given_up() {
    // A port nothing listens on: connection refused on every attempt.
    let url = format!("http://127.0.0.1:{}", support::loopback::closed_port());
    let exporter = exporter(
        BraintrustConfig::new()
            .with_api_key(API_KEY)
            .with_api_url(url)
            .with_parent(Parent::ExperimentId(EXPERIMENT.to_owned()))
            .with_retry_policy(fast_retries().with_max_retries(2)),
    );
    let stats = exporter.stats();
    let err = send(&exporter, task_spans(2, 0)).expect_err("unreachable");
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    assert_eq!(counts(&stats), (0, 2, 0, 0));
}

#[test]
fn a_wrong_key_is_not_retried_and_never_shown() {
    let stand_in = StandIn::start();
    let key = "sk-wrong-but-secret-key";
    let exporter = exporter(stand_in.config().with_api_key(key));
    let stats = exporter.stats();
    let err = send(&exporter, task_spans(3, 0)).expect_err("unauthorized");
    let text = format!("{err} {err:?} {exporter:?}");
    assert!(!text.contains(key) && !text.contains(API_KEY), "{text}");
    assert!(text.contains("401") && text.contains("API key"), "{text}");
    assert_eq!(stand_in.unauthorized(), 1, "401 is not retried");
    assert_eq!(counts(&stats), (0, 0, 3, 0));
}

#[test]
fn debug_output_never_shows_the_key() {
    let stand_in = StandIn::start();
    let config = stand_in.config();
    let exporter = exporter(config.clone());
    for text in [
        format!("{config:?}"),
        format!("{exporter:?}"),
        format!("{exporter:#?}"),
    ] {
        assert!(!text.contains(API_KEY), "{text}");
    }
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .build();
    assert!(!format!("{provider:?}").contains(API_KEY));
}

#[test]
fn ids_as_parents_need_no_resolution() {
    let stand_in = StandIn::start();
    let project = project_id_for("by id");
    for (parent, object_type, object_id) in [
        (
            Parent::ExperimentId(EXPERIMENT.to_owned()),
            "experiment",
            EXPERIMENT.to_owned(),
        ),
        (
            Parent::ProjectId(project.clone()),
            "project_logs",
            project.clone(),
        ),
    ] {
        let exporter = exporter(stand_in.config().with_parent(parent));
        send(&exporter, task_spans(1, 0)).expect("export");
        let last = stand_in.inserts().pop().expect("an insert");
        assert_eq!(
            (last.object_type.as_str(), last.object_id),
            (object_type, object_id)
        );
    }
    assert!(stand_in.project_names().is_empty());
    stand_in.assert_clean();
}

#[test]
fn past_the_memory_budget_spans_are_refused_at_once_and_counted() {
    captured_logs::install();
    let stand_in = StandIn::start();
    stand_in.hold();
    // A budget of one byte admits one span at a time (never none).
    let exporter = BraintrustExporter::with_delivery_config(
        stand_in.config(),
        DeliveryConfig::new()
            .with_memory_budget(1)
            .with_schedule_delay(Duration::ZERO),
    )
    .expect("exporter builds");
    let stats = exporter.stats();

    block_on(exporter.export(task_spans(1, 0))).expect("queued");
    stand_in.wait_for_arrivals(1);
    // The first span is in flight (held by the stand-in): no room.
    let err = block_on(exporter.export(task_spans(3, 0))).expect_err("over budget");
    assert!(err.to_string().contains("queue is full"), "{err}");
    assert_eq!(counts(&stats), (0, 0, 0, 3));

    stand_in.release();
    let err = exporter
        .force_flush()
        .expect_err("the flush reports the drops");
    assert!(err.to_string().contains("3 memory budget full"), "{err}");
    assert_eq!(stand_in.rows().len(), 1);
    assert_eq!(counts(&stats), (1, 0, 0, 3));
    assert!(stats.snapshot().peak_bytes > 0);

    // Three drops, one warning (logged by the worker, which shutdown joins).
    let _ = exporter.shutdown();
    let warnings: Vec<_> = captured_logs::all()
        .into_iter()
        .filter(|l| {
            l.field("message")
                .is_some_and(|m| m.contains("delivery queue is full") && m.contains("of 1 allowed"))
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].level, "WARN");
}

#[test]
fn force_flush_waits_for_queued_spans() {
    let stand_in = StandIn::start();
    stand_in.hold();
    let exporter = exporter(stand_in.config());
    block_on(exporter.export(task_spans(2, 0))).expect("queued");
    block_on(exporter.export(task_spans(3, 0))).expect("queued");
    let seen_after_flush = std::thread::scope(|scope| {
        let flusher = scope.spawn(|| {
            exporter.force_flush().expect("flush");
            stand_in.rows().len()
        });
        stand_in.wait_for_arrivals(1);
        stand_in.release();
        flusher.join().expect("flusher")
    });
    assert_eq!(seen_after_flush, 5);
}

#[test]
fn shutdown_delivers_what_is_queued_and_refuses_later_exports() {
    let stand_in = StandIn::start();
    let exporter = exporter(stand_in.config());
    let stats = exporter.stats();
    block_on(exporter.export(task_spans(2, 0))).expect("queued");
    block_on(exporter.export(task_spans(3, 0))).expect("queued");
    exporter
        .shutdown_with_timeout(Duration::from_secs(10))
        .expect("shutdown");
    assert_eq!(stand_in.rows().len(), 5);

    let err = block_on(exporter.export(task_spans(1, 0))).expect_err("after shutdown");
    assert!(matches!(err, OTelSdkError::AlreadyShutdown), "{err:?}");
    assert!(matches!(
        exporter.shutdown(),
        Err(OTelSdkError::AlreadyShutdown)
    ));
    let s = stats.snapshot();
    assert_eq!((s.sent, s.dropped_after_shutdown), (5, 1));
}

#[test]
fn shutdown_past_its_deadline_counts_what_is_left() {
    let stand_in = StandIn::start();
    stand_in.hold();
    let exporter = exporter(stand_in.config());
    let stats = exporter.stats();
    block_on(exporter.export(task_spans(4, 0))).expect("queued");
    let err = exporter
        .shutdown_with_timeout(Duration::from_millis(300))
        .expect_err("held past the deadline");
    assert!(
        err.to_string()
            .contains("4 unsent at the shutdown deadline"),
        "{err}"
    );
    assert_eq!(stats.snapshot().unsent, 4);
}

#[test]
fn provider_shutdown_delivers_spans_still_in_the_batch_processor() {
    let stand_in = StandIn::start();
    let exporter = exporter(stand_in.config());
    let stats = exporter.stats();
    // A batch processor that would wait an hour before exporting on its own.
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(
            BatchConfigBuilder::default()
                .with_scheduled_delay(Duration::from_secs(3600))
                .build(),
        )
        .build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build();
    let tracer = provider.tracer("app");
    for i in 0..30 {
        tracer.in_span(format!("step {i}"), |_| {});
    }
    assert!(stand_in.rows().is_empty());
    provider.shutdown().expect("shutdown");
    assert_eq!(stand_in.rows().len(), 30);
    assert_eq!(stats.sent(), 30);
    stand_in.assert_clean();
}

/// A user span, a chat call and an embeddings call through a provider
/// wired to the exporter with `SimpleSpanProcessor`; returns the rows.
fn genai_trace_through(stand_in: &StandIn) -> Vec<Value> {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter(stand_in.config()))
        .build();
    in_user_span(&provider, |cx| {
        let tracer = crate_tracer(&provider);
        emit_chat(&tracer, cx, Chat::new(&VOCABULARY_DEFAULT));
        emit_embeddings(&tracer, cx, &VOCABULARY_DEFAULT);
    });
    provider.shutdown().expect("shutdown");
    stand_in.assert_clean();
    stand_in.rows()
}

fn assert_linked(rows: &[Value]) {
    assert_eq!(rows.len(), 3);
    let by_name = |name: &str| {
        rows.iter()
            .find(|r| r["span_attributes"]["name"] == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .clone()
    };
    let user = by_name("handle_request");
    let chat = by_name(CHAT_NAME);
    assert_eq!(user["span_attributes"]["type"], "task");
    assert!(user.get("span_parents").is_none());
    assert_eq!(chat["span_attributes"]["type"], "llm");
    assert_eq!(chat["span_parents"], serde_json::json!([user["span_id"]]));
    assert_eq!(chat["root_span_id"], user["root_span_id"]);
}

#[test]
fn works_from_a_plain_thread() {
    let stand_in = StandIn::start();
    let rows =
        std::thread::scope(|s| s.spawn(|| genai_trace_through(&stand_in)).join()).expect("thread");
    assert_linked(&rows);
}

#[tokio::test(flavor = "current_thread")]
async fn works_inside_a_current_thread_runtime() {
    let stand_in = StandIn::start();
    assert_linked(&genai_trace_through(&stand_in));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_a_multi_thread_runtime() {
    let stand_in = StandIn::start();
    assert_linked(&genai_trace_through(&stand_in));
    // And awaited directly as a future on the runtime.
    let exporter = exporter(stand_in.config());
    exporter
        .export(task_spans(2, 0))
        .await
        .expect("awaited on tokio");
}

#[test]
fn build_errors_are_clear() {
    let err = BraintrustExporter::new(
        BraintrustConfig::new()
            .with_api_key(API_KEY)
            .with_api_url("not a url"),
    )
    .expect_err("bad url");
    assert!(
        err.to_string().contains("invalid Braintrust API URL"),
        "{err}"
    );
    let err = BraintrustExporter::new(
        BraintrustConfig::new()
            .with_api_key(API_KEY)
            .with_api_url("http://127.0.0.1:9")
            .with_parent(Parent::ExperimentId("nope".to_owned())),
    )
    .expect_err("bad parent");
    assert!(err.to_string().contains("UUID"), "{err}");
}

/// Warnings the exporter logged, captured by a process-wide subscriber.
mod captured_logs {
    use std::sync::{Mutex, OnceLock};

    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::{Context, SubscriberExt as _};

    #[derive(Debug, Clone, Default)]
    pub struct Logged {
        pub name: String,
        pub target: String,
        pub level: String,
        pub fields: Vec<(String, String)>,
    }

    impl Logged {
        pub fn field(&self, name: &str) -> Option<&str> {
            self.fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }
    }

    static LOGGED: Mutex<Vec<Logged>> = Mutex::new(Vec::new());

    struct Capture;

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            struct Fields(Vec<(String, String)>);
            impl Visit for Fields {
                fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                    self.0.push((field.name().to_owned(), format!("{value:?}")));
                }
                fn record_str(&mut self, field: &Field, value: &str) {
                    self.0.push((field.name().to_owned(), value.to_owned()));
                }
            }
            let mut fields = Fields(Vec::new());
            event.record(&mut fields);
            let meta = event.metadata();
            LOGGED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Logged {
                    name: meta.name().to_owned(),
                    target: meta.target().to_owned(),
                    level: meta.level().to_string(),
                    fields: fields.0,
                });
        }
    }

    /// Installs the capturing subscriber (once per test binary).
    pub fn install() {
        static INSTALLED: OnceLock<()> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            let subscriber = tracing_subscriber::registry().with(Capture);
            tracing::subscriber::set_global_default(subscriber).expect("first global subscriber");
        });
    }

    pub fn all() -> Vec<Logged> {
        LOGGED.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[test]
fn a_dropped_batch_is_logged_once_without_the_key() {
    captured_logs::install();
    let stand_in = StandIn::start();
    stand_in.script([Reply::status(400)]);
    let exporter = exporter(stand_in.config());
    // 17 rows: a count no other test drops, to find this test's log line.
    send(&exporter, task_spans(17, 0)).expect_err("rejected");
    // A second rejection is counted, not logged again.
    stand_in.script([Reply::status(400)]);
    send(&exporter, task_spans(17, 0)).expect_err("rejected");
    // The line is logged by the worker; shutting down waits for it.
    exporter.shutdown().expect_err("34 rows were rejected");
    let ours: Vec<_> = captured_logs::all()
        .into_iter()
        .filter(|l| l.field("message").is_some_and(|m| m.contains("17 spans")))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    let line = &ours[0];
    assert_eq!(line.name, "Delivery.SpansDropped");
    assert_eq!(line.target, env!("CARGO_PKG_NAME"));
    assert_eq!(line.level, "WARN");
    assert!(
        line.field("message")
            .is_some_and(|m| m.contains("rejected by the backend: HTTP 400 (not retried)")),
        "{line:?}"
    );
    assert!(!format!("{line:?}").contains(API_KEY));
}
