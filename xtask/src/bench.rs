//! `cargo xtask bench [NAME...] [--quick]`: runs named benchmarks (all that exist when
//! none is named). A benchmark is either a program that prints its own figures (ours
//! beside a baseline, measured in the same run), or one run here: `gateway` (the
//! gateway beside its floors in bare workerd, [`gateway`]) and `sizes` ([`sizes`]).
//! A full `gateway` run writes `docs/benchmarks.md` ([`report`]).
//!
//! `--quick` runs `gateway` and `sizes` with small counts and one repetition, writes
//! nothing under docs/, and fails unless every figure came out.

mod gateway;
mod load;
mod peers;
mod report;
mod sizes;
mod upstream;
mod workerd;

use std::time::Instant;

use crate::setup;
use crate::util::{self, Result, Summary, cmd, root, say};

/// How a benchmark runs.
enum Runner {
    /// An external command line.
    Command(&'static [&'static str]),
    /// Run here.
    Gateway,
    /// Run here.
    Sizes,
}

/// A benchmark xtask knows how to run.
struct Bench {
    /// Name on the command line.
    name: &'static str,
    /// One line for `bench --list`.
    about: &'static str,
    /// File whose presence means the benchmark exists (relative to the root).
    file: &'static str,
    /// How it runs.
    runner: Runner,
    /// Whether it drives HTTP load with oha (installed on first use).
    needs_oha: bool,
}

/// Every benchmark, in the order `bench` with no name runs them.
const BENCHES: &[Bench] = &[
    Bench {
        name: "core",
        about: "stream normalization throughput of switchboard-core vs serde_json alone",
        file: "crates/core/benches/stream_normalize.rs",
        runner: Runner::Command(&[
            "cargo",
            "bench",
            "-p",
            "switchboard-core",
            "--bench",
            "stream_normalize",
        ]),
        needs_oha: false,
    },
    Bench {
        name: "gateway",
        about: "gateway vs JS and workers-rs pass-through floors in bare workerd: latency, req/s, stream, CPU",
        file: "crates/bench-floor/src/lib.rs",
        runner: Runner::Gateway,
        needs_oha: true,
    },
    Bench {
        name: "sizes",
        about: "gzipped client package, Worker bundle and the openai npm package",
        file: "crates/gateway/Cargo.toml",
        runner: Runner::Sizes,
        needs_oha: false,
    },
];

/// Runs the named benchmarks, or all that exist when none is named.
pub fn run(args: &[String]) -> Result {
    if args.iter().any(|a| a == "--list" || a == "-l") {
        for b in BENCHES {
            let state = if exists(b) { "" } else { "  (not written yet)" };
            say(&format!("{:<8} {}{state}", b.name, b.about));
        }
        return Ok(());
    }
    let quick = args.iter().any(|a| a == "--quick");
    let names: Vec<&String> = args.iter().filter(|a| *a != "--quick").collect();
    let selected: Vec<&Bench> = if !names.is_empty() {
        names.iter().map(|a| find(a)).collect::<Result<_>>()?
    } else if quick {
        BENCHES
            .iter()
            .filter(|b| exists(b) && !matches!(b.runner, Runner::Command(_)))
            .collect()
    } else {
        BENCHES.iter().filter(|b| exists(b)).collect()
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
    let mut gateway_runs = Vec::new();
    let mut sizes_table = None;
    for b in selected {
        let took = Instant::now();
        match b.runner {
            Runner::Command(argv) => {
                let (program, rest) = argv.split_first().ok_or("bench: empty command")?;
                let mut c = cmd(program);
                c.args(rest);
                util::run(&format!("bench {}", b.name), c)?;
            }
            Runner::Gateway => {
                gateway_runs = gateway::run(quick, if quick { 1 } else { 2 })?;
                if gateway_runs
                    .iter()
                    .any(|t| t.contains("NaN") || t.contains("inf"))
                {
                    return Err("bench gateway: a figure is not a number".to_owned());
                }
            }
            Runner::Sizes => {
                let rows = sizes::run();
                let table = sizes::table(&rows);
                say(&format!("\nsizes\n{table}"));
                if quick && let Some((what, Err(e))) = rows.iter().find(|r| r.1.is_err()) {
                    return Err(format!("bench sizes: {what}: {e}"));
                }
                sizes_table = Some(table);
            }
        }
        summary.push(b.name, took.elapsed(), "ok");
    }
    if !quick && !gateway_runs.is_empty() {
        let sizes = match sizes_table {
            Some(t) => t,
            None => sizes::table(&sizes::run()),
        };
        let mut command = String::from("cargo xtask bench");
        for n in &names {
            command.push(' ');
            command.push_str(n);
        }
        report::write(&command, &gateway_runs, &sizes)?;
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
