//! Load and measurement: oha runs (fixed counts, a time cap each, JSON summary), a std
//! client timing streamed answers (first body byte, last byte), and a process's CPU
//! time from `/proc/<pid>/stat`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{Result, cmd};

/// Latency percentiles (ms) and throughput of one oha run.
#[derive(Clone, Copy, Default)]
pub struct Latency {
    /// Median, ms.
    pub p50: f64,
    /// 90th percentile, ms.
    pub p90: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Requests per second over the run.
    pub rps: f64,
}

/// One HTTP target: where to send and what.
pub struct Target<'a> {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// The JSON body of the chat request.
    pub body: &'a str,
    /// The `authorization` header value.
    pub auth: &'a str,
    /// Other headers, `name: value`.
    pub headers: &'a [String],
}

/// Runs oha against `t` (`requests` at concurrency `c`), killed after `cap`.
pub fn oha(t: &Target, requests: usize, c: usize, cap: Duration) -> Result<Latency> {
    let url = format!("http://127.0.0.1:{}/v1/chat/completions", t.port);
    let mut command = cmd("oha");
    command
        .args([
            "--no-tui",
            "--output-format",
            "json",
            "--worker-threads",
            "1",
        ])
        .args(["-n", &requests.to_string(), "-c", &c.to_string()])
        .args(["-m", "POST", "-H", "content-type: application/json"])
        .args(["-H", &format!("authorization: {}", t.auth)])
        .args(t.headers.iter().flat_map(|h| ["-H", h.as_str()]))
        .args(["-d", t.body, &url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("oha: cannot start: {e}"))?;
    let started = Instant::now();
    while child.try_wait().map_err(|e| format!("oha: {e}"))?.is_none() {
        if started.elapsed() > cap {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("oha: over its time cap of {} s", cap.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().map_err(|e| format!("oha: {e}"))?;
    let json = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("oha failed ({}): {err}", out.status));
    }
    parse_oha(&json, requests)
}

/// Reads oha's JSON summary: every request must have answered 200.
fn parse_oha(json: &str, requests: usize) -> Result<Latency> {
    let codes = section(json, "statusCodeDistribution").unwrap_or_default();
    if number(codes, "200") != Some(requests as f64) {
        return Err(format!("oha: not every answer was 200: {codes}"));
    }
    let pct = section(json, "latencyPercentiles").ok_or("oha: no latencyPercentiles")?;
    let ms = |key: &str| {
        number(pct, key)
            .map(|s| s * 1000.0)
            .ok_or(format!("oha: no {key}"))
    };
    let summary = section(json, "summary").ok_or("oha: no summary")?;
    Ok(Latency {
        p50: ms("p50")?,
        p90: ms("p90")?,
        p99: ms("p99")?,
        rps: number(summary, "requestsPerSec").ok_or("oha: no requestsPerSec")?,
    })
}

/// The text of the object after `"key":` (up to its closing brace; no nesting needed).
fn section<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let start = json.find(&format!("\"{key}\""))?;
    let rest = &json[start..];
    let open = rest.find('{')?;
    let close = rest[open..].find('}')?;
    Some(&rest[open..=open + close])
}

/// The number after `"key":` in `text`.
fn number(text: &str, key: &str) -> Option<f64> {
    let start = text.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = text[start..].trim_start().strip_prefix(':')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A keep-alive connection to `t` and the request text that asks it for `t.body`.
fn connect(t: &Target) -> Result<(TcpStream, BufReader<TcpStream>, String)> {
    let conn = TcpStream::connect(("127.0.0.1", t.port)).map_err(|e| format!("stream: {e}"))?;
    conn.set_nodelay(true).map_err(|e| format!("stream: {e}"))?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| format!("stream: {e}"))?;
    let out = conn.try_clone().map_err(|e| format!("stream: {e}"))?;
    let reader = BufReader::with_capacity(1 << 16, conn);
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: {}\r\n{}content-length: {}\r\n\r\n{}",
        t.auth,
        t.headers
            .iter()
            .map(|h| format!("{h}\r\n"))
            .collect::<String>(),
        t.body.len(),
        t.body
    );
    Ok((out, reader, request))
}

/// Medians (ms) of time to the first body byte and to the last, over `n` streamed
/// requests on one keep-alive connection, after `warm` unmeasured ones.
pub fn stream(t: &Target, warm: usize, n: usize, cap: Duration) -> Result<(f64, f64)> {
    let (mut out, mut reader, request) = connect(t)?;
    let (mut first, mut last) = (Vec::new(), Vec::new());
    let started = Instant::now();
    for i in 0..warm + n {
        if started.elapsed() > cap {
            return Err(format!("stream: over its time cap of {} s", cap.as_secs()));
        }
        let sent = Instant::now();
        out.write_all(request.as_bytes())
            .map_err(|e| format!("stream: {e}"))?;
        let first_byte = read_response(&mut reader, |_| {}).map_err(|e| format!("stream: {e}"))?;
        let done = sent.elapsed();
        if i >= warm {
            first.push((first_byte - sent).as_secs_f64() * 1000.0);
            last.push(done.as_secs_f64() * 1000.0);
        }
    }
    Ok((median(&mut first), median(&mut last)))
}

/// Added delay per chunk of `n` paced streams (the upstream sends content event `i`
/// at `i × pace` after the first): for each event, when it arrived minus when it was
/// due relative to the first event's arrival, in ms; returns its p50 and p99.
pub fn paced(t: &Target, n: usize, pace: Duration, cap: Duration) -> Result<(f64, f64)> {
    let (mut out, mut reader, request) = connect(t)?;
    let started = Instant::now();
    let mut delays = Vec::new();
    for _ in 0..n {
        if started.elapsed() > cap {
            return Err(format!("paced: over its time cap of {} s", cap.as_secs()));
        }
        out.write_all(request.as_bytes())
            .map_err(|e| format!("paced: {e}"))?;
        let mut arrivals: Vec<(usize, Instant)> = Vec::new();
        read_response(&mut reader, |data| {
            let now = Instant::now();
            let text = String::from_utf8_lossy(data);
            for piece in text.split("\"content\":\"tok").skip(1) {
                let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(i) = digits.parse() {
                    arrivals.push((i, now));
                }
            }
        })
        .map_err(|e| format!("paced: {e}"))?;
        let &(i0, t0) = arrivals.first().ok_or("paced: no content event")?;
        for (i, at) in &arrivals {
            let due = pace.as_secs_f64() * i.saturating_sub(i0) as f64;
            delays.push(((*at - t0).as_secs_f64() - due) * 1000.0);
        }
    }
    Ok((percentile(&mut delays, 0.5), percentile(&mut delays, 0.99)))
}

/// Reads one streamed answer to its end; returns its body's size in bytes.
pub fn drain(t: &Target, cap: Duration) -> Result<usize> {
    let (mut out, mut reader, request) = connect(t)?;
    out.write_all(request.as_bytes())
        .map_err(|e| format!("drain: {e}"))?;
    let started = Instant::now();
    let mut bytes = 0usize;
    let mut late = false;
    read_response(&mut reader, |data| {
        bytes += data.len();
        late |= started.elapsed() > cap;
    })
    .map_err(|e| format!("drain: {e}"))?;
    if late {
        return Err(format!("drain: over its time cap of {} s", cap.as_secs()));
    }
    Ok(bytes)
}

/// Reads one chunked (or sized) response, handing each piece of body to `on_data` as
/// it is read; returns when its first body byte arrived.
fn read_response(
    r: &mut BufReader<TcpStream>,
    mut on_data: impl FnMut(&[u8]),
) -> std::io::Result<Instant> {
    let bad = |m: &str| std::io::Error::other(m.to_owned());
    let mut line = String::new();
    r.read_line(&mut line)?;
    if !line.starts_with("HTTP/1.1 200") {
        return Err(bad(&format!("answer `{}`", line.trim_end())));
    }
    let mut length = None;
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let h = line.trim_end().to_ascii_lowercase();
        if h.is_empty() {
            break;
        }
        if let Some(v) = h.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    r.fill_buf()?;
    let first = Instant::now();
    if let Some(n) = length {
        let mut body = vec![0u8; n];
        r.read_exact(&mut body)?;
        on_data(&body);
        return Ok(first);
    }
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let size = usize::from_str_radix(line.trim_end(), 16).map_err(|_| bad("chunk size"))?;
        let mut data = vec![0u8; size + 2];
        r.read_exact(&mut data)?;
        if size == 0 {
            return Ok(first);
        }
        on_data(&data[..size]);
    }
}

/// The `q` quantile of `v` (0 when empty).
pub fn percentile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v.get(i).copied().unwrap_or(0.0)
}

/// Resident memory of process `pid`, in MB (from `/proc/<pid>/status`).
pub fn rss_mb(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("rss: /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .ok_or_else(|| "rss: no VmRSS".to_owned())
}

/// The median of `v` (0 when empty).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// User + system CPU time of process `pid` so far, in ms.
pub fn cpu_ms(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("cpu: /proc/{pid}/stat: {e}"))?;
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    let (user, system) = tick(11)
        .zip(tick(12))
        .ok_or("cpu: cannot read /proc stat")?;
    Ok((user + system) * 1000.0 / clock_ticks())
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 when unknown).
fn clock_ticks() -> f64 {
    let mut c = cmd("getconf");
    c.arg("CLK_TCK");
    crate::util::capture(c)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_oha_json() {
        let json = r#"{"summary":{"successRate":1.0,"requestsPerSec":4000.5},"latencyPercentiles":{"p10":0.0001,"p50":0.0002,"p90":0.0003,"p99":0.001},"statusCodeDistribution":{"200":10}}"#;
        let l = parse_oha(json, 10).expect("parses");
        assert!((l.p50 - 0.2).abs() < 1e-9 && (l.p99 - 1.0).abs() < 1e-9);
        assert!((l.rps - 4000.5).abs() < 1e-9);
        assert!(parse_oha(json, 11).is_err());
    }
}
