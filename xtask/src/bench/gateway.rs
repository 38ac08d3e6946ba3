//! `cargo xtask bench gateway`: the gateway beside its floors, one target at a time,
//! all in one run against one fixed-answer upstream ([`super::upstream`]): direct, the
//! JS pass-through and workers-rs pass-through Workers and the gateway in bare workerd
//! ([`super::workerd`]). Per target: oha at c=1 and c=16 (p50/p90/p99, req/s), a
//! 500-chunk stream's first and last byte, a paced stream's added delay per chunk,
//! workerd's CPU time per request and per 1000-chunk stream, and workerd's RSS over a
//! first and a second 100 MB stream.

use std::time::Duration;

use super::load::{self, Latency, Target};
use super::{peers, report, upstream, workerd};
use crate::util::{self, Result, root, say};

/// The non-stream request every target gets.
const CHAT: &str = r#"{"model":"openai/bench","messages":[{"role":"user","content":"hello"}]}"#;
/// The streamed request: the upstream answers 500 content events.
const STREAM: &str = r#"{"model":"openai/bench","stream":true,"messages":[{"role":"user","content":"bench:chunks=500"}]}"#;
/// 1000 content events, for CPU per stream.
const STREAM_1000: &str = r#"{"model":"openai/bench","stream":true,"messages":[{"role":"user","content":"bench:chunks=1000"}]}"#;
/// 50 content events, one every [`PACE`].
const PACED: &str = r#"{"model":"openai/bench","stream":true,"messages":[{"role":"user","content":"bench:chunks=50 bench:pace=20"}]}"#;
/// Time between the paced stream's events (as in `PACED`).
const PACE: Duration = Duration::from_millis(20);
/// 25 000 events of 4 000 bytes of content: a 100 MB stream.
const BIG: &str = r#"{"model":"openai/bench","stream":true,"messages":[{"role":"user","content":"bench:chunks=25000 bench:size=4000"}]}"#;

/// Request counts (measured, warm-up) for one run.
struct Counts {
    c1: (usize, usize),
    c16: (usize, usize),
    stream: (usize, usize),
    /// 1000-chunk streams measured for CPU.
    cpu_streams: usize,
    /// Paced streams.
    paced: usize,
    /// Whether to run the two 100 MB streams.
    big: bool,
}

/// The full run's counts, from issue 10.
const FULL: Counts = Counts {
    c1: (2000, 200),
    c16: (3000, 300),
    stream: (100, 10),
    cpu_streams: 20,
    paced: 3,
    big: true,
};
/// The peers' counts in a full run: Portkey and LiteLLM serve 30-500 requests/s, so
/// the full counts took LiteLLM alone about 5 minutes a run (over the 15-minute budget
/// of `cargo xtask bench` with both runs); these still give p99 over 500 requests.
const PEERS: Counts = Counts {
    c1: (500, 50),
    c16: (1000, 100),
    stream: (30, 5),
    cpu_streams: 0,
    paced: 3,
    big: false,
};
/// `--quick`: enough to prove the harness works.
const QUICK: Counts = Counts {
    c1: (200, 20),
    c16: (300, 30),
    stream: (20, 5),
    cpu_streams: 3,
    paced: 1,
    big: false,
};

/// Time cap of any one load (LiteLLM's 100 streams take over 90 s on a busy machine).
const CAP: Duration = Duration::from_secs(180);

/// One target's figures in one run.
pub struct Figures {
    c1: Latency,
    c16: Latency,
    ttfb: f64,
    total: f64,
    /// Added delay per chunk of the paced stream, p50 and p99, ms.
    paced: (f64, f64),
    /// workerd CPU per non-stream request and per 1000-chunk stream, µs (None: not in
    /// workerd).
    cpu: Option<(f64, f64)>,
    /// workerd RSS before, after a first and after a second 100 MB stream, MB (None:
    /// not in workerd, not run, or a stream failed, which the run's output says). The
    /// first stream grows wasm linear memory and workerd's pools, which never shrink;
    /// a leak shows as growth over the second.
    rss: Option<(f64, f64, f64)>,
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
    /// A peer (measured with [`PEERS`]).
    peer: bool,
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
        peer: false,
    };
    let mut specs = vec![
        spec("direct to the upstream", up, None),
        spec("JS pass-through Worker", w.js, Some(w.pid())),
        spec(
            "JS Worker, body through a TransformStream",
            w.js_transform,
            Some(w.pid()),
        ),
        spec(FLOOR, w.rs, Some(w.pid())),
        spec(GATEWAY, w.gateway, Some(w.pid())),
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
                        peer: true,
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
            let figures = measure(s, if s.peer { &PEERS } else { counts });
            if s.pid.is_some() || s.port == up {
                rows.push((s.name, Ok(figures?)));
            } else {
                rows.push((s.name, figures.map_err(|e| format!("failed: {e}"))));
            }
        }
        rows.extend(missing.iter().map(|(n, e)| (*n, Err(e.clone()))));
        let table = format!("{}\n{}", table(&rows), targets(&rows));
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
    util::run_logged(
        &format!("worker-build {dir}"),
        crate::gateway::worker_build(dir),
    )?;
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
    let (ttfb, total) = load::stream(&stream, 0, n.stream.0, CAP)?;
    let thousand = Target {
        body: STREAM_1000,
        ..chat
    };
    // Only where there is a process to read the CPU of.
    let per_stream = match s.pid {
        Some(pid) if n.cpu_streams > 0 => {
            let before = load::cpu_ms(pid)?;
            load::stream(&thousand, 0, n.cpu_streams, CAP)?;
            Some((load::cpu_ms(pid)? - before) * 1000.0 / n.cpu_streams as f64)
        }
        _ => None,
    };
    let paced = Target {
        body: PACED,
        ..chat
    };
    let paced = load::paced(&paced, n.paced, PACE, CAP)?;
    let rss = match s.pid {
        Some(pid) if n.big => {
            let before = load::rss_mb(pid)?;
            let big = Target { body: BIG, ..chat };
            let mut after = Vec::new();
            for which in ["first", "second"] {
                match load::drain(&big, CAP) {
                    Ok(bytes) if bytes >= 100_000_000 => after.push(load::rss_mb(pid)?),
                    Ok(bytes) => {
                        say(&format!(
                            "{}: the {which} 100 MB stream gave {bytes} bytes",
                            s.name
                        ));
                        break;
                    }
                    Err(e) => {
                        say(&format!(
                            "{}: the {which} 100 MB stream failed: {e}",
                            s.name
                        ));
                        break;
                    }
                }
            }
            match after[..] {
                [first, second] => Some((before, first, second)),
                _ => None,
            }
        }
        _ => None,
    };
    Ok(Figures {
        c1,
        c16,
        ttfb,
        total,
        paced,
        cpu: per_request.zip(per_stream),
        rss,
    })
}

/// The markdown tables of one run (latency and throughput; streams, CPU and memory),
/// with differences against the workers-rs floor.
pub fn table(rows: &[Row]) -> String {
    let floor = rows
        .iter()
        .find(|r| r.0 == FLOOR)
        .and_then(|r| r.1.as_ref().ok());
    let mut t = String::from(
        "| target | c=1 p50 | c=1 p90 | c=1 p99 | c=16 p50 | c=16 req/s | Δ p50 vs floor | Δ p99 vs floor | c=16 × floor | CPU/request | Δ CPU vs floor |\n\
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut streams = String::from(
        "| target | TTFB p50 | Δ TTFB vs floor | 500-chunk total p50 | Δ total vs floor | paced: added delay/chunk p50 | p99 | CPU per 1000-chunk stream | Δ CPU vs floor | RSS Δ over a first 100 MB stream | RSS Δ over a second 100 MB stream |\n\
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let us = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0} µs"));
    let delta = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:+.0} µs", a - b),
        _ => "n/a".to_owned(),
    };
    for (name, r) in rows {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                t.push_str(&format!("| {name} | {e} ||||||||||\n"));
                streams.push_str(&format!("| {name} | {e} ||||||||||\n"));
                continue;
            }
        };
        let f = |get: fn(&Figures) -> f64| {
            floor.map_or(String::new(), |f| format!("{:+.3}", get(r) - get(f)))
        };
        let ratio = floor.map_or(String::new(), |f| format!("{:.2}", r.c16.rps / f.c16.rps));
        let cpu = |i: fn((f64, f64)) -> f64| r.cpu.map(i);
        let floor_cpu = |i: fn((f64, f64)) -> f64| floor.and_then(|f| f.cpu).map(i);
        t.push_str(&format!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.0} | {} | {} | {ratio} | {} | {} |\n",
            r.c1.p50,
            r.c1.p90,
            r.c1.p99,
            r.c16.p50,
            r.c16.rps,
            f(|x| x.c1.p50),
            f(|x| x.c1.p99),
            us(cpu(|c| c.0)),
            delta(cpu(|c| c.0), floor_cpu(|c| c.0)),
        ));
        let (first, second) = r
            .rss
            .map_or(("n/a".to_owned(), "n/a".to_owned()), |(a, b, c)| {
                (
                    format!("{:+.1} MB ({a:.1} → {b:.1})", b - a),
                    format!("{:+.1} MB (→ {c:.1})", c - b),
                )
            });
        streams.push_str(&format!(
            "| {name} | {:.3} | {} | {:.3} | {} | {:.3} | {:.3} | {} | {} | {first} | {second} |\n",
            r.ttfb,
            f(|x| x.ttfb),
            r.total,
            f(|x| x.total),
            r.paced.0,
            r.paced.1,
            us(cpu(|c| c.1)),
            delta(cpu(|c| c.1), floor_cpu(|c| c.1)),
        ));
    }
    format!("{t}\n{streams}")
}

/// Issue 10's targets for the gateway, each met or missed in this run.
fn targets(rows: &[Row]) -> String {
    let get = |name: &str| {
        rows.iter()
            .find(|r| r.0 == name)
            .and_then(|r| r.1.as_ref().ok())
    };
    let (Some(g), Some(f)) = (get(GATEWAY), get(FLOOR)) else {
        return "Targets: not judged (the gateway or the floor has no figures).\n".to_owned();
    };
    let cpu = |x: &Figures, i: usize| x.cpu.map(|c| if i == 0 { c.0 } else { c.1 });
    let mut checks: Vec<(&str, String, Option<bool>)> = vec![
        (
            "c=1 p50 − floor ≤ 0.15 ms",
            format!("{:+.3} ms", g.c1.p50 - f.c1.p50),
            Some(g.c1.p50 - f.c1.p50 <= 0.15),
        ),
        (
            "c=1 p99 − floor ≤ 0.5 ms",
            format!("{:+.3} ms", g.c1.p99 - f.c1.p99),
            Some(g.c1.p99 - f.c1.p99 <= 0.5),
        ),
        (
            "c=16 req/s ≥ 0.8 × floor",
            format!("{:.2} ×", g.c16.rps / f.c16.rps),
            Some(g.c16.rps / f.c16.rps >= 0.8),
        ),
        (
            "stream TTFB − floor ≤ 0.3 ms",
            format!("{:+.3} ms", g.ttfb - f.ttfb),
            Some(g.ttfb - f.ttfb <= 0.3),
        ),
        (
            "500-chunk total − floor ≤ 5 ms",
            format!("{:+.3} ms", g.total - f.total),
            Some(g.total - f.total <= 5.0),
        ),
        (
            "paced stream added delay/chunk p99 ≤ 1 ms",
            format!("{:.3} ms", g.paced.1),
            Some(g.paced.1 <= 1.0),
        ),
    ];
    if let Some(p) = get("Portkey gateway (Node server)") {
        let x = g.c16.rps / p.c16.rps;
        checks.push((
            "c=16 req/s ≥ 1.5 × Portkey",
            format!("{x:.2} ×"),
            Some(x >= 1.5),
        ));
    }
    // Judged on the second stream: the first one grows what never shrinks (see `rss`).
    let rss = g.rss.map(|(_, b, c)| c - b);
    checks.push((
        "RSS flat within 1 MB over a second 100 MB stream",
        rss.map_or("n/a".to_owned(), |d| format!("{d:+.1} MB")),
        rss.map(|d| d.abs() <= 1.0),
    ));
    for (what, i, limit) in [
        ("CPU/request − floor ≤ 0.1 ms", 0, 100.0),
        ("CPU/1000-chunk stream − floor ≤ 3 ms", 1, 3000.0),
    ] {
        let d = cpu(g, i).zip(cpu(f, i)).map(|(a, b)| a - b);
        checks.push((
            what,
            d.map_or("n/a".to_owned(), |d| format!("{d:+.0} µs")),
            d.map(|d| d <= limit),
        ));
    }
    let mut t = String::from("| target (issue 10) | this run | |\n|---|---:|---|\n");
    for (what, value, met) in checks {
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "not measured",
        };
        t.push_str(&format!("| {what} | {value} | {verdict} |\n"));
    }
    t
}

/// Name of the gateway's row.
const GATEWAY: &str = "Switchboard gateway";

/// The `gateway` section of `docs/benchmarks.md`: versions, method and one table per run.
pub fn section(runs: &[String]) -> String {
    let workerd = report::first_line(&workerd::binary().to_string_lossy(), &["--version"]);
    let mut text = format!(
        "## Gateway\n\n{}\n\
Versions: {workerd}, {oha}, {rustc}, workers-rs 0.8.7 (gateway and floor).\n\n\
Method: one fixed-answer upstream on loopback (std-only, in xtask: a 700-byte\n\
`chat.completion`, or SSE content events as the prompt asks), and every target one at a\n\
time in one bare `workerd serve` process (never `wrangler dev`): a 7-line JS pass-through\n\
Worker, the same with its body piped through an identity `TransformStream` (what any\n\
Worker that touches each chunk pays at least), the workers-rs pass-through in\n\
`crates/bench-floor` (the floor the targets in issue 10 are measured against) and the\n\
gateway with its real configuration (a gateway token required, the KV rate limiter on\n\
with a limit of 10^8 per minute, KV as a `kvNamespace` backed by an in-memory KV\n\
Worker). Load: oha with one worker thread, keep-alive, c=1: 2000 requests after 200\n\
warm-up, c=16: 3000 after 300 (the peers, 30-500 req/s: 500 after 50 and 1000 after\n\
100). Streams, c=1 on one keep-alive connection: 500 content\n\
events back to back, 100 requests after 10 (peers 30 after 5; time to the first body\n\
byte and to the end,\n\
medians); 50 events paced 20 ms apart, 3 requests (for each event, its arrival minus\n\
its due time relative to the first event's arrival: p50 and p99); 20 streams of 1000\n\
events for CPU (the Workers only); two streams of 25 000 events of 4 kB (100 MB each; the gateway's stream\n\
cap raised to 200 MiB for them) with workerd's VmRSS read before, between and after: the\n\
first grows wasm linear memory and workerd's pools, which never shrink, so a leak shows\n\
as growth over the second (the target is judged on it). CPU: workerd's\n\
Δ(utime+stime) from `/proc/<pid>/stat` over the c=1 run (per request) and the\n\
1000-event streams (per stream); clock ticks are 10 ms, so per-request figures are\n\
±5 µs at 2000 requests. Latencies in ms.\n\n",
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
A peer row that says `failed` or `not measured` names why. Portkey runs with a preload\n\
that copies each upstream answer's headers (`PORTKEY_PRELOAD` in xtask/src/bench/peers.rs:\n\
without it its Node server answers every stream 500, `TypeError: immutable`).\n",
    );
    text.push_str(COSTS);
    text
}

/// What the missed targets cost, from profiling (`perf` on workerd, and experiments
/// with one part changed at a time); true of the design, whatever a run's figures.
const COSTS: &str = "\n### What costs it\n\n\
- **Streams.** The floors never touch a chunk: workerd pipes the upstream body to the\n\
  caller natively. Any Worker that reads each chunk pays, per piece of upstream body,\n\
  a JS promise resolution and a re-entry into the request's I/O context (lock,\n\
  microtask checkpoint, V8 housekeeping): `perf` put over 70% of the gateway's stream\n\
  CPU in workerd's own C++ around those entries, not in the wasm. The fixed upstream's\n\
  500 events arrive as about 1000 reads. The row of the JS Worker that pipes its body\n\
  through an identity `TransformStream` (no work at all per chunk) shows that price;\n\
  the 10 µs/chunk stream targets are below it, so no Worker that decodes each event\n\
  can meet them in workerd. Removed from the gateway: a `setTimeout` + closure +\n\
  `clearTimeout` per piece (now one timer per body, re-armed only when it fires), a\n\
  `Vec` of events per piece (`feed_with`), the pulled JS `ReadableStream`\n\
  (`Response::from_stream`: a promise per pull) in favour of a workerd\n\
  `IdentityTransformStream` written by one task, and the wait for each write's\n\
  acknowledgement before the next upstream read (the read now starts as soon as a batch\n\
  is handed over; one write in flight at most).\n\
- **Paced stream.** Nothing holds a chunk back: `strace` on workerd shows each upstream\n\
  event written to the caller 0.3–1 ms after it is read, one write per event, no timer\n\
  or batching in between, and `crates/gateway/tests/lockstep.rs` proves each chunk\n\
  reaches the caller before the upstream sends the next event. The p99 (150 events a\n\
  run, so the second worst) was 53–122 ms before the changes above; after them it was\n\
  1.6–28 ms in four runs on a machine busy with builds and 0.6 / 1.3 ms in the two runs\n\
  on a quiet one (2026-12-02 03:02): late events come while workerd's one thread is\n\
  busy (the gateway spends ~0.2 ms of CPU per event, the floors almost none) or\n\
  descheduled on the shared 2 cores; these outliers did not show up outside\n\
  the harness, where 50 paced events gave the gateway ~1 ms p50 from upstream write to\n\
  caller read and the workers-rs floor ~0.4 ms.\n\
- **RSS.** The first 100 MB stream grows wasm linear memory (the gateway's decode\n\
  buffers) and workerd's pools, neither of which is ever returned; the second shows\n\
  whether anything grows per stream.\n\
- **Non-stream requests.** Per request the gateway arms a first-byte timer and a body\n\
  timer, takes the rate limit (KV read and write at most once per second per IP),\n\
  checks the headers, parses the body and the upstream answer with serde and re-encodes\n\
  them through the core, and logs one JSON line; the floor does none of this. Its\n\
  configuration (~30 variables, a JS crossing each) is read once per isolate, not per\n\
  request. Removed: workers-rs' `ByteStream` released its reader on drop\n\
  (`releaseLock()`), and workerd answers every release by building a `TypeError` with a\n\
  stack trace through the wasm frames: `perf` put it at ~8% of workerd's CPU on these\n\
  requests (two readers each, the caller's body and the provider's). Bodies are now read\n\
  from the reader directly (`crates/gateway/src/body.rs`), which is dropped, not\n\
  released, once the body ended.\n\
- **Portkey's paced row.** Portkey holds its first event 25 ms (a `setTimeout` in its\n\
  stream code), so its later events look early against it (negative delays).\n";
