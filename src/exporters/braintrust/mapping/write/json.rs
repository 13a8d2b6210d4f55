//! JSON output primitives for the row writer: strings and numbers through
//! `serde_json`'s own formatters (so both writers of a row print the same
//! bytes), lowercase hex ids and RFC 3339 times without `fmt`, and a check
//! for JSON text that can be copied as it is.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serializer as _;
use serde_json::Value as Json;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `text` as a JSON string, quotes included, escaped by `serde_json`.
///
/// A hand-written escaper that skips 8 plain bytes at a time was tried:
/// 9.22k instead of 9.36k instructions per default chat row, 18.85k instead
/// of 18.93k for a recorded one (callgrind), not worth its code.
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    // Writing to a `Vec` cannot fail.
    let _ = serde_json::Serializer::new(&mut *out).serialize_str(text);
}

/// Lowercase hex of `bytes` (an id's big-endian bytes), no quotes: `N`
/// bytes give `M = 2 N` digits.
pub(crate) fn hex<const N: usize, const M: usize>(bytes: [u8; N]) -> [u8; M] {
    let mut out = [0u8; M];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0xf)];
    }
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

fn two_digits(out: &mut Vec<u8>, n: u64) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

/// `t` as RFC 3339 UTC with microseconds, quotes included: the text of
/// `values::rfc3339` (clamped to 1970..=9999-12-31T23:59:59Z the same way)
/// without its `humantime` + `fmt` round (about 400 instructions per row).
pub(crate) fn write_rfc3339(out: &mut Vec<u8>, t: SystemTime) {
    const LATEST: Duration = Duration::from_secs(253_402_300_799); // 9999-12-31T23:59:59Z
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default().min(LATEST);
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let of_day = secs % 86_400;
    out.push(b'"');
    two_digits(out, year / 100);
    two_digits(out, year % 100);
    out.push(b'-');
    two_digits(out, month);
    out.push(b'-');
    two_digits(out, day);
    out.push(b'T');
    two_digits(out, of_day / 3600);
    out.push(b':');
    two_digits(out, of_day / 60 % 60);
    out.push(b':');
    two_digits(out, of_day % 60);
    out.push(b'.');
    let micros = u64::from(since.subsec_micros());
    two_digits(out, micros / 10_000);
    two_digits(out, micros / 100 % 100);
    two_digits(out, micros % 100);
    out.extend_from_slice(b"Z\"");
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

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn times_match_the_humantime_text() {
        // Every 13th day up to year 9999 (leap years, centuries), at
        // varying times of day, and past the clamp.
        let days = (0..2_932_900u64).step_by(13).chain([2_932_896, 2_932_897, 9_000_000]);
        for (i, day) in days.enumerate() {
            let secs = day * 86_400 + (i as u64 * 7_919) % 86_400;
            let nanos = [0, 1_000, 999_999_999, 250_000_000][i % 4];
            let at = UNIX_EPOCH + Duration::new(secs, nanos);
            let ours = text(|out| write_rfc3339(out, at));
            let theirs = format!("\"{}\"", super::super::super::values::rfc3339(at));
            assert_eq!(ours, theirs, "{secs}.{nanos}");
        }
        let before = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(
            text(|out| write_rfc3339(out, before)),
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
        assert_eq!(text(|out| write_f64(out, 1_700_000_000.25)), "1700000000.25");
        assert_eq!(text(|out| write_i64(out, -42)), "-42");
        assert_eq!(&hex::<3, 6>([0x0a, 0xf7, 0x00]), b"0af700");
    }
}
