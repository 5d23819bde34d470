//! Rendering of a simulated [`Screen`]: the uiautomator XML that
//! `uiautomator dump` prints and the picture that `screencap -p` returns,
//! both drawn from the same widget tree so that a test always sees the
//! same screen in the dump and in the PNG.
//!
//! This file owns:
//! - the dump format, byte for byte as Android writes it: the platform
//!   `AccessibilityNodeInfoDumper` (attribute order, `NAF="true"`, the
//!   `index` among siblings, bounds clipped to the display, invalid
//!   characters replaced by `.`) serialised the way Android's
//!   `KXmlSerializer` does (single line, `" />"` for leaves, `&quot;` or
//!   `'`-quoting, `&#10;` for line breaks, `&#N;` for characters outside the
//!   BMP, no trailing newline). `uiautomator dump` dumps the active window
//!   only, so only the top window of the stack appears (the real captures
//!   of dialogs hold the dialog alone);
//! - the rasteriser: backgrounds, borders, checkboxes and text with glyph
//!   fallback from DejaVu Sans (Latin) to Noto Sans CJK (CJK), fonts loaded
//!   once from the system (Debian's `fonts-dejavu-core` and
//!   `fonts-noto-cjk`) or from `CONSENTRY_FONT_DIR`, glyphs rasterised once
//!   and cached;
//! - PNG encoding with a fast compression setting.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ab_glyph::{Font as _, FontVec, GlyphId, PxScale, ScaleFont as _, point};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder as _, RgbaImage};

use super::ui::{Node, Rect, Rgba, Screen};

/// Environment variable naming a directory that holds the fonts to use
/// instead of the system ones (`DejaVuSans.ttf`, `NotoSansCJK-Regular.ttc`
/// or `NotoSansSC-Regular.otf`).
pub const FONT_DIR_ENV: &str = "CONSENTRY_FONT_DIR";

/// The largest screen side the rasteriser accepts, in pixels.
pub const MAX_SIDE: u32 = 8192;

/// Why a screen could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "no usable font to render the screen: tried {}; install Debian's fonts-dejavu-core and fonts-noto-cjk (`make setup`) or set {FONT_DIR_ENV} to a directory holding DejaVuSans.ttf",
        .tried.join(", ")
    )]
    NoFont {
        /// Each path tried, with why it was not used.
        tried: Vec<String>,
    },
    #[error("screen of {width}x{height} pixels is too large to render (at most {MAX_SIDE} a side)")]
    TooLarge { width: u32, height: u32 },
    #[error("cannot encode the {width}x{height} screen as png: {source}")]
    Encode {
        width: u32,
        height: u32,
        #[source]
        source: image::ImageError,
    },
}

// ---------------------------------------------------------------------------
// uiautomator XML

/// The screen as `uiautomator dump` writes it: the active (top) window's
/// hierarchy, on one line, without a trailing newline. A screen without
/// windows gives an empty `<hierarchy rotation="0" />` (a real device
/// prints an error instead; that is the caller's business).
pub fn uiautomator_xml(screen: &Screen) -> String {
    let mut out = String::with_capacity(8 * 1024);
    out.push_str("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy");
    attr(&mut out, "rotation", "0");
    match screen.windows.last() {
        Some(window) => {
            out.push('>');
            dump_node(&mut out, &window.root, 0, screen);
            out.push_str("</hierarchy>");
        }
        None => out.push_str(" />"),
    }
    out
}

fn dump_node(out: &mut String, node: &Node, index: usize, screen: &Screen) {
    out.push_str("<node");
    if is_naf(node) {
        attr(out, "NAF", "true");
    }
    attr(out, "index", &index.to_string());
    attr(out, "text", &node.text);
    attr(out, "resource-id", &node.resource_id);
    attr(out, "class", &node.class);
    attr(out, "package", &node.package);
    attr(out, "content-desc", &node.content_desc);
    for (name, value) in [
        ("checkable", node.checkable),
        ("checked", node.checked),
        ("clickable", node.clickable),
        ("enabled", node.enabled),
        ("focusable", node.focusable),
        ("focused", node.focused),
        ("scrollable", node.scrollable),
        ("long-clickable", node.long_clickable),
        ("password", node.password),
        ("selected", node.selected),
    ] {
        attr(out, name, if value { "true" } else { "false" });
    }
    let b = visible_bounds(node.bounds, screen.width, screen.height);
    attr(
        out,
        "bounds",
        &format!("[{},{}][{},{}]", b.left, b.top, b.right, b.bottom),
    );
    if node.children.is_empty() {
        out.push_str(" />");
    } else {
        out.push('>');
        for (i, child) in node.children.iter().enumerate() {
            dump_node(out, child, i, screen);
        }
        out.push_str("</node>");
    }
}

/// uiautomator's "not accessibility friendly" mark: a clickable, enabled
/// node with neither text nor content-desc, nor any labelled descendant,
/// unless it is a grid, list or table.
fn is_naf(node: &Node) -> bool {
    const EXCLUDED: [&str; 4] = [
        "android.widget.GridView",
        "android.widget.GridLayout",
        "android.widget.ListView",
        "android.widget.TableLayout",
    ];
    fn labelled_descendant(node: &Node) -> bool {
        node.children
            .iter()
            .any(|c| !c.text.is_empty() || !c.content_desc.is_empty() || labelled_descendant(c))
    }
    !EXCLUDED.iter().any(|e| node.class.ends_with(e))
        && node.clickable
        && node.enabled
        && node.text.is_empty()
        && node.content_desc.is_empty()
        && !labelled_descendant(node)
}

/// The bounds clipped to the display, as `Rect.intersect` does on Android:
/// a rectangle that does not meet the display is left as it is.
fn visible_bounds(r: Rect, width: u32, height: u32) -> Rect {
    let w = i32::try_from(width).unwrap_or(i32::MAX);
    let h = i32::try_from(height).unwrap_or(i32::MAX);
    if r.left < w && 0 < r.right && r.top < h && 0 < r.bottom {
        Rect::new(r.left.max(0), r.top.max(0), r.right.min(w), r.bottom.min(h))
    } else {
        r
    }
}

/// Characters uiautomator replaces by `.` before serialising
/// (`stripInvalidXMLChars`), plus the three Android's serializer would
/// refuse (NUL, U+FFFE, U+FFFF: the real dump fails; ours writes `.`).
fn stripped(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{B}'..='\u{C}'
            | '\u{E}'..='\u{1F}'
            | '\u{7F}'..='\u{84}'
            | '\u{86}'..='\u{9F}'
            | '\u{FDD0}'..='\u{FDDF}'
            | '\u{FFFE}'
            | '\u{FFFF}'
    )
}

/// What a dump shows of a text before XML escaping: every character
/// Android strips (see `stripped`) becomes `.`.
pub fn dumped_text(s: &str) -> String {
    s.chars()
        .map(|c| if stripped(c) { '.' } else { c })
        .collect()
}

/// One attribute, escaped as Android's `KXmlSerializer` does: the value is
/// quoted with `"` unless it contains one, then with `'`; only the quote in
/// use is escaped; tab, line feed and carriage return become `&#9;`,
/// `&#10;`, `&#13;`; characters outside the BMP become `&#N;` (Java's
/// surrogate pairs); everything else is written as UTF-8.
fn attr(out: &mut String, name: &str, value: &str) {
    let quote = if value.contains('"') { '\'' } else { '"' };
    out.push(' ');
    out.push_str(name);
    out.push('=');
    out.push(quote);
    for c in value.chars() {
        match c {
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quote == '"' => out.push_str("&quot;"),
            '\'' if quote == '\'' => out.push_str("&apos;"),
            c if stripped(c) => out.push('.'),
            c if u32::from(c) > 0xFFFF => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

// ---------------------------------------------------------------------------
// Fonts

/// A font file found on disk, in fallback order.
struct Face {
    font: FontVec,
    path: PathBuf,
    /// Pixels per font unit per pixel of text size (text size is the em).
    em_scale: f32,
}

/// The loaded faces: the first found (Latin when present), then the
/// fallbacks.
struct Fonts {
    primary: Face,
    fallback: Vec<Face>,
}

/// Where fonts are looked for: (directories, file names with the face to
/// use in a collection). The first file that loads wins for each slot.
struct Slot {
    dirs: &'static [&'static str],
    files: &'static [(&'static str, u32)],
}

const LATIN: Slot = Slot {
    dirs: &[
        "/usr/share/fonts/truetype/dejavu",
        "/usr/share/fonts/TTF",
        "/usr/share/fonts/dejavu",
        "/usr/share/fonts/dejavu-sans-fonts",
    ],
    files: &[("DejaVuSans.ttf", 0)],
};

const CJK: Slot = Slot {
    dirs: &[
        "/usr/share/fonts/opentype/noto",
        "/usr/share/fonts/noto-cjk",
        "/usr/share/fonts/google-noto-cjk",
        "/usr/share/fonts/opentype/noto-cjk",
    ],
    // Face 2 of Debian's collection is Noto Sans CJK SC.
    files: &[
        ("NotoSansCJK-Regular.ttc", 2),
        ("NotoSansCJKsc-Regular.otf", 0),
        ("NotoSansSC-Regular.otf", 0),
    ],
};

static FONTS: OnceLock<Result<Fonts, Vec<String>>> = OnceLock::new();

fn fonts() -> Result<&'static Fonts, RenderError> {
    FONTS
        .get_or_init(|| {
            let dir = std::env::var_os(FONT_DIR_ENV).filter(|d| !d.is_empty());
            let fonts = if let Some(dir) = &dir {
                load_fonts(&[Path::new(dir)], &[Path::new(dir)])
            } else {
                let latin: Vec<&Path> = LATIN.dirs.iter().map(Path::new).collect();
                let cjk: Vec<&Path> = CJK.dirs.iter().map(Path::new).collect();
                load_fonts(&latin, &cjk)
            };
            if let Ok(f) = &fonts {
                if f.fallback.is_empty() {
                    tracing::warn!(
                        "screen rendering has no CJK font (install fonts-noto-cjk): CJK text draws as boxes"
                    );
                }
            }
            fonts
        })
        .as_ref()
        .map_err(|tried| RenderError::NoFont {
            tried: tried.clone(),
        })
}

/// The font files the renderer uses, in fallback order (Latin first).
pub fn font_files() -> Result<Vec<PathBuf>, RenderError> {
    Ok(fonts()?.faces().map(|f| f.path.clone()).collect())
}

/// Loads the Latin and the CJK font from the first directory holding one;
/// `Err` lists every path tried when neither is found.
fn load_fonts(latin_dirs: &[&Path], cjk_dirs: &[&Path]) -> Result<Fonts, Vec<String>> {
    let mut tried = Vec::new();
    let mut faces = Vec::new();
    for (slot, dirs) in [(&LATIN, latin_dirs), (&CJK, cjk_dirs)] {
        'slot: for dir in dirs {
            for &(file, index) in slot.files {
                let path = dir.join(file);
                match load_face(&path, index) {
                    Ok(face) => {
                        faces.push(face);
                        break 'slot;
                    }
                    Err(why) => tried.push(format!("{} ({why})", path.display())),
                }
            }
        }
    }
    let mut faces = faces.into_iter();
    match faces.next() {
        Some(primary) => Ok(Fonts {
            primary,
            fallback: faces.collect(),
        }),
        None => Err(tried),
    }
}

fn load_face(path: &Path, index: u32) -> Result<Face, String> {
    let data = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "not found".to_string()
        } else {
            format!("unreadable: {e}")
        }
    })?;
    let font = FontVec::try_from_vec_and_index(data.clone(), index)
        .or_else(|_| FontVec::try_from_vec_and_index(data, 0))
        .map_err(|e| format!("not a font: {e}"))?;
    let upem = font.units_per_em().unwrap_or(1000.0);
    let em_scale = font.height_unscaled() / upem;
    Ok(Face {
        font,
        path: path.to_path_buf(),
        em_scale,
    })
}

impl Fonts {
    /// The face and glyph that draw `c`: the first face that has it, else
    /// the first face's missing-glyph box.
    fn glyph(&self, c: char) -> (u8, GlyphId) {
        for (i, face) in self.faces().enumerate() {
            let id = face.font.glyph_id(c);
            if id.0 != 0 {
                return (u8::try_from(i).unwrap_or(0), id);
            }
        }
        (0, GlyphId(0))
    }

    fn faces(&self) -> impl Iterator<Item = &Face> {
        std::iter::once(&self.primary).chain(&self.fallback)
    }

    fn face(&self, i: u8) -> &Face {
        match i {
            0 => &self.primary,
            i => self
                .fallback
                .get(usize::from(i) - 1)
                .unwrap_or(&self.primary),
        }
    }

    fn scale(&self, face: u8, size: f32) -> PxScale {
        PxScale::from(size * self.face(face).em_scale)
    }

    fn advance(&self, face: u8, id: GlyphId, size: f32) -> f32 {
        let f = self.face(face);
        f.font.as_scaled(self.scale(face, size)).h_advance(id)
    }

    /// (ascent, line height) of a line of text of `size`, from the Latin face.
    fn line_metrics(&self, size: f32) -> (f32, f32) {
        let scaled = self.face(0).font.as_scaled(self.scale(0, size));
        let height = scaled.ascent() - scaled.descent() + scaled.line_gap();
        (scaled.ascent(), height.max(size))
    }
}

// ---------------------------------------------------------------------------
// Glyph cache

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct GlyphKey {
    face: u8,
    id: u16,
    size_bits: u32,
}

/// A rasterised glyph: coverage (0–255) of a box placed at (`left`, `top`)
/// from the pen position on the baseline.
struct GlyphBitmap {
    left: i32,
    top: i32,
    width: usize,
    height: usize,
    coverage: Vec<u8>,
}

/// Past this many glyphs the cache starts over (a simulated device shows a
/// handful of sizes and a few hundred characters).
const GLYPH_CACHE_MAX: usize = 20_000;

static GLYPHS: OnceLock<Mutex<HashMap<GlyphKey, Arc<GlyphBitmap>>>> = OnceLock::new();

fn cached_glyph(fonts: &Fonts, face: u8, id: GlyphId, size: f32) -> Arc<GlyphBitmap> {
    let key = GlyphKey {
        face,
        id: id.0,
        size_bits: size.to_bits(),
    };
    let cache = GLYPHS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(g) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Arc::clone(g);
    }
    let bitmap = Arc::new(rasterise(fonts, face, id, size));
    let mut map = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if map.len() >= GLYPH_CACHE_MAX {
        map.clear();
    }
    map.insert(key, Arc::clone(&bitmap));
    bitmap
}

// Pixel coordinates of a glyph box are small integers held in f32.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn rasterise(fonts: &Fonts, face: u8, id: GlyphId, size: f32) -> GlyphBitmap {
    let glyph = id.with_scale_and_position(fonts.scale(face, size), point(0.0, 0.0));
    let Some(outlined) = fonts.face(face).font.outline_glyph(glyph) else {
        return GlyphBitmap {
            left: 0,
            top: 0,
            width: 0,
            height: 0,
            coverage: Vec::new(),
        };
    };
    let b = outlined.px_bounds();
    let width = b.width().max(0.0) as usize;
    let height = b.height().max(0.0) as usize;
    let mut coverage = vec![0u8; width * height];
    outlined.draw(|x, y, c| {
        if let Some(px) = coverage.get_mut(y as usize * width + x as usize) {
            *px = (c.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    });
    GlyphBitmap {
        left: b.min.x as i32,
        top: b.min.y as i32,
        width,
        height,
        coverage,
    }
}

// ---------------------------------------------------------------------------
// Text layout

#[derive(Debug, Clone, Copy)]
struct Placed {
    face: u8,
    id: GlyphId,
    advance: f32,
    space: bool,
    wide: bool,
}

#[derive(Debug, Default)]
struct Line {
    glyphs: Vec<Placed>,
}

impl Line {
    /// Width without trailing spaces.
    fn width(&self) -> f32 {
        let end = self
            .glyphs
            .iter()
            .rposition(|g| !g.space)
            .map_or(0, |i| i + 1);
        self.glyphs[..end].iter().map(|g| g.advance).sum()
    }
}

/// East Asian wide characters: a line may break before or after each.
fn wide(c: char) -> bool {
    matches!(
        c,
        '\u{1100}'..='\u{115F}'
            | '\u{2E80}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7A3}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{FF00}'..='\u{FF60}'
            | '\u{FFE0}'..='\u{FFE6}'
            | '\u{20000}'..='\u{3FFFD}'
    )
}

/// Breaks `text` into lines no wider than `max_width`: at `\n`, after
/// spaces, around wide characters, or anywhere when a word is too long.
fn layout(fonts: &Fonts, text: &str, size: f32, max_width: f32) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut line = Line::default();
    let mut width = 0.0f32;
    for c in text.chars() {
        if c == '\n' {
            lines.push(std::mem::take(&mut line));
            width = 0.0;
            continue;
        }
        if c.is_control() {
            continue;
        }
        let space = c.is_whitespace();
        let (face, id) = fonts.glyph(if space { ' ' } else { c });
        let placed = Placed {
            face,
            id,
            advance: fonts.advance(face, id, size),
            space,
            wide: wide(c),
        };
        if !space && width + placed.advance > max_width && !line.glyphs.is_empty() {
            let n = line.glyphs.len();
            // The last place where a break is allowed, before `placed`.
            let at = (1..=n)
                .rev()
                .find(|&i| {
                    let before = line.glyphs[i - 1];
                    let after = line.glyphs.get(i).copied().unwrap_or(placed);
                    before.space || before.wide || after.wide
                })
                .unwrap_or(n);
            let mut rest = line.glyphs.split_off(at);
            let lead = rest.iter().take_while(|g| g.space).count();
            rest.drain(..lead);
            lines.push(std::mem::replace(&mut line, Line { glyphs: rest }));
            width = line.glyphs.iter().map(|g| g.advance).sum();
        }
        if space && line.glyphs.is_empty() && !lines.is_empty() {
            // No leading space on a wrapped line.
            continue;
        }
        width += placed.advance;
        line.glyphs.push(placed);
    }
    lines.push(line);
    lines
}

// ---------------------------------------------------------------------------
// Raster

/// Padding between a node's edge and its text or checkbox, in pixels.
const PAD: i32 = 24;
/// Border width when `style.border` is set.
const BORDER: i32 = 2;
/// The class drawn as an indeterminate spinner.
const PROGRESS_BAR: &str = "android.widget.ProgressBar";
/// One turn of the spinner, in ms (Material's indeterminate circular
/// indicator cycles in 1333 ms).
const SPIN_TURN_MS: i64 = 1333;
/// The spinner's colour (a Material accent blue).
const SPINNER: Rgba = Rgba([26, 115, 232, 255]);

/// A clip rectangle, always inside the image.
#[derive(Debug, Clone, Copy)]
struct Clip {
    left: i32,
    top: i32,
    right: i32,
    bottom: i32,
}

impl Clip {
    fn intersect(self, r: Rect) -> Option<Clip> {
        let c = Clip {
            left: self.left.max(r.left),
            top: self.top.max(r.top),
            right: self.right.min(r.right),
            bottom: self.bottom.min(r.bottom),
        };
        (c.left < c.right && c.top < c.bottom).then_some(c)
    }
}

/// The screen as pixels: the background, then each window in stacking
/// order, each node depth first (background, border, checkbox, text),
/// children clipped to their parent. When no font can be loaded the text
/// is left out ([`png`] reports that as an error). Sides are capped at
/// [`MAX_SIDE`].
pub fn raster(screen: &Screen) -> RgbaImage {
    let width = screen.width.min(MAX_SIDE);
    let height = screen.height.min(MAX_SIDE);
    let mut img = RgbaImage::new(width, height);
    let Rgba([r, g, b, _]) = screen.background;
    let bg = [r, g, b, 255];
    for px in img.as_mut().chunks_exact_mut(4) {
        px.copy_from_slice(&bg);
    }
    let screen_clip = Clip {
        left: 0,
        top: 0,
        right: i32::try_from(width).unwrap_or(0),
        bottom: i32::try_from(height).unwrap_or(0),
    };
    let fonts = fonts().ok();
    let mut canvas = Canvas {
        img: &mut img,
        fonts,
    };
    for window in &screen.windows {
        canvas.node(&window.root, screen_clip);
    }
    img
}

struct Canvas<'a> {
    img: &'a mut RgbaImage,
    fonts: Option<&'static Fonts>,
}

impl Canvas<'_> {
    fn node(&mut self, node: &Node, clip: Clip) {
        let Some(area) = clip.intersect(node.bounds) else {
            return;
        };
        let style = node.style;
        if style.background.0[3] > 0 {
            self.fill(area, style.background);
        }
        if style.border {
            self.frame(node.bounds, BORDER, area, style.foreground);
        }
        if node.class == PROGRESS_BAR {
            self.spinner(node, area);
        }
        let mut text_left = node.bounds.left + PAD;
        if node.checkable {
            text_left = self.checkbox(node, area) + PAD;
        }
        let text = if node.text.is_empty() {
            &node.content_desc
        } else {
            &node.text
        };
        // The text is drawn as the dump reports it, which is what Android
        // displays: a password field's text is already its dots, its hint
        // is in clear.
        if !text.is_empty() {
            let centred = node.class.ends_with("Button") && !node.checkable;
            self.text(node, text, text_left, centred, area);
        }
        for child in &node.children {
            self.node(child, area);
        }
    }

    /// Draws the checkbox square at the node's left; returns its right edge.
    fn checkbox(&mut self, node: &Node, clip: Clip) -> i32 {
        let b = node.bounds;
        // Text sizes are small positive numbers.
        #[allow(clippy::cast_possible_truncation)]
        let side = (node.style.text_size.round() as i32)
            .min(b.height() - 8)
            .max(8);
        let left = b.left + PAD;
        let top = b.top + (b.height() - side) / 2;
        let square = Rect::new(left, top, left + side, top + side);
        let colour = node.style.foreground;
        if node.checked {
            if let Some(c) = clip.intersect(square) {
                self.fill(c, colour);
            }
        } else {
            self.frame(square, BORDER, clip, colour);
        }
        left + side
    }

    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    fn text(&mut self, node: &Node, text: &str, left: i32, centred: bool, clip: Clip) {
        let Some(fonts) = self.fonts else {
            return;
        };
        let size = node.style.text_size;
        if !(size > 0.0 && size.is_finite()) {
            return;
        }
        let b = node.bounds;
        let right = b.right - PAD;
        let max_width = (right - left).max(1) as f32;
        let lines = layout(fonts, text, size, max_width);
        let (ascent, line_height) = fonts.line_metrics(size);
        let block = line_height * lines.len() as f32;
        let top = b.top as f32 + (b.height() as f32 - block) / 2.0;
        let colour = node.style.foreground;
        for (i, line) in lines.iter().enumerate() {
            let baseline = (top + ascent + line_height * i as f32).round() as i32;
            let mut pen = if centred {
                left as f32 + (max_width - line.width()) / 2.0
            } else {
                left as f32
            };
            for g in &line.glyphs {
                if !g.space {
                    let bitmap = cached_glyph(fonts, g.face, g.id, size);
                    self.glyph(&bitmap, pen.round() as i32, baseline, clip, colour);
                }
                pen += g.advance;
            }
        }
    }

    fn glyph(&mut self, g: &GlyphBitmap, pen_x: i32, baseline: i32, clip: Clip, colour: Rgba) {
        let gx = pen_x + g.left;
        let gy = baseline + g.top;
        let (Ok(width), Ok(height)) = (i32::try_from(g.width), i32::try_from(g.height)) else {
            return;
        };
        let Some(area) = clip.intersect(Rect::new(gx, gy, gx + width, gy + height)) else {
            return;
        };
        let stride = self.img.width() as usize * 4;
        let buf: &mut [u8] = self.img.as_mut();
        for py in area.top..area.bottom {
            let row = to_usize(py - gy) * g.width;
            let start = to_usize(py) * stride;
            for px in area.left..area.right {
                let cov = g.coverage[row + to_usize(px - gx)];
                if cov > 0 {
                    let at = start + to_usize(px) * 4;
                    blend(&mut buf[at..at + 4], colour, cov);
                }
            }
        }
    }

    /// Fills `area` (already clipped) with `colour`.
    fn fill(&mut self, area: Clip, colour: Rgba) {
        let stride = self.img.width() as usize * 4;
        let buf: &mut [u8] = self.img.as_mut();
        let (x0, x1) = (to_usize(area.left) * 4, to_usize(area.right) * 4);
        if colour.0[3] == 255 {
            let row: Vec<u8> = colour.0.repeat(x1.saturating_sub(x0) / 4);
            for y in area.top..area.bottom {
                let start = to_usize(y) * stride;
                buf[start + x0..start + x1].copy_from_slice(&row);
            }
        } else {
            for y in area.top..area.bottom {
                let start = to_usize(y) * stride;
                for px in buf[start + x0..start + x1].chunks_exact_mut(4) {
                    blend(px, colour, 255);
                }
            }
        }
    }

    /// An indeterminate spinner: an arc on the largest circle inside the
    /// node, turning once every [`SPIN_TURN_MS`] of `node.animation_ms`
    /// while its length grows and shrinks, so that no two frames at
    /// different times are the same picture.
    #[allow(clippy::cast_precision_loss)]
    fn spinner(&mut self, node: &Node, clip: Clip) {
        let b = node.bounds;
        let side = f64::from(b.width().min(b.height()));
        if side < 4.0 {
            return;
        }
        let cx = f64::from(b.left) + f64::from(b.width()) / 2.0;
        let cy = f64::from(b.top) + f64::from(b.height()) / 2.0;
        let outer = side / 2.0;
        let inner = outer - (side / 12.0).max(2.0);
        let t = node.animation_ms.unwrap_or(0);
        let start = t.rem_euclid(SPIN_TURN_MS) as f64 / SPIN_TURN_MS as f64 * 360.0;
        let phase = t.rem_euclid(2 * SPIN_TURN_MS) as f64 / (2 * SPIN_TURN_MS) as f64;
        let sweep = 20.0 + 250.0 * (1.0 - (2.0 * phase - 1.0).abs());
        let colour = SPINNER;
        for y in clip.top..clip.bottom {
            let dy = f64::from(y) + 0.5 - cy;
            for x in clip.left..clip.right {
                let dx = f64::from(x) + 0.5 - cx;
                let d = dx.hypot(dy);
                if d < inner || d > outer {
                    continue;
                }
                // Clockwise from twelve o'clock.
                let angle = dx.atan2(-dy).to_degrees();
                if (angle - start).rem_euclid(360.0) <= sweep {
                    let (Ok(px), Ok(py)) = (u32::try_from(x), u32::try_from(y)) else {
                        continue;
                    };
                    blend(&mut self.img.get_pixel_mut(px, py).0, colour, 255);
                }
            }
        }
    }

    /// Draws a frame `width` pixels wide inside `r`, clipped to `clip`.
    fn frame(&mut self, r: Rect, width: i32, clip: Clip, colour: Rgba) {
        let w = width.min(r.width() / 2).min(r.height() / 2).max(1);
        for edge in [
            Rect::new(r.left, r.top, r.right, r.top + w),
            Rect::new(r.left, r.bottom - w, r.right, r.bottom),
            Rect::new(r.left, r.top + w, r.left + w, r.bottom - w),
            Rect::new(r.right - w, r.top + w, r.right, r.bottom - w),
        ] {
            if let Some(c) = clip.intersect(edge) {
                self.fill(c, colour);
            }
        }
    }
}

/// Coordinates inside a clip are never negative.
fn to_usize(v: i32) -> usize {
    usize::try_from(v).unwrap_or(0)
}

/// Source-over blend of `colour` at `coverage` (0–255) onto one pixel.
fn blend(px: &mut [u8], colour: Rgba, coverage: u8) {
    let a = u32::from(colour.0[3]) * u32::from(coverage) / 255;
    if a == 0 {
        return;
    }
    let inv = 255 - a;
    for (dst, src) in px.iter_mut().zip(colour.0).take(3) {
        *dst = to_u8((u32::from(src) * a + u32::from(*dst) * inv + 127) / 255);
    }
    px[3] = to_u8(a + u32::from(px[3]) * inv / 255);
}

fn to_u8(v: u32) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

// ---------------------------------------------------------------------------
// PNG

/// The screen as `screencap -p` gives it: an RGBA PNG of the screen size.
pub fn png(screen: &Screen) -> Result<Vec<u8>, RenderError> {
    if screen.width > MAX_SIDE || screen.height > MAX_SIDE {
        return Err(RenderError::TooLarge {
            width: screen.width,
            height: screen.height,
        });
    }
    fonts()?;
    let img = raster(screen);
    let (width, height) = img.dimensions();
    let mut out = Vec::with_capacity(img.as_raw().len() / 16);
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub)
        .write_image(img.as_raw(), width, height, ExtendedColorType::Rgba8)
        .map_err(|source| RenderError::Encode {
            width,
            height,
            source,
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ui::{Style, Window};

    fn node(class: &str, text: &str, bounds: Rect) -> Node {
        let mut n = Node::container(class, "com.example.app", bounds);
        n.text = text.to_string();
        n
    }

    fn screen(windows: Vec<Window>) -> Screen {
        Screen {
            width: 1080,
            height: 2400,
            background: Rgba::WHITE,
            windows,
        }
    }

    fn window(root: Node) -> Window {
        Window {
            package: root.package.clone(),
            title: "com.example.app/.Main".to_string(),
            root,
        }
    }

    fn escaped(value: &str) -> String {
        let mut out = String::new();
        attr(&mut out, "text", value);
        out
    }

    #[test]
    fn escapes_like_android_kxmlserializer() {
        assert_eq!(escaped("a<b>&c"), r#" text="a&lt;b&gt;&amp;c""#);
        // An apostrophe stays as it is (real dump: text="Don't allow").
        assert_eq!(escaped("Don't allow"), r#" text="Don't allow""#);
        // A double quote switches to single quotes; only `'` is escaped.
        assert_eq!(escaped(r#"say "hi" it's"#), r#" text='say "hi" it&apos;s'"#);
        assert_eq!(escaped("a\nb\tc\rd"), r#" text="a&#10;b&#9;c&#13;d""#);
        // Invalid characters become '.', as uiautomator's stripInvalidXMLChars.
        assert_eq!(
            escaped("x\u{1}\u{1f}\u{7f}\u{85}\u{0}y"),
            " text=\"x...\u{85}.y\""
        );
        // Outside the BMP: a character reference of the code point.
        assert_eq!(escaped("ok 😀"), r#" text="ok &#128512;""#);
        // CJK is written as UTF-8.
        assert_eq!(escaped("同意并继续"), r#" text="同意并继续""#);
    }

    #[test]
    fn naf_marks_unlabelled_clickables_only() {
        let b = Rect::new(0, 0, 100, 100);
        let mut icon = node("android.widget.ImageView", "", b);
        icon.clickable = true;
        assert!(is_naf(&icon));
        icon.content_desc = "Back".to_string();
        assert!(!is_naf(&icon));

        let mut row = node("android.widget.LinearLayout", "", b);
        row.clickable = true;
        row.children
            .push(node("android.widget.TextView", "Camera", b));
        assert!(!is_naf(&row));

        let mut list = node("android.widget.ListView", "", b);
        list.clickable = true;
        assert!(!is_naf(&list));

        let mut disabled = node("android.widget.ImageView", "", b);
        disabled.clickable = true;
        disabled.enabled = false;
        assert!(!is_naf(&disabled));

        let xml = uiautomator_xml(&screen(vec![window(icon.clone())]));
        assert!(xml.contains("<node index=\"0\" text=\"\""), "{xml}");
        let mut naf = icon;
        naf.content_desc.clear();
        let xml = uiautomator_xml(&screen(vec![window(naf)]));
        assert!(
            xml.contains("<node NAF=\"true\" index=\"0\" text=\"\""),
            "{xml}"
        );
    }

    #[test]
    fn bounds_are_clipped_to_the_display_like_rect_intersect() {
        assert_eq!(
            visible_bounds(Rect::new(-10, 2000, 1200, 2600), 1080, 2400),
            Rect::new(0, 2000, 1080, 2400)
        );
        // Off screen: left unchanged.
        assert_eq!(
            visible_bounds(Rect::new(0, 2500, 100, 2600), 1080, 2400),
            Rect::new(0, 2500, 100, 2600)
        );
    }

    #[test]
    fn empty_screen_gives_an_empty_hierarchy() {
        assert_eq!(
            uiautomator_xml(&screen(Vec::new())),
            "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\" />"
        );
    }

    #[test]
    fn missing_fonts_name_the_paths_and_the_packages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let junk = dir.path().join("DejaVuSans.ttf");
        std::fs::write(&junk, b"not a font").expect("write");
        let Err(tried) = load_fonts(&[dir.path()], &[dir.path()]) else {
            panic!("loaded fonts from an empty directory");
        };
        let msg = RenderError::NoFont { tried }.to_string();
        assert!(msg.contains(&junk.display().to_string()), "{msg}");
        assert!(msg.contains("not a font"), "{msg}");
        assert!(msg.contains("NotoSansCJK-Regular.ttc (not found)"), "{msg}");
        assert!(msg.contains("fonts-dejavu-core"), "{msg}");
        assert!(msg.contains("fonts-noto-cjk"), "{msg}");
        assert!(msg.contains(FONT_DIR_ENV), "{msg}");
    }

    #[test]
    fn latin_comes_from_dejavu_and_cjk_from_noto() {
        let fonts = fonts().expect("fonts installed by scripts/setup.sh");
        let (latin, id) = fonts.glyph('A');
        assert_ne!(id.0, 0);
        assert!(fonts.face(latin).path.ends_with("DejaVuSans.ttf"));
        for c in ['中', '文', 'あ', '한', '。'] {
            let (face, id) = fonts.glyph(c);
            assert_ne!(id.0, 0, "{c} has no glyph");
            let path = fonts.face(face).path.display().to_string();
            assert!(path.contains("NotoSans"), "{c} drawn from {path}");
        }
        // A character no font has falls back to the missing-glyph box.
        assert_eq!(fonts.glyph('\u{378}'), (0, GlyphId(0)));
    }

    #[test]
    fn layout_wraps_words_and_cjk_within_the_width() {
        let fonts = fonts().expect("fonts");
        let size = 40.0;
        let lines = layout(fonts, "one two three four five six", size, 250.0);
        assert!(lines.len() >= 3, "{}", lines.len());
        for l in &lines {
            assert!(l.width() <= 250.0, "{}", l.width());
            assert!(!l.glyphs.first().is_some_and(|g| g.space));
        }
        let cjk = layout(
            fonts,
            "感谢您信任并使用我们的应用程序请阅读隐私政策",
            size,
            300.0,
        );
        assert!(cjk.len() >= 3);
        assert!(cjk.iter().all(|l| l.width() <= 300.0));
        assert_eq!(layout(fonts, "a\nb", size, 1000.0).len(), 2);
        // One unbreakable word wider than the line still lays out.
        let long = layout(fonts, "Supercalifragilistic", size, 100.0);
        assert!(long.len() > 1);
    }

    #[test]
    fn translucent_fill_blends() {
        let mut px = [255, 255, 255, 255];
        blend(&mut px, Rgba([0, 0, 0, 128]), 255);
        assert!(px[0] > 120 && px[0] < 135, "{px:?}");
        assert_eq!(px[3], 255);
        let mut px = [10, 20, 30, 255];
        blend(&mut px, Rgba([200, 0, 0, 255]), 0);
        assert_eq!(px, [10, 20, 30, 255]);
    }

    #[test]
    fn a_progress_bar_turns_with_its_animation_time_and_only_in_pixels() {
        let at = |ms: i64| {
            let mut n = node(PROGRESS_BAR, "", Rect::new(477, 1137, 603, 1263));
            n.animation_ms = Some(ms);
            screen(vec![window(n)])
        };
        let pixels = |ms: i64| raster(&at(ms)).into_raw();
        let drawn = pixels(0);
        assert!(
            drawn.chunks_exact(4).any(|p| p == SPINNER.0),
            "the arc is drawn"
        );
        assert_eq!(drawn, pixels(0), "the same time draws the same frame");
        for ms in [5, 40, 700, SPIN_TURN_MS, 2 * SPIN_TURN_MS - 1] {
            assert_ne!(drawn, pixels(ms), "{ms} ms");
        }
        assert_eq!(uiautomator_xml(&at(0)), uiautomator_xml(&at(700)));
    }

    #[test]
    fn children_are_clipped_to_their_parent() {
        let mut parent =
            Node::container("android.widget.FrameLayout", "p", Rect::new(0, 0, 100, 100));
        let mut child = Node::container("android.view.View", "p", Rect::new(50, 50, 300, 300));
        child.style = Style {
            background: Rgba([255, 0, 0, 255]),
            ..Style::default()
        };
        parent.children.push(child);
        let img = raster(&screen(vec![window(parent)]));
        assert_eq!(img.get_pixel(75, 75).0, [255, 0, 0, 255]);
        assert_eq!(img.get_pixel(150, 150).0, [255, 255, 255, 255]);
    }
}
