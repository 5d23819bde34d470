//! `explore`: a best-first search from the current screen for a target
//! (an element whose text the `find` pattern matches, or a deletion entry
//! or personalisation switch as screen understanding finds them), or a
//! crawl of every screen it can reach, bounded by depth, taps and time.
//!
//! Screens are known by their structural fingerprint
//! ([`crate::screen::fingerprint`]), so a clock or a counter does not make a
//! new screen. Each screen keeps its candidates as [`rank`] scored them;
//! the next tap is the best untried candidate over all known screens,
//! less a cost per level of depth and per move needed to get there, so the
//! search goes deeper along promising paths and comes back when they run
//! out. Moving to another screen goes back along the navigation stack,
//! checking each screen on the way; when back does not lead where it
//! should, the app is relaunched and the path replayed. Nothing matching
//! the scenario's `avoid` or the built-in avoid words is tapped (the
//! target itself is never tapped either).
//!
//! The result is evidence: the shortest path to the target, its depth,
//! every screen visited with its texts and when, every tap and when, the
//! taps after which the app was gone (a crash, a quit, another app), the
//! relaunches, and the path as a replayable scenario. A target not found
//! fails the step (the record is kept); a crawl has nothing to miss and
//! never does. A tap on the app's own screen counts as the user's
//! (`user_triggered` on the dialogs it brings), a relaunch does not.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;

use super::observe::Seen;
use super::rank::{Candidate, Ranker, Target};
use super::{Ctx, Env, Fail, StepResult, select};
use crate::device::Device;
use crate::evidence::{DialogKind, Exploration, ExploredScreen, LeftApp, PathTap};
use crate::scenario::model::{
    Command, ExploreGoal, Gesture, Header, Location, Scenario, Selector as ModelSelector, Setup,
    Step,
};
use crate::scenario::values::{ExploreTarget, MatchMode, Pattern, Template};
use crate::screen::{Kind, Purpose};

/// Score lost per level of depth.
const DEPTH_COST: f64 = 0.5;
/// Score lost per back press needed to reach a screen.
const MOVE_COST: f64 = 0.75;
/// A candidate scoring below this is not worth a tap.
const FLOOR: f64 = -50.0;

/// The target as found on a screen.
struct Hit {
    text: String,
    /// For a checkable target, its state.
    checked: Option<bool>,
}

struct Known {
    depth: u32,
    /// Taps from the start screen.
    path: Vec<PathTap>,
    /// Their centres, to replay them.
    points: Vec<(i32, i32)>,
    candidates: Vec<Candidate>,
    tried: HashSet<String>,
}

impl<D: Device> Ctx<'_, D> {
    #[allow(clippy::too_many_arguments, clippy::too_many_lines)]
    pub(crate) async fn explore(
        &mut self,
        goal: &ExploreGoal,
        avoid: Option<&Pattern>,
        env: &Env,
        max_depth: u32,
        max_taps: u32,
        timeout: Option<Duration>,
        step: usize,
    ) -> StepResult {
        let start = Instant::now();
        let limit = timeout.unwrap_or(Duration::from_secs(300));
        let find_re = match goal {
            ExploreGoal::Find(find) => Some(
                find.regex(env)
                    .map_err(|e| Fail::new(format!("explore.find: {e}")))?,
            ),
            _ => None,
        };
        let target = match (goal, &find_re) {
            (_, Some(re)) => Target::Text(re),
            (ExploreGoal::Target(ExploreTarget::DeletionEntry), _) => Target::DeletionEntry,
            (ExploreGoal::Target(ExploreTarget::PersonalisationSwitch), _) => {
                Target::PersonalisationSwitch
            }
            _ => Target::Crawl,
        };
        let avoid_re = match avoid {
            Some(p) => Some(
                p.regex(env)
                    .map_err(|e| Fail::new(format!("explore.avoid: {e}")))?,
            ),
            None => None,
        };
        let wording = std::sync::Arc::clone(&self.opts.wording);
        let ranker = Ranker {
            target,
            avoid: avoid_re.as_ref(),
            builtin_avoid: true,
            wording: &wording,
        };
        let mut record = Exploration {
            step,
            goal: goal.name().into(),
            find: match goal {
                ExploreGoal::Find(f) => f.source().as_str().to_string(),
                _ => String::new(),
            },
            avoid: avoid.map(|a| a.source().as_str().to_string()),
            found: false,
            depth: None,
            target: None,
            target_checked: None,
            target_tree: None,
            path: Vec::new(),
            taps: 0,
            tapped: Vec::new(),
            stopped: "exhausted".into(),
            duration_ms: 0,
            screens: Vec::new(),
            left_app: Vec::new(),
            relaunches: 0,
            flow: None,
        };
        let first = self.current().await?;
        let mut known: HashMap<String, Known> = HashMap::new();
        let mut stack: Vec<String> = Vec::new();
        let mut cut_by_depth = false;
        // Another app in front (the app quit, and the one before it came
        // back): nothing of it is explored, and nothing of it is tapped.
        let elsewhere = (first.understanding.kind == Kind::App
            && first.understanding.package != self.opts.package)
            .then(|| first.understanding.package.clone());
        let mut seen = first;
        let start_fp = seen.fingerprint.clone();
        if elsewhere.is_none() {
            self.visit(
                &mut record,
                &mut known,
                &ranker,
                &seen,
                0,
                Vec::new(),
                Vec::new(),
            );
            stack.push(seen.fingerprint.clone());
        }
        loop {
            if let Some(other) = &elsewhere {
                self.note(format!(
                    "the app under test is not in front ({other} is): nothing explored"
                ));
                record.stopped = "lost".into();
                break;
            }
            if let Some(h) = hit(&ranker, &seen) {
                let k = &known[&seen.fingerprint];
                record.found = true;
                record.depth = Some(k.depth);
                record.path.clone_from(&k.path);
                record.target = Some(self.dir.redactor.text(&h.text));
                record.target_checked = h.checked;
                record.target_tree = record
                    .screens
                    .iter()
                    .find(|s| s.fingerprint == seen.fingerprint)
                    .and_then(|s| s.tree.clone());
                record.stopped = "found".into();
                break;
            }
            if record.taps >= max_taps {
                record.stopped = "max-taps".into();
                break;
            }
            if start.elapsed() >= limit {
                record.stopped = "timeout".into();
                break;
            }
            // The best untried candidate anywhere, with the cost of
            // getting there.
            let mut best: Option<(f64, String, Candidate)> = None;
            for (fp, k) in &known {
                if k.depth >= max_depth {
                    if k.candidates.iter().any(|c| !k.tried.contains(&c.key)) {
                        cut_by_depth = true;
                    }
                    continue;
                }
                let moves = stack
                    .iter()
                    .rposition(|s| s == fp)
                    .map_or(f64::from(k.depth) + 2.0, |i| {
                        f64::from(u32::try_from(stack.len() - 1 - i).unwrap_or(u32::MAX))
                    });
                for c in &k.candidates {
                    if k.tried.contains(&c.key) || c.score <= FLOOR {
                        continue;
                    }
                    let s = c.score - DEPTH_COST * f64::from(k.depth) - MOVE_COST * moves;
                    if best.as_ref().is_none_or(|(b, ..)| s > *b) {
                        best = Some((s, fp.clone(), c.clone()));
                    }
                }
            }
            let Some((_, fp, cand)) = best else {
                record.stopped = if cut_by_depth {
                    "max-depth"
                } else {
                    "exhausted"
                }
                .into();
                break;
            };
            if let Some(k) = known.get_mut(&fp) {
                k.tried.insert(cand.key.clone());
            }
            let Some(there) = self
                .go_to(&fp, &start_fp, &mut stack, &known, &mut record)
                .await?
            else {
                self.note(format!(
                    "could not get back to screen {fp}; exploration stops"
                ));
                record.stopped = "lost".into();
                break;
            };
            seen = there;
            let before = seen.hash;
            let (x, y) = cand.center;
            self.user_tap = self.is_app_screen(&seen);
            let dialogs = self.run.dialogs.len();
            self.dev.tap(x, y).await?;
            let t_ms = self.ms();
            self.obs.counters.taps += 1;
            record.taps += 1;
            record.tapped.push(PathTap {
                text: self.dir.redactor.text(&cand.text),
                selector: selector_yaml(&cand),
                from: fp.clone(),
                t_ms: Some(t_ms),
            });
            self.events.emit(&serde_json::json!({
                "event": "explore", "tap": self.dir.redactor.text(&cand.text),
                "from": fp, "taps": record.taps,
            }));
            self.look(Some(before)).await?;
            seen = self.current().await?;
            if seen.fingerprint == fp {
                continue;
            }
            if seen.understanding.package != self.opts.package
                && seen.understanding.kind == Kind::App
            {
                // The tap left the app (a crash or a quit to the launcher,
                // a share sheet, a browser): come back.
                let crashed = self.run.dialogs[dialogs..]
                    .iter()
                    .any(|d| matches!(d.kind, DialogKind::Crash | DialogKind::Anr));
                self.note(format!(
                    "{:?} led out of the app{}, to {}",
                    cand.text,
                    if crashed { " (it crashed)" } else { "" },
                    seen.understanding.package
                ));
                record.left_app.push(LeftApp {
                    t_ms: self.ms(),
                    tap: self.dir.redactor.text(&cand.text),
                    from: fp.clone(),
                    package: seen.understanding.package.clone(),
                    crashed,
                });
                let b = seen.hash;
                self.dev.key("4").await?;
                self.look(Some(b)).await?;
                seen = self.current().await?;
                stack.truncate(
                    stack
                        .iter()
                        .rposition(|s| *s == seen.fingerprint)
                        .map_or(stack.len(), |i| i + 1),
                );
                continue;
            }
            let (depth, mut path, mut points) = {
                let from = &known[&fp];
                (from.depth + 1, from.path.clone(), from.points.clone())
            };
            path.push(PathTap {
                text: self.dir.redactor.text(&cand.text),
                selector: selector_yaml(&cand),
                from: fp.clone(),
                t_ms: Some(t_ms),
            });
            points.push(cand.center);
            match stack.iter().rposition(|s| *s == seen.fingerprint) {
                Some(i) => stack.truncate(i + 1),
                None => stack.push(seen.fingerprint.clone()),
            }
            self.visit(&mut record, &mut known, &ranker, &seen, depth, path, points);
        }
        self.user_tap = false;
        record.duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        if record.found {
            record.flow = self.save_flow(&record);
        }
        let missed = (!record.found && *goal != ExploreGoal::Crawl).then(|| {
            format!(
                "explore found no {} ({}: {} taps, {} screens)",
                match goal {
                    ExploreGoal::Find(f) => format!("text matching {:?}", f.source().as_str()),
                    ExploreGoal::Target(t) => t.as_str().to_string(),
                    ExploreGoal::Crawl => String::new(),
                },
                record.stopped,
                record.taps,
                record.screens.len()
            )
        });
        self.note(format!(
            "{}: {} taps, {} screens{}",
            record.stopped,
            record.taps,
            record.screens.len(),
            record
                .depth
                .map_or_else(String::new, |d| format!(", depth {d}"))
        ));
        self.events.emit(&serde_json::json!({
            "event": "explore-finished", "found": record.found, "depth": record.depth,
            "taps": record.taps, "stopped": record.stopped,
        }));
        self.run.explorations.push(record);
        match missed {
            Some(m) => Err(Fail::new(m)),
            None => Ok(()),
        }
    }

    /// Whether a screen is the app under test's own (a tap on it is the
    /// user's).
    fn is_app_screen(&self, seen: &Seen) -> bool {
        !seen.understanding.kind.is_system() && seen.understanding.package == self.opts.package
    }

    /// Records a screen the first time it is seen (or a shorter way to it).
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &mut self,
        record: &mut Exploration,
        known: &mut HashMap<String, Known>,
        ranker: &Ranker<'_>,
        seen: &super::observe::Seen,
        depth: u32,
        path: Vec<PathTap>,
        points: Vec<(i32, i32)>,
    ) {
        if let Some(k) = known.get_mut(&seen.fingerprint) {
            if depth < k.depth {
                k.depth = depth;
                k.path = path;
                k.points = points;
            }
            return;
        }
        let candidates = ranker.rank(&seen.dump.tree, &seen.understanding, &HashSet::new());
        let (png, xml) = self.keep(seen, "explore");
        record.screens.push(ExploredScreen {
            fingerprint: seen.fingerprint.clone(),
            depth,
            t_ms: Some(self.ms()),
            texts: select::screen_texts(&seen.dump.tree)
                .iter()
                .map(|t| self.dir.redactor.text(t))
                .collect(),
            screenshot: Some(png),
            tree: Some(xml),
        });
        known.insert(
            seen.fingerprint.clone(),
            Known {
                depth,
                path,
                points,
                candidates,
                tried: HashSet::new(),
            },
        );
    }

    /// Gets to screen `fp`: back along the stack, else a relaunch and the
    /// path replayed. `None` when neither gets there.
    async fn go_to(
        &mut self,
        fp: &str,
        start_fp: &str,
        stack: &mut Vec<String>,
        known: &HashMap<String, Known>,
        record: &mut Exploration,
    ) -> Result<Option<super::observe::Seen>, Fail> {
        let mut seen = self.current().await?;
        if seen.fingerprint == fp {
            return Ok(Some(seen));
        }
        if let Some(i) = stack.iter().rposition(|s| s == fp) {
            while stack.len() > i + 1 {
                stack.pop();
                let before = seen.hash;
                self.dev.key("4").await?;
                self.look(Some(before)).await?;
                seen = self.current().await?;
                if stack.last().is_none_or(|s| *s != seen.fingerprint) {
                    break;
                }
            }
            if seen.fingerprint == fp {
                return Ok(Some(seen));
            }
        }
        // Back did not lead there: relaunch and replay.
        let Some(target) = known.get(fp) else {
            return Ok(None);
        };
        self.note("back did not lead to the expected screen; relaunched to replay the path");
        let pkg = self.opts.package.clone();
        let before = seen.hash;
        // A dialog at the relaunch is the app asking by itself.
        self.user_tap = false;
        record.relaunches += 1;
        self.dev.force_stop(&pkg).await?;
        self.dev.launch(&pkg).await?;
        self.look(Some(before)).await?;
        seen = self.current().await?;
        if seen.fingerprint != start_fp {
            return Ok(None);
        }
        stack.clear();
        stack.push(seen.fingerprint.clone());
        for (tap, &(x, y)) in target.path.iter().zip(&target.points) {
            if seen.fingerprint != tap.from {
                return Ok(None);
            }
            let before = seen.hash;
            self.user_tap = self.is_app_screen(&seen);
            self.dev.tap(x, y).await?;
            self.obs.counters.taps += 1;
            record.taps += 1;
            self.look(Some(before)).await?;
            seen = self.current().await?;
            stack.push(seen.fingerprint.clone());
        }
        Ok((seen.fingerprint == fp).then_some(seen))
    }

    /// Writes the path found as a scenario (`explore/NNN.yaml`).
    fn save_flow(&mut self, record: &Exploration) -> Option<String> {
        let at = |line| Location {
            line,
            column: 1,
            key: String::new(),
        };
        let mut steps = Vec::new();
        for (i, tap) in record.path.iter().enumerate() {
            steps.push(Step {
                command: Command::Tap {
                    gesture: Gesture::Tap,
                    target: text_selector(&tap.text),
                    repeat: 1,
                    delay: None,
                    retry_if_no_change: true,
                    settle_timeout: None,
                },
                label: None,
                optional: false,
                at: at(i + 1),
            });
        }
        if let Some(t) = &record.target {
            steps.push(Step {
                command: Command::AssertVisible(text_selector(t)),
                label: None,
                optional: false,
                at: at(steps.len() + 1),
            });
        }
        let scenario = Scenario {
            file: "explore.yaml".into(),
            header: Header {
                app_id: Template::parse(&self.opts.package).ok()?,
                name: if record.find.is_empty() {
                    format!("path to a {}", record.goal)
                } else {
                    format!("path to {}", record.find)
                },
                tags: vec!["explored".into()],
                env: BTreeMap::new(),
                on_flow_start: Vec::new(),
                on_flow_complete: Vec::new(),
                checks: Vec::new(),
                setup: Setup::default(),
                on_dialog: self.on_dialog.clone(),
            },
            steps,
        };
        let yaml = crate::scenario::to_yaml(&scenario).ok()?;
        let file = self.dir.name("explore", "path", "yaml");
        self.dir.write_text(&file, &yaml).ok()?;
        Some(file)
    }
}

/// The target, when it is on the screen and not avoided: for `find`, the
/// first text the pattern matches (with its node's state, if checkable);
/// for a target kind, the first element screen understanding gives it.
fn hit(ranker: &Ranker<'_>, seen: &Seen) -> Option<Hit> {
    let u = &seen.understanding;
    match ranker.target {
        Target::Text(re) => {
            let avoid = ranker.avoid;
            let text = select::screen_texts(&seen.dump.tree)
                .into_iter()
                .find(|t| re.is_match(t) && !avoid.is_some_and(|a| a.is_match(t)))?;
            let checked = seen
                .dump
                .tree
                .nodes()
                .into_iter()
                .find(|n| n.checkable && (n.text == text || n.content_desc == text))
                .map(|n| n.checked);
            Some(Hit { text, checked })
        }
        Target::DeletionEntry => u
            .deletion
            .iter()
            .find(|e| !ranker.avoids(&e.text))
            .map(|e| Hit {
                text: e.text.clone(),
                checked: None,
            }),
        Target::PersonalisationSwitch => u
            .switches
            .iter()
            .chain(&u.checkboxes)
            .find(|t| t.purpose == Purpose::Personalisation && !ranker.avoids(&t.text))
            .map(|t| Hit {
                text: t.text.clone(),
                checked: Some(t.checked),
            }),
        Target::Crawl => None,
    }
}

/// A full-match selector for exactly `text`.
fn text_selector(text: &str) -> ModelSelector {
    ModelSelector {
        text: Pattern::parse(&regex::escape(text), MatchMode::Full, &BTreeMap::new()).ok(),
        ..ModelSelector::default()
    }
}

/// The selector a scenario would use for a candidate.
fn selector_yaml(c: &Candidate) -> String {
    let sel = crate::screen::Selector {
        text: (!c.text.is_empty()).then(|| regex::escape(&c.text)),
        id: (c.text.is_empty() && !c.resource_id.is_empty()).then(|| regex::escape(&c.resource_id)),
        index: None,
        point: (c.text.is_empty() && c.resource_id.is_empty())
            .then(|| format!("{},{}", c.center.0, c.center.1)),
    };
    sel.to_yaml()
}
