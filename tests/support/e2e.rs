//! End to end: one pipeline exporting to the Braintrust stand-in (native
//! REST) and a loopback OTLP collector at once, the calls a request handler
//! makes, and the check that every span arrived exactly once in both, with
//! its parent link, and that the service saw the same trace.

use std::sync::Once;
use std::time::Duration;

use azure_ai_inference_otel::client::{ChatCompletionsClient, ClientOptions, Credential};
use azure_ai_inference_otel::exporters::braintrust::{BraintrustConfig, Parent};
use azure_ai_inference_otel::exporters::otlp::OtlpConfig;
use azure_ai_inference_otel::models::{ChatCompletionsOptions, ChatRequestMessage};
use azure_ai_inference_otel::setup::{
    ExporterKind, PipelineBuilder, TelemetryGuard, TelemetryPipeline,
};
use azure_ai_inference_otel::telemetry::TelemetryOptions;

use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use opentelemetry_proto::tonic::metrics::v1::{AggregationTemporality, metric};
use serde_json::{Value, json};

use super::braintrust_stand_in::{API_KEY, PROJECT_NAME, StandIn, project_id_for};
use super::otlp_collector::{CollectedSpan, OtlpCollector, hex};

/// The application's own span around the calls.
pub const HANDLER: &str = "handle_request";
/// Model of the whole-answer call, and its span name.
pub const PLAIN_MODEL: &str = "gpt-e2e-plain";
pub const PLAIN_SPAN: &str = "chat gpt-e2e-plain";
/// Model of the streamed call, and its span name.
pub const STREAM_MODEL: &str = "gpt-e2e-stream";
pub const STREAM_SPAN: &str = "chat gpt-e2e-stream";
/// Every span the handler produces, in no particular order.
pub const ALL_SPANS: [&str; 3] = [HANDLER, PLAIN_SPAN, STREAM_SPAN];

const PLAIN_ANSWER: &str = "Hello from the plain call.";
const STREAM_PIECES: [&str; 3] = ["Hello", " from", " the stream."];

/// The API key the clients send to the mock service.
pub const SERVICE_KEY: &str = "e2e-service-key-0123";

/// The two receivers, each on its own thread, stopped when dropped.
pub struct Sinks {
    pub stand_in: StandIn,
    pub collector: OtlpCollector,
}

impl Sinks {
    pub fn start() -> Self {
        Sinks {
            stand_in: StandIn::start(),
            collector: OtlpCollector::start(),
        }
    }

    /// The Braintrust settings as an application writes them (defaults for
    /// everything else).
    pub fn braintrust_config(&self) -> BraintrustConfig {
        BraintrustConfig::new()
            .with_api_key(API_KEY)
            .with_api_url(&self.stand_in.url)
            .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned()))
    }

    /// A pipeline exporting to both: `braintrust` and `otlp`.
    pub fn pipeline(&self, service_name: &str) -> PipelineBuilder {
        TelemetryPipeline::builder()
            .with_service_name(service_name)
            .with_exporters([ExporterKind::Braintrust, ExporterKind::Otlp])
            .with_braintrust_config(self.braintrust_config())
            .with_otlp_config(OtlpConfig::new().with_endpoint(self.collector.endpoint()))
    }
}

/// Telemetry options sending to `guard`'s providers (for `with_global(false)`).
pub fn options_for(guard: &TelemetryGuard) -> TelemetryOptions {
    TelemetryOptions::new()
        .with_tracer_provider(guard.tracer_provider())
        .with_meter_provider(guard.meter_provider())
}

/// The W3C propagator as the global one, once per test binary: what an
/// application installing the pipeline with `with_global(false)` does itself.
pub fn install_propagator() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
    });
}

/// Queues the answers to [`calls`]: a whole completion, then a stream.
pub fn script(server: &MockInferenceServer) {
    server.enqueue(Reply::chat_completion(PLAIN_ANSWER));
    server.enqueue(Reply::chat_stream(STREAM_PIECES));
}

pub fn client(server: &MockInferenceServer, telemetry: TelemetryOptions) -> ChatCompletionsClient {
    let options = ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_telemetry(telemetry);
    ChatCompletionsClient::new(
        server.endpoint(),
        Credential::api_key(SERVICE_KEY).expect("key"),
        Some(options),
    )
    .expect("client")
}

fn request(model: &str) -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("Say hello")]).with_model(model)
}

/// What the handler does: a whole completion, then a streamed one read to its end.
pub async fn calls(client: &ChatCompletionsClient) {
    let answer = client
        .complete(request(PLAIN_MODEL))
        .await
        .expect("completion");
    assert_eq!(answer.content(), Some(PLAIN_ANSWER));
    let stream = client
        .complete_streaming(request(STREAM_MODEL))
        .await
        .expect("stream accepted");
    let pieces: Vec<String> = stream
        .map(|update| {
            update
                .expect("chunk")
                .content()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
        .await;
    assert_eq!(pieces.concat(), STREAM_PIECES.concat());
}

/// After shutdown: the three spans of [`calls`] inside [`HANDLER`] arrived
/// exactly once at Braintrust (as valid rows) and at the collector, with the
/// chats' parent the handler in both, and the service saw the same trace.
pub fn assert_delivered(sinks: &Sinks, server: &MockInferenceServer) {
    let rows = assert_braintrust_rows(&sinks.stand_in);
    let row = |name: &str| named_row(&rows, name);
    let spans = sinks.collector.spans();
    let names: Vec<_> = spans.iter().map(|s| s.span.name.clone()).collect();
    assert_eq!(spans.len(), ALL_SPANS.len(), "OTLP spans: {names:?}");
    for s in &spans {
        assert_eq!(s.path, "/v1/traces");
    }
    let span = |name: &str| named_span(&spans, name);

    let handler = span(HANDLER);
    assert_eq!(handler.scope, "tracing-opentelemetry");
    assert!(
        handler.span.parent_span_id.is_empty(),
        "the handler is a root"
    );
    // Both exporters saw the same span.
    assert_eq!(row(HANDLER)["span_id"], hex(&handler.span.span_id));
    assert_eq!(row(HANDLER)["root_span_id"], hex(&handler.span.trace_id));

    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one request per call");
    for (name, model) in [(PLAIN_SPAN, PLAIN_MODEL), (STREAM_SPAN, STREAM_MODEL)] {
        let chat = span(name);
        assert_eq!(chat.scope, env!("CARGO_PKG_NAME"));
        assert_eq!(chat.span.trace_id, handler.span.trace_id, "{name}");
        assert_eq!(
            hex(&chat.span.parent_span_id),
            hex(&handler.span.span_id),
            "{name}: OTLP parent"
        );
        assert_eq!(row(name)["span_id"], hex(&chat.span.span_id), "{name}");

        let request = requests
            .iter()
            .find(|r| r.json().is_some_and(|b| b["model"] == model))
            .unwrap_or_else(|| panic!("no request for {model}"));
        assert_eq!(
            request.header("traceparent"),
            Some(
                format!(
                    "00-{}-{}-01",
                    hex(&chat.span.trace_id),
                    hex(&chat.span.span_id)
                )
                .as_str()
            ),
            "{name}: the service joins the trace under the chat span"
        );
    }

    // Metrics went to the collector only (the stand-in has no route for
    // them, and `assert_braintrust_rows` found no unexpected request).
    assert_eq!(
        histogram_count(&sinks.collector, "gen_ai.client.operation.duration"),
        2,
        "one duration point per call"
    );
    assert_eq!(
        histogram_count(&sinks.collector, "gen_ai.client.token.usage"),
        4,
        "input and output tokens per call"
    );
}

/// The stand-in's rows for [`calls`] inside [`HANDLER`]: exactly three, each
/// valid and sent once, the chats' `span_parents` the handler's span id.
pub fn assert_braintrust_rows(stand_in: &StandIn) -> Vec<Value> {
    stand_in.assert_clean();
    assert_eq!(stand_in.unauthorized(), 0);
    assert_eq!(
        stand_in.project_names(),
        [PROJECT_NAME],
        "the project name is resolved once"
    );
    let inserts = stand_in.inserts();
    let project_id = project_id_for(PROJECT_NAME);
    for insert in &inserts {
        assert_eq!(insert.status, 200, "{inserts:?}");
        assert_eq!(insert.object_type, "project_logs");
        assert_eq!(insert.object_id, project_id);
    }
    assert_eq!(
        inserts.iter().map(|i| i.rows).sum::<usize>(),
        ALL_SPANS.len(),
        "each row sent exactly once: {inserts:?}"
    );

    let rows = stand_in.rows();
    let names: Vec<_> = rows
        .iter()
        .map(|r| r["span_attributes"]["name"].clone())
        .collect();
    assert_eq!(rows.len(), ALL_SPANS.len(), "rows: {names:?}");
    let handler = named_row(&rows, HANDLER);
    assert_eq!(handler["span_attributes"]["type"], "task");
    assert!(
        handler.get("span_parents").is_none(),
        "a root row has no parents: {handler:#}"
    );
    for name in [PLAIN_SPAN, STREAM_SPAN] {
        let chat = named_row(&rows, name);
        assert_eq!(chat["span_attributes"]["type"], "llm", "{name}");
        assert_eq!(chat["span_parents"], json!([handler["span_id"]]), "{name}");
        assert_eq!(chat["root_span_id"], handler["root_span_id"], "{name}");
        assert_eq!(chat["metadata"]["provider"], "azure", "{name}");
        assert!(chat["metrics"]["tokens"].as_i64().is_some(), "{chat:#}");
    }
    assert!(
        named_row(&rows, STREAM_SPAN)["metrics"]["time_to_first_token"].is_number(),
        "the streamed call reports its time to first token"
    );
    rows
}

/// The only row named `name`.
pub fn named_row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    let mut found = rows.iter().filter(|r| r["span_attributes"]["name"] == name);
    let row = found
        .next()
        .unwrap_or_else(|| panic!("no row named {name}"));
    assert!(found.next().is_none(), "two rows named {name}");
    row
}

/// The only span named `name`.
pub fn named_span<'a>(spans: &'a [CollectedSpan], name: &str) -> &'a CollectedSpan {
    let mut found = spans.iter().filter(|s| s.span.name == name);
    let span = found
        .next()
        .unwrap_or_else(|| panic!("no span named {name}"));
    assert!(found.next().is_none(), "two spans named {name}");
    span
}

/// Measurements in the histogram `name`, from the last metrics export
/// (cumulative, the OTLP default, so the last export holds them all).
pub fn histogram_count(collector: &OtlpCollector, name: &str) -> u64 {
    let mut last = None;
    for (_, request) in collector.metric_requests() {
        for rm in request.resource_metrics {
            for sm in rm.scope_metrics {
                for m in sm.metrics.into_iter().filter(|m| m.name == name) {
                    let Some(metric::Data::Histogram(h)) = m.data else {
                        panic!("{name} is not a histogram");
                    };
                    assert_eq!(
                        h.aggregation_temporality,
                        AggregationTemporality::Cumulative as i32,
                        "{name}: expected cumulative temporality"
                    );
                    last = Some(h.data_points.iter().map(|p| p.count).sum());
                }
            }
        }
    }
    last.unwrap_or_else(|| panic!("no {name} exported"))
}
