//! One test per endpoint shape: the URL a call goes to, the `api-version`
//! (or its absence), the auth headers and the Entra ID scope.
//!
//! Azure host names are resolved to the loopback demo server by the
//! caller's own `reqwest` client, over `http` (so the key needs
//! `with_insecure_http_key`); nothing leaves the machine.

use azure_ai_inference_otel::Error;
use azure_ai_inference_otel::client::{
    ChatCompletionsClient, ClientOptions, Credential, EmbeddingsClient, Endpoint, EndpointKind,
    RetryPolicy,
};
use azure_ai_inference_otel::error::ConfigField;
use azure_ai_inference_otel::models::{
    ChatCompletionsOptions, ChatRequestMessage, EmbeddingsOptions,
};
use azure_ai_inference_otel::testing::{MockInferenceServer, RecordedRequest, Reply};

const KEY: &str = "test-key-0123456789";

/// What one shape must produce.
struct Shape {
    /// The host the user's endpoint names (resolved to the demo server).
    host: &'static str,
    /// The endpoint's path.
    base: &'static str,
    kind: EndpointKind,
    api_version: Option<&'static str>,
    scope: &'static str,
}

const SHAPES: &[Shape] = &[
    Shape {
        host: "res.openai.azure.com",
        base: "/openai/v1",
        kind: EndpointKind::V1,
        api_version: None,
        scope: "https://ai.azure.com/.default",
    },
    Shape {
        host: "res.services.ai.azure.com",
        base: "/openai/v1",
        kind: EndpointKind::V1,
        api_version: None,
        scope: "https://ai.azure.com/.default",
    },
    Shape {
        host: "res.openai.azure.com",
        base: "/openai/deployments/gpt-4o-mini",
        kind: EndpointKind::Deployment,
        api_version: Some("2024-10-21"),
        scope: "https://cognitiveservices.azure.com/.default",
    },
    Shape {
        host: "res.services.ai.azure.com",
        base: "/models",
        kind: EndpointKind::ModelInference,
        api_version: Some("2024-05-01-preview"),
        scope: "https://cognitiveservices.azure.com/.default",
    },
    Shape {
        host: "x.eastus2.models.ai.azure.com",
        base: "",
        kind: EndpointKind::ModelInference,
        api_version: Some("2024-05-01-preview"),
        scope: "https://ml.azure.com/.default",
    },
];

/// A client whose HTTP client sends `host` to the demo server.
fn options_resolving(host: &str, server: &MockInferenceServer) -> ClientOptions {
    let http = reqwest::Client::builder()
        .no_proxy()
        .resolve(host, server.addr())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    ClientOptions::new()
        .with_http_client(http)
        .with_insecure_http_key(true)
        .with_retry(RetryPolicy::none())
}

fn hello() -> ChatCompletionsOptions {
    ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")]).with_model("gpt-4o-mini")
}

fn assert_auth(r: &RecordedRequest) {
    assert_eq!(r.header("api-key"), Some(KEY));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn every_shape_gets_its_url_api_version_auth_and_scope() {
    let server = MockInferenceServer::start().await.unwrap();
    for (n, shape) in SHAPES.iter().enumerate() {
        let endpoint = format!(
            "http://{}:{}{}",
            shape.host,
            server.addr().port(),
            shape.base
        );
        let parsed = Endpoint::parse(&endpoint).unwrap();
        assert_eq!(parsed.kind(), shape.kind, "{endpoint}");
        // The https form of the same endpoint picks the same scope.
        let https = Endpoint::parse(&format!("https://{}{}", shape.host, shape.base)).unwrap();
        assert_eq!(https.default_scope(), shape.scope, "{endpoint}");
        assert_eq!(https.kind(), shape.kind, "{endpoint}");

        let client = ChatCompletionsClient::new(
            &endpoint,
            Credential::api_key(KEY).unwrap(),
            Some(options_resolving(shape.host, &server)),
        )
        .unwrap();
        client.complete(hello()).await.unwrap();
        let embeddings = EmbeddingsClient::new(
            &endpoint,
            Credential::api_key(KEY).unwrap(),
            Some(options_resolving(shape.host, &server).with_model("text-embedding-3-small")),
        )
        .unwrap();
        embeddings
            .embed(EmbeddingsOptions::new(["a text"]))
            .await
            .unwrap();

        let requests = server.requests();
        let [chat, embed] = &requests[2 * n..] else {
            panic!("{endpoint}: {} requests", requests.len());
        };
        for (r, route) in [(chat, "chat/completions"), (embed, "embeddings")] {
            assert_eq!(r.path, format!("{}/{route}", shape.base), "{endpoint}");
            assert_eq!(
                r.query_param("api-version").as_deref(),
                shape.api_version,
                "{endpoint}"
            );
            assert_eq!(
                r.header("host"),
                Some(format!("{}:{}", shape.host, server.addr().port()).as_str())
            );
            assert_auth(r);
        }
        assert_eq!(chat.json().unwrap()["model"], "gpt-4o-mini");
        assert_eq!(embed.json().unwrap()["model"], "text-embedding-3-small");
    }
}

#[tokio::test]
async fn a_loopback_v1_base_sends_no_api_version_unless_set() {
    let server = MockInferenceServer::start().await.unwrap();
    let endpoint = format!("{}/openai/v1", server.endpoint());
    let plain = ChatCompletionsClient::new(
        &endpoint,
        Credential::api_key(KEY).unwrap(),
        Some(ClientOptions::new().with_retry(RetryPolicy::none())),
    )
    .unwrap();
    plain.complete(hello()).await.unwrap();
    let versioned = ChatCompletionsClient::new(
        &endpoint,
        Credential::api_key(KEY).unwrap(),
        Some(ClientOptions::new().with_api_version("preview")),
    )
    .unwrap();
    versioned.complete(hello()).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests[0].path, "/openai/v1/chat/completions");
    assert_eq!(requests[0].query, "");
    assert_auth(&requests[0]);
    assert_eq!(requests[1].query, "api-version=preview");
    assert_eq!(
        Endpoint::parse(&endpoint).unwrap().default_scope(),
        "https://ai.azure.com/.default"
    );
}

#[tokio::test]
async fn a_v1_call_without_a_model_fails_before_any_request() {
    let server = MockInferenceServer::start().await.unwrap();
    let endpoint = format!("{}/openai/v1", server.endpoint());
    let chat =
        ChatCompletionsClient::new(&endpoint, Credential::api_key(KEY).unwrap(), None).unwrap();
    let no_model = ChatCompletionsOptions::new(vec![ChatRequestMessage::user("hi")]);
    for result in [
        chat.complete(no_model.clone()).await.map(drop),
        chat.complete_streaming(no_model).await.map(drop),
        EmbeddingsClient::new(&endpoint, Credential::api_key(KEY).unwrap(), None)
            .unwrap()
            .embed(EmbeddingsOptions::new(["x"]))
            .await
            .map(drop),
    ] {
        match result {
            Err(e @ Error::InvalidConfig { .. }) => {
                assert!(
                    matches!(
                        e,
                        Error::InvalidConfig {
                            field: ConfigField::Model,
                            ..
                        }
                    ),
                    "{e:?}"
                );
                let text = e.to_string();
                assert!(
                    text.contains("model") && text.contains("with_model"),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(server.requests().is_empty());

    // The client's default model is enough, and other shapes need none.
    let with_default = ChatCompletionsClient::new(
        &endpoint,
        Credential::api_key(KEY).unwrap(),
        Some(ClientOptions::new().with_model("gpt-4o-mini")),
    )
    .unwrap();
    with_default
        .complete(ChatCompletionsOptions::new(vec![ChatRequestMessage::user(
            "hi",
        )]))
        .await
        .unwrap();
    assert_eq!(server.requests()[0].json().unwrap()["model"], "gpt-4o-mini");
    let legacy =
        ChatCompletionsClient::new(server.endpoint(), Credential::api_key(KEY).unwrap(), None)
            .unwrap();
    legacy
        .complete(ChatCompletionsOptions::new(vec![ChatRequestMessage::user(
            "hi",
        )]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_v1_endpoint_refusing_a_dated_version_names_the_parameter() {
    let server = MockInferenceServer::start().await.unwrap();
    server.enqueue(Reply::error(400, "BadRequest", "API version not supported"));
    let client = ChatCompletionsClient::new(
        format!("{}/openai/v1", server.endpoint()),
        Credential::api_key(KEY).unwrap(),
        Some(
            ClientOptions::new()
                .with_api_version("2024-10-21")
                .with_retry(RetryPolicy::none()),
        ),
    )
    .unwrap();
    let e = client.complete(hello()).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("drop the api-version parameter") && text.contains("400"),
        "{text}"
    );
}

#[cfg(feature = "entra")]
mod entra {
    use std::sync::{Arc, Mutex};

    use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
    use azure_core::time::{Duration, OffsetDateTime};

    use super::*;

    /// Hands out one token, recording the scopes asked for.
    #[derive(Debug, Default)]
    struct Fake {
        scopes: Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl TokenCredential for Fake {
        async fn get_token(
            &self,
            scopes: &[&str],
            _options: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            self.scopes
                .lock()
                .unwrap()
                .extend(scopes.iter().map(|s| s.to_string()));
            Ok(AccessToken::new(
                "entra-token",
                OffsetDateTime::now_utc() + Duration::hours(1),
            ))
        }
    }

    #[tokio::test]
    async fn a_v1_base_asks_for_the_ai_scope_and_sends_a_bearer_token() {
        let server = MockInferenceServer::start().await.unwrap();
        let fake = Arc::new(Fake::default());
        for base in ["/openai/v1", "/openai/deployments/d", "/models"] {
            let client = ChatCompletionsClient::new(
                format!("{}{base}", server.endpoint()),
                Credential::token(fake.clone()),
                None,
            )
            .unwrap();
            client.complete(hello()).await.unwrap();
        }
        // Loopback hosts are not Azure's: only the v1 path picks a scope of its own.
        assert_eq!(
            *fake.scopes.lock().unwrap(),
            [
                "https://ai.azure.com/.default",
                "https://ml.azure.com/.default",
                "https://ml.azure.com/.default"
            ]
        );
        let r = &server.requests()[0];
        assert_eq!(r.header("authorization"), Some("Bearer entra-token"));
        assert_eq!(r.header("api-key"), None);

        // The override stays.
        let custom = Arc::new(Fake::default());
        ChatCompletionsClient::new(
            format!("{}/openai/v1", server.endpoint()),
            Credential::token_with_scope(custom.clone(), "api://custom/.default").unwrap(),
            None,
        )
        .unwrap()
        .complete(hello())
        .await
        .unwrap();
        assert_eq!(*custom.scopes.lock().unwrap(), ["api://custom/.default"]);
    }
}
