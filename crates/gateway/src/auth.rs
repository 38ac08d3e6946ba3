//! Caller authentication: a Bearer token from `GATEWAY_TOKENS`, when that is set.
//!
//! The caller's `Authorization` header is only ever compared here; upstream requests
//! are built from scratch by the core with the provider key, so it is never forwarded.

use switchboard_core::Error;

/// Checks the `Authorization` header against the configured tokens. With no tokens
/// configured the gateway is open (anonymous browser use, guarded by the IP limit and
/// the CORS allowlist).
pub fn check(tokens: &[String], authorization: Option<&str>) -> Result<(), Error> {
    if tokens.is_empty() {
        return Ok(());
    }
    let presented = authorization
        .and_then(|h| {
            let (scheme, rest) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(presented) = presented else {
        return Err(Error::Unauthorized {
            message: "missing gateway token: send 'Authorization: Bearer <token>'".to_owned(),
        });
    };
    // Compare every token in full so the time taken does not reveal a matching prefix.
    let mut ok = false;
    for token in tokens {
        ok |= constant_time_eq(token.as_bytes(), presented.as_bytes());
    }
    if ok {
        Ok(())
    } else {
        Err(Error::Unauthorized {
            message: "invalid gateway token".to_owned(),
        })
    }
}

/// Equality whose time depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_without_tokens_closed_with() {
        assert!(check(&[], None).is_ok());
        let tokens = ["t1".to_owned(), "t2".to_owned()];
        assert!(check(&tokens, Some("Bearer t2")).is_ok());
        assert!(check(&tokens, Some("bearer  t1 ")).is_ok());
        for bad in [
            None,
            Some("Bearer"),
            Some("Bearer t3"),
            Some("Basic t1"),
            Some("t1"),
        ] {
            assert_eq!(
                check(&tokens, bad).map_err(|e| e.status()),
                Err(401),
                "{bad:?}"
            );
        }
    }
}
