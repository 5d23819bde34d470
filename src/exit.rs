//! Process exit codes, in one place. Every command maps its outcome here;
//! `docs/exit-codes.md` and the README list the same table.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success: every verdict passes, every file is valid, a template matched |
//! | 1 | at least one violation (or: `match` found no match) |
//! | 2 | usage or input error: bad YAML, bad flags, no device |
//! | 3 | no violation, but at least one verdict is inconclusive or an error |
//! | 130 | interrupted (Ctrl-C): what finished is written, the rest was not judged |
//!
//! Code 3 is kept apart from 1 so that a nightly job can tell "the app
//! broke a rule" from "we could not tell", and apart from 2 so that a bad
//! scenario is never mistaken for an app that could not be judged.

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// All verdicts pass; all files valid; the command did what was asked.
    Success = 0,
    /// At least one violation; for `match`, no match.
    Violation = 1,
    /// Usage or input error.
    Usage = 2,
    /// No violation, but some verdict is inconclusive or an error.
    Inconclusive = 3,
    /// Ctrl-C stopped a batch before every app was judged (128 + SIGINT,
    /// as shells report it).
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The alias used by `match`: no match found.
    pub const NO_MATCH: Exit = Exit::Violation;
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(Exit::Success.code(), 0);
        assert_eq!(Exit::Violation.code(), 1);
        assert_eq!(Exit::Usage.code(), 2);
        assert_eq!(Exit::Inconclusive.code(), 3);
        assert_eq!(Exit::NO_MATCH.code(), 1);
        assert_eq!(Exit::Interrupted.code(), 130);
    }
}
