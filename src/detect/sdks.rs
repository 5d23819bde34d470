//! Third-party SDK data (placeholder until it lands).
