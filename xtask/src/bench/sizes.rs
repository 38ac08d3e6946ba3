//! `cargo xtask bench sizes`: what a user downloads, gzipped (`gzip -9`) the same way
//! for each: the browser client package (its JS bundled and minified by esbuild, plus
//! its wasm), the Worker bundle (worker-build's `index.js` + `index_bg.wasm`), and the
//! `openai` npm package (bundled and minified by esbuild for the browser).

use std::fs;
use std::path::Path;
use std::process::Stdio;

use crate::util::{Result, cmd, root};

/// Bytes of `data` after `gzip -9`.
fn gzipped(data: &[u8]) -> Result<usize> {
    let mut c = cmd("gzip");
    c.args(["-9", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = c.spawn().map_err(|e| format!("sizes: gzip: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("sizes: gzip stdin")?;
    let input = data.to_vec();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("sizes: gzip: {e}"))?;
    let _ = writer.join();
    Ok(out.stdout.len())
}

/// Gzipped bytes of a file.
fn gz_file(path: &Path) -> Result<usize> {
    gzipped(&fs::read(path).map_err(|e| format!("sizes: {}: {e}", path.display()))?)
}

/// esbuild's minified browser bundle of `entry` (an ES module source text).
fn bundle(entry: &str) -> Result<Vec<u8>> {
    let dir = root().join("target/xtask-bench");
    fs::create_dir_all(&dir).map_err(|e| format!("sizes: {e}"))?;
    let file = dir.join("size-entry.mjs");
    fs::write(&file, entry).map_err(|e| format!("sizes: {e}"))?;
    let mut c = cmd("esbuild");
    c.arg(&file)
        .args(["--bundle", "--minify", "--format=esm", "--platform=browser"])
        .args(["--log-level=error", "--external:*.wasm"])
        .stdin(Stdio::null());
    let out = c.output().map_err(|e| format!("sizes: esbuild: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "sizes: esbuild failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// The rows `(what, gzipped bytes or why not)`.
pub fn run() -> Vec<(&'static str, std::result::Result<usize, String>)> {
    let root = root();
    let pkg = root.join("crates/client/pkg");
    let client = || -> Result<usize> {
        if !pkg.join("switchboard_client.js").is_file() {
            return Err("crates/client/pkg is missing: run `cargo xtask build`".to_owned());
        }
        let js = bundle(&format!(
            "export * from {:?};\n",
            pkg.join("switchboard_client.js").display().to_string()
        ))?;
        Ok(gzipped(&js)? + gz_file(&pkg.join("switchboard_client_bg.wasm"))?)
    };
    let worker = || -> Result<usize> {
        let build = root.join("crates/gateway/build");
        Ok(gz_file(&build.join("index.js"))? + gz_file(&build.join("index_bg.wasm"))?)
    };
    let openai = || -> Result<usize> {
        if !root.join("node_modules/openai/package.json").is_file() {
            return Err("node_modules/openai is missing: run `npm ci`".to_owned());
        }
        gzipped(&bundle("export { default } from 'openai';\n")?)
    };
    vec![
        ("client package (JS bundled + wasm)", client()),
        ("Worker bundle (index.js + index_bg.wasm)", worker()),
        ("`openai` npm package (bundled)", openai()),
    ]
}

/// The sizes as a markdown table.
pub fn table(rows: &[(&'static str, std::result::Result<usize, String>)]) -> String {
    let mut t = String::from("| what | gzipped |\n|---|---:|\n");
    for (what, size) in rows {
        let cell = match size {
            Ok(n) => format!("{:.1} kB", *n as f64 / 1000.0),
            Err(e) => format!("not measured: {e}"),
        };
        t.push_str(&format!("| {what} | {cell} |\n"));
    }
    t
}

/// The `sizes` section of `docs/benchmarks.md`.
pub fn section(table: &str) -> String {
    format!(
        "## Sizes (gzip -9)\n\n{}\n\nTargets (issue 10): client ≤ 60 kB, Worker ≤ 400 kB.\n\n{table}",
        super::report::measured_by("cargo xtask bench sizes")
    )
}
