//! `cargo xtask setup`: installs the pinned toolchain on a fresh machine, and checks
//! versions (fast) when everything is already there.
//!
//! The independent installs (apt, rustup, npm and each `cargo install`) run concurrently,
//! each logging to `target/xtask/logs/`; the machine has few cores, but the downloads,
//! the serial phases of each build and the links overlap.

use std::fs;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{self, Result, Summary, cmd, root, say};

/// The rustup target the browser client, the Worker and the core's no_std check build for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// A pinned tool installed with `cargo install`.
struct CargoTool {
    /// Crate name on the registry.
    krate: &'static str,
    /// Binary whose `--version` is checked.
    bin: &'static str,
    /// Whether `--locked` works for this version (see docs/toolchain.md).
    locked: bool,
}

const WASM_PACK: CargoTool = CargoTool {
    krate: "wasm-pack",
    bin: "wasm-pack",
    locked: true,
};
const WORKER_BUILD: CargoTool = CargoTool {
    krate: "worker-build",
    bin: "worker-build",
    locked: false,
};
/// Pinned version of wasm-pack.
const WASM_PACK_VERSION: &str = "0.15.1";
/// Pinned version of worker-build (matches the `worker` crate 0.8.7).
const WORKER_BUILD_VERSION: &str = "0.8.7";
/// Pinned version of the openai Python SDK (the gateway's Python SDK test).
pub const PYTHON_OPENAI_VERSION: &str = "3.57.0";
/// The venv it goes in, under the repo root (gitignored).
pub const PYTHON_VENV: &str = "target/python-sdk";
/// Pinned version of cargo-fuzz (`cargo xtask fuzz`).
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// Pinned version of oha (benchmarks only; installed lazily by `cargo xtask bench`).
pub const OHA_VERSION: &str = "1.16.0";

/// The outcome of one setup step.
pub struct Done {
    name: String,
    took: Duration,
    status: &'static str,
}

/// Runs every setup step and returns the per-step durations.
pub fn run() -> Result<Summary> {
    let start = Instant::now();
    let bindgen = wasm_bindgen_version()?;
    say(&format!(
        "setup: wasm-bindgen-cli {bindgen} (from Cargo.lock / Cargo.toml pin)"
    ));
    type Task = Box<dyn FnOnce() -> Result<Done> + Send>;
    let tasks: Vec<Task> = vec![
        Box::new(rust_target),
        Box::new(chromium),
        Box::new(npm),
        Box::new(python_sdk),
        Box::new(move || {
            let tool = CargoTool {
                krate: "wasm-bindgen-cli",
                bin: "wasm-bindgen",
                locked: false,
            };
            cargo_tool(&tool, &bindgen)
        }),
        Box::new(|| cargo_tool(&WASM_PACK, WASM_PACK_VERSION)),
        Box::new(|| cargo_tool(&WORKER_BUILD, WORKER_BUILD_VERSION)),
    ];
    let results: Vec<Result<Done>> = thread::scope(|s| {
        let handles: Vec<_> = tasks.into_iter().map(|t| s.spawn(t)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("setup step panicked".to_owned()))
            })
            .collect()
    });
    let mut summary = Summary::default();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(d) => summary.push(d.name, d.took, d.status),
            Err(e) => errors.push(e),
        }
    }
    summary.print("setup steps", start.elapsed());
    if errors.is_empty() {
        Ok(summary)
    } else {
        Err(format!("setup failed:\n{}", errors.join("\n")))
    }
}

/// The wasm-bindgen version the CLI must equal: Cargo.lock's, else the root Cargo.toml pin.
pub fn wasm_bindgen_version() -> Result<String> {
    let root = root();
    let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    if let Some(v) = util::lock_version(&lock, "wasm-bindgen") {
        return Ok(v);
    }
    let toml =
        fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    util::exact_pin(&toml, "wasm-bindgen")
        .ok_or_else(|| "no wasm-bindgen in Cargo.lock and no `=` pin in Cargo.toml".to_owned())
}

/// Times a check; if `present` returns a description, the step is skipped.
fn step(
    name: &str,
    present: impl Fn() -> Option<String>,
    install: impl FnOnce() -> Result,
) -> Result<Done> {
    let start = Instant::now();
    if let Some(what) = present() {
        let took = start.elapsed();
        say(&format!("ok  {name}: {what} ({})", util::fmt_dur(took)));
        return Ok(Done {
            name: name.to_owned(),
            took,
            status: "present",
        });
    }
    install()?;
    if present().is_none() {
        return Err(format!("{name}: installed, but the check still fails"));
    }
    Ok(Done {
        name: name.to_owned(),
        took: start.elapsed(),
        status: "installed",
    })
}

/// `rustup target add wasm32-unknown-unknown` unless installed.
fn rust_target() -> Result<Done> {
    let present = || {
        let mut c = cmd("rustup");
        c.args(["target", "list", "--installed"]);
        let out = util::capture(c)?;
        out.lines()
            .any(|l| l.trim() == WASM_TARGET)
            .then(|| "installed".to_owned())
    };
    step(&format!("rustup target {WASM_TARGET}"), present, || {
        let mut c = cmd("rustup");
        c.args(["target", "add", WASM_TARGET]);
        util::run_logged("rustup-target", c).map(drop)
    })
}

/// Debian `chromium` + `chromium-driver` for headless browser tests.
fn chromium() -> Result<Done> {
    let present = || {
        let ok = Path::new("/usr/bin/chromium").is_file()
            && (Path::new("/usr/bin/chromedriver").is_file() || util::on_path("chromedriver"));
        ok.then(|| "chromium and chromedriver found".to_owned())
    };
    step("apt chromium chromium-driver", present, || {
        util::run_logged("apt-get-update", apt(&["update"]))?;
        util::run_logged(
            "apt-get-install",
            apt(&["install", "-y", "chromium", "chromium-driver"]),
        )
        .map(drop)
    })
}

/// `apt-get ARGS`, through sudo only when not root.
fn apt(args: &[&str]) -> std::process::Command {
    let mut id = cmd("id");
    id.arg("-u");
    let is_root = util::capture(id).is_some_and(|id| id == "0");
    let mut c = if is_root {
        cmd("apt-get")
    } else {
        let mut c = cmd("sudo");
        c.args(["-E", "apt-get"]);
        c
    };
    c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    c
}

/// The openai Python SDK in a venv at [`PYTHON_VENV`] unless that version is there;
/// Debian's python3 needs `python3-venv` for `venv` (installed when creating it fails).
fn python_sdk() -> Result<Done> {
    let python = root().join(PYTHON_VENV).join("bin/python");
    // The installed distribution's metadata directory: no interpreter start needed.
    let present = || {
        let dist = format!("openai-{PYTHON_OPENAI_VERSION}.dist-info");
        let lib = fs::read_dir(root().join(PYTHON_VENV).join("lib")).ok()?;
        let found = lib
            .flatten()
            .any(|d| d.path().join("site-packages").join(&dist).is_dir());
        (found && python.is_file())
            .then(|| format!("openai {PYTHON_OPENAI_VERSION} in {PYTHON_VENV}"))
    };
    step(
        &format!("python venv openai {PYTHON_OPENAI_VERSION}"),
        present,
        || {
            let venv = || {
                let mut c = cmd("python3");
                c.args(["-m", "venv", "--clear", PYTHON_VENV]);
                util::run_logged("python-venv", c)
            };
            if venv().is_err() {
                util::run_logged(
                    "apt-get-install-venv",
                    apt(&["install", "-y", "python3-venv"]),
                )?;
                venv()?;
            }
            let mut c = cmd(&python.to_string_lossy());
            c.args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
                .arg(format!("openai=={PYTHON_OPENAI_VERSION}"));
            util::run_logged("pip-openai", c).map(drop)
        },
    )
}

/// `npm ci` at the root when node_modules is missing, stale or has other versions than
/// package.json pins (binaryen for wasm-opt, wrangler, playwright-core).
fn npm() -> Result<Done> {
    let root = root();
    let present = || {
        let nm = root.join("node_modules");
        let stamp = fs::metadata(nm.join(".package-lock.json"))
            .and_then(|m| m.modified())
            .ok()?;
        let lock = fs::metadata(root.join("package-lock.json"))
            .and_then(|m| m.modified())
            .ok()?;
        if lock > stamp {
            return None;
        }
        let pins = fs::read_to_string(root.join("package.json")).ok()?;
        let mut found = Vec::new();
        for pkg in ["binaryen", "wrangler", "playwright-core"] {
            let want = pinned_dev_dependency(&pins, pkg)?;
            let text = fs::read_to_string(nm.join(pkg).join("package.json")).ok()?;
            let have = util::npm_version(&text)?;
            if have != want {
                return None;
            }
            found.push(format!("{pkg} {have}"));
        }
        Some(found.join(", "))
    };
    step(
        "npm ci (binaryen, wrangler, playwright-core)",
        present,
        || {
            if !root.join("package.json").is_file() || !root.join("package-lock.json").is_file() {
                return Err("npm: package.json and package-lock.json must be at the root".into());
            }
            let mut c = cmd("npm");
            c.args(["ci", "--no-audit", "--no-fund"]);
            util::run_logged("npm-ci", c)?;
            let v = util::tool_version("wasm-opt").unwrap_or_default();
            say(&format!("    wasm-opt on PATH: {v}"));
            Ok(())
        },
    )
}

/// The version string of `"pkg": "X"` in package.json (pins are exact).
fn pinned_dev_dependency(package_json: &str, pkg: &str) -> Option<String> {
    let key = format!("\"{pkg}\"");
    package_json.lines().find_map(|line| {
        let rest = line
            .trim()
            .strip_prefix(&key)?
            .trim_start()
            .strip_prefix(':')?
            .trim();
        Some(rest.strip_prefix('"')?.split('"').next()?.to_owned())
    })
}

/// Whether `<bin> --version` reports `version`, or `cargo install --list` has it.
fn cargo_tool_present(tool: &CargoTool, version: &str) -> Option<String> {
    if let Some(v) = util::tool_version(tool.bin)
        && v.split_whitespace()
            .any(|w| w.trim_start_matches('v') == version)
    {
        return Some(v);
    }
    let mut c = cmd("cargo");
    c.args(["install", "--list"]);
    let list = util::capture(c)?;
    let line = format!("{} v{version}:", tool.krate);
    let bin = util::cargo_bin_dir()?.join(tool.bin);
    (list.lines().any(|l| l == line) && bin.is_file()).then(|| format!("{} v{version}", tool.krate))
}

/// `cargo install <crate> --version <v>` unless that version is present.
fn cargo_tool(tool: &CargoTool, version: &str) -> Result<Done> {
    step(
        &format!("cargo install {} {version}", tool.krate),
        || cargo_tool_present(tool, version),
        || {
            let mut c = cmd("cargo");
            c.args(["install", tool.krate, "--version", version]);
            if tool.locked {
                c.arg("--locked");
            }
            util::run_logged(&format!("install-{}", tool.krate), c).map(drop)
        },
    )
}

/// Installs oha (the HTTP load generator) for the benchmarks that need it.
pub fn ensure_oha() -> Result<Done> {
    let oha = CargoTool {
        krate: "oha",
        bin: "oha",
        locked: true,
    };
    cargo_tool(&oha, OHA_VERSION)
}

impl Done {
    /// One line for the bench log.
    pub fn describe(&self) -> String {
        format!(
            "{} {} ({})",
            self.name,
            self.status,
            util::fmt_dur(self.took)
        )
    }
}

/// The nightly toolchain (minimal profile) and cargo-fuzz, for the fuzz targets.
pub fn ensure_fuzz_tools() -> Result<Vec<Done>> {
    let present = || {
        let mut c = cmd("rustup");
        c.args(["toolchain", "list"]);
        let out = util::capture(c)?;
        out.lines()
            .any(|l| l.starts_with("nightly-"))
            .then(|| "installed".to_owned())
    };
    let nightly = step("rustup toolchain nightly", present, || {
        let mut c = cmd("rustup");
        c.args(["toolchain", "install", "nightly", "--profile", "minimal"]);
        util::run_logged("rustup-nightly", c).map(drop)
    })?;
    let fuzz = CargoTool {
        krate: "cargo-fuzz",
        bin: "cargo-fuzz",
        locked: true,
    };
    Ok(vec![nightly, cargo_tool(&fuzz, CARGO_FUZZ_VERSION)?])
}
