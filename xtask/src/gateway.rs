//! `cargo xtask gateway [--port P]`: builds and runs only the gateway under `wrangler
//! dev` (the top-level `wrangler.toml`, whose `[build]` runs worker-build), passing the
//! gateway's variables through from our environment, and prints
//! `ready on http://127.0.0.1:PORT` once it answers. `cargo xtask dev` uses
//! [`command`] with the simulator's URLs and keys.
//!
//! Variables reach the Worker through a generated env file
//! (`target/xtask-gateway/*.env`, `wrangler dev --env-file`), so keys are never on a
//! command line and wrangler does not print their values.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Result, cmd, root, say};

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
    let mut child = command("gateway", port, &[])?
        .spawn()
        .map_err(|e| format!("gateway: cannot start npx wrangler: {e}"))?;
    let started = Instant::now();
    loop {
        if answers(port) {
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

/// `npx wrangler dev` on `port` with the gateway's variables: `defaults`, overridden by
/// any of [`VARS`] set in our environment. `name` names the generated env file.
pub fn command(name: &str, port: u16, defaults: &[(&str, String)]) -> Result<Command> {
    let mut values: Vec<(&str, String)> = defaults.to_vec();
    for var in VARS {
        if let Ok(v) = std::env::var(var) {
            values.retain(|(k, _)| k != var);
            values.push((var, v));
        }
    }
    let mut text = String::new();
    for (k, v) in &values {
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
        .args(["--persist-to", ".wrangler/state", "--env-file"])
        .arg(&env_file)
        .env("WRANGLER_SEND_METRICS", "false")
        .stdin(Stdio::null());
    Ok(c)
}

/// Whether something answers HTTP on `127.0.0.1:port`.
fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /__ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if s.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 5];
    s.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}
