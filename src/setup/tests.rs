//! Unit tests of the pipeline builder.

use super::parts::{DEFAULT_SERVICE_NAME, SERVICE_NAME, resolve_service_name};
use super::*;

fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn from_env_defaults_to_otlp_when_a_collector_is_configured() {
    assert_eq!(kinds_from_env(&env_of(&[])).ok(), Some(vec![]));
    for var in [
        OTEL_EXPORTER_OTLP_ENDPOINT,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    ] {
        let env = [(var, "http://c:4318")];
        assert_eq!(
            kinds_from_env(&env_of(&env)).ok(),
            Some(vec![ExporterKind::Otlp])
        );
    }
    let env = [(OTEL_EXPORTER_OTLP_ENDPOINT, " ")];
    assert_eq!(kinds_from_env(&env_of(&env)).ok(), Some(vec![]));
}

#[test]
fn from_env_list_wins_and_errors_name_the_variable() {
    let env = [
        (AZURE_AI_INFERENCE_OTEL_EXPORTERS, "none"),
        (OTEL_EXPORTER_OTLP_ENDPOINT, "http://c:4318"),
    ];
    assert_eq!(
        kinds_from_env(&env_of(&env)).ok(),
        Some(vec![ExporterKind::None])
    );
    let env = [(AZURE_AI_INFERENCE_OTEL_EXPORTERS, "otlp,zipkin")];
    let msg = kinds_from_env(&env_of(&env))
        .expect_err("zipkin")
        .to_string();
    assert!(
        msg.contains(AZURE_AI_INFERENCE_OTEL_EXPORTERS) && msg.contains("`zipkin`"),
        "{msg}"
    );
}

#[test]
fn service_name_precedence() {
    let attr = [KeyValue::new(SERVICE_NAME, "from-attr")];
    let env = || Some("from-env".to_owned());
    let res = || Some("from-resource-env".to_owned());
    assert_eq!(
        resolve_service_name(Some("code"), &attr, env(), res()),
        "code"
    );
    assert_eq!(resolve_service_name(None, &attr, env(), res()), "from-attr");
    assert_eq!(resolve_service_name(None, &[], env(), res()), "from-env");
    assert_eq!(
        resolve_service_name(None, &[], Some(String::new()), res()),
        "from-resource-env"
    );
    assert_eq!(
        resolve_service_name(None, &[], None, None),
        DEFAULT_SERVICE_NAME
    );
}

#[test]
fn braintrust_build_errors_name_the_exporter_and_the_problem() {
    // An API URL set in code wins over the environment, so this fails the
    // same way whatever BRAINTRUST_* variables are set.
    let config = BraintrustConfig::new()
        .with_api_key("k")
        .with_api_url("not a url");
    for kind in [ExporterKind::Braintrust, ExporterKind::BraintrustOtlp] {
        let err = TelemetryPipeline::builder()
            .with_global(false)
            .with_exporter(kind)
            .with_braintrust_config(config.clone())
            .install()
            .expect_err("an invalid API URL is refused");
        let text = err.to_string();
        assert!(
            text.contains(kind.name()) && text.contains("not a url"),
            "{text}"
        );
        assert!(matches!(err, SetupError::Braintrust { .. }));
    }
}

#[test]
fn none_installs_and_shuts_down_cleanly() {
    let guard = TelemetryPipeline::builder()
        .with_global(false)
        .with_exporter(ExporterKind::None)
        .install()
        .expect("installs");
    guard.force_flush().expect("nothing to flush");
    guard.shutdown().expect("clean shutdown");
}
