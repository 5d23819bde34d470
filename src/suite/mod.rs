//! Suites: which scenario runs in which pass (`scenarios/builtin/suite.yaml`
//! is the built-in one), running them on one app, and judging the runs.
//!
//! A pass replaces a scenario's `setup.permissions` and
//! `onDialog.permission` (pass G: everything granted and allowed; pass N:
//! nothing granted, every prompt denied); the rest of each scenario is the
//! plain file. The built-in suite is embedded and written into the output
//! directory (`suite/`) before it runs, so the run directory holds exactly
//! what ran and the tool works from any directory.
//!
//! The manifest and the pass overrides are pure; [`run`] is async (it
//! drives the engine), as the architecture allows for orchestration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::detect::{self, Analysed, AppType, Context};
use crate::device::Device;
use crate::engine::{self, Console, Events, RunOptions};
use crate::scenario::raw::{PermissionAnswer, PermissionSetup};
use crate::scenario::{LoadReport, Loader, Scenario};
use crate::verdict::{self, AppVerdicts, RunRef};

/// The built-in suite's files, by path inside the suite directory.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "suite.yaml",
        include_str!("../../scenarios/builtin/suite.yaml"),
    ),
    (
        "consent-refusal.yaml",
        include_str!("../../scenarios/builtin/consent-refusal.yaml"),
    ),
    (
        "first-launch.yaml",
        include_str!("../../scenarios/builtin/first-launch.yaml"),
    ),
    (
        "background.yaml",
        include_str!("../../scenarios/builtin/background.yaml"),
    ),
    (
        "account-deletion.yaml",
        include_str!("../../scenarios/builtin/account-deletion.yaml"),
    ),
    (
        "personalisation.yaml",
        include_str!("../../scenarios/builtin/personalisation.yaml"),
    ),
    (
        "deny-each.yaml",
        include_str!("../../scenarios/builtin/deny-each.yaml"),
    ),
    (
        "subflows/login.yaml",
        include_str!("../../scenarios/builtin/subflows/login.yaml"),
    ),
];

/// A pass: the permission setup and the answer to every permission
/// dialog; what a pass leaves out, each scenario says for itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pass {
    #[serde(default)]
    pub permissions: Option<PermissionSetup>,
    #[serde(default)]
    pub dialogs: Option<PermissionAnswer>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub scenario: PathBuf,
    pub passes: Vec<String>,
}

/// `suite.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub kind: String,
    pub version: u32,
    pub passes: BTreeMap<String, Pass>,
    pub runs: Vec<Entry>,
}

/// Why a suite could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", .path.display())]
    Manifest {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {count} error(s) in the suite's scenarios", .dir.display())]
    Scenarios {
        dir: PathBuf,
        count: usize,
        report: Box<LoadReport>,
    },
}

/// Parses and checks a manifest: `kind: suite`, every run's passes named
/// under `passes`.
pub fn parse_manifest(text: &str, path: &Path) -> Result<Manifest, SuiteError> {
    let bad = |line: usize, column: usize, message: String| SuiteError::Manifest {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let m: Manifest = serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        bad(line, column, e.to_string())
    })?;
    if m.kind != "suite" {
        return Err(bad(
            1,
            1,
            format!("kind: expected `suite`, found `{}`", m.kind),
        ));
    }
    for (i, r) in m.runs.iter().enumerate() {
        for p in &r.passes {
            if !m.passes.contains_key(p) {
                return Err(bad(
                    0,
                    0,
                    format!("runs[{i}].passes: pass `{p}` is not defined under `passes`"),
                ));
            }
        }
        let rel = r
            .scenario
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !rel {
            return Err(bad(
                0,
                0,
                format!(
                    "runs[{i}].scenario: `{}` must be a path inside the suite directory",
                    r.scenario.display()
                ),
            ));
        }
    }
    Ok(m)
}

/// Writes the built-in suite into `dir` and returns `dir`.
pub fn materialise_builtin(dir: &Path) -> Result<PathBuf, SuiteError> {
    for (rel, text) in BUILTIN {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| SuiteError::Read {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, text).map_err(|source| SuiteError::Read {
            path: path.clone(),
            source,
        })?;
    }
    Ok(dir.to_path_buf())
}

/// A suite, loaded and validated: its manifest and scenarios.
pub struct Suite {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub loaded: LoadReport,
}

/// Loads `dir/suite.yaml` and validates every scenario it names (with the
/// flows they run).
pub fn load(dir: &Path, env: &BTreeMap<String, String>) -> Result<Suite, SuiteError> {
    let path = dir.join("suite.yaml");
    let text = std::fs::read_to_string(&path).map_err(|source| SuiteError::Read {
        path: path.clone(),
        source,
    })?;
    let manifest = parse_manifest(&text, &path)?;
    let mut loader = Loader::new(env.clone());
    let files: Vec<PathBuf> = manifest
        .runs
        .iter()
        .map(|r| dir.join(&r.scenario))
        .collect();
    loader.load_paths(&files);
    let report = loader.finish();
    if !report.is_ok() {
        return Err(SuiteError::Scenarios {
            dir: dir.to_path_buf(),
            count: report.error_count(),
            report: Box::new(report),
        });
    }
    Ok(Suite {
        dir: dir.to_path_buf(),
        manifest,
        loaded: report,
    })
}

/// A suite of plain scenario files: one pass, `S`, that runs each as
/// written (its own permission setup and dialog answers), in the order
/// given. Files reached only through `runFlow` are not run on their own.
pub fn from_files(files: &[PathBuf], env: &BTreeMap<String, String>) -> Result<Suite, SuiteError> {
    let mut loader = Loader::new(env.clone());
    loader.load_paths(files);
    let report = loader.finish();
    // Empty, so that the plan's paths are the loader's own keys.
    let dir = PathBuf::new();
    if !report.is_ok() {
        return Err(SuiteError::Scenarios {
            dir,
            count: report.error_count(),
            report: Box::new(report),
        });
    }
    let flows: std::collections::BTreeSet<PathBuf> = report
        .scenarios
        .values()
        .flat_map(|s| s.flow_references())
        .map(|(_, p)| p.to_path_buf())
        .collect();
    let runs = report
        .scenarios
        .keys()
        .filter(|p| !flows.contains(*p))
        .map(|p| Entry {
            scenario: p.clone(),
            passes: vec!["S".into()],
        })
        .collect();
    let manifest = Manifest {
        kind: "suite".into(),
        version: 1,
        passes: BTreeMap::from([(
            "S".to_string(),
            Pass {
                permissions: None,
                dialogs: None,
            },
        )]),
        runs,
    };
    Ok(Suite {
        dir,
        manifest,
        loaded: report,
    })
}

/// The scenario as a pass runs it.
pub fn with_pass(scenario: &Scenario, pass: &Pass) -> Scenario {
    let mut s = scenario.clone();
    if let Some(p) = pass.permissions {
        s.header.setup.permissions = p;
    }
    if let Some(d) = pass.dialogs {
        s.header.on_dialog.permission = Some(d);
    }
    s
}

/// One planned run: its directory name, the pass and the scenario file.
#[derive(Debug, Clone)]
pub struct Planned {
    pub name: String,
    pub pass: String,
    pub file: PathBuf,
}

/// The runs in order: each pass in the manifest's order of runs, pass by
/// pass (`G-1-consent-refusal`, ..., `N-2-first-launch`).
pub fn plan(suite: &Suite) -> Vec<Planned> {
    let mut passes: Vec<&String> = Vec::new();
    for r in &suite.manifest.runs {
        for p in &r.passes {
            if !passes.contains(&p) {
                passes.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in passes {
        for (i, r) in suite.manifest.runs.iter().enumerate() {
            if r.passes.contains(p) {
                let stem = r
                    .scenario
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push(Planned {
                    name: format!("{p}-{}-{}", i + 1, engine::record::file_label(&stem)),
                    pass: p.clone(),
                    file: suite.dir.join(&r.scenario),
                });
            }
        }
    }
    out
}

/// Runs every planned run of `suite` on one app into `out/<name>/`, then
/// judges them. A run that cannot even write its directory is left out
/// (its categories become inconclusive or errors); the rest go on.
pub async fn run<D: Device>(
    dev: &D,
    suite: &Suite,
    opts: &RunOptions,
    console: &Console,
    events: &Events,
    ctx: &Context,
) -> (AppVerdicts, Vec<String>) {
    let mut problems = Vec::new();
    let mut dirs = Vec::new();
    for p in plan(suite) {
        if opts.interrupt.load(std::sync::atomic::Ordering::Relaxed) {
            problems.push("interrupted: the runs left were not made".into());
            break;
        }
        let (Some(scenario), Some(pass)) = (
            suite.loaded.scenarios.get(&p.file),
            suite.manifest.passes.get(&p.pass),
        ) else {
            continue;
        };
        let scenario = with_pass(scenario, pass);
        let mut o = opts.clone();
        o.out = opts.out.join(&p.name);
        match engine::run(dev, &scenario, &suite.loaded.scenarios, &o, console, events).await {
            Ok(_) => dirs.push(o.out),
            Err(e) => problems.push(format!("{}: {e}", p.name)),
        }
    }
    // Leave nothing of the app running: when the next app quits, this one
    // must not come back to the front in its place.
    if let Err(e) = dev.force_stop(&opts.package).await {
        problems.push(format!("stopping {} at the end: {e}", opts.package));
    }
    let (v, mut more) = judge_dirs(&opts.package, &dirs, ctx);
    problems.append(&mut more);
    (v, problems)
}

/// Reads run directories of one app and judges them.
pub fn judge_dirs(package: &str, dirs: &[PathBuf], ctx: &Context) -> (AppVerdicts, Vec<String>) {
    let mut problems = Vec::new();
    let mut runs = Vec::new();
    for d in dirs {
        match detect::load_run(d) {
            Ok(l) => {
                problems.extend(l.missing.iter().map(|m| format!("{}: {m}", l.name)));
                runs.push(Analysed::new(l));
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    (judge(package, &runs, ctx), problems)
}

/// Judges loaded runs of one app.
pub fn judge(package: &str, runs: &[Analysed], ctx: &Context) -> AppVerdicts {
    let outcomes = detect::judge(runs, ctx);
    let refs = runs
        .iter()
        .map(|r| RunRef {
            run: r.loaded.name.clone(),
            scenario: r.loaded.run.scenario.name.clone(),
            pass: r.loaded.run.scenario.permissions.clone(),
            status: format!("{:?}", r.loaded.run.result.status).to_lowercase(),
        })
        .collect();
    verdict::decide(
        package,
        ctx.app_type.as_ref().map(|t: &AppType| t.id.as_str()),
        refs,
        &outcomes,
    )
}

/// The detectors' context for an app type name (`None`: unknown).
pub fn context(
    wording: Arc<crate::screen::Wording>,
    types: &detect::AppTypes,
    app_type: Option<&str>,
) -> Result<Context, String> {
    let t = match app_type {
        None => None,
        Some(name) => Some(types.get(name).cloned().ok_or_else(|| {
            let hint = types
                .suggest(name)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            format!("unknown app type `{name}`{hint}; the types are listed in docs/app-types.md")
        })?),
    };
    Context::new(wording, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_parses_and_plans_both_passes() {
        let m = parse_manifest(BUILTIN[0].1, Path::new("suite.yaml")).unwrap();
        assert_eq!(m.passes.len(), 2);
        assert!(
            m.runs
                .iter()
                .all(|r| BUILTIN.iter().any(|(p, _)| Path::new(p) == r.scenario))
        );
        let bad = "kind: suite\nversion: 1\npasses: {G: {permissions: granted, dialogs: allow}}\nruns: [{scenario: a.yaml, passes: [X]}]\n";
        let e = parse_manifest(bad, Path::new("s.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("runs[0].passes") && e.contains("`X`"), "{e}");
        let up = "kind: suite\nversion: 1\npasses: {}\nruns: [{scenario: ../x.yaml, passes: []}]\n";
        assert!(parse_manifest(up, Path::new("s.yaml")).is_err());
    }

    #[test]
    fn builtin_scenarios_validate() {
        let dir = std::env::temp_dir().join(format!("consentry-suite-{}", std::process::id()));
        materialise_builtin(&dir).unwrap();
        let suite = match load(&dir, &BTreeMap::new()) {
            Ok(s) => s,
            Err(SuiteError::Scenarios { report, .. }) => {
                let msgs: Vec<String> = report
                    .diagnostics
                    .iter()
                    .map(|d| format!("{d:?}"))
                    .collect();
                panic!("{}", msgs.join("\n"));
            }
            Err(e) => panic!("{e}"),
        };
        let names: Vec<String> = plan(&suite).into_iter().map(|p| p.name).collect();
        assert_eq!(names[0], "G-1-consent-refusal");
        assert!(names.contains(&"N-2-first-launch".to_string()), "{names:?}");
        // Pass N denies, whatever the file says.
        let n = &suite.manifest.passes["N"];
        let s = with_pass(suite.loaded.scenarios.values().next().unwrap(), n);
        assert_eq!(s.header.setup.permissions, PermissionSetup::Denied);
        assert_eq!(s.header.on_dialog.permission, Some(PermissionAnswer::Deny));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
