//! The evidence the HTML report shows, gathered from the run directories (stub).
use std::path::Path;

use super::Report;

#[derive(Debug, Default)]
pub struct View {}

pub fn gather(_report: &Report, _dir: &Path) -> View {
    View {}
}
