//! Tidy checks: the project's habits, run as ordinary tests by `cargo test --workspace`.
//!
//! They read the files git tracks (`git ls-files`); when git is unavailable the checks
//! that need the file list print a note and pass. Forbidden strings below are assembled
//! with `concat!` so that this file does not trip its own checks.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Longest allowed source file, in lines.
const MAX_LINES: usize = 800;

/// The repository root.
fn root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Tracked files that exist on disk, relative to the root; `None` without git.
fn tracked() -> Option<Vec<String>> {
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("tidy: `git ls-files` failed; skipping checks that need the file list");
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let files = text
        .split('\0')
        .filter(|f| !f.is_empty() && root().join(f).is_file())
        .map(str::to_owned)
        .collect();
    Some(files)
}

/// Tracked files with one of the extensions, with their text (non-UTF-8 files are skipped).
fn tracked_text(extensions: &[&str]) -> Vec<(String, String)> {
    let Some(files) = tracked() else {
        eprintln!("tidy: git unavailable; check skipped");
        return Vec::new();
    };
    files
        .into_iter()
        .filter(|f| extensions.is_empty() || extensions.iter().any(|e| f.ends_with(e)))
        .filter_map(|f| {
            let text = fs::read_to_string(root().join(&f)).ok()?;
            Some((f, text))
        })
        .collect()
}

/// Reads a file at the root, failing the test with its name if absent.
fn read(path: &str) -> String {
    fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Fails with every violation listed, one per line.
fn report(check: &str, violations: &[String]) {
    assert!(
        violations.is_empty(),
        "tidy: {check}:\n  {}",
        violations.join("\n  ")
    );
}

/// Whether `name` is a Rust source of a crate (crates/** or xtask/**).
fn is_crate_source(name: &str) -> bool {
    name.ends_with(".rs") && (name.starts_with("crates/") || name.starts_with("xtask/"))
}

#[test]
fn no_absolute_machine_paths() {
    let dirs = ["work", "root", "home", "tmp"].map(|d| format!("/{d}/"));
    let mut bad = Vec::new();
    for (file, text) in tracked_text(&[]) {
        for (n, line) in text.lines().enumerate() {
            for dir in &dirs {
                let hit = line.match_indices(dir.as_str()).any(|(at, _)| {
                    // A path literal starts the line or follows a quote, space, `=`, `(`,
                    // `:` or backtick; `https://host/home/` and `a/tmp/` are not paths.
                    let before = line[..at].chars().next_back();
                    before.is_none_or(|c| " \t\"'`=(:,[".contains(c))
                });
                if hit {
                    bad.push(format!("{file}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    report("absolute machine paths in tracked files", &bad);
}

#[test]
fn no_unfinished_macros() {
    let macros = [
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("dbg", "!("),
    ];
    let mut bad = Vec::new();
    for (file, text) in tracked_text(&[".rs"]) {
        if !is_crate_source(&file) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            if macros.iter().any(|m| line.contains(m)) {
                bad.push(format!("{file}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    report("unfinished-code macros in crate sources", &bad);
}

#[test]
fn no_todo_comments() {
    let words = [
        concat!("TO", "DO"),
        concat!("FIX", "ME"),
        concat!("X", "XX"),
    ];
    let mut bad = Vec::new();
    for (file, text) in tracked_text(&[".rs", ".toml", ".sh", ".js", ".ts", ".yml", ".yaml"]) {
        let marker = if file.ends_with(".rs") || file.ends_with(".js") || file.ends_with(".ts") {
            "//"
        } else {
            "#"
        };
        for (n, line) in text.lines().enumerate() {
            let Some(at) = line.find(marker) else {
                continue;
            };
            let comment = &line[at..];
            let has_word = comment
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| words.contains(&w));
            if has_word {
                bad.push(format!("{file}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    report("TODO-style comments (file an issue instead)", &bad);
}

/// Workspace crate directories: `crates/*` with a Cargo.toml, and `xtask`.
fn crate_dirs() -> Vec<PathBuf> {
    let root = root();
    let mut dirs = vec![root.join("xtask")];
    if let Ok(entries) = fs::read_dir(root.join("crates")) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.join("Cargo.toml").is_file())
            .collect();
        found.sort();
        dirs.extend(found);
    }
    dirs
}

#[test]
fn crate_roots_start_with_doc_comment() {
    let mut bad = Vec::new();
    let mut seen = 0;
    for dir in crate_dirs() {
        for root_file in ["src/lib.rs", "src/main.rs"] {
            let path = dir.join(root_file);
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            seen += 1;
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if !first.starts_with("//!") {
                bad.push(path.display().to_string());
            }
        }
    }
    assert!(seen > 0, "tidy: found no crate roots");
    report("crate roots must start with a `//!` doc comment", &bad);
}

#[test]
fn source_files_are_short() {
    let mut bad = Vec::new();
    for (file, text) in tracked_text(&[".rs"]) {
        let lines = text.lines().count();
        if lines > MAX_LINES {
            bad.push(format!(
                "{file}: {lines} lines (limit {MAX_LINES}); split it"
            ));
        }
    }
    report("source files over the size limit", &bad);
}

#[test]
fn no_tabs_or_trailing_whitespace() {
    let mut bad = Vec::new();
    for (file, text) in tracked_text(&[".rs", ".md", ".toml"]) {
        for (n, line) in text.lines().enumerate() {
            if line.contains('\t') {
                bad.push(format!("{file}:{}: tab character", n + 1));
            }
            if line.ends_with(' ') || line.ends_with('\t') {
                bad.push(format!("{file}:{}: trailing whitespace", n + 1));
            }
        }
    }
    report("tabs or trailing whitespace", &bad);
}

#[test]
fn ci_runs_xtask_test() {
    let run = read(".ci/run");
    let calls = run
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .any(|l| l.contains("cargo xtask test"));
    assert!(calls, "tidy: .ci/run must invoke `cargo xtask test`");
}

#[test]
fn readme_names_the_two_commands() {
    let readme = read("README.md");
    for command in ["cargo xtask dev", "cargo xtask test"] {
        assert!(
            readme.contains(command),
            "tidy: README.md must mention `{command}`"
        );
    }
}

/// The `version` of the first `[[package]]` called `name` in a Cargo.lock text.
fn lock_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    lines.find(|l| l.trim() == wanted)?;
    let version = lines.next()?.trim().strip_prefix("version = \"")?;
    Some(version.trim_end_matches('"').to_owned())
}

#[test]
fn wasm_bindgen_lock_matches_pin() {
    let toml = read("Cargo.toml");
    let pin = toml
        .lines()
        .find_map(|l| {
            let rest = l.trim().strip_prefix("wasm-bindgen")?.trim_start();
            let value = rest.strip_prefix('=')?.trim().strip_prefix("\"=")?;
            Some(value.split('"').next()?.to_owned())
        })
        .expect("tidy: root Cargo.toml must pin wasm-bindgen exactly (`wasm-bindgen = \"=X\"`)");
    let Ok(lock) = fs::read_to_string(root().join("Cargo.lock")) else {
        eprintln!("tidy: no Cargo.lock yet; wasm-bindgen pin not compared");
        return;
    };
    match lock_version(&lock, "wasm-bindgen") {
        Some(locked) => assert_eq!(
            locked, pin,
            "tidy: Cargo.lock's wasm-bindgen differs from the `=` pin in Cargo.toml"
        ),
        None => eprintln!("tidy: no crate uses wasm-bindgen yet; pin {pin} not compared"),
    }
}

#[test]
fn crates_use_workspace_lints() {
    let mut bad = Vec::new();
    for dir in crate_dirs() {
        let manifest = dir.join("Cargo.toml");
        let text = fs::read_to_string(&manifest).unwrap_or_default();
        let mut lines = text.lines().map(str::trim).skip_while(|l| *l != "[lints]");
        let ok = lines.next().is_some()
            && lines
                .take_while(|l| !l.starts_with('['))
                .any(|l| l.replace(' ', "") == "workspace=true");
        if !ok {
            bad.push(manifest.display().to_string());
        }
    }
    report("crates must have `[lints] workspace = true`", &bad);
}
