//! `switchboard-sim`: runs the provider simulator on 127.0.0.1.

use std::io::Write;
use std::process::ExitCode;

use switchboard_sim::{Config, serve};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config =
        match Config::from_env_and_args(|k| std::env::var(k).ok(), std::env::args().skip(1)) {
            Ok(c) => c,
            Err(msg) => {
                let help = msg == switchboard_sim::config::USAGE;
                eprintln!("{msg}");
                return if help {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(2)
                };
            }
        };
    let server = match serve(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("switchboard-sim: cannot bind: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    // Ignoring write errors: a closed stdout must not stop the server.
    let _ = writeln!(out, "listening on {}", server.base_url());
    let _ = out.flush();
    drop(out);
    match server.handle.await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("switchboard-sim: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("switchboard-sim: server task failed: {e}");
            ExitCode::FAILURE
        }
    }
}
