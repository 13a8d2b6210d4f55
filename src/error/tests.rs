use super::*;

/// What [`Error::http_from_body`] reads of a body.
struct Parsed {
    code: Option<String>,
    message: String,
}

fn from_body(body: &[u8]) -> Parsed {
    let (code, message) = parse_error_body(body);
    Parsed { code, message }
}

#[test]
fn parses_the_shapes_services_send() {
    let e = from_body(br#"{"error":{"code":"content_filter","message":"blocked","status":400}}"#);
    assert_eq!(e.code.as_deref(), Some("content_filter"));
    assert_eq!(e.message, "blocked");

    let e = from_body(br#"{"detail":[{"loc":["body","x"],"msg":"extra"}]}"#);
    assert!(e.message.contains("extra"));

    let e = from_body(br#"{"status":500,"title":"Internal"}"#);
    assert_eq!(e.message, "Internal");

    let e = from_body(br#"{"error":"Too many requests"}"#);
    assert_eq!(e.message, "Too many requests");

    let e = from_body(b"Bad Gateway");
    assert_eq!((e.code, e.message.as_str()), (None, "Bad Gateway"));

    let e = from_body(br#"{"statusCode":401,"message":"Access denied"}"#);
    assert_eq!(e.message, "Access denied");
}

#[test]
fn long_bodies_are_cut() {
    let body = "x".repeat(5000);
    let e = from_body(body.as_bytes());
    assert!(e.message.len() < 600);
}

#[test]
fn error_types_are_low_cardinality() {
    let e = Error::http_from_body(429, b"");
    assert_eq!(e.error_type(), "429");
    let truncated = Error::StreamTruncated {
        events: Some(3),
        unfinished: 1,
        request_id: Some("req-1".into()),
        source: None,
    };
    assert_eq!(truncated.error_type(), "stream_truncated");
    let text = truncated.to_string();
    assert!(
        text.contains("cut after 3 event(s)") && text.contains("req-1"),
        "{text}"
    );
    assert_eq!(
        Error::invalid_config(ConfigField::Endpoint, "x").error_type(),
        "_OTHER"
    );
    assert_eq!(ErrorKind::Http(418).error_type(), "418");
}

#[test]
fn telemetry_description_has_no_service_text() {
    let e = Error::http_from_body(
        400,
        br#"{"error":{"code":"bad request: my secret prompt","message":"my secret prompt"}}"#,
    );
    let d = e.telemetry_description();
    assert!(!d.contains("secret"), "{d}");
    let e = Error::invalid_response("expected JSON", b"the model said secret");
    assert!(!e.telemetry_description().contains("secret"));
}

#[test]
fn service_errors_use_the_code_when_it_is_an_identifier() {
    let e = Error::service_from_body(
        br#"{"error":{"code":"content_filter","message":"my secret prompt was filtered"}}"#,
    );
    assert_eq!(e.error_type(), "content_filter");
    assert_eq!(e.kind(), ErrorKind::Service);
    let d = e.telemetry_description();
    assert_eq!(d, "service error (content_filter)");
    assert!(e.to_string().contains("my secret prompt"), "{e}");

    for bad in ["has spaces", "", &"x".repeat(65), "é"] {
        let body = serde_json::json!({"error": {"code": bad, "message": "m"}}).to_string();
        let e = Error::service_from_body(body.as_bytes());
        assert_eq!(e.error_type(), "_OTHER", "{bad:?}");
        assert_eq!(e.telemetry_description(), "service error", "{bad:?}");
    }
    let ok = "a".repeat(64);
    let body = serde_json::json!({"error": {"code": ok}}).to_string();
    let e = Error::service_from_body(body.as_bytes());
    assert_eq!(e.error_type(), ok.as_str());

    let e = e.with_request_id(Some("abc"));
    assert_eq!(e.request_id(), Some("abc"));
    assert!(e.to_string().contains("[request id abc]"), "{e}");
}

#[test]
fn display_tells_what_to_do() {
    let e = Error::http_from_body(
        401,
        br#"{"error":{"code":"401","message":"Access denied"}}"#,
    );
    let s = e.to_string();
    assert!(
        s.contains("HTTP 401") && s.contains("Access denied") && s.contains("API key"),
        "{s}"
    );
}

#[test]
fn every_http_status_is_its_own_static_error_type() {
    for status in 100..=999u16 {
        assert_eq!(ErrorKind::Http(status).error_type(), status.to_string());
    }
    assert_eq!(ErrorKind::Http(1000).error_type(), "_OTHER");
    assert_eq!(ErrorKind::Http(99).error_type(), "_OTHER");
}

#[test]
fn error_type_is_a_tracing_field() {
    let e = Error::http_from_body(503, b"{}");
    // Compiles only if `error_type()` is a `tracing::Value`.
    tracing::warn!(error.type = e.error_type(), "call failed");
    let service = Error::service_from_body(br#"{"error":{"code":"rate_limited"}}"#);
    tracing::warn!(error.type = service.error_type(), "call failed");
    assert_eq!(service.error_type(), "rate_limited");
}

#[test]
fn a_v1_endpoint_refusing_the_api_version_says_which_parameter_to_drop() {
    // What an `.../openai/v1` endpoint answers `?api-version=2024-10-21`.
    let e = Error::http_from_body(
        400,
        br#"{"error":{"code":"BadRequest","message":"API version not supported"}}"#,
    );
    let text = e.to_string();
    assert!(
        text.contains("API version not supported")
            && text.contains("drop the api-version parameter")
            && text.contains("with_api_version"),
        "{text}"
    );
    // Another 400 keeps the generic hint.
    let other = Error::http_from_body(400, br#"{"error":{"message":"bad n"}}"#);
    assert!(!other.to_string().contains("api-version"), "{other}");
}
