use super::*;
use crate::exporters::braintrust::mapping::span_to_row;
use crate::exporters::braintrust::test_spans::chat_span;
use serde_json::json;

const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const PDF: &str =
    "data:application/pdf;base64,JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK";

fn row_with(input: Json) -> BraintrustRow {
    let mut row = span_to_row(&chat_span(vec![], vec![]));
    row.input = Some(input);
    row
}

/// Every place of [`PLACES`] has a sample here: a new place without one fails.
fn sample_for(place: &(&str, &str)) -> Json {
    match *place {
        ("image_url", "url") => {
            json!({"type": "image_url", "image_url": {"url": PNG, "detail": "low"}})
        }
        ("input_audio", "data") => {
            json!({"type": "input_audio", "input_audio": {"data": "data:audio/wav;base64,UklGRiQAAABXQVZFZm10IBAAAAABAAEA", "format": "wav"}})
        }
        ("file", "file_data") => {
            json!({"type": "file", "file": {"filename": "report.pdf", "file_data": PDF}})
        }
        other => panic!("no sample for {other:?}"),
    }
}

#[test]
fn every_place_is_converted_and_siblings_stay() {
    for place in PLACES {
        let uploader = Uploader::idle(8, 1 << 20);
        let mut row = row_with(json!([{"role": "user", "content": [sample_for(place)]}]));
        assert_eq!(
            convert_row(&mut row, &uploader),
            Conversion::Converted(1),
            "{place:?}"
        );
        let part = &row.input.as_ref().unwrap()[0]["content"][0][place.0];
        let reference = &part[place.1];
        assert_eq!(reference["type"], "braintrust_attachment", "{place:?}");
        assert_eq!(reference["key"].as_str().map(str::len), Some(36));
        assert_eq!(part.as_object().map(|o| o.len()), Some(2), "{part}");
        let queued = uploader.shared.lock().queue.clone();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].key, reference["key"].as_str().unwrap());
    }
}

#[test]
fn pngs_and_pdfs_get_their_type_and_filename() {
    let uploader = Uploader::idle(8, 1 << 20);
    let mut row = row_with(json!([{"role": "user", "content": [
        sample_for(&("image_url", "url")),
        sample_for(&("file", "file_data")),
    ]}]));
    assert_eq!(convert_row(&mut row, &uploader), Conversion::Converted(2));
    let content = &row.input.as_ref().unwrap()[0]["content"];
    assert_eq!(content[0]["image_url"]["url"]["content_type"], "image/png");
    assert_eq!(content[0]["image_url"]["url"]["filename"], "attachment.png");
    assert_eq!(
        content[1]["file"]["file_data"]["content_type"],
        "application/pdf"
    );
    assert_eq!(
        content[1]["file"]["file_data"]["filename"],
        "attachment.pdf"
    );
    assert_eq!(content[1]["file"]["filename"], "report.pdf");
    let queued = uploader.shared.lock().queue.clone();
    assert!(queued[0].data.starts_with(b"\x89PNG"));
    assert!(queued[1].data.starts_with(b"%PDF"));
}

#[test]
fn a_row_whose_uploads_do_not_all_fit_is_left_unchanged() {
    let uploader = Uploader::idle(1, 1 << 20);
    let input = json!([{"role": "user", "content": [
        sample_for(&("image_url", "url")),
        sample_for(&("file", "file_data")),
    ]}]);
    let mut row = row_with(input.clone());
    assert_eq!(convert_row(&mut row, &uploader), Conversion::Refused);
    assert_eq!(row.input, Some(input));
    assert!(uploader.shared.lock().queue.is_empty());
}

#[test]
fn only_whole_data_urls_in_known_places_are_taken() {
    let uploader = Uploader::idle(8, 1 << 20);
    let input = json!([
        {"role": "user", "content": format!("look: {PNG}")},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
        {"role": "user", "content": [{"type": "text", "text": PNG}]},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,abc"}}]},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@@not-base64-at-all@@@@"}}]},
    ]);
    let mut row = row_with(input.clone());
    assert_eq!(convert_row(&mut row, &uploader), Conversion::Nothing);
    assert_eq!(row.input, Some(input));
}

#[test]
fn filenames_follow_the_type() {
    assert_eq!(filename_for("image/jpeg"), "attachment.jpg");
    assert_eq!(filename_for("application/pdf"), "attachment.pdf");
    assert_eq!(filename_for("audio/mpeg"), "attachment.mp3");
    assert_eq!(filename_for("application/vnd.ms-excel"), "attachment.vnd");
    assert_eq!(filename_for("weird"), "attachment.bin");
}

#[test]
fn a_failed_uploader_refuses_new_rows() {
    let uploader = Uploader::idle(8, 1 << 20);
    uploader.shared.lock().failed = true;
    let mut row =
        row_with(json!([{"role": "user", "content": [sample_for(&("image_url", "url"))]}]));
    assert_eq!(convert_row(&mut row, &uploader), Conversion::Refused);
}
