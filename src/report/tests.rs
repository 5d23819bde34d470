//! tests (stub)
