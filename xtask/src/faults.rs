//! `cargo xtask faults [--prebuilt] [--check]`: the fault matrix. Starts the simulator, the built
//! gateway wired to it (short upstream limits, so hung-upstream cells end fast) and runs
//! `xtask/faults/run.mjs`, which drives the browser client in headless Chromium and the
//! official OpenAI SDK in node through every simulator fault; then writes the `faults`
//! section of `docs/reliability.md` and fails on any FAIL cell or gateway panic.
//!
//! `--prebuilt` reuses the client package and the Worker already built (the test plan
//! builds both in earlier steps); otherwise both are built first. `--check` (the test
//! step) judges the run the same way but leaves `docs/reliability.md` alone, so a test
//! run does not dirty the tree; the section goes to `target/xtask-gateway/faults-section.md`.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::test::Step;
use crate::util::{self, Result, cmd, root, say};

/// The file the matrix writes its section of.
pub const RELIABILITY: &str = "docs/reliability.md";

/// The gateway token the matrix sends.
const TOKEN: &str = "gw-faults-token";

/// What a gateway's output says when the Worker panicked.
pub const PANIC_MARKERS: &[&str] = &["panicked", "RuntimeError: unreachable"];

/// The gateway's limits for the matrix: short, so hung and endless upstreams end fast.
const GATEWAY_LIMITS: &[(&str, &str)] = &[
    ("UPSTREAM_FIRST_BYTE_MS", "1000"),
    ("STREAM_IDLE_MS", "1000"),
    ("STREAM_TOTAL_MS", "2500"),
    ("RETRY_BASE_MS", "50"),
    ("RETRY_MAX_WAIT_MS", "3000"),
    ("RATE_LIMIT_PER_MINUTE", "100000"),
    ("CORS_ORIGINS", "*"),
];

/// What the file holds before any section.
const HEAD: &str = "# Reliability\n\n\
Generated from real runs; do not edit by hand. Each section is rewritten only by its own\n\
command and says when and how it was produced.\n";

/// The test plan's step: the matrix on the package and Worker earlier steps built, with
/// this run's canary keys and capture directory.
pub fn test_step() -> Option<Step> {
    let root = root();
    if !root.join("crates/client").is_dir() || !root.join("crates/gateway").is_dir() {
        return None;
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| "cargo-xtask".into());
    let mut command = Command::new(exe);
    command
        .args(["faults", "--prebuilt", "--check"])
        .current_dir(root)
        .env("PATH", util::tool_path());
    crate::canary::arm(&mut command);
    Some(Step {
        name: "fault matrix (cargo xtask faults)".to_owned(),
        command,
    })
}

/// How the key canary works (xtask/src/canary.rs), for a new file's head.
const CANARY: &str = "## Key canary\n\n\
`cargo xtask test` gives each provider a fresh key per run and passes it to the simulators and\n\
gateways of the gateway steps; what they see through the gateway is kept under\n\
`target/canary-capture/` and scanned for the keys (raw, base64, percent- or JSON-escaped) by\n\
its last step. Direct mode (the browser calling a provider with its own key) is out of scope\n\
by design: that key is the page's own.\n";

/// Runs the matrix.
pub fn run(args: &[String]) -> Result {
    let (mut prebuilt, mut check) = (false, false);
    for a in args {
        match a.as_str() {
            "--prebuilt" => prebuilt = true,
            "--check" => check = true,
            _ => return Err("usage: cargo xtask faults [--prebuilt] [--check]".to_owned()),
        }
    }
    if !prebuilt || !package_built() {
        crate::build::run()?;
    }
    if !prebuilt {
        util::run(
            "gateway build (worker-build)",
            crate::gateway::build_command(),
        )?;
    }
    let (mut sim, sim_url) = crate::playground::start_sim(&[])?;
    say(&format!("simulator at {sim_url}"));
    let result = matrix(&sim_url, check);
    let _ = sim.kill();
    let _ = sim.wait();
    result
}

/// Starts the gateway, runs the driver, writes the section and judges the totals.
fn matrix(sim_url: &str, check: bool) -> Result {
    let mut values = crate::gateway::with_env(&crate::dev::sim_wiring(sim_url));
    for (k, v) in GATEWAY_LIMITS {
        values.retain(|(name, _)| name != k);
        values.push((k, (*v).to_owned()));
    }
    values.retain(|(name, _)| *name != "GATEWAY_TOKENS");
    values.push(("GATEWAY_TOKENS", TOKEN.to_owned()));
    let sim_key = values
        .iter()
        .find(|(k, _)| *k == "SECRY_API_KEY")
        .map(|(_, v)| v.clone())
        .ok_or("faults: no SECRY_API_KEY in the gateway wiring")?;
    let gateway = crate::gateway::start("faults", &values)?;
    let log = root().join("target/xtask-gateway/faults.log");
    let out = root().join("target/xtask-gateway/faults.md");
    let mut node = cmd("node");
    node.arg("xtask/faults/run.mjs")
        .env("FAULTS_SIM_URL", sim_url)
        .env("FAULTS_GATEWAY_URL", &gateway.url)
        .env("FAULTS_GATEWAY_TOKEN", TOKEN)
        .env("FAULTS_SIM_KEY", &sim_key)
        .env("FAULTS_OUT", &out)
        .env("FAULTS_WRANGLER_LOG", &log);
    let ran = util::run("fault matrix (xtask/faults/run.mjs)", node);
    drop(gateway);
    let gateway_log = fs::read_to_string(&log).unwrap_or_default();
    if let Some(dir) = crate::canary::capture_dir() {
        crate::canary::capture(&dir, "faults-gateway.log", gateway_log.as_bytes())?;
    }
    ran?;
    let table = fs::read_to_string(&out).map_err(|e| format!("faults: {}: {e}", out.display()))?;
    let panics = panic_lines(&gateway_log);
    let markdown = section(&table, &panics);
    if check {
        let path = root().join("target/xtask-gateway/faults-section.md");
        fs::write(&path, &markdown).map_err(|e| format!("faults: {}: {e}", path.display()))?;
    } else {
        write_section("faults", &markdown)?;
    }
    let totals = Totals::parse(&table).ok_or("faults: the driver wrote no totals line")?;
    say(&format!("faults: {}", totals.line));
    if totals.fail > 0 || totals.panics > 0 || !panics.is_empty() {
        return Err(format!(
            "faults: {} FAIL cells, {} panics in the gateway's output (see {RELIABILITY})",
            totals.fail,
            totals.panics.max(panics.len() as u64)
        ));
    }
    Ok(())
}

/// The lines of a gateway's output that report a panic.
pub fn panic_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| PANIC_MARKERS.iter().any(|m| l.contains(m)))
        .map(|l| l.chars().take(200).collect())
        .collect()
}

/// The section's markdown around the driver's table.
fn section(table: &str, panics: &[String]) -> String {
    let mut date = cmd("date");
    date.args(["-u", "+%Y-%m-%d %H:%M UTC"]);
    let date = util::capture(date).unwrap_or_else(|| "an unknown date".to_owned());
    let mut md = format!(
        "## Fault matrix\n\n\
         Generated by `cargo xtask faults` on {date}: the simulator, the gateway (the built \
         Worker under `wrangler dev`, `UPSTREAM_FIRST_BYTE_MS=1000`, `STREAM_IDLE_MS=1000`, \
         `STREAM_TOTAL_MS=2500`) and headless Chromium. Each cell arms one simulator fault \
         (`POST /__sim/faults`, docs/simulator.md) for the next upstream request (\"every \
         attempt\" rows: all of them) and asks for `count to 5`, plain and streamed: the \
         browser client directly to SECRY, the browser client through the gateway to Siraya, \
         the SDK through the gateway to airforce (same deterministic reply; the three callers \
         run side by side). Callers use a 3 s per-attempt timeout and 2 retries, the browser \
         client also a 2 s `idleTimeout` and a 5 s `streamTimeout`. A cell reads \
         `ok` (exactly the deterministic reply), `ok (retried)` (more than one upstream \
         request), `typed error <class> <status or code>` (an `APIError` of the browser \
         client or the SDK), or `FAIL <why>`: success with cut or garbled content, no end \
         within 12 s (no answer, or a stream still going), an untyped error, an uncaught page error, or a gateway panic \
         (`panicked` or `RuntimeError: unreachable` in wrangler's output).\n\n{}",
        table.trim_end()
    );
    if !panics.is_empty() {
        md.push_str("\n\nPanics in the gateway's output:\n\n");
        for p in panics {
            md.push_str(&format!("- `{}`\n", p.replace('`', "'")));
        }
    }
    md
}

/// The totals line the driver writes.
struct Totals {
    line: String,
    fail: u64,
    panics: u64,
}

impl Totals {
    /// Reads `Totals: N cells, N ok, N typed errors, N FAIL, N panics, N silent truncations.`
    fn parse(table: &str) -> Option<Totals> {
        let line = table.lines().find(|l| l.starts_with("Totals: "))?;
        let count = |what: &str| -> Option<u64> {
            line.split(", ")
                .find(|part| part.trim_end_matches('.').ends_with(what))?
                .trim_start_matches("Totals: ")
                .split(' ')
                .next()?
                .parse()
                .ok()
        };
        Some(Totals {
            line: line.to_owned(),
            fail: count(" FAIL")?,
            panics: count(" panics")?,
        })
    }
}

/// Sets the section `id` of `docs/reliability.md` (`faults` or `fuzz`) to `markdown`,
/// leaving the rest as it is; a missing file starts with both sections' markers.
pub fn write_section(id: &str, markdown: &str) -> Result {
    let skeleton = format!(
        "{HEAD}\n{CANARY}\n<!-- faults -->\n<!-- /faults -->\n\n<!-- fuzz -->\n<!-- /fuzz -->\n"
    );
    crate::doc_section::write(RELIABILITY, id, markdown, &skeleton)
}

/// Whether the client package exists (the browser cells need it).
fn package_built() -> bool {
    Path::new(&root().join("crates/client/pkg/switchboard_client.js")).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_panics_are_read() {
        let t = Totals::parse(
            "| a |\n\nTotals: 126 cells, 80 ok, 44 typed errors, 2 FAIL, 1 panics, 0 silent truncations.\n",
        );
        let t = t.map(|t| (t.fail, t.panics));
        assert_eq!(t, Some((2, 1)));
        assert!(Totals::parse("no totals").is_none());
        let log = "ok\n[wrangler] panicked at src/x.rs:1\nfine\nRuntimeError: unreachable\n";
        assert_eq!(panic_lines(log).len(), 2);
    }
}
