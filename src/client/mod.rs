//! The clients: chat completions, embeddings, image embeddings.
