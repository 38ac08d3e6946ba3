//! The core's fixtures (`crates/core/tests/fixtures`) replayed in the browser by the
//! core's own runner (`crates/core/tests/runner`), compared with the same
//! `expected_*.json` files, so the wasm build must give exactly the native results.
//! Embedded by `build.rs`.
#![cfg(target_arch = "wasm32")]

#[path = "../../core/tests/runner/mod.rs"]
mod runner;

use runner::Case;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// One case's files: `(name, bytes)`.
type Files = &'static [(&'static str, &'static [u8])];

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

#[wasm_bindgen_test]
fn fixtures_match_native_results() {
    assert!(
        FIXTURES.len() >= 30,
        "fixtures embedded: {}",
        FIXTURES.len()
    );
    for (name, files) in FIXTURES {
        let case = Case {
            name: (*name).to_owned(),
            files: files
                .iter()
                .map(|(n, b)| ((*n).to_owned(), b.to_vec()))
                .collect(),
        };
        for (file, actual) in case.run(false) {
            let expected = case
                .json(file)
                .unwrap_or_else(|| panic!("{name}/{file} is missing"));
            assert_eq!(actual, expected, "{name}/{file}");
        }
    }
}
