//! What a client records and where it sends it.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use opentelemetry::InstrumentationScope;
use opentelemetry::StringValue;
use opentelemetry::global::BoxedTracer;
use opentelemetry::metrics::{Meter, MeterProvider};
use opentelemetry::trace::{Tracer, TracerProvider};

use super::semconv::{self, SemconvMode, Vocabulary};

/// The instrumentation scope of every span and metric this crate produces
/// with today's names: the crate's name and version, and the schema URL of
/// the conventions its names come from. One helper so tracer and meter
/// always agree; `instrumentation_scope_for` gives the newer names' scope.
pub fn instrumentation_scope() -> InstrumentationScope {
    instrumentation_scope_for(SemconvMode::Default)
}

/// The instrumentation scope in `mode`: the schema URL follows the
/// vocabulary (1.34.0 for today's names, 1.41.0 for the newer ones).
pub fn instrumentation_scope_for(mode: SemconvMode) -> InstrumentationScope {
    InstrumentationScope::builder(env!("CARGO_PKG_NAME"))
        .with_version(env!("CARGO_PKG_VERSION"))
        .with_schema_url(mode.vocabulary().schema_url)
        .build()
}

/// Both modes, indexed by `mode as usize`.
const MODES: [SemconvMode; 2] = [SemconvMode::Default, SemconvMode::LatestExperimental];

/// Telemetry settings for a client.
///
/// Defaults: the global tracer and meter providers, content recording off
/// unless `AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true`, today's
/// convention names unless `OTEL_SEMCONV_STABILITY_OPT_IN` contains
/// `gen_ai_latest_experimental`. An explicit setting here beats the variable.
///
/// The provider value (`gen_ai.system` = `az.ai.inference`, with the newer
/// names `gen_ai.provider.name` = `azure.ai.inference`) can be set with
/// [`with_provider`](Self::with_provider), for example to `azure.ai.openai`
/// for Azure OpenAI or `openai` for OpenAI itself; spans and metrics carry
/// it alike.
///
/// With the global providers, the tracer is looked up on every call (so a
/// pipeline installed after the client was built still gets its spans),
/// while metric instruments are created once when the client is built:
/// install the meter provider first.
#[derive(Clone, Default)]
pub struct TelemetryOptions {
    content_recording: Option<bool>,
    semconv_mode: Option<SemconvMode>,
    /// The provider value the caller chose, as given.
    provider: Option<Cow<'static, str>>,
    /// One tracer per mode (their scopes' schema URLs differ), since the
    /// mode may be chosen after the provider.
    tracer: Option<[Arc<BoxedTracer>; 2]>,
    /// One meter per mode, as for the tracers.
    meter: Option<[Meter; 2]>,
}

impl TelemetryOptions {
    /// The defaults described on the type.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records prompts and completions (`true`) or never does (`false`),
    /// whatever the environment says.
    pub fn with_content_recording(mut self, enabled: bool) -> Self {
        self.content_recording = Some(enabled);
        self
    }

    /// Chooses the convention names, whatever the environment says.
    pub fn with_semconv_mode(mut self, mode: SemconvMode) -> Self {
        self.semconv_mode = Some(mode);
        self
    }

    /// Names the GenAI provider on every span and metric point
    /// (`gen_ai.system`, or `gen_ai.provider.name` with the newer names)
    /// instead of Azure AI Inference, e.g. `azure.ai.openai` or `openai`.
    ///
    /// The value may be given in either vocabulary's spelling: the known
    /// pairs translate (`az.ai.inference` ↔ `azure.ai.inference`,
    /// `az.ai.openai` ↔ `azure.ai.openai`), so `azure.ai.openai` is `gen_ai.system` =
    /// `az.ai.openai` with today's names; any other value is written as
    /// given in both. An empty value keeps the default. The value is
    /// resolved once when a client (or the async-openai layer or the reqwest
    /// middleware, for each endpoint) is built, never per call.
    pub fn with_provider(mut self, provider: impl Into<Cow<'static, str>>) -> Self {
        let provider = provider.into();
        self.provider = (!provider.trim().is_empty()).then_some(provider);
        self
    }

    /// Sends spans to `provider` instead of the global tracer provider.
    pub fn with_tracer_provider<P>(mut self, provider: &P) -> Self
    where
        P: TracerProvider,
        P::Tracer: Send + Sync + 'static,
        <P::Tracer as Tracer>::Span: Send + Sync + 'static,
    {
        self.tracer = Some(MODES.map(|mode| {
            let tracer = provider.tracer_with_scope(instrumentation_scope_for(mode));
            Arc::new(BoxedTracer::new(Box::new(tracer)))
        }));
        self
    }

    /// Sends metrics to `provider` instead of the global meter provider.
    pub fn with_meter_provider<P: MeterProvider + ?Sized>(mut self, provider: &P) -> Self {
        self.meter =
            Some(MODES.map(|mode| provider.meter_with_scope(instrumentation_scope_for(mode))));
        self
    }

    /// Whether content is recorded: the option when set, else the variable.
    pub fn content_recording(&self) -> bool {
        self.content_recording.unwrap_or_else(|| {
            content_recording_from_env(
                std::env::var(semconv::CONTENT_RECORDING_ENV)
                    .ok()
                    .as_deref(),
            )
        })
    }

    /// The convention names in use: the option when set, else the variable.
    pub fn semconv_mode(&self) -> SemconvMode {
        self.semconv_mode.unwrap_or_else(SemconvMode::from_env)
    }

    /// The provider value in `vocabulary`: the one set with
    /// [`with_provider`](Self::with_provider), translated to the
    /// vocabulary's spelling when it is one of a known pair, else the
    /// vocabulary's own (`az.ai.inference` / `azure.ai.inference`). A
    /// constant unless the caller gave a value of its own making.
    pub(crate) fn provider_in(&self, vocabulary: &Vocabulary) -> StringValue {
        match &self.provider {
            None => vocabulary.system_value.into(),
            Some(value) => match vocabulary.provider_value(value) {
                Some(known) => known.into(),
                None => match value {
                    Cow::Borrowed(value) => StringValue::from(*value),
                    Cow::Owned(value) => StringValue::from(Arc::<str>::from(value.as_str())),
                },
            },
        }
    }

    pub(crate) fn tracer(&self) -> Option<&Arc<BoxedTracer>> {
        let mode = self.semconv_mode();
        self.tracer.as_ref()?.get(mode as usize)
    }

    /// The meter: the provider's given here, else the global provider's.
    ///
    /// Every point is recorded on it: the API cannot tell whether a
    /// provider records (the global default is a no-op whose instruments
    /// cost a call each), and guessing from the provider's type or size
    /// would drop the points of a provider that does.
    pub(crate) fn meter(&self) -> Meter {
        let mode = self.semconv_mode();
        if let Some(meter) = self
            .meter
            .as_ref()
            .and_then(|meters| meters.get(mode as usize).cloned())
        {
            return meter;
        }
        opentelemetry::global::meter_provider().meter_with_scope(instrumentation_scope_for(mode))
    }
}

/// `true` in any case turns recording on; anything else leaves it off.
fn content_recording_from_env(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

impl fmt::Debug for TelemetryOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryOptions")
            .field("content_recording", &self.content_recording)
            .field("semconv_mode", &self.semconv_mode)
            .field("provider", &self.provider)
            .field(
                "tracer",
                &if self.tracer.is_some() {
                    "custom"
                } else {
                    "global"
                },
            )
            .field(
                "meter",
                &if self.meter.is_some() {
                    "custom"
                } else {
                    "global"
                },
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_value_parsing() {
        assert!(content_recording_from_env(Some("TRUE")));
        assert!(content_recording_from_env(Some("true")));
        assert!(!content_recording_from_env(Some("1")));
        assert!(!content_recording_from_env(Some("false")));
        assert!(!content_recording_from_env(None));
    }

    #[test]
    fn explicit_option_wins() {
        let off = TelemetryOptions::new().with_content_recording(false);
        assert!(!off.content_recording());
        let on = TelemetryOptions::new().with_content_recording(true);
        assert!(on.content_recording());
    }

    #[test]
    fn provider_follows_the_vocabulary() {
        use semconv::{VOCABULARY_DEFAULT as DEFAULT, VOCABULARY_LATEST as LATEST};
        let value = |options: &TelemetryOptions, vocabulary| {
            options.provider_in(vocabulary).as_str().to_owned()
        };
        let unset = TelemetryOptions::new();
        assert_eq!(value(&unset, &DEFAULT), "az.ai.inference");
        assert_eq!(value(&unset, &LATEST), "azure.ai.inference");
        let openai = TelemetryOptions::new().with_provider(String::from("openai"));
        assert_eq!(value(&openai, &DEFAULT), "openai");
        assert_eq!(value(&openai, &LATEST), "openai");
        let azure_openai = TelemetryOptions::new().with_provider("azure.ai.openai");
        assert_eq!(value(&azure_openai, &DEFAULT), "az.ai.openai");
        assert_eq!(value(&azure_openai, &LATEST), "azure.ai.openai");
        let empty = TelemetryOptions::new().with_provider(" ");
        assert_eq!(value(&empty, &LATEST), "azure.ai.inference");
    }

    #[test]
    fn scope_names_the_crate() {
        let scope = instrumentation_scope();
        assert_eq!(scope.name(), "azure-ai-inference-otel");
        assert_eq!(scope.schema_url(), Some(semconv::SCHEMA_URL));
        let latest = instrumentation_scope_for(SemconvMode::LatestExperimental);
        assert_eq!(latest.schema_url(), Some(semconv::SCHEMA_URL_LATEST));
        for (i, mode) in MODES.into_iter().enumerate() {
            assert_eq!(mode as usize, i);
        }
    }
}
