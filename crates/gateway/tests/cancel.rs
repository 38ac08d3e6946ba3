//! A caller that goes away mid-stream cancels the upstream request: the gateway
//! streams a slow answer, the caller reads a few events and drops the connection, and
//! the simulator's request log must then show that upstream answer as `cancelled`
//! (its body dropped before it was fully sent), not `complete` or still `open`.
//!
//! `#[ignore]`d like `e2e.rs`: `cargo xtask test` builds the Worker and runs it.

#[allow(dead_code)] // each test binary uses part of the shared harness
mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{ONE_GATEWAY, TestResult, sim_and_gateway, sim_log};
use switchboard_sim::providers::secry;

/// Content events of the slow stream and the pause before each: about 60 s in all,
/// far longer than the test waits, so only a cancellation can settle it early.
const CHUNKS: usize = 300;
const DELAY: Duration = Duration::from_millis(200);
/// Polls of the simulator's log (a bound on the wait, not a speed assertion).
const POLLS: usize = 100;
const POLL_EVERY: Duration = Duration::from_millis(200);

/// The outcome the simulator logged for the one chat request, if it logged it.
fn chat_outcome(log: &[Value]) -> Option<String> {
    let chats: Vec<&Value> = log
        .iter()
        .filter(|e| e["path"] == "/secry/v1/chat/completions")
        .collect();
    assert!(chats.len() <= 1, "one chat request upstream: {log:?}");
    chats.first().map(|e| {
        e["response"]["outcome"]
            .as_str()
            .unwrap_or("missing")
            .to_owned()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs worker-build output and wrangler; `cargo xtask test` runs it"]
async fn a_caller_that_goes_away_cancels_the_upstream_stream() -> TestResult {
    let _one = ONE_GATEWAY.lock().await;
    let (sim, gw) = sim_and_gateway(switchboard_sim::Config {
        stream_chunks: Some(CHUNKS),
        chunk_delay: DELAY,
        ..switchboard_sim::Config::default()
    })
    .await?;
    let observer = reqwest::Client::new();

    // A client of its own, so that dropping it closes the only connection.
    let caller = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()?;
    let body = json!({"model": format!("secry/{}", secry::MODELS[0]), "stream": true,
        "messages": [{"role": "user", "content": "tell me a long story"}]});
    let mut response = caller
        .post(format!("{}/v1/chat/completions", gw.base))
        .json(&body)
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    let mut seen = String::new();
    while seen.matches("data:").count() < 3 {
        let piece = response.chunk().await?.ok_or("the stream ended early")?;
        seen.push_str(&String::from_utf8_lossy(&piece));
    }
    assert!(
        !seen.contains("[DONE]"),
        "the stream is still going: {seen}"
    );
    assert_eq!(
        chat_outcome(&sim_log(&observer, &sim.base_url()).await?).as_deref(),
        Some("open"),
        "upstream is streaming while the caller reads"
    );
    drop(response);
    drop(caller);

    let mut outcome = None;
    for _ in 0..POLLS {
        outcome = chat_outcome(&sim_log(&observer, &sim.base_url()).await?);
        if outcome.as_deref() != Some("open") {
            break;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    assert_eq!(
        outcome.as_deref(),
        Some("cancelled"),
        "the upstream answer was cancelled once the caller went away"
    );
    Ok(())
}
