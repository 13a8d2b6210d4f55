//! Not API: the export-side encoders as the exporters run them, reachable
//! from `benches/export_encode.rs` so that the benchmark measures the
//! crate's own code path rather than a copy of it. Hidden from the docs
//! and free to change with any release.

use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;

use crate::exporters::braintrust::transport::BraintrustSink;
use crate::exporters::braintrust::{BraintrustConfig, Parent};
use crate::exporters::delivery::{OtlpHttpSink, Sink};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One exporter sink's `encode` (OTLP: annotation, split by size,
/// protobuf; native Braintrust: rows packed into insert bodies), with
/// nothing sent.
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

    /// The native Braintrust path (`braintrust`): each span's row written
    /// as JSON and packed into `{"events":[...]}` bodies, as the exporter
    /// does without attachment conversion.
    pub fn braintrust() -> Result<Self, BoxError> {
        let config = BraintrustConfig::new()
            .with_api_key("bench-key")
            .with_api_url("http://127.0.0.1:9")
            .with_parent(Parent::ProjectName("bench".to_owned()))
            .resolve_with(&|_| Ok(None))?;
        let sink = BraintrustSink::new(&config)?;
        Ok(ExportEncoder {
            sink: EncoderSink::Braintrust(sink),
        })
    }

    /// The Braintrust OTLP path: Braintrust's annotation (the row as JSON
    /// attributes, no attachment conversion), then the same encoder.
    pub fn braintrust_otlp(resource: &Resource) -> Result<Self, BoxError> {
        let config = BraintrustConfig::new()
            .with_api_key("bench-key")
            .with_api_url("http://127.0.0.1:9")
            .with_parent(Parent::ProjectName("bench".to_owned()))
            .resolve_with(&|_| Ok(None))?;
        let (mut sink, _) = crate::exporters::braintrust::otlp::sink(&config, None)?;
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
