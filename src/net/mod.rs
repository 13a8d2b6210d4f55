//! HTTP details shared by the client and the exporters: one `Retry-After`
//! reading, one `User-Agent`, one secret type. Crate-private except
//! [`Secret`], which appears in public signatures.

mod retry_after;
mod secret;

pub(crate) use retry_after::retry_after;
pub use secret::Secret;

/// The `User-Agent` product token every request of this crate carries, the
/// client's calls and the exporters' alike.
pub(crate) const USER_AGENT: &str = concat!("azure-ai-inference-otel/", env!("CARGO_PKG_VERSION"));
