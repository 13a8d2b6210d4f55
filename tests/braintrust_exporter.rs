//! The native exporter against a loopback Braintrust stand-in: paths, key,
//! project resolution, batching, retries, drops, flush and shutdown, and
//! runtimes. The stand-in validates every row it receives against
//! Braintrust's schema (`assert_clean`).

mod support;

use std::time::Duration;

use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustExporter, MAX_BATCH_BYTES, Parent,
};
use azure_ai_inference_otel::telemetry::semconv::VOCABULARY_DEFAULT;
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
use support::genai_spans::{
    CHAT_NAME, Chat, crate_tracer, emit_chat, emit_embeddings, in_user_span,
};
use support::telemetry::Harness;

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

#[test]
fn rows_go_in_batches_of_at_most_100_and_the_project_is_resolved_once() {
    let stand_in = StandIn::start();
    let exporter = exporter(stand_in.config());
    let stats = exporter.stats();

    block_on(exporter.export(task_spans(250, 0))).expect("export");
    block_on(exporter.export(task_spans(3, 0))).expect("second export");

    let inserts = stand_in.inserts();
    let sizes: Vec<usize> = inserts.iter().map(|i| i.rows).collect();
    assert_eq!(sizes, [100, 100, 50, 3]);
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
    assert_eq!(
        (
            stats.rows_sent(),
            stats.rows_dropped(),
            stats.batches_failed()
        ),
        (253, 0, 0)
    );
    stand_in.assert_clean();
}

#[test]
fn large_rows_are_split_below_three_mib() {
    let stand_in = StandIn::start();
    let exporter = exporter(stand_in.config());
    block_on(exporter.export(task_spans(8, 1024 * 1024))).expect("export");
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
    block_on(exporter.export(task_spans(5, 0))).expect("export succeeds after a retry");
    assert_eq!(statuses(&stand_in), [503, 200]);
    assert_eq!(stand_in.rows().len(), 5);
    assert_eq!((stats.rows_sent(), stats.rows_dropped()), (5, 0));
    stand_in.assert_clean();
}

#[test]
fn retry_after_is_honoured() {
    // Without Retry-After, a 429 is retried at once (1 ms backoff)...
    let stand_in = StandIn::start();
    stand_in.script([Reply::status(429)]);
    let exporter = exporter(stand_in.config());
    block_on(exporter.export(task_spans(1, 0))).expect("retried");
    assert_eq!(statuses(&stand_in), [429, 200]);

    // ...with `Retry-After: 0` too...
    let stand_in = StandIn::start();
    stand_in.script([Reply::retry_after(429, "0")]);
    let exporter = self::exporter(stand_in.config());
    block_on(exporter.export(task_spans(1, 0))).expect("retried");
    assert_eq!(statuses(&stand_in), [429, 200]);

    // ...but a wait longer than the retry budget (5 s) is not cut short:
    // the batch is given up after one attempt instead of retried early.
    for after in [
        "3600".to_owned(),
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600)),
    ] {
        let stand_in = StandIn::start();
        stand_in.script([Reply::retry_after(503, &after)]);
        let exporter = self::exporter(stand_in.config());
        let stats = exporter.stats();
        let err = block_on(exporter.export(task_spans(2, 0))).expect_err("given up");
        assert_eq!(statuses(&stand_in), [503], "Retry-After: {after}");
        assert!(err.to_string().contains("Retry-After"), "{err}");
        assert_eq!((stats.rows_dropped(), stats.batches_failed()), (2, 1));
    }
}

#[test]
fn a_400_is_not_retried_and_its_rows_are_dropped() {
    let stand_in = StandIn::start();
    stand_in.script([Reply::status(400)]);
    let exporter = exporter(stand_in.config());
    let stats = exporter.stats();
    let err = block_on(exporter.export(task_spans(4, 0))).expect_err("dropped");
    assert_eq!(statuses(&stand_in), [400]);
    assert!(err.to_string().contains("HTTP 400 (not retried)"), "{err}");
    assert_eq!(
        (
            stats.rows_sent(),
            stats.rows_dropped(),
            stats.batches_failed()
        ),
        (0, 4, 1)
    );
    // The next export is unaffected.
    block_on(exporter.export(task_spans(1, 0))).expect("next export");
    assert_eq!(stats.rows_sent(), 1);
}

#[test]
fn giving_up_after_the_last_attempt_counts_the_rows_as_dropped() {
    let stand_in = StandIn::start();
    stand_in.script(std::iter::repeat_n(Reply::status(503), 4));
    let exporter = exporter(
        stand_in
            .config()
            .with_retry_policy(fast_retries().with_max_attempts(4)),
    );
    let stats = exporter.stats();
    let err = block_on(exporter.export(task_spans(250, 0))).expect_err("given up");
    assert!(
        err.to_string().contains("HTTP 503 after 4 attempts"),
        "{err}"
    );
    // The outage ends the export: the two other batches are not even tried.
    assert_eq!(statuses(&stand_in), [503; 4]);
    assert_eq!(
        (
            stats.rows_sent(),
            stats.rows_dropped(),
            stats.batches_failed()
        ),
        (0, 250, 3)
    );
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
            .with_retry_policy(fast_retries().with_max_attempts(3)),
    );
    let stats = exporter.stats();
    let err = block_on(exporter.export(task_spans(2, 0))).expect_err("unreachable");
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    assert_eq!(stats.rows_dropped(), 2);
}

#[test]
fn a_wrong_key_is_not_retried_and_never_shown() {
    let stand_in = StandIn::start();
    let key = "sk-wrong-but-secret-key";
    let exporter = exporter(stand_in.config().with_api_key(key));
    let stats = exporter.stats();
    let err = block_on(exporter.export(task_spans(3, 0))).expect_err("unauthorized");
    let text = format!("{err} {err:?} {exporter:?}");
    assert!(!text.contains(key) && !text.contains(API_KEY), "{text}");
    assert!(text.contains("401") && text.contains("API key"), "{text}");
    assert_eq!(stand_in.unauthorized(), 1, "401 is not retried");
    assert_eq!(stats.rows_dropped(), 3);
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
        block_on(exporter.export(task_spans(1, 0))).expect("export");
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
fn a_full_queue_drops_the_batch_at_once_and_counts_it() {
    let stand_in = StandIn::start();
    stand_in.hold();
    let exporter = exporter(stand_in.config().with_queue_capacity(1));
    let stats = exporter.stats();

    // Queued when `export` is called: the first batch is in flight (held by
    // the stand-in), the second waits in the queue, the third does not fit.
    let first = exporter.export(task_spans(2, 0));
    stand_in.wait_for_arrivals(1);
    let second = exporter.export(task_spans(3, 0));
    let third = exporter.export(task_spans(4, 0));
    let err = block_on(third).expect_err("queue full");
    assert!(err.to_string().contains("queue is full"), "{err}");
    assert_eq!(stats.rows_dropped(), 4);

    stand_in.release();
    block_on(first).expect("first delivered");
    block_on(second).expect("second delivered");
    assert_eq!(stand_in.rows().len(), 5);
    assert_eq!((stats.rows_sent(), stats.rows_dropped()), (5, 4));
}

#[test]
fn force_flush_waits_for_queued_batches() {
    let stand_in = StandIn::start();
    stand_in.hold();
    let exporter = exporter(stand_in.config());
    let pending = [
        exporter.export(task_spans(2, 0)),
        exporter.export(task_spans(3, 0)),
    ];
    stand_in.wait_for_arrivals(1);
    let seen_after_flush = std::thread::scope(|scope| {
        let flusher = scope.spawn(|| {
            exporter.force_flush().expect("flush");
            stand_in.rows().len()
        });
        stand_in.release();
        flusher.join().expect("flusher")
    });
    assert_eq!(seen_after_flush, 5);
    for export in pending {
        block_on(export).expect("delivered");
    }
}

#[test]
fn shutdown_delivers_what_is_queued_and_refuses_later_exports() {
    let stand_in = StandIn::start();
    stand_in.hold();
    let exporter = exporter(stand_in.config());
    let stats = exporter.stats();
    let _first = exporter.export(task_spans(2, 0));
    stand_in.wait_for_arrivals(1);
    let _queued = exporter.export(task_spans(3, 0));
    stand_in.release();
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
    assert_eq!((stats.rows_sent(), stats.rows_dropped()), (5, 1));
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
    assert_eq!(stats.rows_sent(), 30);
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
    let err = BraintrustExporter::new(
        BraintrustConfig::new()
            .with_api_key(API_KEY)
            .with_api_url("http://127.0.0.1:9")
            .with_parent(Parent::ProjectName("p".to_owned()))
            .with_queue_capacity(0),
    )
    .expect_err("bad queue");
    assert!(err.to_string().contains("queue_capacity"), "{err}");
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
    block_on(exporter.export(task_spans(17, 0))).expect_err("dropped");
    let ours: Vec<_> = captured_logs::all()
        .into_iter()
        .filter(|l| l.field("dropped") == Some("17"))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    let line = &ours[0];
    assert_eq!(line.name, "BraintrustExporter.RowsDropped");
    assert_eq!(line.target, env!("CARGO_PKG_NAME"));
    assert_eq!(line.level, "WARN");
    assert_eq!(line.field("reason"), Some("HTTP 400 (not retried)"));
    assert!(!format!("{line:?}").contains(API_KEY));
}
