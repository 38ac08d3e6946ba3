//! In-memory stores: SECRY's files and airforce's suno clips.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::body::Bytes;

/// One uploaded file.
#[derive(Clone, Debug)]
pub struct StoredFile {
    /// `file-…` id.
    pub id: String,
    /// Original file name.
    pub filename: String,
    /// The `purpose` form field.
    pub purpose: String,
    /// Upload time, seconds since the epoch.
    pub created_at: u64,
    /// The content.
    pub content: Bytes,
}

/// Files by id; ids sort in upload order.
#[derive(Default)]
pub struct FileStore {
    files: Mutex<BTreeMap<String, StoredFile>>,
}

impl FileStore {
    /// Stores a file unless `max_files` are already kept; false when full.
    pub fn insert(&self, file: StoredFile, max_files: usize) -> bool {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if files.len() >= max_files {
            return false;
        }
        files.insert(file.id.clone(), file);
        true
    }

    /// A copy of one file.
    pub fn get(&self, id: &str) -> Option<StoredFile> {
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Every file, in upload order.
    pub fn list(&self) -> Vec<StoredFile> {
        let files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.values().cloned().collect()
    }

    /// Removes one file; true when it existed.
    pub fn remove(&self, id: &str) -> bool {
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
            .is_some()
    }
}

/// One generated song.
#[derive(Clone, Debug)]
pub struct Clip {
    /// The prompt it came from.
    pub prompt: String,
    /// Times it has been polled.
    pub polls: u32,
}

/// Suno clips by UUID.
#[derive(Default)]
pub struct SunoStore {
    clips: Mutex<HashMap<String, Clip>>,
}

impl SunoStore {
    /// Remembers a new clip.
    pub fn insert(&self, id: String, prompt: String) {
        let mut clips = self.clips.lock().unwrap_or_else(|p| p.into_inner());
        clips.insert(id, Clip { prompt, polls: 0 });
    }

    /// Counts a poll and returns the clip as it was before it.
    pub fn poll(&self, id: &str) -> Option<Clip> {
        let mut clips = self.clips.lock().unwrap_or_else(|p| p.into_inner());
        let clip = clips.get_mut(id)?;
        let before = clip.clone();
        clip.polls = clip.polls.saturating_add(1);
        Some(before)
    }
}
