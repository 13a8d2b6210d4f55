//! Server-sent events: a streaming response body decoded, event by event,
//! into JSON values.
//!
//! The framing ([`Decoder`]) follows the HTML specification's "interpreting
//! an event stream": lines end in `\n`, `\r\n` or `\r` (also when a chunk
//! ends between the `\r` and the `\n`), a leading byte order mark is dropped
//! once, lines starting with `:` are comments, `data:` lines are joined with
//! `\n`, and a blank line dispatches the event. On top of it:
//!
//! - every event's data is one JSON value of type `T`, yielded as
//!   [`SseItem::Event`];
//! - `data: [DONE]` yields [`SseItem::Done`] and ends the stream without
//!   reading further, so the caller can tell a complete stream (it saw
//!   `Done`) from a body that just stopped (`None` without `Done`);
//! - comments, `event:` / `id:` / `retry:` fields and events with empty data
//!   are skipped;
//! - data that is a JSON object with a top-level `error` is
//!   [`Error::Service`], and ends the stream; a stream built with
//!   [`SseStream::error_only_if`] looks for that key only in events that
//!   fail to decode as `T` or whose `T` the hint says carries one (for chat
//!   updates: the typed `error` field is set), not in every event;
//! - data that is not JSON for `T` is [`Error::InvalidResponse`] (with a
//!   snippet of the data, which may quote model output: it belongs in the
//!   returned error only, never in telemetry);
//! - one event (its data so far plus the line being read) may hold at most
//!   the configured number of bytes
//!   ([`ClientOptions::with_max_event_bytes`], 16 MiB by default); past it
//!   the stream fails with [`Error::InvalidResponse`] instead of buffering
//!   without bound;
//! - a body read failure is mapped like any transport error
//!   ([`map_reqwest_error`]); bytes that are not UTF-8 are
//!   [`Error::InvalidResponse`], reported as soon as they arrive.
//!
//! The first error ends the stream. An event left unterminated by a blank
//! line when the body ends is dropped, as the SSE specification says.
//!
//! # Why not a crate
//!
//! `eventsource-stream` 0.2.3 (used before) calls `String::split_off` on
//! every line, copying the rest of its buffer each time, and re-parses an
//! unfinished line on every chunk: quadratic in the bytes a read delivers.
//! Measured with `benches/calls` (same run, same loopback server): 15.8 µs
//! of CPU per chunk on a 10,000-chunk stream against 3.8 µs on a 100-chunk
//! one (the raw floor: 1.0 and 1.1 µs), and 660 ms for one 10 MB event (the
//! floor: 13 ms). `sse-parse` 0.1 is linear but replaces invalid UTF-8 and
//! silently drops an oversized event, where this client must fail. So the
//! framing is here, over a `BytesMut` scanned once with `memchr`: each byte
//! is looked at a constant number of times whatever the chunking. The
//! figures after the change are in the README's Benchmarks section.
//!
//! [`ClientOptions::with_max_event_bytes`]: super::ClientOptions::with_max_event_bytes

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use super::transport::{from_json, in_band_error, map_reqwest_error, short_type_name};
use crate::error::{Error, Result};

/// The body as chunks, transport errors already mapped.
type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// The UTF-8 byte order mark, dropped once at the start of the stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

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
/// error, and when dropped. It buffers at most one event (bounded by the
/// limit it was built with) plus the unread rest of the last chunk.
pub(crate) struct SseStream<T> {
    body: ByteStream,
    events: EventDecoder<T>,
    /// When the last body chunk was read: the arrival time of the events
    /// it completes.
    read_at: Instant,
}

/// The decoding of [`SseStream`] without the I/O: body chunks go in with
/// [`feed`](Self::feed), [`SseItem`]s come out of [`next`](Self::next).
/// The crate's own stream reads a body through it, and so does the
/// instrumentation of other clients' streams (`crate::instrument`), which
/// sees the chunks on their way to the caller: one decoding for both.
pub(crate) struct EventDecoder<T> {
    utf8: Utf8Check,
    decoder: Decoder,
    finished: bool,
    /// Whether an event that decoded as this `T` may still be an error
    /// object, so its data is searched for a top-level `error`.
    may_be_error: fn(&T) -> bool,
    _item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> SseStream<T> {
    /// Decodes the body of a `text/event-stream` response, failing on an
    /// event larger than `max_event_bytes`.
    pub(crate) fn from_response(resp: reqwest::Response, max_event_bytes: usize) -> Self {
        Self::new(
            resp.bytes_stream()
                .map(|chunk| chunk.map_err(map_reqwest_error)),
            max_event_bytes,
        )
    }

    /// Decodes any stream of body chunks.
    pub(crate) fn new<S>(body: S, max_event_bytes: usize) -> Self
    where
        S: Stream<Item = Result<Bytes>> + Send + 'static,
    {
        SseStream {
            body: Box::pin(body),
            events: EventDecoder::new(max_event_bytes, |_| true),
            read_at: Instant::now(),
        }
    }

    /// See [`EventDecoder::new`].
    pub(crate) fn error_only_if(mut self, may_be_error: fn(&T) -> bool) -> Self {
        self.events.may_be_error = may_be_error;
        self
    }
}

impl<T: DeserializeOwned> EventDecoder<T> {
    /// A decoder failing on an event larger than `max_event_bytes`, which
    /// searches an event that decoded as `T` for a top-level `error` only
    /// when `may_be_error` says so (events that do not decode are always
    /// searched). The search of every event (a `memmem` for `"error"`,
    /// which JSON's many quotes make slow) was about 50 ns per event of the
    /// 10,000-chunk benchmark (`perf`); a type that decodes the `error`
    /// key itself says for free whether the event had one.
    pub(crate) fn new(max_event_bytes: usize, may_be_error: fn(&T) -> bool) -> Self {
        EventDecoder {
            utf8: Utf8Check::default(),
            decoder: Decoder::new(max_event_bytes),
            finished: false,
            may_be_error,
            _item: PhantomData,
        }
    }

    /// Whether `[DONE]` or an error ended the decoding.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Takes one body chunk. Bytes that are not UTF-8 fail (and finish) at once.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        if let Err(e) = self.utf8.check(chunk) {
            self.finished = true;
            return Err(e);
        }
        self.decoder.feed(chunk);
        Ok(())
    }

    /// The body ended (or failed): no more input. Fails when it ended
    /// inside a UTF-8 character.
    pub(crate) fn end(&mut self) -> Result<()> {
        let was_finished = std::mem::replace(&mut self.finished, true);
        if !was_finished && self.utf8.carry_len > 0 {
            return Err(Error::invalid_response(
                "the event stream ended inside a UTF-8 character",
                &self.utf8.carry[..self.utf8.carry_len],
            ));
        }
        Ok(())
    }

    /// The next item of the input fed so far; `None` when more input is
    /// needed (or the decoding has finished). The first error finishes it.
    pub(crate) fn next(&mut self) -> Option<Result<SseItem<T>>> {
        if self.finished {
            return None;
        }
        loop {
            let data = match self.decoder.next_event() {
                Ok(Some(data)) => data.trim_ascii(),
                Ok(None) => return None,
                Err(too_large) => {
                    self.finished = true;
                    return Some(Err(too_large.into_error()));
                }
            };
            if data.is_empty() {
                continue;
            }
            if data == b"[DONE]" {
                self.finished = true;
                return Some(Ok(SseItem::Done));
            }
            let decoded = from_json::<T>(data);
            let decoded = match decoded {
                Ok(value) if !(self.may_be_error)(&value) => {
                    return Some(Ok(SseItem::Event(value)));
                }
                other => other,
            };
            // `{"error": {...}}` mid-stream is the service failing the call.
            if let Some(error) = in_band_error(data) {
                self.finished = true;
                return Some(Err(error));
            }
            return Some(match decoded {
                Ok(value) => Ok(SseItem::Event(value)),
                Err(e) => {
                    self.finished = true;
                    Err(decode_error::<T>(data, e))
                }
            });
        }
    }
}

impl<T: DeserializeOwned> Stream for SseStream<T> {
    type Item = Result<SseItem<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.events.next() {
                return Poll::Ready(Some(item));
            }
            if this.events.is_finished() {
                return Poll::Ready(None);
            }
            match ready!(this.body.as_mut().poll_next(cx)) {
                Some(Ok(chunk)) => {
                    this.read_at = Instant::now();
                    if let Err(e) = this.events.feed(&chunk) {
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                Some(Err(e)) => {
                    this.events.finished = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None => return Poll::Ready(this.events.end().err().map(Err)),
            }
        }
    }
}

impl<T> SseStream<T> {
    /// When the body chunk that completed the last event was read. Events
    /// that one read completes arrived together: reading the clock once per
    /// read instead of once per event saved about 40 ns per event of a fast
    /// stream (`perf`, 10,000-chunk benchmark), the largest part of the
    /// per-chunk telemetry cost.
    pub(crate) fn read_at(&self) -> Instant {
        self.read_at
    }
}

impl<T> fmt::Debug for SseStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseStream")
            .field("item", &short_type_name::<T>())
            .field("finished", &self.events.finished)
            .field("max_event_bytes", &self.events.decoder.max_event_bytes)
            .finish_non_exhaustive()
    }
}

fn decode_error<T>(data: &[u8], e: serde_json::Error) -> Error {
    // A service reporting a failure mid-stream sends `{"error": {...}}`.
    let is_error_event = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(data)
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
    Error::invalid_response(reason, data)
}

/// An event grew past the limit; carries what is needed for the message.
#[derive(Debug)]
struct EventTooLarge {
    limit: usize,
    /// The start of the event, for the error's snippet.
    start: Vec<u8>,
}

impl EventTooLarge {
    fn into_error(self) -> Error {
        Error::invalid_response(
            format!(
                "an event of the stream is larger than the limit of {} bytes; raise it with \
                 ClientOptions::with_max_event_bytes if the service really sends events this large",
                self.limit
            ),
            &self.start,
        )
    }
}

/// The event-stream framing, without I/O: chunks go in with [`feed`],
/// the data of complete events comes out of [`next_event`].
///
/// Linear in the bytes fed, whatever the chunking: the unread input is one
/// `BytesMut` consumed from the front (`advance`, no copy), and the search
/// for the next line end resumes where the previous one stopped. An event
/// with one `data` line (what the service sends) is handed out as a slice
/// of the input, not copied; only events of several lines are joined into a
/// second buffer. Memory is the current event plus the unread input, and
/// [`next_event`] fails once those exceed `max_event_bytes`.
///
/// [`feed`]: Decoder::feed
/// [`next_event`]: Decoder::next_event
struct Decoder {
    /// Input from the start of the current event's only data line (or the
    /// first line not yet read); `buf[..pos]` is read.
    buf: BytesMut,
    /// The start of the first line not yet interpreted.
    pos: usize,
    /// `buf[pos..pos + scanned]` holds no line end.
    scanned: usize,
    /// The value of the event's only `data` line so far, within `buf`.
    single: Option<Range<usize>>,
    /// The `data` lines of an event that has several, joined with `\n`.
    joined: Vec<u8>,
    /// The last `next_event` handed an event out; forget it first.
    dispatched: bool,
    /// The last line ended with `\r`: a `\n` right after belongs to it.
    skip_lf: bool,
    /// Whether the start of the stream was checked for a byte order mark.
    bom_checked: bool,
    max_event_bytes: usize,
}

impl Decoder {
    fn new(max_event_bytes: usize) -> Decoder {
        Decoder {
            buf: BytesMut::new(),
            pos: 0,
            scanned: 0,
            single: None,
            joined: Vec::new(),
            dispatched: false,
            skip_lf: false,
            bom_checked: false,
            max_event_bytes,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The data of the next complete event (its `data` lines joined with
    /// `\n`), `None` when more input is needed, or an error when the event
    /// being read has grown past the limit.
    fn next_event(&mut self) -> std::result::Result<Option<&[u8]>, EventTooLarge> {
        if self.dispatched {
            self.single = None;
            self.joined.clear();
            self.dispatched = false;
        }
        // No `compact` here: the input is compacted before asking for more
        // (below), which is all that bounds the buffer, and moving its start
        // once per event cost about 35 instructions (callgrind).
        loop {
            if self.skip_lf && self.pos < self.buf.len() {
                if self.buf[self.pos] == b'\n' {
                    self.pos += 1;
                }
                self.skip_lf = false;
            }
            if !self.bom_checked {
                let n = self.buf.len().min(BOM.len());
                if self.buf[..n] != BOM[..n] {
                    self.bom_checked = true;
                } else if n == BOM.len() {
                    self.pos = BOM.len();
                    self.bom_checked = true;
                } else {
                    // Maybe the start of a byte order mark: wait for more.
                    return Ok(None);
                }
            }
            let from = self.pos + self.scanned;
            let rest = &self.buf[from..];
            // The blank line that ends every event is found without a
            // search call (about 40 instructions each).
            let found = match rest.first() {
                Some(b'\n' | b'\r') => Some(0),
                _ => memchr::memchr2(b'\n', b'\r', rest),
            };
            let Some(found) = found else {
                self.scanned = self.buf.len() - self.pos;
                if self.held() > self.max_event_bytes {
                    return Err(self.too_large());
                }
                self.compact();
                return Ok(None);
            };
            let end = from + found;
            let start = self.pos;
            self.scanned = 0;
            self.skip_lf = self.buf[end] == b'\r';
            self.pos = end + 1;
            if self.line(start, end)? {
                self.dispatched = true;
                return Ok(Some(match &self.single {
                    Some(range) => &self.buf[range.clone()],
                    None => &self.joined,
                }));
            }
        }
    }

    /// Where the input still needed starts: the pending single data line,
    /// else the first line not yet read.
    fn keep_from(&self) -> usize {
        self.single.as_ref().map_or(self.pos, |r| r.start)
    }

    /// The bytes held for the current event: what [`compact`](Self::compact)
    /// keeps (including the lines read after a pending data line, such as
    /// comments) and the joined data.
    fn held(&self) -> usize {
        self.buf.len() - self.keep_from() + self.joined.len()
    }

    /// Drops the input already read, keeping a pending single data line.
    fn compact(&mut self) {
        let keep = self.keep_from();
        if keep > 0 {
            self.buf.advance(keep);
            self.pos -= keep;
            if let Some(r) = &mut self.single {
                *r = r.start - keep..r.end - keep;
            }
        }
    }

    fn event_len(&self) -> usize {
        self.single.as_ref().map_or(0, Range::len) + self.joined.len()
    }

    /// Interprets `buf[start..end]`, one line without its ending. Returns
    /// whether it dispatched an event.
    fn line(&mut self, start: usize, end: usize) -> std::result::Result<bool, EventTooLarge> {
        let line = &self.buf[start..end];
        if line.is_empty() {
            // A blank line ends the event; one without data is not dispatched.
            if self.single.is_some() {
                return Ok(true);
            }
            return Ok(self.joined.pop().is_some());
        }
        if line[0] == b':' {
            return Ok(false);
        }
        // `data:` lines (nearly all of them) skip the search for the colon.
        let colon = if line.starts_with(b"data:") {
            Some(4)
        } else {
            memchr::memchr(b':', line)
        };
        let (field, value) = match colon {
            Some(colon) => {
                let space = usize::from(line.get(colon + 1) == Some(&b' '));
                (&line[..colon], start + colon + 1 + space..end)
            }
            None => (line, end..end),
        };
        // `event`, `id` and `retry` change nothing this client reports, and
        // unknown fields are ignored, as the specification says.
        if field != b"data" {
            return Ok(false);
        }
        if self.event_len() + value.len() + 1 > self.max_event_bytes {
            return Err(self.too_large());
        }
        if self.single.is_none() && self.joined.is_empty() {
            self.single = Some(value);
            return Ok(false);
        }
        if let Some(first) = self.single.take() {
            self.joined.extend_from_slice(&self.buf[first]);
            self.joined.push(b'\n');
        }
        self.joined.extend_from_slice(&self.buf[value]);
        self.joined.push(b'\n');
        Ok(false)
    }

    fn too_large(&self) -> EventTooLarge {
        let start = match &self.single {
            Some(range) => &self.buf[range.clone()],
            None if self.joined.is_empty() => &self.buf[self.pos..],
            None => &self.joined[..],
        };
        EventTooLarge {
            limit: self.max_event_bytes,
            start: start[..start.len().min(256)].to_vec(),
        }
    }
}

/// Validates UTF-8 across chunk boundaries without copying, so bad bytes
/// fail at once instead of waiting in the framing buffer for a line end.
#[derive(Default)]
struct Utf8Check {
    /// The start of a character split by the previous chunk.
    carry: [u8; 4],
    carry_len: usize,
}

impl Utf8Check {
    fn check(&mut self, chunk: &[u8]) -> Result<()> {
        // Event streams are mostly ASCII, which `is_ascii` (vectorized)
        // confirms in fewer instructions than `from_utf8` validates.
        if self.carry_len == 0 && chunk.is_ascii() {
            return Ok(());
        }
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
mod tests;
