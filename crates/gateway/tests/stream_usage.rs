//! `stream_options.include_usage` through the gateway, for every provider: asked, the
//! stream ends with one usage chunk (empty `choices`, `usage` set) before `[DONE]`; not
//! asked, no chunk carries usage. Whether the provider sends usage on its own (SECRY,
//! the Gemini proxy), never does (airforce drops `stream_options`, Siraya's stream has
//! none) or has no stream at all (Secton), the caller sees OpenAI's behaviour.
//!
//! `#[ignore]`d like `e2e.rs`: `cargo xtask test` builds the Worker and runs it.

#[allow(dead_code)] // each test binary uses part of the shared harness
mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{ONE_GATEWAY, TestResult, sim_and_gateway};
use switchboard_sim::providers::{airforce, gemini, secry, secton};

/// The `data:` payloads of an SSE body, `[DONE]` included.
fn events(body: &str) -> Vec<&str> {
    body.split("\n\n")
        .filter_map(|e| e.trim().strip_prefix("data:"))
        .map(str::trim)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs worker-build output and wrangler; `cargo xtask test` runs it"]
async fn include_usage_for_every_provider() -> TestResult {
    let _one = ONE_GATEWAY.lock().await;
    let (sim, gw) = sim_and_gateway(switchboard_sim::Config {
        stream_chunks: Some(3),
        ..switchboard_sim::Config::default()
    })
    .await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let models = [
        format!("secry/{}", secry::MODELS[0]),
        format!("secton/{}", secton::MODELS[0].0),
        format!("airforce/{}", airforce::MODELS[0]),
        "siraya/some-model".to_owned(),
        format!("gemini-proxy/{}", gemini::MODELS[0]),
    ];
    for model in &models {
        for asked in [Some(true), Some(false), None] {
            let mut body = json!({"model": model, "stream": true,
                "messages": [{"role": "user", "content": "count to 3"}]});
            if let Some(asked) = asked {
                body["stream_options"] = json!({"include_usage": asked});
            }
            let r = client
                .post(format!("{}/v1/chat/completions", gw.base))
                .json(&body)
                .send()
                .await?;
            assert_eq!(r.status().as_u16(), 200, "{model} {asked:?}");
            let text = r.text().await?;
            let data = events(&text);
            assert_eq!(data.last(), Some(&"[DONE]"), "{model} {asked:?}: {text}");
            let chunks: Vec<Value> = data[..data.len() - 1]
                .iter()
                .map(|d| serde_json::from_str(d))
                .collect::<Result<_, _>>()?;
            let with_usage: Vec<usize> = (0..chunks.len())
                .filter(|i| !chunks[*i]["usage"].is_null())
                .collect();
            if asked == Some(true) {
                let last = &chunks[chunks.len() - 1];
                assert_eq!(
                    with_usage,
                    [chunks.len() - 1],
                    "{model}: usage must be on the last chunk only: {text}"
                );
                assert_eq!(last["choices"], json!([]), "{model}: {text}");
                for field in ["prompt_tokens", "completion_tokens", "total_tokens"] {
                    assert!(last["usage"][field].is_u64(), "{model}: {field} in {text}");
                }
            } else {
                assert!(
                    with_usage.is_empty(),
                    "{model} {asked:?}: usage not asked for: {text}"
                );
                assert!(
                    chunks
                        .iter()
                        .all(|c| c["choices"].as_array().is_some_and(|a| !a.is_empty())),
                    "{model} {asked:?}: a chunk without choices: {text}"
                );
            }
        }
    }
    drop(gw);
    sim.handle.abort();
    Ok(())
}
