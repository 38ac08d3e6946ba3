//! Replays inputs through every target's body on stable Rust, without libFuzzer: the
//! committed regression inputs (`fuzz/regressions/<target>/`, each once a crash) and,
//! when present, the corpora (`fuzz/corpus/<target>/`: the fixture seeds that
//! `cargo xtask fuzz` writes, plus what campaigns added). `cargo xtask fuzz --smoke`
//! writes the seeds, then runs this with
//! `cargo test --manifest-path fuzz/Cargo.toml --no-default-features`.

use std::fs;
use std::path::Path;

/// A target's name and body.
type Target = (&'static str, fn(&[u8]));

/// Every target.
const TARGETS: [Target; 5] = [
    ("sse", switchboard_fuzz::sse),
    ("stream", switchboard_fuzz::stream),
    ("decode", switchboard_fuzz::decode),
    ("accumulate", switchboard_fuzz::accumulate),
    ("request", switchboard_fuzz::request),
];

/// Runs `body` over every file in `dir` (none when it is absent); returns the count.
fn replay(dir: &Path, body: fn(&[u8])) -> usize {
    let mut count = 0;
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let data = fs::read(entry.path()).expect("readable input");
        body(&data);
        count += 1;
    }
    count
}

#[test]
fn regression_inputs_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let total: usize = TARGETS.iter().map(|(t, f)| replay(&root.join(t), *f)).sum();
    assert!(total > 0, "no regression inputs under {}", root.display());
}

#[test]
fn corpus_inputs_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, body) in TARGETS {
        let n = replay(&root.join(target), body);
        eprintln!("{target}: {n} corpus inputs");
    }
}

/// Inputs too short for the header are ignored, not a panic.
#[test]
fn short_inputs_are_ignored() {
    for data in [&b""[..], b"\x00", b"\x01\x02\x03\x04"] {
        for (_, body) in TARGETS {
            body(data);
        }
    }
}
