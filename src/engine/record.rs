//! The run directory as it is written: artifact files with safe names,
//! the masking of secret values in everything written, and the event
//! stream (`--events FILE`, one JSON object per line).
//!
//! Every file name is made here from a sequence number and a cleaned
//! label, so no text from a scenario or an app can lead a path outside the
//! directory.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use image::{Rgba, RgbaImage};

use crate::android::uiautomator::{UiNode, UiTree};
use crate::evidence::MASK;

/// Why a run directory could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Replaces secret values with [`MASK`] in text and paints them out of
/// screenshots.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is masked whole.
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let set: BTreeSet<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        let mut secrets: Vec<String> = set.into_iter().collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret value masked. Also masks the forms the
    /// device shows or logs: `input text` encodes spaces as `%s`, and XML
    /// escapes `&<>"'`.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            for form in forms(s) {
                if out.contains(&form) {
                    out = out.replace(&form, MASK);
                }
            }
        }
        out
    }

    /// Masks every secret value in `data` in place, byte for byte (each
    /// byte of a hit becomes `*`), so that a binary file such as a packet
    /// capture keeps its lengths and stays readable. Returns the hits.
    pub fn bytes(&self, data: &mut [u8]) -> usize {
        let mut hits = 0;
        for s in &self.secrets {
            for form in forms(s) {
                let needle = form.as_bytes();
                if needle.is_empty() || needle.len() > data.len() {
                    continue;
                }
                let mut i = 0;
                while i + needle.len() <= data.len() {
                    if data[i..].starts_with(needle) {
                        data[i..i + needle.len()].fill(b'*');
                        hits += 1;
                        i += needle.len();
                    } else {
                        i += 1;
                    }
                }
            }
        }
        hits
    }

    /// Whether `text` holds a secret value.
    pub fn hits(&self, text: &str) -> bool {
        self.secrets
            .iter()
            .any(|s| forms(s).iter().any(|f| text.contains(f.as_str())))
    }

    /// Whether some node of `tree` shows a secret in its text: only then
    /// has a picture of it anything to paint over.
    pub fn shows_secret(&self, tree: &UiTree) -> bool {
        !self.is_empty() && tree.nodes().iter().any(|n| self.shown_by(n))
    }

    fn shown_by(&self, node: &UiNode) -> bool {
        self.hits(&node.text) || self.hits(&node.content_desc)
    }

    /// Paints over every node of `tree` whose text shows a secret.
    pub fn image(&self, image: &mut RgbaImage, tree: &UiTree) {
        if self.is_empty() {
            return;
        }
        for node in tree.nodes() {
            if self.shown_by(node) {
                paint(image, node);
            }
        }
    }
}

fn forms(secret: &str) -> Vec<String> {
    let mut v = vec![secret.to_string()];
    let typed = secret.replace(' ', "%s");
    if typed != secret {
        v.push(typed);
    }
    let xml = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;");
    if xml != secret {
        v.push(xml);
    }
    v
}

fn paint(image: &mut RgbaImage, node: &UiNode) {
    let Some(b) = node.bounds else { return };
    let clamp = |v: i32, max: u32| u32::try_from(v.max(0)).unwrap_or(0).min(max);
    let (x0, x1) = (clamp(b.left, image.width()), clamp(b.right, image.width()));
    let (y0, y1) = (
        clamp(b.top, image.height()),
        clamp(b.bottom, image.height()),
    );
    for y in y0..y1 {
        for x in x0..x1 {
            image.put_pixel(x, y, Rgba([0, 0, 0, 255]));
        }
    }
}

/// The run directory: makes names, writes files, masks secrets.
#[derive(Debug)]
pub struct RunDir {
    root: PathBuf,
    seq: u32,
    pub redactor: Redactor,
}

impl RunDir {
    /// Creates the directory (and `screens/`, `snapshots/`, `explore/`).
    pub fn create(root: &Path, redactor: Redactor) -> Result<Self, WriteError> {
        for sub in ["", "screens", "snapshots", "explore"] {
            let p = root.join(sub);
            std::fs::create_dir_all(&p).map_err(|source| WriteError { path: p, source })?;
        }
        Ok(Self {
            root: root.to_path_buf(),
            seq: 0,
            redactor,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A new relative path `SUB/NNN-label.EXT`, unique in the run.
    pub fn name(&mut self, sub: &str, label: &str, ext: &str) -> String {
        self.seq += 1;
        format!("{sub}/{:03}-{}.{ext}", self.seq, file_label(label))
    }

    /// Writes bytes at a relative path made by [`RunDir::name`] (or a
    /// fixed top-level name such as `run.json`), atomically: a temporary
    /// file, then a rename.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let path = self.root.join(rel);
        let tmp = path.with_extension("partial");
        let io = |source| WriteError {
            path: path.clone(),
            source,
        };
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    /// Writes text with secrets masked.
    pub fn write_text(&self, rel: &str, text: &str) -> Result<(), WriteError> {
        self.write(rel, self.redactor.text(text).as_bytes())
    }

    /// Opens a file for appending (the logcat slice).
    pub fn append(&self, rel: &str) -> Result<BufWriter<File>, WriteError> {
        let path = self.root.join(rel);
        File::options()
            .create(true)
            .append(true)
            .open(&path)
            .map(BufWriter::new)
            .map_err(|source| WriteError { path, source })
    }
}

/// A label cut to a file-name-safe form: ASCII letters, digits, `-` and
/// `_`, at most 48 characters; anything else becomes `-`.
pub fn file_label(label: &str) -> String {
    let mut s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "x".into() } else { s }
}

/// The `--events` stream: one JSON object per line, flushed as it
/// happens.
#[derive(Default)]
pub struct Events {
    out: Option<Mutex<BufWriter<File>>>,
    /// Also handed every event (a batch's progress display).
    hook: Option<EventHook>,
}

/// A function every event is handed to.
pub type EventHook = std::sync::Arc<dyn Fn(&serde_json::Value) + Send + Sync>;

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("file", &self.out.is_some())
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl Events {
    pub fn to_file(path: &Path) -> Result<Self, WriteError> {
        let f = File::create(path).map_err(|source| WriteError {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            out: Some(Mutex::new(BufWriter::new(f))),
            hook: None,
        })
    }

    pub fn none() -> Self {
        Self::default()
    }

    /// Events handed to `hook` only.
    pub fn to_hook(hook: EventHook) -> Self {
        Self {
            out: None,
            hook: Some(hook),
        }
    }

    /// Writes one event; a write error is logged, not fatal (the run
    /// directory is the record).
    pub fn emit(&self, event: &serde_json::Value) {
        if let Some(h) = &self.hook {
            h(event);
        }
        let Some(out) = &self.out else { return };
        let mut w = out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let line = serde_json::to_string(event).unwrap_or_default();
        if let Err(e) = writeln!(w, "{line}").and_then(|()| w.flush()) {
            tracing::warn!("cannot write an event: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_binary_data_are_masked_in_place() {
        let r = Redactor::new(["hunter2".to_string(), "a b".to_string()]);
        let mut data = b"\x00\x01user=me&pw=hunter2\r\nq=a%sb hunter2".to_vec();
        let len = data.len();
        assert_eq!(r.bytes(&mut data), 3);
        assert_eq!(data.len(), len, "lengths are kept");
        let text = String::from_utf8_lossy(&data);
        assert!(
            !text.contains("hunter2") && !text.contains("a%sb"),
            "{text}"
        );
        assert!(text.contains("pw=*******"), "{text}");
        let mut none = b"nothing here".to_vec();
        assert_eq!(r.bytes(&mut none), 0);
        assert_eq!(none, b"nothing here");
    }

    #[test]
    fn a_picture_is_painted_only_where_a_node_shows_a_secret() {
        let dump = |text: &str| {
            crate::android::uiautomator::parse(&format!(
                r#"<?xml version="1.0"?><hierarchy rotation="0"><node index="0" text="{text}" resource-id="" class="android.widget.EditText" package="com.x" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][4,4]" /></hierarchy>"#
            ))
            .unwrap()
        };
        let r = Redactor::new(["hunter2".to_string()]);
        let shown = dump("pw hunter2");
        assert!(r.shows_secret(&shown));
        assert!(!r.shows_secret(&dump("hello")));
        assert!(!Redactor::default().shows_secret(&shown));
        let white = Rgba([255, 255, 255, 255]);
        let mut img = RgbaImage::from_pixel(8, 8, white);
        r.image(&mut img, &shown);
        assert_eq!(*img.get_pixel(1, 1), Rgba([0, 0, 0, 255]));
        assert_eq!(*img.get_pixel(6, 6), white);
    }

    #[test]
    fn secrets_are_masked_in_every_form_the_device_shows() {
        let r = Redactor::new(["pa ss&word".to_string(), String::new()]);
        assert_eq!(r.text("typed pa ss&word!"), "typed ••••!");
        assert_eq!(r.text("input text pa%sss&word"), "input text ••••");
        assert_eq!(r.text("text=\"pa ss&amp;word\""), "text=\"••••\"");
        assert!(r.hits("xpa ss&wordx"));
        assert!(!r.hits("password"));
        assert!(Redactor::new([String::new()]).is_empty());
    }

    #[test]
    fn labels_cannot_leave_the_directory() {
        assert_eq!(file_label("../../etc/passwd"), "etc-passwd");
        assert_eq!(file_label("mark:consent shown"), "mark-consent-shown");
        assert_eq!(file_label("同意"), "x");
        assert_eq!(file_label(&"a".repeat(100)).len(), 48);
    }

    #[test]
    fn names_are_unique_and_relative() {
        let dir = tempfile::tempdir().unwrap();
        let mut rd = RunDir::create(dir.path(), Redactor::default()).unwrap();
        let a = rd.name("screens", "x", "png");
        let b = rd.name("screens", "x", "png");
        assert_ne!(a, b);
        assert_eq!(a, "screens/001-x.png");
        rd.write(&a, b"png").unwrap();
        assert_eq!(std::fs::read(dir.path().join(&a)).unwrap(), b"png");
    }
}
