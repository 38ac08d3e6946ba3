//! Embeds the core's fixtures (`crates/core/tests/fixtures`) for the wasm fixture test:
//! writes `$OUT_DIR/fixtures.rs`, a table of `(case, [(file, bytes)])` using
//! `include_bytes!`, so the browser replays exactly what the native test reads.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest
        .join("..")
        .join("core")
        .join("tests")
        .join("fixtures");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut cases: Vec<(String, Vec<(String, PathBuf)>)> = Vec::new();
    for provider in sorted(&root) {
        println!("cargo:rerun-if-changed={}", provider.display());
        for case in sorted(&provider) {
            println!("cargo:rerun-if-changed={}", case.display());
            let name = format!("{}/{}", file_name(&provider), file_name(&case));
            let files = sorted(&case)
                .into_iter()
                .filter(|f| f.is_file())
                .map(|f| (file_name(&f), f))
                .collect();
            cases.push((name, files));
        }
    }
    let mut out =
        String::from("/// The core's fixture cases: `(provider/case, [(file, bytes)])`.\n");
    out.push_str("pub static FIXTURES: &[(&str, Files)] = &[\n");
    for (name, files) in &cases {
        let _ = writeln!(out, "    ({name:?}, &[");
        for (file, path) in files {
            let _ = writeln!(
                out,
                "        ({file:?}, include_bytes!({:?})),",
                path.display().to_string()
            );
        }
        out.push_str("    ]),\n");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").unwrap_or_default()).join("fixtures.rs");
    if let Err(e) = fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}

fn sorted(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
