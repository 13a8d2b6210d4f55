//! [`Reply`] adjustments for the 2025-04-01 API's additions: token details
//! (`prompt_tokens_details`, `completion_tokens_details`) and reasoning
//! models' `reasoning_content`, for whole and streamed answers.

use serde_json::{Value, json};

use super::{Reply, ReplyBody, SseItem};

impl Reply {
    /// Adds token details to every non-null `usage` (the whole answer's, or
    /// a stream's usage chunk), as the 2025-04-01 API reports them:
    /// `prompt_tokens_details: {"cached_tokens": cached, "audio_tokens": 0}`
    /// and `completion_tokens_details: {"reasoning_tokens": reasoning,
    /// "audio_tokens": 0, "total_tokens": <completion_tokens>}`. The
    /// completion details are left out of embeddings usage (which has no
    /// `completion_tokens`).
    #[must_use]
    pub fn with_token_details(mut self, cached: u64, reasoning: u64) -> Self {
        self.for_each_json(|v| {
            let Some(usage) = v.get_mut("usage").and_then(Value::as_object_mut) else {
                return;
            };
            usage.insert(
                "prompt_tokens_details".into(),
                json!({"cached_tokens": cached, "audio_tokens": 0}),
            );
            if let Some(completion) = usage.get("completion_tokens").cloned() {
                usage.insert(
                    "completion_tokens_details".into(),
                    json!({"reasoning_tokens": reasoning, "audio_tokens": 0, "total_tokens": completion}),
                );
            }
        });
        self
    }

    /// Makes the answer a reasoning model's (DeepSeek-R1 style):
    ///
    /// - a whole answer gets `message.reasoning_content` = the pieces joined,
    ///   on every choice;
    /// - a stream gets one chunk per piece, `delta: {"reasoning_content": piece}`
    ///   for choice 0 (the first also carrying `role`), inserted before the
    ///   first chunk that has choices; ids and model are that chunk's.
    ///
    /// Raw payloads ([`sse`](Reply::sse), [`raw`](Reply::raw)) are left as given.
    #[must_use]
    pub fn with_reasoning<I>(mut self, pieces: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let pieces: Vec<String> = pieces.into_iter().map(|p| p.as_ref().to_owned()).collect();
        match &mut self.body {
            ReplyBody::Json(body) => {
                let text: String = pieces.concat();
                for choice in body
                    .get_mut("choices")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if let Some(message) = choice.get_mut("message").and_then(Value::as_object_mut)
                    {
                        message.insert("reasoning_content".into(), text.clone().into());
                    }
                }
            }
            ReplyBody::Sse(sse) => {
                let first = sse.items.iter().position(|item| {
                    matches!(item, SseItem::Json(v)
                        if v.get("choices").and_then(Value::as_array).is_some_and(|c| !c.is_empty()))
                });
                let Some(first) = first else { return self };
                let SseItem::Json(template) = &sse.items[first] else {
                    return self;
                };
                let chunks: Vec<SseItem> = pieces
                    .iter()
                    .enumerate()
                    .map(|(i, piece)| {
                        let mut chunk = template.clone();
                        let delta = if i == 0 {
                            json!({"role": "assistant", "content": null, "reasoning_content": piece})
                        } else {
                            json!({"reasoning_content": piece})
                        };
                        chunk["choices"] =
                            json!([{"index": 0, "delta": delta, "finish_reason": null}]);
                        if let Some(map) = chunk.as_object_mut() {
                            map.remove("usage");
                        }
                        SseItem::Json(chunk)
                    })
                    .collect();
                sse.items.splice(first..first, chunks);
            }
            ReplyBody::Raw { .. } | ReplyBody::Recorded { .. } | ReplyBody::Disconnect => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(reply: &Reply) -> Vec<Value> {
        match &reply.body {
            ReplyBody::Sse(sse) => sse
                .items
                .iter()
                .filter_map(|i| match i {
                    SseItem::Json(v) => Some(v.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn whole_answer_gets_reasoning_and_details() {
        let reply = Reply::chat_completion("4")
            .with_reasoning(["2+", "2"])
            .with_token_details(5, 7);
        let ReplyBody::Json(body) = &reply.body else {
            panic!("a JSON reply")
        };
        assert_eq!(body["choices"][0]["message"]["reasoning_content"], "2+2");
        assert_eq!(body["usage"]["prompt_tokens_details"]["cached_tokens"], 5);
        assert_eq!(
            body["usage"]["completion_tokens_details"]["reasoning_tokens"],
            7
        );
    }

    #[test]
    fn stream_gets_reasoning_chunks_first_and_details_on_usage() {
        let reply = Reply::chat_stream(["Hi"])
            .with_reasoning(["think", "ing"])
            .with_token_details(0, 3);
        let events = events(&reply);
        let deltas: Vec<&Value> = events.iter().map(|e| &e["choices"][0]["delta"]).collect();
        assert_eq!(deltas[0]["reasoning_content"], "think");
        assert_eq!(deltas[0]["role"], "assistant");
        assert_eq!(deltas[1]["reasoning_content"], "ing");
        assert_eq!(deltas[2]["content"], "Hi");
        assert_eq!(events[0]["id"], events[2]["id"]);
        let usage = &events.last().unwrap()["usage"];
        assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 3);
        assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 0);
        // Only the usage chunk carries usage.
        assert_eq!(
            events.iter().filter(|e| e.get("usage").is_some()).count(),
            1
        );
    }
}
