//! `cargo xtask bench gateway`: the gateway beside its floors, one target at a time,
//! all in one run against one fixed-answer upstream ([`super::upstream`]): direct, the
//! JS pass-through and workers-rs pass-through Workers and the gateway in bare workerd
//! ([`super::workerd`]). Per target: oha at c=1 and c=16 (p50/p90/p99, req/s), a
//! 500-chunk stream's first and last byte, and workerd's CPU time per request.

use std::time::Duration;

use super::load::{self, Latency, Target};
use super::{upstream, workerd};
use crate::util::{self, Result, cmd, root, say};

/// The non-stream request every target gets.
const CHAT: &str = r#"{"model":"openai/bench","messages":[{"role":"user","content":"hello"}]}"#;
/// The streamed request: the upstream answers 500 content events.
const STREAM: &str = r#"{"model":"openai/bench","stream":true,"messages":[{"role":"user","content":"bench:chunks=500"}]}"#;

/// Request counts (measured, warm-up) for one run.
struct Counts {
    c1: (usize, usize),
    c16: (usize, usize),
    stream: (usize, usize),
}

/// The full run's counts, from issue 10.
const FULL: Counts = Counts {
    c1: (2000, 200),
    c16: (3000, 300),
    stream: (300, 30),
};
/// `--quick`: enough to prove the harness works.
const QUICK: Counts = Counts {
    c1: (200, 20),
    c16: (300, 30),
    stream: (20, 5),
};

/// Time cap of any one load.
const CAP: Duration = Duration::from_secs(90);

/// One target's figures in one run.
pub struct Row {
    /// Target name.
    pub name: &'static str,
    c1: Latency,
    c16: Latency,
    ttfb: f64,
    total: f64,
    /// workerd CPU per non-stream request and per stream, µs (None: not in workerd).
    cpu: Option<(f64, f64)>,
}

/// Builds the Workers, starts everything, measures `runs` times; returns one table per
/// run (markdown). Everything started is stopped on return, error or not.
pub fn run(quick: bool, runs: usize) -> Result<Vec<String>> {
    let gateway = build("crates/gateway")?;
    let floor = build("crates/bench-floor")?;
    let up = upstream::start()?;
    let w = workerd::start(up, &gateway, &floor)?;
    let counts = if quick { &QUICK } else { &FULL };
    let targets: [(&'static str, u16, bool); 4] = [
        ("direct to the upstream", up, false),
        ("JS pass-through Worker", w.js, true),
        ("workers-rs pass-through Worker (floor)", w.rs, true),
        ("Switchboard gateway", w.gateway, true),
    ];
    let mut tables = Vec::new();
    for run in 1..=runs {
        let mut rows = Vec::new();
        for &(name, port, in_workerd) in &targets {
            say(&format!("bench gateway: run {run}, {name}"));
            let pid = in_workerd.then(|| w.pid());
            rows.push(measure(name, port, pid, counts)?);
        }
        let table = table(&rows);
        say(&format!("\nrun {run}\n{table}"));
        tables.push(table);
    }
    drop(w);
    Ok(tables)
}

/// `worker-build --release` in `dir` with the local tools; returns its build directory.
fn build(dir: &str) -> Result<std::path::PathBuf> {
    let bin = root().join("node_modules/.bin");
    let mut c = cmd("worker-build");
    c.current_dir(root().join(dir))
        .arg("--release")
        .env("WASM_BINDGEN_BIN", "wasm-bindgen")
        .env("WASM_OPT_BIN", bin.join("wasm-opt"))
        .env("ESBUILD_BIN", bin.join("esbuild"));
    util::run_logged(&format!("worker-build {dir}"), c)?;
    Ok(root().join(dir).join("build"))
}

/// Measures one target: c=1, c=16, the stream, CPU when `pid` is workerd's.
fn measure(name: &'static str, port: u16, pid: Option<u32>, n: &Counts) -> Result<Row> {
    let chat = Target { port, body: CHAT };
    let cpu = |pid: Option<u32>| pid.map(load::cpu_ms).transpose();
    load::oha(&chat, n.c1.1, 1, CAP)?;
    let before = cpu(pid)?;
    let c1 = load::oha(&chat, n.c1.0, 1, CAP)?;
    let per_request = cpu(pid)?
        .zip(before)
        .map(|(a, b)| (a - b) * 1000.0 / n.c1.0 as f64);
    load::oha(&chat, n.c16.1, 16, CAP)?;
    let c16 = load::oha(&chat, n.c16.0, 16, CAP)?;
    let stream = Target { port, body: STREAM };
    load::stream(&stream, n.stream.1, 0, CAP)?;
    let before = cpu(pid)?;
    let (ttfb, total) = load::stream(&stream, 0, n.stream.0, CAP)?;
    let per_stream = cpu(pid)?
        .zip(before)
        .map(|(a, b)| (a - b) * 1000.0 / n.stream.0 as f64);
    Ok(Row {
        name,
        c1,
        c16,
        ttfb,
        total,
        cpu: per_request.zip(per_stream),
    })
}

/// The markdown table of one run, with differences against the workers-rs floor.
pub fn table(rows: &[Row]) -> String {
    let floor = rows.iter().find(|r| r.name.contains("(floor)"));
    let mut t = String::from(
        "| target | c=1 p50 | c=1 p90 | c=1 p99 | c=16 p50 | c=16 req/s | Δ p50 vs floor | Δ p99 vs floor | c=16 × floor | stream TTFB p50 | 500-chunk total p50 | CPU/request | CPU/stream |\n\
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let (dp50, dp99, ratio) = match floor {
            Some(f) => (
                format!("{:+.3}", r.c1.p50 - f.c1.p50),
                format!("{:+.3}", r.c1.p99 - f.c1.p99),
                format!("{:.2}", r.c16.rps / f.c16.rps),
            ),
            None => Default::default(),
        };
        let (cpu_req, cpu_stream) = match r.cpu {
            Some((a, b)) => (format!("{a:.0} µs"), format!("{b:.0} µs")),
            None => ("n/a".to_owned(), "n/a".to_owned()),
        };
        t.push_str(&format!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.0} | {dp50} | {dp99} | {ratio} | {:.3} | {:.3} | {cpu_req} | {cpu_stream} |\n",
            r.name, r.c1.p50, r.c1.p90, r.c1.p99, r.c16.p50, r.c16.rps, r.ttfb, r.total
        ));
    }
    t
}
