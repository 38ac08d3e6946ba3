//! `docs/benchmarks.md`, one section per part of `cargo xtask bench` (gateway, core,
//! sizes, browser, …): each part writes only its own section, between
//! `<!-- bench:ID -->` and `<!-- /bench:ID -->`, through [`write_section`], so running
//! one part never wipes another's figures.

use std::fs;

use crate::doc_section;
use crate::util::{Result, capture, cmd};

/// The file's path relative to the repository root.
const FILE: &str = "docs/benchmarks.md";

/// What the file holds before any section.
const HEAD: &str = "# Benchmarks\n\n\
Written by `cargo xtask bench` (xtask/src/bench/), one section per part; do not edit by\n\
hand. Each part rewrites only its own section, so sections can come from different\n\
runs: each says when, where and with which command it was measured.\n";

/// The first line of a command's output, or `unknown`.
pub fn first_line(program: &str, args: &[&str]) -> String {
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

/// One line for the top of a section: the command, the date and the machine.
pub fn measured_by(command: &str) -> String {
    format!(
        "Written by `{command}`. Measured {} on {}.",
        first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        machine()
    )
}

/// Sets the section `id` of `docs/benchmarks.md` (markers `bench:ID`) to `markdown`,
/// leaving every other section and the text outside the markers as they are.
pub fn write_section(id: &str, markdown: &str) -> Result {
    doc_section::write(FILE, &format!("bench:{id}"), markdown, HEAD)
}
