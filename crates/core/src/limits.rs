//! Every size limit the project applies, in one place.

/// Size and count limits; [`Limits::DEFAULT`] is what the gateway and client use
/// unless configured otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted from a caller, in bytes.
    pub max_request_bytes: usize,
    /// Largest non-streamed response body read from a provider, in bytes.
    pub max_response_bytes: usize,
    /// Largest streamed response read from a provider, in bytes, all events together.
    pub max_stream_bytes: usize,
    /// Largest single stream event (or JSON line), in bytes.
    pub max_event_bytes: usize,
    /// Most messages in one chat request.
    pub max_messages: usize,
    /// Largest uploaded file, in bytes.
    pub max_file_bytes: usize,
}

impl Limits {
    /// The defaults: 8 MiB requests (room for inline images), 8 MiB answers, 64 MiB
    /// streams, 1 MiB events, 2048 messages, 32 MiB files.
    pub const DEFAULT: Limits = Limits {
        max_request_bytes: 8 << 20,
        max_response_bytes: 8 << 20,
        max_stream_bytes: 64 << 20,
        max_event_bytes: 1 << 20,
        max_messages: 2048,
        max_file_bytes: 32 << 20,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// How much of a provider's raw error body is kept for diagnosis, in bytes.
pub const MAX_RAW_ERROR_BYTES: usize = 2048;
