//! The app-type table (placeholder until it lands).
