//! Batch (stub).
