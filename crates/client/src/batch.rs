//! How the chunks of one network read cross to JavaScript: one text and one list of
//! numbers, which `buildBatch` in `js/glue.js` turns back into chunk objects. The
//! numbers stay in wasm memory, read there through one `Float64Array` view.
//!
//! Most chunks have one plain shape: one choice whose delta holds a role, content and
//! string-valued fields of its own (e.g. `reasoning_content`), no usage, no logprobs,
//! no tool calls, no other fields beyond OpenAI's. For those only the strings cross (the
//! id, object, model and fingerprint once per batch while they do not change, then role,
//! content, finish reason and the delta's own fields) and JavaScript builds the object, which
//! is much cheaper than serializing it here and `JSON.parse`-ing it there. Every other
//! chunk crosses as its JSON text. Either way JavaScript gets the object (keys in the
//! same order) that `JSON.parse` of the chunk's `serde_json` text gives;
//! `tests/stream_paths.rs` checks that over every fixture.
//!
//! Layout of `ops` (all `f64`; a string is its length in UTF-16 units, its text the
//! next one in `text`, `-1` for absent or `null`):
//! - `1, len`: a chunk given as JSON text;
//! - `0, 1, id, object, created, model, fingerprint, index, role, content, finish, n,
//!   n × (key, value)`: a plain chunk with a new head (id .. fingerprint) and `n` fields
//!   of its delta's own (in `serde_json`'s order);
//! - `0, 0, index, role, content, finish, n, n × (key, value)`: a plain chunk with the
//!   previous head (which may be from an earlier batch of the same stream).
//!
//! A `key` is a number into the stream's table of delta keys, which both sides grow:
//! the table's size names a new key, whose string follows. JavaScript then uses one
//! string per key (cheaper as a property name than a fresh one per chunk).

use switchboard_core::Error;
use switchboard_core::types::{ChatCompletionChunk, Delta};

/// At most this many delta keys in a stream's table; a chunk that would pass it crosses
/// as JSON (a hostile stream cannot make the table, or its linear search, large).
const MAX_KEYS: usize = 16;

/// The chunks taken so far, encoded for `buildBatch`.
#[derive(Debug, Default)]
pub struct Batch {
    /// Every string, in the order `ops` names them.
    pub text: String,
    /// The records (see the module docs).
    pub ops: Vec<f64>,
    /// How many chunks.
    pub count: usize,
    /// The head (id, object, created, model, fingerprint) of the last plain chunk, kept
    /// from batch to batch (so is `buildBatch`'s).
    head: Option<(String, String, u64, String, Option<String>)>,
    /// The keys of delta fields sent so far, by number (so is `buildBatch`'s).
    keys: Vec<String>,
}

impl Batch {
    /// Empties the batch for the next one, keeping its buffers and the head.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ops.clear();
        self.count = 0;
    }

    /// Appends `chunk`.
    pub fn push(&mut self, chunk: &ChatCompletionChunk) -> Result<(), Error> {
        self.count += 1;
        let plain = chunk.extra.is_empty()
            && chunk.usage.is_none()
            && chunk.choices.len() == 1
            && chunk.choices.iter().all(|c| {
                c.extra.is_empty()
                    && c.logprobs.is_none()
                    && c.native_finish_reason.is_none()
                    && c.delta.tool_calls.is_none()
                    && self.fits(&c.delta)
            });
        let choice = match chunk.choices.first() {
            Some(choice) if plain => choice,
            _ => {
                let json = serde_json::to_string(chunk).map_err(|e| Error::BadResponse {
                    message: format!("a chunk could not be serialized: {e}"),
                    provider: None,
                })?;
                self.ops.push(1.0);
                self.string(Some(&json));
                return Ok(());
            }
        };
        self.ops.push(0.0);
        let same = self
            .head
            .as_ref()
            .is_some_and(|(id, object, created, model, fp)| {
                *id == chunk.id
                    && *object == chunk.object
                    && *created == chunk.created
                    && *model == chunk.model
                    && *fp == chunk.system_fingerprint
            });
        if same {
            self.ops.push(0.0);
        } else {
            self.ops.push(1.0);
            self.string(Some(&chunk.id));
            self.string(Some(&chunk.object));
            // As `JSON.parse` reads the integer: the nearest double.
            self.ops.push(chunk.created as f64);
            self.string(Some(&chunk.model));
            self.string(chunk.system_fingerprint.as_deref());
            self.head = Some((
                chunk.id.clone(),
                chunk.object.clone(),
                chunk.created,
                chunk.model.clone(),
                chunk.system_fingerprint.clone(),
            ));
        }
        self.ops.push(f64::from(choice.index));
        self.string(choice.delta.role.as_ref().map(|r| r.as_str()));
        self.string(choice.delta.content.as_deref());
        self.string(choice.finish_reason.as_ref().map(|f| f.as_str()));
        self.ops.push(choice.delta.extra.len() as f64);
        for (key, value) in &choice.delta.extra {
            match self.keys.iter().position(|k| k == key) {
                Some(k) => self.ops.push(k as f64),
                None => {
                    self.ops.push(self.keys.len() as f64);
                    self.string(Some(key));
                    self.keys.push(key.clone());
                }
            }
            self.string(value.as_str());
        }
        Ok(())
    }

    /// Whether `delta`'s own fields can cross as strings: all string values, and their
    /// keys known or with room in the table.
    fn fits(&self, delta: &Delta) -> bool {
        let mut new = 0;
        delta.extra.iter().all(|(k, v)| {
            new += usize::from(!self.keys.contains(k));
            // Assigning `__proto__` in JS sets the prototype instead.
            v.is_string() && k != "__proto__" && self.keys.len() + new <= MAX_KEYS
        })
    }

    /// Appends a string's length in UTF-16 units (`-1` for none) and its text.
    fn string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.ops.push(utf16_len(s) as f64);
                self.text.push_str(s);
            }
            None => self.ops.push(-1.0),
        }
    }
}

/// The length of `s` in UTF-16 code units (JavaScript's `length`).
fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(json: &str) -> ChatCompletionChunk {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn plain_chunks_cross_as_strings_and_others_as_json() {
        let mut b = Batch::default();
        let plain = r#"{"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"h\u00e9😀"},"finish_reason":null}]}"#;
        b.push(&chunk(plain)).unwrap();
        b.push(&chunk(plain)).unwrap();
        let usage = r#"{"id":"c","created":7,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#;
        b.push(&chunk(usage)).unwrap();
        assert_eq!(b.count, 3);
        let json = serde_json::to_string(&chunk(usage)).unwrap();
        assert_eq!(b.text, format!("cchat.completion.chunkmhé😀hé😀{json}"));
        let mut ops = vec![
            0.0, 1.0, 1.0, 21.0, 7.0, 1.0, -1.0, 0.0, -1.0, 4.0, -1.0, 0.0,
        ];
        ops.extend([0.0, 0.0, 0.0, -1.0, 4.0, -1.0, 0.0, 1.0, json.len() as f64]);
        assert_eq!(b.ops, ops);
    }

    #[test]
    fn delta_keys_cross_once_and_their_table_is_bounded() {
        let with = |key: &str| {
            chunk(&format!(
                r#"{{"id":"c","object":"o","created":7,"model":"m","choices":[{{"index":0,"delta":{{"{key}":"v"}}}}]}}"#
            ))
        };
        let mut b = Batch::default();
        b.push(&with("reasoning_content")).unwrap();
        b.clear();
        b.push(&with("reasoning_content")).unwrap();
        // The previous head and the key numbered 0, no string for it.
        assert_eq!(b.ops, [0.0, 0.0, 0.0, -1.0, -1.0, -1.0, 1.0, 0.0, 1.0]);
        assert_eq!(b.text, "v");
        for k in 1..MAX_KEYS {
            b.clear();
            b.push(&with(&format!("k{k}"))).unwrap();
            assert_eq!(b.ops[..8], [0.0, 0.0, 0.0, -1.0, -1.0, -1.0, 1.0, k as f64]);
        }
        // The table is full: a new key crosses as JSON, a known one still as strings.
        b.clear();
        b.push(&with("one_too_many")).unwrap();
        assert_eq!(b.ops[0], 1.0);
        b.clear();
        b.push(&with("k3")).unwrap();
        assert_eq!(b.ops[..8], [0.0, 0.0, 0.0, -1.0, -1.0, -1.0, 1.0, 3.0]);
    }

    #[test]
    fn utf16_lengths_count_surrogate_pairs() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("é"), 1);
        assert_eq!(utf16_len("😀"), 2);
    }
}
