//! Which requests are GenAI operations: recognised by method and route.

use reqwest::Method;

/// An operation the instrumentation records: the crate's one route table.
pub(crate) use crate::client::OperationRoute as Route;

/// The operation of a request, when it is one.
///
/// Only `POST`s count, matched on the end of the path (a trailing `/`
/// aside), so every base is recognised: the v1 API
/// (`…/openai/v1/chat/completions`), Azure OpenAI deployment routes
/// (`…/openai/deployments/{name}/chat/completions`), the legacy model
/// inference routes (`…/models/chat/completions`) and any OpenAI-compatible
/// base (`https://api.openai.com/v1/embeddings`). The query
/// (`api-version`) does not matter. Anything else is not an operation.
pub(crate) fn recognise(method: &Method, path: &str) -> Option<Route> {
    if method != Method::POST {
        return None;
    }
    Route::of_path(path)
}

/// Whether `path` is on an OpenAI-shaped base (the v1 API, an Azure OpenAI
/// deployment, OpenAI itself), where chat spans carry `openai.api.type`,
/// as the crate's client does for v1 and deployment endpoints; the legacy
/// model inference routes (`…/models/…`) are not.
pub(crate) fn openai_route(path: &str) -> bool {
    !path.contains("/models/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_and_embeddings_on_every_base() {
        for path in [
            "/openai/v1/chat/completions",
            "/openai/deployments/gpt-4o/chat/completions",
            "/models/chat/completions",
            "/v1/chat/completions/",
        ] {
            assert_eq!(recognise(&Method::POST, path), Some(Route::Chat), "{path}");
        }
        assert_eq!(
            recognise(&Method::POST, "/models/images/embeddings"),
            Some(Route::ImageEmbeddings)
        );
        for path in [
            "/openai/v1/embeddings",
            "/openai/deployments/emb/embeddings",
        ] {
            assert_eq!(
                recognise(&Method::POST, path),
                Some(Route::Embeddings),
                "{path}"
            );
        }
    }

    #[test]
    fn responses_on_v1_bases() {
        assert_eq!(
            recognise(&Method::POST, "/openai/v1/responses"),
            Some(Route::Responses)
        );
        assert_eq!(recognise(&Method::GET, "/openai/v1/responses/resp_1"), None);
    }

    #[test]
    fn openai_shaped_bases_are_told_from_the_model_inference_routes() {
        assert!(openai_route("/openai/v1/chat/completions"));
        assert!(openai_route("/openai/deployments/gpt-4o/chat/completions"));
        assert!(openai_route("/v1/chat/completions"));
        assert!(!openai_route("/models/chat/completions"));
    }

    #[test]
    fn other_methods_and_routes_are_not_operations() {
        assert_eq!(recognise(&Method::GET, "/openai/v1/chat/completions"), None);
        assert_eq!(recognise(&Method::GET, "/openai/v1/models"), None);
        assert_eq!(recognise(&Method::POST, "/openai/v1/files"), None);
        assert_eq!(recognise(&Method::POST, "/openai/v1/completions"), None);
        assert_eq!(recognise(&Method::POST, "/chat/completionsx"), None);
        assert_eq!(recognise(&Method::POST, "/myembeddings"), None);
    }
}
