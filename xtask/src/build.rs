//! `cargo xtask build`: the browser client's npm package in `crates/client/pkg/`
//! (wasm-pack, target web, release profile, `wasm-opt -Oz` from the project's npm
//! binaryen), with the error classes re-exported from the package's entry module.

use std::fs;
use std::path::Path;

use crate::util::{self, Result, cmd, root};

/// The error classes defined in `crates/client/js/glue.js`, re-exported by the package.
const ERROR_CLASSES: [&str; 13] = [
    "SwitchboardError",
    "APIError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APIConnectionTimeoutError",
    "APIUserAbortError",
    "StreamInterruptedError",
];

/// Builds the package and prints the gzipped size of its wasm and JS.
pub fn run() -> Result {
    let client = root().join("crates").join("client");
    if !client.is_dir() {
        return Err("build: crates/client does not exist".to_owned());
    }
    let mut c = cmd("wasm-pack");
    c.args(["build", "--target", "web", "--release", "crates/client"]);
    util::run("client package (wasm-pack)", c)?;
    let pkg = client.join("pkg");
    reexport_errors(&pkg)?;
    report_size(&pkg);
    Ok(())
}

/// Appends `export { APIError, ... } from "./snippets/<hash>/js/glue.js"` to the entry
/// module and matching declarations to its `.d.ts`.
fn reexport_errors(pkg: &Path) -> Result {
    let snippets = pkg.join("snippets");
    let glue = fs::read_dir(&snippets)
        .map_err(|e| format!("build: {}: {e}", snippets.display()))?
        .filter_map(|d| d.ok())
        .map(|d| d.path().join("js").join("glue.js"))
        .find(|p| p.is_file())
        .ok_or("build: the glue snippet is missing from pkg/snippets")?;
    let rel = glue
        .strip_prefix(pkg)
        .map_err(|e| format!("build: {e}"))?
        .to_string_lossy()
        .replace('\\', "/");
    let names = ERROR_CLASSES.join(", ");
    let entry = pkg.join("switchboard_client.js");
    append(
        &entry,
        &format!("\nexport {{ {names} }} from \"./{rel}\";\n"),
    )?;
    let mut dts = String::from(
        "\n/** Base class of every error this package throws. */\nexport class SwitchboardError extends Error {}\n\
         /** An error answer, or an error inside a stream. */\nexport class APIError extends SwitchboardError {\n  \
         status?: number;\n  code?: string;\n  type?: string;\n  param?: string;\n  requestId?: string;\n  \
         retryAfter?: number;\n  provider?: string;\n  body?: string;\n  error?: unknown;\n  inStream?: boolean;\n}\n",
    );
    for (name, parent) in ERROR_CLASSES.iter().skip(2).map(|n| {
        let parent = if *n == "APIConnectionTimeoutError" {
            "APIConnectionError"
        } else {
            "APIError"
        };
        (n, parent)
    }) {
        dts.push_str(&format!("export class {name} extends {parent} {{}}\n"));
    }
    append(&pkg.join("switchboard_client.d.ts"), &dts)
}

/// Appends `text` unless the file already ends with it (two builds racing on the
/// shared `pkg/` must not declare the classes twice).
fn append(path: &Path, text: &str) -> Result {
    let mut body =
        fs::read_to_string(path).map_err(|e| format!("build: {}: {e}", path.display()))?;
    if body.ends_with(text) {
        return Ok(());
    }
    body.push_str(text);
    fs::write(path, body).map_err(|e| format!("build: {}: {e}", path.display()))
}

/// Prints raw and `gzip -9` sizes of the wasm, the JS glue and the snippet (best effort:
/// skipped without a `gzip` on PATH).
fn report_size(pkg: &Path) {
    let files = ["switchboard_client_bg.wasm", "switchboard_client.js"];
    let mut script = String::from("cat");
    for f in files {
        script.push_str(&format!(" '{f}'"));
    }
    script.push_str(" snippets/*/js/glue.js | gzip -9 | wc -c");
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .current_dir(pkg)
        .output();
    if let Ok(out) = out
        && out.status.success()
    {
        let gz = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let raw: u64 = files
            .iter()
            .filter_map(|f| fs::metadata(pkg.join(f)).ok())
            .map(|m| m.len())
            .sum();
        util::say(&format!(
            "client package: wasm + JS {raw} bytes raw, {gz} bytes gzip -9 (crates/client/pkg)"
        ));
    }
}
