//! A YAML document tree that remembers where every node came from.
//!
//! serde's YAML value type forgets positions, so scenario files are parsed once
//! here, with `yaml-rust2`'s marked events, into [`Node`]s that carry their
//! line and column. A node converts to a [`serde_yaml::Value`] for typed
//! deserialisation, and a serde error's key path is mapped back to a node with
//! [`Node::locate`] so that every message names the line and column.
//!
//! Guards: duplicate keys are errors, aliases are expanded with a node budget
//! (no "billion laughs"), and nesting deeper than [`MAX_DEPTH`] is refused so
//! that later recursive passes cannot overflow the stack.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest nesting of collections accepted in a scenario file.
pub(crate) const MAX_DEPTH: usize = 64;
/// Most nodes a file may expand to, aliases included.
pub(crate) const MAX_NODES: usize = 2_000_000;

/// A position in a source file: 1-based line and column (in characters) and
/// the byte offset of that character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    pub byte: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) pos: Pos,
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Scalar { text: String, quoted: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A syntax-level problem found while building the tree.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

/// Maps character offsets (what the YAML scanner reports) to byte offsets.
struct Offsets<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(src: &'a str) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in src.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        Self { src, line_starts }
    }

    /// Converts the scanner's 1-based line and 0-based character column.
    fn pos(&self, line: usize, col0: usize) -> Pos {
        let line = line.max(1);
        let start = self
            .line_starts
            .get(line - 1)
            .copied()
            .unwrap_or(self.src.len());
        let rest = &self.src[start..];
        let byte = start + rest.char_indices().nth(col0).map_or(rest.len(), |(i, _)| i);
        Pos {
            line,
            col: col0 + 1,
            byte,
        }
    }

    fn marker(&self, m: Marker) -> Pos {
        self.pos(m.line(), m.col())
    }
}

enum Frame {
    Seq {
        pos: Option<Pos>,
        items: Vec<Node>,
        anchor: usize,
    },
    Map {
        pos: Option<Pos>,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        anchor: usize,
    },
}

struct Builder<'a> {
    offsets: Offsets<'a>,
    docs: Vec<Node>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    error: Option<SyntaxError>,
    /// Whether the current document has produced its root node.
    doc_has_root: bool,
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        Kind::Scalar { .. } => 1,
        Kind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Kind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

impl Builder<'_> {
    fn fail(&mut self, pos: Pos, message: impl Into<String>, help: Option<String>) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                pos,
                message: message.into(),
                help,
            });
        }
    }

    fn push_node(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                self.doc_has_root = true;
                self.docs.push(node);
            }
            Some(Frame::Seq { pos, items, .. }) => {
                if pos.is_none() {
                    *pos = Some(node.pos);
                }
                items.push(node);
            }
            Some(Frame::Map {
                pos, entries, key, ..
            }) => {
                if let Some(k) = key.take() {
                    entries.push((k, node));
                } else {
                    if entries.is_empty() && pos.is_none_or(|p| node.pos.byte < p.byte) {
                        *pos = Some(node.pos);
                    }
                    *key = Some(node);
                }
            }
        }
        if let Some(Frame::Map { entries, .. }) = self.stack.last() {
            if let Some((new_key, _)) = entries.last() {
                let duplicate = entries[..entries.len() - 1]
                    .iter()
                    .find(|(k, _)| same_key(k, new_key))
                    .map(|(k, _)| k.pos);
                if let Some(first) = duplicate {
                    let at = new_key.pos;
                    let name = scalar_text(new_key).unwrap_or("?").to_string();
                    self.fail(
                        at,
                        format!("duplicate key `{name}`"),
                        Some(format!(
                            "`{name}` is already set on line {}; remove one of them",
                            first.line
                        )),
                    );
                }
            }
        }
    }

    fn register(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }
}

fn scalar_text(node: &Node) -> Option<&str> {
    match &node.kind {
        Kind::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn same_key(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Scalar { text: x, .. }, Kind::Scalar { text: y, .. }) => x == y,
        _ => false,
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = self.offsets.marker(mark);
        match ev {
            Event::DocumentStart => self.doc_has_root = false,
            Event::DocumentEnd => {
                if !self.doc_has_root {
                    // `---` followed by nothing: an empty (null) document.
                    self.docs.push(Node {
                        pos,
                        kind: Kind::Scalar {
                            text: String::new(),
                            quoted: false,
                        },
                    });
                }
            }
            Event::Scalar(text, style, anchor, _tag) => {
                self.nodes += 1;
                let node = Node {
                    pos,
                    kind: Kind::Scalar {
                        text,
                        quoted: !matches!(style, TScalarStyle::Plain),
                    },
                };
                self.register(anchor, &node);
                self.push_node(node);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.nodes += 1;
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(
                        pos,
                        format!("nesting is deeper than {MAX_DEPTH} levels"),
                        Some(
                            "a scenario never needs this much nesting; split it with runFlow"
                                .into(),
                        ),
                    );
                    return;
                }
                let is_seq = matches!(ev, Event::SequenceStart(..));
                // A block mapping reports its start after the first key; the
                // first key's position is used when it comes earlier.
                let start = Some(pos);
                self.stack.push(if is_seq {
                    Frame::Seq {
                        pos: start,
                        items: Vec::new(),
                        anchor,
                    }
                } else {
                    Frame::Map {
                        pos: start,
                        entries: Vec::new(),
                        key: None,
                        anchor,
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (node, anchor) = match frame {
                    Frame::Seq {
                        pos: p,
                        items,
                        anchor,
                    } => (
                        Node {
                            pos: p.unwrap_or(pos),
                            kind: Kind::Seq(items),
                        },
                        anchor,
                    ),
                    Frame::Map {
                        pos: p,
                        entries,
                        anchor,
                        ..
                    } => (
                        Node {
                            pos: p.unwrap_or(pos),
                            kind: Kind::Map(entries),
                        },
                        anchor,
                    ),
                };
                self.register(anchor, &node);
                self.push_node(node);
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id).cloned() else {
                    self.fail(pos, "alias refers to an unknown anchor", None);
                    return;
                };
                self.nodes += count_nodes(&target);
                if self.nodes > MAX_NODES {
                    self.fail(
                        pos,
                        format!("the file expands to more than {MAX_NODES} nodes through aliases"),
                        Some("remove the recursive or repeated aliases".into()),
                    );
                    return;
                }
                self.push_node(target);
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        if self.nodes > MAX_NODES {
            self.fail(
                pos,
                format!("the file has more than {MAX_NODES} nodes"),
                None,
            );
        }
    }
}

/// Finds the first tab used as indentation, which YAML forbids.
fn first_indent_tab(src: &str) -> Option<(usize, usize)> {
    for (i, line) in src.lines().enumerate() {
        let indent: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        if let Some(col) = indent.chars().position(|c| c == '\t') {
            if line.trim_start_matches([' ', '\t']).is_empty() {
                continue;
            }
            return Some((i + 1, col));
        }
    }
    None
}

/// Parses every document of a YAML stream into position-aware trees.
pub(crate) fn parse_documents(src: &str) -> Result<Vec<Node>, SyntaxError> {
    let offsets = Offsets::new(src);
    let mut builder = Builder {
        offsets,
        docs: Vec::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        error: None,
        doc_has_root: false,
    };
    let mut parser = Parser::new_from_str(src);
    if let Err(e) = parser.load(&mut builder, true) {
        let scan_pos = builder.offsets.marker(*e.marker());
        if let Some((line, col0)) = first_indent_tab(src).filter(|(l, _)| *l <= scan_pos.line + 1) {
            return Err(SyntaxError {
                pos: builder.offsets.pos(line, col0),
                message: "tab character used for indentation".into(),
                help: Some("YAML indentation must use spaces; replace the tabs with spaces".into()),
            });
        }
        return Err(SyntaxError {
            pos: scan_pos,
            message: format!("invalid YAML: {}", e.info()),
            help: None,
        });
    }
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.docs)
}

fn plain_scalar_value(text: &str) -> serde_yaml::Value {
    use serde_yaml::Value;
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Number(f64::INFINITY.into());
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Number(f64::NEG_INFINITY.into()),
        ".nan" | ".NaN" | ".NAN" => return Value::Number(f64::NAN.into()),
        _ => {}
    }
    let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits_only(unsigned) {
        if let Ok(n) = text.parse::<i64>() {
            return Value::Number(n.into());
        }
        if let Ok(n) = text.trim_start_matches('+').parse::<u64>() {
            return Value::Number(n.into());
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(n) = i64::from_str_radix(hex, 16) {
            return Value::Number(n.into());
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(n) = i64::from_str_radix(oct, 8) {
            return Value::Number(n.into());
        }
    }
    let looks_float = unsigned.bytes().any(|b| b.is_ascii_digit())
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if looks_float {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Number(f.into());
        }
    }
    Value::String(text.to_string())
}

impl Node {
    /// Converts to serde's YAML value (YAML 1.2 core schema for plain scalars).
    pub(crate) fn to_value(&self) -> serde_yaml::Value {
        use serde_yaml::Value;
        match &self.kind {
            Kind::Scalar { text, quoted: true } => Value::String(text.clone()),
            Kind::Scalar {
                text,
                quoted: false,
            } => plain_scalar_value(text),
            Kind::Seq(items) => Value::Sequence(items.iter().map(Node::to_value).collect()),
            Kind::Map(entries) => Value::Mapping(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_value(), v.to_value()))
                    .collect(),
            ),
        }
    }

    pub(crate) fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub(crate) fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        scalar_text(self)
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.to_value(), serde_yaml::Value::Null)
    }

    /// The key node and value node of `key` in a mapping.
    pub(crate) fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// A short description of the node's type, for "expected X, found Y".
    pub(crate) fn describe(&self) -> &'static str {
        match (&self.kind, self.to_value()) {
            (Kind::Seq(_), _) => "a list",
            (Kind::Map(_), _) => "a map",
            (_, serde_yaml::Value::Null) => "nothing (null)",
            (_, serde_yaml::Value::Bool(_)) => "a boolean",
            (_, serde_yaml::Value::Number(_)) => "a number",
            _ => "a string",
        }
    }
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathSegment {
    Key(String),
    Index(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_byte_accurate() {
        let src = "appId: é\n---\n- tapOn:\n    text: \"ü\"\n";
        let docs = parse_documents(src).expect("parses");
        assert_eq!(docs.len(), 2);
        let steps = docs[1].as_seq().expect("list");
        let (key, value) = steps[0].as_map().expect("map")[0].clone();
        assert_eq!((key.pos.line, key.pos.col), (3, 3));
        let text = value.entry("text").expect("text").1;
        assert_eq!((text.pos.line, text.pos.col), (4, 11));
        assert!(src[text.pos.byte..].starts_with('"'));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_documents("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!((err.pos.line, err.pos.col), (3, 1));
        assert!(err.message.contains("duplicate key `a`"), "{}", err.message);
    }

    #[test]
    fn tab_indentation_is_named() {
        let err = parse_documents("a:\n\tb: 2\n").unwrap_err();
        assert_eq!(err.pos.line, 2);
        assert!(err.message.contains("tab"), "{}", err.message);
    }

    #[test]
    fn alias_bombs_are_refused() {
        use std::fmt::Write as _;
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            let refs = vec![format!("*a{p}"); 10].join(", ");
            writeln!(src, "a{i}: &a{i} [{refs}]").expect("writing to a String");
        }
        let err = parse_documents(&src).unwrap_err();
        assert!(err.message.contains("nodes"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let src = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let err = parse_documents(&src).unwrap_err();
        assert!(err.message.contains("deeper"), "{}", err.message);
    }

    #[test]
    fn core_schema_scalars() {
        let docs = parse_documents("[1, -2, 1.5, true, ~, '3', abc, 0x10, 1e3]").unwrap();
        let v = docs[0].to_value();
        let seq = v.as_sequence().unwrap();
        assert_eq!(seq[0].as_i64(), Some(1));
        assert_eq!(seq[1].as_i64(), Some(-2));
        assert_eq!(seq[2].as_f64(), Some(1.5));
        assert_eq!(seq[3].as_bool(), Some(true));
        assert!(seq[4].is_null());
        assert_eq!(seq[5].as_str(), Some("3"));
        assert_eq!(seq[6].as_str(), Some("abc"));
        assert_eq!(seq[7].as_i64(), Some(16));
        assert_eq!(seq[8].as_f64(), Some(1000.0));
    }
}
