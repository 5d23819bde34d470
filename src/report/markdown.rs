//! The Markdown summary (`report.md`), short enough for a chat message or
//! a pull-request comment: a header line with the counts, a compact
//! matrix (apps × categories, one symbol a cell), the violations as
//! `package — category: summary`, the apps in error and the retried ones.
//!
//! App text (summaries, problems, package-derived strings) is escaped:
//! every Markdown-active character gets a backslash, line breaks become
//! spaces, and `@` cannot start a mention. The length is bounded: at most
//! [`MAX_ROWS`] matrix rows, [`MAX_VIOLATIONS`] violations and
//! [`MAX_LISTED`] apps per list, each text cut to [`TEXT_CHARS`].

use std::fmt::Write as _;

use super::view::{clip, columns};
use super::{AppEntry, AppStatus, Report};
use crate::verdict::Verdict;

/// Matrix rows; beyond, the gravest apps are kept.
pub const MAX_ROWS: usize = 50;
/// Violations listed.
pub const MAX_VIOLATIONS: usize = 50;
/// Apps listed as retried, in error or not run.
pub const MAX_LISTED: usize = 20;
/// Characters of a summary or problem.
pub const TEXT_CHARS: usize = 200;

/// The symbol of a verdict in the matrix.
fn symbol(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Violation) => "❌",
        Some(Verdict::Warning) => "⚠️",
        Some(Verdict::Error) => "⛔",
        Some(Verdict::Inconclusive) => "❔",
        Some(Verdict::Pass) => "✅",
        None => " ",
    }
}

/// App text made inert: Markdown-active characters escaped, control
/// characters and line breaks turned into spaces, mentions broken.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '!' | '&' | '$'
            | '{' | '}' | '(' | ')' => {
                o.push('\\');
                o.push(c);
            }
            // A word joiner keeps `@name` from notifying anyone.
            '@' => o.push_str("@\u{2060}"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// A package as code when it is a plain name, else escaped text.
fn package(p: &str) -> String {
    if !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        format!("`{p}`")
    } else {
        escape(p)
    }
}

fn text(s: &str) -> String {
    escape(&clip(s, TEXT_CHARS))
}

/// How grave an app is, to choose the matrix rows when there are too many.
fn gravity(entry: &AppEntry) -> u8 {
    match entry.result.status {
        AppStatus::Error => 3,
        AppStatus::NotRun => 0,
        AppStatus::Judged => entry
            .verdicts
            .as_ref()
            .and_then(crate::verdict::AppVerdicts::worst)
            .map_or(0, |v| match v {
                Verdict::Violation => 5,
                Verdict::Warning => 4,
                Verdict::Error => 3,
                Verdict::Inconclusive => 2,
                Verdict::Pass => 1,
            }),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The Markdown summary of a report.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let run = &report.run;
    let mut o = String::new();

    // The header line.
    let violations = s.verdicts.get("violation").copied().unwrap_or(0);
    let _ = write!(
        o,
        "**consentry** run `{}`",
        run.id.replace(['`', '\n', '\r'], "")
    );
    if let Some(shard) = &run.shard {
        let _ = write!(o, " (shard {})", escape(shard));
    } else if !run.merged_from.is_empty() {
        let _ = write!(
            o,
            " (merged from {})",
            plural(run.merged_from.len(), "run", "runs")
        );
    }
    let _ = write!(
        o,
        ": {}, {} with violations ({}), {}, {}, {}",
        plural(report.apps.len(), "app", "apps"),
        s.apps_with_violations,
        plural(violations, "violation", "violations"),
        plural(s.errors, "error", "errors"),
        format_args!("{} retried", s.retried),
        format_args!("{} not run", s.not_run),
    );
    if run.interrupted {
        o.push_str(", interrupted");
    }
    if !run.missing_shards.is_empty() {
        let _ = write!(o, ", shards missing: {}", run.missing_shards.join(", "));
    }
    o.push_str("\n\n");

    // The matrix.
    let cols = columns(report);
    if !report.apps.is_empty() {
        let mut rows: Vec<&AppEntry> = report.apps.iter().collect();
        let hidden = rows.len().saturating_sub(MAX_ROWS);
        if hidden > 0 {
            // Keep the gravest apps, in the list's order.
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by_key(|i| std::cmp::Reverse(gravity(rows[*i])));
            let mut keep: Vec<usize> = order.into_iter().take(MAX_ROWS).collect();
            keep.sort_unstable();
            rows = keep.into_iter().map(|i| &report.apps[i]).collect();
        }
        o.push_str("| app |");
        for i in 1..=cols.len() {
            let _ = write!(o, " {i} |");
        }
        o.push_str("\n|---|");
        for _ in &cols {
            o.push_str(":-:|");
        }
        o.push('\n');
        for e in &rows {
            let _ = write!(o, "| {}", package(e.package()));
            if e.result.retried {
                o.push_str(" (retried)");
            }
            match e.result.status {
                AppStatus::Error => o.push_str(" (error)"),
                AppStatus::NotRun => o.push_str(" (not run)"),
                AppStatus::Judged => {}
            }
            o.push_str(" |");
            for c in &cols {
                let _ = write!(o, " {} |", symbol(e.verdict(*c)));
            }
            o.push('\n');
        }
        if hidden > 0 {
            let _ = writeln!(
                o,
                "\n{} not shown (the gravest {MAX_ROWS} are); see report.html",
                plural(hidden, "more app", "more apps")
            );
        }
        o.push('\n');
        let key: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} {}", i + 1, c.id()))
            .collect();
        let _ = writeln!(o, "Columns: {}.", key.join(", "));
        o.push_str(
            "❌ violation, ⚠️ warning (heuristic), ⛔ error, ❔ inconclusive, ✅ pass, blank: no verdict.\n\n",
        );
    }

    // The violations.
    let all: Vec<(&AppEntry, &str, &str)> = report
        .apps
        .iter()
        .filter(|e| e.result.status == AppStatus::Judged)
        .filter_map(|e| e.verdicts.as_ref().map(|v| (e, v)))
        .flat_map(|(e, v)| {
            v.categories
                .iter()
                .filter(|c| c.verdict == Verdict::Violation)
                .map(move |c| (e, c.category.as_str(), c.summary.as_str()))
        })
        .collect();
    if !all.is_empty() {
        o.push_str("**Violations**\n\n");
        for (e, c, summary) in all.iter().take(MAX_VIOLATIONS) {
            let _ = writeln!(
                o,
                "- {} — {}: {}",
                package(e.package()),
                escape(c),
                text(summary)
            );
        }
        if all.len() > MAX_VIOLATIONS {
            let _ = writeln!(o, "- and {} more", all.len() - MAX_VIOLATIONS);
        }
        o.push('\n');
    }

    // Apps in error, retried, not run.
    let errors: Vec<String> = report
        .apps
        .iter()
        .filter(|e| e.result.status == AppStatus::Error)
        .map(|e| {
            let why = if e.result.problems.is_empty() {
                e.result
                    .final_attempt()
                    .and_then(|a| a.detail.clone())
                    .unwrap_or_else(|| "no verdicts".into())
            } else {
                e.result.problems.join("; ")
            };
            format!("{}: {}", package(e.package()), text(&why))
        })
        .collect();
    list(&mut o, "Errors", &errors);
    let retried: Vec<String> = report
        .apps
        .iter()
        .filter(|e| e.result.retried)
        .map(|e| {
            format!(
                "{} ({})",
                package(e.package()),
                plural(e.result.attempts.len(), "attempt", "attempts")
            )
        })
        .collect();
    list(&mut o, "Retried", &retried);
    let not_run: Vec<String> = report
        .apps
        .iter()
        .filter(|e| e.result.status == AppStatus::NotRun)
        .map(|e| package(e.package()))
        .collect();
    list(&mut o, "Not run", &not_run);
    o
}

/// A bold title and up to [`MAX_LISTED`] items on one line each.
fn list(o: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(o, "**{title}**\n");
    for i in items.iter().take(MAX_LISTED) {
        let _ = writeln!(o, "- {i}");
    }
    if items.len() > MAX_LISTED {
        let _ = writeln!(o, "- and {} more", items.len() - MAX_LISTED);
    }
    o.push('\n');
}

#[cfg(test)]
mod tests {
    use super::super::view::fixture;
    use super::*;

    #[test]
    fn header_matrix_and_lists() {
        let md = render(&fixture::report());
        let first = md.lines().next().unwrap();
        assert_eq!(
            first,
            "**consentry** run `20261202-051500-abc123` (shard 1/2): 4 apps, 1 with violations \
             (1 violation), 1 error, 1 retried, 1 not run, interrupted"
        );
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0],
            "| `com.example.eagerfeed` (retried) | ❌ |   |   | ⚠️ | ✅ | ⛔ |   | ❔ |"
        );
        assert!(rows[2].contains("(error)") && rows[2].matches('⛔').count() == 8);
        assert!(rows[3].contains("(not run)"));
        assert!(md.contains("Columns: 1 collect-before-consent, 2 collect-beyond-scope,"));
        assert!(md.contains(
            "- `com.example.eagerfeed` — collect-before-consent: before consent the app read the IMEI \\<script\\>alert\\(1\\)\\</script\\>"
        ), "{md}");
        assert!(
            md.contains("**Errors**\n\n- `com.example.broken`: INSTALL\\_FAILED\\_INVALID\\_APK")
        );
        assert!(md.contains("**Retried**\n\n- `com.example.eagerfeed` (2 attempts)"));
        assert!(md.contains("**Not run**\n\n- `com.example.later`"));
    }

    #[test]
    fn app_text_is_inert() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("[x](javascript:1)"), "\\[x\\]\\(javascript:1\\)");
        assert_eq!(escape("**b** _i_ `c`"), "\\*\\*b\\*\\* \\_i\\_ \\`c\\`");
        assert_eq!(escape("line\nbreak\r"), "line break ");
        assert_eq!(escape("@team"), "@\u{2060}team");
        assert_eq!(
            escape("<img src=x onerror=alert(1)>"),
            "\\<img src=x onerror=alert\\(1\\)\\>"
        );
        // A package that is not a plain name is not put in a code span.
        assert_eq!(package("com.x|y`z"), "com.x\\|y\\`z");
        let mut r = fixture::report();
        r.apps[0].verdicts.as_mut().unwrap().categories[0].summary = "x | y\n| z |".into();
        let md = render(&r);
        assert!(
            md.contains("collect-before-consent: x \\| y \\| z \\|"),
            "{md}"
        );
        // No line of the table has more cells than the header.
        let header = md.lines().find(|l| l.starts_with("| app |")).unwrap();
        let cells = |l: &str| l.replace("\\|", "").matches('|').count();
        for l in md.lines().filter(|l| l.starts_with("| `")) {
            assert_eq!(cells(l), cells(header), "{l}");
        }
    }

    #[test]
    fn length_is_bounded() {
        let base = fixture::report();
        let template = base.apps[0].clone();
        let mut apps = Vec::new();
        for i in 0..300 {
            let mut a = template.clone();
            a.result.package = format!("com.example.app{i}");
            if i % 3 != 0 {
                a.verdicts = base.apps[1].verdicts.clone();
                a.result.retried = false;
            }
            apps.push(a);
        }
        let r = Report::new(base.run.clone(), apps);
        let md = render(&r);
        assert!(md.contains("- and 50 more\n"), "100 violations, 50 listed");
        assert!(md.contains("250 more apps not shown"));
        // The 50 rows kept are the gravest: all with a violation.
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(rows.len(), MAX_ROWS);
        assert!(rows.iter().all(|l| l.contains('❌')));
        assert!(md.len() < 40_000, "{} bytes", md.len());
    }
}
