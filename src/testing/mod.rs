//! An in-process endpoint speaking the Azure AI model inference wire format.
