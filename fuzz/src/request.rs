//! The gateway's decoding of untrusted requests, through the pure core functions it
//! calls: request JSON → route → encode, for chat, images, speech, airforce's own
//! endpoints and file ids.

use switchboard_core::encode::encode_chat;
use switchboard_core::endpoints::airforce::{encode_ask, encode_suno_poll, encode_vision};
use switchboard_core::endpoints::files::{FileOp, encode_file_op};
use switchboard_core::endpoints::images::encode_image;
use switchboard_core::endpoints::speech::encode_speech;
use switchboard_core::http::HttpRequest;
use switchboard_core::limits::Limits;
use switchboard_core::provider::ProviderId;
use switchboard_core::route::{Routes, Target};
use switchboard_core::types::{ChatRequest, ImageRequest, SpeechRequest};

use crate::{Input, round_trip};

/// Aliases as a gateway might configure them.
const ALIASES: &str = "fast=siraya/a|secry/b,smart=airforce/gpt-4o,draw=secry/flux|airforce/flux";

/// No panic; what decodes round-trips; every request built stays on the provider's
/// base URL at a clean path, whatever the caller put in the model name or body.
pub fn request(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let routes = Routes::parse(ALIASES).expect("the aliases parse");
    match input.selector % 5 {
        0 | 1 => chat(&routes, input.body),
        2 => image(&routes, input.body),
        3 => speech(input.body),
        _ => ids(input.body),
    }
}

fn chat(routes: &Routes, body: &[u8]) {
    let Ok(req) = serde_json::from_slice::<ChatRequest>(body) else {
        return;
    };
    round_trip(&req);
    let Ok(targets) = routes.resolve(&req.model) else {
        return;
    };
    let limits = Limits::DEFAULT;
    for target in targets {
        let Ok(http) = encode_chat(&target, &req, &limits) else {
            continue;
        };
        assert_eq!(http.path, target.provider.spec().chat_path);
        check_request(&http);
        let sent = http.body.as_deref().expect("a chat request has a body");
        assert!(sent.len() <= limits.max_request_bytes, "body over the cap");
        let sent: ChatRequest = serde_json::from_slice(sent).expect("the sent body parses");
        if !target.model.is_empty() {
            assert_eq!(sent.model, target.model);
        }
    }
}

fn image(routes: &Routes, body: &[u8]) {
    let Ok(req) = serde_json::from_slice::<ImageRequest>(body) else {
        return;
    };
    round_trip(&req);
    for target in routes.resolve(&req.model).unwrap_or_default() {
        if let Ok(http) = encode_image(&target, &req) {
            check_request(&http);
        }
    }
}

fn speech(body: &[u8]) {
    let Ok(req) = serde_json::from_slice::<SpeechRequest>(body) else {
        return;
    };
    round_trip(&req);
    if let Ok(target) = Target::parse(&req.model)
        && let Ok(http) = encode_speech(target.provider, &req)
    {
        check_request(&http);
    }
}

/// Caller text that lands in a path or query: file and suno ids, ask prompts, vision URLs.
fn ids(body: &[u8]) {
    let text = String::from_utf8_lossy(body);
    for op in [
        FileOp::Retrieve(&text),
        FileOp::Content(&text),
        FileOp::Delete(&text),
    ] {
        if let Ok(http) = encode_file_op(ProviderId::Secry, op) {
            check_request(&http);
        }
    }
    let built = [
        encode_suno_poll(&text),
        encode_ask(&text),
        encode_vision(&text, Some(&text)),
    ];
    for http in built.iter().flatten() {
        check_request(http);
    }
}

/// The request stays under the base URL: an absolute path of plain segments, no
/// fragment, no `..` or `.` segment, no percent escapes or odd bytes before the query.
fn check_request(http: &HttpRequest) {
    let path = &http.path;
    assert!(path.starts_with('/'), "relative path {path:?}");
    assert!(!path.starts_with("//"), "protocol-relative path {path:?}");
    assert!(
        path.bytes().all(|b| b.is_ascii_graphic()),
        "raw byte in {path:?}"
    );
    assert!(!path.contains('#'), "fragment in {path:?}");
    let route = path.split('?').next().unwrap_or_default();
    assert!(!route.contains(['%', '@', '\\']), "escape in {path:?}");
    assert!(
        route.split('/').all(|s| s != ".." && s != "."),
        "dot segment in {path:?}"
    );
    let base = "https://upstream.test/v1";
    assert!(http.url(base).starts_with(base));
}
