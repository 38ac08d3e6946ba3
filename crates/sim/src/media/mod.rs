//! Real media bytes made in code: images (PNG, JPEG, WebP) and MP3 audio.

pub mod image;
pub mod mp3;
