//! Rate-limit arithmetic (being written).
