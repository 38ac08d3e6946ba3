//! The Gemini proxy: `/api/v1/chat`, optional model, defaults, documented errors.
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use common::*;
use serde_json::{Value, json};
use switchboard_sim::Config;

const CHAT: &str = "/gemini-proxy/api/v1/chat";

#[tokio::test]
async fn chat_defaults_to_gemini_2_5_flash() {
    let sim = Sim::start().await;
    let body = json!({"messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello, how are you?"}
    ]});
    let resp = sim.post(CHAT, GEMINI, &body).await;
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["model"], "gemini-2.5-flash");
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], "Hello, how are you?");
    let v: Value = sim
        .post(CHAT, GEMINI, &user("gpt-4o-mini", "x"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn max_tokens_defaults_to_4096() {
    let sim = Sim::start().await;
    let v: Value = sim
        .post(CHAT, GEMINI, &user("gemini-2.0-flash", "count to 5000"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(v["usage"]["completion_tokens"], 4096);
}

#[tokio::test]
async fn streams() {
    let sim = Sim::start().await;
    let body = json!({"messages": [{"role": "user", "content": "Write a poem about coding"}], "stream": true});
    let data = sse_data(&sim.post(CHAT, GEMINI, &body).await.text().await.unwrap());
    assert_eq!(stream_text(&data), "Write a poem about coding");
    assert_eq!(data.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn documented_errors() {
    let sim = Sim::with(Config {
        rate_limit_rpm: 1,
        ..Config::default()
    })
    .await;
    let v = assert_error(
        sim.post(CHAT, "bad", &user("gemini-2.5-flash", "x")).await,
        401,
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid or missing API key")
    );
    assert_error(sim.post(CHAT, GEMINI, &user("gemini-9", "x")).await, 400).await;
    // The first request used the one allowed; now 429.
    let v = assert_error(
        sim.post(CHAT, GEMINI, &user("gemini-2.5-flash", "x")).await,
        429,
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("upgrade your plan")
    );

    let sim = Sim::start().await;
    let mut b = user("gemini-2.5-flash", "x");
    b["temperature"] = json!(3);
    assert_error(sim.post(CHAT, GEMINI, &b).await, 400).await;
    assert_error(
        sim.post(CHAT, GEMINI, &json!({"model": "gemini-2.5-flash"}))
            .await,
        400,
    )
    .await;
    let v = assert_error(
        sim.post_with(
            CHAT,
            GEMINI,
            &user("gemini-2.5-flash", "x"),
            &[("x-sim-fault", "status=500")],
        )
        .await,
        500,
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again later")
    );
    // No OpenAI path on this provider.
    assert_error(
        sim.post(
            "/gemini-proxy/api/v1/chat/completions",
            GEMINI,
            &user("gemini-2.5-flash", "x"),
        )
        .await,
        404,
    )
    .await;
    // Oversized bodies are a documented 400 here.
    let sim = Sim::with(Config {
        max_body_bytes: 100,
        ..Config::default()
    })
    .await;
    assert_error(
        sim.post(CHAT, GEMINI, &user("gemini-2.5-flash", &"x".repeat(200)))
            .await,
        400,
    )
    .await;
}
