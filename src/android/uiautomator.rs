//! `uiautomator dump` XML → a tree of nodes with parsed bounds.
//!
//! Accepts any attribute order, extra attributes (`drawing-order`, `hint`,
//! `visible-to-user`, `NAF`, ... kept in [`UiNode::extra`]), several
//! top-level windows under `<hierarchy>`, `\r\r\n` line endings, a BOM, and
//! text around the document (`UI hierchary dumped to: /dev/tty`). Elements
//! other than `<node>` are counted as unknown, never dropped silently.

use std::collections::BTreeMap;

use serde::Serialize;

/// A node's `bounds="[left,top][right,bottom]"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bounds {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
}

impl Bounds {
    /// Parses `[x1,y1][x2,y2]`.
    pub fn parse(text: &str) -> Option<Self> {
        let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
        let (first, second) = inner.split_once("][")?;
        let pair = |corner: &str| -> Option<(i32, i32)> {
            let (x, y) = corner.split_once(',')?;
            Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
        };
        let ((left, top), (right, bottom)) = (pair(first)?, pair(second)?);
        Some(Self {
            left,
            top,
            right,
            bottom,
        })
    }

    pub fn center(&self) -> (i32, i32) {
        // In i64: bounds near i32::MAX would overflow an i32 sum.
        let mid = |a: i32, b: i32| i32::try_from((i64::from(a) + i64::from(b)) / 2).unwrap_or(a);
        (mid(self.left, self.right), mid(self.top, self.bottom))
    }

    pub fn is_empty(&self) -> bool {
        self.right <= self.left || self.bottom <= self.top
    }
}

/// One `<node>`.
#[allow(clippy::struct_excessive_bools)] // mirrors uiautomator's boolean attributes
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct UiNode {
    pub index: Option<u32>,
    pub text: String,
    pub resource_id: String,
    pub class: String,
    pub package: String,
    pub content_desc: String,
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
    /// `None` when the attribute is missing or malformed.
    pub bounds: Option<Bounds>,
    /// Attributes not listed above, as written.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<UiNode>,
}

impl UiNode {
    /// This node and all below it, depth first.
    pub fn walk(&self) -> Vec<&UiNode> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}

/// The parsed dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct UiTree {
    pub rotation: Option<u32>,
    /// Top-level nodes: one per window.
    pub windows: Vec<UiNode>,
    /// Elements that are not `<node>`, and nodes with malformed bounds.
    pub unknown: usize,
}

impl UiTree {
    pub fn nodes(&self) -> Vec<&UiNode> {
        self.windows.iter().flat_map(UiNode::walk).collect()
    }
}

/// How deep nodes may nest. Android's own hierarchies stay far below it;
/// deeper ones are refused rather than walked recursively into a stack
/// overflow.
pub const MAX_DEPTH: usize = 512;

/// Why a dump could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UiError {
    #[error("no <hierarchy> element in the dump")]
    NoHierarchy,
    #[error("nodes nested more than {MAX_DEPTH} deep")]
    TooDeep,
    #[error("malformed XML at line {line}, column {column}: {message}")]
    Xml {
        line: u32,
        column: u32,
        message: String,
    },
}

fn node(el: roxmltree::Node<'_, '_>, unknown: &mut usize, depth: usize) -> Result<UiNode, UiError> {
    if depth > MAX_DEPTH {
        return Err(UiError::TooDeep);
    }
    let mut n = UiNode::default();
    for a in el.attributes() {
        let v = a.value();
        let flag = v == "true";
        match a.name() {
            "index" => n.index = v.parse().ok(),
            "text" => n.text = v.to_string(),
            "resource-id" => n.resource_id = v.to_string(),
            "class" => n.class = v.to_string(),
            "package" => n.package = v.to_string(),
            "content-desc" => n.content_desc = v.to_string(),
            "checkable" => n.checkable = flag,
            "checked" => n.checked = flag,
            "clickable" => n.clickable = flag,
            "enabled" => n.enabled = flag,
            "focusable" => n.focusable = flag,
            "focused" => n.focused = flag,
            "scrollable" => n.scrollable = flag,
            "long-clickable" => n.long_clickable = flag,
            "password" => n.password = flag,
            "selected" => n.selected = flag,
            "bounds" => {
                n.bounds = Bounds::parse(v);
                if n.bounds.is_none() {
                    *unknown += 1;
                }
            }
            other => {
                n.extra.insert(other.to_string(), v.to_string());
            }
        }
    }
    for child in el.children().filter(roxmltree::Node::is_element) {
        if child.has_tag_name("node") {
            n.children.push(node(child, unknown, depth + 1)?);
        } else {
            *unknown += 1;
        }
    }
    Ok(n)
}

/// Parses a dump (the whole `uiautomator dump /dev/tty` output is fine).
pub fn parse(text: &str) -> Result<UiTree, UiError> {
    let text = text.trim_start_matches('\u{feff}');
    let start = text.find("<hierarchy").ok_or(UiError::NoHierarchy)?;
    let end = text
        .rfind("</hierarchy>")
        .map(|i| i + "</hierarchy>".len())
        .or_else(|| text[start..].find("/>").map(|i| start + i + 2))
        .ok_or(UiError::NoHierarchy)?;
    if end <= start {
        return Err(UiError::NoHierarchy);
    }
    let body = text[start..end].replace("\r\r\n", "\n");
    let doc = roxmltree::Document::parse(&body).map_err(|e| {
        let pos = e.pos();
        UiError::Xml {
            line: pos.row,
            column: pos.col,
            message: e.to_string(),
        }
    })?;
    let root = doc.root_element();
    let mut tree = UiTree {
        rotation: root.attribute("rotation").and_then(|r| r.parse().ok()),
        ..UiTree::default()
    };
    for child in root.children().filter(roxmltree::Node::is_element) {
        if child.has_tag_name("node") {
            let n = node(child, &mut tree.unknown, 1)?;
            tree.windows.push(n);
        } else {
            tree.unknown += 1;
        }
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_order_extras_windows_crlf_bom_and_trailer() {
        let xml = "\u{feff}<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\r\r\n<hierarchy rotation=\"1\">\
<node bounds=\"[0,0][1080,2400]\" class=\"android.widget.FrameLayout\" package=\"com.x\" index=\"0\" NAF=\"true\" visible-to-user=\"true\">\
<node index=\"0\" text=\"同意 &amp; 继续\" resource-id=\"com.x:id/agree\" clickable=\"true\" bounds=\"[10,20][110,220]\" drawing-order=\"3\"/>\
<weird/></node>\
<node index=\"0\" class=\"android.widget.FrameLayout\" package=\"com.android.systemui\" bounds=\"bad\"/>\
</hierarchy>\nUI hierchary dumped to: /dev/tty\n";
        let t = parse(xml).expect("parses");
        assert_eq!(t.rotation, Some(1));
        assert_eq!(t.windows.len(), 2);
        assert_eq!(t.unknown, 2, "the <weird/> element and the bad bounds");
        let agree = &t.windows[0].children[0];
        assert_eq!(agree.text, "同意 & 继续");
        assert!(agree.clickable);
        assert_eq!(
            agree.bounds,
            Some(Bounds {
                left: 10,
                top: 20,
                right: 110,
                bottom: 220
            })
        );
        assert_eq!(agree.bounds.map(|b| b.center()), Some((60, 120)));
        assert_eq!(
            agree.extra.get("drawing-order").map(String::as_str),
            Some("3")
        );
        assert_eq!(
            t.windows[0].extra.get("NAF").map(String::as_str),
            Some("true")
        );
        assert_eq!(t.windows[1].bounds, None);
        assert_eq!(t.nodes().len(), 3);
    }

    /// Found while writing the fuzz invariants, confirmed with the fuzz
    /// target: bounds near `i32::MAX` overflowed `center()` (a panic in
    /// debug builds), and a dump nested 200,000 deep overflowed the stack.
    #[test]
    fn extreme_bounds_and_depth() {
        let b = Bounds::parse("[2147483647,-2147483648][2147483647,2147483647]").expect("bounds");
        assert_eq!(b.center(), (i32::MAX, 0));
        let deep = |n: usize| {
            format!(
                "<hierarchy>{}{}</hierarchy>",
                "<node>".repeat(n),
                "</node>".repeat(n)
            )
        };
        assert_eq!(
            parse(&deep(MAX_DEPTH)).expect("deep").nodes().len(),
            MAX_DEPTH
        );
        assert_eq!(parse(&deep(MAX_DEPTH + 1)), Err(UiError::TooDeep));
        assert_eq!(parse(&deep(200_000)), Err(UiError::TooDeep));
    }

    #[test]
    fn errors_are_errors_not_panics() {
        assert_eq!(parse("nothing here"), Err(UiError::NoHierarchy));
        assert!(matches!(
            parse("<hierarchy><node></hierarchy>"),
            Err(UiError::Xml { .. })
        ));
        assert!(
            parse("<hierarchy rotation=\"0\"/>")
                .expect("empty dump")
                .windows
                .is_empty()
        );
    }
}
