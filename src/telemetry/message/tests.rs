//! Round trips of every content kind through both encodings.

use super::*;
use serde_json::json;

/// One wire message per content kind. The match is exhaustive: a new
/// kind does not compile until it has a round-trip case.
fn case(kind: ContentKind) -> Json {
    match kind {
        ContentKind::Text => json!({"role": "system", "content": "be brief"}),
        ContentKind::Image => json!({"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
        ]}),
        ContentKind::AudioUrl => json!({"role": "user", "content": [
            {"type": "audio_url", "audio_url": {"url": "https://x/a.mp3"}}
        ]}),
        ContentKind::Audio => json!({"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
        ]}),
        ContentKind::ToolCall => json!({"role": "assistant", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}
        ]}),
        ContentKind::ToolResult => {
            json!({"role": "tool", "tool_call_id": "c1", "content": "42"})
        }
        ContentKind::Reasoning => {
            json!({"role": "assistant", "content": "4", "reasoning_content": "2+2"})
        }
        ContentKind::Other => json!({"role": "user", "content": [
            {"type": "file", "file": {"file_id": "f-1"}},
            {"type": "text", "text": "read it"}
        ]}),
    }
}

#[test]
fn every_content_kind_round_trips_wire_parts_wire() {
    for kind in ContentKind::ALL {
        let wire = case(kind);
        let message = Message::from_wire(&wire, "user").expect("an object");
        assert!(
            message.parts.iter().any(|p| p.kind() == kind),
            "the case for {kind:?} has no such part: {message:?}"
        );
        let parts = message.to_parts();
        let back = Message::from_parts(&parts).expect("parts");
        assert_eq!(back, message, "{kind:?} through {parts}");
        assert_eq!(back.to_wire(), wire, "{kind:?} through {parts}");
    }
}

#[test]
fn the_list_of_kinds_is_complete() {
    // `MessagePart::kind` is exhaustive; each variant built once must be in ALL.
    let one_of_each = [
        MessagePart::Text(String::new()),
        MessagePart::Image { url: String::new() },
        MessagePart::AudioUrl { url: String::new() },
        MessagePart::Audio {
            data: String::new(),
            format: None,
        },
        MessagePart::ToolCall(ToolCallPart {
            id: None,
            kind: String::new(),
            name: None,
            arguments: None,
        }),
        MessagePart::ToolResult {
            id: None,
            response: Json::Null,
        },
        MessagePart::Reasoning(String::new()),
        MessagePart::Other(Json::Null),
    ];
    let kinds: Vec<_> = one_of_each.iter().map(MessagePart::kind).collect();
    assert_eq!(kinds, ContentKind::ALL);
}

#[test]
fn parts_shape_matches_the_conventions() {
    let wire = json!({"role": "user", "content": [
        {"type": "text", "text": "hear"},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
    ]});
    let parts = Message::from_wire(&wire, "user").unwrap().to_parts();
    assert_eq!(
        parts,
        json!({"role": "user", "parts": [
            {"type": "text", "content": "hear"},
            {"type": "blob", "modality": "audio", "mime_type": "audio/wav", "content": "UklGRg=="}
        ]})
    );
    let call = Message::from_wire(&case(ContentKind::ToolCall), "user").unwrap();
    assert_eq!(
        call.to_parts()["parts"][0],
        json!({"type": "tool_call", "id": "c1", "name": "f", "arguments": {"a": 1}})
    );
}

#[test]
fn data_url_images_are_blobs() {
    let wire = json!({"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
    ]});
    let message = Message::from_wire(&wire, "user").unwrap();
    let parts = message.to_parts();
    assert_eq!(
        parts["parts"],
        json!([
            {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw0KGgo="},
            {"type": "uri", "modality": "image", "uri": "https://x/y.png"}
        ])
    );
    assert_eq!(Message::from_parts(&parts).unwrap().to_wire(), wire);
    // Not base64, or no media type: stays a URI.
    assert_eq!(base64_data_url("data:,hello"), None);
    assert_eq!(base64_data_url("data:text/plain,hello"), None);
}

#[test]
fn normalizes_null_content_and_loose_arguments() {
    let wire = json!({"content": null, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{ \"a\" : 1 }"}}
    ]});
    assert_eq!(
        Message::from_wire(&wire, "assistant").unwrap().to_wire(),
        json!({"role": "assistant", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}
        ]})
    );
    // Content-free tool calls stay content-free.
    let bare = json!({"role": "assistant", "tool_calls": [{"id": "c1", "type": "function"}]});
    assert_eq!(Message::from_wire(&bare, "user").unwrap().to_wire(), bare);
    assert_eq!(Message::from_wire(&json!("text"), "user"), None);
}
