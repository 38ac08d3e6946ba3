//! `cargo xtask bench [NAME...] [--quick]`: runs the named parts (every part that
//! exists when none is named): `core` (the core's native stream normalization,
//! [`core`]), `gateway` (the gateway beside its floors and peers, [`gateway`]) and
//! `sizes` ([`sizes`]), `browser` (the wasm client vs a JS baseline in Chromium,
//! [`browser`]). Each part writes only its own section of `docs/benchmarks.md`
//! ([`report::write_section`]).
//!
//! `--quick` runs every part, `gateway` and `browser` with small counts and one
//! repetition, writes nothing under docs/, and fails unless every figure came out (the
//! core part's own check that each path saw every chunk included). `browser --profile`
//! prints where the wasm client's stream time goes ([`browser::profile`]).

mod browser;
mod core;
mod gateway;
mod load;
mod peers;
mod report;
mod sizes;
mod upstream;
mod workerd;

use std::time::Instant;

use crate::setup;
use crate::util::{Result, Summary, root, say};

/// How a benchmark runs.
enum Runner {
    /// `cargo bench` of the core, its output parsed here.
    Core,
    /// Run here.
    Gateway,
    /// Run here.
    Sizes,
    /// A page in headless Chromium, driven by node.
    Browser,
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
        runner: Runner::Core,
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
    Bench {
        name: "browser",
        about: "the wasm client normalizing streams in Chromium vs eventsource-parser + JSON.parse",
        file: "crates/client/bench/run.mjs",
        runner: Runner::Browser,
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
    if args.iter().any(|a| a == "--profile") {
        return match args
            .iter()
            .filter(|a| *a != "--profile")
            .collect::<Vec<_>>()[..]
        {
            [name] if name == "browser" => browser::profile(),
            _ => Err("bench: --profile goes with `browser` alone".to_owned()),
        };
    }
    let quick = args.iter().any(|a| a == "--quick");
    let names: Vec<&String> = args.iter().filter(|a| *a != "--quick").collect();
    let selected: Vec<&Bench> = if !names.is_empty() {
        names.iter().map(|a| find(a)).collect::<Result<_>>()?
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
    for b in selected {
        let took = Instant::now();
        match b.runner {
            Runner::Core => {
                let section = core::run()?;
                if !quick {
                    report::write_section("core", &section)?;
                }
            }
            Runner::Gateway => {
                let runs = gateway::run(quick, if quick { 1 } else { 2 })?;
                if runs.iter().any(|t| t.contains("NaN") || t.contains("inf")) {
                    return Err("bench gateway: a figure is not a number".to_owned());
                }
                if !quick {
                    report::write_section("gateway", &gateway::section(&runs))?;
                }
            }
            Runner::Sizes => {
                let rows = sizes::run();
                let table = sizes::table(&rows);
                say(&format!("\nsizes\n{table}"));
                if quick && let Some((what, Err(e))) = rows.iter().find(|r| r.1.is_err()) {
                    return Err(format!("bench sizes: {what}: {e}"));
                }
                if !quick {
                    report::write_section("sizes", &sizes::section(&table))?;
                }
            }
            Runner::Browser => {
                let section = browser::run(quick, if quick { 1 } else { 2 })?;
                if !quick {
                    report::write_section("browser", &section)?;
                }
            }
        }
        summary.push(b.name, took.elapsed(), "ok");
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
