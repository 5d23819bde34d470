//! The fixture apps' ground truth, read from `fixtures/apps/EXPECTED.md`:
//! per app the expected verdict of each category (the cell's first word)
//! and the app type the verdicts assume.

use std::collections::BTreeMap;

use consentry::category::Category;
use consentry::verdict::AppVerdicts;

pub struct Expected {
    pub verdicts: BTreeMap<String, Vec<String>>,
    pub types: BTreeMap<String, Option<String>>,
}

pub fn expected() -> Expected {
    let text = std::fs::read_to_string("fixtures/apps/EXPECTED.md").expect("EXPECTED.md");
    let mut verdicts = BTreeMap::new();
    let mut types = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| com.example.")) {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        match cells.len() {
            9 => {
                let words = cells[1..]
                    .iter()
                    .map(|c| {
                        c.trim_start_matches("**")
                            .split([':', '*', ' '])
                            .next()
                            .unwrap_or("")
                            .to_string()
                    })
                    .collect();
                verdicts.insert(cells[0].to_string(), words);
            }
            2 => {
                types.insert(
                    cells[0].to_string(),
                    (!cells[1].is_empty()).then(|| cells[1].to_string()),
                );
            }
            _ => {}
        }
    }
    assert!(verdicts.len() >= 14, "EXPECTED.md rows: {}", verdicts.len());
    Expected { verdicts, types }
}

/// Every cell where the verdicts differ from EXPECTED.md, in words.
pub fn mismatches<'a>(all: impl IntoIterator<Item = (&'a String, &'a AppVerdicts)>) -> Vec<String> {
    let exp = expected();
    let mut bad = Vec::new();
    for (pkg, v) in all {
        let Some(want) = exp.verdicts.get(pkg) else {
            bad.push(format!("{pkg}: not in EXPECTED.md"));
            continue;
        };
        for (c, w) in Category::ALL.iter().zip(want) {
            let got = v.get(*c).map_or("missing", |x| x.verdict.as_str());
            if got != w {
                bad.push(format!(
                    "{pkg} {c}: expected {w}, got {got}: {}",
                    v.get(*c).map_or("", |x| x.summary.as_str())
                ));
            }
        }
    }
    bad
}
