//! "Did you mean" hints for near-miss command, key and value names.

/// The candidate closest to `word`, if it is close enough to be a typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        let cand_lower = cand.to_ascii_lowercase();
        let dist = if cand_lower == lower {
            0
        } else {
            strsim::damerau_levenshtein(&lower, &cand_lower)
        };
        let limit = (cand.chars().count().max(word.chars().count()) / 3).max(1);
        if dist <= limit && best.is_none_or(|(d, _)| dist < d) {
            best = Some((dist, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean `x`?`, when there is a close candidate.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_not_strangers() {
        let cmds = ["tapOn", "inputText", "assertVisible", "back"];
        assert_eq!(closest("tapOnn", cmds), Some("tapOn"));
        assert_eq!(closest("tapon", cmds), Some("tapOn"));
        assert_eq!(closest("assertVisble", cmds), Some("assertVisible"));
        assert_eq!(closest("txet", ["text", "id", "index"]), Some("text"));
        assert_eq!(closest("frobnicate", cmds), None);
    }
}
