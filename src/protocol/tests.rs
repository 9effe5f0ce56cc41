//! The frames' wire form: parsing, types, money and the verdict's presence.

use super::*;
use serde_json::json;

#[test]
fn a_missing_verdict_and_a_null_verdict_differ() {
    let mut done = DoneFrame {
        reply: "r".into(),
        done: true,
        cost: Money(0),
        total_spent: Money(0),
        ordered_tests: vec![],
        remaining_budget: None,
        id: None,
        encounter_id: Some("e1".into()),
        verdict: Some(None),
        estimate: false,
        applied: None,
    };
    let text = serde_json::to_string(&ServerFrame::Done(done.clone())).unwrap();
    assert!(text.contains(r#""verdict":null"#), "{text}");
    assert!(!text.contains("estimate"), "{text}");
    assert_eq!(
        serde_json::from_str::<ServerFrame>(&text).unwrap(),
        ServerFrame::Done(done.clone())
    );
    done.verdict = None;
    let text = serde_json::to_string(&ServerFrame::Done(done.clone())).unwrap();
    assert!(!text.contains("verdict"), "{text}");
    assert_eq!(
        serde_json::from_str::<ServerFrame>(&text).unwrap(),
        ServerFrame::Done(done)
    );
}

#[test]
fn omitted_action_is_a_question() {
    let f = parse_client_frame(r#"{"content": "Where does it hurt?"}"#).unwrap();
    assert_eq!(f.action, Action::Question);
    assert_eq!(f.content, "Where does it hurt?");
    assert_eq!(f.id, None);
}

#[test]
fn garbage_gets_invalid_json() {
    for text in ["", "nope", "[1,2]", "\"question\"", "{", "42", "null"] {
        let err = parse_client_frame(text).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidJson, "input {text:?}");
    }
}

#[test]
fn unknown_or_mistyped_action_is_refused_and_id_echoed() {
    let err = parse_client_frame(r#"{"action":"prescribe","content":"x","id":7}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidAction);
    assert_eq!(err.id, Some(json!(7)));
    let err = parse_client_frame(r#"{"action":3,"content":"x"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidAction);
}

#[test]
fn content_must_be_present_and_bounded() {
    let err = parse_client_frame(r#"{"action":"test","content":"  "}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidContent);
    let err = parse_client_frame(r#"{"action":"test"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidContent);
    let err = parse_client_frame(r#"{"action":"test","content":["cbc"]}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidContent);
    let at_limit = "é".repeat(MAX_CONTENT_CHARS);
    let ok = parse_client_frame(&json!({"action":"test","content":at_limit}).to_string());
    assert!(ok.is_ok());
    let over = "é".repeat(MAX_CONTENT_CHARS + 1);
    let err = parse_client_frame(&json!({"action":"test","content":over}).to_string());
    assert_eq!(err.unwrap_err().code, ErrorCode::InvalidContent);
}

#[test]
fn ping_needs_no_content() {
    let f = parse_client_frame(r#"{"action":"ping","id":"badge"}"#).unwrap();
    assert_eq!(f.action, Action::Ping);
    assert_eq!(f.id, Some(json!("badge")));
}

#[test]
fn frames_carry_their_type_and_money_has_two_decimals() {
    let done = ServerFrame::Done(DoneFrame {
        reply: "ok".into(),
        done: true,
        cost: Money(30000),
        total_spent: Money(30550),
        ordered_tests: vec![],
        remaining_budget: None,
        id: None,
        encounter_id: None,
        verdict: None,
        estimate: false,
        applied: None,
    });
    let text = serde_json::to_string(&done).unwrap();
    assert!(text.contains(r#""type":"done""#), "{text}");
    assert!(text.contains(r#""cost":300.00"#), "{text}");
    assert!(text.contains(r#""total_spent":305.50"#), "{text}");
    assert!(!text.contains("remaining_budget"), "{text}");
    let back: ServerFrame = serde_json::from_str(&text).unwrap();
    assert_eq!(back, done);
    let err = FrameError::new(ErrorCode::RateLimited, "Rate limit exceeded", None).into_frame();
    let text = serde_json::to_string(&err).unwrap();
    assert_eq!(
        text,
        r#"{"type":"error","error":"Rate limit exceeded","code":"rate_limited"}"#
    );
}

#[test]
fn money_formats_negative_and_small_amounts() {
    assert_eq!(Money(5).to_string(), "0.05");
    assert_eq!(Money(-1250).to_string(), "-12.50");
}
