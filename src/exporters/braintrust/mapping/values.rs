//! Attribute values, times and texts as the row's JSON needs them. Never
//! panics: out-of-range times are clamped, non-finite numbers become `null`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::{Array, Value};
use serde_json::Value as Json;

pub(super) fn as_str(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// A token count: an int, or a whole, non-negative double.
pub(super) fn as_count(value: &Value) -> Option<i64> {
    match value {
        Value::I64(n) => Some(*n),
        Value::F64(f) if f.fract() == 0.0 && *f >= 0.0 && *f <= i64::MAX as f64 => Some(*f as i64),
        _ => None,
    }
}

pub(super) fn as_seconds(value: &Value) -> Option<f64> {
    match value {
        Value::F64(f) if f.is_finite() => Some(*f),
        Value::I64(n) => Some(*n as f64),
        _ => None,
    }
}

/// An attribute value as JSON: numbers stay numbers, arrays stay arrays.
/// Non-finite doubles (which JSON cannot carry) become `null`.
pub(super) fn value_to_json(value: &Value) -> Json {
    fn float(f: f64) -> Json {
        serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
    }
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::I64(n) => Json::from(*n),
        Value::F64(f) => float(*f),
        Value::String(s) => Json::from(s.as_str()),
        Value::Array(Array::Bool(v)) => v.iter().map(|b| Json::Bool(*b)).collect(),
        Value::Array(Array::I64(v)) => v.iter().map(|n| Json::from(*n)).collect(),
        Value::Array(Array::F64(v)) => v.iter().map(|f| float(*f)).collect(),
        Value::Array(Array::String(v)) => v.iter().map(|s| Json::from(s.as_str())).collect(),
        // Future value kinds: keep their text rather than lose them.
        other => Json::String(other.to_string()),
    }
}

pub(super) fn parse_or_text(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_owned()))
}

pub(super) fn error_text(error_type: Option<&str>, description: &str) -> String {
    match (error_type, description.is_empty()) {
        (Some(t), false) => format!("{t}: {description}"),
        (Some(t), true) => t.to_owned(),
        (None, false) => description.to_owned(),
        (None, true) => "error".to_owned(),
    }
}

/// Seconds since the unix epoch (0 for times before it).
pub(super) fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// RFC 3339 with microseconds. `humantime` panics before the epoch and fails
/// from year 10000, so clamp first: the exporter must never panic.
pub(super) fn rfc3339(t: SystemTime) -> String {
    const LATEST: Duration = Duration::from_secs(253_402_300_799); // 9999-12-31T23:59:59Z
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default().min(LATEST);
    humantime::format_rfc3339_micros(UNIX_EPOCH + since).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_outside_humantime_range_do_not_panic() {
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00.000000Z"
        );
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert!(rfc3339(far).starts_with("9999-12-31T23:59:59"));
    }

    #[test]
    fn counts_are_whole_non_negative_numbers() {
        assert_eq!(as_count(&Value::F64(30.0)), Some(30));
        assert_eq!(as_count(&Value::F64(1.5)), None);
        assert_eq!(as_count(&Value::F64(-1.0)), None);
        assert_eq!(value_to_json(&Value::F64(f64::INFINITY)), Json::Null);
    }
}
