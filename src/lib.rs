//! Azure AI model inference client with OpenTelemetry GenAI telemetry.
#![warn(missing_docs, missing_debug_implementations)]

pub mod client;
pub mod error;
pub mod exporters;
pub mod models;
pub mod setup;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, ErrorKind, Result};
