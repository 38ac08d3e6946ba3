//! `/files` shapes.

use super::Extra;
use super::lenient::string_or_null;
use super::models::list_object;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// A stored file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileObject {
    /// File id.
    pub id: String,
    /// Always `file`.
    #[serde(default = "file_object")]
    pub object: String,
    /// Size in bytes.
    #[serde(default)]
    pub bytes: u64,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: u64,
    /// Original file name.
    #[serde(default, deserialize_with = "string_or_null")]
    pub filename: String,
    /// What it is for (`batch`, `assistants`, ...).
    #[serde(default, deserialize_with = "string_or_null")]
    pub purpose: String,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

fn file_object() -> String {
    String::from("file")
}

/// A list of files.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FileList {
    /// Always `list`.
    #[serde(default = "list_object")]
    pub object: String,
    /// The files.
    #[serde(default)]
    pub data: Vec<FileObject>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The answer to a delete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileDeleted {
    /// The deleted file's id.
    pub id: String,
    /// Always `file`.
    #[serde(default = "file_object")]
    pub object: String,
    /// Whether it is gone.
    pub deleted: bool,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}
