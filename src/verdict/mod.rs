//! Verdicts: the detectors' outcomes turned into one verdict per app and
//! category, with the findings and pointers that support it, and the
//! versioned verdict JSON (`verdicts.json`, schema
//! `schemas/verdict.schema.json`). Pure.
//!
//! A pass (G or N) gives `violation` with a statutory finding, `warning`
//! with heuristic findings only, `error` when a run it needed failed on the
//! device or the tool, `inconclusive` when the runs did not get where the
//! rule needs or a part of it depends on unknown context, `pass` when the
//! rule could look and found nothing, and nothing at all when what the
//! rule judges never happened in it (nothing was refused, say). Across
//! passes the gravest wins: violation, warning, error, inconclusive, pass;
//! a category no pass could say anything about is inconclusive. An error
//! or an inconclusive is never turned into a pass.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::detect::{Finding, Outcome, Reach, Severity};

/// The format version of the verdict JSON.
pub const VERSION: u32 = 1;

/// The verdict of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Violation,
    Warning,
    Pass,
    Inconclusive,
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Violation => "violation",
            Verdict::Warning => "warning",
            Verdict::Pass => "pass",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Error => "error",
        }
    }

    /// How grave: the gravest pass decides a category.
    fn weight(self) -> u8 {
        match self {
            Verdict::Violation => 5,
            Verdict::Warning => 4,
            Verdict::Error => 3,
            Verdict::Inconclusive => 2,
            Verdict::Pass => 1,
        }
    }
}

/// One pass's say on a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PassVerdict {
    /// `granted` (pass G), `denied` (pass N) or `default`.
    pub pass: String,
    /// `None` when what the rule judges never happened in this pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Why, in a sentence.
    pub why: String,
}

/// The verdict of one app and category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CategoryVerdict {
    /// The category id (docs/categories.md).
    pub category: String,
    pub title: String,
    pub verdict: Verdict,
    /// The verdict in a line: the finding and the rule it breaks, what was
    /// not reached, or what a pass does not cover.
    pub summary: String,
    pub findings: Vec<Finding>,
    pub passes: Vec<PassVerdict>,
    /// What a pass cannot speak for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_covered: Vec<String>,
    /// What was seen (the switch found, the entry's depth, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A run the verdicts rest on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RunRef {
    /// The run directory's name.
    pub run: String,
    pub scenario: String,
    pub pass: String,
    /// `passed`, `failed` or `error`.
    pub status: String,
}

/// Every verdict of one app (`verdicts.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppVerdicts {
    /// [`VERSION`].
    pub version: u32,
    /// `consentry X.Y.Z`.
    pub tool: String,
    pub package: String,
    /// The app type's id (docs/app-types.md); absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    pub runs: Vec<RunRef>,
    pub categories: Vec<CategoryVerdict>,
}

impl AppVerdicts {
    pub fn get(&self, c: Category) -> Option<&CategoryVerdict> {
        self.categories.iter().find(|v| v.category == c.id())
    }

    /// The exit code's verdicts: any violation, else any inconclusive or
    /// error, else (warnings count as violations with `fail_on_warning`).
    pub fn worst(&self) -> Option<Verdict> {
        self.categories
            .iter()
            .map(|c| c.verdict)
            .max_by_key(|v| v.weight())
    }
}

fn of_pass(o: &Outcome) -> (Option<Verdict>, String) {
    let first = |sev: Severity| o.findings.iter().find(|f| f.severity == sev);
    if let Some(f) = first(Severity::Statutory) {
        return (Some(Verdict::Violation), f.summary.clone());
    }
    if let Some(f) = first(Severity::Heuristic) {
        return (Some(Verdict::Warning), f.summary.clone());
    }
    match &o.reach {
        Reach::Failed(why) => (Some(Verdict::Error), why.clone()),
        Reach::Unreached(why) => (Some(Verdict::Inconclusive), why.clone()),
        Reach::NotApplicable(why) => (None, why.clone()),
        Reach::Judged if !o.undecided.is_empty() => {
            (Some(Verdict::Inconclusive), o.undecided.join("; "))
        }
        Reach::Judged => (
            Some(Verdict::Pass),
            if o.notes.is_empty() {
                "nothing found".into()
            } else {
                o.notes.join("; ")
            },
        ),
    }
}

/// Decides every category some outcome is about, in the categories' order.
pub fn decide(
    package: &str,
    app_type: Option<&str>,
    runs: Vec<RunRef>,
    outcomes: &[Outcome],
) -> AppVerdicts {
    let mut categories = Vec::new();
    for c in Category::ALL {
        let mut mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.category == c).collect();
        // Pass G first, then N, then a scenario's own setup.
        mine.sort_by_key(|o| match o.pass.as_str() {
            "granted" => 0,
            "denied" => 1,
            _ => 2,
        });
        if mine.is_empty() {
            continue;
        }
        let mut passes = Vec::new();
        let mut findings = Vec::new();
        let mut not_covered: Vec<String> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        for o in &mine {
            let (verdict, why) = of_pass(o);
            passes.push(PassVerdict {
                pass: o.pass.clone(),
                verdict,
                why,
            });
            findings.extend(o.findings.iter().cloned());
            for n in &o.not_covered {
                if !not_covered.contains(n) {
                    not_covered.push(n.clone());
                }
            }
            for n in &o.notes {
                let n = format!("{}: {n}", o.pass);
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
        }
        findings.sort_by_key(|f| f.severity);
        // The gravest; of equals, the first (pass G before N).
        let gravest = passes
            .iter()
            .filter_map(|p| p.verdict.map(|v| (v, p)))
            .rev()
            .max_by_key(|(v, _)| v.weight());
        let (verdict, summary) = match gravest {
            Some((v, p)) => {
                let mut s = p.why.clone();
                if let Some(f) = findings.first() {
                    let _ = write!(
                        s,
                        " — {} ({})",
                        f.rule_text,
                        f.sources.first().map_or("", String::as_str)
                    );
                }
                if v == Verdict::Pass && !not_covered.is_empty() {
                    let _ = write!(s, "; not covered: {}", not_covered.join("; "));
                }
                (v, s)
            }
            None => (
                Verdict::Inconclusive,
                passes
                    .iter()
                    .map(|p| p.why.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        categories.push(CategoryVerdict {
            category: c.id().to_string(),
            title: c.title().to_string(),
            verdict,
            summary,
            findings,
            passes,
            not_covered,
            notes,
        });
    }
    AppVerdicts {
        version: VERSION,
        tool: crate::tool(),
        package: package.to_string(),
        app_type: app_type.map(str::to_string),
        runs,
        categories,
    }
}

/// The exit code for a set of apps' verdicts (docs/exit-codes.md): 1 with
/// any violation (or, with `fail_on_warning`, any warning); else 3 with
/// any inconclusive or error; else 0. A warning alone exits 0: it is a
/// heuristic, reported and kept in the JSON, not an accusation.
pub fn exit_code(apps: &[AppVerdicts], fail_on_warning: bool) -> crate::exit::Exit {
    use crate::exit::Exit;
    let all = || {
        apps.iter()
            .flat_map(|a| a.categories.iter().map(|c| c.verdict))
    };
    if all().any(|v| v == Verdict::Violation || (fail_on_warning && v == Verdict::Warning)) {
        Exit::Violation
    } else if all().any(|v| matches!(v, Verdict::Inconclusive | Verdict::Error)) {
        Exit::Inconclusive
    } else {
        Exit::Success
    }
}

/// The JSON Schema of the verdict JSON, pretty-printed, with a newline.
pub fn schema_json() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<AppVerdicts>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The verdict table for a terminal: one row per category, the evidence
/// in a line or two, and where the full evidence is. App text is shown
/// with control characters escaped.
pub fn table(v: &AppVerdicts, color: bool, evidence: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} ({})",
        v.package,
        v.app_type.as_deref().unwrap_or("app type unknown")
    );
    let width = Category::ALL
        .iter()
        .map(|c| c.id().len())
        .max()
        .unwrap_or(0);
    for c in &v.categories {
        let word = c.verdict.as_str();
        let painted = if color {
            let code = match c.verdict {
                Verdict::Violation => "31",
                Verdict::Warning => "33",
                Verdict::Pass => "32",
                Verdict::Inconclusive => "36",
                Verdict::Error => "35",
            };
            format!("\x1b[{code}m{word:<12}\x1b[0m")
        } else {
            format!("{word:<12}")
        };
        let _ = writeln!(
            o,
            "  {:<width$}  {painted} {}",
            c.category,
            crate::screen::clean(&short(&c.summary, 160))
        );
        if let Some(p) = c.findings.first().and_then(|f| f.evidence.first()) {
            let mut at = p.run.clone();
            if let Some(f) = &p.file {
                let _ = write!(at, "/{f}");
            }
            if let Some(l) = p.line {
                let _ = write!(at, ":{l}");
            }
            if let Some(q) = &p.quote {
                let _ = write!(at, "  \"{}\"", short(q, 100));
            }
            let _ = writeln!(
                o,
                "  {:<width$}  {:<12} {}",
                "",
                "",
                crate::screen::clean(&at)
            );
        }
    }
    let _ = writeln!(o, "evidence: {evidence}");
    o
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(c: Category, pass: &str, reach: Reach) -> Outcome {
        Outcome {
            category: c,
            pass: pass.into(),
            reach,
            findings: Vec::new(),
            undecided: Vec::new(),
            not_covered: vec!["ANDROID_ID".into()],
            notes: Vec::new(),
        }
    }

    #[test]
    fn passes_combine_gravest_first() {
        let c = Category::ForcedTargetedPush;
        let v = decide(
            "com.x",
            None,
            vec![],
            &[
                outcome(c, "granted", Reach::Judged),
                outcome(c, "denied", Reach::Unreached("the app quit".into())),
            ],
        );
        assert_eq!(v.get(c).unwrap().verdict, Verdict::Inconclusive);
        // Nothing to say in one pass does not hide the other's pass.
        let c = Category::RefuseServiceOnDenial;
        let v = decide(
            "com.x",
            None,
            vec![],
            &[
                outcome(c, "granted", Reach::Judged),
                outcome(c, "denied", Reach::NotApplicable("nothing denied".into())),
            ],
        );
        let cv = v.get(c).unwrap();
        assert_eq!(cv.verdict, Verdict::Pass);
        assert!(
            cv.summary.contains("not covered: ANDROID_ID"),
            "{}",
            cv.summary
        );
        // Nothing to say anywhere is inconclusive, never a pass.
        let v = decide(
            "com.x",
            None,
            vec![],
            &[outcome(
                c,
                "denied",
                Reach::NotApplicable("nothing denied".into()),
            )],
        );
        assert_eq!(v.get(c).unwrap().verdict, Verdict::Inconclusive);
        // An error is never a pass.
        let v = decide(
            "com.x",
            None,
            vec![],
            &[
                outcome(c, "granted", Reach::Judged),
                outcome(c, "denied", Reach::Failed("device lost".into())),
            ],
        );
        assert_eq!(v.get(c).unwrap().verdict, Verdict::Error);
        // Undecided parts make a pass inconclusive.
        let mut o = outcome(c, "granted", Reach::Judged);
        o.undecided.push("type unknown".into());
        let v = decide("com.x", None, vec![], &[o]);
        assert_eq!(v.get(c).unwrap().verdict, Verdict::Inconclusive);
    }

    #[test]
    fn schema_is_current() {
        let committed = include_str!("../../schemas/verdict.schema.json");
        assert_eq!(
            committed,
            schema_json(),
            "schemas/verdict.schema.json is stale: run `make schema`"
        );
    }
}
