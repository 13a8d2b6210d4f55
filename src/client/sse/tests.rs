//! Framing and decoding cases of the SSE decoder, and property tests over
//! chunkings and random input.
use futures::TryStreamExt;
use serde::Deserialize;

use super::*;

/// The default limit of the client options.
const LIMIT: usize = 16 * 1024 * 1024;

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
    SseStream::new(futures::stream::iter(owned), LIMIT)
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
    let s = SseStream::<Chunk>::new(
        futures::stream::iter(vec![
            Ok(Bytes::from_static(b"data: {\"n\":1}\n\ndata: [DONE]\n\n")),
            Err(Error::invalid_config(
                crate::ConfigField::HttpClient,
                "the body was read past [DONE]",
            )),
        ]),
        LIMIT,
    );
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
        [Err(Error::Service { code, message, .. })] => {
            assert_eq!(code.as_deref(), Some("server_error"));
            assert_eq!(message, "boom");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_error_hint_decides_which_decoded_events_are_searched() {
    let body: &[u8] = b"data: {\"n\":1,\"error\":{\"code\":\"c1\",\"message\":\"m\"}}\n\n\
        data: {\"n\":0,\"error\":{\"code\":\"c0\",\"message\":\"m\"}}\n\n";
    let code = |item: &Result<SseItem<Chunk>>| match item {
        Err(Error::Service { code, .. }) => code.clone(),
        other => panic!("{other:?}"),
    };
    // Without a hint every event is searched: the first one fails.
    let items = collect(chunks(&[body])).await;
    assert_eq!(items.len(), 1);
    assert_eq!(code(&items[0]).as_deref(), Some("c1"));
    // With one, a decoded event the hint clears is yielded as it is; one it
    // does not clear, and data that does not decode as `T`, are searched.
    let hinted = |parts: &[&[u8]]| chunks(parts).error_only_if(|c: &Chunk| c.n == 0);
    let items = collect(hinted(&[body])).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap(), &ev(1, ""));
    assert_eq!(code(&items[1]).as_deref(), Some("c0"));
    let items = collect(hinted(&[
        b"data: {\"error\":{\"code\":\"bare\",\"message\":\"m\"}}\n\n",
    ]))
    .await;
    assert_eq!(code(&items[0]).as_deref(), Some("bare"));
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
        LIMIT,
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
    let s = SseStream::<Chunk>::new(
        futures::stream::iter(vec![
            Ok(Bytes::from_static(b"data: {\"n\":1}\n\n")),
            Err(Error::Connection {
                detail: "connection reset by 127.0.0.1:1".into(),
                source: None,
            }),
        ]),
        LIMIT,
    );
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

/// Decodes `parts` with `limit`, on the calling thread.
fn decode(parts: &[&[u8]], limit: usize) -> Vec<Result<SseItem<Chunk>>> {
    let owned: Vec<Result<Bytes>> = parts
        .iter()
        .map(|p| Ok(Bytes::copy_from_slice(p)))
        .collect();
    futures::executor::block_on(SseStream::new(futures::stream::iter(owned), limit).collect())
}

/// The items as comparable text (errors by their reason).
fn summary(items: &[Result<SseItem<Chunk>>]) -> Vec<String> {
    items
        .iter()
        .map(|i| match i {
            Ok(item) => format!("{item:?}"),
            Err(Error::InvalidResponse { reason, .. }) => format!("invalid: {reason}"),
            Err(e) => format!("error: {e}"),
        })
        .collect()
}

/// Every way the service may end lines, a byte order mark, and fields this
/// client ignores, in one body.
fn bodies() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for ending in ["\n", "\r\n", "\r"] {
        let body = BODY.replace('\n', ending);
        out.push(body.clone().into_bytes());
        out.push(format!("\u{feff}{body}").into_bytes());
    }
    out.push(
        b"retry: 3000\r\nevent: delta\nid: 7\r: note\ndata: {\"n\":\r\ndata: 5}\n\r\ndata: [DONE]\r\n\r\n"
            .to_vec(),
    );
    out
}

#[test]
fn the_same_events_at_every_split_and_random_chunkings() {
    let mut rng = fastrand::Rng::with_seed(0x55E);
    for body in bodies() {
        let want = summary(&decode(&[&body], LIMIT));
        assert!(
            want.last().is_some_and(|l| l == "Done"),
            "{want:?} for {body:?}"
        );
        for cut in 0..=body.len() {
            let got = summary(&decode(&split(&body, &[cut]), LIMIT));
            assert_eq!(got, want, "split at {cut} of {body:?}");
        }
        for _ in 0..200 {
            let mut cuts: Vec<usize> = (0..rng.usize(1..=2))
                .map(|_| rng.usize(0..=body.len()))
                .collect();
            cuts.sort_unstable();
            let got = summary(&decode(&split(&body, &cuts), LIMIT));
            assert_eq!(got, want, "cuts {cuts:?} of {body:?}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(summary(&decode(&bytes, LIMIT)), want);
    }
}

#[test]
fn byte_order_mark_is_dropped_once_at_the_start_only() {
    let items = decode(&[b"\xEF\xBB\xBFdata: {\"n\":1}\n\n"], LIMIT);
    assert_eq!(summary(&items), vec![format!("{:?}", ev(1, ""))]);
    // A second mark is part of the field name, which then is not `data`.
    let items = decode(
        &[b"\xEF\xBB\xBF\xEF\xBB\xBFdata: {\"n\":1}\n\ndata: {\"n\":2}\n\n"],
        LIMIT,
    );
    assert_eq!(summary(&items), vec![format!("{:?}", ev(2, ""))]);
    // Later, it is content.
    let items = decode(
        &[b"data: {\"n\":1}\n\n\xEF\xBB\xBFdata: {\"n\":2}\n\n"],
        LIMIT,
    );
    assert_eq!(summary(&items), vec![format!("{:?}", ev(1, ""))]);
}

#[test]
fn cr_alone_ends_lines_and_a_split_crlf_is_one_ending() {
    let items = decode(&[b"data: {\"n\":1}\r\rdata: {\"n\":2}\r", b"\n\r\n"], LIMIT);
    assert_eq!(
        summary(&items),
        vec![format!("{:?}", ev(1, "")), format!("{:?}", ev(2, ""))]
    );
    // `\r` then `\n` in the next chunk is one line end, not a blank line:
    // the two data lines are one event.
    let items = decode(&[b"data: {\"n\":\r", b"\ndata: 3}\r\n\r\n"], LIMIT);
    assert_eq!(summary(&items), vec![format!("{:?}", ev(3, ""))]);
}

#[test]
fn field_values_keep_all_but_one_leading_space() {
    let items = decode(&[b"data:{\"n\":1}\n\ndata:  {\"n\":2}\n\n"], LIMIT);
    assert_eq!(
        summary(&items),
        vec![format!("{:?}", ev(1, "")), format!("{:?}", ev(2, ""))]
    );
    let items = decode(&[b"data: {\"n\":3,\"text\":\"a:b\"}\n\n"], LIMIT);
    assert_eq!(summary(&items), vec![format!("{:?}", ev(3, "a:b"))]);
}

#[test]
fn an_event_past_the_limit_fails_with_the_limit_and_how_to_raise_it() {
    let event = format!("data: {{\"n\":1,\"text\":\"{}\"}}\n\n", "x".repeat(100));
    // Within the limit: fine, whatever the chunking.
    let bytes: Vec<&[u8]> = event.as_bytes().chunks(7).collect();
    assert_eq!(summary(&decode(&bytes, 200)).len(), 1);
    assert!(decode(&bytes, 200)[0].is_ok());
    // Past it, in one line or over several data lines.
    let lines = format!(
        "data: {{\"n\":1,\n{}data: \"text\":\"\"}}\n\n",
        "data: \n".repeat(60)
    );
    assert!(decode(&[lines.as_bytes()], LIMIT)[0].is_ok());
    for body in [event.as_bytes(), lines.as_bytes()] {
        for chunk in [1, 7, body.len()] {
            let parts: Vec<&[u8]> = body.chunks(chunk).collect();
            let items = decode(&parts, 60);
            match &items[..] {
                [Err(Error::InvalidResponse { reason, .. })] => {
                    assert!(reason.contains("60 bytes"), "{reason}");
                    assert!(reason.contains("with_max_event_bytes"), "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn lines_held_after_a_data_line_count_toward_the_limit() {
    let mut body = b"data: {\"n\":1}\n".to_vec();
    for _ in 0..100 {
        body.extend_from_slice(b": keep-alive\n");
    }
    let parts: Vec<&[u8]> = body.chunks(50).collect();
    match &decode(&parts, 500)[..] {
        [Err(Error::InvalidResponse { reason, .. })] => assert!(reason.contains("500"), "{reason}"),
        other => panic!("{other:?}"),
    }
    body.extend_from_slice(b"\n");
    let parts: Vec<&[u8]> = body.chunks(50).collect();
    assert_eq!(
        summary(&decode(&parts, LIMIT)),
        vec![format!("{:?}", ev(1, ""))]
    );
}

#[tokio::test]
async fn an_endless_line_fails_at_the_limit_without_waiting_for_the_body_to_end() {
    let line = Bytes::from(vec![b'a'; 1000]);
    let body = futures::stream::iter((0..10).map(move |_| Ok(line.clone())))
        .chain(futures::stream::pending());
    let mut s = SseStream::<Chunk>::new(body, 4096);
    match s.next().await {
        Some(Err(Error::InvalidResponse { reason, .. })) => {
            assert!(reason.contains("4096"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(s.next().await.is_none());
}

#[test]
fn random_bytes_never_panic_and_always_end() {
    let mut rng = fastrand::Rng::with_seed(0xB0D1);
    let pieces: [&[u8]; 14] = [
        b"data:",
        b"data: ",
        b"\n",
        b"\r",
        b"\r\n",
        b":",
        b" ",
        b"[DONE]",
        b"{\"n\":1}",
        b"event: x",
        b"\xEF\xBB\xBF",
        b"\xff",
        b"\xf0\x9f",
        b"\xe9",
    ];
    for round in 0..2000 {
        let mut body = Vec::new();
        for _ in 0..rng.usize(0..40) {
            if rng.bool() {
                body.extend_from_slice(pieces[rng.usize(..pieces.len())]);
            } else {
                body.push(rng.u8(..));
            }
        }
        let mut cuts: Vec<usize> = (0..rng.usize(0..4))
            .map(|_| rng.usize(0..=body.len()))
            .collect();
        cuts.sort_unstable();
        let limit = if round % 2 == 0 { 16 } else { LIMIT };
        let items = decode(&split(&body, &cuts), limit);
        // Each item consumed at least one line end, and errors end the stream.
        assert!(items.len() <= body.len() + 1, "{body:?}");
        let first_err = items.iter().position(Result::is_err);
        if let Some(i) = first_err {
            assert_eq!(i, items.len() - 1, "{body:?}: {items:?}");
        }
    }
}

#[test]
fn decoder_consumes_the_input_as_it_goes() {
    let mut d = Decoder::new(LIMIT);
    for i in 0..1000 {
        d.feed(format!("data: {{\"n\":{i}}}\n\n").as_bytes());
        assert!(d.next_event().unwrap().is_some());
        assert!(d.next_event().unwrap().is_none());
        // Nothing is kept once the events are out.
        assert!(d.buf.is_empty() && d.pos == 0 && d.scanned == 0, "{i}");
    }
    // An unfinished line is scanned once: `scanned` resumes where it stopped.
    d.feed(b"data: {\"n\":");
    assert!(d.next_event().unwrap().is_none());
    assert_eq!(d.scanned, 11);
    d.feed(b"5}\n\n");
    assert_eq!(d.next_event().unwrap(), Some(&b"{\"n\":5}"[..]));
    // A one-line event is not copied; a two-line one is joined.
    assert!(d.joined.is_empty());
    d.feed(b"data: a\ndata: b\n\n");
    assert_eq!(d.next_event().unwrap(), Some(&b"a\nb"[..]));
    assert!(d.single.is_none());
}
