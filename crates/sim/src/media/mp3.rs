//! Silent but valid MPEG-1 Layer III audio: a run of frames with real frame headers.

/// A text-to-speech voice; each is written at its own sample rate so they differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Voice {
    /// 44.1 kHz.
    Alex,
    /// 48 kHz.
    Sophia,
}

impl Voice {
    /// Parses a `voice` query value.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "alex" => Some(Self::Alex),
            "sophia" => Some(Self::Sophia),
            _ => None,
        }
    }
}

/// Frames written per character of text (one frame is about 26 ms).
const FRAMES_PER_CHAR: usize = 2;
/// Most frames in one file.
const MAX_FRAMES: usize = 4000;

/// An MP3 file for `text`: 128 kbit/s mono frames of silence, two per character.
pub fn speech(text: &str, voice: Voice) -> Vec<u8> {
    // Header: sync 0xFFF, MPEG-1, Layer III, no CRC | 128 kbit/s, sample rate, no padding |
    // mono, original.
    let (rate_bits, frame_len) = match voice {
        Voice::Alex => (0x90u8, 144 * 128_000 / 44_100),
        Voice::Sophia => (0x94u8, 144 * 128_000 / 48_000),
    };
    let frames = (text.chars().count() * FRAMES_PER_CHAR).clamp(4, MAX_FRAMES);
    let mut out = Vec::with_capacity(frames * frame_len);
    for _ in 0..frames {
        out.extend_from_slice(&[0xFF, 0xFB, rate_bits, 0xC4]);
        // Side information and main data all zero: no granule data, i.e. silence.
        out.resize(out.len() + frame_len - 4, 0);
    }
    out
}
