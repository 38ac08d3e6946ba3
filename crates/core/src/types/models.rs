//! `/models` shapes.

use super::Extra;
use super::lenient::string_or_null;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// A list of models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    /// Always `list`.
    #[serde(default = "list_object")]
    pub object: String,
    /// The models.
    #[serde(default)]
    pub data: Vec<Model>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Default for ModelList {
    fn default() -> Self {
        ModelList {
            object: list_object(),
            data: Vec::new(),
            extra: Extra::new(),
        }
    }
}

pub(crate) fn list_object() -> String {
    String::from("list")
}

/// One model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Model id.
    pub id: String,
    /// Always `model`.
    #[serde(default = "model_object")]
    pub object: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: u64,
    /// Who serves it.
    #[serde(default, deserialize_with = "string_or_null")]
    pub owned_by: String,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

fn model_object() -> String {
    String::from("model")
}

impl Model {
    /// A model entry with the given id and owner.
    pub fn new(id: impl Into<String>, owned_by: impl Into<String>) -> Self {
        Model {
            id: id.into(),
            object: model_object(),
            created: 0,
            owned_by: owned_by.into(),
            extra: Extra::new(),
        }
    }
}
