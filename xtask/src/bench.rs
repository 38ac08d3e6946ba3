//! `cargo xtask bench [NAME...]`: runs named benchmarks. A benchmark is a program that
//! prints its own figures (ours beside a baseline, measured in the same run); this file
//! only knows where each one lives and how to start it. Add a row to [`BENCHES`] to add one.

use std::time::Instant;

use crate::setup;
use crate::util::{self, Result, Summary, cmd, root, say};

/// A benchmark xtask knows how to run.
struct Bench {
    /// Name on the command line.
    name: &'static str,
    /// One line for `bench --list`.
    about: &'static str,
    /// File whose presence means the benchmark exists (relative to the root).
    file: &'static str,
    /// The command line.
    argv: &'static [&'static str],
    /// Whether it drives HTTP load with oha (installed on first use).
    needs_oha: bool,
}

/// Every benchmark, in the order `bench` with no name runs them.
const BENCHES: &[Bench] = &[Bench {
    name: "core",
    about: "stream normalization throughput of switchboard-core vs serde_json alone",
    file: "crates/core/benches/stream_normalize.rs",
    argv: &[
        "cargo",
        "bench",
        "-p",
        "switchboard-core",
        "--bench",
        "stream_normalize",
    ],
    needs_oha: false,
}];

/// Runs the named benchmarks, or all that exist when none is named.
pub fn run(args: &[String]) -> Result {
    if args.iter().any(|a| a == "--list" || a == "-l") {
        for b in BENCHES {
            let state = if exists(b) { "" } else { "  (not written yet)" };
            say(&format!("{:<8} {}{state}", b.name, b.about));
        }
        return Ok(());
    }
    let selected: Vec<&Bench> = if args.is_empty() {
        BENCHES.iter().filter(|b| exists(b)).collect()
    } else {
        args.iter().map(|a| find(a)).collect::<Result<_>>()?
    };
    if selected.is_empty() {
        say("bench: no benchmark exists yet");
        return Ok(());
    }
    if selected.iter().any(|b| b.needs_oha) {
        say(&setup::ensure_oha()?.describe());
    }
    let start = Instant::now();
    let mut summary = Summary::default();
    for b in selected {
        let (program, rest) = b.argv.split_first().ok_or("bench: empty command")?;
        let mut c = cmd(program);
        c.args(rest);
        let took = util::run(&format!("bench {}", b.name), c)?;
        summary.push(b.name, took, "ok");
    }
    summary.print("benchmarks", start.elapsed());
    Ok(())
}

/// Whether the benchmark's file is in the tree.
fn exists(b: &Bench) -> bool {
    root().join(b.file).is_file()
}

/// The benchmark called `name`, if it is known and exists.
fn find(name: &str) -> Result<&'static Bench> {
    let b = BENCHES.iter().find(|b| b.name == name).ok_or_else(|| {
        let names: Vec<&str> = BENCHES.iter().map(|b| b.name).collect();
        format!(
            "bench: unknown benchmark `{name}` (known: {})",
            names.join(", ")
        )
    })?;
    if exists(b) {
        Ok(b)
    } else {
        Err(format!("bench {name}: {} does not exist yet", b.file))
    }
}
