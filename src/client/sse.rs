//! Server-sent events: a streaming response body decoded, event by event,
//! into JSON values.
//!
//! Framing is done by `eventsource-stream` (lines split anywhere across
//! chunks, `\n`, `\r\n` and `\r` endings, comments, multi-line `data:`).
//! On top of it:
//!
//! - every event's data is one JSON value of type `T`, yielded as
//!   [`SseItem::Event`];
//! - `data: [DONE]` yields [`SseItem::Done`] and ends the stream without
//!   reading further, so the caller can tell a complete stream (it saw
//!   `Done`) from a body that just stopped (`None` without `Done`);
//! - comments, `event:` / `id:` / `retry:` fields and events with empty data
//!   are skipped;
//! - data that is not JSON for `T` is [`Error::InvalidResponse`] (with a
//!   snippet of the data, which may quote model output: it belongs in the
//!   returned error only, never in telemetry);
//! - a body read failure is mapped like any transport error
//!   ([`map_reqwest_error`]); bytes that are not UTF-8 are
//!   [`Error::InvalidResponse`], reported as soon as they arrive.
//!
//! The first error ends the stream. An event left unterminated by a blank
//! line when the body ends is dropped, as the SSE specification says.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use eventsource_stream::{EventStream, EventStreamError};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use super::transport::{map_reqwest_error, short_type_name};
use crate::error::{Error, Result};

/// The body as chunks, transport errors already mapped.
type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// One decoded server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SseItem<T> {
    /// A `data:` event decoded as `T`.
    Event(T),
    /// `data: [DONE]`: the service finished; the stream ends after this.
    Done,
}

/// A stream of [`SseItem`]s decoded from a response body, incrementally.
///
/// `Unpin` and `Send`; it stops reading the body at `[DONE]`, at the first
/// error, and when dropped.
pub(crate) struct SseStream<T> {
    events: EventStream<ByteStream>,
    finished: bool,
    _item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> SseStream<T> {
    /// Decodes the body of a `text/event-stream` response.
    pub(crate) fn from_response(resp: reqwest::Response) -> Self {
        Self::new(
            resp.bytes_stream()
                .map(|chunk| chunk.map_err(map_reqwest_error)),
        )
    }

    /// Decodes any stream of body chunks.
    pub(crate) fn new<S>(body: S) -> Self
    where
        S: Stream<Item = Result<Bytes>> + Send + 'static,
    {
        let mut utf8 = Utf8Check::default();
        let checked = body.map(move |chunk| {
            let chunk = chunk?;
            utf8.check(&chunk)?;
            Ok(chunk)
        });
        SseStream {
            events: EventStream::new(Box::pin(checked) as ByteStream),
            finished: false,
            _item: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> Stream for SseStream<T> {
    type Item = Result<SseItem<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        loop {
            let event = match ready!(Pin::new(&mut this.events).poll_next(cx)) {
                Some(Ok(event)) => event,
                Some(Err(e)) => {
                    this.finished = true;
                    return Poll::Ready(Some(Err(framing_error(e))));
                }
                None => {
                    this.finished = true;
                    return Poll::Ready(None);
                }
            };
            let data = event.data.trim();
            if data.is_empty() {
                continue;
            }
            if data == "[DONE]" {
                this.finished = true;
                return Poll::Ready(Some(Ok(SseItem::Done)));
            }
            return Poll::Ready(Some(match serde_json::from_str::<T>(data) {
                Ok(value) => Ok(SseItem::Event(value)),
                Err(e) => {
                    this.finished = true;
                    Err(decode_error::<T>(data, e))
                }
            }));
        }
    }
}

impl<T> fmt::Debug for SseStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseStream")
            .field("item", &short_type_name::<T>())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

fn decode_error<T>(data: &str, e: serde_json::Error) -> Error {
    // A service reporting a failure mid-stream sends `{"error": {...}}`.
    let is_error_event = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(data)
        .is_ok_and(|obj| obj.contains_key("error"));
    let reason = if is_error_event {
        format!(
            "the service sent an error event instead of a {}",
            short_type_name::<T>()
        )
    } else {
        format!(
            "expected a JSON {} in the event data: {e}",
            short_type_name::<T>()
        )
    };
    Error::invalid_response(reason, data.as_bytes())
}

fn framing_error(e: EventStreamError<Error>) -> Error {
    match e {
        EventStreamError::Transport(e) => e,
        EventStreamError::Utf8(e) => Error::invalid_response(
            "the event stream ended inside a UTF-8 character",
            e.as_bytes(),
        ),
        EventStreamError::Parser(e) => Error::invalid_response(
            format!("malformed event stream ({:?})", e.code),
            e.input.as_bytes(),
        ),
    }
}

/// Validates UTF-8 across chunk boundaries without copying, so bad bytes
/// fail at once instead of being buffered by the framing layer until the
/// body ends.
#[derive(Default)]
struct Utf8Check {
    /// The start of a character split by the previous chunk.
    carry: [u8; 4],
    carry_len: usize,
}

impl Utf8Check {
    fn check(&mut self, chunk: &[u8]) -> Result<()> {
        let mut rest = chunk;
        if self.carry_len > 0 {
            // Complete the split character with the first bytes of this chunk.
            let n = self.carry_len;
            let take = (4 - n).min(rest.len());
            let mut buf = self.carry;
            buf[n..n + take].copy_from_slice(&rest[..take]);
            match std::str::from_utf8(&buf[..n + take]) {
                Ok(_) => rest = &rest[take..],
                Err(e) if e.valid_up_to() >= n => rest = &rest[e.valid_up_to() - n..],
                Err(e) if e.error_len().is_none() => {
                    // Still incomplete: the chunk was shorter than the character.
                    self.carry = buf;
                    self.carry_len = n + take;
                    return Ok(());
                }
                Err(_) => return Err(not_utf8(chunk)),
            }
            self.carry_len = 0;
        }
        match std::str::from_utf8(rest) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = &rest[e.valid_up_to()..];
                self.carry[..tail.len()].copy_from_slice(tail);
                self.carry_len = tail.len();
                Ok(())
            }
            Err(_) => Err(not_utf8(chunk)),
        }
    }
}

fn not_utf8(chunk: &[u8]) -> Error {
    Error::invalid_response("the event stream is not UTF-8", chunk)
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Chunk {
        n: u32,
        #[serde(default)]
        text: String,
    }

    fn chunks(parts: &[&[u8]]) -> SseStream<Chunk> {
        let owned: Vec<Result<Bytes>> = parts
            .iter()
            .map(|p| Ok(Bytes::copy_from_slice(p)))
            .collect();
        SseStream::new(futures::stream::iter(owned))
    }

    async fn collect(s: SseStream<Chunk>) -> Vec<Result<SseItem<Chunk>>> {
        s.collect().await
    }

    fn ev(n: u32, text: &str) -> SseItem<Chunk> {
        SseItem::Event(Chunk {
            n,
            text: text.to_owned(),
        })
    }

    /// Splits `body` at every position in `cuts`.
    fn split<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
        let mut parts = Vec::new();
        let mut start = 0;
        for &c in cuts {
            parts.push(&body[start..c]);
            start = c;
        }
        parts.push(&body[start..]);
        parts
    }

    const BODY: &str = ": keep-alive\n\nevent: message\nid: 1\ndata: {\"n\":1,\"text\":\"h\u{e9}llo \u{1F600}\"}\n\ndata: {\"n\":2}\n\ndata:\n\ndata: [DONE]\n\n";

    #[tokio::test]
    async fn decodes_events_and_done_whatever_the_chunking() {
        let body = BODY.as_bytes();
        let want = vec![ev(1, "h\u{e9}llo \u{1F600}"), ev(2, ""), SseItem::Done];
        // Every single split point, including mid-line and mid-character.
        for cut in 0..=body.len() {
            let items: Vec<_> = chunks(&split(body, &[cut])).try_collect().await.unwrap();
            assert_eq!(items, want, "split at {cut}");
        }
        // One byte per chunk.
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        let items: Vec<_> = chunks(&bytes).try_collect().await.unwrap();
        assert_eq!(items, want);
        // Everything in one chunk.
        let items: Vec<_> = chunks(&[body]).try_collect().await.unwrap();
        assert_eq!(items, want);
    }

    #[tokio::test]
    async fn crlf_line_endings_split_between_cr_and_lf() {
        let body = BODY.replace('\n', "\r\n");
        let body = body.as_bytes();
        let want = vec![ev(1, "h\u{e9}llo \u{1F600}"), ev(2, ""), SseItem::Done];
        for cut in 0..=body.len() {
            let items: Vec<_> = chunks(&split(body, &[cut])).try_collect().await.unwrap();
            assert_eq!(items, want, "split at {cut}");
        }
    }

    #[tokio::test]
    async fn multi_line_data_is_joined() {
        let items = collect(chunks(&[b"data: {\"n\":\ndata: 7}\n\ndata: [DONE]\n\n"])).await;
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].as_ref().unwrap(), &ev(7, ""));
    }

    #[tokio::test]
    async fn nothing_is_read_after_done() {
        let s = SseStream::<Chunk>::new(futures::stream::iter(vec![
            Ok(Bytes::from_static(b"data: {\"n\":1}\n\ndata: [DONE]\n\n")),
            Err(Error::invalid_config(
                crate::ConfigField::HttpClient,
                "the body was read past [DONE]",
            )),
        ]));
        let items: Vec<_> = s.try_collect().await.unwrap();
        assert_eq!(items, vec![ev(1, ""), SseItem::Done]);
    }

    #[tokio::test]
    async fn a_body_without_done_just_ends() {
        let items: Vec<_> = chunks(&[b"data: {\"n\":1}\n\n", b"data: {\"n\":2}\n"])
            .try_collect()
            .await
            .unwrap();
        // The unterminated second event is dropped; no `Done`.
        assert_eq!(items, vec![ev(1, "")]);
        let items: Vec<_> = chunks(&[]).try_collect().await.unwrap();
        assert!(items.is_empty());
    }

    #[tokio::test]
    async fn invalid_json_is_an_invalid_response_and_ends_the_stream() {
        let items = collect(chunks(&[
            b"data: {\"n\":1}\n\ndata: {\"n\": oops the model said}\n\ndata: {\"n\":3}\n\n",
        ]))
        .await;
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(items[0].as_ref().unwrap(), &ev(1, ""));
        match &items[1] {
            Err(Error::InvalidResponse { reason, snippet }) => {
                assert!(
                    reason.starts_with("expected a JSON Chunk in the event data"),
                    "{reason}"
                );
                assert!(snippet.contains("oops the model said"), "{snippet}");
            }
            other => panic!("{other:?}"),
        }
        // The telemetry text never carries the data.
        let e = items.into_iter().nth(1).unwrap().unwrap_err();
        assert!(!e.telemetry_description().contains("oops"));
    }

    #[tokio::test]
    async fn error_events_are_named() {
        let items = collect(chunks(&[
            b"event: error\ndata: {\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}\n\n",
        ]))
        .await;
        match &items[..] {
            [Err(Error::InvalidResponse { reason, snippet })] => {
                assert!(reason.contains("error event"), "{reason}");
                assert!(snippet.contains("server_error"), "{snippet}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn unknown_fields_and_lines_without_colon_are_ignored() {
        let items: Vec<_> =
            chunks(&[b"retry: 10\nfoo\nid\n: comment\ndata: {\"n\":4}\n\ndata: [DONE]\n\n"])
                .try_collect()
                .await
                .unwrap();
        assert_eq!(items, vec![ev(4, ""), SseItem::Done]);
    }

    #[tokio::test]
    async fn invalid_utf8_fails_at_once() {
        // The error comes before the body ends (the second chunk is never needed).
        let s = SseStream::<Chunk>::new(
            futures::stream::iter(vec![
                Ok(Bytes::from_static(b"data: {\"n\":1}\n\n")),
                Ok(Bytes::from_static(b"data: \xff\xfe")),
            ])
            .chain(futures::stream::pending()),
        );
        let items: Vec<_> = s.take(2).collect().await;
        assert_eq!(items[0].as_ref().unwrap(), &ev(1, ""));
        assert!(
            matches!(&items[1], Err(Error::InvalidResponse { reason, .. }) if reason.contains("not UTF-8")),
            "{:?}",
            items[1]
        );

        // A body that stops inside a character.
        let items = collect(chunks(&[b"data: {\"n\":1}\n\n\xf0\x9f"])).await;
        assert!(
            matches!(items.last(), Some(Err(Error::InvalidResponse { .. }))),
            "{items:?}"
        );
    }

    #[tokio::test]
    async fn transport_errors_pass_through() {
        let s = SseStream::<Chunk>::new(futures::stream::iter(vec![
            Ok(Bytes::from_static(b"data: {\"n\":1}\n\n")),
            Err(Error::Connection {
                detail: "connection reset by 127.0.0.1:1".into(),
                source: None,
            }),
        ]));
        let items: Vec<_> = s.collect().await;
        assert_eq!(items.len(), 2);
        assert!(matches!(items[1], Err(Error::Connection { .. })));
    }

    #[test]
    fn utf8_check_handles_every_split() {
        let text = "a\u{e9}\u{20ac}\u{1F600}z".as_bytes();
        for a in 0..=text.len() {
            for b in a..=text.len() {
                let mut check = Utf8Check::default();
                for part in split(text, &[a, b]) {
                    check.check(part).unwrap_or_else(|e| panic!("{a} {b}: {e}"));
                }
                assert_eq!(check.carry_len, 0, "{a} {b}");
            }
        }
        let mut check = Utf8Check::default();
        check.check(b"ok \xf0\x9f").unwrap();
        assert!(check.check(b"x").is_err());
        assert!(Utf8Check::default().check(b"\x80").is_err());
    }

    #[test]
    fn stream_is_send_and_unpin() {
        fn assert_send_unpin<S: Send + Unpin>() {}
        assert_send_unpin::<SseStream<Chunk>>();
        let s = chunks(&[]);
        assert!(format!("{s:?}").contains("Chunk"));
    }
}
