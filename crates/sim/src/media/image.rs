//! Small deterministic pictures: a seed-coloured gradient, encoded as PNG, JPEG or WebP.

use crate::hash::mix;

/// An image file format the simulator can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
    /// `image/webp` (lossless).
    Webp,
}

impl Format {
    /// Parses a `response_extension` value.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "png" => Some(Self::Png),
            "jpg" | "jpeg" => Some(Self::Jpeg),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }
}

/// RGB pixels (3 bytes each, row-major): a horizontal gradient whose colours come from `seed`.
pub fn render(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let h = mix(seed);
    let base = [
        (h & 0xff) as u32,
        ((h >> 8) & 0xff) as u32,
        ((h >> 16) & 0xff) as u32,
    ];
    let step = [
        ((h >> 24) & 0x7f) as u32 + 1,
        ((h >> 32) & 0x7f) as u32 + 1,
        ((h >> 40) & 0x7f) as u32 + 1,
    ];
    let w = width.max(1);
    let mut row = Vec::with_capacity(width as usize * 3);
    for x in 0..width {
        for c in 0..3 {
            row.push(((base[c] + step[c] * x * 255 / w) & 0xff) as u8);
        }
    }
    let mut pixels = Vec::with_capacity(row.len() * height as usize);
    for _ in 0..height {
        pixels.extend_from_slice(&row);
    }
    pixels
}

/// Encodes RGB pixels in `format`.
pub fn encode(format: Format, width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    match format {
        Format::Png => {
            let mut enc = png::Encoder::new(&mut out, width, height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Fast);
            let mut writer = enc.write_header().map_err(|e| e.to_string())?;
            writer.write_image_data(rgb).map_err(|e| e.to_string())?;
            writer.finish().map_err(|e| e.to_string())?;
        }
        Format::Jpeg => {
            let (w, h) = (
                u16::try_from(width).map_err(|_| "image too wide for JPEG")?,
                u16::try_from(height).map_err(|_| "image too tall for JPEG")?,
            );
            let enc = jpeg_encoder::Encoder::new(&mut out, 85);
            enc.encode(rgb, w, h, jpeg_encoder::ColorType::Rgb)
                .map_err(|e| e.to_string())?;
        }
        Format::Webp => {
            image_webp::WebPEncoder::new(&mut out)
                .encode(rgb, width, height, image_webp::ColorType::Rgb8)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(out)
}

/// Renders and encodes in one step.
pub fn picture(format: Format, width: u32, height: u32, seed: u64) -> Result<Vec<u8>, String> {
    encode(format, width, height, &render(width, height, seed))
}
