//! Quoting for the device shell, so that nothing from a scenario or a
//! device reaches `/system/bin/sh` unquoted, and the plan for typing text
//! with `input text`.
//!
//! `input text` has three limits this module works around or reports:
//! - the shell splits arguments, so the text is single-quoted;
//! - Android replaces `%s` with a space, so spaces are sent as `%s` and a
//!   literal `%` followed by `s` is split over two commands;
//! - it types only ASCII through the key map: non-ASCII text (CJK, emoji)
//!   is refused with an error naming the first such character. Typing it
//!   needs an IME that accepts broadcasts, which stock images lack; the
//!   engine reports such steps as unsupported rather than typing garbage.
//!
//! Newlines and tabs become `input keyevent 66` / `61`.

/// Quotes one argument for `sh`: bare when it is made only of safe
/// characters, else in single quotes (`'` becomes `'\''`).
pub fn sh_quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'-' | b'.' | b'/' | b':' | b'=' | b',' | b'@' | b'+'
                )
        });
    if safe {
        return arg.to_string();
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('\'');
    for c in arg.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Joins arguments into one shell command line, each quoted.
pub fn sh_join<S: AsRef<str>>(args: &[S]) -> String {
    args.iter()
        .map(|a| sh_quote(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why text cannot be typed with `input text`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputTextError {
    #[error(
        "`input text` cannot type the non-ASCII character {ch:?} (U+{code:04X}) at position {position}; typing it needs an IME that accepts broadcasts"
    )]
    NonAscii {
        ch: char,
        code: u32,
        position: usize,
    },
    #[error("`input text` cannot type the control character U+{code:04X} at position {position}")]
    Control { code: u32, position: usize },
}

/// One device command of a typing plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputStep {
    /// The argument for `input text` (already `%s`-encoded, not yet quoted).
    Text(String),
    /// A key code for `input keyevent`.
    Key(u16),
}

impl InputStep {
    /// The shell command line for this step.
    pub fn command(&self) -> String {
        match self {
            InputStep::Text(t) => format!("input text {}", sh_quote(t)),
            InputStep::Key(k) => format!("input keyevent {k}"),
        }
    }
}

/// Plans how to type `text` exactly as written.
pub fn input_text_plan(text: &str) -> Result<Vec<InputStep>, InputTextError> {
    let mut steps = Vec::new();
    let mut chunk = String::new();
    let flush = |chunk: &mut String, steps: &mut Vec<InputStep>| {
        if !chunk.is_empty() {
            steps.push(InputStep::Text(std::mem::take(chunk)));
        }
    };
    for (position, ch) in text.chars().enumerate() {
        match ch {
            '\n' | '\r' => {
                flush(&mut chunk, &mut steps);
                if ch == '\n' {
                    steps.push(InputStep::Key(66));
                }
            }
            '\t' => {
                flush(&mut chunk, &mut steps);
                steps.push(InputStep::Key(61));
            }
            ' ' => chunk.push_str("%s"),
            's' if chunk.ends_with('%') && !chunk.ends_with("%s") => {
                // A literal "%s" would be read as a space: split it.
                flush(&mut chunk, &mut steps);
                chunk.push('s');
            }
            c if c.is_ascii_control() => {
                return Err(InputTextError::Control {
                    code: u32::from(c),
                    position,
                });
            }
            c if !c.is_ascii() => {
                return Err(InputTextError::NonAscii {
                    ch: c,
                    code: u32::from(c),
                    position,
                });
            }
            c => chunk.push(c),
        }
    }
    flush(&mut chunk, &mut steps);
    Ok(steps)
}

/// What Android's `input text` does to its argument (`%s` → space); used
/// by the simulator and by tests of the plan.
pub fn decode_input_text(arg: &str) -> String {
    arg.replace("%s", " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Types a plan the way the device would: unquote by a POSIX shell
    /// split (single quotes only, as `sh_quote` produces), then decode.
    fn typed(steps: &[InputStep]) -> String {
        let mut out = String::new();
        for s in steps {
            match s {
                InputStep::Text(t) => out.push_str(&decode_input_text(t)),
                InputStep::Key(66) => out.push('\n'),
                InputStep::Key(61) => out.push('\t'),
                InputStep::Key(k) => panic!("unexpected key {k}"),
            }
        }
        out
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("com.x/.Main"), "com.x/.Main");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("$(reboot)"), "'$(reboot)'");
        assert_eq!(
            sh_join(&["pm", "grant", "com.x", "android.permission.CAMERA"]),
            "pm grant com.x android.permission.CAMERA"
        );
    }

    #[test]
    fn plans_round_trip() {
        for text in [
            "hello world",
            "100%sure",
            "%s",
            "% s",
            "50% off",
            "a\nb\tc",
            "'; reboot; echo '",
            "`id` $(id) \"q\" \\",
        ] {
            let plan = input_text_plan(text).expect("ascii");
            assert_eq!(typed(&plan), text, "{plan:?}");
        }
        assert_eq!(
            input_text_plan("a b").expect("plan")[0].command(),
            "input text 'a%sb'"
        );
    }

    #[test]
    fn non_ascii_is_refused_clearly() {
        let err = input_text_plan("ok 同意").unwrap_err();
        assert_eq!(
            err,
            InputTextError::NonAscii {
                ch: '同',
                code: 0x540C,
                position: 3
            }
        );
        assert!(err.to_string().contains("U+540C"));
        assert!(matches!(
            input_text_plan("a\u{7}b"),
            Err(InputTextError::Control {
                code: 7,
                position: 1
            })
        ));
    }
}
