//! [`Reply`]s for what real Azure traffic does: error objects in success
//! answers, error events mid-stream, request ids and throttling hints.
//!
//! Built only from `Reply`'s public constructors and `with_*` methods, so
//! they answer exactly what those would.

use std::time::Duration;

use serde_json::json;

use super::Reply;

impl Reply {
    /// A `200 application/json` answer whose body is the error object
    /// `{"error":{"code":code,"message":message}}`, as some deployments and
    /// gateways send in place of a result.
    pub fn in_band_error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Reply::json(
            200,
            json!({ "error": { "code": code.into(), "message": message.into() } }),
        )
    }

    /// Streams only: an event `data: {"error":{"code","message"}}` before
    /// the event at `index` (0-based; past the end means after the last
    /// event, before `[DONE]`), as the service sends when it fails a stream
    /// it already started. Ignored by non-stream replies.
    #[must_use]
    pub fn with_error_event(
        self,
        index: usize,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let event = json!({ "error": { "code": code.into(), "message": message.into() } });
        self.with_malformed_line(index, format!("data: {event}"))
    }

    /// Sets `x-ms-request-id: id`, the id Azure support asks for.
    #[must_use]
    pub fn with_request_id(self, id: impl Into<String>) -> Self {
        self.with_header("x-ms-request-id", id)
    }

    /// Sets `retry-after-ms` to `after` in whole milliseconds: the
    /// finest-grained of the throttling hints (for `Retry-After` in seconds
    /// or as an HTTP date, or `x-ms-retry-after-ms`, use
    /// [`with_header`](Reply::with_header)).
    #[must_use]
    pub fn with_retry_after(self, after: Duration) -> Self {
        self.with_header("retry-after-ms", after.as_millis().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MockInferenceServer;

    async fn fetch(
        server: &MockInferenceServer,
        route: &str,
    ) -> (u16, String, Vec<(String, String)>) {
        let resp = reqwest::Client::new()
            .post(format!("{}/{route}", server.endpoint()))
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        (status, resp.text().await.unwrap(), headers)
    }

    #[tokio::test]
    async fn in_band_errors_and_error_events_are_sent_as_scripted() {
        let server = MockInferenceServer::start().await.unwrap();
        server.enqueue(Reply::in_band_error("content_filter", "filtered").with_request_id("r-1"));
        server.enqueue(Reply::chat_stream(["a", "b"]).with_error_event(1, "server_error", "boom"));
        server.enqueue(
            Reply::error(429, "RateLimitReached", "wait")
                .with_retry_after(Duration::from_millis(1500)),
        );

        let (status, body, headers) = fetch(&server, "chat/completions").await;
        assert_eq!(status, 200);
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["error"]["code"], "content_filter");
        assert!(headers.contains(&("x-ms-request-id".into(), "r-1".into())));

        let (_, body, _) = fetch(&server, "chat/completions").await;
        let events: Vec<&str> = body
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .collect();
        assert_eq!(
            events[1],
            r#"{"error":{"code":"server_error","message":"boom"}}"#
        );
        assert_eq!(events.last(), Some(&"[DONE]"));

        let (status, _, headers) = fetch(&server, "chat/completions").await;
        assert_eq!(status, 429);
        assert!(headers.contains(&("retry-after-ms".into(), "1500".into())));
    }
}
