//! Whole answers: each provider's chat and model-list decoders, the error decoder and
//! `Retry-After`.

use switchboard_core::decode::{decode_chat, decode_error, decode_models};
use switchboard_core::error::Error;
use switchboard_core::http::ResponseHead;
use switchboard_core::provider::ProviderId;
use switchboard_core::retry_after;

use crate::{Input, round_trip};

/// Statuses tried, the odd ones included.
const STATUSES: [u16; 14] = [
    200, 201, 299, 400, 401, 404, 413, 429, 500, 502, 503, 0, 100, 999,
];

/// A key the decoders must never repeat after redaction.
const SECRET: &str = "sk-fuzz-canary-4242";

/// The body's first line is the `Retry-After` value, the rest the response body. No
/// panic; a success decodes to a value that round-trips, a failure is a 4xx/5xx with a
/// message; `Retry-After` agrees with its parser; redaction removes the secret.
pub fn decode(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let s = usize::from(input.selector);
    let provider = ProviderId::ALL[s % ProviderId::ALL.len()];
    let status = STATUSES[s / 6 % STATUSES.len()];
    let (retry, body) = match input.body.iter().position(|b| *b == b'\n') {
        Some(at) => (&input.body[..at], &input.body[at + 1..]),
        None => (&[][..], input.body),
    };
    let retry = String::from_utf8_lossy(retry);
    let now = u64::from(input.seed) * 1024;
    let mut head = ResponseHead::new(status, now).with_header("retry-after", &retry);
    let content_type = [
        "application/json",
        "text/html; charset=utf-8",
        "text/plain",
        "",
    ][(input.seed >> 30) as usize];
    if !content_type.is_empty() {
        head.header("content-type", content_type);
    }
    assert_eq!(head.retry_after_secs(), retry_after::parse(&retry, now));
    let _ = retry_after::parse_http_date(&retry);

    match decode_chat(provider, &head, body) {
        Ok(completion) => {
            assert!(head.is_success(), "a failure status decoded as success");
            round_trip(&completion);
        }
        Err(e) => check_error(e),
    }
    match decode_models(provider, &head, body) {
        Ok(list) => {
            assert!(head.is_success(), "a failure status decoded as success");
            round_trip(&list);
        }
        Err(e) => check_error(e),
    }
    let error = decode_error(provider, &head, body);
    if let Some(secs) = error.retry_after() {
        assert_eq!(Some(secs), head.retry_after_secs());
    }
    check_error(error);
}

/// An error is a 4xx or 5xx with a message and an OpenAI body, and redaction works.
fn check_error(mut e: Error) {
    let status = e.status();
    assert!((400..600).contains(&status), "status {status} for {e:?}");
    assert!(!e.message().is_empty(), "empty message: {e:?}");
    round_trip(&e.to_body());
    e.redact(SECRET);
    let body = serde_json::to_string(&e.to_body()).expect("error body encodes");
    assert!(!body.contains(SECRET), "redaction missed: {body}");
    if let Error::Api(api) | Error::InStream(api) = &e {
        let raw = api.raw.as_deref().unwrap_or_default();
        assert!(!raw.contains(SECRET), "redaction missed the raw body");
    }
}
