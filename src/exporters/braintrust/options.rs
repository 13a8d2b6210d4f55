//! What the Braintrust exporters do to spans before they become rows, and
//! its settings: the AI-span filter (`filter`) and the
//! attachment conversion (`attachments`).
//!
//! | setting | code | environment variable | default |
//! |---|---|---|---|
//! | keep only AI spans | [`with_filter_ai_spans`](BraintrustConfig::with_filter_ai_spans) | `BRAINTRUST_FILTER_AI_SPANS` (or `BRAINTRUST_OTEL_FILTER_AI_SPANS`) | off |
//! | custom span filter | [`with_span_filter`](BraintrustConfig::with_span_filter) | none | none |
//! | upload inline media as attachments | [`with_auto_convert_attachments`](BraintrustConfig::with_auto_convert_attachments) | `BRAINTRUST_AUTO_CONVERT_AI_ATTACHMENTS` | on |
//!
//! Boolean variables take `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`
//! (any case); anything else is a build error naming the variable.

use std::fmt;
use std::sync::Arc;

use opentelemetry_sdk::trace::SpanData;

use super::attachments::{Uploader, UploaderConfig};
use super::config::{BraintrustBuildError, BraintrustConfig, ResolvedConfig};
use super::filter::SpanFilter;
use crate::exporters::delivery::{
    DeliveryConfig, DeliveryProcessor, KeepFn, ProcessorHooks, Sink, ThenFlushFn,
};

/// `true`: only AI spans (and each trace's local root) reach Braintrust.
/// Same variable as Braintrust's SDKs.
pub(crate) const BRAINTRUST_FILTER_AI_SPANS: &str = "BRAINTRUST_FILTER_AI_SPANS";
/// The name Braintrust's OpenTelemetry integrations also read; used when
/// `BRAINTRUST_FILTER_AI_SPANS` is unset.
pub(crate) const BRAINTRUST_OTEL_FILTER_AI_SPANS: &str = "BRAINTRUST_OTEL_FILTER_AI_SPANS";
/// `false`: inline base64 media stays in the rows instead of being uploaded
/// as attachments. Same variable as Braintrust's SDKs.
pub(crate) const BRAINTRUST_AUTO_CONVERT_AI_ATTACHMENTS: &str =
    "BRAINTRUST_AUTO_CONVERT_AI_ATTACHMENTS";

/// A custom span filter, as [`BraintrustConfig::with_span_filter`] takes it.
pub(crate) type SpanFilterFn = dyn Fn(&SpanData) -> Option<bool> + Send + Sync;

/// The code-set row options of a [`BraintrustConfig`].
#[derive(Clone, Default)]
pub(crate) struct RowOptions {
    filter_ai_spans: Option<bool>,
    span_filter: Option<Arc<SpanFilterFn>>,
    attachments: Option<bool>,
}

impl fmt::Debug for RowOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowOptions")
            .field("filter_ai_spans", &self.filter_ai_spans)
            .field("span_filter", &self.span_filter.as_ref().map(|_| "<fn>"))
            .field("attachments", &self.attachments)
            .finish()
    }
}

/// The resolved row options.
#[derive(Clone, Debug)]
pub(crate) struct ResolvedRowOptions {
    pub(crate) filter: SpanFilter,
    pub(crate) attachments: bool,
}

impl RowOptions {
    /// What `from_env` read, as if set in code.
    pub(crate) fn from_resolved(resolved: &ResolvedRowOptions) -> Self {
        RowOptions {
            filter_ai_spans: Some(resolved.filter.ai_only()),
            span_filter: None,
            attachments: Some(resolved.attachments),
        }
    }

    pub(crate) fn resolve(
        &self,
        env: &dyn Fn(&'static str) -> Result<Option<String>, BraintrustBuildError>,
    ) -> Result<ResolvedRowOptions, BraintrustBuildError> {
        let ai_only = match self.filter_ai_spans {
            Some(on) => on,
            None => match flag(env, BRAINTRUST_FILTER_AI_SPANS)? {
                Some(on) => on,
                None => flag(env, BRAINTRUST_OTEL_FILTER_AI_SPANS)?.unwrap_or(false),
            },
        };
        let attachments = match self.attachments {
            Some(on) => on,
            None => flag(env, BRAINTRUST_AUTO_CONVERT_AI_ATTACHMENTS)?.unwrap_or(true),
        };
        Ok(ResolvedRowOptions {
            filter: SpanFilter::new(ai_only, self.span_filter.clone()),
            attachments,
        })
    }
}

fn flag(
    env: &dyn Fn(&'static str) -> Result<Option<String>, BraintrustBuildError>,
    name: &'static str,
) -> Result<Option<bool>, BraintrustBuildError> {
    let Some(text) = env(name)? else {
        return Ok(None);
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(Some(true)),
        "false" | "0" | "no" | "off" => Ok(Some(false)),
        _ => Err(BraintrustBuildError::InvalidOption {
            option: name,
            reason: "takes true or false",
        }),
    }
}

/// The attachment uploader of an exporter path, when conversion is on.
pub(crate) fn start_uploader(
    config: &ResolvedConfig,
) -> Result<Option<Arc<Uploader>>, BraintrustBuildError> {
    if !config.rows.attachments {
        return Ok(None);
    }
    Uploader::start(UploaderConfig::new(
        config.api_url.clone(),
        config.api_key.clone(),
        config.upload_retry,
        config.request_timeout,
    ))
    .map(|u| Some(Arc::new(u)))
    .map_err(BraintrustBuildError::Worker)
}

/// The filter and the uploads-after-rows flush as delivery-processor hooks.
fn path_hooks(filter: &SpanFilter, uploader: Option<&Arc<Uploader>>) -> ProcessorHooks {
    let keep = filter.is_active().then(|| {
        let filter = filter.clone();
        Arc::new(move |span: &SpanData| filter.keeps(span)) as KeepFn
    });
    let then_flush = uploader.map(|uploader| {
        let uploader = Arc::clone(uploader);
        Arc::new(move |left: std::time::Duration| uploader.flush(crate::net::deadline_in(left)))
            as ThenFlushFn
    });
    ProcessorHooks { keep, then_flush }
}

/// `processor` of both Braintrust exporters: the config resolved, its
/// uploader started, the path's sink (`sink`, given the uploader) behind a
/// [`DeliveryProcessor`] with the filter and the uploads-after-rows flush as
/// hooks.
pub(crate) fn processor<S: Sink>(
    config: BraintrustConfig,
    delivery: DeliveryConfig,
    name: &'static str,
    sink: impl FnOnce(&ResolvedConfig, Option<Arc<Uploader>>) -> Result<S, BraintrustBuildError>,
) -> Result<DeliveryProcessor, BraintrustBuildError> {
    let delivery = config.delivery_config(delivery);
    let config = config.resolve()?;
    let attachments = start_uploader(&config)?;
    let hooks = path_hooks(&config.rows.filter, attachments.as_ref());
    let sink = sink(&config, attachments)?;
    Ok(DeliveryProcessor::with_sink(sink, delivery, name).with_hooks(hooks))
}

impl BraintrustConfig {
    /// Keep only AI spans (beats `BRAINTRUST_FILTER_AI_SPANS`): a span goes
    /// to Braintrust when one of its attribute keys, at span end, starts with
    /// `gen_ai.`, `braintrust.`, `llm.`, `ai.` or `traceloop.` (the
    /// `braintrust.parent`, `braintrust.org` and `braintrust.app_url` system
    /// attributes do not count). A trace's local root is always kept, so the
    /// rows keep a parent to nest under. Other spans are dropped silently
    /// and not counted as lost.
    pub fn with_filter_ai_spans(mut self, on: bool) -> Self {
        self.rows_mut().filter_ai_spans = Some(on);
        self
    }

    /// A filter of your own, asked before the AI-span filter: `Some(true)`
    /// keeps the span, `Some(false)` drops it, `None` leaves the decision to
    /// the AI-span filter (or keeps the span when that is off). A trace's
    /// local root is kept whatever it says. It runs on the exporting thread
    /// for every span: keep it cheap.
    pub fn with_span_filter(
        mut self,
        filter: impl Fn(&SpanData) -> Option<bool> + Send + Sync + 'static,
    ) -> Self {
        self.rows_mut().span_filter = Some(Arc::new(filter));
        self
    }

    /// Upload inline base64 media (data URLs in `image_url.url`,
    /// `input_audio.data`, `file.file_data`) as Braintrust attachments and
    /// put references in the rows (default `true`; beats
    /// `BRAINTRUST_AUTO_CONVERT_AI_ATTACHMENTS`). See
    /// `attachments`.
    pub fn with_auto_convert_attachments(mut self, on: bool) -> Self {
        self.rows_mut().attachments = Some(on);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::config::env_of;

    #[test]
    fn code_beats_either_variable_beats_the_default() {
        let defaults = RowOptions::default().resolve(&env_of(&[])).expect("ok");
        assert!(!defaults.filter.ai_only());
        assert!(defaults.attachments);

        static OTEL: &[(&str, &str)] = &[
            (BRAINTRUST_OTEL_FILTER_AI_SPANS, "TRUE"),
            (BRAINTRUST_AUTO_CONVERT_AI_ATTACHMENTS, "false"),
        ];
        let env = RowOptions::default().resolve(&env_of(OTEL)).expect("ok");
        assert!(env.filter.ai_only());
        assert!(!env.attachments);

        static BOTH: &[(&str, &str)] = &[
            (BRAINTRUST_FILTER_AI_SPANS, "0"),
            (BRAINTRUST_OTEL_FILTER_AI_SPANS, "1"),
        ];
        let env = RowOptions::default().resolve(&env_of(BOTH)).expect("ok");
        assert!(!env.filter.ai_only());

        let code = RowOptions {
            filter_ai_spans: Some(true),
            attachments: Some(true),
            ..RowOptions::default()
        }
        .resolve(&env_of(BOTH))
        .expect("ok");
        assert!(code.filter.ai_only());
    }

    #[test]
    fn a_bad_flag_names_its_variable() {
        static BAD: &[(&str, &str)] = &[(BRAINTRUST_FILTER_AI_SPANS, "maybe")];
        let err = RowOptions::default()
            .resolve(&env_of(BAD))
            .unwrap_err()
            .to_string();
        assert!(err.contains(BRAINTRUST_FILTER_AI_SPANS), "{err}");
    }
}
