//! `cargo xtask fuzz [--time S] [--runs N] [--jobs J] [--smoke] [TARGET...]`: the
//! cargo-fuzz targets in `fuzz/` (nightly, libFuzzer), seeded from
//! `crates/core/tests/fixtures` and the committed regression inputs, then run `--jobs`
//! at a time (default: all at once), each as one libFuzzer worker per core sharing the
//! target's corpus: the kernel shares the cores, a fast target that reaches its count
//! early leaves them all to the slow ones, and the campaign's wall time is bounded by
//! `--time`.
//!
//! Each target runs until `--runs` executions (default 10^7) or `--time` seconds
//! (default 3000, so a default campaign ends within the hour), whichever comes first,
//! and the run writes its section of `docs/reliability.md` (between `<!-- fuzz -->` and
//! `<!-- /fuzz -->`). Targets build
//! without a sanitizer (`-s none`: the core forbids `unsafe`, so there is nothing for
//! ASan to find) and with debug assertions (`-a`), so an integer overflow is a crash.
//!
//! `--smoke` (the step in `cargo xtask test`) writes the seeds and replays them and the
//! regression inputs through every target's body in a stable test
//! (`fuzz/tests/regressions.rs`, no libFuzzer, no nightly): a cold nightly build of the
//! instrumented targets takes minutes on this kind of machine, the replay seconds.

use std::fs;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::setup;
use crate::util::{self, Result, cmd, root, say};

/// The targets, with what each covers (for the report), slowest first (their exec/s
/// on this kind of machine), so a parallel run ends as early as it can.
pub const TARGETS: [(&str, &str); 5] = [
    (
        "accumulate",
        "accumulator over any chunk sequence, SSE re-encode",
    ),
    ("stream", "stream decoder × provider × kind, any split"),
    (
        "decode",
        "decode_chat, decode_models, decode_error, Retry-After",
    ),
    ("sse", "SSE parser, any split"),
    (
        "request",
        "request JSON → route → encode (chat, images, speech, ids)",
    ),
];

/// Provider directories under the fixtures, in `ProviderId::ALL` order (the
/// selector byte of the stream and decode targets indexes this list).
const PROVIDERS: [&str; 6] = [
    "secry",
    "secton",
    "airforce",
    "siraya",
    "gemini-proxy",
    "openai",
];

/// Executions per target in a full run.
const CAMPAIGN_RUNS: u64 = 10_000_000;

/// What one target's run reached.
struct Outcome {
    target: &'static str,
    execs: u64,
    per_sec: u64,
    secs: u64,
    crashes: u32,
    timeouts: u32,
    ooms: u32,
}

/// Runs the fuzz command.
pub fn run(args: &[String]) -> Result {
    let mut time = 3000u64;
    let mut runs = CAMPAIGN_RUNS;
    let mut jobs = TARGETS.len();
    let mut smoke = false;
    let mut only = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |flag: &str| {
            it.next()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| format!("fuzz: {flag} needs a number"))
        };
        match a.as_str() {
            "--time" => time = number("--time")?,
            "--runs" => runs = number("--runs")?,
            "--jobs" => jobs = usize::try_from(number("--jobs")?.max(1)).unwrap_or(1),
            "--smoke" => smoke = true,
            t if TARGETS.iter().any(|(name, _)| *name == t) => only.push(t.to_owned()),
            other => return Err(format!("fuzz: unknown argument `{other}`")),
        }
    }
    if smoke {
        seed_corpora()?;
        let mut replay = cmd("cargo");
        replay.args([
            "test",
            "--manifest-path",
            "fuzz/Cargo.toml",
            "--no-default-features",
        ]);
        return util::run("fuzz targets over seeds and regressions (stable)", replay).map(drop);
    }
    for done in setup::ensure_fuzz_tools()? {
        say(&done.describe());
    }
    seed_corpora()?;
    util::run("fuzz build", fuzz_command(&["build"]))?;
    let chosen: Vec<&'static str> = TARGETS
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| only.is_empty() || only.iter().any(|o| o == t))
        .collect();
    let jobs = jobs.min(chosen.len()).max(1);
    let start = Instant::now();
    let mut outcomes = run_parallel(&chosen, jobs, runs, time)?;
    let wall = start.elapsed().as_secs();
    outcomes.sort_by_key(|o| TARGETS.iter().position(|(t, _)| *t == o.target));
    print_table(&outcomes);
    say(&format!(
        "fuzz: {} target(s), {jobs} at a time, in {wall} s",
        outcomes.len()
    ));
    let failed: u32 = outcomes
        .iter()
        .map(|o| o.crashes + o.timeouts + o.ooms)
        .sum();
    let command = std::iter::once("cargo xtask fuzz".to_owned())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    write_report(&command, &outcomes, jobs, wall)?;
    if failed > 0 {
        return Err(format!(
            "fuzz: {failed} failing input(s); see fuzz/artifacts/ and target/xtask/logs/"
        ));
    }
    Ok(())
}

/// Runs `targets` with up to `jobs` at once, each taking the next one left in order.
fn run_parallel(
    targets: &[&'static str],
    jobs: usize,
    runs: u64,
    time: u64,
) -> Result<Vec<Outcome>> {
    // Every target runs one worker per core: once the fast targets are done, the slow
    // ones still use every core.
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                while let Some(target) = targets.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = run_target(target, runs, time, workers);
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(outcome);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .collect()
}

/// `cargo +nightly fuzz <sub> -s none -a ...`, run in `fuzz/`.
fn fuzz_command(sub: &[&str]) -> Command {
    let mut c = cmd("cargo");
    c.arg("+nightly")
        .arg("fuzz")
        .args(sub)
        .args(["-s", "none", "-a"])
        .current_dir(root().join("fuzz"));
    c
}

/// Fills `fuzz/corpus/<target>/` with the fixtures (each behind a header choosing the
/// provider and response kind they belong to) and the regression inputs.
fn seed_corpora() -> Result {
    let root = root();
    let fixtures = root.join("crates/core/tests/fixtures");
    let mut count = 0usize;
    for (p, provider) in PROVIDERS.iter().enumerate() {
        let dir = fixtures.join(provider);
        let Ok(cases) = fs::read_dir(&dir) else {
            continue;
        };
        let p = p as u8;
        for case in cases.flatten() {
            let case_name = case.file_name().to_string_lossy().into_owned();
            for file in [
                "request.json",
                "response.json",
                "response.txt",
                "stream.sse",
            ] {
                let Ok(body) = fs::read(case.path().join(file)) else {
                    continue;
                };
                let name = format!("{provider}-{case_name}-{file}");
                let seeds: Vec<(&str, u8, &[u8])> = match file {
                    "request.json" => vec![("request", 0, b"")],
                    "stream.sse" => vec![
                        ("sse", 255, b""),
                        ("stream", p, b""),
                        ("stream", p + 36, b""),
                        ("accumulate", 0x10, b""),
                    ],
                    _ => vec![
                        ("stream", p + 12, b""),
                        ("stream", p + 6, b""),
                        ("decode", p, b"\n"),
                        ("decode", p + 6 * 8, b"Wed, 21 Oct 2015 07:28:00 GMT\n"),
                        ("decode", p + 6 * 7, b"120\n"),
                    ],
                };
                for (target, selector, prefix) in seeds {
                    let mut data = vec![selector, 1, 0, 0, 0];
                    data.extend_from_slice(prefix);
                    data.extend_from_slice(&body);
                    let out = root.join("fuzz/corpus").join(target);
                    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
                    let path = out.join(format!("seed-{name}-{selector}"));
                    fs::write(&path, data).map_err(|e| format!("{}: {e}", path.display()))?;
                    count += 1;
                }
            }
        }
    }
    for (target, _) in TARGETS {
        let regressions = root.join("fuzz/regressions").join(target);
        let out = root.join("fuzz/corpus").join(target);
        fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        for entry in fs::read_dir(&regressions).into_iter().flatten().flatten() {
            let to = out.join(entry.file_name());
            fs::copy(entry.path(), &to).map_err(|e| format!("{}: {e}", to.display()))?;
            count += 1;
        }
    }
    say(&format!("fuzz: {count} seed inputs in fuzz/corpus/"));
    Ok(())
}

/// libFuzzer's limits for every run and merge: input length, time and memory per input.
const LIMITS: [&str; 3] = ["-max_len=16384", "-timeout=10", "-rss_limit_mb=2048"];

/// Shrinks `corpus/<target>` to the inputs that add coverage (libFuzzer `-merge=1`),
/// so a campaign starts from what earlier ones kept, not from all they ever tried; on
/// any failure the corpus stays as it was (a crashing input is then found by the run).
fn minimize_corpus(target: &str, binary: &std::path::Path, fuzz_dir: &std::path::Path) {
    let corpus = fuzz_dir.join("corpus");
    let min = corpus.join(format!("{target}.min"));
    let _ = fs::remove_dir_all(&min);
    if fs::create_dir_all(&min).is_err() {
        return;
    }
    let merged = Command::new(binary)
        .current_dir(fuzz_dir)
        .args(LIMITS)
        .arg("-merge=1")
        .arg(&min)
        .arg(corpus.join(target))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let kept = fs::read_dir(&min).map_or(0, Iterator::count);
    if merged && kept > 0 && fs::remove_dir_all(corpus.join(target)).is_ok() {
        let _ = fs::rename(&min, corpus.join(target));
        say(&format!("fuzz {target}: corpus minimized to {kept} inputs"));
    } else {
        let _ = fs::remove_dir_all(&min);
    }
}

/// Runs one target as `workers` libFuzzer processes sharing its corpus (each re-reads
/// what the others found), each logging to `target/xtask/logs/fuzz-<target>-<n>.log`
/// and stopping at its share of `runs` or after `time` seconds; sums their final stats
/// and reads each one's failure kind from its log.
fn run_target(target: &'static str, runs: u64, time: u64, workers: usize) -> Result<Outcome> {
    let log_dir = root().join("target/xtask/logs");
    fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    // The binary `fuzz build` made, run directly: `cargo fuzz run` would rebuild first
    // whenever a source changed meanwhile, eating the time budget.
    let fuzz_dir = root().join("fuzz");
    let artifacts = fuzz_dir.join("artifacts").join(target);
    fs::create_dir_all(&artifacts).map_err(|e| format!("{}: {e}", artifacts.display()))?;
    let binary = target_binary(target)?;
    minimize_corpus(target, &binary, &fuzz_dir);
    let workers = workers.max(1);
    let share = runs.div_ceil(workers as u64);
    let start = Instant::now();
    let mut children = Vec::new();
    for n in 0..workers {
        let log = log_dir.join(format!("fuzz-{target}-{n}.log"));
        let file = fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let file2 = file.try_clone().map_err(|e| e.to_string())?;
        let mut c = Command::new(&binary);
        c.current_dir(&fuzz_dir)
            .args(LIMITS)
            .args([
                format!("-artifact_prefix=artifacts/{target}/"),
                format!("-runs={share}"),
                format!("-max_total_time={time}"),
                // Picks up the other workers' finds; alone, nothing to re-read.
                format!("-reload={}", u8::from(workers > 1)),
                "-print_final_stats=1".to_owned(),
                format!("corpus/{target}"),
            ])
            .stdout(file)
            .stderr(file2);
        say(&format!("==> fuzz {target} [{n}]: {}", util::display(&c)));
        let child = c
            .spawn()
            .map_err(|e| format!("fuzz {target}: cannot start it: {e}"))?;
        children.push((child, log));
    }
    let mut outcome = Outcome {
        target,
        execs: 0,
        per_sec: 0,
        secs: 0,
        crashes: 0,
        timeouts: 0,
        ooms: 0,
    };
    for (mut child, log) in children {
        let status = child
            .wait()
            .map_err(|e| format!("fuzz {target}: lost a worker: {e}"))?;
        let text = fs::read_to_string(&log).unwrap_or_default();
        let stat = |key: &str| {
            text.lines()
                .filter_map(|l| l.strip_prefix(key))
                .filter_map(|v| v.trim().parse::<u64>().ok())
                .next_back()
        };
        outcome.execs += stat("stat::number_of_executed_units:").unwrap_or(0);
        if status.success() {
            continue;
        }
        if text.contains("ERROR: libFuzzer: timeout") {
            outcome.timeouts += 1;
        } else if text.contains("ERROR: libFuzzer: out-of-memory") {
            outcome.ooms += 1;
        } else {
            outcome.crashes += 1;
        }
        let tail: Vec<&str> = text.lines().rev().take(25).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        say(&format!(
            "fuzz {target} FAILED ({status}); log {}:\n{}",
            util::rel(&log),
            tail.join("\n")
        ));
    }
    outcome.secs = start.elapsed().as_secs().max(1);
    outcome.per_sec = outcome.execs / outcome.secs;
    say(&format!(
        "<== fuzz {target}: {} executions, {}/s",
        outcome.execs, outcome.per_sec
    ));
    Ok(outcome)
}

/// The instrumented binary of `target` under `fuzz/target/<host triple>/release/`.
fn target_binary(target: &str) -> Result<std::path::PathBuf> {
    let dir = root().join("fuzz/target");
    fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("release").join(target))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("fuzz: no built `{target}` under {}", util::rel(&dir)))
}

fn print_table(outcomes: &[Outcome]) {
    say("\ntarget        executions     exec/s   crashes timeouts ooms");
    for o in outcomes {
        say(&format!(
            "{:<12} {:>11} {:>10} {:>9} {:>8} {:>4}",
            o.target, o.execs, o.per_sec, o.crashes, o.timeouts, o.ooms
        ));
    }
}

/// Replaces the fuzz section of `docs/reliability.md`.
fn write_report(command: &str, outcomes: &[Outcome], jobs: usize, wall: u64) -> Result {
    crate::faults::write_section("fuzz", &report_section(command, outcomes, jobs, wall))
}

fn report_section(command: &str, outcomes: &[Outcome], jobs: usize, wall: u64) -> String {
    let date = util::capture({
        let mut c = cmd("date");
        c.args(["-u", "+%Y-%m-%d %H:%M UTC"]);
        c
    })
    .unwrap_or_default();
    let mut s = format!(
        "## Fuzzing\n\n\
         `{command}` ({date}, nightly Rust, cargo-fuzz {}, libFuzzer; built with `-s none -a`:\n\
         no sanitizer, since the core forbids `unsafe`, and debug assertions on; {jobs}\n\
         target(s) at a time, each as {cores} worker(s) sharing its corpus, on {cores} core(s);\n\
         {wall} s from the first start to the last end, build excluded; exec/s is a target's\n\
         executions over its own wall time). Every target\n\
         checks its invariants itself (no panic; the same events whatever the split; encode →\n\
         decode round trips; requests stay on the configured upstream at a clean path). Seeds:\n\
         `crates/core/tests/fixtures` and `fuzz/regressions`.\n\n\
         | target | covers | executions | exec/s | time | crashes | timeouts | OOMs |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
        setup::CARGO_FUZZ_VERSION,
        cores = std::thread::available_parallelism().map_or(1, usize::from),
    );
    for o in outcomes {
        let covers = TARGETS
            .iter()
            .find(|(t, _)| *t == o.target)
            .map_or("", |(_, c)| c);
        s += &format!(
            "| `{}` | {covers} | {} | {} | {}s | {} | {} | {} |\n",
            o.target, o.execs, o.per_sec, o.secs, o.crashes, o.timeouts, o.ooms
        );
    }
    let total: u64 = outcomes.iter().map(|o| o.execs).sum();
    let failures: u32 = outcomes
        .iter()
        .map(|o| o.crashes + o.timeouts + o.ooms)
        .sum();
    let below = outcomes.iter().filter(|o| o.execs < CAMPAIGN_RUNS).count();
    s += &format!(
        "\nTotal: {total} executions over {} targets; {failures} crashes, timeouts or OOMs; \
         {below} target(s) below 10^7 executions.\n",
        outcomes.len()
    );
    s
}

/// The fuzz step of `cargo xtask test`: `cargo xtask fuzz --smoke`.
pub fn test_steps() -> Vec<crate::test::Step> {
    if !root().join("fuzz/Cargo.toml").is_file() {
        return Vec::new();
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| "cargo-xtask".into());
    let mut smoke = Command::new(exe);
    smoke
        .args(["fuzz", "--smoke"])
        .current_dir(root())
        .env("PATH", util::tool_path());
    vec![crate::test::Step {
        name: "fuzz smoke (every target over its seeds and regressions)".to_owned(),
        command: smoke,
    }]
}
