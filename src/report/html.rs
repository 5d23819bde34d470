//! The HTML report (`report.html`): one self-contained file (inline CSS,
//! thumbnails as data URIs, no script, no external resource; a Content
//! Security Policy forbids any), rendered with minijinja from
//! `templates/report.html` with HTML auto-escaping on, so every text from
//! an app, a run or the report is escaped where it is written.
//!
//! A pure render of a [`Report`] and the [`View`] that `view` gathered
//! from the run directories: this module builds the template's model
//! (the header's counts, the matrix's cells with their verdict classes,
//! each app's section) and renders it. No HTML is written by hand here.

use std::fmt::Write as _;
use std::path::PathBuf;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::view::{
    AppView, Excerpt, FindingView, RunView, Thumbnail, View, columns, end_word, evidence_path,
    href, runs_path, status_word,
};
use super::{AppEntry, AppStatus, Report, ReportError, RunInfo};
use crate::category::Category;
use crate::detect::{Finding, Severity};
use crate::verdict::{CategoryVerdict, Verdict};

/// The template, embedded.
const TEMPLATE: &str = include_str!("templates/report.html");
const TEMPLATE_NAME: &str = "report.html";

/// The CSS class and the word of a verdict (none: not run, no verdict).
fn verdict_class(v: Option<Verdict>) -> (&'static str, &'static str) {
    match v {
        Some(Verdict::Violation) => ("v-violation", "violation"),
        Some(Verdict::Warning) => ("v-warning", "warning"),
        Some(Verdict::Error) => ("v-error", "error"),
        Some(Verdict::Inconclusive) => ("v-inconclusive", "inconclusive"),
        Some(Verdict::Pass) => ("v-pass", "pass"),
        None => ("v-none", ""),
    }
}

#[derive(Serialize)]
struct Page<'a> {
    run: &'a RunInfo,
    counts: Counts,
    columns: Vec<Column>,
    legend: Vec<Legend>,
    rows: Vec<Row<'a>>,
    apps: Vec<AppPage<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct Counts {
    planned: usize,
    apps: usize,
    judged: usize,
    apps_with_violations: usize,
    violations: usize,
    warnings: usize,
    errors: usize,
    error_verdicts: usize,
    inconclusive: usize,
    retried: usize,
    not_run: usize,
}

#[derive(Serialize)]
struct Column {
    number: usize,
    id: &'static str,
    title: &'static str,
}

#[derive(Clone, Copy, Serialize)]
struct Legend {
    class: &'static str,
    word: &'static str,
    meaning: &'static str,
}

#[derive(Serialize)]
struct Row<'a> {
    anchor: String,
    package: &'a str,
    status: &'static str,
    retried: bool,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct Cell {
    class: &'static str,
    word: &'static str,
    href: String,
    title: String,
}

#[derive(Serialize)]
struct AttemptRow<'a> {
    number: u32,
    device: &'a str,
    started: &'a str,
    finished: &'a str,
    end: &'static str,
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct AppPage<'a> {
    anchor: String,
    package: &'a str,
    status: &'static str,
    app_type: Option<&'a str>,
    tags: &'a [String],
    devices: Vec<String>,
    retried: bool,
    attempts: Vec<AttemptRow<'a>>,
    problems: &'a [String],
    runs_path: String,
    runs_href: String,
    worst: &'static str,
    categories: Vec<CategoryPage<'a>>,
    runs: &'a [RunView],
    runs_more: usize,
    notes: &'a [String],
    /// The runs' details start open when the app has something to show.
    open: bool,
}

#[derive(Serialize)]
struct PassRow<'a> {
    pass: &'a str,
    class: &'static str,
    word: &'static str,
    why: &'a str,
}

#[derive(Serialize)]
struct CategoryPage<'a> {
    anchor: String,
    id: &'a str,
    title: &'a str,
    class: &'static str,
    word: &'static str,
    summary: &'a str,
    passes: Vec<PassRow<'a>>,
    not_covered: &'a [String],
    notes: &'a [String],
    findings: Vec<FindingPage<'a>>,
    findings_more: usize,
}

#[derive(Serialize)]
struct FindingPage<'a> {
    rule: &'a str,
    severity: &'static str,
    rule_text: &'a str,
    term_zh: &'a str,
    sources: &'a [String],
    summary: &'a str,
    pass: &'a str,
    pointers: Vec<PointerPage<'a>>,
    pointers_more: usize,
    thumbnails: &'a [Thumbnail],
}

#[derive(Serialize)]
struct PointerPage<'a> {
    path: String,
    href: Option<&'a str>,
    quote: Option<&'a str>,
    step: Option<usize>,
    t_ms: Option<u64>,
    excerpt: Option<&'a Excerpt>,
}

const LEGEND: [Legend; 6] = [
    Legend {
        class: "v-violation",
        word: "violation",
        meaning: "a statutory finding: the rule as written is broken",
    },
    Legend {
        class: "v-warning",
        word: "warning",
        meaning: "heuristic findings only (a threshold the tool chose)",
    },
    Legend {
        class: "v-error",
        word: "error",
        meaning: "a run the rule needed failed on the device or the tool",
    },
    Legend {
        class: "v-inconclusive",
        word: "inconclusive",
        meaning: "the runs did not reach what the rule needs",
    },
    Legend {
        class: "v-pass",
        word: "pass",
        meaning: "the rule could look and found nothing",
    },
    Legend {
        class: "v-none",
        word: "blank",
        meaning: "not run, or no verdict for this category",
    },
];

fn anchor(i: usize) -> String {
    format!("a{i}")
}

fn category_anchor(i: usize, j: usize, id: &str) -> String {
    match Category::from_id(id) {
        Some(c) => format!("a{i}-{}", c.id()),
        None => format!("a{i}-x{j}"),
    }
}

fn row<'a>(i: usize, e: &'a AppEntry, cols: &[Category]) -> Row<'a> {
    let cells = cols
        .iter()
        .map(|c| {
            let v = e.verdict(*c);
            let (class, word) = verdict_class(v);
            let href = match (e.result.status, v) {
                (AppStatus::Judged, Some(_)) => format!("#{}", category_anchor(i, 0, c.id())),
                _ => format!("#{}", anchor(i)),
            };
            let title = format!(
                "{} — {}: {}",
                e.package(),
                c.id(),
                if word.is_empty() { "no verdict" } else { word }
            );
            Cell {
                class,
                word,
                href,
                title,
            }
        })
        .collect();
    Row {
        anchor: anchor(i),
        package: e.package(),
        status: status_word(e.result.status),
        retried: e.result.retried,
        cells,
    }
}

fn finding_page<'a>(
    e: &'a AppEntry,
    f: &'a Finding,
    v: Option<&'a FindingView>,
) -> FindingPage<'a> {
    let shown = v.map_or_else(
        || f.evidence.len().min(super::view::MAX_POINTERS),
        |v| v.pointers.len(),
    );
    let pointers = f
        .evidence
        .iter()
        .take(shown)
        .enumerate()
        .map(|(k, p)| {
            let pv = v.and_then(|v| v.pointers.get(k));
            PointerPage {
                path: pv.map_or_else(|| evidence_path(e, p), |pv| pv.path.clone()),
                href: pv.and_then(|pv| pv.href.as_deref()),
                quote: p.quote.as_deref(),
                step: p.step,
                t_ms: p.t_ms,
                excerpt: pv.and_then(|pv| pv.excerpt.as_ref()),
            }
        })
        .collect();
    FindingPage {
        rule: &f.rule,
        severity: match f.severity {
            Severity::Statutory => "statutory",
            Severity::Heuristic => "heuristic",
        },
        rule_text: &f.rule_text,
        term_zh: &f.term_zh,
        sources: &f.sources,
        summary: &f.summary,
        pass: &f.pass,
        pointers,
        pointers_more: f.evidence.len().saturating_sub(shown),
        thumbnails: v.map_or(&[], |v| v.thumbnails.as_slice()),
    }
}

fn category_page<'a>(
    i: usize,
    j: usize,
    e: &'a AppEntry,
    cv: &'a CategoryVerdict,
    view: Option<&'a AppView>,
) -> CategoryPage<'a> {
    let (class, word) = verdict_class(Some(cv.verdict));
    let views = view.and_then(|v| v.findings.get(&cv.category));
    let shown = views.map_or_else(
        || cv.findings.len().min(super::view::MAX_FINDINGS),
        Vec::len,
    );
    CategoryPage {
        anchor: category_anchor(i, j, &cv.category),
        id: &cv.category,
        title: &cv.title,
        class,
        word,
        summary: &cv.summary,
        passes: cv
            .passes
            .iter()
            .map(|p| {
                let (class, word) = verdict_class(p.verdict);
                PassRow {
                    pass: &p.pass,
                    class,
                    word: if word.is_empty() {
                        "nothing to judge"
                    } else {
                        word
                    },
                    why: &p.why,
                }
            })
            .collect(),
        not_covered: &cv.not_covered,
        notes: &cv.notes,
        findings: cv
            .findings
            .iter()
            .take(shown)
            .enumerate()
            .map(|(k, f)| finding_page(e, f, views.and_then(|v| v.get(k))))
            .collect(),
        findings_more: cv.findings.len().saturating_sub(shown),
    }
}

fn app_page<'a>(
    i: usize,
    e: &'a AppEntry,
    report: &'a Report,
    view: Option<&'a AppView>,
) -> AppPage<'a> {
    let r = &e.result;
    let mut devices: Vec<String> = Vec::new();
    for a in &r.attempts {
        let mut d = a.device.clone();
        if let Some(dev) = report.run.devices.iter().find(|d| d.serial == a.device) {
            if let Some(m) = &dev.model {
                let _ = write!(d, " ({m}");
                if let Some(s) = dev.sdk {
                    let _ = write!(d, ", SDK {s}");
                }
                d.push(')');
            } else if let Some(s) = dev.sdk {
                let _ = write!(d, " (SDK {s})");
            }
        }
        if !devices.contains(&d) {
            devices.push(d);
        }
    }
    let worst = match r.status {
        AppStatus::Judged => {
            verdict_class(
                e.verdicts
                    .as_ref()
                    .and_then(crate::verdict::AppVerdicts::worst),
            )
            .0
        }
        AppStatus::Error => "v-error",
        AppStatus::NotRun => "v-none",
    };
    let categories: Vec<CategoryPage<'a>> = match (&e.verdicts, r.status) {
        (Some(v), AppStatus::Judged) => v
            .categories
            .iter()
            .enumerate()
            .map(|(j, cv)| category_page(i, j, e, cv, view))
            .collect(),
        _ => Vec::new(),
    };
    let open = categories
        .iter()
        .any(|c| matches!(c.class, "v-violation" | "v-warning" | "v-error"));
    AppPage {
        anchor: anchor(i),
        package: e.package(),
        status: status_word(r.status),
        app_type: r.app_type.as_deref(),
        tags: &r.tags,
        devices,
        retried: r.retried,
        attempts: r
            .attempts
            .iter()
            .map(|a| AttemptRow {
                number: a.number,
                device: &a.device,
                started: &a.started,
                finished: &a.finished,
                end: end_word(a.end),
                detail: a.detail.as_deref(),
            })
            .collect(),
        problems: &r.problems,
        runs_path: runs_path(e),
        runs_href: format!("{}/", href(&runs_path(e))),
        worst,
        categories,
        runs: view.map_or(&[], |v| v.runs.as_slice()),
        runs_more: view.map_or(0, |v| v.runs_more),
        notes: view.map_or(&[], |v| v.notes.as_slice()),
        open,
    }
}

fn page<'a>(report: &'a Report, view: &'a View) -> Page<'a> {
    let s = &report.summary;
    let count = |k: &str| s.verdicts.get(k).copied().unwrap_or(0);
    let cols = columns(report);
    Page {
        run: &report.run,
        counts: Counts {
            planned: s.planned,
            apps: report.apps.len(),
            judged: s.judged,
            apps_with_violations: s.apps_with_violations,
            violations: count("violation"),
            warnings: count("warning"),
            errors: s.errors,
            error_verdicts: count("error"),
            inconclusive: count("inconclusive"),
            retried: s.retried,
            not_run: s.not_run,
        },
        columns: cols
            .iter()
            .enumerate()
            .map(|(n, c)| Column {
                number: n + 1,
                id: c.id(),
                title: c.title(),
            })
            .collect(),
        legend: LEGEND.to_vec(),
        rows: report
            .apps
            .iter()
            .enumerate()
            .map(|(i, e)| row(i, e, &cols))
            .collect(),
        apps: report
            .apps
            .iter()
            .enumerate()
            .map(|(i, e)| app_page(i, e, report, view.apps.get(i)))
            .collect(),
        notes: &view.notes,
    }
}

/// Milliseconds as seconds, for the timelines: `12.3 s`.
fn secs(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
}

/// A thumbnail's data URI, unescaped: only when it is exactly
/// `data:image/png;base64,` and base64 characters, which need no escaping
/// (escaping each `/` would grow the page for nothing).
fn png_data(s: &str) -> Value {
    match s.strip_prefix("data:image/png;base64,") {
        Some(b64)
            if b64
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) =>
        {
            Value::from_safe_string(s.to_string())
        }
        _ => Value::from(""),
    }
}

/// The page model as a template value (minijinja is built without its
/// `serde` feature, so the model goes through `serde_json`).
fn to_value(v: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::from(()),
        J::Bool(b) => Value::from(b),
        J::Number(n) => n
            .as_u64()
            .map(Value::from)
            .or_else(|| n.as_i64().map(Value::from))
            .unwrap_or_else(|| Value::from(n.as_f64().unwrap_or(0.0))),
        J::String(s) => Value::from(s),
        J::Array(a) => a.into_iter().map(to_value).collect(),
        J::Object(m) => Value::from_pairs(m.into_iter().map(|(k, v)| (k, to_value(v)))),
    }
}

fn template_error(e: &minijinja::Error) -> ReportError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    ReportError::Format {
        path: PathBuf::from(format!("src/report/templates/{TEMPLATE_NAME}")),
        message,
    }
}

/// The HTML report of a report and its evidence.
pub fn render(report: &Report, view: &View) -> Result<String, ReportError> {
    let mut env = Environment::new();
    // Said explicitly, whatever the template is named: HTML escaping.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| template_error(&e))?,
    );
    env.add_filter("secs", secs);
    env.add_filter(
        "plural",
        |word: String, n: u64| {
            if n == 1 { word } else { format!("{word}s") }
        },
    );
    env.add_filter("png_data", |s: String| png_data(&s));
    env.add_template(TEMPLATE_NAME, TEMPLATE)
        .map_err(|e| template_error(&e))?;
    let tmpl = env
        .get_template(TEMPLATE_NAME)
        .map_err(|e| template_error(&e))?;
    let model = serde_json::to_value(page(report, view)).map_err(|e| ReportError::Format {
        path: PathBuf::from(super::REPORT_HTML),
        message: format!("html: the page model: {e}"),
    })?;
    tmpl.render(to_value(model)).map_err(|e| template_error(&e))
}

#[cfg(test)]
mod tests {
    use super::super::view::fixture;
    use super::*;

    fn html() -> String {
        render(&fixture::report(), &View::default()).unwrap()
    }

    #[test]
    fn structure_header_matrix_sections() {
        let h = html();
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(h.contains("<title>consentry report 20261202-051500-abc123</title>"));
        assert_eq!(h.matches("<tr class=\"app-row\"").count(), 4);
        assert_eq!(h.matches("<td class=\"cell ").count(), 32);
        assert_eq!(h.matches("<td class=\"cell v-violation\"").count(), 1);
        assert_eq!(h.matches("<td class=\"cell v-error\"").count(), 9);
        assert_eq!(h.matches("<td class=\"cell v-none\"").count(), 14);
        // Each cell links to its app's section; a judged cell to its category.
        assert!(h.contains("href=\"#a0-collect-before-consent\""));
        assert!(
            h.contains("<article class=\"category v-violation\" id=\"a0-collect-before-consent\">")
        );
        assert!(h.contains("<section class=\"app\" id=\"a3\">"));
        assert!(h.contains("class=\"legend\""));
        // Retried and shard are said.
        assert!(h.contains("class=\"badge retried\""));
        assert!(h.contains("<dt>shard</dt><dd>1&#x2f;2</dd>"));
        // No script, no external resource.
        assert!(!h.contains("<script"));
        assert!(!h.contains("src=\"http") && !h.contains("href=\"http"));
        assert!(h.contains("Content-Security-Policy"));
    }

    #[test]
    fn hostile_text_is_escaped() {
        let h = html();
        assert!(!h.contains(fixture::SCRIPT));
        assert!(!h.contains("<img src=x"));
        assert!(h.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        assert!(h.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    }

    #[test]
    fn hundreds_of_apps_render() {
        let base = fixture::report();
        let apps: Vec<AppEntry> = (0..400)
            .map(|i| {
                let mut a = base.apps[i % base.apps.len()].clone();
                a.result.package = format!("com.example.app{i}");
                a
            })
            .collect();
        let report = Report::new(base.run.clone(), apps);
        let h = render(&report, &View::default()).unwrap();
        assert_eq!(h.matches("<tr class=\"app-row\"").count(), 400);
        assert_eq!(h.matches("<section class=\"app").count(), 400);
        // About 3 KiB an app without evidence.
        assert!(h.len() < 4 << 20, "{} bytes", h.len());
    }

    #[test]
    fn only_base64_data_uris_are_left_unescaped() {
        assert_eq!(
            png_data("data:image/png;base64,iVBORw0K+/=").to_string(),
            "data:image/png;base64,iVBORw0K+/="
        );
        assert_eq!(
            png_data("data:image/png;base64,\"><script>").to_string(),
            ""
        );
        assert_eq!(png_data("javascript:alert(1)").to_string(), "");
    }

    #[test]
    fn a_view_adds_evidence() {
        let report = fixture::report();
        let mut view = View::default();
        let mut app = AppView::default();
        app.findings.insert(
            "collect-before-consent".into(),
            vec![FindingView {
                pointers: vec![super::super::view::PointerView {
                    path: "apps/x/attempt-2/G-1/logcat.txt:5".into(),
                    href: Some("apps/x/attempt-2/G-1/logcat.txt".into()),
                    excerpt: Some(Excerpt {
                        lines: vec![super::super::view::ExcerptLine {
                            number: 5,
                            text: format!("E Tag: {}", fixture::SCRIPT),
                            hit: true,
                        }],
                    }),
                }],
                thumbnails: vec![Thumbnail {
                    src: "data:image/png;base64,AAAA".into(),
                    href: "apps/x/attempt-2/G-1/screens/001.png".into(),
                    path: "apps/x/attempt-2/G-1/screens/001.png".into(),
                    width: 240,
                    height: 427,
                }],
            }],
        );
        app.runs.push(RunView {
            name: "G-1-consent-refusal".into(),
            loaded: true,
            requests: vec![super::super::view::PermissionRequest {
                t_ms: 12_345,
                step: Some(3),
                permission: "LOCATION".into(),
                answer: "allow".into(),
                by: "policy".into(),
                user_triggered: false,
                screenshot: None,
            }],
            ..RunView::default()
        });
        view.apps.push(app);
        let h = render(&report, &view).unwrap();
        assert!(h.contains("<img src=\"data:image/png;base64,AAAA\""));
        assert!(
            h.contains("href=\"apps&#x2f;x&#x2f;attempt-2&#x2f;G-1&#x2f;screens&#x2f;001.png\"")
        );
        assert!(h.contains("class=\"ln hit\""));
        assert!(h.contains("E Tag: &lt;script&gt;"));
        assert!(h.contains("12.3 s"));
        assert!(h.contains("the app itself"));
    }
}
