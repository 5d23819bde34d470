//! Image selectors: where a scenario's template image (`image:` in a
//! selector) shows on a screenshot, as [`Found`] placements that the engine
//! taps and asserts like elements of the UI tree.
//!
//! Pure: the template is read from its file on each call (nothing is
//! cached) and matched with [`crate::vision`] over the scales 0.5 to 2, so
//! a template cut on a device of another density is found too (about a
//! quarter of a second per search in a release build, against the ~2 s of
//! a dump), with the selector's threshold.

use std::path::PathBuf;

use crate::android::uiautomator::Bounds;
use crate::engine::select::Found;
use crate::scenario::model::ImageRef;
use crate::vision::{self, LoadImageError, MatchError, MatchOptions, Screen, Template};

/// A score this close to 1 is a perfect match (float error aside).
const PERFECT: f32 = 1.0 - 1e-5;

/// Why a template could not be looked for. Each message names the file and
/// the cause, whole (there is no further `source` to print).
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file cannot be read, or is not an image.
    #[error("cannot read template image {path}: {cause}")]
    Unreadable { path: PathBuf, cause: String },
    /// The template has no pixel to match: 0×0, or transparent everywhere.
    #[error("template image {path} is empty: {cause}")]
    EmptyTemplate { path: PathBuf, cause: String },
    /// The search could not run (the template is larger than the screen
    /// at every scale searched, the screenshot is empty).
    #[error("cannot match template image {path}: {error}")]
    Match { path: PathBuf, error: MatchError },
}

/// Where a template shows on a screenshot, best first, at most `max` placements scoring at least the threshold; as `select::Found` so the engine treats them like elements.
///
/// Each placement is a [`Found`] with the matched rectangle as its bounds,
/// its centre as the tap point, class `image`, `order` its rank (0 the
/// best score), no text, content description or resource id, clickable and
/// enabled, not checked. No placement reaches the threshold: an empty list.
/// `max` 0 still reads the template (so a bad file is reported) but
/// searches nothing.
pub fn find_image(
    screen: &image::DynamicImage,
    image: &ImageRef,
    max: usize,
) -> Result<Vec<Found>, ImageError> {
    let path = || image.path.clone();
    let picture = vision::load_image(&image.path).map_err(|e| match e {
        LoadImageError::Read { source, .. } => ImageError::Unreadable {
            path: path(),
            cause: source.to_string(),
        },
        LoadImageError::Decode { source, .. } => ImageError::Unreadable {
            path: path(),
            cause: format!("not a readable image ({source})"),
        },
        LoadImageError::Png { source, .. } => ImageError::Unreadable {
            path: path(),
            cause: format!("not a readable image ({source})"),
        },
        LoadImageError::Empty { .. } => ImageError::EmptyTemplate {
            path: path(),
            cause: "0×0 pixels".into(),
        },
    })?;
    let template = Template::from_image(&picture).map_err(|error| match error {
        MatchError::Empty => ImageError::EmptyTemplate {
            path: path(),
            cause: "0×0 pixels".into(),
        },
        MatchError::EmptyMask => ImageError::EmptyTemplate {
            path: path(),
            cause: "every pixel is transparent".into(),
        },
        error => ImageError::Match {
            path: path(),
            error,
        },
    })?;
    if max == 0 {
        return Ok(Vec::new());
    }
    let screen = Screen::from_image(screen).map_err(|error| ImageError::Match {
        path: path(),
        error,
    })?;
    let options = MatchOptions {
        // Scores carry float error, so a pixel-perfect copy may score just
        // under 1: `threshold: 1` means "perfect", not "above perfect".
        threshold: image.threshold.min(PERFECT),
        max_matches: max,
        scales: vision::ScaleRange::spanning(0.5, 2.0).map_err(|error| ImageError::Match {
            path: path(),
            error,
        })?,
        ..MatchOptions::default()
    };
    let result = vision::find(&screen, &template, &options).map_err(|error| ImageError::Match {
        path: path(),
        error,
    })?;
    Ok(result
        .matches
        .iter()
        .take(max)
        .enumerate()
        .map(|(rank, m)| placement(rank, m))
        .collect())
}

/// One match as an element.
fn placement(rank: usize, m: &vision::Match) -> Found {
    let coord = |v: u64| i32::try_from(v).unwrap_or(i32::MAX);
    let rect = m.rect();
    let bounds = Bounds {
        left: coord(u64::from(rect.x)),
        top: coord(u64::from(rect.y)),
        right: coord(rect.right()),
        bottom: coord(rect.bottom()),
    };
    Found {
        bounds,
        center: bounds.center(),
        text: String::new(),
        content_desc: String::new(),
        resource_id: String::new(),
        class: "image".into(),
        order: rank,
        clickable: true,
        enabled: true,
        checked: false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use image::{Rgba, RgbaImage};

    use super::*;

    /// A real Pixel 8 screenshot (1080×2400): an ANR dialog whose "Close
    /// app" row starts with a ✕ icon and whose "Wait" row with a clock.
    const SHOT: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/real-captures/uiautomator/anr-dialog_pixel8_systemui.png"
    );

    fn find(screen: &RgbaImage, image: &ImageRef, max: usize) -> Result<Vec<Found>, ImageError> {
        find_image(&image::DynamicImage::ImageRgba8(screen.clone()), image, max)
    }

    fn shot() -> RgbaImage {
        vision::load_image(Path::new(SHOT))
            .expect("real capture")
            .to_rgba8()
    }

    /// Saves `img` as a PNG template in `dir`.
    fn save(dir: &Path, name: &str, img: &RgbaImage) -> ImageRef {
        let path = dir.join(name);
        img.save(&path).expect("write template");
        ImageRef {
            written: name.into(),
            path,
            threshold: ImageRef::DEFAULT_THRESHOLD,
        }
    }

    fn crop(img: &RgbaImage, x: u32, y: u32, w: u32, h: u32) -> RgbaImage {
        image::imageops::crop_imm(img, x, y, w, h).to_image()
    }

    fn bounds(f: &Found) -> (i32, i32, i32, i32) {
        (f.bounds.left, f.bounds.top, f.bounds.right, f.bounds.bottom)
    }

    #[test]
    fn a_crop_is_found_where_it_was_cut() {
        let screen = shot();
        let dir = tempfile::tempdir().expect("tempdir");
        // The ✕ icon of "Close app" (row [70,1176][1010,1302] in the dump).
        let close = save(dir.path(), "close.png", &crop(&screen, 120, 1195, 90, 90));
        let found = find(&screen, &close, 5).expect("searches");
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(bounds(f), (120, 1195, 210, 1285));
        assert_eq!(f.center, (165, 1240));
        assert_eq!(
            (f.class.as_str(), f.order, f.clickable, f.enabled, f.checked),
            ("image", 0, true, true, false)
        );
        assert!(f.text.is_empty() && f.content_desc.is_empty() && f.resource_id.is_empty());

        // The title text, a wide template.
        let title = save(dir.path(), "title.png", &crop(&screen, 133, 1066, 600, 71));
        let found = find(&screen, &title, 1).expect("searches");
        assert_eq!(
            found.iter().map(bounds).collect::<Vec<_>>(),
            [(133, 1066, 733, 1137)]
        );
    }

    #[test]
    fn a_template_that_is_not_there_gives_no_match() {
        let screen = shot();
        let dir = tempfile::tempdir().expect("tempdir");
        // The clock icon of "Wait", looked for on the same screen with the
        // icon painted over in the dialog's colour.
        let clock = save(dir.path(), "clock.png", &crop(&screen, 120, 1320, 90, 90));
        assert_eq!(find(&screen, &clock, 3).expect("searches").len(), 1);
        let mut without = screen.clone();
        let dialog = *screen.get_pixel(100, 1320);
        for y in 1320..1410 {
            for x in 120..210 {
                without.put_pixel(x, y, dialog);
            }
        }
        assert_eq!(find(&without, &clock, 3).expect("searches"), []);
        // A checkerboard, nothing like the screen.
        let board = RgbaImage::from_fn(64, 64, |x, y| {
            if (x / 8 + y / 8) % 2 == 0 {
                Rgba([0, 0, 0, 255])
            } else {
                Rgba([255, 255, 255, 255])
            }
        });
        let board = save(dir.path(), "board.png", &board);
        assert_eq!(find(&screen, &board, 3).expect("searches"), []);
    }

    /// Copies `patch` into `img` at (x, y), each channel moved by `noise`
    /// in a fixed pattern, so that the copy scores a little under 1.
    fn paste(img: &mut RgbaImage, patch: &RgbaImage, x: u32, y: u32, noise: i16) {
        for (px, py, p) in patch.enumerate_pixels() {
            let d = if (px * 7 + py * 13) % 3 == 0 {
                noise
            } else {
                -noise
            };
            let c = |v: u8| u8::try_from((i16::from(v) + d).clamp(0, 255)).unwrap_or(0);
            img.put_pixel(x + px, y + py, Rgba([c(p[0]), c(p[1]), c(p[2]), 255]));
        }
    }

    #[test]
    fn placements_come_best_first_and_at_most_max() {
        let mut screen = shot();
        let icon = crop(&screen, 120, 1195, 90, 90);
        // Two more copies on the plain background above the dialog: one
        // with light noise, one with more.
        paste(&mut screen, &icon, 500, 300, 6);
        paste(&mut screen, &icon, 200, 600, 14);
        let dir = tempfile::tempdir().expect("tempdir");
        let close = save(dir.path(), "close.png", &icon);

        let all = find(&screen, &close, 10).expect("searches");
        assert_eq!(
            all.iter().map(bounds).collect::<Vec<_>>(),
            [
                (120, 1195, 210, 1285),
                (500, 300, 590, 390),
                (200, 600, 290, 690)
            ]
        );
        assert_eq!(all.iter().map(|f| f.order).collect::<Vec<_>>(), [0, 1, 2]);

        let two = find(&screen, &close, 2).expect("searches");
        assert_eq!(two, all[..2]);
        let one = find(&screen, &close, 1).expect("searches");
        assert_eq!(one, all[..1]);
        assert_eq!(find(&screen, &close, 0).expect("reads"), []);

        // A threshold of 1 keeps the exact copy only.
        let exact = ImageRef {
            threshold: 1.0,
            ..close
        };
        let found = find(&screen, &exact, 10).expect("searches");
        assert_eq!(
            found.iter().map(bounds).collect::<Vec<_>>(),
            [(120, 1195, 210, 1285)]
        );
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = ImageRef {
            written: "icons/gone.png".into(),
            path: dir.path().join("icons/gone.png"),
            threshold: 0.9,
        };
        let err = find(&shot(), &missing, 1).expect_err("no file");
        assert!(matches!(err, ImageError::Unreadable { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("icons/gone.png"), "{message}");
        assert!(message.contains("No such file"), "the cause: {message}");
        // Even when nothing is searched.
        assert!(find(&shot(), &missing, 0).is_err());
    }

    #[test]
    fn unusable_templates_are_errors_naming_the_file() {
        let screen = shot();
        let dir = tempfile::tempdir().expect("tempdir");
        let not_png = dir.path().join("notes.png");
        std::fs::write(&not_png, "not an image").expect("write");
        let not_png = ImageRef {
            written: "notes.png".into(),
            path: not_png,
            threshold: 0.9,
        };
        let err = find(&screen, &not_png, 1).expect_err("not an image");
        assert!(matches!(err, ImageError::Unreadable { .. }), "{err:?}");
        assert!(err.to_string().contains("notes.png"), "{err}");

        let clear = save(dir.path(), "clear.png", &RgbaImage::new(16, 16));
        let err = find(&screen, &clear, 1).expect_err("transparent");
        assert!(matches!(err, ImageError::EmptyTemplate { .. }), "{err:?}");
        assert!(err.to_string().contains("clear.png"), "{err}");
        assert!(err.to_string().contains("transparent"), "{err}");

        let wide = save(dir.path(), "wide.png", &crop(&screen, 0, 0, 1080, 100));
        // Too wide even at the smallest scale searched (0.5: 540 px).
        let small = crop(&screen, 0, 0, 500, 1200);
        let err = find(&small, &wide, 1).expect_err("larger than the screen");
        assert!(
            matches!(
                err,
                ImageError::Match {
                    error: MatchError::TemplateTooLarge { .. },
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("wide.png"), "{err}");
        assert!(err.to_string().contains("larger than the screen"), "{err}");
    }
}
