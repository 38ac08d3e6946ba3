//! e2e checks of retries, time limits and cancellation, driven by simulator faults.
//! The gateway runs with `UPSTREAM_FIRST_BYTE_MS=1500`, `STREAM_IDLE_MS=800`,
//! `STREAM_TOTAL_MS=4000` and `RETRY_BASE_MS=100`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard_sim::providers::secry;

use crate::support::{Gateway, TOKEN, TestResult, arm, header, sim_log};

fn chat(stream: bool) -> Value {
    json!({"model": format!("secry/{}", secry::MODELS[0]), "stream": stream,
           "messages": [{"role": "user", "content": "Say hello"}]})
}

/// Retries, Retry-After past the cap, and each time limit.
pub async fn reliability(client: &reqwest::Client, s: &str, gw: &Gateway) -> TestResult {
    let g = &gw.base;
    let send = |stream: bool| {
        client
            .post(format!("{g}/v1/chat/completions"))
            .bearer_auth(TOKEN)
            .json(&chat(stream))
            .send()
    };
    let clear = || client.delete(format!("{s}/__sim/requests")).send();

    // A 503 before the first byte is retried on the same target.
    clear().await?;
    arm(client, s, "status=503", "/secry").await?;
    let r = send(false).await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(sim_log(client, s).await?.len(), 2);

    // A Retry-After within the cap is waited for; past it (10 s) the 429 comes back.
    clear().await?;
    arm(client, s, "retry-after=1", "/secry").await?;
    let started = Instant::now();
    let r = send(false).await?;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    clear().await?;
    arm(client, s, "retry-after=30", "/secry").await?;
    let r = send(false).await?;
    assert_eq!(r.status().as_u16(), 429);
    let retry = header(&r, "retry-after");
    assert_eq!(retry.as_deref(), Some("30"));
    assert_eq!(sim_log(client, s).await?.len(), 1);

    // No head within the first-byte limit: 504, promptly.
    arm(client, s, "latency=5000", "/secry").await?;
    let started = Instant::now();
    let r = send(false).await?;
    assert_eq!(r.status().as_u16(), 504);
    let body: Value = r.json().await?;
    assert!(body["error"]["message"].is_string(), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    // A stream idle past its limit before its first event: a 504 JSON error.
    arm(client, s, "one-byte=1000", "/secry").await?;
    let r = send(true).await?;
    assert_eq!(r.status().as_u16(), 504);

    // A stream past its total limit after it started: an error event and a final chunk.
    arm(client, s, "one-byte=5", "/secry").await?;
    let started = Instant::now();
    let r = send(true).await?;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await?;
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    assert!(!body.contains("[DONE]"), "{body}");
    let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
    let n = events.len();
    assert!(n >= 2, "{body}");
    let error: Value = serde_json::from_str(events[n - 2].trim_start_matches("data: "))?;
    assert!(error["error"]["message"].is_string(), "{body}");
    let last: Value = serde_json::from_str(events[n - 1].trim_start_matches("data: "))?;
    assert_eq!(last["choices"][0]["finish_reason"], "error", "{body}");

    client.delete(format!("{s}/__sim/faults")).send().await?;
    Ok(())
}
