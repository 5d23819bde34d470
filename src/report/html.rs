//! HTML report (stub).
use super::view::View;
use super::{Report, ReportError};

pub fn render(_report: &Report, _view: &View) -> Result<String, ReportError> {
    Err(ReportError::Merge("html: not written yet".into()))
}
