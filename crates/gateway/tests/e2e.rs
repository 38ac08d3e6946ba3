//! End to end: the real simulator (in process) and the real gateway (worker-build's
//! output under `wrangler dev`, in workerd), over loopback.
//!
//! Needs `worker-build --release` to have run in `crates/gateway` and `npm ci` at the
//! root, so it is `#[ignore]`d in a plain `cargo test`; `cargo xtask test` builds the
//! Worker and runs it with `--include-ignored`.

mod endpoints;
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Gateway, ONE_GATEWAY, TOKEN, TestResult, arm, arm_times, sim_log};
use switchboard_sim::providers::{airforce, gemini, secry, secton};

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "Say hello"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs worker-build output and wrangler; `cargo xtask test` runs it"]
async fn gateway_end_to_end() -> TestResult {
    let _one = ONE_GATEWAY.lock().await;
    let keys = support::keys();
    let sim = switchboard_sim::serve(switchboard_sim::Config {
        stream_chunks: Some(4),
        chunk_delay: Duration::from_millis(150),
        keys: keys.clone(),
        ..switchboard_sim::Config::default()
    })
    .await?;
    let s = sim.base_url();
    let vars = [
        ("SECRY_BASE_URL", format!("{s}/secry/v1")),
        ("SECTON_BASE_URL", format!("{s}/secton/v1")),
        ("AIRFORCE_BASE_URL", format!("{s}/airforce")),
        ("SIRAYA_BASE_URL", format!("{s}/siraya/v1")),
        ("GEMINI_PROXY_BASE_URL", format!("{s}/gemini-proxy/api/v1")),
        ("SECRY_API_KEY", keys.secry.clone()),
        ("SECTON_API_KEY", keys.secton.clone()),
        ("AIRFORCE_API_KEY", keys.airforce.clone()),
        ("SIRAYA_API_KEY", keys.siraya.clone()),
        ("GEMINI_PROXY_API_KEY", keys.gemini.clone()),
        ("GATEWAY_TOKENS", format!("other-token,{TOKEN}")),
        ("RATE_LIMIT_PER_MINUTE", "1000".to_owned()),
        ("ADMIN_TOKEN", endpoints::ADMIN.to_owned()),
        // Small limits so the time-limit tests stay short (normal answers take < 0.3 s
        // between pieces and < 2 s in all).
        ("UPSTREAM_FIRST_BYTE_MS", "1500".to_owned()),
        ("STREAM_IDLE_MS", "800".to_owned()),
        ("STREAM_TOTAL_MS", "4000".to_owned()),
        ("RETRY_BASE_MS", "100".to_owned()),
        ("MAX_FILE_BYTES", "4096".to_owned()),
        (
            "MODEL_ALIASES",
            format!("fb=secry/{}|siraya/backup-model", secry::MODELS[0]),
        ),
    ];
    let gw = Gateway::start(&vars).await?;
    let g = &gw.base;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;

    // Non-stream chat through each provider: right path, provider key, no gateway token.
    let cases = [
        (
            format!("secry/{}", secry::MODELS[0]),
            "/secry/v1/chat/completions",
            &keys.secry,
        ),
        (
            format!("secton/{}", secton::MODELS[0].0),
            "/secton/v1/chat/completions",
            &keys.secton,
        ),
        (
            format!("airforce/{}", airforce::MODELS[0]),
            "/airforce/v1/chat/completions",
            &keys.airforce,
        ),
        (
            "siraya/some-model".to_owned(),
            "/siraya/v1/chat/completions",
            &keys.siraya,
        ),
        (
            format!("gemini-proxy/{}", gemini::MODELS[0]),
            "/gemini-proxy/api/v1/chat",
            &keys.gemini,
        ),
    ];
    for (model, path, key) in &cases {
        client.delete(format!("{s}/__sim/requests")).send().await?;
        let r = client
            .post(format!("{g}/v1/chat/completions"))
            .bearer_auth(TOKEN)
            .json(&chat(model, false))
            .send()
            .await?;
        let status = r.status().as_u16();
        assert!(
            r.headers().contains_key("x-request-id"),
            "{model}: no x-request-id"
        );
        assert!(
            r.headers().contains_key("x-ratelimit-remaining"),
            "{model}: no rate-limit headers"
        );
        let body: Value = r.json().await?;
        assert_eq!(status, 200, "{model}: {body}");
        assert_eq!(body["object"], "chat.completion", "{model}: {body}");
        let text = body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default();
        assert!(!text.is_empty(), "{model}: empty answer {body}");
        let log = sim_log(&client, &s).await?;
        assert_eq!(log.len(), 1, "{model}: upstream saw {log:?}");
        assert_eq!(log[0]["path"], *path, "{model}");
        assert_eq!(
            log[0]["headers"]["authorization"],
            format!("Bearer {key}"),
            "{model}"
        );
        let raw = log[0].to_string();
        assert!(
            !raw.contains(TOKEN),
            "{model}: the gateway token reached upstream: {raw}"
        );
    }

    // A stream arrives as chunks, spread in time, ending in [DONE].
    let started = Instant::now();
    let mut r = client
        .post(format!("{g}/v1/chat/completions"))
        .bearer_auth(TOKEN)
        .json(&chat(&cases[0].0, true))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let ct = support::header(&r, "content-type").unwrap_or_default();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    let mut arrivals = Vec::new();
    let mut body = Vec::new();
    while let Some(piece) = r.chunk().await? {
        arrivals.push(started.elapsed());
        body.extend_from_slice(&piece);
    }
    let body = String::from_utf8(body)?;
    assert!(body.ends_with("data: [DONE]\n\n"), "{body}");
    let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert!(events.len() >= 3, "{body}");
    for e in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(e.trim_start_matches("data: "))?;
        assert_eq!(chunk["object"], "chat.completion.chunk", "{e}");
    }
    // The simulator spaces events 150 ms apart: buffering would deliver them at once.
    let (first, last) = (arrivals[0], arrivals[arrivals.len() - 1]);
    assert!(
        arrivals.len() >= 3,
        "stream came in {} piece(s): {arrivals:?}",
        arrivals.len()
    );
    assert!(
        last - first >= Duration::from_millis(300),
        "pieces bunched: {arrivals:?}"
    );

    // No token, wrong token: 401 OpenAI error.
    for auth in [None, Some("wrong")] {
        let mut rq = client
            .post(format!("{g}/v1/chat/completions"))
            .json(&chat(&cases[0].0, false));
        if let Some(t) = auth {
            rq = rq.bearer_auth(t);
        }
        let r = rq.send().await?;
        assert_eq!(r.status().as_u16(), 401);
        assert!(r.headers().contains_key("x-request-id"));
        let body: Value = r.json().await?;
        assert_eq!(body["error"]["type"], "authentication_error", "{body}");
    }

    // Unknown provider: 404 model_not_found. Malformed JSON and wrong types: 400.
    let r = client
        .post(format!("{g}/v1/chat/completions"))
        .bearer_auth(TOKEN)
        .json(&chat("nope/x", false))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await?;
    assert_eq!(body["error"]["code"], "model_not_found", "{body}");
    for bad in [
        &b"{\"model\": \"secry/x\", "[..],
        br#"{"model": 7, "messages": "hi"}"#,
    ] {
        let r = client
            .post(format!("{g}/v1/chat/completions"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(bad.to_vec())
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 400);
        let body: Value = r.json().await?;
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    }

    // Models: merged, prefixed, every provider present.
    let r = client
        .get(format!("{g}/v1/models"))
        .bearer_auth(TOKEN)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await?;
    assert_eq!(body["object"], "list", "{body}");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["id"].as_str()).collect())
        .unwrap_or_default();
    for p in ["secry/", "secton/", "airforce/", "siraya/", "gemini-proxy/"] {
        assert!(
            ids.iter().any(|id| id.starts_with(p)),
            "no {p} model in {ids:?}"
        );
    }
    assert!(
        ids.contains(&format!("secry/{}", secry::MODELS[0]).as_str()),
        "{ids:?}"
    );

    // A 503 before the first byte moves on to the alias's next target.
    client.delete(format!("{s}/__sim/requests")).send().await?;
    // Three 503s: the first try and its two retries (RETRY_MAX default 2).
    arm_times(&client, &s, "status=503", "/secry", 3).await?;
    let r = client
        .post(format!("{g}/v1/chat/completions"))
        .bearer_auth(TOKEN)
        .json(&chat("fb", false))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let paths: Vec<Value> = sim_log(&client, &s)
        .await?
        .iter()
        .map(|e| e["path"].clone())
        .collect();
    assert_eq!(
        paths,
        [
            json!("/secry/v1/chat/completions"),
            json!("/secry/v1/chat/completions"),
            json!("/secry/v1/chat/completions"),
            json!("/siraya/v1/chat/completions")
        ]
    );

    // After the first byte, an upstream error or cut becomes an error event plus a
    // final chunk with finish_reason "error", never a clean [DONE].
    for fault in ["error-mid-stream=2", "reset-after=2"] {
        arm(&client, &s, fault, "/secry").await?;
        let r = client
            .post(format!("{g}/v1/chat/completions"))
            .bearer_auth(TOKEN)
            .json(&chat(&cases[0].0, true))
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 200, "{fault}");
        let body = r.text().await?;
        let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert!(!body.contains("[DONE]"), "{fault}: {body}");
        let n = events.len();
        assert!(n >= 3, "{fault}: {body}");
        let error: Value = serde_json::from_str(events[n - 2].trim_start_matches("data: "))?;
        assert!(error["error"]["message"].is_string(), "{fault}: {body}");
        let last: Value = serde_json::from_str(events[n - 1].trim_start_matches("data: "))?;
        assert_eq!(
            last["choices"][0]["finish_reason"], "error",
            "{fault}: {body}"
        );
    }
    client.delete(format!("{s}/__sim/faults")).send().await?;

    endpoints::files(&client, &s, g, &keys).await?;
    endpoints::media(&client, &s, g, &keys).await?;
    endpoints::airforce_extras(&client, &s, g, &keys).await?;
    endpoints::reliability(&client, &s, &gw).await?;

    // The official openai npm SDK, unchanged (tests/sdk, node:test).
    let mut node = std::process::Command::new("node");
    node.args(["--test", "crates/gateway/tests/sdk/openai.test.mjs"])
        .current_dir(support::root())
        .env("GATEWAY_URL", g)
        .env("GATEWAY_TOKEN", TOKEN)
        .env("CHAT_MODEL", &cases[0].0);
    let sdk = tokio::task::spawn_blocking(move || node.output()).await??;
    support::capture("openai-sdk-stdout", &sdk.stdout);
    support::capture("openai-sdk-stderr", &sdk.stderr);
    let report = String::from_utf8_lossy(&sdk.stdout);
    assert!(report.contains("# pass 6"), "openai SDK: {report}");
    assert!(
        sdk.status.success(),
        "openai SDK tests failed:\n{}{}",
        String::from_utf8_lossy(&sdk.stdout),
        String::from_utf8_lossy(&sdk.stderr)
    );

    // No provider key in anything the gateway logged.
    let log = std::fs::read_to_string(gw.dir.join("wrangler.log")).unwrap_or_default();
    for (_, key) in &vars[5..10] {
        assert!(
            !log.contains(key.as_str()),
            "a provider key appears in the gateway log"
        );
    }
    drop(gw);
    sim.handle.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs worker-build output and wrangler; `cargo xtask test` runs it"]
async fn rate_limit_by_ip() -> TestResult {
    let _one = ONE_GATEWAY.lock().await;
    // The readiness probe takes one request of the 4; the 6 below then see 3 allowed.
    let gw = Gateway::start(&[("RATE_LIMIT_PER_MINUTE", "4".to_owned())]).await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = client.get(format!("{}/v1/nothing", gw.base)).send().await?;
        let status = r.status().as_u16();
        let header = |name: &str| support::header(&r, name);
        assert_eq!(header("x-ratelimit-limit").as_deref(), Some("4"));
        assert!(header("x-ratelimit-remaining").is_some() && header("x-ratelimit-reset").is_some());
        assert!(header("x-request-id").is_some());
        if status == 429 {
            let retry: u64 = header("retry-after").unwrap_or_default().parse()?;
            assert!((1..=60).contains(&retry), "retry-after {retry}");
            assert_eq!(header("x-ratelimit-remaining").as_deref(), Some("0"));
            let body: Value = r.json().await?;
            assert_eq!(body["error"]["type"], "rate_limit_error", "{body}");
        }
        statuses.push(status);
    }
    // Allowed requests reach routing (404 for this path), then every one is refused.
    let allowed = statuses.iter().take_while(|s| **s == 404).count();
    assert!((2..=3).contains(&allowed), "{statuses:?}");
    assert!(
        statuses[allowed..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    Ok(())
}
