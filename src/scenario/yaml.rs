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
//!
//! Two uses of tabs are refused with their own message: tabs as indentation,
//! and a tab after the `-` of a list item (`-<TAB>tapOn: x`). YAML 1.2, and so
//! `yaml-rust2`, accepts the second; YAML 1.1 parsers such as Maestro's
//! (SnakeYAML) do not, so a file that passes here would fail in Maestro.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, Scanner, TScalarStyle, Token, TokenType};

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

    /// The text of a 1-based line, without its line break.
    fn line(&self, line: usize) -> &'a str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let rest = &self.src[start..];
        rest.split('\n').next().unwrap_or(rest)
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

/// The first tab in the blanks after a list item's `-` on one line, as a
/// 0-based character column.
///
/// `upto` is the column of a scanner mark on this line that comes after every
/// `-` to look at: the line holds, before it, only blanks and indicators
/// (`-`, `?`, `:` each followed by a blank). With `exact`, only a `-` whose
/// blanks run up to `upto` counts (the mark is then a scan error's, which
/// sits right after the blanks that caused it).
fn dash_tab_on_line(line: &str, upto: usize, exact: bool) -> Option<usize> {
    let blank = |c: char| c == ' ' || c == '\t';
    let chars: Vec<char> = line.chars().take(upto.saturating_add(1)).collect();
    let mut i = 0;
    loop {
        while chars.get(i).copied().is_some_and(blank) {
            i += 1;
        }
        if i >= upto {
            return None;
        }
        let c = *chars.get(i)?;
        let ends = chars
            .get(i + 1)
            .is_none_or(|&n| blank(n) || n == '\r' || n == '\n');
        if !(matches!(c, '-' | '?' | ':') && ends) {
            return None;
        }
        let run = i + 1;
        let mut end = run;
        while chars.get(end).copied().is_some_and(blank) {
            end += 1;
        }
        if c == '-' && (!exact || end == upto) {
            if let Some(tab) = (run..end).find(|&k| chars[k] == '\t') {
                return Some(tab);
            }
        }
        i = end;
    }
}

/// Finds the first tab in the blanks after the `-` of a block sequence entry,
/// as a 1-based line and 0-based column.
///
/// YAML 1.1 parsers (SnakeYAML, which Maestro uses) skip only spaces after an
/// entry's `-`, so `-<TAB>x` and `- <TAB>x` fail there, while YAML 1.2 and
/// `yaml-rust2` accept them. The scanner's `BlockEntry` tokens say which lines
/// hold entry indicators, so a `-` in a quoted or plain scalar, a block
/// scalar's body or a comment is never looked at. A scan error right after a
/// `-` and its blanks (`-<TAB>- x`) is checked the same way.
fn first_dash_tab(offsets: &Offsets<'_>) -> Option<(usize, usize)> {
    if !offsets.src.contains('\t') {
        return None;
    }
    let mut scanner = Scanner::new(offsets.src.chars());
    // The line being gathered and the column of its last entry token, so
    // that a line is looked at once however many entries it holds.
    let mut pending: Option<(usize, usize)> = None;
    let check = |(line, upto): (usize, usize)| {
        dash_tab_on_line(offsets.line(line), upto, false).map(|col| (line, col))
    };
    for Token(mark, kind) in scanner.by_ref() {
        if !matches!(kind, TokenType::BlockEntry) {
            continue;
        }
        match pending {
            Some((line, _)) if line == mark.line() => {}
            Some(done) => {
                if let Some(found) = check(done) {
                    return Some(found);
                }
            }
            None => {}
        }
        pending = Some((mark.line(), mark.col()));
    }
    if let Some(found) = pending.and_then(check) {
        return Some(found);
    }
    let err = scanner.get_error()?;
    let m = err.marker();
    dash_tab_on_line(offsets.line(m.line()), m.col(), true).map(|col| (m.line(), col))
}

fn dash_tab_error(offsets: &Offsets<'_>, (line, col0): (usize, usize)) -> SyntaxError {
    SyntaxError {
        pos: offsets.pos(line, col0),
        message: "tab character after the `-` of a list item".into(),
        help: Some(
            "use a space after `-`: YAML 1.1 parsers, Maestro's among them, reject a tab there"
                .into(),
        ),
    }
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
    let loaded = parser.load(&mut builder, true);
    let at = |e: &SyntaxError| (e.pos.line, e.pos.col);
    let dash_tab = first_dash_tab(&builder.offsets).map(|t| dash_tab_error(&builder.offsets, t));
    if let Err(e) = loaded {
        let scan_pos = builder.offsets.marker(*e.marker());
        // A tab used as indentation is often only noticed on the next line.
        let indent_tab = first_indent_tab(src)
            .filter(|(l, _)| *l <= scan_pos.line + 1)
            .map(|(line, col0)| SyntaxError {
                pos: builder.offsets.pos(line, col0),
                message: "tab character used for indentation".into(),
                help: Some("YAML indentation must use spaces; replace the tabs with spaces".into()),
            });
        let dash_tab = dash_tab.filter(|d| at(d) <= (scan_pos.line, scan_pos.col));
        let first = [indent_tab, dash_tab].into_iter().flatten().min_by_key(at);
        return Err(first.unwrap_or_else(|| SyntaxError {
            pos: scan_pos,
            message: format!("invalid YAML: {}", e.info()),
            help: None,
        }));
    }
    // Both are errors; the one earlier in the file is reported.
    if let Some(first) = [builder.error, dash_tab]
        .into_iter()
        .flatten()
        .min_by_key(at)
    {
        return Err(first);
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

    /// The 1-based line and column of a tab-after-dash error, if any.
    fn dash_tab_at(src: &str) -> Option<(usize, usize)> {
        match parse_documents(src) {
            Err(e) if e.message.contains("after the `-`") => {
                assert!(e.help.as_deref().is_some_and(|h| h.contains("space")));
                Some((e.pos.line, e.pos.col))
            }
            Err(e) => panic!("another error for {src:?}: {}", e.message),
            Ok(_) => None,
        }
    }

    #[test]
    fn tab_after_a_list_dash_is_refused() {
        let h = "appId: a.b\n---\n";
        assert_eq!(
            dash_tab_at(&format!("{h}-\ttapOn: \"Agree\"\n")),
            Some((3, 2))
        );
        let nested = format!("{h}- runFlow:\n    commands:\n      - back\n      -\tback\n");
        assert_eq!(dash_tab_at(&nested), Some((6, 8)));
        assert_eq!(dash_tab_at(&format!("{h}- -\tback\n")), Some((3, 4)));
        assert_eq!(dash_tab_at(&format!("{h}- \tback\n")), Some((3, 3)));
        assert_eq!(dash_tab_at(&format!("{h}-\t\n  tapOn: x\n")), Some((3, 2)));
        assert_eq!(dash_tab_at(&format!("{h}- back\n-\tback")), Some((4, 2)));
        // yaml-rust2 fails on this one itself; the tab is still what is named.
        assert_eq!(dash_tab_at(&format!("{h}-\t- back\n")), Some((3, 2)));
        // Multi-byte text on an earlier line does not shift the column.
        assert_eq!(dash_tab_at("é:\n  -\tx\n"), Some((2, 4)));
    }

    #[test]
    fn tabs_elsewhere_are_not_taken_for_a_dash_tab() {
        let h = "appId: a.b\n---\n";
        for body in [
            "- inputText: \"a\tb\"\n",
            "- inputText: \"-\tb\"\n",
            "- inputText: a\tb\n",
            "- inputText: a -\tb\n",
            "- inputText: \"a\n    -\tb\"\n",
            "- inputText: a\n    -\tb\n",
            "- back # -\tx\n",
            "# -\tx\n- back\n",
            "- inputText: |\n    -\tline\n    - \tline\n- back\n",
            "- inputText: >\n    -\tline\n",
            "- tapOn: [\"-\tx\"]\n",
            "- back\n-   \n",
        ] {
            let src = format!("{h}{body}");
            assert_eq!(dash_tab_at(&src), None, "{src:?}");
        }
    }

    #[test]
    fn the_earliest_problem_is_reported() {
        // A duplicate key before the tab, then the tab before a duplicate key.
        let err = parse_documents("a: 1\na: 2\nb:\n-\tx\n").unwrap_err();
        assert!(err.message.contains("duplicate"), "{}", err.message);
        let err = parse_documents("b:\n-\tx\na: 1\na: 2\n").unwrap_err();
        assert_eq!((err.pos.line, err.pos.col), (2, 2));
        // A syntax error before the tab is reported as such.
        let err = parse_documents("a: [1\nb:\n-\tx\n").unwrap_err();
        assert!(err.message.contains("invalid YAML"), "{}", err.message);
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
