//! Rule tests on hand-built evidence: a run is written as logcat lines,
//! marks, steps, dialogs, raw snapshots and dumps, the way the engine
//! records them, then judged.

#![allow(
    clippy::needless_pass_by_value,
    clippy::format_push_string,
    clippy::cast_possible_truncation
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::runs::{LoadedRun, Snapshot, SnapshotData};
use super::*;
use crate::android::{appops, exit_info, logcat, package, uiautomator};
use crate::evidence::{
    Artifact, DialogEvent, DialogKind, Exploration, MarkRecord, Run, SnapshotRecord, StepRecord,
    StepStatus,
};
use crate::verdict::{self, Verdict};

const PKG: &str = "com.example.app";
/// The host's clock when a test run's capture started (ms since the epoch).
const UNIX0: i64 = 1_768_471_200_000;
const UID: u32 = 10102;

fn base_run(pass: &str, checks: &[&str]) -> Run {
    let json = serde_json::json!({
        "version": 1, "tool": "consentry test",
        "scenario": {"file": "s.yaml", "name": "s", "permissions": pass, "checks": checks},
        "app": {"package": PKG, "uid": UID},
        "device": {"serial": "emu", "emulator": true},
        "started": "2026-01-15T10:00:00Z", "duration_ms": 100_000,
        "result": {"status": "passed"},
        "steps": [], "marks": [], "dialogs": [], "permission_changes": [],
        "snapshots": [], "artifacts": [], "explorations": [], "expectations": [],
        "logcat": {"file": "logcat.txt", "command": "logcat", "lines": 0, "dropped": 0},
        "counters": {"ui_dumps": 0, "dump_retries": 0, "screenshots": 0, "cache_hits": 0, "taps": 0, "taps_retried": 0}
    });
    serde_json::from_value(json).unwrap()
}

/// `t` seconds after 12:00:00 on the device's clock, as logcat prints it
/// (`t` may be negative, down to -12 h).
fn at(t: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let ms = (t * 1000.0).round() as i64 + 12 * 3_600_000;
    format!(
        "01-15 {:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        (ms / 60_000) % 60,
        (ms / 1000) % 60,
        ms % 1000
    )
}

/// A run under construction. Run time and device time run together here
/// (device time = 12:00:00 + run time), unless a test shifts them.
struct B {
    run: Run,
    log: Vec<String>,
    snapshots: Vec<(SnapshotRecord, String)>,
    trees: BTreeMap<String, String>,
    name: String,
    capture: Option<crate::net::Capture>,
}

impl B {
    fn new(pass: &str, checks: &[Category]) -> Self {
        let ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
        Self {
            run: base_run(pass, &ids),
            log: Vec::new(),
            snapshots: Vec::new(),
            trees: BTreeMap::new(),
            name: format!("{pass}-run"),
            capture: None,
        }
    }

    fn line(mut self, t: f64, uid: u32, tag: &str, msg: &str) -> Self {
        self.log
            .push(format!("{} {uid:5}  1000  1000 I {tag}: {msg}", at(t)));
        self
    }

    fn sys(self, t: f64, tag: &str, msg: &str) -> Self {
        self.line(t, 1000, tag, msg)
    }

    /// A network contact at run time `t` (the run's capture started at run
    /// time 0, at host time [`UNIX0`]).
    fn contact(mut self, t: f64, kind: crate::net::ContactKind, domain: &str) -> Self {
        self.run.network = Some(crate::evidence::NetworkInfo {
            file: Some("network.pcap".into()),
            started_ms: 0,
            started_unix_ms: UNIX0,
            ended_ms: None,
            error: None,
        });
        let cap = self.capture.get_or_insert_with(|| crate::net::Capture {
            contacts: Vec::new(),
            packets: 0,
            undecoded: 0,
        });
        cap.packets += 1;
        let packet = cap.packets;
        cap.contacts.push(crate::net::Contact {
            unix_us: (UNIX0 + (t * 1000.0).round() as i64) * 1000,
            packet,
            kind,
            domain: domain.into(),
            addresses: Vec::new(),
            aliases: Vec::new(),
            src: "10.0.2.15:40000".parse().unwrap(),
            dst: "203.0.113.7:443".parse().unwrap(),
        });
        self
    }

    fn mark(mut self, t: f64, name: &str) -> Self {
        let n = self.run.marks.len() + 1;
        let text = format!("#{n} {name}");
        self = self.line(t, 2000, "CONSENTRY", &text);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.run.marks.push(MarkRecord {
            name: name.into(),
            t_ms: (t * 1000.0) as u64,
            step: self.run.steps.len(),
            logcat_text: text,
            logcat_seq: 0,
        });
        self
    }

    fn step(mut self, t0: f64, t1: f64, command: &str, title: &str) -> Self {
        let index = self.run.steps.len();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.run.steps.push(StepRecord {
            index,
            parent: None,
            at: format!("s.yaml:{}:3", index + 1),
            command: command.into(),
            title: title.into(),
            label: None,
            start_ms: (t0 * 1000.0) as u64,
            end_ms: (t1 * 1000.0) as u64,
            status: StepStatus::Passed,
            error: None,
            notes: Vec::new(),
            screen: None,
        });
        self
    }

    fn launch(self, t: f64) -> Self {
        self.step(t, t + 0.5, "launchApp", "launchApp").sys(
            t + 0.1,
            "ActivityManager",
            &format!("Start proc 3100:{PKG}/u0a102 for next-top-activity {{{PKG}/{PKG}.Main}}"),
        )
    }

    fn request(self, t: f64) -> Self {
        self.sys(
            t,
            "ActivityTaskManager",
            &format!("START u0 {{act=android.content.pm.action.REQUEST_PERMISSIONS pkg=com.google.android.permissioncontroller cmp=com.google.android.permissioncontroller/com.android.permissioncontroller.permission.ui.GrantPermissionsActivity (has extras)}} from uid {UID}"),
        )
    }

    fn dialog(mut self, t: f64, group: &str, answer: &str, kind: DialogKind) -> Self {
        let step = self.run.steps.len().saturating_sub(1);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.run.dialogs.push(DialogEvent {
            t_ms: (t * 1000.0) as u64,
            kind,
            step: Some(step),
            package: PKG.into(),
            permission: (kind == DialogKind::Permission).then(|| group.to_string()),
            message: None,
            answer: answer.into(),
            by: "onDialog".into(),
            user_triggered: false,
            screenshot: None,
            tree: None,
        });
        self
    }

    /// An appops dump taken at run time `t` listing `(op, kind, state,
    /// seconds)` entries, with the device's clock `skew_s` seconds off.
    fn appops(
        self,
        t: f64,
        reason: &str,
        entries: &[(&str, &str, &str, f64)],
        skew_s: f64,
    ) -> Self {
        let mut text = format!(
            "Current AppOps Service state:\n  Uid u0a102:\n    state=top\n    Package {PKG}:\n"
        );
        for (op, kind, state, when) in entries {
            let ago = ((t - when) * 1000.0).round();
            #[allow(clippy::cast_possible_truncation)]
            let stamp = format!("2026-{}", at(when + skew_s));
            let sep = if *kind == "Reject" { "" } else { " " };
            text.push_str(&format!(
                "      {op} (allow):\n        null=[\n          {kind}: [{state}-s]{sep}{stamp} (-{}ms)\n        ]\n",
                ago as i64
            ));
        }
        self.snapshot(t, "appops", reason, text)
    }

    fn snapshot(mut self, t: f64, kind: &str, reason: &str, text: String) -> Self {
        let n = self.snapshots.len() + 1;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.snapshots.push((
            SnapshotRecord {
                t_ms: (t * 1000.0) as u64,
                step: None,
                kind: kind.into(),
                reason: reason.into(),
                command: format!("dumpsys {kind}"),
                file: format!("snapshots/{n:03}-{kind}.txt"),
            },
            text,
        ));
        self
    }

    fn exit_info(self, t: f64, records: &[(f64, u32, &str)]) -> Self {
        let mut text = "ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)\n  package: com.example.app\n".to_string();
        for (i, (when, reason, name)) in records.iter().enumerate() {
            text.push_str(&format!(
                "    ApplicationExitInfo #{i}:\n      timestamp=2026-{} pid=3100 realUid={UID} packageUid={UID} definingUid={UID} user=0\n      process={PKG} reason={reason} ({name}) subreason=0 status=0\n      importance=100 pss=0B rss=0B description=null state=empty trace=null\n",
                at(*when)
            ));
        }
        self.snapshot(t, "exit-info", "end", text)
    }

    /// A dump kept at `t`: the app's screen with these nodes
    /// `(text, class, clickable, checkable, checked)`.
    fn screen(mut self, t: f64, reason: &str, nodes: &[(&str, &str, bool, bool, bool)]) -> Self {
        let mut xml = String::from(
            "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">",
        );
        xml.push_str(&format!("<node index=\"0\" text=\"\" resource-id=\"\" class=\"android.widget.FrameLayout\" package=\"{PKG}\" content-desc=\"\" checkable=\"false\" checked=\"false\" clickable=\"false\" enabled=\"true\" focusable=\"false\" focused=\"false\" scrollable=\"false\" long-clickable=\"false\" password=\"false\" selected=\"false\" bounds=\"[0,0][1080,2400]\">"));
        for (i, (text, class, click, checkable, checked)) in nodes.iter().enumerate() {
            let y = 200 + i * 200;
            xml.push_str(&format!("<node index=\"{i}\" text=\"{text}\" resource-id=\"{PKG}:id/n{i}\" class=\"{class}\" package=\"{PKG}\" content-desc=\"\" checkable=\"{checkable}\" checked=\"{checked}\" clickable=\"{click}\" enabled=\"true\" focusable=\"{click}\" focused=\"false\" scrollable=\"false\" long-clickable=\"false\" password=\"false\" selected=\"false\" bounds=\"[48,{y}][1032,{}]\" />", y + 140));
        }
        xml.push_str("</node></hierarchy>");
        let rel = format!("screens/{:03}-{reason}.xml", self.trees.len() + 1);
        self.trees.insert(rel.clone(), xml);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.run.artifacts.push(Artifact {
            t_ms: (t * 1000.0) as u64,
            step: None,
            kind: "ui-tree".into(),
            reason: reason.into(),
            file: rel,
            screen: None,
        });
        self
    }

    fn explore(
        mut self,
        t0: f64,
        t1: f64,
        goal: &str,
        found: Option<(&str, u32, Option<bool>)>,
        stopped: &str,
        texts: &[&str],
    ) -> Self {
        self = self.step(t0, t1, "explore", "explore");
        let step = self.run.steps.len() - 1;
        let e = serde_json::json!({
            "step": step, "goal": goal, "find": "", "found": found.is_some(),
            "depth": found.map(|f| f.1), "target": found.map(|f| f.0),
            "target_checked": found.and_then(|f| f.2),
            "path": [], "taps": 3, "tapped": [], "stopped": stopped, "duration_ms": 1000,
            "screens": [{"fingerprint": "f", "depth": 0, "texts": texts}],
        });
        let e: Exploration = serde_json::from_value(e).unwrap();
        self.run.explorations.push(e);
        self
    }

    fn build(self) -> Analysed {
        let log_text = self.log.join("\n");
        let log = logcat::parse(&log_text)
            .entries
            .into_iter()
            .filter_map(|e| match e {
                logcat::Entry::Record(r) => Some(r),
                _ => None,
            })
            .collect();
        let mut run = self.run;
        let snapshots = self
            .snapshots
            .into_iter()
            .map(|(rec, text)| {
                let data = match rec.kind.as_str() {
                    "appops" => SnapshotData::AppOps(appops::parse(&text)),
                    "package" => SnapshotData::Package(package::parse(&text)),
                    "exit-info" => SnapshotData::ExitInfo(exit_info::parse(&text)),
                    _ => SnapshotData::Other,
                };
                run.snapshots.push(rec.clone());
                Snapshot { record: rec, data }
            })
            .collect();
        let trees = self
            .trees
            .into_iter()
            .map(|(k, v)| (k, uiautomator::parse(&v).unwrap()))
            .collect();
        Analysed::new(LoadedRun {
            dir: PathBuf::from(&self.name),
            name: self.name,
            run,
            log,
            snapshots,
            trees,
            missing: Vec::new(),
            capture: self.capture.map(Ok),
        })
    }
}

fn ctx(app_type: Option<&str>) -> Context {
    let types = AppTypes::builtin();
    let t = app_type.map(|n| types.get(n).cloned().unwrap());
    Context::new(Arc::new(crate::screen::Wording::builtin()), t).unwrap()
}

fn verdict_of(
    runs: Vec<Analysed>,
    c: Category,
    app_type: Option<&str>,
) -> (Verdict, String, Vec<String>) {
    let cx = ctx(app_type);
    let outcomes = judge(&runs, &cx);
    let v = verdict::decide(PKG, app_type, vec![], &outcomes);
    let cv = v.get(c).unwrap();
    (
        cv.verdict,
        cv.summary.clone(),
        cv.findings.iter().map(|f| f.rule.clone()).collect(),
    )
}

const CONSENT: &[(&str, &str, bool, bool, bool)] = &[
    (
        "Privacy Policy",
        "android.widget.TextView",
        false,
        false,
        false,
    ),
    (
        "We collect your location to show local news.",
        "android.widget.TextView",
        false,
        false,
        false,
    ),
    ("Agree", "android.widget.Button", true, false, false),
    ("Disagree", "android.widget.Button", true, false, false),
];

const HOME: &[(&str, &str, bool, bool, bool)] = &[
    (
        "Top stories",
        "android.widget.TextView",
        false,
        false,
        false,
    ),
    ("Settings", "android.widget.Button", true, false, false),
];

/// Launch, consent prompt at 2 s, "Agree" tapped at 3 s.
fn agreeing(pass: &str, checks: &[Category]) -> B {
    B::new(pass, checks)
        .launch(0.0)
        .screen(1.0, "mark-first-screen", CONSENT)
        .mark(2.0, "consent-shown")
        .screen(2.0, "mark-consent-shown", CONSENT)
        .step(3.0, 3.2, "tapOn", "tapOn role agree")
        .mark(3.3, "consented")
        .screen(3.3, "mark-consented", HOME)
}

#[test]
fn every_rule_id_the_detectors_raise_is_in_the_data() {
    let book = RuleBook::builtin().unwrap();
    let ids: Vec<&str> = book.ids().collect();
    let sources = include_str!("consent.rs").to_string()
        + include_str!("scope.rs")
        + include_str!("push.rs")
        + include_str!("denial.rs")
        + include_str!("requests.rs")
        + include_str!("deletion.rs");
    let mut used = 0;
    for part in sources.split('"').skip(1).step_by(2) {
        let is_id = part.split_once('.').is_some_and(|(a, b)| {
            ["cbc", "cbs", "share", "push", "deny", "freq", "exc", "del"].contains(&a)
                && !b.is_empty()
                && b.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        });
        if is_id {
            used += 1;
            assert!(
                ids.contains(&part),
                "rule `{part}` is raised but not in rules.yaml"
            );
        }
    }
    assert!(used >= 20, "found only {used} rule ids in the detectors");
    for id in &ids {
        let f = book.finding(id, "granted", String::new(), vec![]);
        assert!(
            Category::from_id(&f.category).is_some(),
            "{id}: bad category"
        );
        assert!(!f.sources.is_empty() && !f.term_zh.is_empty(), "{id}");
        assert!(
            f.sources.iter().all(|s| !s.starts_with(char::is_numeric)),
            "{id}: unresolved source {:?}",
            f.sources
        );
    }
}

#[test]
fn collection_before_the_consent_tap_is_a_violation() {
    let c = Category::CollectBeforeConsent;
    let run = agreeing("granted", &[c])
        .line(0.3, 1001, "TelephonyPermissions", &format!("reportAccessDeniedToReadIdentifiers:{PKG}:getDeviceId:isPreinstalled=false:isPrivApp=false"))
        .appops(2.0, "mark-consent-shown", &[("FINE_LOCATION", "Access", "top", 0.3)], 0.0)
        .build();
    let (v, summary, rules) = verdict_of(vec![run], c, None);
    assert_eq!(v, Verdict::Violation, "{summary}");
    assert_eq!(rules, ["cbc.before-consent"]);
    assert!(
        summary.contains("FINE_LOCATION") && summary.contains("device-identifier"),
        "{summary}"
    );
}

#[test]
fn timing_noise_in_placing_a_dump_does_not_move_an_access_across_the_tap() {
    let c = Category::CollectBeforeConsent;
    // The dump ran at 3.364 s but is placed at 3.3 s (a slow host, times a
    // time scale): its ages alone would put the access 64 ms before the
    // tap at 3.0 s, its wall-clock stamp puts it at the tap. In the same
    // zone or 8 hours apart, the stamp wins.
    for zone in [0.0, 8.0 * 3600.0] {
        let mut b = agreeing("granted", &[c]).appops(
            3.364,
            "mark-consented",
            &[("FINE_LOCATION", "Access", "top", 3.0)],
            zone,
        );
        b.snapshots.last_mut().unwrap().0.t_ms = 3300;
        let (v, summary, _) = verdict_of(vec![b.build()], c, None);
        assert_eq!(v, Verdict::Pass, "zone {zone}: {summary}");
    }
    // A real lead of a second before the tap is still before it.
    let mut b = agreeing("granted", &[c]).appops(
        3.364,
        "mark-consented",
        &[("FINE_LOCATION", "Access", "top", 2.0)],
        0.0,
    );
    b.snapshots.last_mut().unwrap().0.t_ms = 3300;
    assert_eq!(verdict_of(vec![b.build()], c, None).0, Verdict::Violation);
}

#[test]
fn an_access_at_the_consent_tap_itself_is_after_it() {
    let c = Category::CollectBeforeConsent;
    // The tap starts at 3.0 s; the app reacts at 3.0 s exactly and after.
    let run = agreeing("granted", &[c])
        .request(3.0)
        .appops(
            3.3,
            "mark-consented",
            &[("FINE_LOCATION", "Access", "top", 3.0)],
            0.0,
        )
        .build();
    let (v, summary, _) = verdict_of(vec![run], c, None);
    assert_eq!(v, Verdict::Pass, "{summary}");
    // One millisecond earlier is before consent.
    let run = agreeing("granted", &[c])
        .appops(
            3.3,
            "mark-consented",
            &[("FINE_LOCATION", "Access", "top", 2.999)],
            0.0,
        )
        .build();
    assert_eq!(verdict_of(vec![run], c, None).0, Verdict::Violation);
}

#[test]
fn app_op_times_are_placed_by_their_age_when_the_clocks_disagree() {
    let c = Category::CollectBeforeConsent;
    // The appops clock is 8 hours ahead of logcat's (another time zone):
    // by its wall-clock stamp the access would be long after the tap, by
    // its age at the dump it is at 0.3 s, before.
    let run = agreeing("granted", &[c])
        .appops(
            3.3,
            "mark-consented",
            &[("READ_PHONE_STATE", "Access", "top", 0.3)],
            8.0 * 3600.0,
        )
        .build();
    assert_eq!(verdict_of(vec![run], c, None).0, Verdict::Violation);
    // And an access after the tap stays after it, skew or not.
    let run = agreeing("granted", &[c])
        .appops(
            5.0,
            "end",
            &[("READ_PHONE_STATE", "Access", "top", 4.0)],
            -3600.0,
        )
        .build();
    assert_eq!(verdict_of(vec![run], c, None).0, Verdict::Pass);
}

#[test]
fn a_pre_ticked_consent_box_is_a_violation() {
    let c = Category::CollectBeforeConsent;
    let run = B::new("granted", &[c])
        .launch(0.0)
        .screen(
            1.0,
            "mark-first-screen",
            &[
                (
                    "Privacy Policy",
                    "android.widget.TextView",
                    false,
                    false,
                    false,
                ),
                (
                    "I have read and agree to the Privacy Policy",
                    "android.widget.CheckBox",
                    true,
                    true,
                    true,
                ),
                ("Continue", "android.widget.Button", true, false, false),
            ],
        )
        .mark(1.5, "cold-start-end")
        .build();
    let (v, summary, rules) = verdict_of(vec![run], c, None);
    assert_eq!(v, Verdict::Violation, "{summary}");
    assert_eq!(rules, ["cbc.pre-checked"]);
}

#[test]
fn no_prompt_without_collection_passes_and_a_loading_screen_is_inconclusive() {
    let c = Category::CollectBeforeConsent;
    let run = B::new("granted", &[c])
        .launch(0.0)
        .request(0.2)
        .screen(1.0, "mark-first-screen", HOME)
        .mark(1.0, "first-screen")
        .build();
    assert_eq!(verdict_of(vec![run], c, None).0, Verdict::Pass);
    let run = B::new("granted", &[c])
        .launch(0.0)
        .screen(
            1.0,
            "mark-first-screen",
            &[("", "android.widget.ProgressBar", false, false, false)],
        )
        .mark(1.0, "first-screen")
        .build();
    let (v, summary, _) = verdict_of(vec![run], c, None);
    assert_eq!(v, Verdict::Inconclusive, "{summary}");
    assert!(summary.contains("loading"), "{summary}");
    // Collection with no prompt at all is a violation.
    let run = B::new("granted", &[c])
        .launch(0.0)
        .screen(1.0, "mark-first-screen", HOME)
        .mark(1.0, "first-screen")
        .appops(
            1.0,
            "mark-first-screen",
            &[("FINE_LOCATION", "Access", "top", 0.5)],
            0.0,
        )
        .build();
    assert_eq!(verdict_of(vec![run], c, None).2, ["cbc.no-prompt"]);
}

#[test]
fn an_sdk_process_before_consent_is_sharing() {
    let c = Category::ShareWithoutConsent;
    let sdk = format!(
        "Start proc 3200:{PKG}:pushcore/u0a102 for service {{{PKG}/{PKG}.jpush.PushService}}"
    );
    let early = agreeing("granted", &[c])
        .sys(0.4, "ActivityManager", &sdk)
        .build();
    let (v, summary, _) = verdict_of(vec![early], c, None);
    assert_eq!(v, Verdict::Violation, "{summary}");
    let late = agreeing("granted", &[c])
        .sys(3.1, "ActivityManager", &sdk)
        .build();
    let (v, summary, _) = verdict_of(vec![late], c, None);
    assert_eq!(v, Verdict::Pass, "{summary}");
    assert!(
        summary.contains("network"),
        "a pass names what it cannot see: {summary}"
    );
}

#[test]
fn a_third_party_sdk_server_contacted_before_consent_is_sharing() {
    use crate::net::ContactKind::{DnsAnswer, DnsQuery, TlsSni};
    let c = Category::ShareWithoutConsent;
    let early = agreeing("granted", &[c])
        .contact(0.5, DnsQuery, "ulogs.umeng.com")
        .contact(0.55, DnsAnswer, "ulogs.umeng.com")
        .contact(0.6, TlsSni, "ulogs.umeng.com")
        .contact(0.7, TlsSni, "api.example.com")
        .build();
    let cx = ctx(None);
    let outcomes = judge(&[early], &cx);
    let v = verdict::decide(PKG, None, vec![], &outcomes);
    let cv = v.get(c).unwrap();
    assert_eq!(cv.verdict, Verdict::Violation, "{}", cv.summary);
    let f = &cv.findings[0];
    assert_eq!(f.rule, "share.network-before-consent");
    assert!(f.summary.contains("ulogs.umeng.com"), "{}", f.summary);
    assert!(!f.summary.contains("api.example.com"), "{}", f.summary);
    // The query and the server name; the answer repeats the query.
    assert_eq!(f.evidence.len(), 2, "{:?}", f.evidence);
    assert_eq!(f.evidence[0].file.as_deref(), Some("network.pcap"));
    assert_eq!(f.evidence[0].line, Some(1));
    assert!(
        f.evidence[1]
            .quote
            .as_deref()
            .is_some_and(|q| q.contains("ulogs.umeng.com") && q.contains("UTC")),
        "{:?}",
        f.evidence[1]
    );
    assert!(
        cv.not_covered.iter().any(|n| n.contains("QUIC")),
        "{:?}",
        cv.not_covered
    );
    // After "Agree" (3.3 s): a note, not a finding.
    let late = agreeing("granted", &[c])
        .contact(3.5, TlsSni, "stats.jpush.cn")
        .build();
    let outcomes = judge(&[late], &cx);
    let v = verdict::decide(PKG, None, vec![], &outcomes);
    let cv = v.get(c).unwrap();
    assert_eq!(cv.verdict, Verdict::Pass, "{}", cv.summary);
    assert!(
        cv.notes
            .iter()
            .any(|n| n.contains("stats.jpush.cn") && n.contains("after consent")),
        "{:?}",
        cv.notes
    );
    // Without a capture the verdict says the network was not observed.
    let none = agreeing("granted", &[c]).build();
    let (v, summary, _) = verdict_of(vec![none], c, None);
    assert_eq!(v, Verdict::Pass);
    assert!(summary.contains("network was not observed"), "{summary}");
}

#[test]
fn a_contact_after_the_refusal_is_sharing_too() {
    use crate::net::ContactKind::HttpHost;
    let c = Category::ShareWithoutConsent;
    let refused = B::new("granted", &[c])
        .launch(0.0)
        .screen(1.0, "mark-first-screen", CONSENT)
        .mark(2.0, "consent-shown")
        .screen(2.0, "mark-consent-shown", CONSENT)
        .step(3.0, 3.2, "tapOn", "tapOn role refuse")
        .mark(3.3, "consent-refused")
        .screen(3.3, "mark-consent-refused", HOME)
        .contact(5.0, HttpHost, "alog.umeng.com")
        .build();
    let (v, summary, rules) = verdict_of(vec![refused], c, None);
    assert_eq!(v, Verdict::Violation, "{summary}");
    assert_eq!(rules, vec!["share.network-after-refusal".to_string()]);
}

#[test]
fn quitting_after_a_denial_but_not_after_a_revoke_kill() {
    let c = Category::RefuseServiceOnDenial;
    let denied = |b: B| {
        b.launch(0.0)
            .request(0.5)
            .dialog(0.8, "CAMERA", "deny", DialogKind::Permission)
            .step(1.0, 5.0, "idle", "idle 4s")
    };
    // EXIT_SELF right after the denial.
    let run = denied(B::new("denied", &[c]))
        .mark(0.1, "first-screen")
        .mark(5.0, "end")
        .exit_info(5.0, &[(1.2, 1, "EXIT_SELF")])
        .build();
    let (v, summary, rules) = verdict_of(vec![run], c, Some("utilities"));
    assert_eq!(v, Verdict::Violation, "{summary}");
    assert_eq!(rules, ["deny.quit-after-permission"]);
    // Reason 8 (PERMISSION CHANGE) is the system's kill after pm revoke.
    let run = denied(B::new("denied", &[c]))
        .mark(0.1, "first-screen")
        .mark(5.0, "end")
        .exit_info(5.0, &[(1.2, 8, "PERMISSION CHANGE")])
        .build();
    assert_eq!(verdict_of(vec![run], c, Some("utilities")).0, Verdict::Pass);
    // Old releases have no exit-info: logcat's death line tells.
    let run = denied(B::new("denied", &[c]))
        .mark(0.1, "first-screen")
        .sys(
            1.3,
            "ActivityManager",
            &format!("Process {PKG} (pid 3100) has died: fg TOP"),
        )
        .mark(5.0, "end")
        .build();
    assert_eq!(
        verdict_of(vec![run], c, Some("utilities")).0,
        Verdict::Violation
    );
    // With the type unknown, whether the permission was needed is open.
    let run = denied(B::new("denied", &[c]))
        .mark(0.1, "first-screen")
        .mark(5.0, "end")
        .exit_info(5.0, &[(1.2, 1, "EXIT_SELF")])
        .build();
    let (v, summary, _) = verdict_of(vec![run], c, None);
    assert_eq!(v, Verdict::Inconclusive, "{summary}");
    assert!(summary.contains("app type"), "{summary}");
    // Nothing refused: nothing to judge.
    let run = B::new("denied", &[c])
        .launch(0.0)
        .mark(0.1, "first-screen")
        .build();
    assert_eq!(
        verdict_of(vec![run], c, Some("utilities")).0,
        Verdict::Inconclusive
    );
}

#[test]
fn quitting_after_the_policy_is_refused_depends_on_the_type() {
    let c = Category::RefuseServiceOnDenial;
    let refusing = || {
        B::new("granted", &[c])
            .launch(0.0)
            .mark(2.0, "consent-shown")
            .screen(2.0, "mark-consent-shown", CONSENT)
            .step(3.0, 3.2, "tapOn", "tapOn role refuse")
            .mark(3.3, "consent-refused")
            .step(3.4, 8.0, "idle", "idle")
            .mark(8.0, "end")
            .exit_info(8.0, &[(3.5, 1, "EXIT_SELF")])
            .build()
    };
    assert_eq!(
        verdict_of(vec![refusing()], c, Some("utilities")).0,
        Verdict::Violation
    );
    assert_eq!(
        verdict_of(vec![refusing()], c, Some("online-shopping")).0,
        Verdict::Pass
    );
    assert_eq!(
        verdict_of(vec![refusing()], c, None).0,
        Verdict::Inconclusive
    );
}

#[test]
fn asking_again_in_the_session_or_at_every_cold_start() {
    let c = Category::FrequentPermissionRequests;
    // Asked on "Take photo", denied; asked again after "Discover".
    let run = B::new("denied", &[c])
        .launch(0.0)
        .mark(0.5, "first-screen")
        .step(1.0, 1.5, "tapOn", "tapOn text \"Take photo\"")
        .request(1.2)
        .dialog(1.3, "CAMERA", "deny", DialogKind::Permission)
        .step(2.0, 2.5, "tapOn", "tapOn text \"Discover\"")
        .request(2.2)
        .dialog(2.3, "CAMERA", "deny", DialogKind::Permission)
        .launch(4.0)
        .mark(5.0, "relaunched")
        .build();
    let (v, summary, rules) = verdict_of(vec![run], c, None);
    assert_eq!(v, Verdict::Violation, "{summary}");
    assert!(rules.contains(&"freq.in-session".to_string()), "{rules:?}");
    // Asking up front at every cold start is the up-front request (judged
    // as excessive), not asking again because of the denial.
    let run = B::new("denied", &[c])
        .launch(0.0)
        .request(0.3)
        .dialog(0.4, "LOCATION", "deny", DialogKind::Permission)
        .mark(1.0, "first-screen")
        .launch(4.0)
        .request(4.3)
        .dialog(4.4, "LOCATION", "deny", DialogKind::Permission)
        .mark(5.0, "relaunched")
        .build();
    let (v, summary, _) = verdict_of(vec![run], c, None);
    assert_eq!(v, Verdict::Pass, "{summary}");
    // The user asking for the feature again is not the app asking.
    let run = B::new("denied", &[c])
        .launch(0.0)
        .mark(0.5, "first-screen")
        .step(1.0, 1.5, "tapOn", "tapOn text \"Scan\"")
        .request(1.2)
        .dialog(1.3, "CAMERA", "deny", DialogKind::Permission)
        .step(2.0, 2.5, "tapOn", "tapOn text \"Scan\"")
        .request(2.2)
        .launch(4.0)
        .mark(5.0, "relaunched")
        .build();
    assert_eq!(verdict_of(vec![run], c, None).0, Verdict::Pass);
}

#[test]
fn requests_at_cold_start_and_of_low_relevance() {
    let c = Category::ExcessivePermissionRequests;
    let run = B::new("denied", &[c])
        .launch(0.0)
        .request(0.3)
        .dialog(0.4, "LOCATION", "deny", DialogKind::Permission)
        .dialog(0.5, "CONTACTS", "deny", DialogKind::Permission)
        .mark(1.0, "first-screen")
        .build();
    let (v, summary, rules) = verdict_of(vec![run], c, Some("utilities"));
    assert_eq!(v, Verdict::Violation, "{summary}");
    assert!(
        rules.contains(&"exc.cold-start".to_string())
            && rules.contains(&"exc.low-relevance".to_string()),
        "{rules:?}"
    );
    // On a feature's tap, of a relevant group: fine; unknown type: open.
    let feature = || {
        B::new("denied", &[c])
            .launch(0.0)
            .mark(0.5, "first-screen")
            .step(1.0, 1.5, "tapOn", "tapOn text \"Scan\"")
            .request(1.2)
            .dialog(1.3, "CAMERA", "deny", DialogKind::Permission)
            .build()
    };
    assert_eq!(
        verdict_of(vec![feature()], c, Some("utilities")).0,
        Verdict::Pass
    );
    let (v, summary, _) = verdict_of(vec![feature()], c, None);
    assert_eq!(v, Verdict::Inconclusive, "{summary}");
    assert!(summary.contains("unknown"), "{summary}");
}

#[test]
fn background_access_is_beyond_scope() {
    let c = Category::CollectBeyondScope;
    let with = |state: &str| {
        agreeing("granted", &[c])
            .step(4.0, 4.1, "pressKey", "pressKey HOME")
            .mark(4.2, "background")
            .mark(20.0, "background-end")
            .appops(
                20.0,
                "mark-background-end",
                &[("FINE_LOCATION", "Access", state, 15.0)],
                0.0,
            )
            .build()
    };
    let (v, summary, _) = verdict_of(vec![with("bg")], c, Some("utilities"));
    assert_eq!(v, Verdict::Violation, "{summary}");
    // In the foreground, named in the privacy text: in scope.
    assert_eq!(
        verdict_of(vec![with("top")], c, Some("news")).0,
        Verdict::Pass
    );
    // Without a background phase the rule cannot say.
    let run = agreeing("granted", &[c]).build();
    assert_eq!(
        verdict_of(vec![run], c, Some("news")).0,
        Verdict::Inconclusive
    );
}

#[test]
fn personalisation_claims_and_switches() {
    let c = Category::ForcedTargetedPush;
    let claim = &[
        (
            "We use your reading history for personalised recommendations.",
            "android.widget.TextView",
            false,
            false,
            false,
        ),
        ("Agree", "android.widget.Button", true, false, false),
    ];
    let no_switch = |stopped: &str| {
        B::new("granted", &[c])
            .launch(0.0)
            .screen(1.0, "mark-first-screen", claim)
            .mark(1.0, "first-screen")
            .explore(
                2.0,
                9.0,
                "personalisation-switch",
                None,
                stopped,
                &["Settings", "Font size"],
            )
            .build()
    };
    assert_eq!(
        verdict_of(vec![no_switch("exhausted")], c, None).2,
        ["push.no-switch"]
    );
    assert_eq!(
        verdict_of(vec![no_switch("max-taps")], c, None).0,
        Verdict::Warning
    );
    let found = B::new("granted", &[c])
        .launch(0.0)
        .mark(1.0, "first-screen")
        .explore(
            2.0,
            9.0,
            "personalisation-switch",
            Some(("Personalised ads", 2, Some(true))),
            "found",
            &["Personalised ads"],
        )
        .mark(9.5, "switch-off")
        .explore(
            12.0,
            19.0,
            "personalisation-switch",
            Some(("Personalised ads", 2, Some(true))),
            "found",
            &["Personalised ads"],
        )
        .build();
    assert_eq!(verdict_of(vec![found], c, None).2, ["push.switch-reverts"]);
    // No claim, the whole app seen: nothing to offer a way out of.
    let quiet = B::new("granted", &[c])
        .launch(0.0)
        .explore(
            2.0,
            9.0,
            "personalisation-switch",
            None,
            "exhausted",
            &["Calculator"],
        )
        .mark(9.5, "done")
        .build();
    assert_eq!(verdict_of(vec![quiet], c, None).0, Verdict::Pass);
}

#[test]
fn account_deletion_entry_conditions_and_apps_without_accounts() {
    let c = Category::AccountDeletionObstacles;
    let deep = B::new("granted", &[c])
        .launch(0.0)
        .mark(0.5, "first-screen")
        .explore(1.0, 9.0, "deletion-entry", Some(("Account cancellation", 5, None)), "found", &["Account cancellation"])
        .explore(10.0, 12.0, "crawl", None, "exhausted", &["To delete your account, upload a photo of your ID card. Processing takes 15-30 working days."])
        .build();
    let (v, summary, rules) = verdict_of(vec![deep], c, None);
    assert_eq!(v, Verdict::Violation, "{summary}");
    for r in ["del.depth", "del.condition", "del.period"] {
        assert!(rules.contains(&r.to_string()), "{r} missing from {rules:?}");
    }
    let none = |texts: &[&str]| {
        B::new("granted", &[c])
            .launch(0.0)
            .mark(0.5, "first-screen")
            .explore(1.0, 9.0, "deletion-entry", None, "exhausted", texts)
            .build()
    };
    assert_eq!(
        verdict_of(vec![none(&["Timeline", "Log out"])], c, None).2,
        ["del.no-entry"]
    );
    // No account anywhere: nothing to delete, not a violation.
    let (v, summary, _) = verdict_of(vec![none(&["Calculator", "Settings"])], c, None);
    assert_eq!(v, Verdict::Pass, "{summary}");
    // Stopped by the bounds: inconclusive.
    let run = B::new("granted", &[c])
        .launch(0.0)
        .explore(1.0, 9.0, "deletion-entry", None, "max-depth", &["Log in"])
        .build();
    assert_eq!(verdict_of(vec![run], c, None).0, Verdict::Inconclusive);
}
