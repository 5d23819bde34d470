//! History (stub).
