//! Stream accumulator (being written).
