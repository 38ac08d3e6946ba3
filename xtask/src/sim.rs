//! `cargo xtask sim [ARGS...]`: runs the provider simulator (`crates/sim`, native
//! profile) in the foreground with ARGS passed through, e.g. `cargo xtask sim --port 8790`.

use crate::dev::sim_args;
use crate::util::{Result, cmd, display, root};

/// Runs the simulator until it exits; its exit status becomes ours.
pub fn run(args: &[String]) -> Result {
    if !root().join("crates/sim").is_dir() {
        return Err("sim: crates/sim does not exist yet".to_owned());
    }
    let extra: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut c = cmd("cargo");
    c.args(sim_args(&extra));
    eprintln!("==> sim: {}", display(&c));
    let status = c
        .status()
        .map_err(|e| format!("sim: cannot start cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("sim exited ({status})"))
    }
}
