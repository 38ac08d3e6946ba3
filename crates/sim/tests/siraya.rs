//! Siraya: OpenAI-compatible chat, assistant prefill, the five finish reasons, usage.
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use common::*;
use serde_json::{Value, json};

const CHAT: &str = "/siraya/v1/chat/completions";
const MODEL: &str = "claude-3-5-sonnet@20240620";

async fn reply(sim: &Sim, body: &Value) -> Value {
    let resp = sim.post(CHAT, SIRAYA, body).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn chat_has_choices_and_usage() {
    let sim = Sim::start().await;
    let v = reply(&sim, &user(MODEL, "What is the meaning of life?")).await;
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "What is the meaning of life?"
    );
    assert_eq!(v["usage"]["completion_tokens"], 6);
}

#[tokio::test]
async fn trailing_assistant_message_is_continued() {
    let sim = Sim::start().await;
    let body = json!({"model": MODEL, "messages": [
        {"role": "user", "content": "count to 5"},
        {"role": "assistant", "content": "1 2 3"}
    ]});
    let v = reply(&sim, &body).await;
    assert_eq!(v["choices"][0]["message"]["content"], " 4 5");
    let body = json!({"model": MODEL, "messages": [
        {"role": "user", "content": "hello world"},
        {"role": "assistant", "content": "Sure:"}
    ]});
    let v = reply(&sim, &body).await;
    assert_eq!(v["choices"][0]["message"]["content"], "hello world");
}

#[tokio::test]
async fn all_five_finish_reasons_are_reachable() {
    let sim = Sim::start().await;
    let finish = |v: &Value| {
        v["choices"][0]["finish_reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(finish(&reply(&sim, &user(MODEL, "hi")).await), "stop");
    let mut b = user(MODEL, "count to 9");
    b["max_tokens"] = json!(2);
    assert_eq!(finish(&reply(&sim, &b).await), "length");
    let mut b = user(MODEL, "call lookup");
    b["tools"] = json!([{"type": "function", "function": {"name": "lookup", "parameters": {}}}]);
    assert_eq!(finish(&reply(&sim, &b).await), "tool_calls");
    let v = reply(&sim, &user(MODEL, "say it finish:content_filter")).await;
    assert_eq!(finish(&v), "content_filter");
    assert_eq!(v["choices"][0]["message"]["content"], "");
    let v = reply(&sim, &user(MODEL, "partial finish:error")).await;
    assert_eq!(finish(&v), "error");
    assert_eq!(v["choices"][0]["message"]["content"], "partial");
}

#[tokio::test]
async fn streams_have_no_usage_chunk() {
    let sim = Sim::start().await;
    let mut b = user(MODEL, "count to 3");
    b["stream"] = json!(true);
    b["stream_options"] = json!({"include_usage": true});
    let data = sse_data(&sim.post(CHAT, SIRAYA, &b).await.text().await.unwrap());
    assert_eq!(stream_text(&data), "1 2 3");
    assert!(!data.iter().any(|d| d.contains("\"usage\"")));
    assert_eq!(data.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn auth_and_bad_input() {
    let sim = Sim::start().await;
    assert_error(sim.post(CHAT, "sk-other", &user(MODEL, "x")).await, 401).await;
    assert_error(
        sim.post(CHAT, SIRAYA, &json!({"model": MODEL, "messages": "hi"}))
            .await,
        400,
    )
    .await;
    assert_error(sim.get("/siraya/v1/models", SIRAYA).await, 404).await;
}
