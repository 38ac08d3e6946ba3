//! Every fault of the `x-sim-fault` grammar, on plain and streamed answers.
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use serde_json::{Value, json};

const CHAT: &str = "/secry/v1/chat/completions";
const MODEL: &str = "gemma-3-27b-it";

fn stream_body(text: &str) -> Value {
    let mut b = user(MODEL, text);
    b["stream"] = json!(true);
    b
}

async fn faulty(sim: &Sim, body: &Value, fault: &str) -> Result<reqwest::Response, reqwest::Error> {
    sim.client
        .post(sim.url(CHAT))
        .bearer_auth(SECRY)
        .header("x-sim-fault", fault)
        .json(body)
        .send()
        .await
}

/// Reads a body to its end or first error: (bytes, chunks, ended in error).
async fn drain(resp: reqwest::Response) -> (Vec<u8>, usize, bool) {
    let mut s = resp.bytes_stream();
    let (mut out, mut chunks) = (Vec::new(), 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match s.next().await {
            Some(Ok(b)) => {
                out.extend_from_slice(&b);
                chunks += 1;
            }
            Some(Err(_)) => return (out, chunks, true),
            None => return (out, chunks, false),
        }
    }
    panic!("body did not end in time");
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let sim = Sim::start().await;
    let t = Instant::now();
    let resp = faulty(&sim, &user(MODEL, "hi"), "latency=150")
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn status_faults_use_the_provider_shape() {
    let sim = Sim::start().await;
    for code in [500u16, 502, 503] {
        let resp = faulty(&sim, &user(MODEL, "hi"), &format!("status={code}"))
            .await
            .unwrap();
        assert_error(resp, code).await;
    }
    let resp = faulty(&sim, &user(MODEL, "hi"), "503").await.unwrap();
    assert_eq!(resp.status(), 503);
    let resp = faulty(&sim, &user(MODEL, "hi"), "429").await.unwrap();
    assert!(resp.headers().get("retry-after").is_none());
    assert_error(resp, 429).await;
    let resp = faulty(&sim, &user(MODEL, "hi"), "status=429,retry-after=7")
        .await
        .unwrap();
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_error(resp, 429).await;
    let resp = faulty(&sim, &user(MODEL, "hi"), "retry-after=2")
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
}

#[tokio::test]
async fn reset_before_first_byte() {
    let sim = Sim::start().await;
    let err = faulty(&sim, &user(MODEL, "hi"), "reset").await;
    assert!(err.is_err(), "a reset gives no response: {err:?}");
    // The server keeps serving.
    assert_eq!(
        sim.post(CHAT, SECRY, &user(MODEL, "hi")).await.status(),
        200
    );
}

#[tokio::test]
async fn reset_after_n_stream_events() {
    let sim = Sim::start().await;
    let resp = faulty(&sim, &stream_body("count to 10"), "reset-after=3")
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (bytes, _, errored) = drain(resp).await;
    assert!(errored, "the stream must end in a transport error");
    let data = sse_data(&String::from_utf8(bytes).unwrap());
    assert_eq!(data.len(), 3);
    assert_eq!(stream_text(&data), "1 2");
}

#[tokio::test]
async fn reset_after_n_bytes_of_a_plain_answer() {
    let sim = Sim::start().await;
    let resp = faulty(&sim, &user(MODEL, "hello"), "reset-after=10")
        .await
        .unwrap();
    let (bytes, _, errored) = drain(resp).await;
    assert!(errored);
    assert!(bytes.len() <= 10);
}

#[tokio::test]
async fn garbage_bytes() {
    let sim = Sim::start().await;
    let resp = faulty(&sim, &user(MODEL, "hello"), "garbage")
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.unwrap();
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    let resp = faulty(&sim, &stream_body("count to 3"), "garbage")
        .await
        .unwrap();
    let body = resp.bytes().await.unwrap();
    assert!(body.windows(7).any(|w| w == b"garbage"));
    assert!(body.ends_with(b"data: [DONE]\n\n"));
}

#[tokio::test]
async fn truncated_json() {
    let sim = Sim::start().await;
    let full = sim
        .post(CHAT, SECRY, &user(MODEL, "hello"))
        .await
        .bytes()
        .await
        .unwrap();
    let resp = faulty(&sim, &user(MODEL, "hello"), "truncate")
        .await
        .unwrap();
    let cut = resp.bytes().await.unwrap();
    assert_eq!(cut.len(), full.len() / 2);
    assert!(serde_json::from_slice::<Value>(&cut).is_err());
    let resp = faulty(&sim, &stream_body("count to 5"), "truncate")
        .await
        .unwrap();
    let (bytes, _, errored) = drain(resp).await;
    assert!(!errored);
    let text = String::from_utf8(bytes).unwrap();
    let data = sse_data(&text);
    assert_eq!(data.len(), 2);
    assert!(serde_json::from_str::<Value>(&data[1]).is_err());
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn error_object_mid_stream() {
    let sim = Sim::start().await;
    let resp = faulty(&sim, &stream_body("count to 5"), "error-mid-stream=2")
        .await
        .unwrap();
    let data = sse_data(&resp.text().await.unwrap());
    assert_eq!(data.len(), 3);
    let err: Value = serde_json::from_str(&data[2]).unwrap();
    assert!(err["error"]["message"].is_string());
    assert_eq!(stream_text(&data[..2]), "1");
    let resp = faulty(&sim, &stream_body("count to 5"), "error-mid-stream")
        .await
        .unwrap();
    assert_eq!(sse_data(&resp.text().await.unwrap()).len(), 2);
}

#[tokio::test]
async fn stream_without_done() {
    let sim = Sim::start().await;
    let resp = faulty(&sim, &stream_body("count to 3"), "no-done")
        .await
        .unwrap();
    let (bytes, _, errored) = drain(resp).await;
    assert!(!errored);
    let data = sse_data(&String::from_utf8(bytes).unwrap());
    assert_eq!(stream_text(&data), "1 2 3");
    assert!(!data.iter().any(|d| d == "[DONE]"));
}

#[tokio::test]
async fn one_byte_writes_deliver_the_same_body() {
    let sim = Sim::start().await;
    let full = sim
        .post(CHAT, SECRY, &user(MODEL, "hello there"))
        .await
        .bytes()
        .await
        .unwrap();
    // A 1 ms pause between bytes keeps the pieces apart even on a busy machine.
    let resp = faulty(&sim, &user(MODEL, "hello there"), "one-byte=1")
        .await
        .unwrap();
    let (bytes, chunks, errored) = drain(resp).await;
    assert!(!errored);
    assert_eq!(bytes.len(), full.len());
    assert!(chunks > 1, "one-byte writes arrive in pieces");
    let resp = faulty(&sim, &stream_body("count to 3"), "one-byte=1")
        .await
        .unwrap();
    let (bytes, chunks, _) = drain(resp).await;
    assert_eq!(
        stream_text(&sse_data(&String::from_utf8(bytes).unwrap())),
        "1 2 3"
    );
    assert!(chunks > 1);
}

#[tokio::test]
async fn bounded_hang_then_abort() {
    let sim = Sim::start().await;
    let t = Instant::now();
    let res = faulty(&sim, &user(MODEL, "hi"), "hang=300").await;
    assert!(res.is_err());
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn faults_combine_and_apply_to_every_provider() {
    let sim = Sim::start().await;
    let t = Instant::now();
    let resp = sim
        .post_with(
            "/siraya/v1/chat/completions",
            SIRAYA,
            &user(MODEL, "x"),
            &[("x-sim-fault", "latency=50, status=502")],
        )
        .await;
    assert!(t.elapsed() >= Duration::from_millis(50));
    assert_error(resp, 502).await;
    let resp = sim
        .client
        .get(sim.url("/airforce/v1/ask?prompt=a+b+c"))
        .header("x-sim-fault", "reset-after=1")
        .send()
        .await
        .unwrap();
    let (bytes, _, errored) = drain(resp).await;
    assert!(errored);
    assert_eq!(String::from_utf8(bytes).unwrap().lines().count(), 1);
    let resp = sim
        .post_with(
            "/secton/v1/chat/completions",
            SECTON,
            &user("copilot-zero", "x"),
            &[("x-sim-fault", "garbage")],
        )
        .await;
    assert!(serde_json::from_slice::<Value>(&resp.bytes().await.unwrap()).is_err());
}

#[tokio::test]
async fn unknown_fault_is_a_400() {
    let sim = Sim::start().await;
    let resp = faulty(&sim, &user(MODEL, "hi"), "explode").await.unwrap();
    let v = assert_error(resp, 400).await;
    assert!(v["error"]["message"].as_str().unwrap().contains("explode"));
    assert_error(
        faulty(&sim, &user(MODEL, "hi"), "status=200")
            .await
            .unwrap(),
        400,
    )
    .await;
}

#[tokio::test]
async fn armed_faults_hit_the_next_matching_requests() {
    let sim = Sim::start().await;
    let arm = sim
        .arm(&json!({"fault": "status=503", "times": 2, "path_prefix": "/secry"}))
        .await;
    assert_eq!(arm.status(), 200);
    // Other prefixes are untouched.
    assert_eq!(
        sim.post("/siraya/v1/chat/completions", SIRAYA, &user(MODEL, "x"))
            .await
            .status(),
        200
    );
    assert_eq!(sim.post(CHAT, SECRY, &user(MODEL, "x")).await.status(), 503);
    assert_eq!(sim.post(CHAT, SECRY, &user(MODEL, "x")).await.status(), 503);
    assert_eq!(sim.post(CHAT, SECRY, &user(MODEL, "x")).await.status(), 200);
    sim.arm(&json!({"fault": "reset"})).await;
    let cleared = sim.delete("/__sim/faults").await;
    assert_eq!(cleared.status(), 204);
    assert_eq!(sim.post(CHAT, SECRY, &user(MODEL, "x")).await.status(), 200);
    let bad = sim.arm(&json!({"fault": "nope"})).await;
    assert_eq!(bad.status(), 400);
}
