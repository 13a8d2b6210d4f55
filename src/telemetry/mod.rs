//! The telemetry core: spans, events and metrics for GenAI operations.
//!
//! This module does not depend on the crate's HTTP client: any client can
//! produce the same `az.ai.inference` spans by describing its request with
//! `RequestAttributes` (the model and `RequestParams`, keyed by the one
//! parameter table `REQUEST_PARAMS`), starting an `OperationSpan` from an
//! `Instrumentation`, reporting the response with a `ResponseRecord`
//! (or, for streams, a `StreamAccumulator`) and a failure through the
//! `ErrorClass` view of its own error type.
//!
//! Recorded messages go through one typed model, `Message`, with both
//! encodings the crate needs (the chat wire shape and the semconv parts
//! shape); the Braintrust mapping reads recorded content back through it.
//!
//! ```
//! use azure_ai_inference_otel::telemetry::{
//!     ChoiceRecord, Instrumentation, Operation, RequestAttributes, RequestParam, ResponseRecord,
//!     TelemetryOptions, UsageRecord,
//! };
//!
//! let instrumentation = Instrumentation::new(&TelemetryOptions::new(), "example.services.ai.azure.com", 443);
//! let request = RequestAttributes::with_model(Some("gpt-4o-mini")).with(RequestParam::Temperature, 0.2);
//! let mut span = instrumentation.start(Operation::Chat, &request);
//! // ... send the request with `span.context()` injected, then:
//! span.record_response(&ResponseRecord {
//!     id: Some("chatcmpl-1"),
//!     model: Some("gpt-4o-mini"),
//!     usage: Some(UsageRecord::new(Some(12), Some(3))),
//!     choices: vec![ChoiceRecord { index: 0, finish_reason: Some("stop"), content: Some("Hi!"), reasoning: None, tool_calls: vec![] }],
//! });
//! span.end();
//! ```
//!
//! What is recorded is fixed by `semconv/registry.toml` (names in
//! `semconv`); content (prompts, completions, reasoning, tool names and
//! arguments) is recorded only when [`TelemetryOptions::content_recording`]
//! is on. Token details (cached and reasoning tokens) are rows of
//! `TOKEN_COUNTS`, recorded only when the service reports them. The newer
//! names follow semantic-conventions v1.41.0, and the instrumentation
//! scope's schema URL follows the vocabulary (`instrumentation_scope_for`).

// The recording core (spans, records, tables, messages, accumulation) is
// the clients' machinery, not API: crate-private, reached by this
// repository's tests and benchmarks through the `__internal` feature
// (without it, what only they use is neither reachable nor used).
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod accumulate;
mod content;
mod gaps;
mod intern;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod message;
mod metrics;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod options;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod params;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod record;
mod response_output;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod responses;
pub(crate) mod semconv;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod span;
#[cfg_attr(not(feature = "__internal"), allow(unreachable_pub, dead_code))]
mod token_counts;

pub use options::TelemetryOptions;
pub use semconv::SemconvMode;

internal_use!(accumulate::{
    Dropped, MAX_STREAM_CHOICES, MAX_STREAM_TOOL_CALLS, StreamAccumulator, ToolCallDelta,
});
pub(crate) use content::tool_definitions_to_wire;
internal_use!(message::{ContentKind, Message, MessagePart, Role, ToolCallPart});
internal_use!(options::{instrumentation_scope, instrumentation_scope_for});
internal_use!(params::{
    AttributeType, JsonParam, ParamSpec, ParamValue, REQUEST_PARAMS, RequestParam, RequestParams,
    TOKEN_COUNTS, TokenCount, TokenCountSpec, named_tool_choice,
});
internal_use!(record::{
    ChoiceRecord, ErrorClass, Operation, RequestAttributes, ResponseRecord, ToolCallRecord,
    UsageRecord,
});
internal_use!(responses::{
    ResponsesStreamRecorder, record_model_response, responses_request_attributes,
    start_responses_span,
});
internal_use!(span::{Instrumentation, MAX_MESSAGE_EVENTS, OperationSpan, StreamOutcome});
