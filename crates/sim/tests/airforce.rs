//! airforce: chat, models, key check, images, ask, vision, suno, text-to-speech.
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn chat_on_both_paths_with_top_k() {
    let sim = Sim::start().await;
    for path in [
        "/airforce/v1/chat/completions",
        "/airforce/chat/completions",
    ] {
        let body = json!({"model": "claude-3-opus", "messages": [
            {"role": "system", "content": "System prompt"},
            {"role": "user", "content": "Message content"}
        ], "max_tokens": 2048, "stream": false, "temperature": 0.7, "top_p": 0.5, "top_k": 3});
        let resp = sim.post(path, AIRFORCE, &body).await;
        assert_eq!(resp.status(), 200, "{path}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["system_fingerprint"], "fp_sim_topk_3");
        assert!(v["choices"][0]["logprobs"].is_null());
        assert!(
            v["choices"][0]
                .as_object()
                .unwrap()
                .contains_key("logprobs")
        );
        assert_eq!(v["choices"][0]["message"]["content"], "Message content");
    }
    let mut b = user("gpt-4o", "x");
    b["top_k"] = json!(-2);
    assert_error(
        sim.post("/airforce/v1/chat/completions", AIRFORCE, &b)
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn only_one_leading_system_message() {
    let sim = Sim::start().await;
    let late = json!({"model": "gpt-4o", "messages": [
        {"role": "user", "content": "hi"}, {"role": "system", "content": "late"}]});
    assert_error(
        sim.post("/airforce/v1/chat/completions", AIRFORCE, &late)
            .await,
        400,
    )
    .await;
    let twice = json!({"model": "gpt-4o", "messages": [
        {"role": "system", "content": "a"}, {"role": "system", "content": "b"},
        {"role": "user", "content": "hi"}]});
    assert_error(
        sim.post("/airforce/v1/chat/completions", AIRFORCE, &twice)
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn streams_and_anonymous_and_wrong_key() {
    let sim = Sim::start().await;
    let mut b = user("gpt-4o-mini", "count to 3");
    b["stream"] = json!(true);
    let resp = sim
        .client
        .post(sim.url("/airforce/chat/completions"))
        .json(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "anonymous callers are served");
    let data = sse_data(&resp.text().await.unwrap());
    assert_eq!(stream_text(&data), "1 2 3");
    assert_error(
        sim.post("/airforce/chat/completions", "sk-bad", &b).await,
        401,
    )
    .await;
}

#[tokio::test]
async fn models_and_check() {
    let sim = Sim::start().await;
    for path in ["/airforce/v1/models", "/airforce/models"] {
        let v: Value = sim.get(path, AIRFORCE).await.json().await.unwrap();
        assert_eq!(v["object"], "list");
        assert!(
            v["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == "llama-3.1-70b-chat")
        );
    }
    let v: Value = sim
        .client
        .get(sim.url(&format!("/airforce/check?key={AIRFORCE}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["valid"], true);
    assert_error(
        sim.client
            .get(sim.url("/airforce/check?key=nope"))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert_error(
        sim.client
            .get(sim.url("/airforce/check"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    )
}

#[tokio::test]
async fn imagine_returns_png_with_ratio_and_seed() {
    let sim = Sim::start().await;
    let get = |q: String| {
        let url = sim.url(&q);
        let c = sim.client.clone();
        async move { c.get(url).bearer_auth(AIRFORCE).send().await.unwrap() }
    };
    let resp = get("/airforce/v1/imagine?prompt=A+beautiful+landscape&size=16:9&seed=123456&model=flux-realism".into()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    let a = resp.bytes().await.unwrap();
    assert_eq!(png_size(&a), (512, 288));
    let b = get(
        "/airforce/imagine?prompt=A+beautiful+landscape&size=16:9&seed=123456&model=flux-realism"
            .into(),
    )
    .await
    .bytes()
    .await
    .unwrap();
    assert_eq!(a, b);
    let c = get(
        "/airforce/imagine?prompt=A+beautiful+landscape&size=16:9&seed=99&model=flux-realism"
            .into(),
    )
    .await
    .bytes()
    .await
    .unwrap();
    assert_ne!(a, c);
    let d = get("/airforce/imagine2?prompt=x&size=9:21".into())
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(png_size(&d), (288, 672));
    let e = get("/airforce/v1/imagine2?prompt=x".into())
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(png_size(&e), (32, 32));
    assert_error(
        get("/airforce/imagine?prompt=x&model=dall-e".into()).await,
        400,
    )
    .await;
    assert_error(get("/airforce/imagine?prompt=x&size=3:4".into()).await, 400).await;
    assert_error(get("/airforce/imagine?size=1:1".into()).await, 400).await;
}

#[tokio::test]
async fn ask_streams_json_lines() {
    let sim = Sim::start().await;
    let resp = sim
        .get("/airforce/v1/ask?prompt=What+is+ChatGPT", AIRFORCE)
        .await;
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let msg: String = lines
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(msg, "What is ChatGPT");
    assert!(lines.iter().all(|l| l["url"].is_string()));
    assert_error(sim.get("/airforce/ask", AIRFORCE).await, 400).await;
}

#[tokio::test]
async fn vision_returns_a_string() {
    let sim = Sim::start().await;
    let resp = sim
        .get(
            "/airforce/v1/images/vision?url=https://example.com/image.png",
            AIRFORCE,
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(resp.text().await.unwrap().contains("gemini-pro-vision"));
    let t = sim
        .get("/airforce/images/vision?url=u&model=gpt-4o", AIRFORCE)
        .await
        .text()
        .await
        .unwrap();
    assert!(t.contains("gpt-4o"));
    assert_error(
        sim.get("/airforce/images/vision?url=u&model=x", AIRFORCE)
            .await,
        400,
    )
    .await;
    assert_error(sim.get("/airforce/images/vision", AIRFORCE).await, 400).await;
}

#[tokio::test]
async fn suno_goes_generating_then_finished() {
    let sim = Sim::start().await;
    let body = json!({"model": "chirp-v3-5", "prompt": "A catchy pop song with upbeat rhythm",
                      "instrumental": "false", "custom": "false"});
    let v: Value = sim
        .post("/airforce/v1/suno", AIRFORCE, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "success");
    let clips = v["clips"].as_array().unwrap();
    assert_eq!(clips.len(), 2);
    let id = clips[0].as_str().unwrap();
    assert_eq!(id.len(), 36);
    let first: Value = sim
        .get(&format!("/airforce/v1/suno/{id}"), AIRFORCE)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["status"], "generating");
    let done: Value = sim
        .get(&format!("/airforce/suno/{id}"), AIRFORCE)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "finished");
    let audio = done["audio_url"].as_str().unwrap();
    assert!(done["image_url"].as_str().unwrap().starts_with("http://"));
    assert!(done["video_url"].as_str().unwrap().starts_with("http://"));
    // The audio URL points back at the simulator and is real MP3.
    let mp3 = sim
        .client
        .get(audio)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&mp3[..2], b"\xff\xfb");

    assert_error(
        sim.get(
            "/airforce/suno/00000000-0000-4000-8000-000000000000",
            AIRFORCE,
        )
        .await,
        404,
    )
    .await;
    assert_error(
        sim.post("/airforce/suno", AIRFORCE, &json!({"prompt": ""}))
            .await,
        400,
    )
    .await;
    assert_error(
        sim.post(
            "/airforce/suno",
            AIRFORCE,
            &json!({"prompt": "x".repeat(201)}),
        )
        .await,
        400,
    )
    .await;
    let custom = json!({"prompt": "x".repeat(2000), "custom": "true", "style": "pop"});
    assert_eq!(
        sim.post("/airforce/suno", AIRFORCE, &custom).await.status(),
        200
    );
    let custom_v3 = json!({"prompt": "x".repeat(2000), "custom": "true", "model": "chirp-v3-0"});
    assert_error(sim.post("/airforce/suno", AIRFORCE, &custom_v3).await, 400).await;
    assert_error(
        sim.post(
            "/airforce/suno",
            AIRFORCE,
            &json!({"prompt": "x", "model": "chirp-v9"}),
        )
        .await,
        400,
    )
    .await;
}

fn mp3_frame_header(b: &[u8]) -> (u8, u8) {
    assert_eq!(b[0], 0xFF);
    assert_eq!(b[1] & 0xE0, 0xE0, "frame sync");
    assert_eq!((b[1] >> 3) & 3, 3, "MPEG-1");
    assert_eq!((b[1] >> 1) & 3, 1, "Layer III");
    (b[2] >> 4, (b[2] >> 2) & 3)
}

#[tokio::test]
async fn get_audio_returns_mp3() {
    let sim = Sim::start().await;
    let resp = sim
        .get("/airforce/get-audio?text=Hello+world&voice=alex", AIRFORCE)
        .await;
    assert_eq!(resp.headers()["content-type"], "audio/mpeg");
    let alex = resp.bytes().await.unwrap();
    assert_eq!(mp3_frame_header(&alex), (9, 0)); // 128 kbit/s, 44.1 kHz
    assert_eq!(alex.len() % 417, 0);
    let sophia = sim
        .get(
            "/airforce/get-audio?text=Hello+world&voice=sophia",
            AIRFORCE,
        )
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(mp3_frame_header(&sophia), (9, 1)); // 48 kHz
    // The second frame starts right after the first.
    assert_eq!(&sophia[384..386], b"\xff\xfb");
    assert_error(
        sim.get("/airforce/get-audio?text=x&voice=bob", AIRFORCE)
            .await,
        400,
    )
    .await;
    assert_error(
        sim.get("/airforce/get-audio?voice=alex", AIRFORCE).await,
        400,
    )
    .await;
}
