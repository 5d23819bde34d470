//! Scenario diagnostics: one problem in one file, with its place, its key
//! path, what was expected and a hint; and their rendering for people
//! (rustc-style snippets) and for machines (JSON lines).

use std::fmt;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use super::yaml::Pos;

/// How bad a diagnostic is. Only errors fail validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file as the user named it (or as reached through `runFlow`).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    #[serde(skip)]
    pub byte: usize,
    /// Key path such as `steps[3].tapOn.txet`; empty for whole-file problems.
    pub key: String,
    /// What is wrong, as a lowercase fragment.
    pub message: String,
    /// What the key accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// A hint such as "did you mean `text`?".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub(crate) fn error(file: &Path, pos: Pos, key: &str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.to_path_buf(),
            line: pos.line.max(1),
            column: pos.col.max(1),
            byte: pos.byte,
            key: key.to_string(),
            message: message.into(),
            expected: None,
            help: None,
        }
    }

    pub(crate) fn warning(file: &Path, pos: Pos, key: &str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, pos, key, message)
        }
    }

    #[must_use]
    pub(crate) fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    #[must_use]
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub(crate) fn help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col`, the form editors and terminals turn into links.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file.display(), self.line, self.column)
    }

    /// Renders the diagnostic with a source snippet, as compilers do.
    /// `source` is the file's text (if it could be read).
    pub fn render(&self, source: Option<&str>, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let path = self.location();
        let title = if self.key.is_empty() {
            self.message.clone()
        } else {
            format!("{} (at `{}`)", self.message, self.key)
        };
        let mut groups: Vec<Group<'_>> = Vec::new();
        let mut main = Group::with_title(level.primary_title(title));
        match source.filter(|s| self.byte <= s.len() && s.is_char_boundary(self.byte)) {
            Some(src) if !src.is_empty() => {
                let (line_start, line_text) = line_around(src, self.byte);
                let offset = self.byte - line_start;
                let width = token_width(&line_text[offset..]);
                let label = self.expected.as_deref().map(|e| format!("expected {e}"));
                let mut ann = AnnotationKind::Primary.span(offset..offset + width);
                if let Some(label) = label {
                    ann = ann.label(label);
                }
                let snippet = Snippet::source(line_text)
                    .line_start(self.line)
                    .path(self.file.display().to_string())
                    .annotation(ann);
                main = main.element(snippet);
            }
            _ => {
                main = main.element(Level::NOTE.message(format!("at {path}")));
                if let Some(e) = &self.expected {
                    main = main.element(Level::NOTE.message(format!("expected {e}")));
                }
            }
        }
        groups.push(main);
        if let Some(help) = &self.help {
            groups.push(Group::with_title(Level::HELP.secondary_title(help.clone())));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&groups)
    }
}

impl fmt::Display for Diagnostic {
    /// One line: `file:line:col: error: message [key] (expected ...; help: ...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {sev}: {}", self.location(), self.message)?;
        if !self.key.is_empty() {
            write!(f, " [at {}]", self.key)?;
        }
        if let Some(e) = &self.expected {
            write!(f, "; expected {e}")?;
        }
        if let Some(h) = &self.help {
            write!(f, "; help: {h}")?;
        }
        Ok(())
    }
}

fn line_around(src: &str, byte: usize) -> (usize, &str) {
    let start = src[..byte].rfind('\n').map_or(0, |i| i + 1);
    let end = src[byte..].find('\n').map_or(src.len(), |i| byte + i);
    (start, src[start..end].trim_end_matches('\r'))
}

/// Width in bytes of the token starting a line remainder: a quoted string,
/// or a run up to `:` / `,` / `]` / `}` / end of line.
fn token_width(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    match chars.next() {
        None => 0,
        Some((_, c)) if c.is_whitespace() => c.len_utf8(),
        Some((_, q @ ('"' | '\''))) => chars
            .find(|(_, c)| *c == q)
            .map_or(rest.len(), |(i, c)| i + c.len_utf8()),
        Some(_) => {
            let end = rest
                .char_indices()
                .find(|(i, c)| {
                    *i > 0 && matches!(c, ':' | ',' | ']' | '}' | '#')
                        || (*c == ' ' && rest[*i..].starts_with(" #"))
                })
                .map_or(rest.len(), |(i, _)| i);
            rest[..end].trim_end().len().max(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_at_the_token() {
        let src = "appId: x\n---\n- tapOn:\n    txet: Agree\n";
        let byte = src.find("txet").unwrap();
        let d = Diagnostic::error(
            Path::new("a.yaml"),
            Pos {
                line: 4,
                col: 5,
                byte,
            },
            "steps[0].tapOn.txet",
            "unknown key `txet`",
        )
        .help("did you mean `text`?");
        let out = d.render(Some(src), false);
        assert!(out.contains("a.yaml:4:5"), "{out}");
        assert!(out.contains("^^^^"), "{out}");
        assert!(out.contains("did you mean `text`?"), "{out}");
        assert_eq!(
            d.to_string(),
            "a.yaml:4:5: error: unknown key `txet` [at steps[0].tapOn.txet]; help: did you mean `text`?"
        );
    }

    #[test]
    fn token_widths() {
        assert_eq!(token_width("txet: Agree"), 4);
        assert_eq!(token_width("\"a b\" # c"), 5);
        assert_eq!(token_width("abc def # x"), 7);
        assert_eq!(token_width(""), 0);
    }
}
