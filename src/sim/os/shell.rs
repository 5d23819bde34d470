//! The pure shell-line parser: what `/system/bin/sh -c LINE` (mksh) does
//! with the lines adb sends. Single quotes are literal, double quotes allow
//! `\"`, `\\`, `\$` and `$VAR`, a backslash outside quotes escapes the next
//! character; `;`, newline, `&&`, `||` separate commands; `>`, `>>`, `2>`,
//! `2>&1` redirect. Variables are kept symbolic ([`Part::Var`]) and expanded
//! at run time by [`expand`] (no field splitting: a variable never adds
//! words). Pipes and background jobs are not supported and are reported as
//! errors, never silently mangled.

use std::collections::BTreeMap;

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    /// `$NAME`, `${NAME}` or `$?`.
    Var(String),
}

/// A word: literal text and variables joined without separators.
pub type Word = Vec<Part>;

/// Where a redirection goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    File(Word),
    /// `2>&1`: duplicate onto this descriptor.
    Fd(u8),
}

/// `fd > target` (`append` for `>>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub fd: u8,
    pub append: bool,
    pub target: Target,
}

/// How a command is joined to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// `;` or newline or end of line.
    Seq,
    And,
    Or,
}

/// One simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub link: Link,
}

/// A syntax error, printed as `/system/bin/sh: syntax error: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError(pub String);

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "syntax error: {}", self.0)
    }
}

impl std::error::Error for SyntaxError {}

struct WordBuf {
    parts: Word,
    lit: String,
    started: bool,
}

impl WordBuf {
    fn new() -> Self {
        Self {
            parts: Vec::new(),
            lit: String::new(),
            started: false,
        }
    }
    fn push(&mut self, c: char) {
        self.lit.push(c);
        self.started = true;
    }
    fn var(&mut self, name: String) {
        if !self.lit.is_empty() {
            self.parts.push(Part::Lit(std::mem::take(&mut self.lit)));
        }
        self.parts.push(Part::Var(name));
        self.started = true;
    }
    fn take(&mut self) -> Option<Word> {
        if !self.started {
            return None;
        }
        if !self.lit.is_empty() || self.parts.is_empty() {
            self.parts.push(Part::Lit(std::mem::take(&mut self.lit)));
        }
        self.started = false;
        Some(std::mem::take(&mut self.parts))
    }
    /// The word so far is all digits and unquoted-looking (for `2>`).
    fn as_fd(&self) -> Option<u8> {
        if self.parts.is_empty() && self.lit.len() == 1 {
            self.lit.parse().ok()
        } else {
            None
        }
    }
}

fn read_var(chars: &[char], i: &mut usize) -> Option<String> {
    // `*i` points after `$`.
    match chars.get(*i) {
        Some('{') => {
            let end = chars[*i..].iter().position(|c| *c == '}')? + *i;
            let name: String = chars[*i + 1..end].iter().collect();
            *i = end + 1;
            Some(name)
        }
        Some('?') => {
            *i += 1;
            Some("?".to_string())
        }
        Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
            let start = *i;
            while chars
                .get(*i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                *i += 1;
            }
            Some(chars[start..*i].iter().collect())
        }
        _ => None,
    }
}

/// Parses a command line into simple commands.
pub fn parse(line: &str) -> Result<Vec<Command>, SyntaxError> {
    let chars: Vec<char> = line.chars().collect();
    let mut cmds = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut redirects = Vec::new();
    let mut pending_redirect: Option<(u8, bool)> = None;
    let mut w = WordBuf::new();
    let mut i = 0;

    let finish_word = |w: &mut WordBuf,
                       words: &mut Vec<Word>,
                       redirects: &mut Vec<Redirect>,
                       pending: &mut Option<(u8, bool)>| {
        if let Some(word) = w.take() {
            if let Some((fd, append)) = pending.take() {
                redirects.push(Redirect {
                    fd,
                    append,
                    target: Target::File(word),
                });
            } else {
                words.push(word);
            }
        }
    };

    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                finish_word(&mut w, &mut words, &mut redirects, &mut pending_redirect);
                i += 1;
            }
            '\'' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|c| *c == '\'')
                    .ok_or_else(|| SyntaxError("unterminated quoted string".into()))?;
                for ch in &chars[i + 1..i + 1 + end] {
                    w.push(*ch);
                }
                w.started = true;
                i += end + 2;
            }
            '"' => {
                w.started = true;
                i += 1;
                loop {
                    let Some(&ch) = chars.get(i) else {
                        return Err(SyntaxError("unterminated quoted string".into()));
                    };
                    match ch {
                        '"' => {
                            i += 1;
                            break;
                        }
                        '\\' if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            w.push(chars[i + 1]);
                            i += 2;
                        }
                        '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
                        '$' => {
                            i += 1;
                            match read_var(&chars, &mut i) {
                                Some(name) => w.var(name),
                                None => w.push('$'),
                            }
                        }
                        _ => {
                            w.push(ch);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => {
                match chars.get(i + 1) {
                    Some('\n') => {}
                    Some(&n) => w.push(n),
                    None => w.push('\\'),
                }
                i += 2;
            }
            '$' => {
                i += 1;
                match read_var(&chars, &mut i) {
                    Some(name) => w.var(name),
                    None => w.push('$'),
                }
            }
            '#' if !w.started => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '>' => {
                let fd = w.as_fd();
                if fd.is_some() {
                    w = WordBuf::new();
                } else {
                    finish_word(&mut w, &mut words, &mut redirects, &mut pending_redirect);
                }
                if pending_redirect.is_some() {
                    return Err(SyntaxError("unexpected '>'".into()));
                }
                let fd = fd.unwrap_or(1);
                i += 1;
                let append = chars.get(i) == Some(&'>');
                if append {
                    i += 1;
                }
                if chars.get(i) == Some(&'&') {
                    let n = chars
                        .get(i + 1)
                        .and_then(|c| c.to_digit(10))
                        .and_then(|d| u8::try_from(d).ok());
                    let Some(n) = n else {
                        return Err(SyntaxError("bad fd after '>&'".into()));
                    };
                    redirects.push(Redirect {
                        fd,
                        append,
                        target: Target::Fd(n),
                    });
                    i += 2;
                } else {
                    pending_redirect = Some((fd, append));
                }
            }
            ';' | '\n' | '&' | '|' => {
                finish_word(&mut w, &mut words, &mut redirects, &mut pending_redirect);
                if pending_redirect.is_some() {
                    return Err(SyntaxError(format!("unexpected '{c}'")));
                }
                let link = match (c, chars.get(i + 1)) {
                    ('&', Some('&')) => {
                        i += 2;
                        Link::And
                    }
                    ('|', Some('|')) => {
                        i += 2;
                        Link::Or
                    }
                    ('&' | '|', _) => {
                        return Err(SyntaxError(format!(
                            "'{c}' (pipes and background jobs) not supported by the simulator"
                        )));
                    }
                    _ => {
                        i += 1;
                        Link::Seq
                    }
                };
                if words.is_empty() {
                    if link != Link::Seq || c == ';' && cmds.is_empty() && redirects.is_empty() {
                        return Err(SyntaxError(format!("unexpected '{c}'")));
                    }
                    continue;
                }
                cmds.push(Command {
                    words: std::mem::take(&mut words),
                    redirects: std::mem::take(&mut redirects),
                    link,
                });
            }
            _ => {
                w.push(c);
                i += 1;
            }
        }
    }
    finish_word(&mut w, &mut words, &mut redirects, &mut pending_redirect);
    if pending_redirect.is_some() {
        return Err(SyntaxError("missing redirection target".into()));
    }
    if !words.is_empty() {
        cmds.push(Command {
            words,
            redirects,
            link: Link::Seq,
        });
    } else if cmds.last().is_some_and(|c| c.link != Link::Seq) {
        return Err(SyntaxError("unexpected end of line".into()));
    }
    Ok(cmds)
}

/// Joins a word, looking variables up in `env` (unset → empty).
pub fn expand(word: &Word, env: &BTreeMap<String, String>) -> String {
    word.iter()
        .map(|p| match p {
            Part::Lit(s) => s.as_str(),
            Part::Var(v) => env.get(v).map_or("", String::as_str),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    // The tool's own quoting, checked against this model of the device shell.
    use crate::android::quote::sh_quote as quote;
    use proptest::prelude::*;

    fn argv(line: &str) -> Vec<Vec<String>> {
        let env = BTreeMap::from([("X".to_string(), "1 2".to_string())]);
        parse(line)
            .unwrap()
            .iter()
            .map(|c| c.words.iter().map(|w| expand(w, &env)).collect())
            .collect()
    }

    #[test]
    fn quoting() {
        assert_eq!(
            argv("echo 'a b' \"c d\" e\\ f"),
            vec![vec!["echo", "a b", "c d", "e f"]]
        );
        assert_eq!(argv("echo ''"), vec![vec!["echo", ""]]);
        assert_eq!(
            argv(r#"echo "a\"b\\c" 'x\y'"#),
            vec![vec!["echo", "a\"b\\c", "x\\y"]]
        );
        assert_eq!(
            argv("echo $X \"[$X]\" '$X'"),
            vec![vec!["echo", "1 2", "[1 2]", "$X"]]
        );
        assert_eq!(
            argv("cmd package 'install' -S 12"),
            vec![vec!["cmd", "package", "install", "-S", "12"]]
        );
    }

    #[test]
    fn hostile_strings_stay_one_argument() {
        assert_eq!(
            argv("input text 'a'\\''; reboot; echo '\\'''"),
            vec![vec!["input", "text", "a'; reboot; echo '"]]
        );
        assert_eq!(
            argv(&format!("log -t T {}", quote("a'; reboot; echo '"))),
            vec![vec!["log", "-t", "T", "a'; reboot; echo '"]]
        );
        assert_eq!(argv("echo \"$(reboot)\""), vec![vec!["echo", "$(reboot)"]]);
    }

    #[test]
    fn separators_and_redirects() {
        let cmds = parse("export A=1; echo a && exit 3 || true >/dev/null 2>&1").unwrap();
        assert_eq!(cmds.len(), 4);
        assert_eq!(cmds[1].link, Link::And);
        assert_eq!(cmds[2].link, Link::Or);
        assert_eq!(cmds[3].redirects.len(), 2);
        assert_eq!(cmds[3].redirects[1].target, Target::Fd(1));
        assert_eq!(cmds[3].redirects[1].fd, 2);
        assert!(parse("echo 'open").is_err());
        assert!(parse("echo a | grep a").is_err());
        assert!(parse("&& echo").is_err());
        assert!(parse("echo a &&").is_err());
        assert_eq!(argv("echo a # comment; reboot"), vec![vec!["echo", "a"]]);
        assert_eq!(
            argv("echo a;\necho b"),
            vec![vec!["echo", "a"], vec!["echo", "b"]]
        );
    }

    proptest! {
        #[test]
        fn quote_round_trips(s in "\\PC*") {
            let line = format!("echo {}", quote(&s));
            let cmds = parse(&line).unwrap();
            prop_assert_eq!(cmds.len(), 1);
            prop_assert_eq!(expand(&cmds[0].words[1], &BTreeMap::new()), s);
        }

        #[test]
        fn parse_never_panics(s in "[ -~\\n]{0,40}") {
            let _ = parse(&s);
        }
    }
}
