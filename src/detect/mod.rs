//! Detectors: one pure rule per violation category, from the evidence of
//! an app's runs to findings (see `docs/categories.md`).

pub mod apptypes;
pub mod sdks;
