//! The typed errors of `vision`: loading images, matching, comparing.

use std::path::PathBuf;

/// An image could not be read or decoded.
#[derive(Debug, thiserror::Error)]
pub enum LoadImageError {
    #[error("cannot read image {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot decode image {name}")]
    Decode {
        name: String,
        #[source]
        source: image::ImageError,
    },
    #[error("image {name} is empty (0×0 pixels)")]
    Empty { name: String },
    #[error("cannot decode PNG {name}")]
    Png {
        name: String,
        #[source]
        source: png::DecodingError,
    },
}

/// A template search could not run on the given inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MatchError {
    #[error(
        "template {template_width}×{template_height} is larger than the screen {screen_width}×{screen_height} at every scale searched"
    )]
    TemplateTooLarge {
        template_width: u32,
        template_height: u32,
        screen_width: u32,
        screen_height: u32,
    },
    #[error("image is empty (0×0 pixels)")]
    Empty,
    #[error("mask is {mask_width}×{mask_height}, the template {template_width}×{template_height}")]
    MaskSize {
        mask_width: u32,
        mask_height: u32,
        template_width: u32,
        template_height: u32,
    },
    #[error("mask selects no pixel of the template")]
    EmptyMask,
    #[error("bad scale range: {0}")]
    ScaleRange(String),
    #[error("threshold {0} is outside -1..=1")]
    Threshold(f32),
}

/// Two screenshots could not be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    #[error(
        "images differ in size: baseline {baseline_width}×{baseline_height}, current {current_width}×{current_height}"
    )]
    SizeMismatch {
        baseline_width: u32,
        baseline_height: u32,
        current_width: u32,
        current_height: u32,
    },
    #[error("region {region} lies outside the {width}×{height} image")]
    RegionOutside {
        region: super::Rect,
        width: u32,
        height: u32,
    },
}
