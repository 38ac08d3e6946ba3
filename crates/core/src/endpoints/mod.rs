//! The endpoints beside chat: images, speech, files, and airforce's own.
//!
//! Like the chat codec, each is a pair of pure functions: one building the
//! [`HttpRequest`](crate::http::HttpRequest) to send, one decoding the answer.

pub mod airforce;
pub mod files;
pub mod images;
pub mod speech;

use crate::error::Error;
use alloc::format;

/// Checks that an id taken from a caller is safe to put in a path: 1 to 128 ASCII
/// letters, digits, `-`, `_` or `.`, and not `.` or `..`.
pub fn check_path_id(what: &str, id: &str) -> Result<(), Error> {
    let ok = (1..=128).contains(&id.len())
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("'{what}' is not a valid id"),
            Some(what),
        ))
    }
}
