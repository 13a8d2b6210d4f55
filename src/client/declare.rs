//! `declare_client!`: what every client struct shares, written once.
//!
//! Each client is a public struct around a `ClientCore` (one endpoint, one
//! credential, one telemetry set-up) with the same constructor,
//! `new(endpoint, credential, options)`, and, for the clients whose
//! endpoints may describe their model, the same `get_model_info`. The
//! operations themselves stay in each client's own file.

/// Declares `pub struct $name { core: ClientCore }` with the given
/// attributes, its `new` with the given docs, and, when the last line is
/// `get_model_info;`, its `GET {endpoint}/info` method.
macro_rules! declare_client {
    (
        $(#[$attr:meta])*
        pub struct $name:ident;
        $(#[$new_attr:meta])*
        pub fn new;
        $($method:ident;)?
    ) => {
        $(#[$attr])*
        #[derive(Clone, Debug)]
        pub struct $name {
            core: $crate::client::core::ClientCore,
        }

        impl $name {
            $(#[$new_attr])*
            pub fn new(
                endpoint: impl AsRef<str>,
                credential: $crate::client::Credential,
                options: Option<$crate::client::ClientOptions>,
            ) -> $crate::Result<Self> {
                Ok($name {
                    core: $crate::client::core::ClientCore::new(
                        endpoint.as_ref(),
                        credential,
                        options,
                    )?,
                })
            }

            $(declare_client!(@$method);)?
        }
    };
    (@get_model_info) => {
        /// `GET {endpoint}/info`: the model behind the endpoint (a Model
        /// Inference or serverless endpoint). Not a GenAI operation: no span;
        /// the current context is still sent.
        pub async fn get_model_info(&self) -> $crate::Result<$crate::models::ModelInfo> {
            self.core.model_info().await
        }
    };
}
