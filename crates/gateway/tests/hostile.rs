//! Hostile input to the gateway: malformed or oddly typed JSON, 10 000-deep nesting,
//! huge numbers, invalid UTF-8, duplicate keys, multipart edge cases, model names and
//! path ids that try to leave their place, and headers or body fields that try to pick
//! the upstream. Each refused case gets an OpenAI-shaped 4xx and sends nothing
//! upstream (the simulator's request log stays empty); each served case reaches only
//! the configured upstream, at the expected path, and a canary listener named in the
//! hostile headers and fields is never contacted.
//!
//! `#[ignore]`d like `e2e.rs`: `cargo xtask test` builds the Worker and runs it.

// Shared with the other e2e files; this one needs only part of it.
#[allow(dead_code)]
mod support;

use std::net::TcpListener;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use support::{Gateway, ONE_GATEWAY, TOKEN, TestResult, sim_log, sim_vars};

const CHAT: &str = "/v1/chat/completions";
const CHAT_UPSTREAM: &str = "/secry/v1/chat/completions";
const FILES_UPSTREAM: &str = "/secry/v1/files";
const MESSAGES: &str = r#"[{"role":"user","content":"hi"}]"#;

/// The running pair and a client.
struct Rig {
    client: reqwest::Client,
    sim: String,
    gateway: String,
}

/// One request to the gateway.
struct Case {
    name: String,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Case {
    fn new(name: impl Into<String>, method: Method, path: &str, body: impl Into<Vec<u8>>) -> Case {
        Case {
            name: name.into(),
            method,
            path: path.to_owned(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// A chat request with `body` as its raw bytes.
    fn chat(name: impl Into<String>, body: impl Into<Vec<u8>>) -> Case {
        Case::new(name, Method::POST, CHAT, body)
    }

    fn header(mut self, name: &str, value: &str) -> Case {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

impl Rig {
    /// Sends `case` after clearing the simulator's log; returns the status, the body as
    /// JSON (or the text as a string), and what upstream saw.
    async fn send(
        &self,
        case: &Case,
    ) -> Result<(u16, Value, Vec<Value>), Box<dyn std::error::Error>> {
        self.client
            .delete(format!("{}/__sim/requests", self.sim))
            .send()
            .await?;
        let mut req = self
            .client
            .request(
                case.method.clone(),
                format!("{}{}", self.gateway, case.path),
            )
            .bearer_auth(TOKEN)
            .body(case.body.clone());
        for (name, value) in &case.headers {
            req = req.header(name, value);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let seen = sim_log(&self.client, &self.sim).await?;
        Ok((status, body, seen))
    }

    /// The case is refused with an OpenAI-shaped 4xx and nothing goes upstream.
    async fn refused(&self, case: Case) -> TestResult {
        let (status, body, seen) = self.send(&case).await?;
        let name = &case.name;
        assert!(
            (400..500).contains(&status),
            "{name}: status {status}: {}",
            short(&body)
        );
        assert_openai_error(name, &body);
        assert!(seen.is_empty(), "{name}: reached upstream: {seen:?}");
        Ok(())
    }

    /// The case is answered without a 5xx, and whatever went upstream went only to the
    /// configured upstream at `path`. Returns the status, body and upstream requests.
    async fn contained(
        &self,
        case: Case,
        path: &str,
    ) -> Result<(u16, Value, Vec<Value>), Box<dyn std::error::Error>> {
        let (status, body, seen) = self.send(&case).await?;
        let name = &case.name;
        assert!(status < 500, "{name}: status {status}: {}", short(&body));
        if status >= 400 {
            assert_openai_error(name, &body);
        }
        for request in &seen {
            assert_eq!(request["path"], path, "{name}: upstream saw {request}");
            assert!(
                request["query"].is_null(),
                "{name}: query upstream: {request}"
            );
        }
        Ok((status, body, seen))
    }
}

/// A body cut for an assertion message.
fn short(body: &Value) -> String {
    body.to_string().chars().take(400).collect()
}

/// `{"error": {"message": "...", "type": "..."}}` with a non-empty message.
fn assert_openai_error(name: &str, body: &Value) {
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{name}: not an OpenAI error body: {}",
        short(body)
    );
    assert!(
        error["type"].is_string(),
        "{name}: no error type: {}",
        short(body)
    );
}

fn chat_json(fields: &str) -> String {
    format!(r#"{{"model":"secry/gpt-4o","messages":{MESSAGES}{fields}}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs worker-build output and wrangler; `cargo xtask test` runs it"]
async fn hostile_input_is_refused_or_contained() -> TestResult {
    let _one = ONE_GATEWAY.lock().await;
    let keys = support::keys();
    let sim = switchboard_sim::serve(switchboard_sim::Config {
        keys: keys.clone(),
        ..switchboard_sim::Config::default()
    })
    .await?;
    let mut vars = sim_vars(&sim.base_url(), &keys);
    vars.push(("GATEWAY_TOKENS", TOKEN.to_owned()));
    vars.push(("RATE_LIMIT_PER_MINUTE", "0".to_owned()));
    let gw = Gateway::start(&vars).await?;
    let rig = Rig {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
        sim: sim.base_url(),
        gateway: gw.base.clone(),
    };
    // A well-formed request is served: the cases below differ from it in one way.
    let (status, body, seen) = rig
        .contained(Case::chat("baseline", chat_json("")), CHAT_UPSTREAM)
        .await?;
    assert_eq!((status, seen.len()), (200, 1), "baseline: {body}");

    malformed_json(&rig).await?;
    wrong_types(&rig).await?;
    deep_nesting(&rig).await?;
    huge_numbers(&rig).await?;
    invalid_utf8(&rig).await?;
    duplicate_keys(&rig).await?;
    model_names(&rig).await?;
    path_ids(&rig).await?;
    multipart(&rig).await?;
    upstream_choosers(&rig, &keys.secry).await?;
    drop(gw);
    sim.handle.abort();
    Ok(())
}

async fn malformed_json(rig: &Rig) -> TestResult {
    for (name, body) in [
        ("empty body", String::new()),
        ("not json", "model=secry/gpt-4o".to_owned()),
        (
            "cut off",
            r#"{"model":"secry/gpt-4o","messages":[{"role":"#.to_owned(),
        ),
        ("trailing garbage", chat_json("") + "}{"),
        ("null", "null".to_owned()),
        ("array", format!("[{}]", chat_json(""))),
        ("single quotes", "{'model':'secry/gpt-4o'}".to_owned()),
        ("comment", format!("/* x */{}", chat_json(""))),
        ("no messages", r#"{"model":"secry/gpt-4o"}"#.to_owned()),
    ] {
        rig.refused(Case::chat(format!("malformed JSON: {name}"), body))
            .await?;
    }
    Ok(())
}

async fn wrong_types(rig: &Rig) -> TestResult {
    for (name, body) in [
        (
            "model a number",
            format!(r#"{{"model":5,"messages":{MESSAGES}}}"#),
        ),
        (
            "model an object",
            format!(r#"{{"model":{{"provider":"secry"}},"messages":{MESSAGES}}}"#),
        ),
        (
            "messages a string",
            r#"{"model":"secry/gpt-4o","messages":"hi"}"#.to_owned(),
        ),
        (
            "message a number",
            r#"{"model":"secry/gpt-4o","messages":[7]}"#.to_owned(),
        ),
        (
            "role a number",
            r#"{"model":"secry/gpt-4o","messages":[{"role":7,"content":"hi"}]}"#.to_owned(),
        ),
        (
            "content a number",
            r#"{"model":"secry/gpt-4o","messages":[{"role":"user","content":7}]}"#.to_owned(),
        ),
        ("temperature a string", chat_json(r#","temperature":"hot""#)),
        ("stream a string", chat_json(r#","stream":"yes""#)),
        ("max_tokens negative", chat_json(r#","max_tokens":-1"#)),
        ("n a fraction", chat_json(r#","n":1.5"#)),
        (
            "tools an object",
            chat_json(r#","tools":{"type":"function"}"#),
        ),
        ("stop a number", chat_json(r#","stop":42"#)),
    ] {
        rig.refused(Case::chat(format!("wrong type: {name}"), body))
            .await?;
    }
    Ok(())
}

async fn deep_nesting(rig: &Rig) -> TestResult {
    let deep =
        |open: &str, close: &str| format!("{}1{}", open.repeat(10_000), close.repeat(10_000));
    for (name, body) in [
        (
            "arrays in an unknown field",
            chat_json(&format!(r#","metadata":{}"#, deep("[", "]"))),
        ),
        (
            "objects in an unknown field",
            chat_json(&format!(r#","metadata":{}"#, deep(r#"{"a":"#, "}"))),
        ),
        (
            "arrays as content",
            format!(
                r#"{{"model":"secry/gpt-4o","messages":[{{"role":"user","content":{}}}]}}"#,
                deep("[", "]")
            ),
        ),
        (
            "arrays as tool parameters",
            chat_json(&format!(
                r#","tools":[{{"type":"function","function":{{"name":"f","parameters":{}}}}}]"#,
                deep("[", "]")
            )),
        ),
        ("arrays as the whole body", deep("[", "]")),
    ] {
        rig.refused(Case::chat(format!("10 000 deep: {name}"), body))
            .await?;
    }
    Ok(())
}

async fn huge_numbers(rig: &Rig) -> TestResult {
    let long = "9".repeat(100_000);
    for (name, body) in [
        ("max_tokens 1e400", chat_json(r#","max_tokens":1e400"#)),
        (
            "max_tokens past u64",
            chat_json(r#","max_tokens":18446744073709551616"#),
        ),
        ("n past u32", chat_json(r#","n":99999999999999999999999"#)),
        ("temperature 1e308", chat_json(r#","temperature":1e308"#)),
        ("temperature -1e308", chat_json(r#","temperature":-1e308"#)),
        (
            "seed 1e999 in an unknown field",
            chat_json(r#","seed":1e999"#),
        ),
        (
            "100 000 digits in an unknown field",
            chat_json(&format!(r#","seed":{long}"#)),
        ),
        (
            "100 000 digits as max_tokens",
            chat_json(&format!(r#","max_tokens":{long}"#)),
        ),
    ] {
        rig.refused(Case::chat(format!("huge number: {name}"), body))
            .await?;
    }
    Ok(())
}

async fn invalid_utf8(rig: &Rig) -> TestResult {
    let with = |bytes: &[u8]| {
        let mut body =
            br#"{"model":"secry/gpt-4o","messages":[{"role":"user","content":"a"#.to_vec();
        body.extend_from_slice(bytes);
        body.extend_from_slice(br#"b"}]}"#);
        body
    };
    let mut in_model = br#"{"model":"secry/gpt"#.to_vec();
    in_model.extend_from_slice(b"\xc0\xaf");
    in_model.extend_from_slice(format!(r#"","messages":{MESSAGES}}}"#).as_bytes());
    for (name, body) in [
        ("0xFF in content", with(b"\xff")),
        ("cut sequence in content", with(b"\xe2\x82")),
        ("overlong slash in the model", in_model),
        (
            "lone surrogate escape",
            chat_json("").replace(r#""hi""#, r#""\ud800""#).into_bytes(),
        ),
    ] {
        rig.refused(Case::chat(format!("invalid UTF-8: {name}"), body))
            .await?;
    }
    Ok(())
}

async fn duplicate_keys(rig: &Rig) -> TestResult {
    for (name, body) in [
        ("model twice", format!(r#"{{"model":"secry/gpt-4o","model":"airforce/x","messages":{MESSAGES}}}"#)),
        ("messages twice", format!(r#"{{"model":"secry/gpt-4o","messages":{MESSAGES},"messages":[]}}"#)),
        ("stream twice", chat_json(r#","stream":false,"stream":true"#)),
        (
            "role twice",
            r#"{"model":"secry/gpt-4o","messages":[{"role":"user","role":"system","content":"hi"}]}"#.to_owned(),
        ),
    ] {
        rig.refused(Case::chat(format!("duplicate key: {name}"), body)).await?;
    }
    Ok(())
}

async fn model_names(rig: &Rig) -> TestResult {
    for model in [
        "secry/../../admin",
        "secry/./gpt-4o",
        "secry/gpt-4o?key=1",
        "secry/gpt-4o#fragment",
        "secry/%2F..%2Fmodels",
        "secry/gpt-4o%00",
        "secry/gpt 4o",
        "secry/gpt-4o\nHost: evil.example",
        "../secry/gpt-4o",
        "@evil.example/gpt-4o",
        "http://127.0.0.1:1/v1",
        "secry%2Fgpt-4o",
        "",
    ] {
        let body = json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
        rig.refused(Case::chat(
            format!("model name {model:?}"),
            body.to_string(),
        ))
        .await?;
    }
    // `@` belongs in some ids (`@cf/meta/llama-3`): it is sent, in the body only.
    let body = json!({"model": "secry/gpt-4o@evil.example", "messages": [{"role": "user", "content": "hi"}]});
    let (_, _, seen) = rig
        .contained(
            Case::chat("model name with @", body.to_string()),
            CHAT_UPSTREAM,
        )
        .await?;
    assert_eq!(seen.len(), 1, "model name with @: {seen:?}");
    let sent: Value =
        serde_json::from_str(seen[0]["body"]["preview"].as_str().unwrap_or_default())?;
    assert_eq!(sent["model"], "gpt-4o@evil.example");
    Ok(())
}

async fn path_ids(rig: &Rig) -> TestResult {
    for (method, path) in [
        (Method::GET, "/v1/files/..%2F..%2Fmodels"),
        (Method::GET, "/v1/files/%2e%2e"),
        (Method::GET, "/v1/files/file-1%3Fpurpose=x"),
        (Method::GET, "/v1/files/file-1%23x/content"),
        (Method::DELETE, "/v1/files/file@evil.example"),
        (Method::GET, "/v1/x/airforce/suno/..%2Fcheck"),
        (Method::GET, "/v1/x/airforce/suno/a%2Fb"),
    ] {
        let case = Case::new(format!("{method} {path}"), method, path, Vec::new());
        rig.refused(case).await?;
    }
    Ok(())
}

/// A multipart body with the given parts, each `(headers, content)`.
fn multipart_body(boundary: &str, parts: &[(String, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (headers, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

async fn multipart(rig: &Rig) -> TestResult {
    let b = "hostileboundary42";
    let purpose = (
        r#"Content-Disposition: form-data; name="purpose""#.to_owned(),
        &b"assistants"[..],
    );
    let file = (
        "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain".to_owned(),
        &b"hello"[..],
    );
    let good = multipart_body(b, &[purpose.clone(), file.clone()]);
    let upload = |name: &str, content_type: &str, body: Vec<u8>| {
        Case::new(
            format!("multipart: {name}"),
            Method::POST,
            "/v1/files",
            body,
        )
        .header("content-type", content_type)
    };
    let with_boundary = format!("multipart/form-data; boundary={b}");
    // Refused by the gateway itself.
    for (name, content_type) in [
        ("missing boundary", "multipart/form-data"),
        ("JSON content-type", "application/json"),
        ("text content-type", "text/plain"),
        (
            "urlencoded content-type",
            "application/x-www-form-urlencoded",
        ),
    ] {
        rig.refused(upload(name, content_type, good.clone()))
            .await?;
    }
    // Passed through (the gateway streams uploads, it does not parse them) and refused
    // by the provider: a 4xx relayed, and only SECRY's files path was called.
    let huge_header = (
        format!(
            "Content-Disposition: form-data; name=\"file\"; filename=\"{}.txt\"",
            "a".repeat(64 * 1024)
        ),
        &b"hello"[..],
    );
    for (name, content_type, body) in [
        (
            "no file part",
            with_boundary.clone(),
            multipart_body(b, std::slice::from_ref(&purpose)),
        ),
        ("no parts", with_boundary.clone(), multipart_body(b, &[])),
        (
            "boundary mismatch",
            "multipart/form-data; boundary=other".to_owned(),
            good.clone(),
        ),
        (
            "empty boundary",
            "multipart/form-data; boundary=".to_owned(),
            good.clone(),
        ),
        (
            "not multipart inside",
            with_boundary.clone(),
            b"just bytes".to_vec(),
        ),
    ] {
        let (status, body, seen) = rig
            .contained(upload(name, &content_type, body), FILES_UPSTREAM)
            .await?;
        assert!(
            (400..500).contains(&status),
            "multipart: {name}: {status} {}",
            short(&body)
        );
        assert!(
            seen.len() <= 1,
            "multipart: {name}: retried an upload: {seen:?}"
        );
    }
    // A 64 KiB part header is the provider's to judge (the gateway does not parse the
    // stream it passes on): whatever it answers, no 5xx, one call, SECRY's files path.
    let case = upload(
        "64 KiB part header",
        &with_boundary,
        multipart_body(b, &[purpose.clone(), huge_header]),
    );
    let (_, _, seen) = rig.contained(case, FILES_UPSTREAM).await?;
    assert_eq!(seen.len(), 1, "multipart: 64 KiB part header: {seen:?}");
    // The well-formed upload still works.
    let (status, body, _) = rig
        .contained(upload("good upload", &with_boundary, good), FILES_UPSTREAM)
        .await?;
    assert_eq!(status, 200, "multipart: good upload: {}", short(&body));
    Ok(())
}

async fn upstream_choosers(rig: &Rig, secry_key: &str) -> TestResult {
    // Anything that followed these hints would connect here.
    let canary = TcpListener::bind("127.0.0.1:0")?;
    canary.set_nonblocking(true)?;
    let canary_host = canary.local_addr()?.to_string();
    let canary_url = format!("http://{canary_host}/v1");
    let headers = [
        ("host", canary_host.as_str()),
        ("x-forwarded-host", canary_host.as_str()),
        ("x-forwarded-proto", "http"),
        ("x-forwarded-for", "127.0.0.1"),
        ("forwarded", &format!("host={canary_host};proto=http")),
        ("x-original-url", "/__sim/requests"),
        ("x-rewrite-url", "/__sim/requests"),
        ("x-upstream", canary_url.as_str()),
    ];
    for (name, value) in headers {
        let case = Case::chat(format!("header {name}"), chat_json("")).header(name, value);
        let (status, body, seen) = rig.contained(case, CHAT_UPSTREAM).await?;
        assert_eq!((status, seen.len()), (200, 1), "header {name}: {body}");
        assert_eq!(
            seen[0]["headers"]["authorization"],
            format!("Bearer {secry_key}")
        );
    }
    for field in [
        "base_url", "api_base", "url", "endpoint", "provider", "upstream", "host",
    ] {
        let value = if field == "provider" {
            "airforce".to_owned()
        } else {
            canary_url.clone()
        };
        let body = chat_json(&format!(
            r#",{}"#,
            json!({ field: value }).to_string().trim_matches(['{', '}'])
        ));
        let (status, body, seen) = rig
            .contained(
                Case::chat(format!("body field {field}"), body),
                CHAT_UPSTREAM,
            )
            .await?;
        assert!(seen.len() <= 1, "body field {field}: {seen:?}");
        assert!(
            status == 200 || status == 400,
            "body field {field}: {status} {body}"
        );
    }
    assert!(
        canary.accept().is_err(),
        "a request reached the canary listener named in a hostile header or field"
    );
    Ok(())
}
