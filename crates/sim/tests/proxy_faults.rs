//! The faults a path through proxies adds: an HTML error page, `Retry-After` as an HTTP
//! date, invalid UTF-8 inside content, an oversized body and a body that never ends.
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use serde_json::{Value, json};

const CHAT: &str = "/secry/v1/chat/completions";
const MODEL: &str = "gemma-3-27b-it";

async fn faulty(sim: &Sim, text: &str, stream: bool, fault: &str) -> reqwest::Response {
    let mut body = user(MODEL, text);
    body["stream"] = json!(stream);
    sim.client
        .post(sim.url(CHAT))
        .bearer_auth(SECRY)
        .header("x-sim-fault", fault)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn html_error_page_from_a_proxy() {
    let sim = Sim::start().await;
    let resp = faulty(&sim, "hi", false, "html").await;
    assert_eq!(resp.status(), 502);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("<h1>502 Bad Gateway</h1>")
    );
    assert_eq!(faulty(&sim, "hi", true, "html=503").await.status(), 503);
}

#[tokio::test]
async fn retry_after_as_an_http_date() {
    let sim = Sim::start().await;
    let resp = faulty(&sim, "hi", false, "retry-after-date=7").await;
    assert_eq!(resp.status(), 429);
    let value = resp.headers()["retry-after"].to_str().unwrap().to_owned();
    assert!(value.ends_with(" GMT") && value.len() == 29, "{value}");
}

#[tokio::test]
async fn invalid_utf8_inside_content() {
    let sim = Sim::start().await;
    let body = faulty(&sim, "hello there", false, "bad-utf8").await;
    let body = body.bytes().await.unwrap();
    assert!(std::str::from_utf8(&body).is_err());
    assert!(body.windows(2).any(|w| w == b"\xc3\x28"));
    let body = faulty(&sim, "count to 3", true, "bad-utf8").await;
    let body = body.bytes().await.unwrap();
    assert!(std::str::from_utf8(&body).is_err());
    assert!(body.ends_with(b"data: [DONE]\n\n"));
}

#[tokio::test]
async fn oversized_bodies_are_valid_but_big() {
    let sim = Sim::start().await;
    let resp = faulty(&sim, "hello", false, "oversize=100000").await;
    let body = resp.bytes().await.unwrap();
    assert!(body.len() > 100_000);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "hello");
    let resp = faulty(&sim, "count to 3", true, "oversize=100000").await;
    let text = resp.text().await.unwrap();
    assert!(text.len() > 100_000);
    assert_eq!(stream_text(&sse_data(&text)), "1 2 3");
}

#[tokio::test]
async fn endless_bodies_keep_coming() {
    let sim = Sim::start().await;
    for stream in [true, false] {
        let resp = faulty(&sim, "hi", stream, "endless").await;
        assert_eq!(resp.status(), 200);
        let mut body = resp.bytes_stream();
        let mut seen = Vec::new();
        // Far more pieces than any finite answer to "hi" has.
        for _ in 0..40 {
            let piece = tokio::time::timeout(Duration::from_secs(5), body.next()).await;
            seen.extend_from_slice(&piece.unwrap().unwrap().unwrap());
        }
        let text = String::from_utf8(seen).unwrap();
        if stream {
            assert!(text.matches("\"content\":\" more\"").count() >= 40);
            assert!(!text.contains("[DONE]"));
        } else {
            assert!(text.starts_with('{') && text.trim_end().len() == 1);
        }
    }
}
