//! Precedence and error tests over a fake environment.

use super::settings::*;
use super::*;

fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
            .filter(|v| !v.trim().is_empty())
    }
}

fn endpoint(
    config: &OtlpConfig,
    signal: OtlpSignal,
    env: &[(&str, &str)],
) -> (String, ConfigSource) {
    let t = config.resolve_with(signal, &env_of(env)).expect("resolves");
    (t.endpoint, t.endpoint_source)
}

#[test]
fn constants_match_opentelemetry_otlp() {
    assert_eq!(
        OTEL_EXPORTER_OTLP_ENDPOINT,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_ENDPOINT
    );
    assert_eq!(
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    );
    assert_eq!(
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
    );
    assert_eq!(
        OTEL_EXPORTER_OTLP_HEADERS,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_HEADERS
    );
    assert_eq!(
        OTEL_EXPORTER_OTLP_TRACES_HEADERS,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_TRACES_HEADERS
    );
    assert_eq!(
        OTEL_EXPORTER_OTLP_METRICS_HEADERS,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_METRICS_HEADERS
    );
    assert_eq!(
        OTEL_EXPORTER_OTLP_PROTOCOL,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_PROTOCOL
    );
    assert_eq!(
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    );
    assert_eq!(
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_METRICS_PROTOCOL
    );
    assert_eq!(
        OTEL_EXPORTER_OTLP_TIMEOUT,
        opentelemetry_otlp::OTEL_EXPORTER_OTLP_TIMEOUT
    );
}

#[test]
fn default_endpoint_gets_the_signal_path() {
    let c = OtlpConfig::new();
    assert_eq!(
        endpoint(&c, OtlpSignal::Traces, &[]),
        (
            "http://localhost:4318/v1/traces".into(),
            ConfigSource::Default
        )
    );
    assert_eq!(
        endpoint(&c, OtlpSignal::Metrics, &[]).0,
        "http://localhost:4318/v1/metrics"
    );
}

#[test]
fn generic_variable_gets_the_path_once() {
    let c = OtlpConfig::new();
    for base in ["http://c:4318", "http://c:4318/"] {
        let env = [(OTEL_EXPORTER_OTLP_ENDPOINT, base)];
        assert_eq!(
            endpoint(&c, OtlpSignal::Traces, &env),
            (
                "http://c:4318/v1/traces".into(),
                ConfigSource::Variable(OTEL_EXPORTER_OTLP_ENDPOINT)
            )
        );
        assert_eq!(
            endpoint(&c, OtlpSignal::Metrics, &env).0,
            "http://c:4318/v1/metrics"
        );
    }
    // A base with a path prefix keeps it.
    let env = [(OTEL_EXPORTER_OTLP_ENDPOINT, "https://gw.example/otlp")];
    assert_eq!(
        endpoint(&c, OtlpSignal::Traces, &env).0,
        "https://gw.example/otlp/v1/traces"
    );
}

#[test]
fn signal_variable_is_used_as_is_and_beats_the_generic_one() {
    let env = [
        (OTEL_EXPORTER_OTLP_ENDPOINT, "http://generic:4318"),
        (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "http://t:1/custom"),
    ];
    let c = OtlpConfig::new();
    assert_eq!(
        endpoint(&c, OtlpSignal::Traces, &env),
        (
            "http://t:1/custom".into(),
            ConfigSource::Variable(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
        )
    );
    // Metrics have no signal variable here: the generic one applies.
    assert_eq!(
        endpoint(&c, OtlpSignal::Metrics, &env).0,
        "http://generic:4318/v1/metrics"
    );
}

#[test]
fn code_beats_every_variable() {
    let env = [
        (OTEL_EXPORTER_OTLP_ENDPOINT, "http://generic:4318"),
        (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "http://t:1/custom"),
        (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, "http://m:1/custom"),
    ];
    let base = OtlpConfig::new().with_endpoint("http://code:4318");
    assert_eq!(
        endpoint(&base, OtlpSignal::Traces, &env),
        ("http://code:4318/v1/traces".into(), ConfigSource::Code)
    );
    assert_eq!(
        endpoint(&base, OtlpSignal::Metrics, &env).0,
        "http://code:4318/v1/metrics"
    );
    let full = base.with_traces_endpoint("http://code-t:2/x");
    assert_eq!(
        endpoint(&full, OtlpSignal::Traces, &env).0,
        "http://code-t:2/x"
    );
    assert_eq!(
        endpoint(&full, OtlpSignal::Metrics, &env).0,
        "http://code:4318/v1/metrics"
    );
}

#[test]
fn empty_variables_count_as_unset() {
    let env = [
        (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, ""),
        (OTEL_EXPORTER_OTLP_ENDPOINT, "http://generic:4318"),
        (OTEL_EXPORTER_OTLP_PROTOCOL, " "),
    ];
    let t = OtlpConfig::new()
        .resolve_with(OtlpSignal::Traces, &env_of(&env))
        .expect("resolves");
    assert_eq!(t.endpoint, "http://generic:4318/v1/traces");
    assert_eq!(
        (t.protocol, t.protocol_source),
        (OtlpProtocol::HttpProtobuf, ConfigSource::Default)
    );
}

#[test]
fn protocol_precedence_and_errors() {
    let env: &[(&str, &str)] = &[
        (OTEL_EXPORTER_OTLP_PROTOCOL, "grpc"),
        (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, "HTTP/Protobuf"),
    ];
    let t = OtlpConfig::new()
        .resolve_with(OtlpSignal::Traces, &env_of(env))
        .expect("resolves");
    assert_eq!(
        (t.protocol, t.protocol_source),
        (
            OtlpProtocol::HttpProtobuf,
            ConfigSource::Variable(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)
        )
    );

    let json: &[(&str, &str)] = &[(OTEL_EXPORTER_OTLP_PROTOCOL, "http/json")];
    let err = OtlpConfig::new()
        .resolve_with(OtlpSignal::Traces, &env_of(json))
        .expect_err("http/json is refused");
    let msg = err.to_string();
    assert!(
        msg.contains("http/json") && msg.contains(OTEL_EXPORTER_OTLP_PROTOCOL),
        "{msg}"
    );
    // Code beats the bad variable.
    let t = OtlpConfig::new()
        .with_protocol(OtlpProtocol::HttpProtobuf)
        .resolve_with(OtlpSignal::Traces, &env_of(json))
        .expect("code wins");
    assert_eq!(t.protocol_source, ConfigSource::Code);
}

#[cfg(not(feature = "grpc"))]
#[test]
fn grpc_without_the_feature_names_the_feature() {
    let env: &[(&str, &str)] = &[(OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, "grpc")];
    let err = OtlpConfig::new()
        .resolve_with(OtlpSignal::Metrics, &env_of(env))
        .expect_err("no grpc in this build");
    assert!(matches!(err, OtlpBuildError::GrpcFeatureDisabled { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("`grpc` feature") && msg.contains(OTEL_EXPORTER_OTLP_METRICS_PROTOCOL),
        "{msg}"
    );
    let err = OtlpConfig::new()
        .with_protocol(OtlpProtocol::Grpc)
        .build_span_exporter()
        .expect_err("no grpc in this build");
    assert!(err.to_string().contains("`grpc` feature"), "{err}");
}

#[cfg(feature = "grpc")]
#[test]
fn grpc_endpoints_get_no_path() {
    let env: &[(&str, &str)] = &[
        (OTEL_EXPORTER_OTLP_PROTOCOL, "grpc"),
        (OTEL_EXPORTER_OTLP_ENDPOINT, "http://c:4317"),
    ];
    let t = OtlpConfig::new()
        .resolve_with(OtlpSignal::Traces, &env_of(env))
        .expect("resolves");
    assert_eq!(
        (t.endpoint.as_str(), t.protocol),
        ("http://c:4317", OtlpProtocol::Grpc)
    );
    let t = OtlpConfig::new()
        .with_protocol(OtlpProtocol::Grpc)
        .resolve_with(OtlpSignal::Metrics, &env_of(&[]))
        .expect("resolves");
    assert_eq!(t.endpoint, DEFAULT_GRPC_ENDPOINT);
    // Outside a runtime the gRPC exporter is refused instead of panicking.
    let err = OtlpConfig::new()
        .with_protocol(OtlpProtocol::Grpc)
        .build_span_exporter()
        .expect_err("no runtime");
    assert!(matches!(err, OtlpBuildError::GrpcNeedsRuntime));
    // Inside one it builds (the channel connects lazily).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _entered = runtime.enter();
    let config = OtlpConfig::new()
        .with_protocol(OtlpProtocol::Grpc)
        .with_endpoint("http://127.0.0.1:9")
        .with_header("x-tenant", "a");
    config.build_span_exporter().expect("builds in a runtime");
    config.build_metric_exporter().expect("builds in a runtime");
}

#[test]
fn bad_endpoints_name_their_source() {
    let env: &[(&str, &str)] = &[(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "localhost:4318")];
    let err = OtlpConfig::new()
        .resolve_with(OtlpSignal::Traces, &env_of(env))
        .expect_err("no scheme");
    let msg = err.to_string();
    assert!(
        msg.contains("localhost:4318") && msg.contains(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
        "{msg}"
    );
    let err = OtlpConfig::new()
        .with_endpoint("not a url")
        .resolve_with(OtlpSignal::Traces, &env_of(&[]))
        .expect_err("not a URL");
    assert!(err.to_string().contains("set in code"), "{err}");
}

#[test]
fn invalid_code_headers_are_refused_without_echoing_the_value() {
    let err = OtlpConfig::new()
        .with_endpoint("http://127.0.0.1:9")
        .with_header("authorization", "Bearer secret\nvalue")
        .build_span_exporter()
        .expect_err("newline in value");
    let msg = err.to_string();
    assert!(
        msg.contains("authorization") && !msg.contains("secret"),
        "{msg}"
    );
    let err = OtlpConfig::new()
        .with_endpoint("http://127.0.0.1:9")
        .with_header("bad name", "v")
        .build_metric_exporter()
        .expect_err("space in name");
    assert!(matches!(err, OtlpBuildError::InvalidHeader { .. }));
}

#[test]
fn debug_hides_header_values() {
    let c = OtlpConfig::new()
        .with_header("authorization", "Bearer secret")
        .with_header("Authorization", "Bearer newer");
    let s = format!("{c:?}");
    assert!(
        s.contains("Authorization") && !s.contains("secret") && !s.contains("newer"),
        "{s}"
    );
    assert_eq!(c.headers.len(), 1, "same name replaces");
}

#[test]
fn header_name_parsing() {
    let names: Vec<_> = env_header_names("a=1, b = x=y ,,bad, =v").collect();
    assert_eq!(names, ["a", "b"]);
}
