//! The server as a whole: request log, CORS, unknown paths, body cap, the binary.
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use switchboard_sim::Config;

#[tokio::test]
async fn request_log_records_what_arrived() {
    let sim = Sim::start().await;
    let body = user("m", "hello log");
    sim.client
        .post(sim.url("/secry/v1/chat/completions?trace=1"))
        .bearer_auth(SECRY)
        .header("x-custom", "abc")
        .json(&body)
        .send()
        .await
        .unwrap();
    let log: Value = sim.requests().await;
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e["method"], "POST");
    assert_eq!(e["path"], "/secry/v1/chat/completions");
    assert_eq!(e["query"], "trace=1");
    assert_eq!(e["headers"]["authorization"], format!("Bearer {SECRY}"));
    assert_eq!(e["headers"]["x-custom"], "abc");
    let sent = serde_json::to_vec(&body).unwrap();
    assert_eq!(e["body"]["len"], sent.len());
    assert_eq!(e["body"]["fnv1a64"].as_str().unwrap().len(), 16);
    assert_eq!(
        serde_json::from_str::<Value>(e["body"]["preview"].as_str().unwrap()).unwrap(),
        body
    );

    let del = sim.delete("/__sim/requests").await;
    assert_eq!(del.status(), 204);
    let log: Value = sim.requests().await;
    assert_eq!(log, json!([]));
}

/// The log entries' `response` fields, polled until `done` holds for them (at most ~5 s).
async fn responses_when(sim: &Sim, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..100 {
        let log: Value = sim.requests().await;
        last = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["response"].clone())
            .collect();
        if done(&last) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    last
}

#[tokio::test]
async fn request_log_records_how_each_answer_ended() {
    let sim = Sim::start().await;
    let mut stream = user("m", "count to 200");
    stream["stream"] = json!(true);

    // Read whole: complete.
    let whole = sim
        .post("/secry/v1/chat/completions", SECRY, &user("m", "hi"))
        .await;
    assert!(!whole.text().await.unwrap().is_empty());

    // A slow stream the client walks away from: cancelled.
    let mut slow = sim
        .post_with(
            "/secry/v1/chat/completions",
            SECRY,
            &stream,
            &[("x-sim-chunk-delay-ms", "20")],
        )
        .await;
    assert_eq!(slow.status(), 200);
    assert!(slow.chunk().await.unwrap().is_some());
    drop(slow);

    // The simulator cuts the stream itself: reset.
    sim.arm(&json!({"fault": "reset-after=2"})).await;
    let cut = sim.post("/secry/v1/chat/completions", SECRY, &stream).await;
    assert!(cut.bytes().await.is_err());

    let responses = responses_when(&sim, |r| {
        r.len() == 3 && r.iter().all(|r| r["outcome"] != "open")
    })
    .await;
    let outcomes: Vec<(&Value, &str)> = responses
        .iter()
        .map(|r| (&r["status"], r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (&json!(200), "complete"),
            (&json!(200), "cancelled"),
            (&json!(200), "reset")
        ]
    );
}

#[tokio::test]
async fn request_log_is_bounded() {
    let sim = Sim::with(Config {
        log_capacity: 3,
        ..Config::default()
    })
    .await;
    for i in 0..5 {
        sim.get(&format!("/secry/v1/models?i={i}"), SECRY).await;
    }
    let log: Value = sim.requests().await;
    let queries: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["query"].as_str().unwrap())
        .collect();
    assert_eq!(queries, ["i=2", "i=3", "i=4"]);
}

#[tokio::test]
async fn cors_preflight_and_headers() {
    let sim = Sim::start().await;
    let resp = sim
        .client
        .request(
            reqwest::Method::OPTIONS,
            sim.url("/siraya/v1/chat/completions"),
        )
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(
        resp.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(resp.headers().contains_key("access-control-allow-headers"));
    // Errors carry CORS headers too, so a page can read them.
    let resp = sim
        .client
        .post(sim.url("/secry/v1/chat/completions"))
        .header("origin", "http://localhost:5173")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(
        resp.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("retry-after")
    );
}

#[tokio::test]
async fn unknown_paths_and_oversized_bodies() {
    let sim = Sim::with(Config {
        max_body_bytes: 1000,
        ..Config::default()
    })
    .await;
    assert_error(sim.get("/nowhere", SECRY).await, 404).await;
    assert_error(sim.get("/secton/v1/nothing", SECTON).await, 404).await;
    assert_error(sim.get("/airforce/v2/models", AIRFORCE).await, 404).await;
    let big = user("m", &"x".repeat(2000));
    for (path, key) in [
        ("/secry/v1/chat/completions", SECRY),
        ("/secton/v1/chat/completions", SECTON),
        ("/airforce/v1/chat/completions", AIRFORCE),
        ("/siraya/v1/chat/completions", SIRAYA),
    ] {
        assert_error(sim.post(path, key, &big).await, 413).await;
    }
    // Still serving afterwards.
    assert_eq!(
        sim.post("/secry/v1/chat/completions", SECRY, &user("m", "x"))
            .await
            .status(),
        200
    );
}

#[test]
fn binary_prints_one_listening_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard-sim"))
        .args(["--port", "0", "--secry-key", "from-flag"])
        .env("SIM_SIRAYA_KEY", "from-env")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the simulator");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(20));
    let result = (|| {
        let line = line.map_err(|e| e.to_string())?;
        let url = line
            .trim_end()
            .strip_prefix("listening on http://127.0.0.1:")
            .ok_or_else(|| format!("unexpected line {line:?}"))?;
        let port: u16 = url.parse().map_err(|_| format!("bad port in {line:?}"))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| e.to_string())?;
            let base = format!("http://127.0.0.1:{port}");
            let ok = client
                .get(format!("{base}/secry/v1/models"))
                .bearer_auth("from-flag")
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let env_key = client
                .post(format!("{base}/siraya/v1/chat/completions"))
                .bearer_auth("from-env")
                .json(&user("m", "x"))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((ok.status().as_u16(), env_key.status().as_u16()))
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result, Ok((200, 200)));
}

#[test]
fn flags_are_parsed_and_checked() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let c = Config::from_env_and_args(
        |k| (k == "SIM_GEMINI_KEY").then(|| "g".to_string()),
        args(&[
            "--port",
            "8080",
            "--stream-chunks",
            "4",
            "--chunk-delay-ms",
            "5",
            "--rate-limit-rpm",
            "60",
        ]),
    )
    .unwrap();
    assert_eq!(c.port, 8080);
    assert_eq!(c.stream_chunks, Some(4));
    assert_eq!(c.chunk_delay, Duration::from_millis(5));
    assert_eq!(c.rate_limit_rpm, 60);
    assert_eq!(c.keys.gemini, "g");
    assert_eq!(c.keys.secry, "sk-sim-secry");
    assert!(Config::from_env_and_args(|_| None, args(&["--port"])).is_err());
    assert!(Config::from_env_and_args(|_| None, args(&["--port", "x"])).is_err());
    assert!(Config::from_env_and_args(|_| None, args(&["--bogus", "1"])).is_err());
}
