//! The peers a user would pick instead of Switchboard, pointed at the same upstream:
//! Portkey's gateway (`@portkey-ai/gateway`, its Node server) and the LiteLLM proxy
//! (`litellm[proxy]`, one worker, logging off). Each is installed on first use into
//! `target/xtask-bench/peers/` (npm, a Python venv) and runs in its own process group,
//! killed when its [`Peer`] is dropped.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{self, Result, cmd, root};

/// Portkey's gateway version (npm).
pub const PORTKEY_VERSION: &str = "1.15.2";
/// LiteLLM proxy version (PyPI).
pub const LITELLM_VERSION: &str = "1.108.7";

/// A running peer.
pub struct Peer {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The `authorization` header value it wants.
    pub auth: String,
    /// Other request headers it needs (routing).
    pub headers: Vec<String>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        util::stop_group(&mut self.child, Duration::ZERO);
    }
}

/// Where peers are installed.
fn dir() -> PathBuf {
    root().join("target/xtask-bench/peers")
}

/// Starts `c` in its own group, logging to `log`, and waits until `port` answers.
fn spawn(mut c: Command, port: u16, log: &str, auth: String, headers: Vec<String>) -> Result<Peer> {
    let path = dir().join(log);
    let file = fs::File::create(&path).map_err(|e| format!("{log}: {e}"))?;
    let file2 = file.try_clone().map_err(|e| format!("{log}: {e}"))?;
    c.process_group(0)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(file2);
    let child = c
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", util::display(&c)))?;
    let mut peer = Peer {
        child,
        port,
        auth,
        headers,
    };
    let started = Instant::now();
    while !util::answers_http(port) {
        if let Ok(Some(status)) = peer.child.try_wait() {
            return Err(format!(
                "exited ({status}) at start; see {}",
                util::rel(&path)
            ));
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!("no answer within 120 s; see {}", util::rel(&path)));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(peer)
}

/// Loaded into Portkey's Node process before its server (`node --import`): gives
/// each `fetch` answer a mutable copy of its headers. Portkey 1.15.2 passes an
/// OpenAI stream on as `new Response(body, upstreamResponse)`; under
/// `@hono/node-server`'s `Response` that shares the upstream's immutable `Headers`, so
/// its own `headers.append` then throws `TypeError: immutable` and every stream answers
/// 500, whatever the upstream sends. The copy costs Portkey one `Headers` per answer.
const PORTKEY_PRELOAD: &str = "const upstreamFetch = globalThis.fetch;
const FetchResponse = globalThis.Response;
globalThis.fetch = async (...args) => {
  const r = await upstreamFetch(...args);
  const init = { status: r.status, statusText: r.statusText, headers: new Headers(r.headers) };
  return new FetchResponse(r.body, init);
};
";

/// Portkey's Node server, routed to the upstream with its `x-portkey-*` headers.
pub fn portkey(upstream: u16) -> Result<Peer> {
    let home = dir().join("portkey");
    let server = home.join("node_modules/@portkey-ai/gateway/build/start-server.js");
    if !server.is_file() {
        fs::create_dir_all(&home).map_err(|e| format!("portkey: {e}"))?;
        fs::write(home.join("package.json"), "{\"private\":true}\n")
            .map_err(|e| format!("portkey: {e}"))?;
        let mut c = cmd("npm");
        c.current_dir(&home)
            .args(["install", "--no-audit", "--no-fund", "--ignore-scripts"])
            .arg(format!("@portkey-ai/gateway@{PORTKEY_VERSION}"));
        util::run_logged("install Portkey (npm)", c)?;
    }
    let preload = home.join("mutable-headers.mjs");
    fs::write(&preload, PORTKEY_PRELOAD).map_err(|e| format!("portkey: {e}"))?;
    let port = util::free_port()?;
    let mut c = cmd("node");
    c.current_dir(&home)
        .arg("--import")
        .arg(&preload)
        .arg(&server)
        .arg(format!("--port={port}"))
        .arg("--headless");
    let headers = vec![
        "x-portkey-provider: openai".to_owned(),
        format!("x-portkey-custom-host: http://127.0.0.1:{upstream}/v1"),
    ];
    spawn(
        c,
        port,
        "portkey.log",
        "Bearer sk-bench".to_owned(),
        headers,
    )
}

/// The LiteLLM proxy, one model `openai/bench` at the upstream.
pub fn litellm(upstream: u16) -> Result<Peer> {
    let venv = dir().join("litellm");
    let bin = venv.join("bin/litellm");
    if !bin.is_file() {
        let mut c = cmd("python3");
        c.args(["-m", "venv"]).arg(&venv);
        util::run_logged("LiteLLM venv", c)?;
        let mut c = Command::new(venv.join("bin/pip"));
        c.args(["install", "-q"])
            .arg(format!("litellm[proxy]=={LITELLM_VERSION}"));
        util::run_logged("install LiteLLM (pip)", c)?;
    }
    let config = dir().join("litellm.yaml");
    let text = format!(
        "model_list:\n  - model_name: openai/bench\n    litellm_params:\n      model: openai/bench\n      api_base: http://127.0.0.1:{upstream}/v1\n      api_key: sk-bench\n\
general_settings:\n  master_key: sk-bench-master\n"
    );
    fs::write(&config, text).map_err(|e| format!("litellm: {e}"))?;
    let port = util::free_port()?;
    let mut c = Command::new(&bin);
    c.current_dir(dir())
        .arg("--config")
        .arg(&config)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--num_workers", "1"])
        .env("LITELLM_LOG", "ERROR")
        .env("LITELLM_LOCAL_MODEL_COST_MAP", "True");
    spawn(
        c,
        port,
        "litellm.log",
        "Bearer sk-bench-master".to_owned(),
        Vec::new(),
    )
}
