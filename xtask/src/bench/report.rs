//! `docs/benchmarks.md`: the tables of a full `cargo xtask bench gateway` run with the
//! machine, versions, command and date they were measured with.

use std::fs;

use crate::util::{Result, capture, cmd, root, say};

/// The first line of a command's output, or `unknown`.
fn first_line(program: &str, args: &[&str]) -> String {
    let mut c = cmd(program);
    c.args(args);
    capture(c)
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// CPU model, core count and memory, from /proc.
fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_owned(), |m| m.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    format!("{model}, {cores} cores, {mem_gib:.0} GiB")
}

/// Writes `docs/benchmarks.md` from the per-run gateway tables and the sizes table.
pub fn write(command: &str, runs: &[String], sizes: &str) -> Result {
    let workerd = super::workerd::binary();
    let workerd = first_line(&workerd.to_string_lossy(), &["--version"]);
    let mut text = format!(
        "# Benchmarks\n\n\
Written by `{command}` (xtask/src/bench/); do not edit by hand. Measured {date} on {machine}.\n\
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
        date = first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        machine = machine(),
        oha = first_line("oha", &["--version"]),
        rustc = first_line("rustc", &["--version"]),
    );
    for (i, table) in runs.iter().enumerate() {
        text.push_str(&format!("## Gateway, run {}\n\n{table}\n", i + 1));
    }
    text.push_str(&format!(
        "## Sizes (gzip -9)\n\n{sizes}\n\
Other processes on the machine are not stopped by the harness (these runs shared the\n\
2 cores with concurrent cargo builds): compare rows within one run, and runs for noise.\n\
A peer row that says `failed` or `not measured` names why (Portkey 1.15.2's Node server\n\
answers a stream with 500, `TypeError: immutable` in its log, and a failed stream drops\n\
its whole row). Not measured yet (issue 10): the paced stream, RSS over a 100 MB stream,\n\
1000-chunk stream CPU, core and browser figures in this file, peers' CPU.\n"
    ));
    let path = root().join("docs/benchmarks.md");
    fs::write(&path, text).map_err(|e| format!("bench: {}: {e}", path.display()))?;
    say("bench: wrote docs/benchmarks.md");
    Ok(())
}
