//! Text to speech through airforce `GET /get-audio?text&voice`, answering MP3.
//!
//! Voice rule: airforce has two voices. OpenAI's deeper voices (`alloy`, `ash`,
//! `ballad`, `echo`, `fable`, `onyx`, `verse`) map to `alex`; the brighter ones
//! (`coral`, `nova`, `sage`, `shimmer`) to `sophia`; `alex` and `sophia` pass through;
//! no voice means `alex`; anything else is refused.

use crate::error::Error;
use crate::http::{HttpRequest, ResponseHead, ResponseKind, push_query};
use crate::provider::ProviderId;
use crate::types::SpeechRequest;
use alloc::format;
use alloc::string::String;

/// Longest text accepted, in characters (OpenAI's own limit).
pub const MAX_SPEECH_CHARS: usize = 4096;

/// Maps an OpenAI voice name to an airforce voice.
pub fn map_voice(voice: &str) -> Result<&'static str, Error> {
    match voice.to_ascii_lowercase().as_str() {
        "" | "alex" | "alloy" | "ash" | "ballad" | "echo" | "fable" | "onyx" | "verse" => {
            Ok("alex")
        }
        "sophia" | "coral" | "nova" | "sage" | "shimmer" => Ok("sophia"),
        _ => Err(Error::invalid(
            format!(
                "voice '{voice}' is not available; use alex or sophia (or an OpenAI voice name)"
            ),
            Some("voice"),
        )),
    }
}

/// The request for `POST /v1/audio/speech`, for a provider with speech.
pub fn encode_speech(provider: ProviderId, req: &SpeechRequest) -> Result<HttpRequest, Error> {
    if !provider.spec().speech {
        return Err(Error::unsupported(provider.as_str(), "audio/speech"));
    }
    let chars = req.input.chars().count();
    if chars == 0 || chars > MAX_SPEECH_CHARS {
        return Err(Error::invalid(
            format!("'input' must hold 1 to {MAX_SPEECH_CHARS} characters"),
            Some("input"),
        ));
    }
    if req.response_format.as_deref().is_some_and(|f| f != "mp3") {
        return Err(Error::invalid(
            "only 'mp3' is available as response_format",
            Some("response_format"),
        ));
    }
    let voice = map_voice(&req.voice)?;
    let mut path = String::from("/get-audio");
    push_query(&mut path, &[("text", &req.input), ("voice", voice)]);
    Ok(HttpRequest::get(path, ResponseKind::Binary))
}

/// Checks a speech answer: success with audio, or the error it is.
pub fn decode_speech(provider: ProviderId, head: &ResponseHead, body: &[u8]) -> Result<(), Error> {
    if !head.is_success() {
        return Err(crate::decode::decode_error(provider, head, body));
    }
    let audio = head
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("audio/"));
    if !audio || body.is_empty() {
        return Err(Error::BadResponse {
            message: format!("provider '{provider}' returned no audio"),
            provider: Some(String::from(provider.as_str())),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_and_request() {
        assert_eq!(map_voice("nova").unwrap(), "sophia");
        assert_eq!(map_voice("Onyx").unwrap(), "alex");
        assert_eq!(map_voice("").unwrap(), "alex");
        assert!(map_voice("darth").is_err());
        let req = SpeechRequest {
            input: "Hello world & more".into(),
            voice: "shimmer".into(),
            ..Default::default()
        };
        let r = encode_speech(ProviderId::Airforce, &req).unwrap();
        assert_eq!(
            r.path,
            "/get-audio?text=Hello%20world%20%26%20more&voice=sophia"
        );
        assert!(encode_speech(ProviderId::Secry, &req).is_err());
        let empty = SpeechRequest::default();
        assert_eq!(
            encode_speech(ProviderId::Airforce, &empty)
                .unwrap_err()
                .status(),
            400
        );
    }
}
