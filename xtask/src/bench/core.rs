//! `cargo xtask bench core`: runs switchboard-core's `stream_normalize` bench (native,
//! release) and turns the lines it prints into the `core` section's table.

use std::process::Stdio;

use super::report;
use crate::util::{Result, cmd, say};

/// The command, as it is run and quoted in the section.
const ARGV: [&str; 6] = [
    "cargo",
    "bench",
    "-p",
    "switchboard-core",
    "--bench",
    "stream_normalize",
];

/// Runs the bench, prints what it printed, returns the section's markdown.
pub fn run() -> Result<String> {
    say(&format!("==> bench core: {}", ARGV.join(" ")));
    let mut c = cmd(ARGV[0]);
    c.args(&ARGV[1..])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let out = c
        .output()
        .map_err(|e| format!("bench core: cannot start cargo: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    if !out.status.success() {
        return Err(format!(
            "bench core: `{}` failed ({})",
            ARGV.join(" "),
            out.status
        ));
    }
    section(&text)
}

/// A row of the bench's output: name, MB/s, chunks/s, ms, × of baseline time.
fn row(line: &str) -> Option<[String; 5]> {
    let (head, tail) = line.split_once(" MB/s ")?;
    let (name, mbs) = head.trim().rsplit_once(' ')?;
    let mut rest = tail.split_whitespace();
    let chunks = rest.next()?;
    let ms = rest.nth(1)?;
    let ratio = rest.nth(1)?.strip_prefix('x')?;
    Some([name.trim(), mbs, chunks, ms, ratio].map(str::to_owned))
}

/// The section: the bench's first line (what it measured) and one table row per
/// variant; an error when no row came out.
fn section(output: &str) -> Result<String> {
    let about = output
        .lines()
        .find(|l| l.starts_with("stream_normalize:"))
        .ok_or("bench core: no `stream_normalize:` line in the output")?;
    let mut t = String::from(
        "| variant | MB/s | chunks/s | ms | × baseline time |\n|---|---:|---:|---:|---:|\n",
    );
    let mut rows = 0;
    for r in output.lines().filter_map(row) {
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r[0], r[1], r[2], r[3], r[4]
        ));
        rows += 1;
    }
    if rows == 0 {
        return Err("bench core: no figures in the output".to_owned());
    }
    Ok(format!(
        "## Core (native)\n\n{}\n\n`{}`: {about}. Target (issue 10): ≥ 200 MB/s.\n\n{t}",
        report::measured_by("cargo xtask bench core"),
        ARGV.join(" "),
    ))
}

#[cfg(test)]
mod tests {
    use super::section;

    #[test]
    fn the_bench_lines_become_rows() {
        let out = "stream_normalize: 2000 chunks, 0.52 MB capture\n  \
StreamDecoder::feed_with                    265.1 MB/s    1010000 chunks/s    1.98 ms  x1.20 of baseline time\n";
        let s = section(out).unwrap();
        assert!(s.contains("| StreamDecoder::feed_with | 265.1 | 1010000 | 1.98 | 1.20 |"));
        assert!(section("nothing").is_err());
    }
}
