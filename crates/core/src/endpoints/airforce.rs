//! airforce's endpoints with no OpenAI equivalent, as the gateway's
//! `/v1/x/airforce/...` allowlist exposes them: web-search answers (`ask`), image
//! description (`vision`), Suno music (`suno` create and poll) and key checks.

use super::check_path_id;
use crate::error::Error;
use crate::http::{HttpRequest, ResponseKind, push_query};
use crate::provider::airforce::{SUNO_MODELS, VISION_MODELS};
use alloc::format;
use alloc::string::String;
use serde::{Deserialize, Serialize};

/// Longest `ask` prompt, in characters.
pub const MAX_ASK_CHARS: usize = 4000;

/// `GET /v1/ask?prompt=`: a stream of `{message, url}` JSON lines.
pub fn encode_ask(prompt: &str) -> Result<HttpRequest, Error> {
    check_len("prompt", prompt, 1, MAX_ASK_CHARS)?;
    let mut path = String::from("/v1/ask");
    push_query(&mut path, &[("prompt", prompt)]);
    Ok(HttpRequest::get(path, ResponseKind::JsonLines))
}

/// `GET /v1/images/vision?url=&model=`: a text description of an image.
pub fn encode_vision(url: &str, model: Option<&str>) -> Result<HttpRequest, Error> {
    check_len("url", url, 1, 4096)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Error::invalid("'url' must be an http(s) URL", Some("url")));
    }
    let model = model.unwrap_or("gemini-pro-vision");
    if !VISION_MODELS.contains(&model) {
        return Err(Error::invalid(
            format!(
                "vision model '{model}' is not one of: {}",
                VISION_MODELS.join(", ")
            ),
            Some("model"),
        ));
    }
    let mut path = String::from("/v1/images/vision");
    push_query(&mut path, &[("url", url), ("model", model)]);
    Ok(HttpRequest::get(path, ResponseKind::Text))
}

/// A Suno song request, as airforce documents it (its flags are the strings
/// `"true"`/`"false"`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SunoRequest {
    /// `chirp-v3-5` (default), `chirp-v3-0` or `chirp-v2-xxl-alpha`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// What to sing: 1 to 200 characters, or up to 1250 (3000 for `chirp-v3-5`) when custom.
    pub prompt: String,
    /// `"true"` for an instrumental.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrumental: Option<String>,
    /// Genre or style, 1 to 120 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// `"true"` for custom (longer) prompts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<String>,
}

/// `POST /v1/suno`: answers `{status, clips: [uuid, ...]}`.
pub fn encode_suno_create(req: &SunoRequest) -> Result<HttpRequest, Error> {
    let model = req.model.as_deref().unwrap_or("chirp-v3-5");
    if !SUNO_MODELS.contains(&model) {
        return Err(Error::invalid(
            format!(
                "suno model '{model}' is not one of: {}",
                SUNO_MODELS.join(", ")
            ),
            Some("model"),
        ));
    }
    for (field, value) in [("instrumental", &req.instrumental), ("custom", &req.custom)] {
        if value
            .as_deref()
            .is_some_and(|v| v != "true" && v != "false")
        {
            return Err(Error::invalid(
                format!("'{field}' must be \"true\" or \"false\""),
                Some(field),
            ));
        }
    }
    let custom = req.custom.as_deref() == Some("true");
    let max = match (custom, model) {
        (false, _) => 200,
        (true, "chirp-v3-5") => 3000,
        (true, _) => 1250,
    };
    check_len("prompt", &req.prompt, 1, max)?;
    if let Some(style) = &req.style {
        check_len("style", style, 1, 120)?;
    }
    let body = serde_json::to_vec(req)
        .map_err(|e| Error::invalid(format!("request cannot be encoded: {e}"), None))?;
    Ok(HttpRequest::post_json(
        String::from("/v1/suno"),
        body,
        ResponseKind::Json,
    ))
}

/// `GET /v1/suno/{uuid}`: answers `{status: generating|finished, image_url, audio_url, video_url}`.
pub fn encode_suno_poll(id: &str) -> Result<HttpRequest, Error> {
    check_path_id("id", id)?;
    Ok(HttpRequest::get(
        format!("/v1/suno/{id}"),
        ResponseKind::Json,
    ))
}

/// `GET /check?key=`: the usage of a key. Only for an operator: it carries the key.
pub fn encode_check(key: &str) -> HttpRequest {
    let mut path = String::from("/check");
    push_query(&mut path, &[("key", key)]);
    HttpRequest::get(path, ResponseKind::Json)
}

fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), Error> {
    let n = value.chars().count();
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("'{field}' must hold {min} to {max} characters"),
            Some(field),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders() {
        assert_eq!(
            encode_ask("What is ChatGPT").unwrap().path,
            "/v1/ask?prompt=What%20is%20ChatGPT"
        );
        assert_eq!(encode_ask("").unwrap_err().status(), 400);
        let v = encode_vision("https://example.com/image.png", None).unwrap();
        assert_eq!(
            v.path,
            "/v1/images/vision?url=https%3A%2F%2Fexample.com%2Fimage.png&model=gemini-pro-vision"
        );
        assert!(encode_vision("file:///etc/passwd", None).is_err());
        assert!(encode_vision("https://x", Some("dall-e")).is_err());
        let mut s = SunoRequest {
            prompt: "A catchy pop song".into(),
            ..Default::default()
        };
        assert_eq!(encode_suno_create(&s).unwrap().path, "/v1/suno");
        s.prompt = "x".repeat(201);
        assert!(encode_suno_create(&s).is_err());
        s.custom = Some("true".into());
        assert!(encode_suno_create(&s).is_ok());
        s.instrumental = Some("yes".into());
        assert!(encode_suno_create(&s).is_err());
        assert_eq!(
            encode_suno_poll("3f2a-uuid").unwrap().path,
            "/v1/suno/3f2a-uuid"
        );
        assert!(encode_suno_poll("../check").is_err());
        assert_eq!(encode_check("k y").path, "/check?key=k%20y");
    }
}
