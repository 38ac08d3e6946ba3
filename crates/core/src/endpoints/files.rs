//! The OpenAI files API, served by SECRY: paths and answers. Upload bodies are
//! multipart and streamed by the caller; the core only names the paths.

use super::check_path_id;
use crate::error::Error;
use crate::http::{HttpRequest, Method, ResponseKind};
use crate::provider::ProviderId;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// A files operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOp<'a> {
    /// `POST /files` (multipart `purpose` + `file`).
    Upload,
    /// `GET /files`.
    List,
    /// `GET /files/{id}`.
    Retrieve(&'a str),
    /// `GET /files/{id}/content`.
    Content(&'a str),
    /// `DELETE /files/{id}`.
    Delete(&'a str),
}

/// The request for a files operation on `provider` (which must serve files).
pub fn encode_file_op(provider: ProviderId, op: FileOp<'_>) -> Result<HttpRequest, Error> {
    if !provider.spec().files {
        return Err(Error::NotFound {
            message: format!("provider '{provider}' has no files API"),
            code: "not_found",
        });
    }
    let (method, path, response) = match op {
        FileOp::Upload => (Method::Post, String::from("/files"), ResponseKind::Json),
        FileOp::List => (Method::Get, String::from("/files"), ResponseKind::Json),
        FileOp::Retrieve(id) => (Method::Get, id_path(id, "")?, ResponseKind::Json),
        FileOp::Content(id) => (Method::Get, id_path(id, "/content")?, ResponseKind::Binary),
        FileOp::Delete(id) => (Method::Delete, id_path(id, "")?, ResponseKind::Json),
    };
    Ok(HttpRequest {
        method,
        path,
        headers: Vec::new(),
        body: None,
        response,
    })
}

fn id_path(id: &str, suffix: &str) -> Result<String, Error> {
    check_path_id("file_id", id)?;
    Ok(format!("/files/{id}{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_refusals() {
        let r = encode_file_op(ProviderId::Secry, FileOp::Content("file-abc123xyz")).unwrap();
        assert_eq!(r.path, "/files/file-abc123xyz/content");
        assert_eq!(r.method, Method::Get);
        assert_eq!(
            encode_file_op(ProviderId::Secry, FileOp::Delete("x"))
                .unwrap()
                .method,
            Method::Delete
        );
        assert!(encode_file_op(ProviderId::Secry, FileOp::Retrieve("../models")).is_err());
        assert!(encode_file_op(ProviderId::Secry, FileOp::Retrieve("a/b")).is_err());
        assert_eq!(
            encode_file_op(ProviderId::Siraya, FileOp::List)
                .unwrap_err()
                .status(),
            404
        );
    }
}
