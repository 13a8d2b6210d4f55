//! The operation routes the crate speaks, recognised by the end of a path.
//!
//! One table for the three places that need it: the endpoint parser (which
//! refuses a base pasted with its operation route), the instrumentation of
//! other clients' requests and the demo endpoint. Matching the end of the
//! path makes every base work: the v1 API (`…/openai/v1/chat/completions`),
//! Azure OpenAI deployments (`…/openai/deployments/{name}/chat/completions`),
//! the legacy model inference routes (`…/models/chat/completions`) and any
//! OpenAI-compatible base.

/// An operation route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OperationRoute {
    /// `…/chat/completions`.
    Chat,
    /// `…/embeddings`.
    Embeddings,
    /// `…/images/embeddings` (the model inference API's image embeddings).
    ImageEmbeddings,
    /// `…/responses` (the Responses API).
    Responses,
}

impl OperationRoute {
    /// The route `path` ends with (a trailing `/` aside), if any.
    pub(crate) fn of_path(path: &str) -> Option<OperationRoute> {
        let path = path.trim_end_matches('/');
        if path.ends_with("/chat/completions") {
            Some(OperationRoute::Chat)
        } else if path.ends_with("/images/embeddings") {
            Some(OperationRoute::ImageEmbeddings)
        } else if path.ends_with("/embeddings") {
            Some(OperationRoute::Embeddings)
        } else if path.ends_with("/responses") {
            Some(OperationRoute::Responses)
        } else {
            None
        }
    }

    /// The route as appended to a base, without its leading `/`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OperationRoute::Chat => "chat/completions",
            OperationRoute::Embeddings => "embeddings",
            OperationRoute::ImageEmbeddings => "images/embeddings",
            OperationRoute::Responses => "responses",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OperationRoute::{self, *};

    #[test]
    fn routes_are_known_by_the_end_of_the_path() {
        for (path, route) in [
            ("/openai/v1/chat/completions", Some(Chat)),
            ("/openai/deployments/gpt/chat/completions/", Some(Chat)),
            ("/models/images/embeddings", Some(ImageEmbeddings)),
            ("/v1/embeddings", Some(Embeddings)),
            ("/openai/v1/responses", Some(Responses)),
            ("/openai/v1/models", None),
            ("/chat", None),
        ] {
            assert_eq!(OperationRoute::of_path(path), route, "{path}");
        }
        assert_eq!(Chat.as_str(), "chat/completions");
    }
}
