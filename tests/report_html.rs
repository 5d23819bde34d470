//! The HTML report in a real browser: a report built by hand with hostile
//! app text (a finding's summary and quote, a tag), a run directory on
//! disk with a screenshot and a logcat so the thumbnail and excerpt paths
//! are exercised, written by `report::write_all` and opened in Debian's
//! headless Chromium (installed by `make setup`). The dumped DOM must hold
//! the matrix with its rows, cells and verdict classes, the unchanged
//! title (no script ran) and the hostile text as text; the screenshot
//! must show the violation colour painted.
//!
//! `REPORT_HTML_KEEP=DIR` copies the page and Chromium's screenshot of it
//! to DIR, to look at.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use consentry::detect::{Finding, Pointer, Severity};
use consentry::report::{
    self, AppEntry, AppResult, AppStatus, Attempt, AttemptEnd, DeviceEntry, Format, Report, RunInfo,
};
use consentry::verdict::{AppVerdicts, CategoryVerdict, PassVerdict, RunRef, Verdict};

const RUN_ID: &str = "20261202-051500-f00d42";
const TITLE: &str = "consentry report 20261202-051500-f00d42";
const SCRIPT: &str = "<script>document.title='pwned'</script>";
const IMG: &str = "\"><img src=x onerror=\"document.title='pwned'\">";
const PKG: &str = "com.example.eagerfeed";
const RUN: &str = "G-1-consent-refusal";
const SHOT: &str = "screens/007-mark-first-screen.png";
/// The violation colour of the template's CSS (`.v-violation`).
const VIOLATION_RGB: [u8; 3] = [0xd9, 0x30, 0x2c];
const PASS_RGB: [u8; 3] = [0x2e, 0x9e, 0x4f];
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

fn cv(category: &str, verdict: Verdict, summary: &str, findings: Vec<Finding>) -> CategoryVerdict {
    CategoryVerdict {
        category: category.into(),
        title: consentry::category::Category::from_id(category)
            .unwrap()
            .title()
            .into(),
        verdict,
        summary: summary.into(),
        findings,
        passes: vec![PassVerdict {
            pass: "granted".into(),
            verdict: Some(verdict),
            why: summary.into(),
        }],
        not_covered: Vec::new(),
        notes: Vec::new(),
    }
}

fn entry(
    package: &str,
    status: AppStatus,
    attempts: Vec<Attempt>,
    categories: Option<Vec<CategoryVerdict>>,
) -> AppEntry {
    let runs_dir = attempts.last().map(|a| format!("attempt-{}", a.number));
    AppEntry {
        result: AppResult {
            version: report::VERSION,
            package: package.into(),
            app_type: Some("news".into()),
            tags: Vec::new(),
            status,
            retried: attempts.len() > 1,
            attempts,
            problems: Vec::new(),
        },
        dir: format!("apps/{package}"),
        runs_dir,
        verdicts: categories.map(|categories| AppVerdicts {
            version: 1,
            tool: "consentry 0.1.0".into(),
            package: package.into(),
            app_type: Some("news".into()),
            runs: vec![RunRef {
                run: RUN.into(),
                scenario: "consent-refusal".into(),
                pass: "granted".into(),
                status: "passed".into(),
            }],
            categories,
        }),
    }
}

fn attempt(number: u32, end: AttemptEnd) -> Attempt {
    Attempt {
        number,
        device: "emulator-5554".into(),
        started: "2026-12-02T05:15:00Z".into(),
        finished: "2026-12-02T05:19:00Z".into(),
        end,
        detail: (end == AttemptEnd::DeviceLost).then(|| "emulator-5554 went offline".into()),
        reset: None,
    }
}

/// Three apps × three categories: violation, warning, inconclusive; pass,
/// pass, error; not run.
fn build_report() -> Report {
    let finding = Finding {
        category: "collect-before-consent".into(),
        severity: Severity::Statutory,
        rule: "cbc.before-consent".into(),
        rule_text:
            "personal information was collected before the user agreed to the privacy policy".into(),
        term_zh: "征得用户同意前就开始收集个人信息".into(),
        sources: vec!["工信部信管函〔2019〕337号 item 1 (私自收集个人信息)".into()],
        summary: format!("before consent the app read the IMEI {SCRIPT}"),
        pass: "granted".into(),
        evidence: vec![
            Pointer {
                run: RUN.into(),
                step: Some(1),
                t_ms: Some(1_500),
                file: Some("logcat.txt".into()),
                line: Some(6),
                quote: Some(format!("TelephonyPermissions: getDeviceId {IMG}")),
            },
            Pointer {
                run: RUN.into(),
                step: Some(1),
                t_ms: Some(1_600),
                file: Some(SHOT.into()),
                line: None,
                quote: None,
            },
        ],
    };
    let mut bad = entry(
        PKG,
        AppStatus::Judged,
        vec![
            attempt(1, AttemptEnd::DeviceLost),
            attempt(2, AttemptEnd::Judged),
        ],
        Some(vec![
            cv(
                "collect-before-consent",
                Verdict::Violation,
                &format!("read before consent {SCRIPT}"),
                vec![finding],
            ),
            cv(
                "forced-targeted-push",
                Verdict::Warning,
                "the switch is 5 taps deep",
                vec![],
            ),
            cv(
                "account-deletion-obstacles",
                Verdict::Inconclusive,
                "no deletion entry was reached",
                vec![],
            ),
        ]),
    );
    bad.result.tags = vec!["nightly".into(), SCRIPT.into()];
    let good = entry(
        "com.example.tidynotes",
        AppStatus::Judged,
        vec![attempt(1, AttemptEnd::Judged)],
        Some(vec![
            cv(
                "collect-before-consent",
                Verdict::Pass,
                "nothing found",
                vec![],
            ),
            cv(
                "forced-targeted-push",
                Verdict::Pass,
                "nothing found",
                vec![],
            ),
            cv(
                "account-deletion-obstacles",
                Verdict::Error,
                "G-6-deletion: the device went away",
                vec![],
            ),
        ]),
    );
    let later = entry("com.example.later", AppStatus::NotRun, vec![], None);
    let run = RunInfo {
        id: RUN_ID.into(),
        tool: "consentry 0.1.0".into(),
        started: "2026-12-02T05:15:00Z".into(),
        finished: Some("2026-12-02T05:45:00Z".into()),
        resumed: Vec::new(),
        suite: "builtin".into(),
        apps_file: Some("apps.txt".into()),
        shard: Some("2/3".into()),
        planned: vec![
            PKG.into(),
            "com.example.tidynotes".into(),
            "com.example.later".into(),
        ],
        retries: 1,
        timeout_per_app_s: 900,
        interrupted: true,
        merged_from: Vec::new(),
        missing_shards: Vec::new(),
        devices: vec![DeviceEntry {
            serial: "emulator-5554".into(),
            server: "127.0.0.1:5037".into(),
            model: Some("sdk_gphone64_x86_64".into()),
            sdk: Some(34),
            apps: 2,
            lost: 1,
        }],
    };
    Report::new(run, vec![bad, good, later])
}

/// The run directory the violation points into: run.json with a
/// permission dialog and an exploration, logcat.txt, a screenshot.
fn write_evidence(dir: &Path) {
    let run_dir = dir.join("apps").join(PKG).join("attempt-2").join(RUN);
    std::fs::create_dir_all(run_dir.join("screens")).unwrap();
    let shot = image::RgbImage::from_fn(720, 1280, |x, y| {
        if y < 200 {
            image::Rgb([30, 90, 200])
        } else {
            image::Rgb([u8::try_from(x * 255 / 720).unwrap(), 240, 240])
        }
    });
    shot.save(run_dir.join(SHOT)).unwrap();
    let logcat: String = (1..=12)
        .map(|n| {
            if n == 6 {
                format!(
                    "12-02 05:15:01.500  1000  1000 E TelephonyPermissions: getDeviceId {IMG}\n"
                )
            } else {
                format!("12-02 05:15:01.{n:03}  1000  1000 I ActivityManager: line {n}\n")
            }
        })
        .collect();
    std::fs::write(run_dir.join("logcat.txt"), logcat).unwrap();
    let run = serde_json::json!({
        "version": 1,
        "tool": "consentry 0.1.0",
        "scenario": {"file": "consent-refusal.yaml", "name": "consent-refusal", "permissions": "granted"},
        "app": {"package": PKG},
        "device": {"serial": "emulator-5554", "sdk": 34, "model": "sdk_gphone64_x86_64", "emulator": true},
        "started": "2026-12-02T05:16:00Z",
        "duration_ms": 42_000,
        "result": {"status": "passed"},
        "steps": [],
        "marks": [],
        "dialogs": [
            {"t_ms": 2_300, "kind": "permission", "step": 1, "package": PKG, "permission": "LOCATION",
             "answer": "allow", "by": "policy", "user_triggered": false, "screenshot": SHOT},
            {"t_ms": 9_100, "kind": "permission", "step": 4, "package": PKG, "permission": "CAMERA",
             "answer": "deny", "by": "default", "user_triggered": true},
            {"t_ms": 9_900, "kind": "crash", "package": PKG, "answer": "close", "by": "default", "user_triggered": false}
        ],
        "permission_changes": [],
        "snapshots": [],
        "artifacts": [
            {"t_ms": 1_600, "step": 1, "kind": "screenshot", "reason": "mark-first-screen", "file": SHOT}
        ],
        "explorations": [{
            "step": 5, "goal": "deletion-entry", "find": "", "found": true, "depth": 2,
            "target": "注销账号", "path": [
                {"text": "我的", "selector": "text: 我的", "from": "aa"},
                {"text": format!("设置 {SCRIPT}"), "selector": "text: 设置", "from": "bb"}
            ],
            "taps": 4, "tapped": [], "stopped": "found", "duration_ms": 8_000, "screens": []
        }],
        "expectations": [],
        "logcat": {"file": "logcat.txt", "command": "logcat -v threadtime", "lines": 12, "dropped": 0},
        "counters": {"ui_dumps": 3, "dump_retries": 0, "screenshots": 5, "cache_hits": 1, "taps": 4, "taps_retried": 0}
    });
    // The file is a valid run.json, as the engine writes it.
    let _: consentry::evidence::Run = serde_json::from_value(run.clone()).unwrap();
    std::fs::write(
        run_dir.join("run.json"),
        serde_json::to_string_pretty(&run).unwrap(),
    )
    .unwrap();
}

/// Debian's chromium (`CHROMIUM=PATH` names another). Missing, the test
/// fails: it is not skipped.
fn chromium() -> PathBuf {
    const MISSING: &str =
        "chromium is missing: run `make setup` (it installs Debian's chromium for this test)";
    if let Some(p) = std::env::var_os("CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "CHROMIUM={}: no such file; {MISSING}",
            p.display()
        );
        return p;
    }
    let candidates = [PathBuf::from("/usr/bin/chromium")];
    if let Some(p) = candidates.iter().find(|p| p.is_file()) {
        return p.clone();
    }
    if let Some(p) = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|d| d.join("chromium"))
        .find(|p| p.is_file())
    {
        return p;
    }
    panic!("{MISSING}");
}

/// Runs headless Chromium with `args` on `page`, its stdout to a file, and
/// kills it (its whole process group) after [`CHROMIUM_TIMEOUT`].
fn run_chromium(work: &Path, name: &str, extra: &[String], page: &Path) -> String {
    use std::os::unix::process::CommandExt as _;
    let profile = work.join(format!("profile-{name}"));
    std::fs::create_dir_all(&profile).unwrap();
    let out_path = work.join(format!("{name}.out"));
    let err_path = work.join(format!("{name}.err"));
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(std::fs::File::create(&out_path).unwrap())
    .stderr(std::fs::File::create(&err_path).unwrap())
    .process_group(0);
    let mut child = cmd.spawn().expect("chromium did not start");
    let deadline = Instant::now() + CHROMIUM_TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            // The group of the process we started, by its id.
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!(
                "chromium ({name}) did not finish within {CHROMIUM_TIMEOUT:?}; stderr:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "chromium ({name}) failed: {status}; stderr:\n{}",
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    std::fs::read_to_string(&out_path).unwrap()
}

/// The text between `start` (included) and the next `end` (included).
fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let a = s
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in the DOM"));
    let b = s[a..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"))
        + a
        + end.len();
    &s[a..b]
}

fn near(p: image::Rgba<u8>, rgb: [u8; 3]) -> bool {
    p.0[..3].iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 6)
}

#[test]
fn the_report_renders_in_chromium_with_hostile_text_inert() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("batch");
    std::fs::create_dir_all(&dir).unwrap();
    write_evidence(&dir);
    let report = build_report();
    let written = report::write_all(&report, &dir, &[Format::Html]).unwrap();
    let page = dir.join(report::REPORT_HTML);
    assert_eq!(written, vec![page.clone()]);
    let html = std::fs::read_to_string(&page).unwrap();

    // The file itself: self-contained, the thumbnail embedded and linked to
    // the full-size screenshot, the excerpt read from logcat.txt.
    let shot_href = format!("apps/{PKG}/attempt-2/{RUN}/{SHOT}").replace('/', "&#x2f;");
    assert!(
        html.contains("<img src=\"data:image/png;base64,"),
        "no thumbnail"
    );
    assert!(
        html.contains(&format!("<a href=\"{shot_href}\"><img")),
        "the thumbnail links to the file"
    );
    assert!(
        html.contains("width=\"240\" height=\"427\""),
        "downscaled to 240 px wide"
    );
    assert!(
        html.contains("<span class=\"no\">6</span>"),
        "the excerpt shows line 6"
    );
    assert!(
        html.contains("<span class=\"no\">3</span>")
            && html.contains("<span class=\"no\">9</span>")
    );
    assert!(
        !html.contains("<span class=\"no\">10</span>"),
        "three lines of context"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resource"
    );
    assert!(!html.contains(SCRIPT) && !html.contains("<img src=x"));

    let dom = run_chromium(tmp.path(), "dom", &["--dump-dom".into()], &page);
    assert!(dom.contains("<html"), "chromium dumped no DOM:\n{dom}");
    // The title is unchanged: no script ran.
    assert!(
        dom.contains(&format!("<title>{TITLE}</title>")),
        "title changed:\n{}",
        between(&dom, "<head", "</head>")
    );
    assert!(!dom.contains("pwned</title>"));
    // No element came from app text: no script, no injected image.
    assert!(!dom.contains("<script"), "a script element in the DOM");
    assert!(
        !dom.contains("<img src=\"x\""),
        "an injected image in the DOM"
    );
    // The hostile text is there, as text.
    let escaped_script = "&lt;script&gt;document.title='pwned'&lt;/script&gt;";
    assert!(
        dom.contains(&format!("read before consent {escaped_script}")),
        "summary"
    );
    assert!(
        dom.contains(&format!(
            "before consent the app read the IMEI {escaped_script}"
        )),
        "finding"
    );
    assert!(
        dom.contains(&format!("<code>{escaped_script}</code>")),
        "tag"
    );
    assert!(
        dom.contains("TelephonyPermissions: getDeviceId \"&gt;&lt;img src=x onerror=\"document.title='pwned'\"&gt;"),
        "quote"
    );
    assert!(
        dom.contains(&format!("设置 {escaped_script}")),
        "exploration tap"
    );

    // The matrix: 3 rows of 3 cells with their verdict classes.
    let matrix = between(&dom, "<table class=\"matrix\" id=\"matrix\">", "</table>");
    let rows: Vec<&str> = matrix.split("<tr class=\"app-row\"").skip(1).collect();
    assert_eq!(rows.len(), 3, "{matrix}");
    let classes: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| {
            r.split("<td class=\"cell ")
                .skip(1)
                .map(|c| c.split('"').next().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        classes,
        vec![
            vec!["v-violation", "v-warning", "v-inconclusive"],
            vec!["v-pass", "v-pass", "v-error"],
            vec!["v-none", "v-none", "v-none"],
        ]
    );
    assert!(rows[0].contains("href=\"#a0-collect-before-consent\""));
    assert!(rows[0].contains("retried"));
    assert!(
        rows[2].contains("href=\"#a2\""),
        "a not-run cell links to its app"
    );
    assert!(dom.contains("id=\"a0-collect-before-consent\""));
    // The permission timeline and the exploration path.
    let requests = between(&dom, "<table class=\"grid requests\">", "</table>");
    assert_eq!(
        requests.matches("<tr>").count(),
        3,
        "a header and two requests: {requests}"
    );
    assert!(requests.contains("LOCATION") && requests.contains("by the app itself"));
    assert!(requests.contains("CAMERA") && requests.contains("after a user tap"));
    assert!(dom.contains("<ol class=\"path\"><li>我的</li>"));

    // Painted: the violation cell's red and the pass cells' green.
    let shot = tmp.path().join("shot.png");
    run_chromium(
        tmp.path(),
        "shot",
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".into(),
        ],
        &page,
    );
    if let Some(keep) = std::env::var_os("REPORT_HTML_KEEP") {
        // To look at the page: the batch directory and the screenshot.
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&page, keep.join("report.html")).unwrap();
        std::fs::copy(&shot, keep.join("screenshot.png")).unwrap();
    }
    let img = image::open(&shot)
        .expect("chromium wrote no screenshot")
        .to_rgba8();
    let red = img.pixels().filter(|p| near(**p, VIOLATION_RGB)).count();
    let green = img.pixels().filter(|p| near(**p, PASS_RGB)).count();
    // A matrix cell is about 86 × 24 px.
    assert!(red > 1_000, "{red} pixels of the violation colour");
    assert!(green > 2_000, "{green} pixels of the pass colour");
}
