//! Data files in YAML whose problems name their line, column and key path:
//! the app-type table and the SDK list (`detect`), the batch's app list
//! (`batch`). Pure: text in, values or a located [`Problem`] out.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A problem at a place in a data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// The key path (`types[3].aliases[0]`), or `(top level)`.
    pub(crate) key: String,
    pub(crate) message: String,
}

/// Deserialises `text`; an error names the line, column and key path.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, at: &Positions) -> Result<T, Problem> {
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let key = if key == "." { String::new() } else { key };
        let mut p = at.problem(&key, inner.to_string());
        if let Some(l) = inner.location() {
            p.line = l.line();
            p.column = l.column();
        }
        p
    })
}

/// Checks `kind` (when given) and `version` (when given).
pub(crate) fn check_header(
    kind: Option<&str>,
    version: Option<u32>,
    expected: &str,
    what: &str,
    at: &Positions,
) -> Result<(), Problem> {
    if let Some(k) = kind.filter(|k| *k != expected) {
        return Err(at.problem(
            "kind",
            format!("`{k}` is not the kind of {what} (write `kind: {expected}`)"),
        ));
    }
    if let Some(v) = version.filter(|v| *v != 1) {
        return Err(at.problem(
            "version",
            format!("version {v} is not supported (this consentry reads version 1)"),
        ));
    }
    Ok(())
}

/// Refuses an id given twice in one file, at the second.
pub(crate) fn unique_ids(ids: &[&str], list: &str, at: &Positions) -> Result<(), Problem> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.iter().enumerate() {
        if let Some(j) = first.insert(id, i) {
            let (line, _) = at.find(&format!("{list}[{j}].id"));
            return Err(at.problem(
                &format!("{list}[{i}].id"),
                format!("`{id}` is given twice (first on line {line}); an id names one entry"),
            ));
        }
    }
    Ok(())
}

/// Where each key and item of a YAML text starts: `types` → the line of
/// `types:`, `types[3]` → its item, `types[3].aliases[0]` → that alias.
/// Built from the parser's marked events, so it does not depend on the
/// text deserialising; a text that is not YAML gives what was read before
/// the error.
#[derive(Debug, Clone, Default)]
pub(crate) struct Positions {
    at: HashMap<String, (usize, usize)>,
}

impl Positions {
    pub(crate) fn of(text: &str) -> Self {
        let mut walker = Walker::default();
        let mut parser = Parser::new_from_str(text);
        // A syntax error is the deserialiser's to report.
        let _ = parser.load(&mut walker, false);
        Self { at: walker.at }
    }

    /// The line and column of `key`, or of its nearest enclosing key.
    pub(crate) fn find(&self, key: &str) -> (usize, usize) {
        let mut k = key;
        loop {
            if let Some(&p) = self.at.get(k) {
                return p;
            }
            match k.rfind(['.', '[']) {
                Some(cut) => k = &k[..cut],
                None => return self.at.get("").copied().unwrap_or((1, 1)),
            }
        }
    }

    /// A problem at `key` (an empty key is the top level).
    pub(crate) fn problem(&self, key: &str, message: String) -> Problem {
        let (line, column) = self.find(key);
        Problem {
            line,
            column,
            key: if key.is_empty() {
                "(top level)".into()
            } else {
                key.to_string()
            },
            message,
        }
    }
}

enum Frame {
    Seq { path: String, next: usize },
    Map { path: String, key: Option<String> },
}

/// Follows the events of the first document, recording paths.
#[derive(Default)]
struct Walker {
    stack: Vec<Frame>,
    at: HashMap<String, (usize, usize)>,
    done: bool,
}

impl Walker {
    /// The path of the node that starts now, or `None` when it is a key.
    fn next_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                Some(p)
            }
            Some(Frame::Map { path, key }) => key.take().map(|k| {
                if path.is_empty() {
                    k
                } else {
                    format!("{path}.{k}")
                }
            }),
        }
    }

    fn record(&mut self, path: &str, mark: Marker) {
        self.at
            .entry(path.to_string())
            .or_insert((mark.line(), mark.col() + 1));
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.done {
            return;
        }
        match ev {
            Event::Scalar(text, ..) => match self.next_path() {
                Some(path) => self.record(&path, mark),
                None => {
                    // A key: the entry's position is the key's.
                    if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                        let full = if path.is_empty() {
                            text.clone()
                        } else {
                            format!("{path}.{text}")
                        };
                        *key = Some(text);
                        self.record(&full, mark);
                    }
                }
            },
            Event::Alias(_) => {
                if let Some(path) = self.next_path() {
                    self.record(&path, mark);
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                // A collection used as a key gets a path no lookup uses.
                let path = self.next_path().unwrap_or_else(|| "?".into());
                self.record(&path, mark);
                self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq { path, next: 0 }
                } else {
                    Frame::Map { path, key: None }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.stack.pop();
            }
            Event::DocumentEnd => self.done = true,
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::Nothing => {}
        }
    }
}
