//! JUnit XML (`report.xml`), so that CI systems show a batch like a test
//! run: one `<testsuite>` per app (named by its package), one
//! `<testcase>` per category of the matrix (named by the category id, its
//! classname the package). Written with quick-junit, which escapes the
//! XML and drops characters XML cannot hold.
//!
//! | verdict | testcase |
//! |---|---|
//! | violation | `<failure>`: the summary as message, the rule id as type, the findings with their evidence in the text |
//! | error, and every category of an app in error | `<error>` with the reason |
//! | inconclusive | `<skipped>` with the reason: not verified, neither green nor red |
//! | warning | passed, the heuristic warning in `<system-out>` |
//! | pass | passed |
//! | no verdict, app not run | `<skipped>` |
//!
//! Every testcase's `<system-out>` starts with its evidence path and first
//! evidence line (docs/reports.md). `<testsuites>` holds no properties in
//! the JUnit schema, so the run's (id, shard, suite) are on every suite.

use std::fmt::Write as _;
use std::path::PathBuf;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::view::{Lead, clip, columns, end_word, evidence_path, lead, runs_path, status_word};
use super::{AppEntry, AppStatus, REPORT_JUNIT, Report, ReportError};
use crate::category::Category;
use crate::verdict::{CategoryVerdict, Verdict};

/// Findings written out in a failure's text.
const MAX_FINDINGS: usize = 5;
/// Pointers written out per finding.
const MAX_POINTERS: usize = 3;
/// Characters of a message attribute.
const MESSAGE_CHARS: usize = 500;

/// The JUnit XML of a report.
pub fn render(report: &Report) -> Result<String, ReportError> {
    let mut out = quick_junit::Report::new(format!("consentry {}", report.run.id));
    let cols = columns(report);
    for entry in &report.apps {
        out.add_test_suite(suite(report, entry, &cols));
    }
    out.to_string().map_err(|e| ReportError::Format {
        path: PathBuf::from(REPORT_JUNIT),
        message: format!("junit: {e}"),
    })
}

fn suite(report: &Report, entry: &AppEntry, cols: &[Category]) -> TestSuite {
    let r = &entry.result;
    let mut s = TestSuite::new(entry.package());
    let mut props = vec![Property::new("consentry.run-id", &report.run.id)];
    if let Some(shard) = &report.run.shard {
        props.push(Property::new("consentry.shard", shard));
    }
    if !report.run.merged_from.is_empty() {
        props.push(Property::new(
            "consentry.merged-from",
            report.run.merged_from.join(","),
        ));
    }
    props.push(Property::new("consentry.suite", &report.run.suite));
    props.push(Property::new("consentry.status", status_word(r.status)));
    if let Some(t) = &r.app_type {
        props.push(Property::new("consentry.app-type", t));
    }
    if !r.tags.is_empty() {
        props.push(Property::new("consentry.tags", r.tags.join(",")));
    }
    props.push(Property::new(
        "consentry.attempts",
        r.attempts.len().to_string(),
    ));
    props.push(Property::new(
        "consentry.retried",
        if r.retried { "true" } else { "false" },
    ));
    if let Some(a) = r.final_attempt() {
        props.push(Property::new("consentry.device", &a.device));
    }
    if r.status != AppStatus::NotRun {
        props.push(Property::new("consentry.evidence", runs_path(entry)));
    }
    s.add_properties(props);
    let about = app_lines(entry);
    if !about.is_empty() {
        s.set_system_out(about);
    }
    for c in cols {
        s.add_test_case(case(report, entry, *c));
    }
    s
}

/// The app's attempts and problems, for `<system-out>`.
fn app_lines(entry: &AppEntry) -> String {
    let r = &entry.result;
    let mut o = String::new();
    if r.retried {
        let _ = writeln!(
            o,
            "retried: {} attempts; the verdicts rest on the last",
            r.attempts.len()
        );
    }
    for a in &r.attempts {
        let _ = write!(
            o,
            "attempt {} on {}: {}",
            a.number,
            a.device,
            end_word(a.end)
        );
        if let Some(d) = &a.detail {
            let _ = write!(o, " ({d})");
        }
        o.push('\n');
    }
    for p in &r.problems {
        let _ = writeln!(o, "problem: {p}");
    }
    o
}

fn case(report: &Report, entry: &AppEntry, c: Category) -> TestCase {
    let r = &entry.result;
    let (status, out) = match r.status {
        AppStatus::NotRun => {
            let why = if report.run.interrupted {
                "not run: the batch stopped before this app"
            } else {
                "not run"
            };
            let mut st = TestCaseStatus::skipped();
            st.set_message(why).set_type("not-run");
            (st, format!("{why}\n"))
        }
        AppStatus::Error => {
            let why = app_problem(entry);
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message(clip(&format!("app error: {why}"), MESSAGE_CHARS))
                .set_type("app-error")
                .set_description(app_lines(entry));
            (
                st,
                format!("evidence: {}\napp error: {why}\n", runs_path(entry)),
            )
        }
        AppStatus::Judged => match entry.verdicts.as_ref().and_then(|v| v.get(c)) {
            None => {
                let why = "no verdict: no run of the suite judged this category";
                let mut st = TestCaseStatus::skipped();
                st.set_message(why).set_type("no-verdict");
                (st, format!("{why}\n"))
            }
            Some(cv) => judged(entry, cv),
        },
    };
    let mut t = TestCase::new(c.id(), status);
    t.set_classname(entry.package());
    let mut out = out;
    if r.retried {
        let _ = writeln!(
            out,
            "app retried: {} attempts (a device was lost); verdicts from {}",
            r.attempts.len(),
            entry.runs_dir.as_deref().unwrap_or("the last attempt")
        );
    }
    t.set_system_out(out);
    t
}

/// Why an app in error has no verdicts.
fn app_problem(entry: &AppEntry) -> String {
    let r = &entry.result;
    if !r.problems.is_empty() {
        return r.problems.join("; ");
    }
    r.final_attempt()
        .and_then(|a| a.detail.clone())
        .unwrap_or_else(|| "no verdicts".into())
}

/// `evidence: PATH` and the first evidence line.
fn lead_lines(l: &Lead) -> String {
    format!("evidence: {}\n{}\n", l.path, l.line)
}

fn judged(entry: &AppEntry, cv: &CategoryVerdict) -> (TestCaseStatus, String) {
    let l = lead(entry, cv);
    match cv.verdict {
        Verdict::Violation => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(clip(&cv.summary, MESSAGE_CHARS))
                .set_type(cv.findings.first().map_or("violation", |f| f.rule.as_str()))
                .set_description(details(entry, cv, &l));
            (st, format!("violation\n{}", lead_lines(&l)))
        }
        Verdict::Error => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message(clip(&cv.summary, MESSAGE_CHARS))
                .set_type("error")
                .set_description(details(entry, cv, &l));
            (st, format!("error\n{}", lead_lines(&l)))
        }
        Verdict::Inconclusive => {
            let mut st = TestCaseStatus::skipped();
            st.set_message(clip(
                &format!("inconclusive: {}", cv.summary),
                MESSAGE_CHARS,
            ))
            .set_type("inconclusive")
            .set_description(details(entry, cv, &l));
            (st, format!("inconclusive\n{}", lead_lines(&l)))
        }
        Verdict::Warning => (
            TestCaseStatus::success(),
            format!(
                "warning (heuristic, not a violation): {}\n{}{}",
                cv.summary,
                lead_lines(&l),
                details(entry, cv, &l)
            ),
        ),
        Verdict::Pass => (
            TestCaseStatus::success(),
            format!("pass: {}\nevidence: {}\n", cv.summary, l.path),
        ),
    }
}

/// The text of a failure, error or skip: the summary, the first evidence,
/// the findings with their pointers, each pass's say.
fn details(entry: &AppEntry, cv: &CategoryVerdict, l: &Lead) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} ({}): {}",
        cv.category,
        cv.verdict.as_str(),
        cv.summary
    );
    o.push_str(&lead_lines(l));
    for f in cv.findings.iter().take(MAX_FINDINGS) {
        let _ = writeln!(
            o,
            "- {} [{}]: {}",
            f.rule,
            match f.severity {
                crate::detect::Severity::Statutory => "statutory",
                crate::detect::Severity::Heuristic => "heuristic",
            },
            f.rule_text
        );
        if !f.term_zh.is_empty() {
            let _ = writeln!(o, "  {}", f.term_zh);
        }
        for s in &f.sources {
            let _ = writeln!(o, "  source: {s}");
        }
        let _ = writeln!(o, "  seen ({}): {}", f.pass, f.summary);
        for p in f.evidence.iter().take(MAX_POINTERS) {
            let _ = write!(o, "  at {}", evidence_path(entry, p));
            if let Some(q) = &p.quote {
                let _ = write!(o, "  \"{}\"", clip(q, 200));
            }
            o.push('\n');
        }
        if f.evidence.len() > MAX_POINTERS {
            let _ = writeln!(o, "  and {} more", f.evidence.len() - MAX_POINTERS);
        }
    }
    if cv.findings.len() > MAX_FINDINGS {
        let _ = writeln!(o, "and {} more findings", cv.findings.len() - MAX_FINDINGS);
    }
    for p in &cv.passes {
        let _ = writeln!(
            o,
            "pass {}: {} — {}",
            p.pass,
            p.verdict.map_or("nothing to judge", Verdict::as_str),
            p.why
        );
    }
    for n in &cv.not_covered {
        let _ = writeln!(o, "not covered: {n}");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::super::view::fixture;
    use super::*;

    fn attr<'a>(n: roxmltree::Node<'a, '_>, a: &str) -> &'a str {
        n.attribute(a).unwrap_or_default()
    }

    #[test]
    fn suites_cases_failures_errors_and_evidence() {
        let report = fixture::report();
        let xml = render(&report).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        // 4 apps × 8 categories (the app in error has every one).
        assert_eq!(attr(root, "tests"), "32");
        // One violation.
        assert_eq!(attr(root, "failures"), "1");
        // One error verdict, and the app in error's 8.
        assert_eq!(attr(root, "errors"), "9");
        // One inconclusive, 3 + 3 categories without a verdict, 8 not run.
        assert_eq!(attr(root, "skipped"), "15");

        let suites: Vec<_> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        let names: Vec<&str> = suites.iter().map(|s| attr(*s, "name")).collect();
        assert_eq!(
            names,
            [
                "com.example.eagerfeed",
                "com.example.tidynotes",
                "com.example.broken",
                "com.example.later"
            ]
        );
        for s in &suites {
            let cases: Vec<_> = s
                .children()
                .filter(|n| n.has_tag_name("testcase"))
                .collect();
            assert_eq!(cases.len(), 8);
            for c in &cases {
                assert_eq!(attr(*c, "classname"), attr(*s, "name"));
                assert!(Category::from_id(attr(*c, "name")).is_some());
            }
            // The run's properties on every suite.
            let prop = |name: &str| {
                s.descendants()
                    .find(|p| p.has_tag_name("property") && attr(*p, "name") == name)
                    .map(|p| attr(p, "value").to_string())
            };
            assert_eq!(
                prop("consentry.run-id").as_deref(),
                Some("20261202-051500-abc123")
            );
            assert_eq!(prop("consentry.shard").as_deref(), Some("1/2"));
        }
        let eager = suites[0];
        assert_eq!(
            eager
                .descendants()
                .find(|p| p.has_tag_name("property") && attr(*p, "name") == "consentry.retried")
                .map(|p| attr(p, "value")),
            Some("true")
        );
        let case = |name: &str| {
            eager
                .children()
                .find(|c| c.has_tag_name("testcase") && attr(*c, "name") == name)
                .unwrap()
        };
        let text = |n: roxmltree::Node<'_, '_>, tag: &str| {
            n.children()
                .find(|c| c.has_tag_name(tag))
                .and_then(|c| c.text())
                .unwrap_or_default()
                .to_string()
        };
        let path = "apps/com.example.eagerfeed/attempt-2/G-1-consent-refusal/logcat.txt:5";
        let v = case("collect-before-consent");
        let failure = v.children().find(|c| c.has_tag_name("failure")).unwrap();
        assert_eq!(attr(failure, "type"), "cbc.before-consent");
        // Escaped in the file, the same text when read back.
        assert!(attr(failure, "message").contains(fixture::SCRIPT));
        assert!(!xml.contains(fixture::SCRIPT));
        let desc = failure.text().unwrap_or_default();
        assert!(desc.contains(path), "{desc}");
        assert!(
            desc.contains(fixture::IMG),
            "the first evidence line: {desc}"
        );
        let out = text(v, "system-out");
        assert!(out.contains(&format!("evidence: {path}")), "{out}");
        assert!(out.contains("app retried: 2 attempts"), "{out}");

        let w = case("forced-targeted-push");
        assert!(
            w.children()
                .all(|c| !c.has_tag_name("failure") && !c.has_tag_name("skipped"))
        );
        assert!(text(w, "system-out").starts_with("warning (heuristic"));

        let i = case("account-deletion-obstacles");
        let skipped = i.children().find(|c| c.has_tag_name("skipped")).unwrap();
        assert_eq!(
            attr(skipped, "message"),
            "inconclusive: no deletion entry was reached"
        );

        let e = case("frequent-permission-requests");
        assert!(e.children().any(|c| c.has_tag_name("error")));

        // The app in error: every category an error with its problem.
        let broken = suites[2];
        for c in broken.children().filter(|n| n.has_tag_name("testcase")) {
            let err = c.children().find(|x| x.has_tag_name("error")).unwrap();
            assert_eq!(
                attr(err, "message"),
                "app error: INSTALL_FAILED_INVALID_APK"
            );
        }
        // Not run: skipped.
        for c in suites[3].children().filter(|n| n.has_tag_name("testcase")) {
            let sk = c.children().find(|x| x.has_tag_name("skipped")).unwrap();
            assert_eq!(attr(sk, "type"), "not-run");
        }
    }

    #[test]
    fn control_characters_do_not_break_the_xml() {
        let mut report = fixture::report();
        let v = report.apps[0].verdicts.as_mut().unwrap();
        v.categories[0].summary = "a\u{1b}[31m red \u{0} nul ]]> end".into();
        let xml = render(&report).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert!(doc.descendants().any(|n| {
            n.attribute("message")
                .is_some_and(|m| m.contains("]]> end"))
        }));
    }
}
