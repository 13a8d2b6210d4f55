//! JSON output primitives for the row writer: strings escaped exactly as
//! `serde_json` escapes them, numbers through `serde_json`'s own formatters
//! (so both writers of a row print the same bytes), lowercase hex ids and
//! RFC 3339 times without `fmt`, and a check for JSON text that can be
//! copied as it is.

use std::time::Duration;

use serde::Serializer as _;
use serde_json::Value as Json;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// What follows the backslash for each byte that JSON requires escaped
/// (`u`: `\u00XX`), 0 for bytes written as they are: `serde_json`'s table.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the 8 bytes of `word` needs escaping (a control
/// character, `"` or `\`): the classic "has a byte less than n" and "has a
/// zero byte" tests, exact for the yes/no answer.
#[inline]
fn word_needs_escape(word: u64) -> bool {
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    let quote = has_zero(word ^ (ONES * u64::from(b'"')));
    let backslash = has_zero(word ^ (ONES * u64::from(b'\\')));
    (control | quote | backslash) != 0
}

/// Whether no byte of `bytes` needs escaping: 8 bytes at a time, the
/// rest one by one.
#[inline]
fn is_plain(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            return false;
        };
        if word_needs_escape(u64::from_le_bytes(word)) {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&byte| ESCAPE[usize::from(byte)] == 0)
}

/// `text` as a JSON string, quotes included; the same bytes as
/// `serde_json::to_writer(out, text)`.
///
/// Own code rather than `serde_json`'s (private; reached through
/// `Serializer::serialize_str` it tests every byte against its table and
/// copies each piece through `io::Write`): this one skips 8 plain bytes at a
/// time and pushes short pieces, which made the native sink's `encode` of a
/// default chat span about 140 instructions cheaper (10.38k before) and a
/// recorded chat row about 80 (callgrind). Most texts (keys, names, models)
/// need no escape at all: they are checked first and copied whole, about
/// 35 instructions a text less than looking for the next escape piece by
/// piece (the native sink's `encode` of a default chat span, ten texts
/// then, 10.24k -> 9.86k, before the llm metadata keys were written without
/// it). The test below pins it to `serde_json`'s output.
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if is_plain(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    write_escaped(out, bytes);
    out.push(b'"');
}

/// `bytes` escaped, without quotes.
#[cold]
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    let mut at = 0;
    loop {
        // The next byte to escape: 8 at a time, then one by one.
        while let Some(chunk) = bytes.get(at..at + 8)
            && let Ok(word) = <[u8; 8]>::try_from(chunk)
            && !word_needs_escape(u64::from_le_bytes(word))
        {
            at += 8;
        }
        while let Some(&byte) = bytes.get(at)
            && ESCAPE[usize::from(byte)] == 0
        {
            at += 1;
        }
        let Some(&byte) = bytes.get(at) else {
            break;
        };
        out.extend_from_slice(&bytes[start..at]);
        at += 1;
        start = at;
        let escape = ESCAPE[usize::from(byte)];
        out.push(b'\\');
        out.push(escape);
        if escape == b'u' {
            out.extend_from_slice(b"00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Lowercase hex of `bytes` (an id's big-endian bytes), no quotes: `N`
/// bytes give `M = 2 N` digits.
pub(crate) fn hex<const N: usize, const M: usize>(bytes: [u8; N]) -> [u8; M] {
    let mut out = [0u8; M];
    crate::hex::hex_into(&bytes, &mut out);
    out
}

/// `n` as `serde_json` writes it.
pub(crate) fn write_i64(out: &mut Vec<u8>, n: i64) {
    // Writing to a `Vec` cannot fail.
    let _ = serde_json::Serializer::new(&mut *out).serialize_i64(n);
}

/// `f` as `serde_json` writes it (`null` when not finite).
pub(crate) fn write_f64(out: &mut Vec<u8>, f: f64) {
    let _ = serde_json::Serializer::new(&mut *out).serialize_f64(f);
}

/// A `serde_json::Value` (the slow cases: parts messages, tool definitions).
pub(crate) fn write_json(out: &mut Vec<u8>, value: &Json) {
    let _ = serde_json::to_writer(&mut *out, value);
}

/// `00` to `99`.
static DECIMAL_PAIRS: [[u8; 2]; 100] = {
    let mut table = [[0u8; 2]; 100];
    let mut n = 0;
    while n < 100 {
        table[n] = [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        n += 1;
    }
    table
};

/// `n % 100` as two digits at `at`.
fn two_digits(buf: &mut [u8; 29], at: usize, n: u64) {
    buf[at..at + 2].copy_from_slice(&DECIMAL_PAIRS[(n % 100) as usize]);
}

/// `t` as RFC 3339 UTC with microseconds, quotes included: the text of
/// `values::rfc3339` (clamped to 1970..=9999-12-31T23:59:59Z the same way)
/// without its `humantime` + `fmt` round (about 400 instructions per row).
/// `since` is the time's distance from the epoch (zero before it), which
/// the caller has for `metrics.start` too.
pub(crate) fn write_rfc3339(out: &mut Vec<u8>, since: Duration) {
    const LATEST: Duration = Duration::from_secs(253_402_300_799); // 9999-12-31T23:59:59Z
    let since = since.min(LATEST);
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let of_day = secs % 86_400;
    let micros = u64::from(since.subsec_micros());
    let mut buf = *b"\"0000-00-00T00:00:00.000000Z\"";
    two_digits(&mut buf, 1, year / 100);
    two_digits(&mut buf, 3, year);
    two_digits(&mut buf, 6, month);
    two_digits(&mut buf, 9, day);
    two_digits(&mut buf, 12, of_day / 3600);
    two_digits(&mut buf, 15, of_day / 60 % 60);
    two_digits(&mut buf, 18, of_day % 60);
    two_digits(&mut buf, 21, micros / 10_000);
    two_digits(&mut buf, 23, micros / 100);
    two_digits(&mut buf, 25, micros);
    out.extend_from_slice(&buf);
}

/// `(year, month, day)` of a count of days since 1970-01-01 (proleptic
/// Gregorian; Howard Hinnant's `civil_from_days`, for days >= 0).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Whether `text` is JSON that `serde_json` parses to a value and writes
/// back as exactly `text` (compact, object keys in increasing order, no
/// escapes, integers only), so tool-call arguments in that form (what the
/// model and the instrumentation write) can be copied instead of going
/// through a `Value` (about 3k of the 23k instructions of a recorded chat
/// row with one tool call, callgrind). `false` says nothing: the caller
/// takes the general path.
pub(crate) fn is_canonical_json(text: &str) -> bool {
    let mut at = 0;
    canonical_value(text.as_bytes(), &mut at, 0) && at == text.len()
}

/// Nesting kept well under `serde_json`'s recursion limit (128).
const MAX_DEPTH: usize = 64;

fn canonical_value(b: &[u8], at: &mut usize, depth: usize) -> bool {
    match b.get(*at) {
        Some(b'{') if depth < MAX_DEPTH => {
            *at += 1;
            if b.get(*at) == Some(&b'}') {
                *at += 1;
                return true;
            }
            let mut previous: Option<&[u8]> = None;
            loop {
                let key_start = *at + 1;
                if !canonical_string(b, at) {
                    return false;
                }
                let key = &b[key_start..*at - 1];
                if previous.is_some_and(|p| p >= key) || b.get(*at) != Some(&b':') {
                    return false;
                }
                previous = Some(key);
                *at += 1;
                if !canonical_value(b, at, depth + 1) {
                    return false;
                }
                match b.get(*at) {
                    Some(b',') => *at += 1,
                    Some(b'}') => {
                        *at += 1;
                        return true;
                    }
                    _ => return false,
                }
            }
        }
        Some(b'[') if depth < MAX_DEPTH => {
            *at += 1;
            if b.get(*at) == Some(&b']') {
                *at += 1;
                return true;
            }
            loop {
                if !canonical_value(b, at, depth + 1) {
                    return false;
                }
                match b.get(*at) {
                    Some(b',') => *at += 1,
                    Some(b']') => {
                        *at += 1;
                        return true;
                    }
                    _ => return false,
                }
            }
        }
        Some(b'"') => canonical_string(b, at),
        Some(b'-' | b'0'..=b'9') => {
            let start = *at;
            if b.get(*at) == Some(&b'-') {
                *at += 1;
            }
            let digits = *at;
            while b.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            let n = *at - digits;
            // i64 and u64 print back as they came; leading zeros, `-0`,
            // fractions and exponents may not.
            let leading_zero = b.get(digits) == Some(&b'0') && (n > 1 || digits > start);
            (1..=18).contains(&n) && !leading_zero
        }
        _ => {
            for literal in [&b"true"[..], b"false", b"null"] {
                if b[*at..].starts_with(literal) {
                    *at += literal.len();
                    return true;
                }
            }
            false
        }
    }
}

/// A string without escapes or control characters (quotes included).
fn canonical_string(b: &[u8], at: &mut usize) -> bool {
    if b.get(*at) != Some(&b'"') {
        return false;
    }
    *at += 1;
    while let Some(&c) = b.get(*at) {
        *at += 1;
        match c {
            b'"' => return true,
            b'\\' | 0..=0x1f => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporters::braintrust::mapping::values::since_epoch;
    use std::time::UNIX_EPOCH;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut cases: Vec<String> = [
            "",
            "plain",
            "exactly8",
            "sixteen bytes!!!",
            "quote \" and backslash \\ inside a longer text",
            "tab\tnew\nline\rcr\u{8}\u{c}",
            "\u{0}\u{1f}\u{7f} del is not escaped",
            "é non-ASCII ✓ stays raw, 🎉",
            "\"",
            "\\\\\\\\\\\\\\\\\\",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every byte below 0x80 at every position of a 20-byte text.
        for b in 0u8..0x80 {
            for at in 0..20 {
                let mut s: Vec<u8> = b"abcdefghijklmnopqrst".to_vec();
                s[at] = b;
                cases.push(String::from_utf8(s).expect("ASCII"));
            }
        }
        for case in &cases {
            let ours = text(|out| write_str(out, case));
            let serde = serde_json::to_string(case).expect("serializes");
            assert_eq!(ours, serde, "{case:?}");
        }
    }

    #[test]
    fn times_match_the_humantime_text() {
        // Every 13th day up to year 9999 (leap years, centuries), at
        // varying times of day, and past the clamp.
        let days = (0..2_932_900u64)
            .step_by(13)
            .chain([2_932_896, 2_932_897, 9_000_000]);
        for (i, day) in days.enumerate() {
            let secs = day * 86_400 + (i as u64 * 7_919) % 86_400;
            let nanos = [0, 1_000, 999_999_999, 250_000_000][i % 4];
            let at = UNIX_EPOCH + Duration::new(secs, nanos);
            let ours = text(|out| write_rfc3339(out, since_epoch(at)));
            let theirs = format!("\"{}\"", super::super::super::values::rfc3339(at));
            assert_eq!(ours, theirs, "{secs}.{nanos}");
        }
        let before = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(
            text(|out| write_rfc3339(out, since_epoch(before))),
            "\"1970-01-01T00:00:00.000000Z\""
        );
    }

    #[test]
    fn canonical_json_is_what_serde_json_writes_back() {
        let cases = [
            r#"{"city":"Paris"}"#,
            r#"{"a":1,"b":[true,false,null],"c":{"d":-5,"e":"é ✓"}}"#,
            r#"[]"#,
            r#"{}"#,
            r#""text""#,
            "0",
            "-0",
            "007",
            "-12",
            "1.5",
            "1e3",
            "123456789012345678",
            "1234567890123456789012",
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{ "a": 1 }"#,
            r#"{"a":"x
y"}"#,
            r#"{"a":"é"}"#,
            r#"{"a":"/"}"#,
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"{"a":tru}"#,
            r#"{"a":1}x"#,
            r#"{"a""#,
            "",
            "nul",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ];
        for case in cases {
            if is_canonical_json(case) {
                let value: Json = serde_json::from_str(case).expect("valid JSON");
                assert_eq!(serde_json::to_string(&value).expect("serializes"), case);
            }
        }
        assert!(is_canonical_json(cases[0]));
        assert!(is_canonical_json(cases[1]));
        assert!(!is_canonical_json(r#"{"b":1,"a":2}"#));
        assert!(!is_canonical_json("-0"));
    }

    #[test]
    fn numbers_and_ids() {
        assert_eq!(text(|out| write_f64(out, f64::NAN)), "null");
        assert_eq!(
            text(|out| write_f64(out, 1_700_000_000.25)),
            "1700000000.25"
        );
        assert_eq!(text(|out| write_i64(out, -42)), "-42");
        assert_eq!(&hex::<3, 6>([0x0a, 0xf7, 0x00]), b"0af700");
    }
}
