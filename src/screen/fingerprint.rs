//! A structural hash of a screen, to tell "the same screen" again when a
//! run comes back to it (exploration's visited set, the evidence
//! timeline).
//!
//! What goes in, for each node in document order: its depth, class,
//! resource id and package, whether it is clickable, checkable and
//! scrollable, its text and its content description. What stays out,
//! because it changes while the screen stays the same:
//!
//! - **Digits.** Every run of digits becomes one `#`, so a clock (`10:42`),
//!   a counter (`3 unread`), a date or a price does not make a new screen.
//! - **Typed text.** The text of an `EditText` (and of a password field)
//!   is left out: what the user typed, or the hint before it.
//! - **State.** `checked`, `selected`, `focused` and `enabled` are left
//!   out: a toggled switch, a focused field or a button enabled by a
//!   ticked box is still the same screen.
//! - **Bounds.** Left out entirely. A list scrolled by a few pixels, an
//!   animation caught half-way or a banner carousel moves every bound;
//!   quantising them (say to 1/20 of the screen) would still split a
//!   screen whenever an edge crossed a cell boundary, and the structure
//!   with ids and texts already tells screens apart. A list scrolled far
//!   enough to show other rows does change the fingerprint (other texts).
//! - **Bars and keyboards.** Nodes of `decoration_packages` (the status
//!   and navigation bars, input methods) are skipped with everything under
//!   them: their icons and clock change on their own, and a keyboard that
//!   opens over a form is not a new screen.
//!
//! The hash is 64-bit FNV-1a over a byte stream in which every field ends
//! with `0xFF` and every node with `0xFE` (bytes that never occur in
//! UTF-8), so that two different trees cannot run together into the same
//! stream. FNV-1a is written here rather than taken from std because
//! `DefaultHasher`'s algorithm may change between Rust releases, and a
//! fingerprint is saved with a run's evidence and compared across runs.

use std::fmt;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};

use super::Wording;
use crate::android::uiautomator::{UiNode, UiTree};

/// The structural hash of a screen; shown and serialised as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The fingerprint of a dump: see the module docs. The decoration
/// packages skipped are the built-in wording's.
pub fn fingerprint(tree: &UiTree) -> Fingerprint {
    static BUILTIN: OnceLock<Wording> = OnceLock::new();
    fingerprint_with(tree, BUILTIN.get_or_init(Wording::builtin))
}

/// [`fingerprint`] with `wording`'s decoration packages (a `--wording`
/// file may name more bars and keyboards).
pub fn fingerprint_with(tree: &UiTree, wording: &Wording) -> Fingerprint {
    let mut h = Fnv::new();
    for root in &tree.windows {
        node(&mut h, root, 0, wording);
    }
    Fingerprint(h.0)
}

/// `text` with every run of digits (any script's) replaced by one `#`.
pub fn without_digits(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for c in text.chars() {
        if c.is_numeric() {
            if !in_run {
                out.push('#');
            }
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out
}

/// Whether a node holds typed input (its text is the user's, or a hint).
pub fn is_text_field(n: &UiNode) -> bool {
    n.password || n.class.ends_with("EditText")
}

// The parser bounds the depth (`uiautomator::MAX_DEPTH`), so the
// recursion is bounded too.
fn node(h: &mut Fnv, n: &UiNode, depth: u32, wording: &Wording) {
    if wording.decoration_packages.contains(&n.package) {
        return;
    }
    h.bytes(&depth.to_le_bytes());
    h.field(&n.class);
    h.field(&n.resource_id);
    h.field(&n.package);
    h.bytes(&[u8::from(n.clickable) | u8::from(n.checkable) << 1 | u8::from(n.scrollable) << 2]);
    h.field(&if is_text_field(n) {
        String::new()
    } else {
        without_digits(&n.text)
    });
    h.field(&without_digits(&n.content_desc));
    h.bytes(&[0xFE]);
    for c in &n.children {
        node(h, c, depth + 1, wording);
    }
}

/// 64-bit FNV-1a.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn field(&mut self, s: &str) {
        self.bytes(s.as_bytes());
        self.bytes(&[0xFF]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::android::uiautomator;

    /// A one-window dump: a clock, a counter, a text field, a switch and
    /// a button, with the given texts and state.
    fn dump(clock: &str, unread: &str, typed: &str, on: bool, button: &str, id: &str) -> String {
        format!(
            r#"<hierarchy rotation="0"><node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="com.x" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1080,2400]"><node index="0" text="{clock}" resource-id="com.x:id/clock" class="android.widget.TextView" package="com.x" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][200,100]" /><node index="1" text="{unread}" resource-id="com.x:id/badge" class="android.widget.TextView" package="com.x" content-desc="{unread}" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,100][200,200]" /><node index="2" text="{typed}" resource-id="com.x:id/search" class="android.widget.EditText" package="com.x" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="true" scrollable="false" long-clickable="true" password="false" selected="false" bounds="[0,200][1080,300]" /><node index="3" text="Recommendations" resource-id="com.x:id/rec" class="android.widget.Switch" package="com.x" content-desc="" checkable="true" checked="{on}" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,300][1080,400]" /><node index="4" text="{button}" resource-id="com.x:id/{id}" class="android.widget.Button" package="com.x" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,400][1080,500]" /></node></hierarchy>"#
        )
    }

    fn fp(xml: &str) -> Fingerprint {
        let tree = uiautomator::parse(xml).expect("a dump");
        let f = fingerprint(&tree);
        assert_eq!(fingerprint_with(&tree, &Wording::builtin()), f);
        f
    }

    #[test]
    fn volatile_parts_do_not_make_a_new_screen() {
        let base = fp(&dump(
            "10:42", "3 unread", "", false, "Settings", "settings",
        ));
        for other in [
            dump("23:07", "3 unread", "", false, "Settings", "settings"),
            dump("10:42", "12 unread", "", false, "Settings", "settings"),
            dump("10:42", "3 unread", "hello", false, "Settings", "settings"),
            dump("10:42", "3 unread", "", true, "Settings", "settings"),
            dump("9:05", "99 unread", "typed", true, "Settings", "settings"),
        ] {
            assert_eq!(fp(&other), base, "{other}");
        }
    }

    #[test]
    fn another_button_or_another_activitys_ids_make_another_screen() {
        let base = fp(&dump(
            "10:42", "3 unread", "", false, "Settings", "settings",
        ));
        assert_ne!(
            fp(&dump("10:42", "3 unread", "", false, "Account", "settings")),
            base
        );
        assert_ne!(
            fp(&dump("10:42", "3 unread", "", false, "Settings", "prefs")),
            base
        );
        assert_ne!(
            fp(&dump("10:42", "unread", "", false, "Settings", "settings")),
            base,
            "a counter that goes away changes the text"
        );
    }

    #[test]
    fn bounds_and_bars_are_left_out() {
        let xml = dump("10:42", "3 unread", "", false, "Settings", "settings");
        let scrolled = xml.replace("[0,400][1080,500]", "[0,396][1080,496]");
        assert_eq!(fp(&scrolled), fp(&xml));
        let bar = r#"<node index="0" text="10:42" resource-id="com.android.systemui:id/clock" class="android.widget.TextView" package="com.android.systemui" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1080,80]" /></hierarchy>"#;
        let with_bar = xml.replace("</hierarchy>", bar);
        assert_eq!(fp(&with_bar), fp(&xml));
    }

    #[test]
    fn the_value_is_fixed_and_shown_as_sixteen_hex_digits() {
        let tiny = r#"<hierarchy rotation="0"><node index="0" text="Me" resource-id="com.x:id/me" class="android.widget.Button" package="com.x" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][100,100]" /></hierarchy>"#;
        let f = fp(tiny);
        // A change to this value means fingerprints saved by earlier runs
        // no longer compare: change it knowingly. (Checked by hand: FNV-1a
        // of `00 00 00 00`, the class, id and package each ending `FF`,
        // flags `01`, `Me FF`, `FF`, `FE`.)
        assert_eq!(f.to_string(), "11bb356877522f18");
        assert_eq!(f.to_string().len(), 16);
        assert_eq!(serde_json::to_string(&f).expect("json"), format!("\"{f}\""));
        assert_eq!(
            fingerprint(&UiTree::default()).to_string(),
            "cbf29ce484222325"
        );
    }

    #[test]
    fn real_dumps_differ_from_each_other() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/real-captures/uiautomator"
        );
        let mut seen = std::collections::BTreeMap::new();
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .expect("the real captures")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        paths.sort();
        assert!(paths.len() >= 5, "{paths:?}");
        for p in paths {
            let xml = std::fs::read_to_string(&p).expect("a capture");
            let f = fp(&xml);
            assert_eq!(fp(&xml), f, "deterministic");
            if let Some(other) = seen.insert(f, p.clone()) {
                panic!("{} and {} share {f}", other.display(), p.display());
            }
        }
    }

    #[test]
    fn digit_runs_become_one_mark() {
        assert_eq!(without_digits("10:42"), "#:#");
        assert_eq!(without_digits("¥12.50, 3 unread"), "¥#.#, # unread");
        assert_eq!(without_digits("２０２４年"), "#年");
        assert_eq!(without_digits("Settings"), "Settings");
    }
}
