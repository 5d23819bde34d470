//! What changed between two runs: a pure function of their app rows, with
//! no database, so every case is tested on hand-built rows.
//!
//! An app's verdict of a category follows the report model
//! ([`crate::report::AppEntry::verdict`]): a judged app's recorded verdict,
//! `error` for every category of an app in error, none for an app not run.
//! The changes of apps in both runs are split in three, each change in
//! exactly one list: new violations, cleared violations and the other
//! changes.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::category::Category;
use crate::report::AppStatus;
use crate::verdict::Verdict;

/// One app of a recorded run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppRow {
    pub package: String,
    pub status: AppStatus,
    pub retried: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    pub tags: Vec<String>,
    /// Why the app is in error: its final attempt's detail or first problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// In the categories' order.
    pub verdicts: Vec<VerdictRow>,
}

/// One app × category of a recorded run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictRow {
    pub category: String,
    pub verdict: Verdict,
    pub summary: String,
    /// The first finding's rule id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl AppRow {
    fn row(&self, category: &str) -> Option<&VerdictRow> {
        self.verdicts.iter().find(|v| v.category == category)
    }

    /// The verdict of a category, as the report model reads it.
    pub fn verdict(&self, category: &str) -> Option<Verdict> {
        match self.status {
            AppStatus::Judged => self.row(category).map(|v| v.verdict),
            AppStatus::Error => Some(Verdict::Error),
            AppStatus::NotRun => None,
        }
    }

    /// What the verdict of a category rests on, in a line.
    fn summary(&self, category: &str) -> String {
        match self.status {
            AppStatus::Judged => self.row(category).map_or_else(
                || "no verdict for this category".into(),
                |v| v.summary.clone(),
            ),
            AppStatus::Error => match &self.detail {
                Some(d) => format!("the app could not be judged: {d}"),
                None => "the app could not be judged".into(),
            },
            AppStatus::NotRun => "the app was not run".into(),
        }
    }
}

/// A category whose verdict differs between the two runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub package: String,
    pub category: String,
    /// `null` when the app was not in run A, not run, or had no verdict.
    pub from: Option<Verdict>,
    /// `null` when the app was not run in B or had no verdict.
    pub to: Option<Verdict>,
    /// Run B's summary of the verdict (or why there is none).
    pub summary: String,
    /// The first finding's rule: run B's, else run A's (so a cleared
    /// violation names the rule it had broken).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// What changed from run A to run B. Every list is sorted by package, then
/// category in the categories' order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// `violation` in B and not in A, apps new in B included.
    pub new_violations: Vec<Change>,
    /// `violation` in A and not in B, for apps in both: `to` says what B
    /// found instead (an `error` is not a fix).
    pub cleared_violations: Vec<Change>,
    /// Every other change of a verdict, for apps in both.
    pub changed: Vec<Change>,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.new_violations.is_empty()
            && self.cleared_violations.is_empty()
            && self.changed.is_empty()
            && self.only_in_a.is_empty()
            && self.only_in_b.is_empty()
    }
}

/// The categories' order, unknown ids last and by name.
fn category_key(id: &str) -> (usize, &str) {
    let rank = Category::ALL
        .iter()
        .position(|c| c.id() == id)
        .unwrap_or(usize::MAX);
    (rank, id)
}

/// The categories either side has a row for, in the categories' order.
fn categories<'r>(a: Option<&'r AppRow>, b: &'r AppRow) -> Vec<&'r str> {
    let mut all: Vec<&str> = a
        .into_iter()
        .chain([b])
        .flat_map(|r| r.verdicts.iter().map(|v| v.category.as_str()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    all.sort_by_key(|c| category_key(c));
    all
}

/// Compares two runs' apps.
pub fn compare(a: &[AppRow], b: &[AppRow]) -> Changes {
    let by_package = |rows: &[AppRow]| -> BTreeMap<String, usize> {
        rows.iter()
            .enumerate()
            .map(|(i, r)| (r.package.clone(), i))
            .collect()
    };
    let (in_a, in_b) = (by_package(a), by_package(b));
    let mut out = Changes::default();
    for (package, &ib) in &in_b {
        let rb = &b[ib];
        let ra = in_a.get(package).map(|&i| &a[i]);
        if ra.is_none() {
            out.only_in_b.push(package.clone());
        }
        for category in categories(ra, rb) {
            let from = ra.and_then(|r| r.verdict(category));
            let to = rb.verdict(category);
            if from == to || (ra.is_none() && to != Some(Verdict::Violation)) {
                continue;
            }
            let change = Change {
                package: package.clone(),
                category: category.to_string(),
                from,
                to,
                summary: rb.summary(category),
                rule: rb.row(category).and_then(|v| v.rule.clone()).or_else(|| {
                    ra.and_then(|r| r.row(category))
                        .and_then(|v| v.rule.clone())
                }),
            };
            if to == Some(Verdict::Violation) {
                out.new_violations.push(change);
            } else if from == Some(Verdict::Violation) {
                out.cleared_violations.push(change);
            } else {
                out.changed.push(change);
            }
        }
    }
    out.only_in_a = in_a
        .keys()
        .filter(|p| !in_b.contains_key(*p))
        .cloned()
        .collect();
    // The map iterates by package and each app's categories come sorted,
    // so the lists are already in order; sorting again keeps it so should
    // the loop above change.
    for list in [
        &mut out.new_violations,
        &mut out.cleared_violations,
        &mut out.changed,
    ] {
        list.sort_by(|x, y| {
            (x.package.as_str(), category_key(&x.category))
                .cmp(&(y.package.as_str(), category_key(&y.category)))
        });
    }
    out
}
