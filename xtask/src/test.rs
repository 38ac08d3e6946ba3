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
    steps.extend(crate::fuzz::test_steps());
    if !quick {
        // The gateway is built first: the client and playground tests run through it.
        let (gateway_build, gateway_e2e) = gateway_tests();
        steps.extend(gateway_build);
        steps.extend(client_tests());
        steps.extend(crate::playground::test_steps());
        steps.extend(gateway_e2e);
        steps.extend(crate::faults::test_step());
        steps.push(bench_smoke());
        steps.push(crate::canary::scan_step());
    }
    steps
}

/// `cargo xtask bench --quick`: proves the benchmark harness runs and yields numbers
/// (small counts, no peers, nothing written to docs/); it asserts no target.
fn bench_smoke() -> Step {
    let exe = std::env::current_exe().unwrap_or_else(|_| "cargo-xtask".into());
    let mut command = Command::new(exe);
    command
        .args(["bench", "--quick"])
        .current_dir(root())
        .env("PATH", util::tool_path());
    Step {
        name: "bench smoke (cargo xtask bench --quick)".to_owned(),
        command,
    }
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
    // The tests need the simulator and the gateway: this same binary starts them, runs
    // wasm-pack with their URLs and stops them (see `client_tests_with_sim`).
    let exe = std::env::current_exe().unwrap_or_else(|_| "cargo-xtask".into());
    let mut command = Command::new(exe);
    command
        .arg(CLIENT_TESTS_COMMAND)
        .current_dir(root())
        .env("PATH", util::tool_path());
    vec![Step {
        name: "client tests (headless chrome, simulator, gateway)".to_owned(),
        command,
    }]
}

/// The hidden xtask command behind the client-tests step.
pub const CLIENT_TESTS_COMMAND: &str = "client-tests";

/// The gateway token the client tests send.
const CLIENT_TESTS_TOKEN: &str = "gw-client-test-token";

/// Builds and starts the simulator on a free port and the built gateway wired to it
/// (building the gateway only when it was never built), runs `wasm-pack test --headless
/// --chrome crates/client` with `SWITCHBOARD_SIM_URL`, `SWITCHBOARD_GATEWAY_URL` and
/// `SWITCHBOARD_GATEWAY_TOKEN` set (the tests read them at build time), then builds the
/// npm package, type-checks the TypeScript example against it and runs its JavaScript
/// test (`crates/client/tests/js/run.mjs`, playwright-core); then stops both.
pub fn client_tests_with_sim() -> Result {
    // Streams paced a little, so an abort lands while the upstream is still sending.
    let (mut sim, url) = crate::playground::start_sim(&["--chunk-delay-ms", "10"])?;
    util::say(&format!("simulator at {url}"));
    let result = crate::gateway::start_for_tests("client-tests", &url, Some(CLIENT_TESTS_TOKEN))
        .and_then(|gateway| {
            let gateway_url = format!("{}/v1", gateway.url);
            let env = [
                ("SWITCHBOARD_SIM_URL", url.as_str()),
                ("SWITCHBOARD_GATEWAY_URL", gateway_url.as_str()),
                ("SWITCHBOARD_GATEWAY_TOKEN", CLIENT_TESTS_TOKEN),
            ];
            let mut test = cmd("wasm-pack");
            test.args(["test", "--headless", "--chrome", "crates/client"])
                .envs(env);
            util::run("client tests (headless chrome)", test)?;
            // The built package as a user imports it: its types, then from JavaScript.
            crate::build::run()?;
            let mut tsc = cmd("tsc");
            tsc.args(["--noEmit", "-p", "crates/client/tests/ts"]);
            util::run("client package TypeScript check (tsc --noEmit)", tsc)?;
            let mut js = cmd("node");
            js.arg("crates/client/tests/js/run.mjs").envs(env);
            util::run("client package from JavaScript (playwright-core)", js)
        });
    let _ = sim.kill();
    let _ = sim.wait();
    result.map(drop)
}

/// The gateway's build and its integration tests, once `crates/gateway/tests` exists.
///
/// The build is the verified recipe ([`crate::gateway::build_command`]). The end-to-end
/// test is `#[ignore]`d in a plain `cargo test` (it needs this build and wrangler), so it
/// runs here with `--include-ignored`, against the simulator and the Worker under
/// `wrangler dev`.
fn gateway_tests() -> (Option<Step>, Option<Step>) {
    if !root().join("crates/gateway/tests").is_dir() {
        return (None, None);
    }
    let build = Step {
        name: "gateway build (worker-build)".to_owned(),
        command: crate::gateway::build_command(),
    };
    let mut tests = Step::new(
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
    crate::canary::arm(&mut tests.command);
    (Some(build), Some(tests))
}
