//! MINIMAL STAND-IN for the renderer (replaced at merge by the real one):
//! uiautomator XML from the widget tree and a PNG of a plain fill. Only the
//! signatures are the contract; do not build on the details.

use std::fmt::Write as _;
use std::io::Cursor;

use super::ui::{Node, Screen};

/// Rendering failed (PNG encoding).
#[derive(Debug)]
pub struct RenderError(String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "render failed: {}", self.0)
    }
}

impl std::error::Error for RenderError {}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn node_xml(out: &mut String, n: &Node, index: usize) {
    let b = n.bounds;
    let _ = write!(
        out,
        "<node index=\"{index}\" text=\"{}\" resource-id=\"{}\" class=\"{}\" package=\"{}\" content-desc=\"{}\" checkable=\"{}\" checked=\"{}\" clickable=\"{}\" enabled=\"{}\" focusable=\"{}\" focused=\"{}\" scrollable=\"{}\" long-clickable=\"{}\" password=\"{}\" selected=\"{}\" bounds=\"[{},{}][{},{}]\"",
        esc(&n.text),
        esc(&n.resource_id),
        esc(&n.class),
        esc(&n.package),
        esc(&n.content_desc),
        n.checkable,
        n.checked,
        n.clickable,
        n.enabled,
        n.focusable,
        n.focused,
        n.scrollable,
        n.long_clickable,
        n.password,
        n.selected,
        b.left,
        b.top,
        b.right,
        b.bottom
    );
    if n.children.is_empty() {
        out.push_str(" />");
    } else {
        out.push('>');
        for (i, c) in n.children.iter().enumerate() {
            node_xml(out, c, i);
        }
        out.push_str("</node>");
    }
}

/// The uiautomator dump of a screen (windows bottom to top).
pub fn uiautomator_xml(screen: &Screen) -> String {
    let mut out = String::from(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">",
    );
    for (i, w) in screen.windows.iter().enumerate() {
        node_xml(&mut out, &w.root, i);
    }
    out.push_str("</hierarchy>");
    out
}

/// A PNG of the screen: here only a plain fill with the top window's
/// background (or the wallpaper).
pub fn png(screen: &Screen) -> Result<Vec<u8>, RenderError> {
    let fill = screen
        .windows
        .iter()
        .rev()
        .map(|w| w.root.style.background)
        .find(|c| c.0[3] != 0)
        .unwrap_or(screen.background);
    let img = image::RgbaImage::from_pixel(screen.width, screen.height, image::Rgba(fill.0));
    let mut buf = Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Png)
        .map_err(|e| RenderError(e.to_string()))?;
    Ok(buf.into_inner())
}
