//! The row writer against the reference: over the [corpus](super::corpus)
//! of spans (hand-made and recorded by the instrumentation in both
//! vocabularies, content on and off), the bytes of [`write_row`] parse to
//! the JSON of `serde_json::to_vec(&span_to_row(span))`, and are in fact the
//! same bytes.

use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::SpanData;
use serde_json::Value as Json;

use super::corpus::{hand_made, recorded};
use super::write_row;
use crate::exporters::braintrust::mapping::{route_of, span_to_row};
use crate::telemetry::SemconvMode;

fn assert_same_row(span: &SpanData) {
    let reference = serde_json::to_vec(&span_to_row(span)).expect("the row serializes");
    let mut written = Vec::new();
    write_row(span, &mut written);
    let parsed: Json = serde_json::from_slice(&written).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", String::from_utf8_lossy(&written));
    });
    let expected: Json = serde_json::from_slice(&reference).expect("reference JSON");
    assert_eq!(parsed, expected, "{}", span.name);
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&reference),
        "same bytes"
    );
    assert_eq!(route_of(span), span_to_row(span).route, "{}", span.name);
    // Appends: what was in the buffer stays.
    let mut appended = b"[".to_vec();
    write_row(span, &mut appended);
    assert_eq!(&appended[1..], &written[..]);
}

#[test]
fn hand_made_spans_give_the_reference_row() {
    for span in &hand_made() {
        assert_same_row(span);
    }
}

#[test]
fn recorded_spans_give_the_reference_row_and_nothing_leaks_without_content() {
    for mode in [SemconvMode::Default, SemconvMode::LatestExperimental] {
        for content in [false, true] {
            let spans = recorded(mode, content);
            assert_eq!(spans.len(), 4, "{mode:?}");
            for span in &spans {
                assert_same_row(span);
                let mut written = Vec::new();
                write_row(span, &mut written);
                let text = String::from_utf8_lossy(&written);
                let failed = matches!(span.status, Status::Error { .. });
                let has_content = content && span.name.starts_with("chat") && !failed;
                assert_eq!(text.contains("SECRET"), has_content, "{mode:?}: {text}");
            }
        }
    }
}
