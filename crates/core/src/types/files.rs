//! `/files` shapes.

use super::Extra;
use super::lenient::{StringOrNull, lossless};
use super::models::list_object;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

/// A stored file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileObject {
    /// File id.
    pub id: String,
    /// Always `file`.
    pub object: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Unix seconds.
    pub created_at: u64,
    /// Original file name.
    pub filename: String,
    /// What it is for (`batch`, `assistants`, ...).
    pub purpose: String,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    FileObject {
        id,
        object = file_object(),
        bytes = Default::default(),
        created_at = Default::default(),
        filename | StringOrNull = Default::default(),
        purpose | StringOrNull = Default::default(),
    }
}

fn file_object() -> String {
    String::from("file")
}

/// A list of files.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FileList {
    /// Always `list`.
    pub object: String,
    /// The files.
    pub data: Vec<FileObject>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    FileList {
        object = list_object(),
        data = Default::default(),
    }
}

/// The answer to a delete.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileDeleted {
    /// The deleted file's id.
    pub id: String,
    /// Always `file`.
    pub object: String,
    /// Whether it is gone.
    pub deleted: bool,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    FileDeleted {
        id,
        object = file_object(),
        deleted,
    }
}
