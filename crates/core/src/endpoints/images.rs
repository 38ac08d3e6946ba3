//! Image generation: SECRY's JSON API and airforce's `GET /v1/imagine` (PNG bytes,
//! returned to the caller as `b64_json`).
//!
//! OpenAI's `size` (`WIDTHxHEIGHT`) becomes SECRY's `width`/`height`, or the nearest
//! of airforce's seven aspect ratios.

use crate::error::Error;
use crate::http::{HttpRequest, ResponseHead, ResponseKind, push_query};
use crate::provider::airforce::{IMAGE_MODELS, IMAGE_RATIOS};
use crate::provider::{ImageApi, ProviderId};
use crate::route::Target;
use crate::types::{ImageData, ImageRequest, ImageResponse};
use alloc::format;
use alloc::string::{String, ToString};
use serde_json::{Value, json};

/// Longest prompt accepted, in characters.
pub const MAX_PROMPT_CHARS: usize = 4000;
/// Largest side accepted, in pixels.
pub const MAX_SIDE: u32 = 2048;

/// The request for `POST /v1/images/generations` on a target that generates images.
pub fn encode_image(target: &Target, req: &ImageRequest) -> Result<HttpRequest, Error> {
    let provider = target.provider;
    let Some(api) = provider.spec().images else {
        return Err(Error::unsupported(provider.as_str(), "images/generations"));
    };
    let chars = req.prompt.chars().count();
    if chars == 0 || chars > MAX_PROMPT_CHARS {
        return Err(Error::invalid(
            format!("'prompt' must hold 1 to {MAX_PROMPT_CHARS} characters"),
            Some("prompt"),
        ));
    }
    if req.n.is_some_and(|n| n != 1) {
        return Err(Error::invalid("only n = 1 is available", Some("n")));
    }
    if req
        .response_format
        .as_deref()
        .is_some_and(|f| f != "b64_json")
    {
        return Err(Error::invalid(
            "only 'b64_json' is available as response_format",
            Some("response_format"),
        ));
    }
    let (width, height) = match req.size.as_deref() {
        None | Some("auto") => (1024, 1024),
        Some(size) => parse_size(size)?,
    };
    let seed = match req.extra.get("seed") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
        Some(_) => return Err(Error::invalid("'seed' must be an integer", Some("seed"))),
    };
    match api {
        ImageApi::SecryJson => {
            let mut body = req.extra.clone();
            body.insert("model".into(), Value::String(target.model.clone()));
            body.insert("prompt".into(), Value::String(req.prompt.clone()));
            body.insert("response_format".into(), json!("b64_json"));
            body.entry("response_extension").or_insert(json!("png"));
            body.insert("width".into(), json!(width));
            body.insert("height".into(), json!(height));
            let body = serde_json::to_vec(&body)
                .map_err(|e| Error::invalid(format!("request cannot be encoded: {e}"), None))?;
            Ok(HttpRequest::post_json(
                "/images/generations".into(),
                body,
                ResponseKind::Json,
            ))
        }
        ImageApi::AirforceImagine => {
            let model = if target.model.is_empty() {
                "flux"
            } else {
                target.model.as_str()
            };
            if !IMAGE_MODELS.contains(&model) {
                return Err(Error::invalid(
                    format!(
                        "image model '{model}' is not one of airforce's: {}",
                        IMAGE_MODELS.join(", ")
                    ),
                    Some("model"),
                ));
            }
            let (rw, rh) = nearest_ratio(width, height);
            let ratio = format!("{rw}:{rh}");
            let seed = seed.map(|s| s.to_string());
            let mut path = String::from("/v1/imagine");
            push_query(
                &mut path,
                &[("prompt", &req.prompt), ("size", &ratio), ("model", model)],
            );
            if let Some(seed) = &seed {
                push_query(&mut path, &[("seed", seed)]);
            }
            Ok(HttpRequest::get(path, ResponseKind::Binary))
        }
    }
}

/// Parses `WIDTHxHEIGHT`.
pub fn parse_size(size: &str) -> Result<(u32, u32), Error> {
    let bad = || {
        Error::invalid(
            format!("'size' must be WIDTHxHEIGHT (each 64 to {MAX_SIDE}), not '{size}'"),
            Some("size"),
        )
    };
    let (w, h) = size.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if !(64..=MAX_SIDE).contains(&w) || !(64..=MAX_SIDE).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

/// The airforce aspect ratio closest to `width:height` (compared as cross products,
/// so no floats: the ratio whose w/h differs least, relative to both).
pub fn nearest_ratio(width: u32, height: u32) -> (u32, u32) {
    let (w, h) = (u64::from(width), u64::from(height));
    let distance = |&&(rw, rh): &&(u32, u32)| {
        let (a, b) = (w * u64::from(rh), h * u64::from(rw));
        // |a/b - 1| scaled: max/min - 1 >= 0, compared as a fraction with common base.
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi * 1_000_000) / lo.max(1)
    };
    IMAGE_RATIOS
        .iter()
        .min_by_key(distance)
        .copied()
        .unwrap_or((1, 1))
}

/// Decodes an image answer into the OpenAI shape.
pub fn decode_image(
    provider: ProviderId,
    head: &ResponseHead,
    body: &[u8],
) -> Result<ImageResponse, Error> {
    if !head.is_success() {
        return Err(crate::decode::decode_error(provider, head, body));
    }
    let bad = |what: &str| Error::BadResponse {
        message: format!("provider '{provider}' returned {what}"),
        provider: Some(provider.to_string()),
    };
    match provider.spec().images {
        Some(ImageApi::SecryJson) => {
            let mut r: ImageResponse = serde_json::from_slice(body)
                .map_err(|_| bad("an image answer that is not JSON"))?;
            if r.data
                .iter()
                .all(|d| d.b64_json.is_none() && d.url.is_none())
            {
                return Err(bad("an image answer with no image"));
            }
            if r.created == 0 {
                r.created = head.now;
            }
            Ok(r)
        }
        Some(ImageApi::AirforceImagine) => {
            const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
            if !body.starts_with(PNG) {
                return Err(bad("bytes that are not a PNG image"));
            }
            Ok(ImageResponse {
                created: head.now,
                data: alloc::vec![ImageData {
                    b64_json: Some(base64(body)),
                    ..ImageData::default()
                }],
                ..ImageResponse::default()
            })
        }
        None => Err(Error::unsupported(provider.as_str(), "images/generations")),
    }
}

/// Standard base64 with padding (RFC 4648 section 4); a few hundred bytes of wasm
/// where the `base64` crate's unrolled encoder is kilobytes.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63])
            } else {
                '='
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_crate() {
        use base64::Engine;
        let bytes: alloc::vec::Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in 0..bytes.len() {
            let cut = &bytes[len / 2..len];
            let want = base64::engine::general_purpose::STANDARD.encode(cut);
            assert_eq!(base64(cut), want, "{len}");
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
    }

    #[test]
    fn ratios() {
        assert_eq!(nearest_ratio(1024, 1024), (1, 1));
        assert_eq!(nearest_ratio(1792, 1024), (16, 9));
        assert_eq!(nearest_ratio(1024, 1792), (9, 16));
        assert_eq!(nearest_ratio(2048, 1024), (2, 1));
        assert_eq!(nearest_ratio(2048, 880), (21, 9));
    }

    #[test]
    fn requests() {
        let req = ImageRequest {
            prompt: "A beautiful landscape".into(),
            size: Some("1792x1024".into()),
            ..Default::default()
        };
        let mut req_seed = req.clone();
        req_seed.extra.insert("seed".into(), json!(123456));
        let t = Target::parse("airforce/flux-realism").unwrap();
        let r = encode_image(&t, &req_seed).unwrap();
        assert_eq!(
            r.path,
            "/v1/imagine?prompt=A%20beautiful%20landscape&size=16%3A9&model=flux-realism&seed=123456"
        );
        assert!(encode_image(&Target::parse("airforce/dall-e").unwrap(), &req).is_err());
        let s = encode_image(
            &Target::parse("secry/black-forest-labs/flux-schnell").unwrap(),
            &req,
        )
        .unwrap();
        let body: Value = serde_json::from_slice(s.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["width"], 1792);
        assert_eq!(body["response_extension"], "png");
        assert!(encode_image(&Target::parse("siraya/x").unwrap(), &req).is_err());
        let bad = ImageRequest {
            prompt: "x".into(),
            size: Some("10x10".into()),
            ..Default::default()
        };
        assert_eq!(encode_image(&t, &bad).unwrap_err().status(), 400);
    }

    #[test]
    fn png_becomes_b64() {
        let head = ResponseHead::new(200, 7).with_header("content-type", "image/png");
        let r = decode_image(ProviderId::Airforce, &head, b"\x89PNG\r\n\x1a\nrest").unwrap();
        assert_eq!(r.created, 7);
        assert_eq!(r.data[0].b64_json.as_deref(), Some("iVBORw0KGgpyZXN0"));
        assert!(decode_image(ProviderId::Airforce, &head, b"<html>").is_err());
    }
}
