//! `cargo xtask bench sizes`: what a user downloads, gzipped (`gzip -9`) the same way
//! for each: the browser client package (its JS bundled and minified by esbuild, plus
//! its wasm), the Worker bundle (worker-build's `index.js` + `index_bg.wasm`), and the
//! `openai` npm package (bundled and minified by esbuild for the browser). Beside the
//! client, its floor: the core's chat path alone (`crates/core/examples/wasm_floor.rs`),
//! built and optimized as the package is, which the package cannot undercut.

use std::fs;
use std::path::Path;
use std::process::Stdio;

use crate::util::{self, Result, cmd, root};

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

/// The core's chat path alone, as the client package is built: release for
/// `wasm32-unknown-unknown` (its own target dir, the `target_features` section kept for
/// wasm-opt), wasm-bindgen for the web, `wasm-opt -Oz` without one-caller inlining (as
/// in `crates/client/Cargo.toml`), its JS bundled by esbuild.
fn floor() -> Result<usize> {
    let dir = root().join("target/xtask-bench/floor");
    let mut c = cmd("cargo");
    c.args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .args(["-p", "switchboard-core", "--example", "wasm_floor"])
        .env("CARGO_TARGET_DIR", &dir)
        .env("CARGO_PROFILE_RELEASE_STRIP", "false");
    util::run("wasm size floor (cargo build)", c)?;
    let pkg = dir.join("pkg");
    let wasm = dir.join("wasm32-unknown-unknown/release/examples/wasm_floor.wasm");
    let mut c = cmd("wasm-bindgen");
    c.args(["--target", "web", "--out-dir"])
        .arg(&pkg)
        .arg(&wasm);
    util::run("wasm size floor (wasm-bindgen)", c)?;
    let bg = pkg.join("wasm_floor_bg.wasm");
    let mut c = cmd("wasm-opt");
    c.args(["-Oz", "--one-caller-inline-max-function-size=0"])
        .args([
            "--strip-debug",
            "--strip-producers",
            "--strip-target-features",
        ])
        .arg(&bg)
        .arg("-o")
        .arg(&bg);
    util::run("wasm size floor (wasm-opt)", c)?;
    let js = bundle(&format!(
        "export * from {:?};\n",
        pkg.join("wasm_floor.js").display().to_string()
    ))?;
    Ok(gzipped(&js)? + gz_file(&bg)?)
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
        (
            "its floor: the core's chat path alone (wasm_floor)",
            floor(),
        ),
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
        "## Sizes (gzip -9)\n\n{}\n\nTargets (issue 10): client ≤ 60 kB, Worker ≤ 400 kB. \
         The floor row is the core's chat path alone, built and optimized as the package is \
         (`crates/core/examples/wasm_floor.rs`: request encoding, stream decoding and \
         normalization, accumulation, JSON out; no fetch, errors, retries or other \
         endpoints): what the package cannot undercut while the browser runs the core.\n\n{table}",
        super::report::measured_by("cargo xtask bench sizes")
    )
}
