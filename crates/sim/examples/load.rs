//! A bounded load run against the simulator's non-stream chat, on loopback only.
//!
//! `cargo run -p switchboard-sim --profile native --example load -- [--url http://127.0.0.1:PORT]
//! [--concurrency 16] [--requests 20000] [--warmup 2000] [--get /__sim/health]`
//!
//! Without `--url` it starts the simulator in-process on its own runtime thread.

use std::time::{Duration, Instant};

use switchboard_sim::{Config, serve};

const BODY: &str = r#"{"model":"meta-llama/Meta-Llama-3.1-8B-Instruct","messages":[{"role":"system","content":"You are a helpful AI assistant."},{"role":"user","content":"Tell me a short joke!"}],"max_tokens":50,"temperature":0.7,"stream":false}"#;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let concurrency: usize = arg(&args, "--concurrency").map_or(Ok(16), |v| v.parse())?;
    let requests: usize = arg(&args, "--requests").map_or(Ok(20_000), |v| v.parse())?;
    let warmup: usize = arg(&args, "--warmup").map_or(Ok(2_000), |v| v.parse())?;
    let base = match arg(&args, "--url") {
        Some(u) => u,
        None => {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("server runtime");
                rt.block_on(async {
                    let server = serve(Config::default()).await.expect("bind");
                    tx.send(server.base_url()).expect("send url");
                    let _ = server.handle.await;
                });
            });
            rx.recv_timeout(Duration::from_secs(10))?
        }
    };
    if !base.starts_with("http://127.0.0.1") && !base.starts_with("http://localhost") {
        return Err("loopback only: --url must be http://127.0.0.1:PORT".into());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    // `--get PATH` measures a GET instead (e.g. `/__sim/health`, the framework's floor).
    let request = match arg(&args, "--get") {
        Some(path) => format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n\r\n"),
        None => format!(
            "POST /secry/v1/chat/completions HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer sk-sim-secry\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
            BODY.len()
        ),
    };
    rt.block_on(async move {
        let run = |n: usize| {
            let addr = addr.clone();
            let request = request.clone();
            async move {
                let per = n / concurrency;
                let mut tasks = Vec::new();
                for _ in 0..concurrency {
                    let addr = addr.clone();
                    let request = request.clone();
                    tasks.push(tokio::spawn(async move {
                        let mut conn = tokio::net::TcpStream::connect(&addr).await?;
                        conn.set_nodelay(true)?;
                        let mut lat = Vec::with_capacity(per);
                        let mut buf = Vec::with_capacity(4096);
                        for _ in 0..per {
                            let t = Instant::now();
                            tokio::time::timeout(
                                Duration::from_secs(10),
                                exchange(&mut conn, request.as_bytes(), &mut buf),
                            )
                            .await??;
                            lat.push(t.elapsed());
                        }
                        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(lat)
                    }));
                }
                let mut all = Vec::with_capacity(n);
                for t in tasks {
                    all.extend(t.await??);
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(all)
            }
        };
        run(warmup).await?;
        let start = Instant::now();
        let mut lat = run(requests).await?;
        let secs = start.elapsed().as_secs_f64();
        lat.sort();
        let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
        println!(
            "requests {} concurrency {} : {:.0} req/s, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            lat.len(),
            concurrency,
            lat.len() as f64 / secs,
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            lat[lat.len() - 1].as_secs_f64() * 1e3,
        );
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    })
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// One keep-alive request/response on a raw connection: a minimal HTTP/1.1 client so the
/// load generator costs far less than the server it measures.
async fn exchange(
    conn: &mut tokio::net::TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    conn.write_all(request).await?;
    buf.clear();
    let mut chunk = [0u8; 8192];
    loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = std::str::from_utf8(&buf[..head_end])?;
        if !head.starts_with("HTTP/1.1 200") {
            return Err(format!("unexpected answer: {head}").into());
        }
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .ok_or("no content-length")?;
        if buf.len() >= head_end + 4 + len {
            return Ok(());
        }
    }
}
