//! e2e checks of files, images, speech and the airforce extras, each asserting via the
//! simulator's request log what upstream received. Called from `gateway_end_to_end`
//! so they share its gateway.

mod reliability;

pub use reliability::reliability;

use serde_json::{Value, json};
use switchboard_sim::Keys;

use crate::support::{TOKEN, TestResult, header, sim_log};

/// The gateway's `ADMIN_TOKEN` in the tests.
pub const ADMIN: &str = "gw-admin-token-91c2";

/// Empties the simulator's request log.
async fn clear(client: &reqwest::Client, sim: &str) -> TestResult {
    client
        .delete(format!("{sim}/__sim/requests"))
        .send()
        .await?;
    Ok(())
}

/// The only request upstream saw since the last [`clear`].
async fn only_request(
    client: &reqwest::Client,
    sim: &str,
) -> Result<Value, Box<dyn std::error::Error>> {
    let log = sim_log(client, sim).await?;
    assert_eq!(log.len(), 1, "upstream saw {log:?}");
    Ok(log[0].clone())
}

/// A multipart body with `purpose` and a `file` holding `content`.
fn multipart(content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "sbtestboundary7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `/v1/files`: upload (streamed through), list, retrieve, content, delete; the cap and
/// bad multipart refused before anything goes upstream.
pub async fn files(client: &reqwest::Client, s: &str, g: &str, keys: &Keys) -> TestResult {
    clear(client, s).await?;
    let (ct, body) = multipart(b"hello file");
    let r = client
        .post(format!("{g}/v1/files"))
        .bearer_auth(TOKEN)
        .header("content-type", &ct)
        .body(body)
        .send()
        .await?;
    let status = r.status().as_u16();
    let file: Value = r.json().await?;
    assert_eq!(status, 200, "{file}");
    let id = file["id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("file-"), "{file}");
    let seen = only_request(client, s).await?;
    assert_eq!(seen["path"], "/secry/v1/files");
    assert_eq!(
        seen["headers"]["authorization"],
        format!("Bearer {}", keys.secry)
    );
    assert_eq!(seen["headers"]["content-type"], ct.as_str());
    assert!(!seen.to_string().contains(TOKEN));

    let get = |path: String| client.get(format!("{g}/v1/files{path}")).bearer_auth(TOKEN);
    let list: Value = get(String::new()).send().await?.json().await?;
    assert!(list.to_string().contains(&id), "{list}");
    let one: Value = get(format!("/{id}")).send().await?.json().await?;
    assert_eq!(one["id"], id.as_str(), "{one}");
    let r = get(format!("/{id}/content")).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await?.as_ref(), b"hello file");
    clear(client, s).await?;
    let r = client
        .delete(format!("{g}/v1/files/{id}"))
        .bearer_auth(TOKEN)
        .send()
        .await?;
    let gone: Value = r.json().await?;
    assert_eq!(gone["deleted"], true, "{gone}");
    let seen = only_request(client, s).await?;
    assert_eq!(
        (seen["method"].as_str(), seen["path"].as_str()),
        (
            Some("DELETE"),
            Some(format!("/secry/v1/files/{id}").as_str())
        )
    );

    // Over MAX_FILE_BYTES (4096 here): 413; not multipart: 400; bad id: 400. Nothing sent.
    clear(client, s).await?;
    let (ct, big) = multipart(&[b'x'; 5000]);
    let r = client
        .post(format!("{g}/v1/files"))
        .bearer_auth(TOKEN)
        .header("content-type", ct)
        .body(big)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 413);
    let r = client
        .post(format!("{g}/v1/files"))
        .bearer_auth(TOKEN)
        .json(&json!({"file": "x"}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await?;
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    let r = get("/..%2Fmodels".to_owned()).send().await?;
    assert!(r.status().is_client_error(), "{}", r.status());
    assert!(sim_log(client, s).await?.is_empty());
    Ok(())
}

/// Posts an image request with `body` through the gateway, checks the answer is 200 with
/// a PNG in `data[0].b64_json` and returns the one request upstream saw for it.
async fn generates_png(
    client: &reqwest::Client,
    s: &str,
    g: &str,
    body: Value,
) -> Result<Value, Box<dyn std::error::Error>> {
    clear(client, s).await?;
    let r = client
        .post(format!("{g}/v1/images/generations"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await?;
    let status = r.status().as_u16();
    let body: Value = r.json().await?;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"][0]["b64_json"]
            .as_str()
            .is_some_and(|b| b.starts_with("iVBORw0KGgo")),
        "{body}"
    );
    only_request(client, s).await
}

/// Images (SECRY JSON and airforce PNG → b64_json) and speech (airforce audio/mpeg).
pub async fn media(client: &reqwest::Client, s: &str, g: &str, keys: &Keys) -> TestResult {
    let post = |path: &str, body: Value| {
        client
            .post(format!("{g}{path}"))
            .bearer_auth(TOKEN)
            .json(&body)
    };
    let body = json!({"model": "secry/black-forest-labs/flux-schnell", "prompt": "a red fox"});
    let seen = generates_png(client, s, g, body).await?;
    assert_eq!(seen["path"], "/secry/v1/images/generations");
    assert_eq!(
        seen["headers"]["authorization"],
        format!("Bearer {}", keys.secry)
    );
    let sent: Value = serde_json::from_str(seen["body"]["preview"].as_str().unwrap_or("{}"))?;
    assert_eq!(sent["response_format"], "b64_json");
    assert_eq!(sent["model"], "black-forest-labs/flux-schnell");

    let body = json!({"model": "airforce/flux", "prompt": "a red fox", "size": "1792x1024"});
    let seen = generates_png(client, s, g, body).await?;
    assert_eq!(seen["path"], "/airforce/v1/imagine");
    let query = seen["query"].as_str().unwrap_or_default();
    assert!(
        query.contains("size=16%3A9") && query.contains("model=flux"),
        "{query}"
    );

    clear(client, s).await?;
    let r = post(
        "/v1/audio/speech",
        json!({"model": "airforce/tts-1", "input": "hi there", "voice": "nova"}),
    )
    .send()
    .await?;
    assert_eq!(r.status().as_u16(), 200);
    let ct = header(&r, "content-type").unwrap_or_default();
    assert_eq!(ct, "audio/mpeg");
    let audio = r.bytes().await?;
    assert!(
        audio.len() > 100 && audio[0] == 0xFF,
        "{} bytes",
        audio.len()
    );
    let seen = only_request(client, s).await?;
    assert_eq!(seen["path"], "/airforce/get-audio");
    assert!(
        seen["query"]
            .as_str()
            .unwrap_or_default()
            .contains("voice=sophia"),
        "{seen}"
    );
    assert_eq!(
        seen["headers"]["authorization"],
        format!("Bearer {}", keys.airforce)
    );

    // Bad input: unknown voice, a provider without speech, no prompt.
    for (path, body) in [
        (
            "/v1/audio/speech",
            json!({"model": "airforce/tts-1", "input": "x", "voice": "darth"}),
        ),
        (
            "/v1/audio/speech",
            json!({"model": "secry/tts", "input": "x"}),
        ),
        ("/v1/images/generations", json!({"model": "airforce/flux"})),
    ] {
        let r = post(path, body.clone()).send().await?;
        assert_eq!(r.status().as_u16(), 400, "{body}");
    }
    Ok(())
}

/// `/v1/x/airforce/...`: ask (streamed as chunks), vision, suno create and poll, and
/// the admin-only check, which never echoes the key.
pub async fn airforce_extras(
    client: &reqwest::Client,
    s: &str,
    g: &str,
    keys: &Keys,
) -> TestResult {
    let x = |path: &str| format!("{g}/v1/x/airforce/{path}");
    clear(client, s).await?;
    let r = client
        .post(x("ask"))
        .bearer_auth(TOKEN)
        .json(&json!({"prompt": "What is Rust"}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await?;
    let mut text = String::new();
    for event in body.split("\n\n").filter(|e| e.starts_with("data: {")) {
        let chunk: Value = serde_json::from_str(event.trim_start_matches("data: "))?;
        assert_eq!(chunk["object"], "chat.completion.chunk", "{event}");
        text.push_str(
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap_or_default(),
        );
    }
    assert!(text.contains("Rust"), "{body}");
    assert!(body.ends_with("data: [DONE]\n\n"), "{body}");
    let seen = only_request(client, s).await?;
    assert_eq!(seen["path"], "/airforce/v1/ask");

    let r = client
        .post(x("vision"))
        .bearer_auth(TOKEN)
        .json(&json!({"url": "https://example.com/a.png"}))
        .send()
        .await?;
    let body: Value = r.json().await?;
    assert!(
        body["text"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );

    let r = client
        .post(x("suno"))
        .bearer_auth(TOKEN)
        .json(&json!({"prompt": "A catchy pop song"}))
        .send()
        .await?;
    let body: Value = r.json().await?;
    let clip = body["clips"][0].as_str().unwrap_or_default().to_owned();
    assert!(!clip.is_empty(), "{body}");
    let r = client
        .get(x(&format!("suno/{clip}")))
        .bearer_auth(TOKEN)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);

    // check: the admin token only; the key goes upstream as ?key= and never comes back.
    clear(client, s).await?;
    for auth in [TOKEN, "wrong"] {
        let r = client.get(x("check")).bearer_auth(auth).send().await?;
        assert_eq!(r.status().as_u16(), 401, "{auth}");
    }
    let r = client.get(x("check")).bearer_auth(ADMIN).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    let raw = r.text().await?;
    assert!(!raw.contains(&keys.airforce), "the key came back");
    let body: Value = serde_json::from_str(&raw)?;
    assert_eq!(body["valid"], true, "{body}");
    assert!(body.get("key").is_none(), "{body}");
    let seen = only_request(client, s).await?;
    assert_eq!(seen["path"], "/airforce/check");

    // Not on the allowlist.
    let r = client.get(x("imagine2")).bearer_auth(TOKEN).send().await?;
    assert_eq!(r.status().as_u16(), 404);
    Ok(())
}
