//! Shared helpers: the repository root, the tool `PATH`, running commands with timing,
//! reading versions, the step summary table, and loopback ports and probes.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Errors are plain messages: xtask prints them and exits non-zero.
pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (the parent of the `xtask` package).
pub fn root() -> PathBuf {
    // `cargo run` sets CARGO_MANIFEST_DIR at run time; fall back to the build-time value.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Where `cargo install` puts binaries: `$CARGO_HOME/bin`, else `~/.cargo/bin`.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Some(PathBuf::from(home).join("bin"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo").join("bin"))
}

/// `PATH` for child processes: the project's npm tools first (Debian's `wasm-opt` is
/// too old), then cargo's bin directory, then the inherited `PATH`.
pub fn tool_path() -> OsString {
    let mut dirs = vec![root().join("node_modules").join(".bin")];
    dirs.extend(cargo_bin_dir());
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// A command run from the repository root with the tool `PATH`.
pub fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root()).env("PATH", tool_path());
    c
}

/// A command line as a user would type it, for logs.
pub fn display(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Formats a duration as `1m02s` or `3.4s`.
pub fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!("{s:.1}s")
    }
}

/// Prints a line and flushes at once (steps run concurrently during setup).
pub fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs a command with inherited output; fails with the step name if it fails.
pub fn run(name: &str, mut c: Command) -> Result<Duration> {
    say(&format!("==> {name}: {}", display(&c)));
    let start = Instant::now();
    let status = c
        .status()
        .map_err(|e| format!("{name}: cannot start `{}`: {e}", display(&c)))?;
    let took = start.elapsed();
    if status.success() {
        say(&format!("<== {name}: ok ({})", fmt_dur(took)));
        Ok(took)
    } else {
        Err(format!("{name}: `{}` failed ({status})", display(&c)))
    }
}

/// Runs a command with stdout and stderr going to a log file under `target/xtask/logs`
/// (for steps that run concurrently). On failure, the log's tail goes into the error.
pub fn run_logged(name: &str, mut c: Command) -> Result<Duration> {
    let dir = root().join("target").join("xtask").join("logs");
    fs::create_dir_all(&dir).map_err(|e| format!("{name}: {}: {e}", dir.display()))?;
    let slug: String = name
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
        .collect();
    let log = dir.join(format!("{slug}.log"));
    let file = fs::File::create(&log).map_err(|e| format!("{name}: {}: {e}", log.display()))?;
    let file2 = file.try_clone().map_err(|e| format!("{name}: {e}"))?;
    say(&format!(
        "==> {name}: {}  (log: {})",
        display(&c),
        rel(&log)
    ));
    let start = Instant::now();
    let status = c
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(file2)
        .status()
        .map_err(|e| format!("{name}: cannot start `{}`: {e}", display(&c)))?;
    let took = start.elapsed();
    if status.success() {
        say(&format!("<== {name}: ok ({})", fmt_dur(took)));
        return Ok(took);
    }
    let text = fs::read_to_string(&log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    Err(format!(
        "{name}: `{}` failed ({status}); last lines of {}:\n{tail}",
        display(&c),
        rel(&log)
    ))
}

/// A path relative to the repository root when it is inside it.
pub fn rel(p: &Path) -> String {
    let root = root();
    p.strip_prefix(&root).unwrap_or(p).display().to_string()
}

/// The trimmed stdout of a command that succeeded, or `None`.
pub fn capture(mut c: Command) -> Option<String> {
    let out = c.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The first line of `<tool> --version`, if the tool runs.
pub fn tool_version(tool: &str) -> Option<String> {
    let mut c = cmd(tool);
    c.arg("--version");
    capture(c).map(|s| s.lines().next().unwrap_or_default().to_owned())
}

/// Whether `name` is an executable file in one of the `PATH` directories.
pub fn on_path(name: &str) -> bool {
    std::env::split_paths(&tool_path()).any(|d| d.join(name).is_file())
}

/// The `version` of `[[package]] name = <name>` in a Cargo.lock text (first match).
pub fn lock_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let next = lines.next()?.trim();
            return quoted_value(next.strip_prefix("version")?);
        }
    }
    None
}

/// The value of a `key = "value"` line's right-hand side (`= "x"` → `x`).
fn quoted_value(rest: &str) -> Option<String> {
    let rest = rest.trim_start().strip_prefix('=')?.trim();
    Some(rest.strip_prefix('"')?.split('"').next()?.to_owned())
}

/// The exact pin `name = "=X"` in a Cargo.toml text, as `X`.
pub fn exact_pin(toml: &str, name: &str) -> Option<String> {
    toml.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(name)?;
        quoted_value(rest)?.strip_prefix('=').map(str::to_owned)
    })
}

/// The `"version"` field of an npm `package.json` text.
pub fn npm_version(package_json: &str) -> Option<String> {
    package_json.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("\"version\"")?;
        let rest = rest.trim_start().strip_prefix(':')?.trim();
        Some(rest.strip_prefix('"')?.split('"').next()?.to_owned())
    })
}

/// Durations of the steps run so far, printed as a table at the end.
#[derive(Default)]
pub struct Summary {
    rows: Vec<(String, Duration, &'static str)>,
}

impl Summary {
    /// Records a step.
    pub fn push(&mut self, name: impl Into<String>, took: Duration, status: &'static str) {
        self.rows.push((name.into(), took, status));
    }

    /// Prints the table and the total.
    pub fn print(&self, title: &str, total: Duration) {
        let width = self
            .rows
            .iter()
            .map(|r| r.0.len())
            .max()
            .unwrap_or(4)
            .max(5);
        say(&format!("\n{title}"));
        say(&format!("  {:<width$}  {:>8}  status", "step", "time"));
        for (name, took, status) in &self.rows {
            say(&format!(
                "  {name:<width$}  {:>8}  {status}",
                fmt_dur(*took)
            ));
        }
        say(&format!("  {:<width$}  {:>8}", "total", fmt_dur(total)));
    }
}

/// A free loopback port (bound, read, released: another process may take it before it
/// is used again, which is rare).
pub fn free_port() -> Result<u16> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// Whether something on `127.0.0.1:port` answers an HTTP request (`GET /__ready`) within
/// 5 s. A connect is not enough: `wrangler dev` accepts connections while it is still
/// building the Worker.
pub fn answers_http(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    let request = "GET /__ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let mut head = [0u8; 5];
    s.write_all(request.as_bytes()).is_ok() && s.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

/// Stops `child`'s process group (it was started with `process_group(0)`): `SIGTERM`,
/// up to `grace` for it to exit, then `SIGKILL`; then reaps the child.
pub fn stop_group(child: &mut std::process::Child, grace: Duration) {
    let group = format!("-{}", child.id());
    if !grace.is_zero() {
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lock_and_pins() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            lock_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(lock_version(lock, "serde"), None);
        let toml = "serde = \"1\"\nwasm-bindgen = \"=0.2.130\"\n";
        assert_eq!(exact_pin(toml, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(exact_pin("wasm-bindgen = \"0.2\"", "wasm-bindgen"), None);
        let pkg = "{\n  \"name\": \"binaryen\",\n  \"version\": \"132.0.0\",\n}";
        assert_eq!(npm_version(pkg).as_deref(), Some("132.0.0"));
    }

    #[test]
    fn formats_durations() {
        assert_eq!(fmt_dur(Duration::from_millis(3400)), "3.4s");
        assert_eq!(fmt_dur(Duration::from_secs(62)), "1m02s");
    }
}
