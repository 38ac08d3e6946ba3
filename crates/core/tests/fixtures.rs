//! Fixture tests: every case under `tests/fixtures/<provider>/<case>/` is encoded,
//! decoded and streamed by the shared runner (`runner/mod.rs`, also replayed in the
//! browser by the client's tests), and compared with its `expected_*.json` files.
//! Run with `SWITCHBOARD_BLESS=1` to (re)write the expected files, then review them.

mod runner;

use runner::Case;
use std::fs;
use std::path::Path;

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for provider in fs::read_dir(&root).expect("fixtures dir") {
        let provider = provider.expect("entry").path();
        for dir in fs::read_dir(&provider).expect("provider dir") {
            let dir = dir.expect("entry").path();
            let name = |p: &Path| p.file_name().expect("name").to_string_lossy().into_owned();
            let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
                .expect("case dir")
                .map(|f| f.expect("entry").path())
                .filter(|f| f.is_file())
                .map(|f| (name(&f), fs::read(&f).expect("read")))
                .collect();
            files.sort();
            out.push(Case {
                name: format!("{}/{}", name(&provider), name(&dir)),
                files,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[test]
fn fixtures() {
    let cases = cases();
    assert!(cases.len() >= 30, "fixtures found: {}", cases.len());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for case in &cases {
        for (name, actual) in case.run(true) {
            let path = root.join(&case.name).join(name);
            if std::env::var_os("SWITCHBOARD_BLESS").is_some() {
                let text = serde_json::to_string_pretty(&actual).expect("json") + "\n";
                fs::write(&path, text).expect("write expected");
                continue;
            }
            let expected = case.json(name).unwrap_or_else(|| {
                panic!(
                    "{} is missing; run with SWITCHBOARD_BLESS=1",
                    path.display()
                )
            });
            assert_eq!(actual, expected, "{}", path.display());
        }
    }
}
