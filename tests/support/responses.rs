//! The Responses API scenarios: a client pointed at the demo endpoint,
//! the one span of a call, and its Braintrust row on both paths (native
//! REST into the stand-in, schema-checked there; OTLP into the receiver,
//! its `braintrust.*` parts assembled and checked against the same schema).

use std::collections::HashMap;
use std::time::Duration;

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::client::{ClientOptions, Credential, ResponsesClient, RetryPolicy};
use azure_ai_inference_otel::exporters::braintrust::{
    BraintrustConfig, BraintrustExporter, BraintrustOtlpExporter, Parent,
};
use azure_ai_inference_otel::models::{ResponseStreamEvent, ResponsesOptions};
use azure_ai_inference_otel::telemetry::SemconvMode;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use futures::StreamExt;
use futures::executor::block_on;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use serde_json::{Value, json};

use super::braintrust_stand_in::{API_KEY, PROJECT_NAME, StandIn, fast_retries};
use super::client::{KEY, install_propagator};
use super::otlp_receiver::OtlpReceiver;
use super::schema::row_schema;
use super::telemetry::Harness;

/// How a scenario calls the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `create`.
    Plain,
    /// `create_streaming`, read to its end.
    Streamed,
    /// `create_streaming`, dropped after this many events.
    DroppedAfter(usize),
}

/// What one call gave: the answer or the error, the events of a stream,
/// and the one span.
pub struct Outcome {
    pub result: Result<(), Error>,
    pub events: Vec<ResponseStreamEvent>,
    pub span: SpanData,
    pub harness: Harness,
    pub server: MockInferenceServer,
}

pub fn client(
    server: &MockInferenceServer,
    h: &Harness,
    record: bool,
    mode: SemconvMode,
) -> ResponsesClient {
    install_propagator();
    let options = ClientOptions::new()
        .with_read_timeout(Duration::from_secs(10))
        .with_retry(RetryPolicy::none())
        .with_telemetry(h.options(record).with_semconv_mode(mode));
    ResponsesClient::new(
        server.endpoint(),
        Credential::api_key(KEY).unwrap(),
        Some(options),
    )
    .unwrap()
}

/// Runs `request` answered by `reply` as `call`, and returns the outcome
/// with exactly one finished span.
pub async fn run(
    reply: Reply,
    request: ResponsesOptions,
    call: Call,
    record: bool,
    mode: SemconvMode,
) -> Outcome {
    let server = MockInferenceServer::start().await.expect("server starts");
    server.enqueue(reply);
    let harness = Harness::new();
    let client = client(&server, &harness, record, mode);
    let mut events = Vec::new();
    let result = match call {
        Call::Plain => client.create(request).await.map(|_| ()),
        Call::Streamed | Call::DroppedAfter(_) => match client.create_streaming(request).await {
            Ok(mut stream) => {
                let limit = match call {
                    Call::DroppedAfter(n) => n,
                    _ => usize::MAX,
                };
                let mut result = Ok(());
                while events.len() < limit {
                    match stream.next().await {
                        Some(Ok(event)) => events.push(event),
                        Some(Err(error)) => {
                            result = Err(error);
                            assert!(
                                stream.next().await.is_none(),
                                "the stream ends after an error"
                            );
                            break;
                        }
                        None => break,
                    }
                }
                drop(stream);
                result
            }
            Err(error) => Err(error),
        },
    };
    let spans = harness.spans();
    assert_eq!(spans.len(), 1, "exactly one span: {spans:#?}");
    let span = spans.into_iter().next().unwrap();
    Outcome {
        result,
        events,
        span,
        harness,
        server,
    }
}

/// The span's row on both Braintrust paths: `(native, otlp)`, each valid
/// against the insert schema.
pub fn rows(span: &SpanData) -> (Value, Value) {
    let stand_in = StandIn::start();
    let exporter = BraintrustExporter::new(stand_in.config()).expect("native exporter");
    block_on(exporter.export(vec![span.clone()])).expect("native export");
    exporter.force_flush().expect("flush");
    let native = stand_in.rows();
    stand_in.assert_clean();
    assert_eq!(native.len(), 1, "{native:#?}");

    let receiver = OtlpReceiver::start();
    let config = BraintrustConfig::new()
        .with_api_key(API_KEY)
        .with_api_url(&receiver.url)
        .with_parent(Parent::ProjectName(PROJECT_NAME.to_owned()))
        .with_retry_policy(fast_retries());
    let otlp = BraintrustOtlpExporter::new(config).expect("otlp exporter");
    block_on(otlp.export(vec![span.clone()])).expect("otlp export");
    otlp.force_flush().expect("flush");
    let spans = receiver.spans();
    assert_eq!(spans.len(), 1);
    let parts: HashMap<String, Value> = spans[0]
        .attributes
        .iter()
        .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) if kv.key.starts_with("braintrust.") => Some((
                kv.key.clone(),
                serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
            )),
            _ => None,
        })
        .collect();
    let mut row = json!({"id": "otlp", "span_attributes": parts["braintrust.span_attributes"]});
    for (key, field) in [
        ("braintrust.input_json", "input"),
        ("braintrust.output_json", "output"),
        ("braintrust.metadata", "metadata"),
        ("braintrust.metrics", "metrics"),
    ] {
        if let Some(value) = parts.get(key) {
            row[field] = value.clone();
        }
    }
    row_schema().assert_valid(&row);
    (native.into_iter().next().unwrap(), row)
}
