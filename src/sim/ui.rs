//! The widget tree of a simulated screen. The Android model builds a
//! [`Screen`] from the foreground app's screen description and the system
//! UI (launcher, permission dialog, crash dialog); the renderer turns the
//! same tree into a PNG and into uiautomator XML, so that what a test sees
//! in the picture and in the dump always agree. Taps hit nodes by bounds.

use serde::{Deserialize, Serialize};

/// A rectangle in screen pixels, `[left,top][right,bottom]` as uiautomator
/// prints it (right and bottom exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rect {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
}

impl Rect {
    pub fn new(left: i32, top: i32, right: i32, bottom: i32) -> Self {
        Self {
            left,
            top,
            right,
            bottom,
        }
    }

    pub fn width(&self) -> i32 {
        self.right - self.left
    }

    pub fn height(&self) -> i32 {
        self.bottom - self.top
    }

    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.left && x < self.right && y >= self.top && y < self.bottom
    }

    pub fn center(&self) -> (i32, i32) {
        ((self.left + self.right) / 2, (self.top + self.bottom) / 2)
    }
}

/// An RGBA colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rgba(pub [u8; 4]);

impl Rgba {
    pub const WHITE: Rgba = Rgba([255, 255, 255, 255]);
    pub const BLACK: Rgba = Rgba([0, 0, 0, 255]);
    pub const TRANSPARENT: Rgba = Rgba([0, 0, 0, 0]);
}

/// How a node is drawn. Not part of the uiautomator dump.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Style {
    /// Fill behind the node; transparent draws nothing.
    pub background: Rgba,
    /// Text colour.
    pub foreground: Rgba,
    /// Text size in pixels.
    pub text_size: f32,
    /// Draw a 2 px border in the foreground colour (buttons, checkboxes).
    pub border: bool,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            background: Rgba::TRANSPARENT,
            foreground: Rgba([33, 33, 33, 255]),
            text_size: 42.0,
            border: false,
        }
    }
}

/// One view in the hierarchy, with the attributes uiautomator dumps.
// The flags mirror uiautomator's boolean attributes one to one.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// e.g. `android.widget.Button`.
    pub class: String,
    pub text: String,
    /// e.g. `com.example.app:id/agree`; empty when none.
    pub resource_id: String,
    pub content_desc: String,
    pub package: String,
    pub checkable: bool,
    pub checked: bool,
    pub clickable: bool,
    pub enabled: bool,
    pub focusable: bool,
    pub focused: bool,
    pub scrollable: bool,
    pub long_clickable: bool,
    pub password: bool,
    pub selected: bool,
    pub bounds: Rect,
    pub style: Style,
    /// The simulated time an animated view is drawn at (an indeterminate
    /// `ProgressBar` turns with it). Drawing only: not part of the dump.
    #[serde(default)]
    pub animation_ms: Option<i64>,
    pub children: Vec<Node>,
}

impl Node {
    /// An empty container of the given class covering `bounds`.
    pub fn container(class: &str, package: &str, bounds: Rect) -> Self {
        Self {
            class: class.to_string(),
            text: String::new(),
            resource_id: String::new(),
            content_desc: String::new(),
            package: package.to_string(),
            checkable: false,
            checked: false,
            clickable: false,
            enabled: true,
            focusable: false,
            focused: false,
            scrollable: false,
            long_clickable: false,
            password: false,
            selected: false,
            bounds,
            style: Style::default(),
            animation_ms: None,
            children: Vec::new(),
        }
    }

    /// Every node, depth first, parents before children.
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }

    /// The deepest clickable node containing the point, if any.
    pub fn hit(&self, x: i32, y: i32) -> Option<&Node> {
        if !self.bounds.contains(x, y) {
            return None;
        }
        for c in self.children.iter().rev() {
            if let Some(n) = c.hit(x, y) {
                return Some(n);
            }
        }
        (self.clickable || self.checkable).then_some(self)
    }
}

/// One window: an app's activity, a dialog, the launcher. Windows are
/// stacked; the last one is on top and receives input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub package: String,
    /// The activity or window title, e.g. `com.example.app/.MainActivity`.
    pub title: String,
    pub root: Node,
}

/// What is on the display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
    /// Background behind every window (the wallpaper).
    pub background: Rgba,
    pub windows: Vec<Window>,
}

impl Screen {
    /// The clickable node at a point in the top window that contains it.
    pub fn hit(&self, x: i32, y: i32) -> Option<&Node> {
        self.windows
            .iter()
            .rev()
            .find(|w| w.root.bounds.contains(x, y))
            .and_then(|w| w.root.hit(x, y))
    }
}
