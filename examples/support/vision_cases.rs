#![allow(dead_code)]
//! The comparison's cases, shared by `vision_fixtures` and
//! `vision_timing`: three 1080×2400 screens and, on each, templates of
//! 64×64, 200×80 and 400×400 cut at textured places, and one 200×80
//! region saved at 0.75× (150×60, area-averaged): a template made on a
//! lower-density device, which only a scale range finds.

/// Screen names: the synthetic app screen the matcher was first measured
/// on, a generated noisy UI screen (60 cards with text in the project's
/// fonts, ±6 noise), and a screen rendered by the simulator.
pub(crate) const SCREENS: [&str; 3] = ["app", "ui", "sim"];

/// Per screen: template name, x, y, width, height.
pub(crate) const TEMPLATES: [(&str, [(u32, u32); 3]); 4] = [
    ("t64", [(40, 570), (150, 250), (60, 330)]),
    ("t200x80", [(120, 1010), (60, 1510), (40, 600)]),
    ("t400", [(30, 1250), (300, 500), (300, 300)]),
    ("d150x60", [(120, 1010), (300, 1500), (40, 600)]),
];

/// The width and height of a template's region on the screen.
pub(crate) fn size(name: &str) -> (u32, u32) {
    match name {
        "t64" => (64, 64),
        "t200x80" | "d150x60" => (200, 80),
        _ => (400, 400),
    }
}

/// The size a template is saved at, when not its region's.
pub(crate) fn made_at(name: &str) -> Option<(u32, u32)> {
    (name == "d150x60").then_some((150, 60))
}

/// Where the template's region is on screen `k`.
pub(crate) fn place(name: &str, k: usize) -> (u32, u32) {
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or((0, 0), |(_, p)| p[k])
}
