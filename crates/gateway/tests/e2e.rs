//! End to end: the real simulator (in process) and the real gateway (worker-build's
//! output under `wrangler dev`, in workerd), over loopback.
//!
//! Needs `worker-build --release` to have run in `crates/gateway` and `npm ci` at the
//! root, so it is `#[ignore]`d in a plain `cargo test`; `cargo xtask test` builds the
//! Worker and runs it with `--include-ignored`.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard_sim::providers::{airforce, gemini, secry, secton};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const TOKEN: &str = "gw-test-token-7f3a";
const READY_WITHIN: Duration = Duration::from_secs(60);

/// One `wrangler dev` at a time: two starting together on a loaded 2-core machine can
/// miss the readiness bound.
static ONE_GATEWAY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A free loopback port (race-prone in theory, fine for one test process).
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `wrangler dev` in its own process group, killed with its children on drop.
struct Gateway {
    child: Child,
    base: String,
    dir: PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Gateway {
    /// Starts the built Worker with `vars`, waiting (bounded) until it answers.
    async fn start(vars: &[(&str, String)]) -> Result<Gateway, Box<dyn std::error::Error>> {
        let shim = root().join("crates/gateway/build/worker/shim.mjs");
        if !shim.is_file() {
            return Err(format!(
                "{} is missing: run `worker-build --release` in crates/gateway first (cargo xtask test does)",
                shim.display()
            )
            .into());
        }
        let port = free_port()?;
        let dir =
            std::env::temp_dir().join(format!("switchboard-gw-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut toml = format!(
            "name = \"switchboard-gateway-test\"\nmain = {:?}\ncompatibility_date = \"2026-04-01\"\n\n\
             [[kv_namespaces]]\nbinding = \"RATE_LIMIT\"\nid = \"0000000000000000000000000000e2e0\"\n\n[vars]\n",
            shim.canonicalize()?.display().to_string()
        );
        // Secrets go in `.dev.vars` beside the config, as `wrangler secret put` would
        // hold them in production: wrangler prints plain vars, and hides these.
        let mut secrets = String::new();
        for (name, value) in vars {
            if name.ends_with("_API_KEY") || *name == "GATEWAY_TOKENS" {
                writeln!(secrets, "{name}={value:?}")?;
            } else {
                writeln!(toml, "{name} = {value:?}")?;
            }
        }
        std::fs::write(dir.join("wrangler.toml"), toml)?;
        std::fs::write(dir.join(".dev.vars"), secrets)?;
        let log = std::fs::File::create(dir.join("wrangler.log"))?;
        let child = Command::new("npx")
            .args([
                "wrangler",
                "dev",
                "--ip",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .arg("--config")
            .arg(dir.join("wrangler.toml"))
            .arg("--persist-to")
            .arg(dir.join("state"))
            .current_dir(root())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()?;
        let gateway = Gateway {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let probe = client
                .get(format!("{}/__ready", gateway.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if probe.is_ok() {
                return Ok(gateway);
            }
            if started.elapsed() > READY_WITHIN {
                let log =
                    std::fs::read_to_string(gateway.dir.join("wrangler.log")).unwrap_or_default();
                return Err(
                    format!("gateway not ready within {READY_WITHIN:?}; log:\n{log}").into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// The simulator's request log.
async fn sim_log(client: &reqwest::Client, sim: &str) -> Result<Vec<Value>, reqwest::Error> {
    client
        .get(format!("{sim}/__sim/requests"))
        .send()
        .await?
        .json()
        .await
}

/// Arms a simulator fault for the next request under `prefix`.
async fn arm(client: &reqwest::Client, sim: &str, fault: &str, prefix: &str) -> TestResult {
    let r = client
        .post(format!("{sim}/__sim/faults"))
        .json(&json!({"fault": fault, "times": 1, "path_prefix": prefix}))
        .send()
        .await?;
    assert!(r.status().is_success(), "arming {fault}: {}", r.status());
    Ok(())
}

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "Say hello"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs worker-build output and wrangler; `cargo xtask test` runs it"]
async fn gateway_end_to_end() -> TestResult {
    let _one = ONE_GATEWAY.lock().await;
    let sim = switchboard_sim::serve(switchboard_sim::Config {
        stream_chunks: Some(4),
        chunk_delay: Duration::from_millis(150),
        ..switchboard_sim::Config::default()
    })
    .await?;
    let s = sim.base_url();
    let keys = switchboard_sim::Keys::default();
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
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
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
    arm(&client, &s, "status=503", "/secry").await?;
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
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
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
