//! `cargo xtask dev`: setup, then run every local service that exists (the simulator,
//! the gateway under `wrangler dev`), print where each listens, and stop them all
//! together.
//!
//! Each service runs in its own process group so that its whole tree (cargo and the
//! simulator, npx and workerd) can be killed. A small `sh` watchdog holds the read end of
//! a pipe whose write end only this process has: when xtask exits for any reason,
//! Ctrl-C included, the pipe closes and the watchdog kills every service's group.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{self, Result, cmd, root, say};

/// Port the simulator listens on in dev.
pub const SIM_PORT: u16 = 8790;
/// Port `wrangler dev` listens on.
pub const GATEWAY_PORT: u16 = 8787;

/// A long-running local service.
struct Service {
    /// Prefix for its output lines.
    name: &'static str,
    /// How to start it.
    command: Command,
    /// Text in its output that is followed by the URL it serves.
    ready_marker: &'static str,
    /// A port to probe with HTTP after the marker, before saying it listens (`wrangler
    /// dev` prints its marker, then builds the Worker a second time while requests wait).
    probe: Option<u16>,
}

/// Runs setup, then the services until one exits or Ctrl-C.
pub fn run() -> Result {
    crate::setup::run()?;
    let services: Vec<Service> = [sim_service(), gateway_service()]
        .into_iter()
        .flatten()
        .collect();
    if services.is_empty() {
        say("dev: nothing to run yet (no crates/sim, no crates/gateway)");
        return Ok(());
    }
    let mut children = Vec::new();
    for mut s in services {
        s.command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        say(&format!("==> {}: {}", s.name, util::display(&s.command)));
        let mut child = s
            .command
            .spawn()
            .map_err(|e| format!("{}: cannot start: {e}", s.name))?;
        if let Some(out) = child.stdout.take() {
            relay(s.name, s.ready_marker, s.probe, out);
        }
        if let Some(err) = child.stderr.take() {
            relay(s.name, s.ready_marker, s.probe, err);
        }
        children.push((s.name, child));
    }
    let groups: Vec<u32> = children.iter().map(|(_, c)| c.id()).collect();
    let watchdog = watchdog(&groups)?;
    let gateway = children.iter().any(|(name, _)| *name == "gateway");
    if let Err(e) = crate::playground::dev(gateway) {
        say(&format!("dev: playground skipped: {e}"));
    }
    say("dev: running; Ctrl-C stops everything");
    let result = wait_any(&mut children);
    stop(watchdog);
    for (_, child) in &mut children {
        let _ = child.wait();
    }
    result
}

/// The simulator, once `crates/sim` exists.
fn sim_service() -> Option<Service> {
    if !root().join("crates/sim").is_dir() {
        return None;
    }
    let port = SIM_PORT.to_string();
    let mut command = cmd("cargo");
    // Streams paced so the playground shows tokens arriving (a request header overrides).
    command.args(sim_args(&["--port", &port, "--chunk-delay-ms", "40"]));
    Some(Service {
        name: "sim",
        command,
        ready_marker: "listening on ",
        probe: None,
    })
}

/// `cargo run` arguments for the simulator with `extra` passed through.
pub fn sim_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "--quiet",
        "-p",
        "switchboard-sim",
        "--profile",
        "native",
        "--",
    ];
    args.extend_from_slice(extra);
    args
}

/// Hook: the gateway under `wrangler dev`, once `crates/gateway` and `wrangler.toml` exist,
/// wired to the simulator (its base URLs and default keys; the environment overrides).
fn gateway_service() -> Option<Service> {
    let root = root();
    if !root.join("crates/gateway").is_dir() || !root.join("wrangler.toml").is_file() {
        return None;
    }
    let wiring = crate::gateway::with_env(&sim_wiring(&format!("http://127.0.0.1:{SIM_PORT}")));
    match crate::gateway::command(
        "dev",
        GATEWAY_PORT,
        &wiring,
        crate::gateway::Worker::Rebuild,
    ) {
        Ok(command) => Some(Service {
            name: "gateway",
            command,
            ready_marker: "Ready on ",
            probe: Some(GATEWAY_PORT),
        }),
        Err(e) => {
            say(&format!("dev: gateway skipped: {e}"));
            None
        }
    }
}

/// The gateway variables that point it at the simulator at `sim`: each provider's base
/// URL (the simulator's prefix) and the simulator's default key.
pub fn sim_wiring(sim: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SECRY_BASE_URL", format!("{sim}/secry/v1")),
        ("SECTON_BASE_URL", format!("{sim}/secton/v1")),
        ("AIRFORCE_BASE_URL", format!("{sim}/airforce")),
        ("SIRAYA_BASE_URL", format!("{sim}/siraya/v1")),
        (
            "GEMINI_PROXY_BASE_URL",
            format!("{sim}/gemini-proxy/api/v1"),
        ),
        ("SECRY_API_KEY", "sk-sim-secry".to_owned()),
        ("SECTON_API_KEY", "sk-sim-secton".to_owned()),
        ("AIRFORCE_API_KEY", "sk-sim-airforce".to_owned()),
        ("SIRAYA_API_KEY", "sk-sim-siraya".to_owned()),
        ("GEMINI_PROXY_API_KEY", "sk-sim-gemini".to_owned()),
    ]
}

/// Copies a service's output to ours, line by line with its name in front, and
/// announces the URL when the ready marker shows up (and `probe`, if given, answers).
fn relay(
    name: &'static str,
    marker: &'static str,
    probe: Option<u16>,
    stream: impl Read + Send + 'static,
) {
    thread::spawn(move || {
        for line in BufReader::new(stream)
            .lines()
            .map_while(std::io::Result::ok)
        {
            say(&format!("[{name}] {line}"));
            if let Some(at) = line.find(marker) {
                let url = line[at + marker.len()..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                announce(name, url, probe);
            }
        }
    });
}

/// Starts the watchdog that kills the given process groups when our end of its stdin
/// closes (we exit, are killed or stop it).
fn watchdog(groups: &[u32]) -> Result<Child> {
    let script = r#"trap '' INT HUP; read _ignored
for g in "$@"; do kill -TERM -"$g" 2>/dev/null; done
sleep 3
for g in "$@"; do kill -KILL -"$g" 2>/dev/null; done
exit 0"#;
    let mut c = Command::new("sh");
    c.arg("-c").arg(script).arg("sh");
    c.args(groups.iter().map(u32::to_string));
    c.process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    c.spawn()
        .map_err(|e| format!("dev: cannot start the watchdog: {e}"))
}

/// Waits until one service exits; returns an error naming it unless it exited cleanly.
fn wait_any(children: &mut [(&'static str, Child)]) -> Result {
    loop {
        for (name, child) in children.iter_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                say(&format!("dev: {name} exited ({status}); stopping the rest"));
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("{name} exited ({status})"))
                };
            }
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Tells the watchdog to kill every group now, and waits for it.
fn stop(mut watchdog: Child) {
    if let Some(mut stdin) = watchdog.stdin.take() {
        let _ = stdin.write_all(b"stop\n");
    }
    let _ = watchdog.wait();
}

/// Says that `name` listens on `url`, once `probe` (if any) answers HTTP: at most 300 s
/// of probing, in a thread of its own so the output keeps flowing.
fn announce(name: &'static str, url: String, probe: Option<u16>) {
    let Some(port) = probe else {
        say(&format!("==> {name} is listening on {url}"));
        return;
    };
    thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(300);
        while !util::answers_http(port) {
            if Instant::now() > deadline {
                say(&format!("==> {name}: {url} did not answer within 300 s"));
                return;
            }
            thread::sleep(Duration::from_millis(250));
        }
        say(&format!("==> {name} is listening on {url}"));
    });
}
