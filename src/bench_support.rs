//! Not API: the export-side encoders as the exporters run them, reachable
//! from `benches/export_encode.rs` so that the benchmark measures the
//! crate's own code path rather than a copy of it, and the chat span that
//! benchmark encodes. Hidden from the docs and free to change with any
//! release.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};

use crate::telemetry::{
    ChoiceRecord, Instrumentation, Operation, RequestAttributes, RequestParam, ResponseRecord,
    TelemetryOptions, UsageRecord,
};

use crate::exporters::braintrust::ResolvedConfig;
use crate::exporters::braintrust::transport::BraintrustSink;
use crate::exporters::braintrust::{BraintrustConfig, Parent};
use crate::exporters::delivery::{OtlpHttpSink, Sink};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One exporter sink's `encode` (OTLP: annotation, split by size,
/// protobuf; native Braintrust: rows, attachments converted, packed into
/// insert bodies), with nothing sent.
pub struct ExportEncoder {
    sink: EncoderSink,
}

enum EncoderSink {
    Otlp(OtlpHttpSink),
    Braintrust(BraintrustSink),
}

impl std::fmt::Debug for ExportEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportEncoder").finish_non_exhaustive()
    }
}

impl ExportEncoder {
    /// The collector path (`otlp`): no annotation, 4 MiB parts.
    pub fn otlp(resource: &Resource) -> Result<Self, BoxError> {
        let mut sink = OtlpHttpSink::new(
            "http://127.0.0.1:9/v1/traces".to_owned(),
            http::HeaderMap::new(),
            Duration::from_secs(1),
            4 * 1024 * 1024,
            usize::MAX,
            None,
        )?;
        sink.set_resource(resource);
        Ok(ExportEncoder {
            sink: EncoderSink::Otlp(sink),
        })
    }

    /// The native Braintrust path (`braintrust`): each span's row packed
    /// into `{"events":[...]}` bodies, with attachment conversion as the
    /// exporter has it by default (`attachments`) or off.
    pub fn braintrust(attachments: bool) -> Result<Self, BoxError> {
        let config = bench_config(attachments)?;
        let uploader = crate::exporters::braintrust::options::start_uploader(&config)?;
        let sink = BraintrustSink::new(&config)?.with_attachments(uploader);
        Ok(ExportEncoder {
            sink: EncoderSink::Braintrust(sink),
        })
    }

    /// The Braintrust OTLP path: Braintrust's annotation (the row as JSON
    /// attributes, attachment conversion on by default or off), then the
    /// same encoder.
    pub fn braintrust_otlp(resource: &Resource, attachments: bool) -> Result<Self, BoxError> {
        let config = bench_config(attachments)?;
        let uploader = crate::exporters::braintrust::options::start_uploader(&config)?;
        let (mut sink, _) = crate::exporters::braintrust::otlp::sink(&config, uploader)?;
        sink.set_resource(resource);
        Ok(ExportEncoder {
            sink: EncoderSink::Otlp(sink),
        })
    }

    /// Encodes one batch; returns the bytes of all its request bodies.
    pub fn encode(&self, spans: Vec<SpanData>) -> usize {
        match &self.sink {
            EncoderSink::Otlp(sink) => {
                let encoded = sink.encode(spans);
                encoded.requests.iter().map(|(body, _)| body.len()).sum()
            }
            EncoderSink::Braintrust(sink) => {
                let encoded = sink.encode(spans);
                encoded
                    .requests
                    .iter()
                    .map(|(batch, _)| batch.body.len())
                    .sum()
            }
        }
    }
}

/// The Braintrust configuration of both Braintrust encoders: a key, a
/// project, an address nothing is sent to, attachment conversion as asked
/// (on is the default), and no environment.
fn bench_config(attachments: bool) -> Result<ResolvedConfig, BoxError> {
    Ok(BraintrustConfig::new()
        .with_auto_convert_attachments(attachments)
        .with_api_key("bench-key")
        .with_api_url("http://127.0.0.1:9")
        .with_parent(Parent::ProjectName("bench".to_owned()))
        .resolve_with(&|_| Ok(None))?)
}

/// The request of [`chat_span`]:
/// `gpt-4o-mini`, `max_tokens` 256, `temperature` 0.2, `stop`.
pub fn chat_request(stop: &[String]) -> RequestAttributes<'_> {
    RequestAttributes::with_model(Some("gpt-4o-mini"))
        .with(RequestParam::MaxTokens, 256i64)
        .with(RequestParam::Temperature, 0.2)
        .with(RequestParam::Stop, stop)
}

/// One chat span as the client records it (`gpt-4o-mini` at
/// `example.services.ai.azure.com:443`, three request parameters, token
/// counts, one choice answering `answer`), content recorded or not (off
/// by default). Its times are fixed: the text of a time's digits varies
/// between runs, and a callgrind figure compares two runs. `None` only if
/// the SDK exported no span.
pub fn chat_span(content: bool, answer: &str) -> Option<SpanData> {
    let (recorder, inst) = Recorder::new(TelemetryOptions::new().with_content_recording(content));
    let stop = ["END".to_owned()];
    let mut span = inst.start(Operation::Chat, &chat_request(&stop));
    span.record_response(&ResponseRecord {
        id: Some("chatcmpl-123"),
        model: Some("gpt-4o-mini-2024-07-18"),
        usage: Some(UsageRecord::new(Some(42), Some(17))),
        choices: vec![ChoiceRecord {
            index: 0,
            finish_reason: Some("stop"),
            content: Some(answer),
            reasoning: None,
            tool_calls: vec![],
        }],
    });
    span.end();
    let mut span = recorder.finished().pop()?;
    span.start_time = UNIX_EPOCH + Duration::from_micros(1_764_633_600_123_456);
    span.end_time = span.start_time + Duration::from_micros(812_345);
    Some(span)
}

/// A tracer provider that keeps what it records, and an
/// [`Instrumentation`] on it as a client at `example.services.ai.azure.com`
/// builds one: where the benchmarks' recorded
/// spans come from.
#[derive(Debug)]
pub struct Recorder {
    provider: SdkTracerProvider,
    spans: Collected,
}

impl Recorder {
    /// `options` with the recorder's tracer provider, and the
    /// instrumentation built from them.
    pub fn new(options: TelemetryOptions) -> (Self, Instrumentation) {
        let spans = Collected::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        let options = options.with_tracer_provider(&provider);
        let inst = Instrumentation::new(&options, "example.services.ai.azure.com", 443);
        (Recorder { provider, spans }, inst)
    }

    /// The spans ended so far, in the order they ended; each is returned once.
    pub fn finished(&self) -> Vec<SpanData> {
        let _ = self.provider.force_flush();
        self.spans
            .0
            .lock()
            .map(|mut spans| std::mem::take(&mut *spans))
            .unwrap_or_default()
    }
}

/// The finished spans of a [`Recorder`]'s provider (the SDK's in-memory
/// exporter is behind its `testing` feature, which the library does not
/// turn on).
#[derive(Debug, Clone, Default)]
struct Collected(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Collected {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        if let Ok(mut spans) = self.0.lock() {
            spans.extend(batch);
        }
        std::future::ready(Ok(()))
    }
}
