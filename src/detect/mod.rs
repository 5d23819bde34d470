//! Detectors: one pure rule per violation category, from the evidence of
//! an app's runs to findings (see `docs/categories.md`).
//!
//! | file | owns |
//! |---|---|
//! | `runs.rs` | reading run directories (the only I/O here: the inputs) |
//! | `timeline.rs` | one run's events on the device's clock |
//! | `facts.rs` | what the rules share: the first screen, the consent prompt and its answer, the texts seen |
//! | `consent.rs` | `collect-before-consent`, `share-without-consent` |
//! | `scope.rs` | `collect-beyond-scope` |
//! | `push.rs` | `forced-targeted-push` |
//! | `denial.rs` | `refuse-service-on-denial` |
//! | `requests.rs` | `frequent-permission-requests`, `excessive-permission-requests` |
//! | `deletion.rs` | `account-deletion-obstacles` |
//! | `apptypes.rs`, `sdks.rs` | the app-type table and the SDK list (data) |
//!
//! Each rule judges one pass (the runs of one permission setup that list
//! the category in `checks`) and returns an [`Outcome`]: its findings,
//! whether the runs reached what the rule needs, and what it cannot see.
//! Rule texts and their sources are data (`scenarios/builtin/rules.yaml`);
//! words on screens come from the wording data. Nothing here knows a
//! package name or an app's text.

pub mod apptypes;
mod consent;
mod deletion;
mod denial;
mod facts;
mod push;
mod requests;
pub mod runs;
mod scope;
pub mod sdks;
pub mod timeline;

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::screen::Wording;
pub use apptypes::{AppType, AppTypes};
pub use runs::{LoadError, LoadedRun, find_runs, load_run};
pub use sdks::Sdks;
use timeline::{Source, Timeline};

/// The rule texts, embedded.
pub const RULES: &str = include_str!("../../scenarios/builtin/rules.yaml");

/// How much a finding weighs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The rule as written: a violation.
    Statutory,
    /// A threshold or reading the tool chose: a warning.
    Heuristic,
}

/// Where a finding's evidence is, inside a run directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Pointer {
    /// The run directory's name.
    pub run: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// Milliseconds since that run started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_ms: Option<u64>,
    /// A file in the run directory (logcat, a snapshot, a screenshot, a dump).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line in that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The line or entry, quoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

/// One thing a rule saw that breaks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The category id.
    pub category: String,
    pub severity: Severity,
    /// The rule's id in `scenarios/builtin/rules.yaml` (`cbc.before-consent`).
    pub rule: String,
    /// What the rule says, in English.
    pub rule_text: String,
    /// The term of the Chinese text it comes from.
    pub term_zh: String,
    /// The texts it comes from (337号 2019, 认定方法 2019, ...).
    pub sources: Vec<String>,
    /// What was seen.
    pub summary: String,
    /// The pass: `granted`, `denied` or `default`.
    pub pass: String,
    pub evidence: Vec<Pointer>,
}

/// Whether the runs reached what a rule needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The rule could look; no finding means a pass.
    Judged,
    /// What the rule judges never happened in this pass (nothing was
    /// refused, say): the pass has nothing to say.
    NotApplicable(String),
    /// The runs did not get where the rule needs: inconclusive.
    Unreached(String),
    /// The device or the tool failed.
    Failed(String),
}

/// One rule's judgement of one pass.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub category: Category,
    pub pass: String,
    pub reach: Reach,
    pub findings: Vec<Finding>,
    /// Parts that could not be judged (the app type is unknown, ...):
    /// without findings, the pass is inconclusive.
    pub undecided: Vec<String>,
    /// What a pass does not cover.
    pub not_covered: Vec<String>,
    /// What was seen, for the verdict's text (a switch's path, a depth).
    pub notes: Vec<String>,
}

impl Outcome {
    fn new(category: Category, pass: &str) -> Self {
        Self {
            category,
            pass: pass.to_string(),
            reach: Reach::Judged,
            findings: Vec::new(),
            undecided: Vec::new(),
            not_covered: Vec::new(),
            notes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    category: String,
    severity: Severity,
    text: String,
    term_zh: String,
    sources: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[allow(dead_code)]
    kind: String,
    #[allow(dead_code)]
    version: u32,
    sources: BTreeMap<String, String>,
    rules: BTreeMap<String, RawRule>,
}

/// The rule texts (`scenarios/builtin/rules.yaml`).
#[derive(Debug, Clone)]
pub struct RuleBook {
    raw: RawRules,
}

impl RuleBook {
    /// Parses the embedded rule texts.
    pub fn builtin() -> Result<Self, String> {
        serde_yaml::from_str::<RawRules>(RULES)
            .map(|raw| Self { raw })
            .map_err(|e| format!("scenarios/builtin/rules.yaml: {e}"))
    }

    /// The ids of every rule.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.raw.rules.keys().map(String::as_str)
    }

    /// A finding of rule `id`. A rule missing from the data (a defect a
    /// test catches) still gives a finding, named by its id.
    fn finding(&self, id: &str, pass: &str, summary: String, evidence: Vec<Pointer>) -> Finding {
        let (category, severity, text, term, sources) = match self.raw.rules.get(id) {
            Some(r) => (
                r.category.clone(),
                r.severity,
                r.text.clone(),
                r.term_zh.clone(),
                r.sources
                    .iter()
                    .map(|s| {
                        let (key, rest) = s.split_once(' ').unwrap_or((s.as_str(), ""));
                        match self.raw.sources.get(key) {
                            Some(title) if rest.is_empty() => title.clone(),
                            Some(title) => format!("{title} {rest}"),
                            None => s.clone(),
                        }
                    })
                    .collect(),
            ),
            None => (
                String::new(),
                Severity::Statutory,
                id.to_string(),
                String::new(),
                Vec::new(),
            ),
        };
        Finding {
            category,
            severity,
            rule: id.to_string(),
            rule_text: text,
            term_zh: term,
            sources,
            summary,
            pass: pass.to_string(),
            evidence,
        }
    }
}

/// What the rules need besides the evidence.
#[derive(Debug, Clone)]
pub struct Context {
    pub wording: Arc<Wording>,
    /// The app's type, when known.
    pub app_type: Option<AppType>,
    pub sdks: Sdks,
    pub rules: RuleBook,
}

impl Context {
    /// The built-in data, with the app type (already resolved).
    pub fn new(wording: Arc<Wording>, app_type: Option<AppType>) -> Result<Self, String> {
        Ok(Self {
            wording,
            app_type,
            sdks: Sdks::builtin(),
            rules: RuleBook::builtin()?,
        })
    }

    fn finding(&self, id: &str, pass: &str, summary: String, evidence: Vec<Pointer>) -> Finding {
        self.rules.finding(id, pass, summary, evidence)
    }
}

/// One run, read and placed on its clock.
#[derive(Debug, Clone)]
pub struct Analysed {
    pub loaded: LoadedRun,
    pub timeline: Timeline,
}

impl Analysed {
    pub fn new(loaded: LoadedRun) -> Self {
        let timeline = timeline::build(&loaded);
        Self { loaded, timeline }
    }

    pub fn pass(&self) -> &str {
        &self.loaded.run.scenario.permissions
    }

    fn checks(&self, c: Category) -> bool {
        self.loaded.run.scenario.checks.iter().any(|x| x == c.id())
    }

    /// A pointer into this run.
    fn at(&self, s: &Source) -> Pointer {
        Pointer {
            run: self.loaded.name.clone(),
            step: s.step,
            t_ms: s.t_ms,
            file: s.file.clone(),
            line: s.line,
            quote: s.quote.clone(),
        }
    }

    /// A pointer to a file of this run (or to the run), quoting it.
    fn file(&self, file: Option<String>, quote: Option<String>) -> Pointer {
        Pointer {
            run: self.loaded.name.clone(),
            step: None,
            t_ms: None,
            file,
            line: None,
            quote,
        }
    }

    /// A pointer to a step of this run.
    fn step(&self, step: usize, file: Option<String>, quote: Option<String>) -> Pointer {
        Pointer {
            run: self.loaded.name.clone(),
            step: Some(step),
            t_ms: self.loaded.run.steps.get(step).map(|s| s.start_ms),
            file,
            line: None,
            quote,
        }
    }
}

type Rule = fn(&[&Analysed], &str, &Context) -> Outcome;

/// Which passes each category judges, and its rule. Collection needs the
/// permissions granted (pass G); asking again needs them denied (pass N);
/// a run with `permissions: default` is judged for whatever it checks.
fn rules() -> [(Category, &'static [&'static str], Rule); 8] {
    const G: &[&str] = &["granted", "default"];
    const N: &[&str] = &["denied", "default"];
    const ANY: &[&str] = &["granted", "denied", "default"];
    [
        (
            Category::CollectBeforeConsent,
            G,
            consent::collect_before_consent,
        ),
        (Category::CollectBeyondScope, G, scope::collect_beyond_scope),
        (
            Category::ShareWithoutConsent,
            ANY,
            consent::share_without_consent,
        ),
        (
            Category::ForcedTargetedPush,
            ANY,
            push::forced_targeted_push,
        ),
        (Category::RefuseServiceOnDenial, ANY, denial::refuse_service),
        (Category::FrequentPermissionRequests, N, requests::frequent),
        (
            Category::ExcessivePermissionRequests,
            ANY,
            requests::excessive,
        ),
        (
            Category::AccountDeletionObstacles,
            G,
            deletion::account_deletion,
        ),
    ]
}

/// Judges an app's runs: one [`Outcome`] per category and pass that some
/// run checks. Runs of other apps are ignored by the caller.
pub fn judge(runs: &[Analysed], ctx: &Context) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (category, passes, rule) in rules() {
        let mut by_pass: BTreeMap<&str, Vec<&Analysed>> = BTreeMap::new();
        for r in runs.iter().filter(|r| r.checks(category)) {
            by_pass.entry(r.pass()).or_default().push(r);
        }
        for (pass, these) in by_pass {
            if !passes.contains(&pass) {
                continue;
            }
            let mut o = rule(&these, pass, ctx);
            // A device or tool failure in a run the rule read, with nothing
            // found, is an error, never a pass.
            if o.findings.is_empty() && matches!(o.reach, Reach::Judged | Reach::Unreached(_)) {
                if let Some(bad) = these
                    .iter()
                    .find(|r| r.loaded.run.result.status == crate::evidence::Status::Error)
                {
                    let why = bad.loaded.run.result.failure.as_ref().map_or_else(
                        || "the run ended in an error".to_string(),
                        |f| f.message.clone(),
                    );
                    o.reach = Reach::Failed(format!("{}: {why}", bad.loaded.name));
                }
            }
            out.push(o);
        }
    }
    out
}

#[cfg(test)]
mod tests;
