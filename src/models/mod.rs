//! Serde types for the Azure AI model inference REST API.
