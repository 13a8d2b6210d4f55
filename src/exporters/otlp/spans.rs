//! The span path of the `otlp` kind: the delivery engine's own OTLP/HTTP
//! sink (or, over gRPC, `opentelemetry-otlp`'s exporter) behind a
//! `DeliveryProcessor`.

use std::time::Duration;

use super::{
    OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT, OtlpBuildError, OtlpConfig,
    OtlpProtocol, OtlpSignal, SPAN_PATH_NAME, env_var, grpc,
};
use crate::exporters::delivery::{
    DeliveryConfig, DeliveryProcessor, OtlpHttpSink, parse_header_list,
};

impl OtlpConfig {
    /// The span path the pipeline installs: a `DeliveryProcessor` whose
    /// worker posts OTLP/HTTP protobuf itself (retries, `Retry-After` and
    /// every status in one place, see [`delivery`](crate::exporters::delivery)),
    /// or, over gRPC, the `opentelemetry-otlp` tonic exporter behind the same
    /// processor with its own retries turned off, so the two never stack.
    ///
    /// Over HTTP the endpoint, headers and timeout follow the precedence of
    /// the [module docs](crate::exporters::otlp) (the timeout bounds one attempt); compression
    /// is not applied.
    pub fn build_span_processor(
        &self,
        delivery: DeliveryConfig,
    ) -> Result<DeliveryProcessor, OtlpBuildError> {
        let target = self.resolve(OtlpSignal::Traces)?;
        self.check_headers(OtlpSignal::Traces)?;
        match target.protocol {
            OtlpProtocol::HttpProtobuf => {
                let headers = self.wire_headers(OtlpSignal::Traces, &env_var);
                let timeout = self.timeout_for(OtlpSignal::Traces, &env_var);
                let sink = OtlpHttpSink::new(
                    target.endpoint,
                    headers,
                    timeout,
                    4 * 1024 * 1024,
                    usize::MAX,
                    None,
                )
                .map_err(|e| OtlpBuildError::HttpClient(e.to_string()))?;
                Ok(DeliveryProcessor::with_sink(sink, delivery, SPAN_PATH_NAME))
            }
            OtlpProtocol::Grpc => Ok(DeliveryProcessor::for_exporter(
                grpc::span_exporter(self, target.endpoint)?,
                delivery,
                SPAN_PATH_NAME,
            )),
        }
    }

    /// Headers on the wire: code's, then the variable's (which win by name,
    /// as with `opentelemetry-otlp`).
    fn wire_headers(
        &self,
        signal: OtlpSignal,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> http::HeaderMap {
        let from_env = env(signal.headers_var())
            .or_else(|| env(OTEL_EXPORTER_OTLP_HEADERS))
            .map(|list| parse_header_list(&list))
            .unwrap_or_default();
        let mut headers = http::HeaderMap::new();
        // Code headers were validated by `check_headers`; invalid ones from
        // the variable are skipped, as `opentelemetry-otlp` does.
        for (name, value) in self.headers.iter().chain(from_env.iter()) {
            if let (Ok(name), Ok(mut value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                value.set_sensitive(true);
                headers.insert(name, value);
            }
        }
        headers
    }

    /// Code, then `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_TIMEOUT`, then
    /// `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds), then 10 s.
    pub(super) fn timeout_for(
        &self,
        signal: OtlpSignal,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Duration {
        let var = match signal {
            OtlpSignal::Traces => "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            OtlpSignal::Metrics => "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
        };
        self.timeout
            .or_else(|| {
                [var, OTEL_EXPORTER_OTLP_TIMEOUT]
                    .into_iter()
                    .find_map(|name| env(name)?.trim().parse::<u64>().ok())
                    .map(Duration::from_millis)
            })
            .filter(|t| !t.is_zero())
            .unwrap_or(Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
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
    fn variable_headers_win_by_name_and_invalid_ones_are_skipped() {
        let config = OtlpConfig::new()
            .with_header("x-tenant", "code")
            .with_header("x-code", "1");
        let env = [(
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "x-tenant=env%20value,bad name=1",
        )];
        let headers = config.wire_headers(OtlpSignal::Traces, &env_of(&env));
        assert_eq!(headers["x-tenant"], "env value");
        assert_eq!(headers["x-code"], "1");
        assert_eq!(headers.len(), 2);
        assert!(headers["x-code"].is_sensitive());
    }

    #[test]
    fn the_attempt_timeout_follows_code_then_variables() {
        let env = [
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"),
            (OTEL_EXPORTER_OTLP_TIMEOUT, "9000"),
        ];
        let config = OtlpConfig::new();
        assert_eq!(
            config.timeout_for(OtlpSignal::Traces, &env_of(&env)),
            Duration::from_millis(2500)
        );
        assert_eq!(
            config.timeout_for(OtlpSignal::Metrics, &env_of(&env)),
            Duration::from_millis(9000)
        );
        assert_eq!(
            config.timeout_for(OtlpSignal::Traces, &env_of(&[])),
            Duration::from_secs(10)
        );
        let code = OtlpConfig::new().with_timeout(Duration::from_secs(1));
        assert_eq!(
            code.timeout_for(OtlpSignal::Traces, &env_of(&env)),
            Duration::from_secs(1)
        );
    }
}
