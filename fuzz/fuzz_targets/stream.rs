//! libFuzzer entry for [`switchboard_fuzz::stream`]; the body and its invariants live there.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard_fuzz::stream(data));
