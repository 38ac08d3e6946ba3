//! Repository automation for Switchboard, run as `cargo xtask <command>`.
//!
//! Standard library only: it must build fast on a fresh machine before anything else
//! is installed. See `cargo xtask help` and docs/toolchain.md.

mod bench;
mod build;
mod canary;
mod dev;
mod doc_section;
mod faults;
mod fuzz;
mod gateway;
mod playground;
mod setup;
mod sim;
mod test;
mod util;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <command>

Commands:
  setup            install the pinned toolchain (wasm32 target, chromium, wasm-bindgen-cli,
                   wasm-pack, worker-build, npm tools); fast no-op when present
  test [--quick]   setup, then fmt, clippy (native + wasm32), the no_std wasm32 build,
                   all tests and the browser/gateway tests that exist; --quick skips setup
                   and the wasm steps
  dev              setup, then run what exists locally (simulator, gateway, the playground
                   page in www/) until Ctrl-C; prints the playground URL to open
  sim [ARGS...]    run the provider simulator with ARGS passed through
  gateway [--port P]  build and run only the gateway (wrangler dev), variables from the
                   environment; prints `ready on http://127.0.0.1:PORT`
  build            the browser client's npm package in crates/client/pkg (wasm-pack,
                   target web, wasm-opt -Oz) and its gzipped size
  faults [--prebuilt]  the fault matrix: every simulator fault x {plain, stream} x {browser
                   client direct, browser client via the gateway, OpenAI SDK via the
                   gateway}; writes its section of docs/reliability.md, fails on any FAIL
                   cell or gateway panic; --prebuilt reuses the built package and Worker
  bench [NAME...]  run the named benchmarks (all that exist when none is named);
                   `bench --list` lists them
  fuzz [--time S] [--runs N] [--smoke] [TARGET...]
                   install nightly + cargo-fuzz, seed the corpora from the fixtures, run
                   every fuzz target (fuzz/) to N executions (10^7) or S seconds (600)
                   each, and write its section of docs/reliability.md; --smoke only
                   replays the seeds and regression inputs through every target (stable)
  help             this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "setup" => no_args(rest).and_then(|()| setup::run().map(drop)),
        "test" => test::run(rest),
        "dev" => no_args(rest).and_then(|()| dev::run()),
        "sim" => sim::run(rest),
        "gateway" => gateway::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "faults" => faults::run(rest),
        canary::SCAN_COMMAND => no_args(rest).and_then(|()| canary::scan_command()),
        "build" => no_args(rest).and_then(|()| build::run()),
        test::CLIENT_TESTS_COMMAND => no_args(rest).and_then(|()| test::client_tests_with_sim()),
        playground::TESTS_COMMAND => no_args(rest).and_then(|()| playground::tests_with_sim()),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nerror: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Rejects arguments for commands that take none.
fn no_args(rest: &[String]) -> util::Result {
    match rest.first() {
        Some(a) => Err(format!("unexpected argument `{a}`\n\n{HELP}")),
        None => Ok(()),
    }
}
