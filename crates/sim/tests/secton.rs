//! Secton: chat with `messages` + `organization_id` and no `choices`; models by query.
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use common::*;
use serde_json::{Value, json};
use switchboard_sim::Config;

const CHAT: &str = "/secton/v1/chat/completions";

#[tokio::test]
async fn chat_answers_with_the_messages_array() {
    let sim = Sim::start().await;
    let body = json!({"model": "copilot-zero", "messages": [{"role": "user", "content": "Tell me a joke"}],
                      "temperature": 0.8});
    let resp = sim.post(CHAT, SECTON, &body).await;
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "copilot-zero");
    assert!(v.get("choices").is_none());
    let org = v["organization_id"].as_str().unwrap();
    assert!(org.starts_with("org_") && org.len() == 12, "{org}");
    assert_eq!(
        v["messages"],
        json!([{"role": "user", "content": "Tell me a joke"}, {"role": "assistant", "content": "Tell me a joke"}])
    );
    assert_eq!(v["usage"]["total_tokens"], 8);
    // Streaming is not documented: the answer stays one JSON body.
    let mut s = body.clone();
    s["stream"] = json!(true);
    let v: Value = sim.post(CHAT, SECTON, &s).await.json().await.unwrap();
    assert_eq!(v["messages"][1]["content"], "Tell me a joke");
}

#[tokio::test]
async fn models_filter_and_sort_by_query() {
    let sim = Sim::start().await;
    let v: Value = sim
        .get("/secton/v1/models?category=chat&sort=name", SECTON)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["copilot-vision", "copilot-zero", "copilot-zero-mini"]);
    let all: Value = sim
        .get("/secton/v1/models", SECTON)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["data"].as_array().unwrap().len(), 5);
    assert_error(
        sim.get("/secton/v1/models?category=music", SECTON).await,
        400,
    )
    .await;
    assert_error(sim.get("/secton/v1/models?sort=size", SECTON).await, 400).await;
}

#[tokio::test]
async fn errors_auth_and_rate_limit() {
    let sim = Sim::with(Config {
        rate_limit_rpm: 1,
        ..Config::default()
    })
    .await;
    assert_error(
        sim.post(CHAT, "nope", &user("copilot-zero", "x")).await,
        401,
    )
    .await;
    assert_eq!(
        sim.post(CHAT, SECTON, &user("copilot-zero", "x"))
            .await
            .status(),
        200
    );
    let resp = sim.post(CHAT, SECTON, &user("copilot-zero", "x")).await;
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    assert_error(resp, 429).await;

    let sim = Sim::start().await;
    assert_error(
        sim.post(
            CHAT,
            SECTON,
            &json!({"messages": [{"role": "user", "content": "x"}]}),
        )
        .await,
        400,
    )
    .await;
    assert_error(
        sim.client
            .delete(sim.url("/secton/v1/models"))
            .bearer_auth(SECTON)
            .send()
            .await
            .unwrap(),
        405,
    )
    .await;
}
