//! The key canary: `cargo xtask test` gives every provider a fresh random key per run
//! (`sk-canary-<provider>-<hex>`), hands it to the simulators and gateways the gateway
//! steps start (`SIM_*_KEY`, `*_API_KEY`), has those steps write what they saw through
//! the gateway under `SWITCHBOARD_CAPTURE_DIR`, and ends with a scan of that directory
//! that fails on any key, raw or encoded (base64, base64url, percent- or JSON-escaped).
//!
//! Direct mode (the browser holding a provider key) is out of scope by design, so the
//! client and playground steps keep the simulator's fixed keys.

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::test::Step;
use crate::util::{self, Result, root, say};

/// The variable naming the capture directory.
pub const CAPTURE_ENV: &str = "SWITCHBOARD_CAPTURE_DIR";

/// The hidden xtask command behind the scan step.
pub const SCAN_COMMAND: &str = "canary-scan";

/// Each provider: its name in the key, the simulator's variable, the gateway's variable,
/// and the simulator's fixed key (never to be seen through the gateway either).
const PROVIDERS: &[(&str, &str, &str, &str)] = &[
    ("secry", "SIM_SECRY_KEY", "SECRY_API_KEY", "sk-sim-secry"),
    (
        "secton",
        "SIM_SECTON_KEY",
        "SECTON_API_KEY",
        "sk-sim-secton",
    ),
    (
        "airforce",
        "SIM_AIRFORCE_KEY",
        "AIRFORCE_API_KEY",
        "sk-sim-airforce",
    ),
    (
        "siraya",
        "SIM_SIRAYA_KEY",
        "SIRAYA_API_KEY",
        "sk-sim-siraya",
    ),
    (
        "gemini",
        "SIM_GEMINI_KEY",
        "GEMINI_PROXY_API_KEY",
        "sk-sim-gemini",
    ),
];

/// This run's keys, one per provider, made on first use; the capture directory is
/// emptied at the same moment so it holds only this run's captures.
fn keys() -> &'static [String] {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let _ = fs::remove_dir_all(run_dir());
        generate()
    })
}

/// Fresh keys, one per provider.
fn generate() -> Vec<String> {
    PROVIDERS
        .iter()
        .map(|(name, ..)| format!("sk-canary-{name}-{}", random_hex()))
        .collect()
}

/// 32 random hex digits (std's per-process random hasher seeds, twice).
fn random_hex() -> String {
    let a = RandomState::new().hash_one(std::process::id());
    let b = RandomState::new().hash_one(std::time::SystemTime::now());
    format!("{a:016x}{b:016x}")
}

/// The capture directory `cargo xtask test` uses.
fn run_dir() -> PathBuf {
    root().join("target/canary-capture")
}

/// Gives `command` this run's keys and the capture directory.
pub fn arm(command: &mut Command) {
    for ((_, sim_var, gateway_var, _), key) in PROVIDERS.iter().zip(keys()) {
        command.env(sim_var, key).env(gateway_var, key);
    }
    command.env(CAPTURE_ENV, run_dir());
}

/// The final test step: scans the capture directory for this run's keys.
pub fn scan_step() -> Step {
    let exe = std::env::current_exe().unwrap_or_else(|_| "cargo-xtask".into());
    let mut command = Command::new(exe);
    command.arg(SCAN_COMMAND).current_dir(root());
    arm(&mut command);
    Step {
        name: "key canary scan".to_owned(),
        command,
    }
}

/// The capture directory from the environment, when a run asked for captures.
pub fn capture_dir() -> Option<PathBuf> {
    std::env::var_os(CAPTURE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Writes one captured artifact.
pub fn capture(dir: &Path, name: &str, bytes: &[u8]) -> Result {
    fs::create_dir_all(dir).map_err(|e| format!("capture: {}: {e}", dir.display()))?;
    let path = dir.join(name);
    fs::write(&path, bytes).map_err(|e| format!("capture: {}: {e}", path.display()))
}

/// `cargo xtask canary-scan`: the keys in our environment (and the fixed ones) must
/// appear nowhere under the capture directory, which must hold something.
pub fn scan_command() -> Result {
    let dir = capture_dir().ok_or(format!("{SCAN_COMMAND}: {CAPTURE_ENV} is not set"))?;
    let mut secrets: Vec<String> = PROVIDERS.iter().map(|p| p.3.to_owned()).collect();
    for (_, sim_var, gateway_var, _) in PROVIDERS {
        secrets.extend(
            [sim_var, gateway_var]
                .iter()
                .filter_map(|v| std::env::var(v).ok()),
        );
    }
    secrets.sort();
    secrets.dedup();
    let (files, hits) = scan(&dir, &secrets)?;
    if files == 0 {
        return Err(format!(
            "{SCAN_COMMAND}: nothing was captured under {}",
            util::rel(&dir)
        ));
    }
    if let Some(first) = hits.first() {
        let list: Vec<String> = hits.iter().map(ToString::to_string).collect();
        return Err(format!(
            "{SCAN_COMMAND}: a provider key leaked ({} hits), first in {}:\n{}",
            hits.len(),
            first.file,
            list.join("\n")
        ));
    }
    say(&format!(
        "{SCAN_COMMAND}: {files} captured files, no key in any form"
    ));
    Ok(())
}

/// One key found in one file.
#[derive(Debug, PartialEq, Eq)]
pub struct Hit {
    /// The file, relative to the repository when inside it.
    pub file: String,
    /// How the key was written there (`raw`, `base64`, ...).
    pub form: &'static str,
    /// The key's first characters (enough to tell which).
    pub key: String,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({}...)", self.file, self.form, self.key)
    }
}

/// Scans every file under `dir` for `secrets`: (files scanned, hits).
pub fn scan(dir: &Path, secrets: &[String]) -> Result<(usize, Vec<Hit>)> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    let mut hits = Vec::new();
    for path in &files {
        let bytes = fs::read(path).map_err(|e| format!("scan: {}: {e}", path.display()))?;
        let views = [
            ("raw", bytes.clone()),
            ("percent-encoded", percent_decode(&bytes)),
            ("JSON-escaped", json_unescape(&bytes)),
        ];
        for secret in secrets {
            let found = views.iter().find_map(|(form, view)| {
                if contains(view, secret.as_bytes()) {
                    return Some(*form);
                }
                base64_forms(secret.as_bytes())
                    .iter()
                    .any(|(_, needle)| contains(view, needle))
                    .then_some("base64")
            });
            if let Some(form) = found {
                hits.push(Hit {
                    file: util::rel(path),
                    form,
                    key: secret.chars().take(12).collect(),
                });
            }
        }
    }
    Ok((files.len(), hits))
}

/// Every file under `dir` (none when it does not exist).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry
            .map_err(|e| format!("scan: {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The base64 text any encoding of `secret` must contain, whatever its offset in the
/// encoded data (0, 1 or 2 bytes into a 3-byte group), in both alphabets.
fn base64_forms(secret: &[u8]) -> Vec<(usize, Vec<u8>)> {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    for offset in 0..3 {
        let mut data = vec![0u8; offset];
        data.extend_from_slice(secret);
        let bits = data.len() * 8;
        // Characters whose 6 bits all come from the secret.
        let first = (offset * 8).div_ceil(6);
        let last = bits / 6;
        let text: Vec<u8> = (first..last)
            .map(|i| {
                let bit = i * 6;
                let (byte, shift) = (bit / 8, bit % 8);
                let pair =
                    u16::from(data[byte]) << 8 | u16::from(*data.get(byte + 1).unwrap_or(&0));
                STD[usize::from((pair >> (10 - shift)) & 63)]
            })
            .collect();
        let url: Vec<u8> = text
            .iter()
            .map(|&c| match c {
                b'+' => b'-',
                b'/' => b'_',
                c => c,
            })
            .collect();
        out.push((offset, text));
        out.push((offset, url));
    }
    out
}

/// `%XX` sequences decoded (anything else kept).
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// JSON string escapes decoded: `\uXXXX` (to UTF-8) and the one-character ones.
fn json_unescape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 >= bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let unicode = (bytes[i + 1] == b'u')
            .then(|| bytes.get(i + 2..i + 6))
            .flatten()
            .and_then(|h| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
            .and_then(char::from_u32);
        if let Some(c) = unicode {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            i += 6;
            continue;
        }
        out.push(match bytes[i + 1] {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            other => other,
        });
        i += 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Standard base64 of `data` (test oracle, written out plainly).
    fn b64(data: &[u8]) -> String {
        const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
            for k in 0..=chunk.len() {
                out.push(STD[(n >> (18 - 6 * k) & 63) as usize] as char);
            }
        }
        while !out.len().is_multiple_of(4) {
            out.push('=');
        }
        out
    }

    #[test]
    fn planted_canaries_are_found_in_every_form() -> Result {
        let key = format!("sk-canary-secry-{}", random_hex());
        let dir = std::env::temp_dir().join(format!("canary-scan-test-{}", random_hex()));
        let _ = fs::remove_dir_all(&dir);
        let percent: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
        let escaped: String = key
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let files = [
            ("raw.log", format!("GET / Authorization: Bearer {key}\n")),
            ("b64-0.txt", b64(format!("{key}:x").as_bytes())),
            (
                "b64-1.txt",
                format!("basic {}", b64(format!("u:{key}").as_bytes())),
            ),
            ("b64-2.txt", b64(format!("ab{key}").as_bytes())),
            ("url.txt", format!("https://x/?key={percent}&a=1")),
            ("json.json", format!("{{\"message\":\"{escaped}\"}}")),
            (
                "nested/clean.txt",
                "nothing to see: sk-canary-other".to_owned(),
            ),
        ];
        for (name, text) in &files {
            let path = dir.join(name);
            fs::create_dir_all(path.parent().unwrap_or(&dir)).map_err(|e| e.to_string())?;
            fs::write(&path, text).map_err(|e| e.to_string())?;
        }
        let (scanned, hits) = scan(&dir, std::slice::from_ref(&key))?;
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(scanned, files.len());
        let found: Vec<(String, &str)> = hits
            .iter()
            .map(|h| (h.file.rsplit('/').next().unwrap_or("").to_owned(), h.form))
            .collect();
        assert_eq!(
            found,
            [
                ("b64-0.txt".to_owned(), "base64"),
                ("b64-1.txt".to_owned(), "base64"),
                ("b64-2.txt".to_owned(), "base64"),
                ("json.json".to_owned(), "JSON-escaped"),
                ("raw.log".to_owned(), "raw"),
                ("url.txt".to_owned(), "percent-encoded"),
            ]
        );
        Ok(())
    }

    #[test]
    fn keys_are_unique_per_provider_and_shaped() {
        let k = generate();
        assert_eq!(k.len(), PROVIDERS.len());
        assert!(k[0].starts_with("sk-canary-secry-") && k[0].len() == 16 + 32);
        let mut sorted = k.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), k.len());
    }

    #[test]
    fn decoders_leave_plain_text_alone() {
        assert_eq!(percent_decode(b"a%2Fb%zz%4"), b"a/b%zz%4");
        assert_eq!(json_unescape(b"a\\u002fb\\\"c\\"), b"a/b\"c\\");
    }
}
