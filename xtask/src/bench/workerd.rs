//! Bare workerd for the benchmarks: one process, one socket per Worker, every Worker
//! pointing at the same upstream. The config and copies of the Workers' modules go to
//! `target/xtask-bench/` (copies, so a concurrent rebuild cannot change what runs).
//!
//! The Workers: a JS pass-through (the JS floor), the workers-rs pass-through in
//! `crates/bench-floor` (the wasm floor), and the gateway with its real configuration:
//! a gateway token required, the KV rate limiter on with a limit no run reaches, its
//! `RATE_LIMIT` binding a `kvNamespace` backed by a small in-memory KV Worker, and a
//! stream cap of 200 MiB (above the default 64 MiB) for the 100 MB stream.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{self, Result, root};

/// Gateway token the benchmark sends.
pub const TOKEN: &str = "bench-token";

/// The JS floor: forwards method, headers and body to `UPSTREAM` + path.
const JS_FLOOR: &str = "export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname, {
      method: request.method, headers: request.headers, body: request.body,
    });
  },
};
";

/// A JS Worker that touches every chunk: the JS floor with its body piped through an
/// identity `TransformStream`, the least any Worker that looks at a stream pays.
const JS_TRANSFORM: &str = "export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const r = await fetch(env.UPSTREAM + url.pathname, {
      method: request.method, headers: request.headers, body: request.body,
    });
    return new Response(r.body.pipeThrough(new TransformStream()), r);
  },
};
";

/// A KV namespace in memory, answering workerd's KV protocol (GET/PUT/DELETE on the
/// key's path; 404 for a missing key).
const KV: &str = "const store = new Map();
export default {
  async fetch(request) {
    const key = decodeURIComponent(new URL(request.url).pathname.slice(1));
    if (request.method === 'PUT') { store.set(key, await request.arrayBuffer()); return new Response(null); }
    if (request.method === 'DELETE') { store.delete(key); return new Response(null); }
    const value = store.get(key);
    return value === undefined ? new Response(null, { status: 404 }) : new Response(value);
  },
};
";

/// A running workerd and the ports of its Workers. Dropping it kills its process group.
pub struct Workerd {
    child: Child,
    /// Port of the JS floor.
    pub js: u16,
    /// Port of the JS Worker that pipes each chunk through a `TransformStream`.
    pub js_transform: u16,
    /// Port of the workers-rs floor.
    pub rs: u16,
    /// Port of the gateway.
    pub gateway: u16,
}

impl Workerd {
    /// The workerd process id (for its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Workerd {
    fn drop(&mut self) {
        util::stop_group(&mut self.child, Duration::ZERO);
    }
}

/// The workerd binary from the npm package wrangler brings.
pub fn binary() -> PathBuf {
    root().join("node_modules/@cloudflare/workerd-linux-64/bin/workerd")
}

/// Copies worker-build's output (`index.js`, `index_bg.wasm`) from `build` into `to`.
fn copy_build(build: &Path, to: &Path) -> Result {
    fs::create_dir_all(to).map_err(|e| format!("workerd: {}: {e}", to.display()))?;
    for name in ["index.js", "index_bg.wasm"] {
        fs::copy(build.join(name), to.join(name))
            .map_err(|e| format!("workerd: {}: {e}", build.join(name).display()))?;
    }
    Ok(())
}

/// The capnp text of one workers-rs Worker (`dir` holds its modules).
fn rust_worker(name: &str, dir: &str, bindings: &str) -> String {
    format!(
        "const {name} :Workerd.Worker = (\n  modules = [\n    (name = \"index.js\", esModule = embed \"{dir}/index.js\"),\n    (name = \"index_bg.wasm\", wasm = embed \"{dir}/index_bg.wasm\"),\n  ],\n  compatibilityDate = \"2026-04-01\",\n  bindings = [{bindings}],\n);\n"
    )
}

/// Writes the config and starts workerd; returns once all three Workers answer.
pub fn start(upstream: u16, gateway_build: &Path, floor_build: &Path) -> Result<Workerd> {
    let dir = root().join("target/xtask-bench");
    copy_build(gateway_build, &dir.join("gateway"))?;
    copy_build(floor_build, &dir.join("floor"))?;
    let write = |name: &str, text: &str| {
        fs::write(dir.join(name), text).map_err(|e| format!("workerd: {name}: {e}"))
    };
    write("js-floor.js", JS_FLOOR)?;
    write("js-transform.js", JS_TRANSFORM)?;
    write("kv.js", KV)?;
    let (js, rs, gateway) = (util::free_port()?, util::free_port()?, util::free_port()?);
    let js_transform = util::free_port()?;
    let up = format!("http://127.0.0.1:{upstream}");
    let text = |name: &str, value: &str| format!("(name = \"{name}\", text = \"{value}\")");
    let gateway_bindings = [
        text("OPENAI_BASE_URL", &format!("{up}/v1")),
        text("OPENAI_API_KEY", "sk-bench"),
        text("GATEWAY_TOKENS", TOKEN),
        text("RATE_LIMIT_PER_MINUTE", "100000000"),
        // The 100 MB stream is past the default 64 MiB stream cap.
        text("MAX_STREAM_BYTES", "209715200"),
        "(name = \"RATE_LIMIT\", kvNamespace = \"kv\")".to_owned(),
    ]
    .join(", ");
    let config = format!(
        "using Workerd = import \"/workerd/workerd.capnp\";\n\
const config :Workerd.Config = (\n  services = [\n\
    (name = \"js-floor\", worker = .jsFloor),\n\
    (name = \"js-transform\", worker = .jsTransform),\n\
    (name = \"rs-floor\", worker = .rsFloor),\n\
    (name = \"gateway\", worker = .gateway),\n\
    (name = \"kv\", worker = .kv),\n\
    (name = \"internet\", network = (allow = [\"public\", \"private\", \"local\"])),\n  ],\n  sockets = [\n\
    (name = \"js\", address = \"127.0.0.1:{js}\", http = (), service = \"js-floor\"),\n\
    (name = \"jst\", address = \"127.0.0.1:{js_transform}\", http = (), service = \"js-transform\"),\n\
    (name = \"rs\", address = \"127.0.0.1:{rs}\", http = (), service = \"rs-floor\"),\n\
    (name = \"gw\", address = \"127.0.0.1:{gateway}\", http = (), service = \"gateway\"),\n  ],\n);\n\
const jsFloor :Workerd.Worker = (\n  modules = [(name = \"worker.js\", esModule = embed \"js-floor.js\")],\n  compatibilityDate = \"2026-04-01\",\n  bindings = [{}],\n);\n\
const jsTransform :Workerd.Worker = (\n  modules = [(name = \"worker.js\", esModule = embed \"js-transform.js\")],\n  compatibilityDate = \"2026-04-01\",\n  bindings = [{}],\n);\n\
const kv :Workerd.Worker = (\n  modules = [(name = \"kv.js\", esModule = embed \"kv.js\")],\n  compatibilityDate = \"2026-04-01\",\n);\n{}{}",
        text("UPSTREAM", &up),
        text("UPSTREAM", &up),
        rust_worker("rsFloor", "floor", &text("UPSTREAM", &up)),
        rust_worker("gateway", "gateway", &gateway_bindings),
    );
    write("config.capnp", &config)?;
    let log =
        fs::File::create(dir.join("workerd.log")).map_err(|e| format!("workerd: log: {e}"))?;
    let log2 = log.try_clone().map_err(|e| format!("workerd: log: {e}"))?;
    let child = Command::new(binary())
        .current_dir(&dir)
        .args(["serve", "config.capnp"])
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .map_err(|e| format!("workerd: cannot start {}: {e}", binary().display()))?;
    let mut w = Workerd {
        child,
        js,
        js_transform,
        rs,
        gateway,
    };
    let started = Instant::now();
    for port in [js, js_transform, rs, gateway] {
        while !util::answers_http(port) {
            if let Ok(Some(status)) = w.child.try_wait() {
                let log = fs::read_to_string(dir.join("workerd.log")).unwrap_or_default();
                return Err(format!("workerd exited ({status}):\n{log}"));
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err(
                    "workerd: no answer within 30 s (see target/xtask-bench/workerd.log)"
                        .to_owned(),
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(w)
}
