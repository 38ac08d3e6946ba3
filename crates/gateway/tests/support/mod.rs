//! The e2e harness: the built Worker under `wrangler dev` with a generated config, and
//! helpers for the simulator's request log and faults.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const TOKEN: &str = "gw-test-token-7f3a";
const READY_WITHIN: Duration = Duration::from_secs(60);

/// One `wrangler dev` at a time: two starting together on a loaded 2-core machine can
/// miss the readiness bound.
pub static ONE_GATEWAY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The value of the answer's header `name`, when present and text.
pub fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A free loopback port (race-prone in theory, fine for one test process).
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `wrangler dev` in its own process group, killed with its children on drop.
pub struct Gateway {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its config, state and `wrangler.log`.
    pub dir: PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
        // The gateway's own output, for the key canary scan (`cargo xtask test`).
        if let Ok(log) = std::fs::read(self.dir.join("wrangler.log")) {
            capture("wrangler", &log);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Gateway {
    /// Starts the built Worker with `vars`, waiting (bounded) until it answers.
    pub async fn start(vars: &[(&str, String)]) -> Result<Gateway, Box<dyn std::error::Error>> {
        Gateway::start_with(vars, true).await
    }

    /// [`Gateway::start`] with no `RATE_LIMIT` KV binding at all (KV unavailable).
    #[allow(dead_code)] // not every test binary uses it
    pub async fn start_without_kv(
        vars: &[(&str, String)],
    ) -> Result<Gateway, Box<dyn std::error::Error>> {
        Gateway::start_with(vars, false).await
    }

    /// The structured log lines the Worker printed so far (one per request), parsed.
    #[allow(dead_code)] // not every test binary uses it
    pub fn request_logs(&self) -> Vec<Value> {
        let log = std::fs::read_to_string(self.dir.join("wrangler.log")).unwrap_or_default();
        log.lines()
            .filter(|line| line.starts_with('{'))
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|v| v.get("request_id").is_some())
            .collect()
    }

    async fn start_with(
        vars: &[(&str, String)],
        kv: bool,
    ) -> Result<Gateway, Box<dyn std::error::Error>> {
        let shim = root().join("crates/gateway/build/worker/shim.mjs");
        if !shim.is_file() {
            return Err(format!(
                "{} is missing: run `worker-build --release` in crates/gateway first (cargo xtask test does)",
                shim.display()
            )
            .into());
        }
        let port = free_port()?;
        let dir =
            std::env::temp_dir().join(format!("switchboard-gw-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let binding = if kv {
            "[[kv_namespaces]]\nbinding = \"RATE_LIMIT\"\nid = \"0000000000000000000000000000e2e0\"\n\n"
        } else {
            ""
        };
        let mut toml = format!(
            "name = \"switchboard-gateway-test\"\nmain = {:?}\ncompatibility_date = \"2026-04-01\"\n\n\
             {binding}[vars]\n",
            shim.canonicalize()?.display().to_string()
        );
        // Secrets go in `.dev.vars` beside the config, as `wrangler secret put` would
        // hold them in production: wrangler prints plain vars, and hides these.
        let mut secrets = String::new();
        for (name, value) in vars {
            if name.ends_with("_API_KEY") || *name == "GATEWAY_TOKENS" || *name == "ADMIN_TOKEN" {
                writeln!(secrets, "{name}={value:?}")?;
            } else {
                writeln!(toml, "{name} = {value:?}")?;
            }
        }
        std::fs::write(dir.join("wrangler.toml"), toml)?;
        std::fs::write(dir.join(".dev.vars"), secrets)?;
        let log = std::fs::File::create(dir.join("wrangler.log"))?;
        let child = Command::new("npx")
            .args([
                "wrangler",
                "dev",
                "--ip",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                // Its own inspector port, so a wrangler already running elsewhere
                // on this machine (default 9229) cannot make this one fail to start.
                "--inspector-port",
                &free_port()?.to_string(),
            ])
            .arg("--config")
            .arg(dir.join("wrangler.toml"))
            .arg("--persist-to")
            .arg(dir.join("state"))
            .current_dir(root())
            .env("WRANGLER_SEND_METRICS", "false")
            // Tests stay on loopback: no fetch of the `Request.cf` placeholder.
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("CI", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()?;
        let gateway = Gateway {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let probe = client
                .get(format!("{}/__ready", gateway.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if probe.is_ok() {
                return Ok(gateway);
            }
            if started.elapsed() > READY_WITHIN {
                let log =
                    std::fs::read_to_string(gateway.dir.join("wrangler.log")).unwrap_or_default();
                return Err(
                    format!("gateway not ready within {READY_WITHIN:?}; log:\n{log}").into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// The simulator's request log.
pub async fn sim_log(client: &reqwest::Client, sim: &str) -> Result<Vec<Value>, reqwest::Error> {
    client
        .get(format!("{sim}/__sim/requests"))
        .send()
        .await?
        .json()
        .await
}

/// Arms a simulator fault for the next request under `prefix`.
pub async fn arm(client: &reqwest::Client, sim: &str, fault: &str, prefix: &str) -> TestResult {
    arm_times(client, sim, fault, prefix, 1).await
}

/// Arms a simulator fault for the next `times` requests under `prefix`.
pub async fn arm_times(
    client: &reqwest::Client,
    sim: &str,
    fault: &str,
    prefix: &str,
    times: u32,
) -> TestResult {
    let r = client
        .post(format!("{sim}/__sim/faults"))
        .json(&json!({"fault": fault, "times": times, "path_prefix": prefix}))
        .send()
        .await?;
    assert!(r.status().is_success(), "arming {fault}: {}", r.status());
    Ok(())
}

/// A simulator with `config` and the test keys, and the gateway wired to it with the
/// rate limit off.
#[allow(dead_code)] // not every test binary uses it
pub async fn sim_and_gateway(
    config: switchboard_sim::Config,
) -> Result<(switchboard_sim::Server, Gateway), Box<dyn std::error::Error>> {
    let keys = keys();
    let sim = switchboard_sim::serve(switchboard_sim::Config {
        keys: keys.clone(),
        ..config
    })
    .await?;
    let mut vars = sim_vars(&sim.base_url(), &keys);
    vars.push(("RATE_LIMIT_PER_MINUTE", "0".to_owned()));
    let gw = Gateway::start(&vars).await?;
    Ok((sim, gw))
}

/// The variables that point a gateway at every provider of the simulator at `sim`, with
/// the simulator's keys.
#[allow(dead_code)] // not every test binary uses it
pub fn sim_vars(sim: &str, keys: &switchboard_sim::Keys) -> Vec<(&'static str, String)> {
    vec![
        ("SECRY_BASE_URL", format!("{sim}/secry/v1")),
        ("SECTON_BASE_URL", format!("{sim}/secton/v1")),
        ("AIRFORCE_BASE_URL", format!("{sim}/airforce")),
        ("SIRAYA_BASE_URL", format!("{sim}/siraya/v1")),
        (
            "GEMINI_PROXY_BASE_URL",
            format!("{sim}/gemini-proxy/api/v1"),
        ),
        ("SECRY_API_KEY", keys.secry.clone()),
        ("SECTON_API_KEY", keys.secton.clone()),
        ("AIRFORCE_API_KEY", keys.airforce.clone()),
        ("SIRAYA_API_KEY", keys.siraya.clone()),
        ("GEMINI_PROXY_API_KEY", keys.gemini.clone()),
    ]
}

/// The simulator's keys for this run: `cargo xtask test` puts fresh canaries in
/// `SIM_*_KEY` (and the same in the gateway's `*_API_KEY`); a test run on its own gets
/// the simulator's fixed keys.
#[allow(dead_code)] // not every test binary uses it
pub fn keys() -> switchboard_sim::Keys {
    let fixed = switchboard_sim::Keys::default();
    let key = |var: &str, fixed: String| {
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or(fixed)
    };
    switchboard_sim::Keys {
        secry: key("SIM_SECRY_KEY", fixed.secry),
        secton: key("SIM_SECTON_KEY", fixed.secton),
        airforce: key("SIM_AIRFORCE_KEY", fixed.airforce),
        siraya: key("SIM_SIRAYA_KEY", fixed.siraya),
        gemini: key("SIM_GEMINI_KEY", fixed.gemini),
    }
}

/// Keeps `bytes` (a body, headers, events, an error message, a log seen through the
/// gateway) under `SWITCHBOARD_CAPTURE_DIR` for the key canary scan; a no-op when it is
/// not set. Files are named `<label>-<pid>-<n>`.
#[allow(dead_code)] // not every test binary uses it
pub fn capture(label: &str, bytes: &[u8]) {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some(dir) = std::env::var_os("SWITCHBOARD_CAPTURE_DIR").filter(|d| !d.is_empty()) else {
        return;
    };
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = PathBuf::from(dir);
    let name = format!("{label}-{}-{n}", std::process::id());
    if let Err(e) =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(&name), bytes))
    {
        eprintln!("capture {name}: {e}");
    }
}
