//! One CLIENT span per operation, ended exactly once on every path.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::global::{self, BoxedSpan, BoxedTracer};
use opentelemetry::trace::{Span, SpanBuilder, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Array, Context, InstrumentationScope, KeyValue, StringValue, Value};

use super::accumulate::StreamAccumulator;
use super::content;
use super::gaps::ChunkGaps;
use super::intern::{finish_reason_value, intern, span_name};
use super::metrics::{Instruments, Measurement};
use super::options::{TelemetryOptions, instrumentation_scope_for};
use super::params::TOKEN_COUNTS;
use super::record::{ChoiceRecord, ErrorClass, Operation, RequestAttributes, ResponseRecord};
use super::semconv::{self as sc, ContentForm, Vocabulary};

/// A client's resolved telemetry: tracer, instruments, content switch,
/// vocabulary and server attributes, computed once when the client is built
/// and shared by all its calls (cloning is an `Arc` bump).
#[derive(Clone, Debug)]
pub struct Instrumentation {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tracer: Option<Arc<BoxedTracer>>,
    record_content: bool,
    vocabulary: &'static Vocabulary,
    /// The provider value in the vocabulary, resolved once
    /// ([`TelemetryOptions::provider_in`]).
    provider: StringValue,
    server_address: StringValue,
    server_port: Option<i64>,
    instruments: Instruments,
}

/// The global tracer's scope in `mode` (built once per mode).
fn scope(mode: sc::SemconvMode) -> InstrumentationScope {
    static SCOPES: [OnceLock<InstrumentationScope>; 2] = [OnceLock::new(), OnceLock::new()];
    match SCOPES.get(mode as usize) {
        Some(cell) => cell.get_or_init(|| instrumentation_scope_for(mode)).clone(),
        None => instrumentation_scope_for(mode),
    }
}

impl Instrumentation {
    /// Resolves `options` for a client talking to `server_address:server_port`.
    /// `server.port` is recorded only when it is not 443.
    pub fn new(options: &TelemetryOptions, server_address: &str, server_port: u16) -> Self {
        let vocabulary = options.semconv_mode().vocabulary();
        let meter = options.meter();
        let provider = options.provider_in(vocabulary);
        Instrumentation {
            inner: Arc::new(Inner {
                tracer: options.tracer().cloned(),
                record_content: options.content_recording(),
                vocabulary,
                instruments: Instruments::new(
                    &meter,
                    KeyValue::new(vocabulary.system_key, provider.clone()),
                    server_attributes(server_address, server_port),
                ),
                provider,
                server_address: StringValue::from(Arc::<str>::from(server_address)),
                server_port: (server_port != 443).then_some(i64::from(server_port)),
            }),
        }
    }

    /// The provider value its spans and metric points carry.
    pub fn provider(&self) -> &str {
        self.inner.provider.as_str()
    }

    /// Whether prompts and completions are recorded.
    pub fn records_content(&self) -> bool {
        self.inner.record_content
    }

    /// The convention names in use.
    pub fn vocabulary(&self) -> &'static Vocabulary {
        self.inner.vocabulary
    }

    /// Starts the span of an operation under the current OpenTelemetry
    /// context (which is the active `tracing` span's when the
    /// tracing-opentelemetry layer is installed).
    pub fn start(&self, operation: Operation, request: &RequestAttributes<'_>) -> OperationSpan {
        self.start_with_parent(operation, request, &Context::current())
    }

    /// Starts the span of an operation under an explicit parent context.
    pub fn start_with_parent(
        &self,
        operation: Operation,
        request: &RequestAttributes<'_>,
        parent: &Context,
    ) -> OperationSpan {
        let inner = &*self.inner;
        let vocab = inner.vocabulary;
        let (name, request_model) = span_name(operation, request.model);

        let mut attrs = Vec::with_capacity(16);
        attrs.push(KeyValue::new(vocab.system_key, inner.provider.clone()));
        attrs.push(KeyValue::new(sc::GEN_AI_OPERATION_NAME, operation.name()));
        if let Some(model) = &request_model {
            attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_MODEL, model.clone()));
        }
        attrs.push(KeyValue::new(
            sc::SERVER_ADDRESS,
            inner.server_address.clone(),
        ));
        if let Some(port) = inner.server_port {
            attrs.push(KeyValue::new(sc::SERVER_PORT, port));
        }
        attrs.push(KeyValue::new(vocab.namespace_key, vocab.namespace_value));
        if let Some(api_type) = request.openai_api_type {
            attrs.push(KeyValue::new(sc::OPENAI_API_TYPE, api_type));
        }
        for (spec, value) in request.params.iter() {
            if let (Some(key), Some(value)) = (spec.key_in(vocab), spec.attribute_value(value)) {
                attrs.push(KeyValue::new(key, value));
            }
        }

        let builder = SpanBuilder::from_name(name)
            .with_kind(SpanKind::Client)
            .with_attributes(attrs);
        let span = match &inner.tracer {
            Some(tracer) => tracer.build_with_context(builder, parent),
            None => {
                global::tracer_with_scope(scope(vocab.mode)).build_with_context(builder, parent)
            }
        };
        OperationSpan {
            span,
            instrumentation: self.clone(),
            parent: parent.clone(),
            operation,
            request_model,
            response_model: None,
            usage: None,
            started: Instant::now(),
            last_event: SystemTime::UNIX_EPOCH,
            first_chunk: None,
            last_chunk: None,
            chunk_gaps: ChunkGaps::new(),
            zero_gaps: 0,
            resends: 0,
            ended: false,
        }
    }
}

/// `server.address`, and `server.port` when it is not 443.
fn server_attributes(address: &str, port: u16) -> Vec<KeyValue> {
    let mut attrs = vec![KeyValue::new(
        sc::SERVER_ADDRESS,
        StringValue::from(Arc::<str>::from(address)),
    )];
    if port != 443 {
        attrs.push(KeyValue::new(sc::SERVER_PORT, i64::from(port)));
    }
    attrs
}

/// The most request-message events one span records (today's names,
/// content recording on). The SDK keeps the first 128 events of a span and
/// drops later ones; capping the message events leaves 28 for what comes
/// after them (choice events, per-attempt events, the `exception` event).
pub const MAX_MESSAGE_EVENTS: usize = 100;

/// How a streamed response ended, for [`OperationSpan::finish_stream`].
#[derive(Clone, Copy)]
pub enum StreamOutcome<'a> {
    /// `data: [DONE]`, or the body ended with every choice finished.
    Completed,
    /// The stream failed (including truncation) with this error.
    Failed(&'a dyn ErrorClass),
    /// The caller dropped the stream before it completed.
    Cancelled,
}

/// The span of one operation in flight.
///
/// End it with [`end`](Self::end), [`fail`](Self::fail) or
/// [`finish_stream`](Self::finish_stream); each consumes it, so it ends
/// exactly once. Dropped without either (the caller dropped the future or the
/// stream), it ends with `error.type` = `cancelled`.
///
/// Limits: with today's names and content recording on, at most
/// [`MAX_MESSAGE_EVENTS`] request messages become events (the first and the
/// latest ones; how many were left out is the
/// `az.ai.inference.message_events.omitted` attribute), so the choice events
/// and the `exception` event fit under the SDK's default limit of 128 events
/// per span, whatever provider the caller uses.
#[derive(Debug)]
pub struct OperationSpan {
    span: BoxedSpan,
    instrumentation: Instrumentation,
    parent: Context,
    operation: Operation,
    request_model: Option<StringValue>,
    response_model: Option<StringValue>,
    usage: Option<crate::telemetry::UsageRecord>,
    started: Instant,
    last_event: SystemTime,
    first_chunk: Option<Duration>,
    last_chunk: Option<Instant>,
    /// The gaps between chunks, in seconds, but those of zero (bounded
    /// memory, however long the stream).
    chunk_gaps: ChunkGaps,
    /// How many gaps were zero (chunks of the read before them).
    zero_gaps: u64,
    /// Attempts sent again after a failure (`http.request.resend_count`).
    resends: u32,
    ended: bool,
}

impl OperationSpan {
    /// Whether prompts and completions are recorded on this span.
    pub fn records_content(&self) -> bool {
        self.instrumentation.inner.record_content && self.span.is_recording()
    }

    /// The parent context with this span in it: inject it into the outgoing
    /// request (`traceparent`) so server-side telemetry joins the trace.
    pub fn context(&self) -> Context {
        self.parent
            .with_remote_span_context(self.span.span_context().clone())
    }

    /// Event timestamps strictly increase even when the clock does not move.
    fn next_timestamp(&mut self) -> SystemTime {
        let now = SystemTime::now();
        self.last_event = if now > self.last_event {
            now
        } else {
            self.last_event + Duration::from_nanos(1)
        };
        self.last_event
    }

    fn add_content_event(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        body: impl Into<Cow<'static, str>>,
    ) {
        let inner = &*self.instrumentation.inner;
        let provider = KeyValue::new(inner.vocabulary.system_key, inner.provider.clone());
        let timestamp = self.next_timestamp();
        self.span.add_event_with_timestamp(
            name,
            timestamp,
            vec![
                provider,
                KeyValue::new(sc::GEN_AI_EVENT_CONTENT, body.into()),
            ],
        );
    }

    /// Records the request messages, each as `(role, message)` where the
    /// message serializes to its wire form (`{"role":..,"content":..}`; a
    /// `serde_json::Value` works too). With today's names each becomes a
    /// `gen_ai.{role}.message` event in wire field order; with the newer names
    /// they become the `gen_ai.input.messages` attribute. Does nothing unless
    /// content recording is on, so nothing is serialized when it is off.
    pub fn record_input_messages<'m, M>(
        &mut self,
        messages: impl IntoIterator<Item = (&'m str, &'m M)>,
    ) where
        M: serde::Serialize + ?Sized + 'm,
    {
        if !self.records_content() {
            return;
        }
        match self.instrumentation.inner.vocabulary.content {
            ContentForm::Events => {
                // Only pointers are collected: the count decides what is left out.
                let messages: Vec<(&str, &M)> = messages.into_iter().collect();
                // Keep the first message (usually the instructions) and the
                // latest ones; leave out the oldest turns in between.
                let omitted = messages.len().saturating_sub(MAX_MESSAGE_EVENTS);
                for (i, (role, message)) in messages.into_iter().enumerate() {
                    if i != 0 && i <= omitted {
                        continue;
                    }
                    let body = serde_json::to_string(message).unwrap_or_default();
                    self.add_content_event(sc::message_event_name(role), body);
                }
                if omitted > 0 {
                    self.span.set_attribute(KeyValue::new(
                        sc::AZ_AI_INFERENCE_MESSAGE_EVENTS_OMITTED,
                        i64::try_from(omitted).unwrap_or(i64::MAX),
                    ));
                }
            }
            ContentForm::Attributes => {
                let values: Vec<serde_json::Value> = messages
                    .into_iter()
                    .filter_map(|(_, m)| serde_json::to_value(m).ok())
                    .collect();
                let body = content::input_messages(&values);
                self.span
                    .set_attribute(KeyValue::new(sc::GEN_AI_INPUT_MESSAGES, body));
            }
        }
    }

    /// Records the request's `tools` array as compact JSON (content
    /// recording only; nothing is serialized otherwise): the wire shape with
    /// today's names, the conventions' `{"type","name","description","parameters"}`
    /// with the newer ones.
    pub fn record_tool_definitions<T: serde::Serialize + ?Sized>(&mut self, tools: &T) {
        if self.records_content() {
            let body = match self.instrumentation.inner.vocabulary.content {
                ContentForm::Events => serde_json::to_string(tools).unwrap_or_default(),
                ContentForm::Attributes => serde_json::to_value(tools)
                    .map(|tools| content::tool_definitions(&tools))
                    .unwrap_or_default(),
            };
            self.span
                .set_attribute(KeyValue::new(sc::GEN_AI_TOOL_DEFINITIONS, body));
        }
    }

    /// Embeddings, content recording only: the text inputs, in request
    /// order, as a compact JSON array of strings (the Braintrust row's
    /// `input.inputs`). Nothing is serialized when recording is off.
    pub fn record_embeddings_inputs(&mut self, inputs: &[String]) {
        if self.records_content() {
            let body = serde_json::to_string(inputs).unwrap_or_default();
            self.span
                .set_attribute(KeyValue::new(sc::AZ_AI_INFERENCE_EMBEDDINGS_INPUTS, body));
        }
    }

    /// Embeddings: how many vectors the answer holds, and their size
    /// (`gen_ai.embeddings.dimension.count`) when the request set no
    /// `dimensions` (the request's value was recorded at the start).
    pub fn record_embeddings_answer(&mut self, count: usize, dimensions: Option<usize>) {
        self.span.set_attribute(KeyValue::new(
            sc::AZ_AI_INFERENCE_EMBEDDINGS_COUNT,
            i64::try_from(count).unwrap_or(i64::MAX),
        ));
        if let Some(dimensions) = dimensions {
            self.span.set_attribute(KeyValue::new(
                sc::GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
                i64::try_from(dimensions).unwrap_or(i64::MAX),
            ));
        }
    }

    /// Embeddings: the requested vector size, as
    /// `gen_ai.embeddings.dimension.count` (so a failed call carries it too).
    pub fn record_embeddings_dimensions(&mut self, dimensions: u32) {
        self.span.set_attribute(KeyValue::new(
            sc::GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
            i64::from(dimensions),
        ));
    }

    /// Marks the arrival of a streamed chunk now: the first sets the time
    /// to first chunk, later ones add a time-per-chunk point.
    pub fn record_chunk(&mut self) {
        self.record_chunk_at(Instant::now());
    }

    /// [`record_chunk`](Self::record_chunk) for a chunk that arrived at
    /// `at` (the read that brought its bytes); a time before the previous
    /// chunk's counts as no gap.
    #[inline]
    pub fn record_chunk_at(&mut self, at: Instant) {
        match self.last_chunk {
            None => {
                self.first_chunk = Some(at.saturating_duration_since(self.started));
                self.last_chunk = Some(at);
            }
            // Events one read completed arrived together: counted, not
            // subtracted and stored (the subtraction, its conversion and the
            // push were about 110 instructions per chunk, callgrind; now about
            // 10). The points are the same: the zeros are recorded last.
            Some(previous) if at <= previous => self.zero_gaps += 1,
            Some(previous) => {
                self.chunk_gaps.push((at - previous).as_secs_f64());
                self.last_chunk = Some(at);
            }
        }
    }

    /// Records a response: id, model, finish reasons, usage and the
    /// choices: one `gen_ai.choice` event per choice with today's names,
    /// `gen_ai.output.messages` (content recording only, no event) with the
    /// newer ones. A choice without a finish reason is reported as `error`.
    pub fn record_response(&mut self, response: &ResponseRecord<'_>) {
        self.record_response_as(response, sc::FINISH_REASON_ERROR);
    }

    fn record_response_as(&mut self, response: &ResponseRecord<'_>, unfinished_event: &str) {
        // Metrics need the model and usage whether or not the span records.
        if let Some(model) = response.model {
            self.response_model = Some(match intern(&[model]) {
                Some(model) => StringValue::from(model),
                None => StringValue::from(Arc::<str>::from(model)),
            });
        }
        if response.usage.is_some() {
            self.usage = response.usage;
        }
        // A span that is not recording (no SDK installed, or sampled out)
        // would drop everything below: skip building it.
        if !self.span.is_recording() {
            return;
        }
        if let Some(id) = response.id {
            self.span
                .set_attribute(KeyValue::new(sc::GEN_AI_RESPONSE_ID, id.to_owned()));
        }
        if let Some(model) = &self.response_model {
            self.span
                .set_attribute(KeyValue::new(sc::GEN_AI_RESPONSE_MODEL, model.clone()));
        }
        if let Some(usage) = response.usage {
            for spec in TOKEN_COUNTS {
                if let Some(n) = usage.get(spec.count) {
                    self.span
                        .set_attribute(KeyValue::new(spec.key, saturating_i64(n)));
                }
            }
        }
        if response.choices.is_empty() {
            return;
        }
        // Choices in index order; a sorted copy only when they are not
        // (the usual single choice costs no allocation).
        let sorted: Option<Vec<&ChoiceRecord<'_>>> =
            (!response.choices.is_sorted_by_key(|c| c.index)).then(|| {
                let mut sorted: Vec<_> = response.choices.iter().collect();
                sorted.sort_by_key(|c| c.index);
                sorted
            });
        let n = response.choices.len();
        let choice = |i: usize| match &sorted {
            Some(sorted) => sorted[i],
            None => &response.choices[i],
        };
        let reasons = (0..n)
            .map(|i| {
                finish_reason_value(choice(i).finish_reason.unwrap_or(sc::FINISH_REASON_ERROR))
            })
            .collect();
        self.span.set_attribute(KeyValue::new(
            sc::GEN_AI_RESPONSE_FINISH_REASONS,
            Value::Array(Array::String(reasons)),
        ));
        let record = self.records_content();
        match self.instrumentation.inner.vocabulary.content {
            // Today's names: one `gen_ai.choice` event per choice, content
            // only with recording on.
            ContentForm::Events => {
                for i in 0..n {
                    let body = content::choice_event(choice(i), record, unfinished_event);
                    self.add_content_event(sc::EVENT_CHOICE, body);
                }
            }
            // The newer names (v1.41 deprecates `gen_ai.choice`): the finish
            // reasons above, and the content, with recording on, in
            // `gen_ai.output.messages`. No event.
            ContentForm::Attributes if record => {
                let choices: Vec<_> = (0..n).map(choice).collect();
                let body = content::output_messages(&choices, unfinished_event);
                self.span
                    .set_attribute(KeyValue::new(sc::GEN_AI_OUTPUT_MESSAGES, body));
            }
            ContentForm::Attributes => {}
        }
    }

    /// Ends the span as a success.
    pub fn end(mut self) {
        self.finish(None);
    }

    /// Records the failure of an attempt that is about to be sent again:
    /// one `az.ai.inference.retry` event with its `error.type`, its
    /// `http.response.status_code` when it got one, and the number of the
    /// retry it leads to (`http.request.resend_count`); the span gets the
    /// total as `http.request.resend_count` when it ends. Nothing of what the
    /// service said is recorded.
    pub fn record_retry(&mut self, failure: &dyn ErrorClass) {
        self.resends = self.resends.saturating_add(1);
        if !self.span.is_recording() {
            return;
        }
        let mut attributes = Vec::with_capacity(3);
        attributes.push(KeyValue::new(sc::ERROR_TYPE, failure.error_type()));
        if let Some(status) = failure.http_status() {
            attributes.push(KeyValue::new(
                sc::HTTP_RESPONSE_STATUS_CODE,
                i64::from(status),
            ));
        }
        attributes.push(KeyValue::new(
            sc::HTTP_REQUEST_RESEND_COUNT,
            i64::from(self.resends),
        ));
        let timestamp = self.next_timestamp();
        self.span
            .add_event_with_timestamp(sc::EVENT_RETRY, timestamp, attributes);
    }

    /// Records the service's request id (`az.service_request_id`, or
    /// `azure.service.request.id` with the newer names); a later attempt's
    /// id replaces an earlier one's.
    pub fn record_request_id(&mut self, id: &str) {
        if !self.span.is_recording() {
            return;
        }
        let key = self.instrumentation.inner.vocabulary.request_id_key;
        self.span.set_attribute(KeyValue::new(key, id.to_owned()));
    }

    /// Ends the span as a failure: status Error, `error.type`, an
    /// `exception` event, all from the content-free `ErrorClass` view
    /// (this crate's [`Error`](crate::Error) is one).
    pub fn fail(mut self, error: &dyn ErrorClass) {
        self.finish(Some(error));
    }

    /// Ends the span of a streamed response from what `accumulator`
    /// gathered: the response is recorded (unfinished choices as `error`, or
    /// `cancelled` in choice events when the caller dropped the stream) and
    /// the span ends as success, failure or cancellation.
    pub fn finish_stream(mut self, accumulator: &StreamAccumulator, outcome: StreamOutcome<'_>) {
        let dropped = accumulator.dropped();
        for (key, count) in [
            (
                sc::AZ_AI_INFERENCE_RESPONSE_DROPPED_CHOICE_DELTAS,
                dropped.choice_deltas,
            ),
            (
                sc::AZ_AI_INFERENCE_RESPONSE_DROPPED_TOOL_CALL_DELTAS,
                dropped.tool_call_deltas,
            ),
        ] {
            if count > 0 {
                let count = i64::try_from(count).unwrap_or(i64::MAX);
                self.span.set_attribute(KeyValue::new(key, count));
            }
        }
        self.finish_response(accumulator.response(), outcome);
    }

    /// Ends the span of a streamed response from what was gathered of it
    /// (any stream's accumulation: chat's `StreamAccumulator`, the
    /// Responses API's recorder): the response is recorded (unfinished
    /// choices as `error`, or `cancelled` in choice events when the caller
    /// dropped the stream; no choice at all counts as one unfinished) and
    /// the span ends as success, failure or cancellation.
    pub fn finish_response(mut self, mut response: ResponseRecord<'_>, outcome: StreamOutcome<'_>) {
        if response.choices.is_empty() && !matches!(outcome, StreamOutcome::Completed) {
            // The caller was waiting for a choice that never came.
            response.choices.push(crate::telemetry::ChoiceRecord {
                index: 0,
                finish_reason: None,
                content: None,
                reasoning: None,
                tool_calls: Vec::new(),
            });
        }
        match outcome {
            StreamOutcome::Completed => {
                self.record_response_as(&response, sc::FINISH_REASON_ERROR);
                self.finish(None);
            }
            StreamOutcome::Failed(error) => {
                self.record_response_as(&response, sc::FINISH_REASON_ERROR);
                self.fail(error);
            }
            StreamOutcome::Cancelled => {
                self.record_response_as(&response, sc::ERROR_CANCELLED);
                self.finish(Some(&Cancellation));
            }
        }
    }

    /// Sets an attribute when the span records (content attributes: the
    /// caller checks [`records_content`](Self::records_content) first).
    pub(crate) fn record_attribute(&mut self, attribute: KeyValue) {
        if self.span.is_recording() {
            self.span.set_attribute(attribute);
        }
    }

    /// The convention names this span uses.
    pub(crate) fn vocabulary(&self) -> &'static sc::Vocabulary {
        self.instrumentation.inner.vocabulary
    }

    fn finish(&mut self, failure: Option<&dyn ErrorClass>) {
        if self.ended {
            return;
        }
        self.ended = true;
        if self.resends > 0 {
            self.span.set_attribute(KeyValue::new(
                sc::HTTP_REQUEST_RESEND_COUNT,
                i64::from(self.resends),
            ));
        }
        let ttfc = self.first_chunk.map(|d| d.as_secs_f64());
        if let Some(ttfc) = ttfc {
            self.span
                .set_attribute(KeyValue::new(sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttfc));
        }
        let error_type = failure.map(|f| f.error_type());
        if let (Some(failure), Some(error_type)) = (failure, &error_type) {
            let description = failure.description();
            self.span
                .set_attribute(KeyValue::new(sc::ERROR_TYPE, error_type.clone()));
            let timestamp = self.next_timestamp();
            self.span.add_event_with_timestamp(
                sc::EVENT_EXCEPTION,
                timestamp,
                vec![
                    KeyValue::new(sc::EXCEPTION_TYPE, failure.exception_type()),
                    KeyValue::new(sc::EXCEPTION_MESSAGE, description.clone()),
                ],
            );
            self.span.set_status(Status::error(description));
        }
        self.record_metrics(error_type, ttfc);
        let end = SystemTime::now().max(self.last_event);
        self.span.end_with_timestamp(end);
    }

    fn record_metrics(&mut self, error_type: Option<Cow<'static, str>>, ttfc: Option<f64>) {
        self.instrumentation.inner.instruments.record(Measurement {
            operation: self.operation_name(),
            request_model: self.request_model.as_ref(),
            response_model: self.response_model.as_ref(),
            duration: self.started.elapsed().as_secs_f64(),
            error_type,
            usage: self.usage,
            time_to_first_chunk: ttfc,
            chunk_gaps: &self.chunk_gaps,
            zero_gaps: self.zero_gaps,
        });
    }

    fn operation_name(&self) -> &'static str {
        self.operation.name()
    }
}

impl Drop for OperationSpan {
    fn drop(&mut self) {
        if !self.ended {
            self.finish(Some(&Cancellation));
        }
    }
}

/// The failure of an operation the caller dropped before it completed.
struct Cancellation;

impl ErrorClass for Cancellation {
    fn error_type(&self) -> Cow<'static, str> {
        sc::ERROR_CANCELLED.into()
    }

    fn description(&self) -> Cow<'static, str> {
        "cancelled: the caller dropped the call before it completed".into()
    }
}

impl std::fmt::Debug for StreamOutcome<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamOutcome::Completed => f.write_str("Completed"),
            StreamOutcome::Failed(error) => write!(f, "Failed({})", error.error_type()),
            StreamOutcome::Cancelled => f.write_str("Cancelled"),
        }
    }
}

fn saturating_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
