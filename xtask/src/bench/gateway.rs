//! `cargo xtask bench gateway`: the gateway beside its floors, one target at a time,
//! all in one run against one fixed-answer upstream ([`super::upstream`]): direct, the
//! JS pass-through and workers-rs pass-through Workers and the gateway in bare workerd
//! ([`super::workerd`]). Per target: oha at c=1 and c=16 (p50/p90/p99, req/s), a
//! 500-chunk stream's first and last byte, and workerd's CPU time per request.

use std::time::Duration;

use super::load::{self, Latency, Target};
use super::{peers, report, upstream, workerd};
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
    stream: (100, 10),
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
pub struct Figures {
    c1: Latency,
    c16: Latency,
    ttfb: f64,
    total: f64,
    /// workerd CPU per non-stream request and per stream, µs (None: not in workerd).
    cpu: Option<(f64, f64)>,
}

/// One row: a target and its figures, or why there are none.
pub type Row = (&'static str, std::result::Result<Figures, String>);

/// A target to measure.
struct Spec {
    name: &'static str,
    port: u16,
    /// workerd's pid, for the Workers.
    pid: Option<u32>,
    auth: String,
    headers: Vec<String>,
}

/// Builds the Workers, starts everything (the peers too unless `quick`), measures
/// `runs` times; returns one markdown table per run. Everything started is stopped
/// on return, error or not.
pub fn run(quick: bool, runs: usize) -> Result<Vec<String>> {
    let gateway = build("crates/gateway")?;
    let floor = build("crates/bench-floor")?;
    let up = upstream::start()?;
    let w = workerd::start(up, &gateway, &floor)?;
    let counts = if quick { &QUICK } else { &FULL };
    let bearer = format!("Bearer {}", workerd::TOKEN);
    let spec = |name, port, pid| Spec {
        name,
        port,
        pid,
        auth: bearer.clone(),
        headers: Vec::new(),
    };
    let mut specs = vec![
        spec("direct to the upstream", up, None),
        spec("JS pass-through Worker", w.js, Some(w.pid())),
        spec(FLOOR, w.rs, Some(w.pid())),
        spec("Switchboard gateway", w.gateway, Some(w.pid())),
    ];
    let mut peers = Vec::new();
    let mut missing: Vec<(&'static str, String)> = Vec::new();
    if !quick {
        let started: [(&'static str, Result<peers::Peer>); 2] = [
            ("Portkey gateway (Node server)", peers::portkey(up)),
            ("LiteLLM proxy (1 worker)", peers::litellm(up)),
        ];
        for (name, peer) in started {
            match peer {
                Ok(p) => {
                    specs.push(Spec {
                        name,
                        port: p.port,
                        pid: None,
                        auth: p.auth.clone(),
                        headers: p.headers.clone(),
                    });
                    peers.push(p);
                }
                Err(e) => missing.push((name, format!("not measured: {e}"))),
            }
        }
    }
    let mut tables = Vec::new();
    for run in 1..=runs {
        let mut rows: Vec<Row> = Vec::new();
        for s in &specs {
            say(&format!("bench gateway: run {run}, {}", s.name));
            let figures = measure(s, counts);
            if s.pid.is_some() || s.port == up {
                rows.push((s.name, Ok(figures?)));
            } else {
                rows.push((s.name, figures.map_err(|e| format!("failed: {e}"))));
            }
        }
        rows.extend(missing.iter().map(|(n, e)| (*n, Err(e.clone()))));
        let table = table(&rows);
        say(&format!("\nrun {run}\n{table}"));
        tables.push(table);
    }
    drop(peers);
    drop(w);
    Ok(tables)
}

/// Name of the row the differences are taken against.
const FLOOR: &str = "workers-rs pass-through Worker (floor)";

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

/// Measures one target: c=1, c=16, the stream, CPU when it runs in workerd.
fn measure(s: &Spec, n: &Counts) -> Result<Figures> {
    let chat = Target {
        port: s.port,
        body: CHAT,
        auth: &s.auth,
        headers: &s.headers,
    };
    let cpu = || s.pid.map(load::cpu_ms).transpose();
    load::oha(&chat, n.c1.1, 1, CAP)?;
    let before = cpu()?;
    let c1 = load::oha(&chat, n.c1.0, 1, CAP)?;
    let per_request = cpu()?
        .zip(before)
        .map(|(a, b)| (a - b) * 1000.0 / n.c1.0 as f64);
    load::oha(&chat, n.c16.1, 16, CAP)?;
    let c16 = load::oha(&chat, n.c16.0, 16, CAP)?;
    let stream = Target {
        body: STREAM,
        ..chat
    };
    load::stream(&stream, n.stream.1, 0, CAP)?;
    let before = cpu()?;
    let (ttfb, total) = load::stream(&stream, 0, n.stream.0, CAP)?;
    let per_stream = cpu()?
        .zip(before)
        .map(|(a, b)| (a - b) * 1000.0 / n.stream.0 as f64);
    Ok(Figures {
        c1,
        c16,
        ttfb,
        total,
        cpu: per_request.zip(per_stream),
    })
}

/// The markdown table of one run, with differences against the workers-rs floor.
pub fn table(rows: &[Row]) -> String {
    let floor = rows
        .iter()
        .find(|r| r.0 == FLOOR)
        .and_then(|r| r.1.as_ref().ok());
    let mut t = String::from(
        "| target | c=1 p50 | c=1 p90 | c=1 p99 | c=16 p50 | c=16 req/s | Δ p50 vs floor | Δ p99 vs floor | c=16 × floor | stream TTFB p50 | 500-chunk total p50 | CPU/request | CPU/stream |\n\
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (name, r) in rows {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                t.push_str(&format!("| {name} | {e} ||||||||||||\n"));
                continue;
            }
        };
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
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.0} | {dp50} | {dp99} | {ratio} | {:.3} | {:.3} | {cpu_req} | {cpu_stream} |\n",
            r.c1.p50, r.c1.p90, r.c1.p99, r.c16.p50, r.c16.rps, r.ttfb, r.total
        ));
    }
    t
}

/// The `gateway` section of `docs/benchmarks.md`: versions, method and one table per run.
pub fn section(runs: &[String]) -> String {
    let workerd = report::first_line(&workerd::binary().to_string_lossy(), &["--version"]);
    let mut text = format!(
        "## Gateway\n\n{}\n\
Versions: {workerd}, {oha}, {rustc}, workers-rs 0.8.7 (gateway and floor).\n\n\
Method: one fixed-answer upstream on loopback (std-only, in xtask: a 700-byte\n\
`chat.completion`, or 500 SSE content events back to back), and every target one at a\n\
time in one bare `workerd serve` process (never `wrangler dev`): a 7-line JS pass-through\n\
Worker, the workers-rs pass-through in `crates/bench-floor` (the floor the targets in\n\
issue 10 are measured against) and the gateway with its real configuration (a gateway\n\
token required, the KV rate limiter on with a limit of 10^8 per minute, KV as a\n\
`kvNamespace` backed by an in-memory KV Worker). Load: oha with one worker thread,\n\
keep-alive, c=1: 2000 requests after 200 warm-up, c=16: 3000 after 300. Stream: c=1 on one\n\
keep-alive connection, 100 requests after 10; time to the first body byte and to the\n\
end of the body, medians. CPU: workerd's Δ(utime+stime) from `/proc/<pid>/stat` over the\n\
c=1 run (per request) and over the stream run (per 500-chunk stream); clock ticks are\n\
10 ms, so per-request figures are ±5 µs at 2000 requests. Latencies in ms.\n\n",
        report::measured_by("cargo xtask bench gateway"),
        oha = report::first_line("oha", &["--version"]),
        rustc = report::first_line("rustc", &["--version"]),
    );
    for (i, table) in runs.iter().enumerate() {
        text.push_str(&format!("### Run {}\n\n{table}\n", i + 1));
    }
    text.push_str(
        "Other processes on the machine are not stopped by the harness (these runs shared the\n\
2 cores with concurrent cargo builds): compare rows within one run, and runs for noise.\n\
A peer row that says `failed` or `not measured` names why.\n",
    );
    text
}
