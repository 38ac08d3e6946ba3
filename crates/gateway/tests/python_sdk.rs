//! The official openai Python SDK (pinned, in the venv `cargo xtask setup` makes under
//! `target/python-sdk`), unchanged, against the gateway in front of the simulator: chat,
//! stream (with usage), tools (whole and streamed), models, images, speech, files and a
//! typed error. The cases are `tests/python/test_openai_sdk.py` (unittest).
//!
//! `#[ignore]`d like `e2e.rs`: `cargo xtask test` builds the Worker and runs it.

#[allow(dead_code)] // each test binary uses part of the shared harness
mod support;

use std::time::Duration;

use support::{Gateway, ONE_GATEWAY, TOKEN, TestResult, root, sim_vars};
use switchboard_sim::providers::secry;

/// How many test methods `test_openai_sdk.py` holds: all must have run.
const CASES: usize = 9;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs worker-build output, wrangler and the python venv; `cargo xtask test` runs it"]
async fn openai_python_sdk() -> TestResult {
    let python = root().join("target/python-sdk/bin/python");
    if !python.is_file() {
        return Err(format!(
            "{} is missing: run `cargo xtask setup` (it installs the openai Python SDK)",
            python.display()
        )
        .into());
    }
    let _one = ONE_GATEWAY.lock().await;
    let sim = switchboard_sim::serve(switchboard_sim::Config {
        stream_chunks: Some(4),
        chunk_delay: Duration::from_millis(20),
        keys: support::keys(),
        ..switchboard_sim::Config::default()
    })
    .await?;
    let keys = support::keys();
    let mut vars = sim_vars(&sim.base_url(), &keys);
    vars.push(("GATEWAY_TOKENS", TOKEN.to_owned()));
    vars.push(("RATE_LIMIT_PER_MINUTE", "0".to_owned()));
    let gw = Gateway::start(&vars).await?;
    let mut unittest = std::process::Command::new(python);
    unittest
        .args(["-m", "unittest", "-v", "test_openai_sdk"])
        .current_dir(root().join("crates/gateway/tests/python"))
        .env("GATEWAY_URL", &gw.base)
        .env("GATEWAY_TOKEN", TOKEN)
        .env("CHAT_MODEL", format!("secry/{}", secry::MODELS[0]))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let out = tokio::task::spawn_blocking(move || unittest.output()).await??;
    // unittest reports on stderr: one "... ok" line per passing case, then "Ran N tests".
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "openai Python SDK tests failed:\n{report}"
    );
    assert!(
        report.contains(&format!("Ran {CASES} tests")),
        "expected {CASES} cases:\n{report}"
    );
    let log = std::fs::read_to_string(gw.dir.join("wrangler.log")).unwrap_or_default();
    for (name, key) in vars.iter().filter(|(n, _)| n.ends_with("_API_KEY")) {
        assert!(
            !log.contains(key.as_str()),
            "{name} appears in the gateway log"
        );
    }
    drop(gw);
    sim.handle.abort();
    Ok(())
}
