//! `cargo xtask test`: setup, then every check CI runs, each timed, stopping at the
//! first failure. `--quick` skips setup and the wasm steps for local iteration.
//!
//! Steps for pieces that later issues add (the browser client, the gateway) run only
//! when their directories exist, so this file does not change when they land.

use std::process::Command;
use std::time::Instant;

use crate::setup::{self, WASM_TARGET};
use crate::util::{self, Result, Summary, cmd, root};

/// A named command; the plan is a list of these, run in order.
pub struct Step {
    /// Shown in progress lines, the summary table and the failure message.
    pub name: String,
    /// What to run.
    pub command: Command,
}

impl Step {
    /// A step running `program args...` from the repository root.
    pub fn new(name: &str, program: &str, args: &[&str]) -> Step {
        let mut command = cmd(program);
        command.args(args);
        Step {
            name: name.to_owned(),
            command,
        }
    }
}

/// Runs the test plan.
pub fn run(args: &[String]) -> Result {
    let mut quick = false;
    for a in args {
        match a.as_str() {
            "--quick" | "-q" => quick = true,
            other => return Err(format!("test: unknown argument `{other}` (try --quick)")),
        }
    }
    let start = Instant::now();
    let mut summary = Summary::default();
    if !quick {
        let took = Instant::now();
        setup::run()?;
        summary.push("setup", took.elapsed(), "ok");
    }
    for step in plan(quick) {
        let began = Instant::now();
        match util::run(&step.name, step.command) {
            Ok(took) => summary.push(step.name, took, "ok"),
            Err(e) => {
                summary.push(step.name, began.elapsed(), "FAILED");
                summary.print("test steps", start.elapsed());
                return Err(format!("test failed at step {e}"));
            }
        }
    }
    summary.print("test steps", start.elapsed());
    util::say(if quick {
        "\nquick checks passed"
    } else {
        "\nall checks passed"
    });
    Ok(())
}

/// The ordered steps. Quick mode keeps only the native ones.
fn plan(quick: bool) -> Vec<Step> {
    let mut steps = vec![
        Step::new("fmt", "cargo", &["fmt", "--all", "--check"]),
        Step::new(
            "clippy (native)",
            "cargo",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ];
    if !quick {
        let mut args = vec!["clippy", "--target", WASM_TARGET];
        for package in wasm_packages() {
            args.extend(["-p", package]);
        }
        args.extend(["--", "-D", "warnings"]);
        steps.push(Step::new("clippy (wasm32)", "cargo", &args));
        steps.push(Step::new(
            "core no_std build (wasm32)",
            "cargo",
            &["build", "-p", "switchboard-core", "--target", WASM_TARGET],
        ));
    }
    steps.push(Step::new(
        "cargo test --workspace",
        "cargo",
        &["test", "--workspace"],
    ));
    if !quick {
        steps.extend(client_tests());
        steps.extend(crate::playground::test_steps());
        steps.extend(gateway_tests());
    }
    steps
}

/// The crates that compile to wasm32: the core always, the client and gateway once they exist.
fn wasm_packages() -> Vec<&'static str> {
    let root = root();
    let mut packages = vec!["switchboard-core"];
    if root.join("crates/client").is_dir() {
        packages.push("switchboard-client");
    }
    if root.join("crates/gateway").is_dir() {
        packages.push("switchboard-gateway");
    }
    packages
}

/// The browser client's tests in headless Chromium (chromedriver from apt, wasm-bindgen
/// from setup), once `crates/client` exists.
fn client_tests() -> Vec<Step> {
    if !root().join("crates/client").is_dir() {
        return Vec::new();
    }
    // The tests need the simulator: this same binary starts it, runs wasm-pack with its
    // URL and stops it (see `client_tests_with_sim`).
    let exe = std::env::current_exe().unwrap_or_else(|_| "cargo-xtask".into());
    let mut command = Command::new(exe);
    command
        .arg(CLIENT_TESTS_COMMAND)
        .current_dir(root())
        .env("PATH", util::tool_path());
    vec![Step {
        name: "client tests (headless chrome, simulator)".to_owned(),
        command,
    }]
}

/// The hidden xtask command behind the client-tests step.
pub const CLIENT_TESTS_COMMAND: &str = "client-tests";

/// Builds and starts the simulator on a free port, runs `wasm-pack test --headless
/// --chrome crates/client` with `SWITCHBOARD_SIM_URL` set (the tests read it at build
/// time), then builds the npm package and runs its JavaScript test
/// (`crates/client/tests/js/run.mjs`, playwright-core), then stops the simulator.
pub fn client_tests_with_sim() -> Result {
    let (mut sim, url) = crate::playground::start_sim()?;
    util::say(&format!("simulator at {url}"));
    let mut test = cmd("wasm-pack");
    test.args(["test", "--headless", "--chrome", "crates/client"])
        .env("SWITCHBOARD_SIM_URL", &url);
    let mut result = util::run("client tests (headless chrome)", test);
    if result.is_ok() {
        // The built package as a user imports it, driven from JavaScript.
        result = crate::build::run().and_then(|()| {
            let mut js = cmd("node");
            js.arg("crates/client/tests/js/run.mjs")
                .env("SWITCHBOARD_SIM_URL", &url);
            util::run("client package from JavaScript (playwright-core)", js)
        });
    }
    let _ = sim.kill();
    let _ = sim.wait();
    result.map(drop)
}

/// The gateway's build and integration tests, once `crates/gateway/tests` exists.
///
/// The build is the verified recipe (worker-build pointed at the local wasm-bindgen,
/// wasm-opt and esbuild so it never downloads). The end-to-end test is `#[ignore]`d in a
/// plain `cargo test` (it needs this build and wrangler), so it runs here with
/// `--include-ignored`, against the simulator and the Worker under `wrangler dev`.
fn gateway_tests() -> Vec<Step> {
    let root = root();
    let gateway = root.join("crates/gateway");
    if !gateway.join("tests").is_dir() {
        return Vec::new();
    }
    let bin = root.join("node_modules").join(".bin");
    let mut build = Step::new(
        "gateway build (worker-build)",
        "worker-build",
        &["--release"],
    );
    build
        .command
        .current_dir(&gateway)
        .env("WASM_BINDGEN_BIN", "wasm-bindgen")
        .env("WASM_OPT_BIN", bin.join("wasm-opt"))
        .env("ESBUILD_BIN", bin.join("esbuild"));
    let tests = Step::new(
        "gateway integration tests",
        "cargo",
        &[
            "test",
            "-p",
            "switchboard-gateway",
            "--tests",
            "--",
            "--include-ignored",
        ],
    );
    vec![build, tests]
}
