//! Repository automation (placeholder until the xtask lands).
fn main() {}
