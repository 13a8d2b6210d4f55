//! `ModelsClient`: `GET {v1}/models` against the loopback demo endpoint:
//! the URL, the auth headers, no `api-version` on v1 unless set, the
//! propagated context and no span of its own, the typed errors of failed
//! answers, retries, and the clear refusal of endpoints without a list.

mod support;

use std::time::Duration;

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::client::{ClientOptions, Credential, ModelsClient, RetryPolicy};
use azure_ai_inference_otel::error::ConfigField;
use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
use opentelemetry::Context;
use opentelemetry::trace::{
    FutureExt as _, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use serde_json::json;
use support::client::{self as client_support, KEY};
use support::telemetry::Harness;

fn models(endpoint: &str, options: ClientOptions) -> ModelsClient {
    client_support::install_propagator();
    ModelsClient::new(endpoint, Credential::api_key(KEY).unwrap(), Some(options)).unwrap()
}

#[tokio::test]
async fn lists_the_demo_models_with_auth_no_api_version_and_no_span() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = models(&server.v1_endpoint(), client_support::options(&h, false));

    let parent = h.tracer_provider.tracer("test").start("caller");
    let cx = Context::current_with_span(parent);
    let list = client.list().with_context(cx.clone()).await.unwrap();
    cx.span().end();

    assert_eq!(list.object, "list");
    assert_eq!(list.ids().collect::<Vec<_>>(), ["demo-model"]);
    assert_eq!(list.data[0].object, "model");
    let requests = server.requests();
    let [r] = &requests[..] else {
        panic!("{} requests", requests.len())
    };
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", "/openai/v1/models")
    );
    assert_eq!(r.query, "", "no api-version on v1");
    assert_eq!(r.header("api-key"), Some(KEY));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let trace_id = cx.span().span_context().trace_id().to_string();
    assert!(
        r.header("traceparent")
            .is_some_and(|t| t.contains(&trace_id)),
        "the caller's context is propagated"
    );
    let spans = h.spans();
    assert_eq!(
        spans.iter().map(|s| s.name.as_ref()).collect::<Vec<_>>(),
        ["caller"],
        "listing models makes no span of its own"
    );
}

#[tokio::test]
async fn an_api_version_set_by_the_caller_is_sent() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let options = client_support::options(&h, false).with_api_version("preview");
    models(&server.v1_endpoint(), options).list().await.unwrap();
    assert_eq!(server.requests()[0].query, "api-version=preview");
}

#[tokio::test]
async fn both_azure_hosts_get_the_v1_url() {
    let server = MockInferenceServer::start().await.unwrap();
    for host in ["res.openai.azure.com", "res.services.ai.azure.com"] {
        let http = reqwest::Client::builder()
            .no_proxy()
            .resolve(host, server.addr())
            .build()
            .unwrap();
        let options = ClientOptions::new()
            .with_http_client(http)
            .with_insecure_http_key(true)
            .with_retry(RetryPolicy::none());
        let endpoint = format!("http://{host}:{}/openai/v1", server.addr().port());
        models(&endpoint, options).list().await.unwrap();
        let requests = server.requests();
        let r = requests.last().unwrap();
        assert_eq!(r.path, "/openai/v1/models");
        assert_eq!(r.query, "");
        assert_eq!(
            r.header("host"),
            Some(format!("{host}:{}", server.addr().port()).as_str())
        );
        assert_eq!(r.header("api-key"), Some(KEY));
    }
}

#[tokio::test]
async fn failed_answers_are_typed_errors() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let client = models(&server.v1_endpoint(), client_support::options(&h, false));

    server.enqueue(Reply::error(
        401,
        "Unauthorized",
        "Access denied due to invalid key",
    ));
    match client.list().await.unwrap_err() {
        Error::Http {
            status, message, ..
        } => {
            assert_eq!(status, 401);
            assert!(message.contains("invalid key"), "{message}");
        }
        other => panic!("{other:?}"),
    }

    server.enqueue(Reply::json(
        200,
        json!({"error": {"code": "NotFound", "message": "gone"}}),
    ));
    let e = client.list().await.unwrap_err();
    assert!(matches!(e, Error::Service { .. }), "{e:?}");
    assert_eq!(e.error_type(), "NotFound");

    server.enqueue(Reply::json(200, json!({"model_name": "Phi-4"})));
    let e = client.list().await.unwrap_err();
    assert!(matches!(e, Error::InvalidResponse { .. }), "{e:?}");
    assert!(
        e.to_string().contains("data"),
        "names the missing field: {e}"
    );

    assert!(h.spans().is_empty(), "failures make no span either");
    assert!(!format!("{client:?}").contains(KEY));
}

#[tokio::test]
async fn transient_failures_are_retried() {
    let server = MockInferenceServer::start().await.unwrap();
    let h = Harness::new();
    let fast = RetryPolicy::default()
        .with_max_retries(2)
        .with_initial_delay(Duration::from_millis(1));
    let client = models(
        &server.v1_endpoint(),
        client_support::options(&h, false).with_retry(fast),
    );
    server.enqueue(Reply::error(503, "ServiceUnavailable", "busy"));
    let list = client.list().await.unwrap();
    assert_eq!(list.ids().count(), 1);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn endpoints_without_a_model_list_are_refused_before_any_request() {
    let server = MockInferenceServer::start().await.unwrap();
    for (base, says) in [
        ("/openai/deployments/gpt-4o-mini", "deployment route"),
        ("/models", "retired 2026-08-26"),
        ("", "not a v1 base"),
    ] {
        let endpoint = format!("{}{base}", server.endpoint());
        let Err(e) = ModelsClient::new(&endpoint, Credential::api_key(KEY).unwrap(), None) else {
            panic!("{endpoint} accepted");
        };
        match &e {
            Error::InvalidConfig { field, reason } => {
                assert_eq!(*field, ConfigField::Endpoint);
                assert!(
                    reason.contains(says) && reason.contains("/openai/v1"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    let pasted = format!("{}/models", server.v1_endpoint());
    let e = ModelsClient::new(&pasted, Credential::api_key(KEY).unwrap(), None).unwrap_err();
    assert!(
        e.to_string().contains("remove the operation path /models"),
        "{e}"
    );
    assert!(server.requests().is_empty());
}
