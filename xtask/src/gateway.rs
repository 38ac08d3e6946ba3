//! `cargo xtask gateway [--port P]`: builds and runs only the gateway under `wrangler
//! dev` (the top-level `wrangler.toml`, whose `[build]` runs worker-build), passing the
//! gateway's variables through from our environment, and prints
//! `ready on http://127.0.0.1:PORT` once it answers. `cargo xtask dev` uses
//! [`command`] with the simulator's URLs and keys; the client and playground tests use
//! [`start`] (the Worker already built by [`build_command`], on a free port).
//!
//! Variables reach the Worker through a generated env file
//! (`target/xtask-gateway/*.env`, `wrangler dev --env-file`), so keys are never on a
//! command line and wrangler does not print their values.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{self, Result, cmd, root, say};

/// Port `cargo xtask gateway` listens on unless `--port` says otherwise.
pub const DEFAULT_PORT: u16 = 8787;

/// Every variable and secret the gateway reads (crates/gateway/README.md).
pub const VARS: &[&str] = &[
    "SECRY_BASE_URL",
    "SECTON_BASE_URL",
    "AIRFORCE_BASE_URL",
    "SIRAYA_BASE_URL",
    "GEMINI_PROXY_BASE_URL",
    "SECRY_API_KEY",
    "SECTON_API_KEY",
    "AIRFORCE_API_KEY",
    "SIRAYA_API_KEY",
    "GEMINI_PROXY_API_KEY",
    "GATEWAY_TOKENS",
    "ADMIN_TOKEN",
    "RATE_LIMIT_PER_MINUTE",
    "CORS_ORIGINS",
    "MODEL_ALIASES",
    "MAX_REQUEST_BYTES",
    "MAX_FILE_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_MESSAGES",
    "MAX_TOOLS",
    "MAX_STREAM_BYTES",
    "UPSTREAM_FIRST_BYTE_MS",
    "STREAM_IDLE_MS",
    "STREAM_TOTAL_MS",
    "RETRY_MAX",
    "RETRY_BASE_MS",
    "RETRY_MAX_WAIT_MS",
];

/// Runs `cargo xtask gateway [--port P]` until wrangler exits.
pub fn run(args: &[String]) -> Result {
    let port = match args {
        [] => DEFAULT_PORT,
        [flag, p] if flag == "--port" => p
            .parse()
            .map_err(|_| format!("gateway: --port wants a port number, not `{p}`"))?,
        _ => return Err("usage: cargo xtask gateway [--port P]".to_owned()),
    };
    let mut child = command("gateway", port, &with_env(&[]), Worker::Rebuild)?
        .spawn()
        .map_err(|e| format!("gateway: cannot start npx wrangler: {e}"))?;
    let started = Instant::now();
    loop {
        if util::answers_http(port) {
            say(&format!("ready on http://127.0.0.1:{port}"));
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "gateway: wrangler exited ({status}) before it answered"
            ));
        }
        if started.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            return Err("gateway: no answer within 300 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let status = child
        .wait()
        .map_err(|e| format!("gateway: waiting for wrangler: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("gateway: wrangler exited ({status})"))
    }
}

/// Where `wrangler dev` gets the Worker from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    /// The top-level `wrangler.toml`: its `[build]` runs worker-build first (and again
    /// when the sources change).
    Rebuild,
    /// The Worker [`build_command`] already wrote to `crates/gateway/build`, with a
    /// generated config that has no build step and its own inspector port.
    Built,
}

/// `values`, each overridden by the variable of the same name (one of [`VARS`]) when it
/// is set in our environment.
pub fn with_env(values: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut values = values.to_vec();
    for var in VARS {
        if let Ok(v) = std::env::var(var) {
            values.retain(|(k, _)| k != var);
            values.push((var, v));
        }
    }
    values
}

/// `npx wrangler dev` on `port` with exactly the gateway variables `values`. `name`
/// names the generated files under `target/xtask-gateway/`.
pub fn command(
    name: &str,
    port: u16,
    values: &[(&str, String)],
    worker: Worker,
) -> Result<Command> {
    let mut text = String::new();
    for (k, v) in values {
        if v.contains(['\n', '\r', '"']) {
            return Err(format!("gateway: {k} holds a newline or a quote"));
        }
        text.push_str(&format!("{k}=\"{v}\"\n"));
    }
    let dir: PathBuf = root().join("target/xtask-gateway");
    std::fs::create_dir_all(&dir).map_err(|e| format!("gateway: {}: {e}", dir.display()))?;
    let env_file = dir.join(format!("{name}.env"));
    std::fs::write(&env_file, text).map_err(|e| format!("gateway: {}: {e}", env_file.display()))?;
    let mut c = cmd("npx");
    c.current_dir(root())
        .args([
            "wrangler",
            "dev",
            "--ip",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .arg("--env-file")
        .arg(&env_file)
        .env("WRANGLER_SEND_METRICS", "false")
        // No fetch of the `Request.cf` placeholder from workers.cloudflare.com: nothing
        // local leaves loopback (the gateway reads no `cf` field).
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .stdin(Stdio::null());
    match worker {
        Worker::Rebuild => {
            c.args(["--persist-to", ".wrangler/state"]);
        }
        Worker::Built => {
            let config = dir.join(format!("{name}.toml"));
            std::fs::write(&config, built_config()?)
                .map_err(|e| format!("gateway: {}: {e}", config.display()))?;
            let state = dir.join(format!("{name}-state"));
            // Fresh rate-limit state for each run.
            let _ = std::fs::remove_dir_all(&state);
            c.arg("--config")
                .arg(config)
                .arg("--persist-to")
                .arg(state)
                .args(["--inspector-port", &util::free_port()?.to_string()])
                .env("CI", "1");
        }
    }
    Ok(c)
}

/// The top-level `wrangler.toml` without its `[build]` table and with `main` pointing
/// at the built shim (absolute: the copy lives under `target/`).
fn built_config() -> Result<String> {
    let top = root().join("wrangler.toml");
    let text =
        std::fs::read_to_string(&top).map_err(|e| format!("gateway: {}: {e}", top.display()))?;
    let shim = shim();
    let mut out = String::new();
    let mut in_build = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_build = trimmed.starts_with("[build]");
        }
        if in_build {
            continue;
        }
        if trimmed.starts_with("main") && trimmed.contains('=') {
            out.push_str(&format!("main = {:?}\n", shim.display().to_string()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// The built Worker's entry point.
fn shim() -> PathBuf {
    root().join("crates/gateway/build/worker/shim.mjs")
}

/// worker-build of the gateway, pointed at the local wasm-bindgen, wasm-opt and esbuild
/// so it never downloads (the same recipe as `wrangler.toml`'s `[build]`).
pub fn build_command() -> Command {
    worker_build("crates/gateway")
}

/// `worker-build --release` of the Worker crate in `dir` (relative to the root) with the
/// local tools; it writes `dir/build/`.
pub fn worker_build(dir: &str) -> Command {
    let bin = root().join("node_modules").join(".bin");
    let mut c = cmd("worker-build");
    c.arg("--release")
        .current_dir(root().join(dir))
        .env("WASM_BINDGEN_BIN", "wasm-bindgen")
        .env("WASM_OPT_BIN", bin.join("wasm-opt"))
        .env("ESBUILD_BIN", bin.join("esbuild"));
    c
}

/// The gateway under `wrangler dev`, its process group killed on drop.
pub struct Running {
    child: Child,
    /// `http://127.0.0.1:PORT` (no trailing slash, no `/v1`).
    pub url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        util::stop_group(&mut self.child, Duration::from_secs(5));
    }
}

/// Starts the built Worker (building it first when `crates/gateway/build` has none)
/// under `wrangler dev` on a free port with exactly `values`, its output in
/// `target/xtask-gateway/NAME.log`, and waits (at most 180 s) until it answers.
pub fn start(name: &str, values: &[(&str, String)]) -> Result<Running> {
    if !shim().is_file() {
        util::run("gateway build (worker-build)", build_command())?;
    }
    let port = util::free_port()?;
    let log_path = root().join(format!("target/xtask-gateway/{name}.log"));
    let mut c = command(name, port, values, Worker::Built)?;
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("gateway: {}: {e}", log_path.display()))?;
    let log2 = log.try_clone().map_err(|e| format!("gateway: {e}"))?;
    c.stdout(log).stderr(log2).process_group(0);
    say(&format!(
        "==> gateway: {}  (log: {})",
        util::display(&c),
        util::rel(&log_path)
    ));
    let child = c
        .spawn()
        .map_err(|e| format!("gateway: cannot start npx wrangler: {e}"))?;
    let mut running = Running {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while !util::answers_http(port) {
        let exited = matches!(running.child.try_wait(), Ok(Some(_)));
        if exited || started.elapsed() > Duration::from_secs(180) {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(30)..].join("\n");
            return Err(format!(
                "gateway: {} before it answered; last lines of {}:\n{tail}",
                if exited {
                    "wrangler exited"
                } else {
                    "no answer within 180 s"
                },
                util::rel(&log_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    say(&format!("gateway at {}", running.url));
    Ok(running)
}

/// A gateway for the browser tests, wired to the simulator at `sim`: any origin, 1000
/// requests a minute, and `token` as its only accepted token (open when `None`).
pub fn start_for_tests(name: &str, sim: &str, token: Option<&str>) -> Result<Running> {
    let mut values = crate::dev::sim_wiring(sim);
    values.push(("CORS_ORIGINS", "*".to_owned()));
    values.push(("RATE_LIMIT_PER_MINUTE", "1000".to_owned()));
    if let Some(t) = token {
        values.push(("GATEWAY_TOKENS", t.to_owned()));
    }
    start(name, &values)
}
