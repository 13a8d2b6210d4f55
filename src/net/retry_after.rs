//! How long a service asked us to wait before trying again.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// The wait a response asks for, read from (first match wins):
/// - `retry-after-ms`, then `x-ms-retry-after-ms`: milliseconds, fractions allowed
///   (Azure's own headers, more precise than `Retry-After`);
/// - `Retry-After`: seconds (fractions allowed) or an HTTP date, where a date in
///   the past means "now" (zero).
///
/// Negative, non-finite or unparsable values are ignored, so a malformed
/// header falls through to the next one or to `None`.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(d) = text(name).and_then(|v| seconds(v, 1000.0)) {
            return Some(d);
        }
    }
    let value = text("retry-after")?;
    if let Some(d) = seconds(value, 1.0) {
        return Some(d);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `value / per_second` seconds, when `value` is a non-negative finite number.
fn seconds(value: &str, per_second: f64) -> Option<Duration> {
    let n = value.parse::<f64>().ok()?;
    Duration::try_from_secs_f64(n / per_second).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(pairs: &[(&'static str, &'static str)]) -> Option<Duration> {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        retry_after(&m, now)
    }

    #[test]
    fn seconds_and_fractions() {
        assert_eq!(
            parse(&[("retry-after", "30")]),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse(&[("retry-after", " 1.5 ")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse(&[("retry-after", "0")]), Some(Duration::ZERO));
    }

    #[test]
    fn millisecond_headers_win_in_order() {
        assert_eq!(
            parse(&[
                ("retry-after-ms", "250"),
                ("x-ms-retry-after-ms", "9"),
                ("retry-after", "30")
            ]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse(&[("x-ms-retry-after-ms", "12.5"), ("retry-after", "30")]),
            Some(Duration::from_micros(12_500))
        );
        // A malformed ms header falls through to Retry-After.
        assert_eq!(
            parse(&[("retry-after-ms", "soon"), ("retry-after", "2")]),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn http_dates_future_and_past() {
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        assert_eq!(
            parse(&[("retry-after", "Tue, 14 Nov 2023 22:13:30 GMT")]),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse(&[("retry-after", "Tue, 14 Nov 2023 22:00:00 GMT")]),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn garbage_and_negative_are_ignored() {
        assert_eq!(parse(&[("retry-after", "-5")]), None);
        assert_eq!(parse(&[("retry-after", "NaN")]), None);
        assert_eq!(parse(&[("retry-after", "inf")]), None);
        assert_eq!(parse(&[("retry-after", "tomorrow")]), None);
        assert_eq!(parse(&[]), None);
    }
}
