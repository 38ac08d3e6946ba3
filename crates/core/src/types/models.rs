//! `/models` shapes.

use super::Extra;
use super::lenient::{StringOrNull, lossless};
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

/// A list of models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelList {
    /// Always `list`.
    pub object: String,
    /// The models.
    pub data: Vec<Model>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ModelList {
        object = list_object(),
        data = Default::default(),
    }
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// Model id.
    pub id: String,
    /// Always `model`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// Who serves it.
    pub owned_by: String,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    Model {
        id,
        object = model_object(),
        created = Default::default(),
        owned_by | StringOrNull = Default::default(),
    }
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
