//! Fuzz target bodies for switchboard-core, one public function per target.
//!
//! Every target reads its input as a 5-byte header then a body: the first header
//! byte selects the variant (provider, response kind, status, limits), the other four
//! seed the split points used to feed the body in pieces. Each body asserts its
//! invariants itself, so a broken invariant is a crash libFuzzer reports and
//! minimizes. The same functions run over the committed regression inputs in a stable
//! test (`tests/regressions.rs`).

mod decode;
mod request;
mod stream;

pub use decode::decode;
pub use request::request;
pub use stream::{accumulate, sse, stream};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bytes before the body: one selector byte and a four-byte split seed.
pub const HEADER: usize = 5;

/// A fuzz input split into its header fields and body.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Chooses the variant under test.
    pub selector: u8,
    /// Seeds the split points.
    pub seed: u32,
    /// The bytes under test.
    pub body: &'a [u8],
}

impl<'a> Input<'a> {
    /// Splits `data`; `None` when it is shorter than the header.
    pub fn parse(data: &'a [u8]) -> Option<Self> {
        let (head, body) = data.split_at_checked(HEADER)?;
        let [selector, a, b, c, d] = <[u8; HEADER]>::try_from(head).ok()?;
        Some(Input {
            selector,
            seed: u32::from_le_bytes([a, b, c, d]),
            body,
        })
    }
}

/// Cuts `body` into pieces derived from `seed`: one-byte pieces, short random pieces,
/// longer random pieces, or two halves at a seed-chosen point.
pub fn pieces(body: &[u8], seed: u32) -> Vec<&[u8]> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as usize
    };
    let mode = seed & 3;
    if mode == 3 {
        let at = if body.is_empty() {
            0
        } else {
            next() % body.len()
        };
        let (a, b) = body.split_at(at);
        return vec![a, b];
    }
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let len = match mode {
            0 => 1,
            1 => 1 + next() % 16,
            _ => 1 + next() % 256,
        };
        let (piece, tail) = rest.split_at(len.min(rest.len()));
        out.push(piece);
        rest = tail;
    }
    out
}

/// Asserts that `value` survives encode → decode unchanged.
pub fn round_trip<T>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = serde_json::to_vec(value).expect("a decoded value encodes");
    let back: T = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "re-decoding failed: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(&back, value, "round trip changed the value");
}
