#![allow(dead_code)]
//! The comparison's cases, shared by `vision_fixtures` and
//! `vision_timing`: three 1080×2400 screens and, on each, templates of
//! 64×64, 200×80 and 400×400 cut at textured places.

/// Screen names: the synthetic app screen the matcher was first measured
/// on, a generated noisy UI screen (60 cards with text in the project's
/// fonts, ±6 noise), and a screen rendered by the simulator.
pub(crate) const SCREENS: [&str; 3] = ["app", "ui", "sim"];

/// Per screen: template name, x, y, width, height.
pub(crate) const TEMPLATES: [(&str, [(u32, u32); 3]); 3] = [
    ("t64", [(40, 570), (150, 250), (60, 330)]),
    ("t200x80", [(120, 1010), (60, 1510), (40, 600)]),
    ("t400", [(30, 1250), (300, 500), (300, 300)]),
];

/// The width and height of a template name.
pub(crate) fn size(name: &str) -> (u32, u32) {
    match name {
        "t64" => (64, 64),
        "t200x80" => (200, 80),
        _ => (400, 400),
    }
}
