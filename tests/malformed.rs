//! Malformed scenarios: each must make `consentry validate` exit 2 with a
//! diagnostic at the right file:line:col, naming the right key path and
//! saying what is wrong. Each case is checked twice: through `--format json`
//! (exact line, column and key) and through the human output (the
//! `file:line:col` and the key path appear in the message).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

struct Case<'a> {
    /// Files to write; the first is the one validated.
    files: &'a [(&'a str, &'a str)],
    /// The file the error is in, when it is not the first.
    in_file: Option<&'a str>,
    line: u64,
    column: u64,
    /// The key path, or "" for whole-file problems (YAML syntax, empty file).
    key: &'a str,
    /// A fragment of the message.
    message: &'a str,
    /// A fragment of the hint, if one is expected.
    help: Option<&'a str>,
}

fn write_files(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    for (name, text) in files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(&p, text).expect("write case file");
    }
    dir.join(files[0].0)
}

fn consentry() -> Command {
    Command::cargo_bin("consentry").expect("binary built")
}

/// Runs `consentry validate --format json EXTRA... PATH`; exit code and report.
fn validate_json(extra: &[&str], path: &Path) -> (Option<i32>, Value) {
    let out = consentry()
        .args(["validate", "--format", "json"])
        .args(extra)
        .arg(path)
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).expect("json report");
    (out.status.code(), report)
}

fn check(case: &Case<'_>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_files(dir.path(), case.files);
    let shown = case
        .in_file
        .map_or_else(|| path.clone(), |f| dir.path().join(f))
        .display()
        .to_string();

    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(2), "exit code; report: {report}");
    let diags = report["diagnostics"].as_array().expect("diagnostics");
    let found = diags.iter().any(|d| {
        d["severity"] == "error"
            && d["file"] == shown.as_str()
            && d["line"] == case.line
            && d["column"] == case.column
            && d["key"] == case.key
            && d["message"]
                .as_str()
                .is_some_and(|m| m.contains(case.message))
            && case
                .help
                .is_none_or(|h| d["help"].as_str().is_some_and(|got| got.contains(h)))
    });
    assert!(
        found,
        "no error at {}:{}:{} key `{}` with message containing {:?} (help {:?}); got:\n{}",
        shown,
        case.line,
        case.column,
        case.key,
        case.message,
        case.help,
        serde_json::to_string_pretty(diags).unwrap_or_default()
    );

    let human = consentry()
        .args(["validate", "--color", "never"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(human.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&human.stderr);
    let location = format!("{shown}:{}:{}", case.line, case.column);
    assert!(
        stderr.contains(&location),
        "human output lacks {location}:\n{stderr}"
    );
    if !case.key.is_empty() {
        let key = format!("(at `{}`)", case.key);
        assert!(stderr.contains(&key), "human output lacks {key}:\n{stderr}");
    }
    assert!(
        stderr.contains(case.message),
        "human output lacks {:?}:\n{stderr}",
        case.message
    );
}

macro_rules! case {
    ($name:ident, $yaml:expr, $line:expr, $col:expr, $key:expr, $msg:expr) => {
        case!($name, [("case.yaml", $yaml)], None, $line, $col, $key, $msg, None);
    };
    ($name:ident, $yaml:expr, $line:expr, $col:expr, $key:expr, $msg:expr, help: $help:expr) => {
        case!($name, [("case.yaml", $yaml)], None, $line, $col, $key, $msg, Some($help));
    };
    ($name:ident, [$($file:expr),+], $in_file:expr, $line:expr, $col:expr, $key:expr, $msg:expr, $help:expr) => {
        #[test]
        fn $name() {
            check(&Case {
                files: &[$($file),+],
                in_file: $in_file,
                line: $line,
                column: $col,
                key: $key,
                message: $msg,
                help: $help,
            });
        }
    };
}

const H: &str = "appId: com.example.app\n---\n";

// --- YAML syntax and file shape --------------------------------------------

case!(
    yaml_unclosed_flow_map,
    "appId: com.example.app\n---\n- tapOn: {text: Agree\n- back\n",
    5,
    1,
    "",
    "invalid YAML"
);
case!(
    yaml_mapping_in_scalar,
    "appId: com.example.app\nname: a: b\n---\n- back\n",
    2,
    8,
    "",
    "invalid YAML"
);
case!(
    yaml_unclosed_quote,
    "appId: \"com.example.app\n---\n- back\n",
    1,
    8,
    "",
    "invalid YAML"
);
case!(
    yaml_bad_indentation,
    "appId: com.example.app\n---\n- tapOn:\n    text: a\n   id: b\n",
    5,
    6,
    "",
    "invalid YAML"
);
case!(tab_indented_file, "appId: com.example.app\n---\n- tapOn:\n\ttext: Agree\n", 4, 1, "", "tab character", help: "spaces");
// A tab after a list item's `-` is valid YAML 1.2 but not 1.1, so Maestro
// (SnakeYAML) rejects such a file; consentry names the tab.
case!(tab_after_dash, "appId: com.example.app\n---\n-\ttapOn: \"Agree\"\n", 3, 2, "", "tab character after the `-` of a list item", help: "use a space after `-`");
case!(tab_after_dash_in_on_flow_start, "appId: com.example.app\nonFlowStart:\n  - back\n  -\tlaunchApp\n---\n- back\n", 4, 4, "", "tab character after the `-`", help: "use a space after `-`");
case!(tab_after_nested_dash, "appId: com.example.app\n---\n- back\n- -\tback\n", 4, 4, "", "tab character after the `-`", help: "use a space after `-`");
case!(tab_after_dash_and_space, "appId: com.example.app\n---\n- \ttapOn: Agree\n", 3, 3, "", "tab character after the `-`", help: "use a space after `-`");
case!(empty_file, "", 1, 1, "", "empty scenario file");
case!(
    comments_only_file,
    "# nothing here\n",
    1,
    1,
    "",
    "empty scenario file"
);
case!(missing_header, "- launchApp\n- back\n", 1, 1, "", "missing header", help: "appId");
case!(
    missing_command_list,
    "appId: com.example.app\nname: x\n",
    2,
    8,
    "steps",
    "missing command list"
);
case!(
    empty_command_list,
    "appId: com.example.app\n---\n",
    3,
    1,
    "steps",
    "command list is empty"
);
case!(
    three_documents,
    "appId: com.example.app\n---\n- back\n---\n- back\n",
    5,
    1,
    "",
    "more than two YAML documents"
);
case!(
    commands_not_a_list,
    "appId: com.example.app\n---\ntapOn: x\n",
    3,
    1,
    "steps",
    "expected a list of commands"
);
case!(
    duplicate_key,
    "appId: com.example.app\n---\n- tapOn:\n    text: a\n    text: b\n",
    5,
    5,
    "",
    "duplicate key `text`"
);
case!(
    deep_nesting,
    &format!(
        "appId: com.example.app\n---\n- {}1{}\n",
        "[".repeat(100),
        "]".repeat(100)
    ),
    3,
    66,
    "",
    "deeper than"
);

// --- header -------------------------------------------------------------

case!(
    missing_app_id,
    "name: consent\n---\n- back\n",
    1,
    1,
    "appId",
    "missing required key `appId`"
);
case!(
    app_id_not_a_package,
    "appId: example\n---\n- back\n",
    1,
    8,
    "appId",
    "not an Android package name"
);
case!(unknown_header_key, "appId: com.example.app\ntgas: [a]\n---\n- back\n", 2, 1, "tgas", "unknown key `tgas`", help: "did you mean `tags`?");
case!(
    header_wrong_type,
    "appId: com.example.app\ntags: nightly\n---\n- back\n",
    2,
    7,
    "tags",
    "wrong type"
);
case!(unknown_check, "appId: com.example.app\nchecks: [refuse-service-on-denail]\n---\n- back\n", 2, 10, "checks[0]", "unknown check", help: "did you mean `refuse-service-on-denial`?");
case!(unknown_setup_value, "appId: com.example.app\nsetup:\n  install: fressh\n---\n- back\n", 3, 12, "setup.install", "unknown value `fressh`", help: "did you mean `fresh`?");
case!(
    bad_env_name,
    "appId: com.example.app\nenv:\n  1X: a\n---\n- back\n",
    3,
    3,
    "env.1X",
    "not a variable name"
);

// --- commands -------------------------------------------------------------

case!(unknown_command, "appId: com.example.app\n---\n- launchApp\n- tapOnn: Agree\n", 4, 3, "steps[1].tapOnn", "unknown command `tapOnn`", help: "did you mean `tapOn`?");
case!(unknown_bare_command, "appId: com.example.app\n---\n- bakc\n", 3, 3, "steps[0]", "unknown command `bakc`", help: "did you mean `back`?");
case!(
    unsupported_maestro_command,
    "appId: com.example.app\n---\n- evalScript: ${1 + 1}\n",
    3,
    3,
    "steps[0].evalScript",
    "not supported by consentry yet"
);
case!(two_keys_in_one_command, "appId: com.example.app\n---\n- tapOn: Agree\n  optional: true\n", 4, 3, "steps[0].optional", "a command is a map with one key", help: "put options inside the command");
case!(
    command_is_a_number,
    "appId: com.example.app\n---\n- 42\n",
    3,
    3,
    "steps[0]",
    "unknown command `42`"
);
case!(
    command_is_a_list,
    "appId: com.example.app\n---\n- [tapOn, x]\n",
    3,
    3,
    "steps[0]",
    "expected a command"
);
case!(
    scalar_for_map_only_command,
    "appId: com.example.app\n---\n- swipe: UP\n",
    3,
    10,
    "steps[0].swipe",
    "wrong type"
);
case!(
    bare_word_needs_value,
    "appId: com.example.app\n---\n- tapOn\n",
    3,
    3,
    "steps[0].tapOn",
    "wrong type: found nothing"
);

// --- selectors ----------------------------------------------------------

case!(unknown_selector_key, "appId: com.example.app\n---\n- tapOn:\n    txet: Agree\n", 4, 5, "steps[0].tapOn.txet", "unknown key `txet`", help: "did you mean `text`?");
case!(unknown_key_in_relative_selector, "appId: com.example.app\n---\n- tapOn:\n    text: OK\n    below: {txet: Title}\n", 5, 13, "steps[0].tapOn.below.txet", "unknown key `txet`", help: "did you mean `text`?");
case!(
    selector_index_wrong_type,
    "appId: com.example.app\n---\n- tapOn: {text: OK, index: first}\n",
    3,
    28,
    "steps[0].tapOn.index",
    "wrong type: found string \"first\""
);
case!(
    selector_bool_wrong_type,
    "appId: com.example.app\n---\n- assertVisible: {text: OK, enabled: yes}\n",
    3,
    38,
    "steps[0].assertVisible.enabled",
    "wrong type"
);
case!(
    bad_regex_text,
    "appId: com.example.app\n---\n- tapOn: \"(Agree\"\n",
    3,
    10,
    "steps[0].tapOn",
    "invalid regex"
);
case!(
    bad_regex_id,
    "appId: com.example.app\n---\n- tapOn:\n    id: \"com.x:id/[btn\"\n",
    4,
    9,
    "steps[0].tapOn.id",
    "invalid regex"
);
case!(
    empty_selector,
    "appId: com.example.app\n---\n- tapOn: {enabled: true}\n",
    3,
    10,
    "steps[0].tapOn",
    "names no element"
);
case!(
    bad_point,
    "appId: com.example.app\n---\n- tapOn: {point: \"50%,1200\"}\n",
    3,
    18,
    "steps[0].tapOn.point",
    "mixes pixels and percentages"
);
case!(
    point_with_text,
    "appId: com.example.app\n---\n- tapOn: {point: \"50%,50%\", text: OK}\n",
    3,
    29,
    "steps[0].tapOn.text",
    "`point` cannot be combined"
);
case!(
    optional_in_relative_selector,
    "appId: com.example.app\n---\n- tapOn:\n    text: OK\n    below: {text: Title, optional: true}\n",
    5,
    26,
    "steps[0].tapOn.below.optional",
    "belongs to the command"
);

// --- values: durations, variables, names ----------------------------------------

case!(
    bad_duration_unit,
    "appId: com.example.app\n---\n- idle: 3 sec\n",
    3,
    9,
    "steps[0].idle",
    "unknown unit `sec`"
);
case!(
    bad_duration_order,
    "appId: com.example.app\n---\n- idle: 1s1m\n",
    3,
    9,
    "steps[0].idle",
    "largest to smallest"
);
case!(
    negative_duration,
    "appId: com.example.app\n---\n- idle: -5\n",
    3,
    9,
    "steps[0].idle",
    "negative duration"
);
case!(
    zero_timeout,
    "appId: com.example.app\n---\n- extendedWaitUntil:\n    visible: Agree\n    timeout: 0\n",
    5,
    14,
    "steps[0].extendedWaitUntil.timeout",
    "greater than zero"
);
case!(
    missing_timeout,
    "appId: com.example.app\n---\n- extendedWaitUntil:\n    visible: Agree\n",
    4,
    5,
    "steps[0].extendedWaitUntil.timeout",
    "missing required key `timeout`"
);
case!(
    unterminated_variable,
    "appId: com.example.app\n---\n- inputText: \"${USER\"\n",
    3,
    14,
    "steps[0].inputText",
    "unterminated"
);
case!(
    javascript_in_variable,
    "appId: com.example.app\n---\n- inputText: ${output.user}\n",
    3,
    14,
    "steps[0].inputText",
    "not a variable name"
);
case!(
    bad_mark_name,
    "appId: com.example.app\n---\n- mark: consent shown\n",
    3,
    9,
    "steps[0].mark",
    "not a valid mark name"
);
case!(
    screenshot_path_traversal,
    "appId: com.example.app\n---\n- takeScreenshot: ../../etc/x\n",
    3,
    19,
    "steps[0].takeScreenshot",
    "not a plain file name"
);
case!(unknown_direction, "appId: com.example.app\n---\n- swipe: {direction: UPP}\n", 3, 22, "steps[0].swipe.direction", "unknown direction", help: "did you mean `UP`?");
case!(
    swipe_without_form,
    "appId: com.example.app\n---\n- swipe: {duration: 300}\n",
    3,
    10,
    "steps[0].swipe",
    "a swipe needs one of"
);
case!(unknown_key_name, "appId: com.example.app\n---\n- pressKey: Hoem\n", 3, 13, "steps[0].pressKey", "unknown key name", help: "did you mean `Home`?");
case!(unknown_permission_state, "appId: com.example.app\n---\n- launchApp:\n    permissions: {camera: allw}\n", 4, 27, "steps[0].launchApp.permissions.camera", "unknown permission state", help: "did you mean `allow`?");
case!(unknown_permission_group, "appId: com.example.app\n---\n- denyPermissions:\n    only: [camra]\n", 4, 12, "steps[0].denyPermissions.only[0]", "unknown permission", help: "did you mean `camera`?");
case!(
    repeat_without_times,
    "appId: com.example.app\n---\n- repeat:\n    commands: [back]\n",
    4,
    5,
    "steps[0].repeat",
    "needs `times` or `while`"
);
case!(
    repeat_times_zero,
    "appId: com.example.app\n---\n- repeat:\n    times: 0\n    commands: [back]\n",
    4,
    12,
    "steps[0].repeat.times",
    "not a positive whole number"
);
case!(
    explore_depth_out_of_range,
    "appId: com.example.app\n---\n- explore:\n    find: Delete account\n    maxDepth: 0\n",
    5,
    15,
    "steps[0].explore.maxDepth",
    "outside 1..20"
);
case!(
    expect_nothing,
    "appId: com.example.app\n---\n- expect: {label: x}\n",
    3,
    11,
    "steps[0].expect",
    "lists no expectation"
);
case!(
    bad_regex_in_expect,
    "appId: com.example.app\n---\n- expect:\n    noLogcat: \"FATAL (EXCEPTION\"\n",
    4,
    15,
    "steps[0].expect.noLogcat",
    "invalid regex"
);

// --- nested command lists --------------------------------------------------

case!(
    error_inside_inline_run_flow,
    "appId: com.example.app\n---\n- runFlow:\n    commands:\n      - back\n      - tapOn: {txet: a}\n",
    6,
    17,
    "steps[0].runFlow.commands[1].tapOn.txet",
    "unknown key `txet`"
);
case!(error_inside_on_flow_start, "appId: com.example.app\nonFlowStart:\n  - lauchApp\n---\n- back\n", 3, 5, "onFlowStart[0]", "unknown command `lauchApp`", help: "did you mean `launchApp`?");

// --- referenced files -------------------------------------------------------

case!(
    missing_run_flow_file,
    "appId: com.example.app\n---\n- runFlow: subflows/login.yaml\n",
    3,
    12,
    "steps[0].runFlow",
    "flow file `subflows/login.yaml` not found"
);
case!(
    missing_template_image,
    "appId: com.example.app\n---\n- expect:\n    screenshotMatching: templates/exit.png\n",
    4,
    25,
    "steps[0].expect.screenshotMatching",
    "template image `templates/exit.png` not found"
);

// --- image selectors ---------------------------------------------------------

/// The template `icons/ok.png` beside the case (only its existence counts).
const ICON: (&str, &str) = ("icons/ok.png", "");

case!(
    image_with_text,
    [
        (
            "case.yaml",
            "appId: com.example.app\n---\n- tapOn: {image: icons/ok.png, text: OK}\n"
        ),
        ICON
    ],
    None,
    3,
    32,
    "steps[0].tapOn.text",
    "`image` cannot be combined with `text`",
    Some("only `index` may narrow it")
);
case!(
    image_with_relation,
    [
        (
            "case.yaml",
            "appId: com.example.app\n---\n- longPressOn:\n    image: icons/ok.png\n    rightOf: {text: Name}\n"
        ),
        ICON
    ],
    None,
    5,
    5,
    "steps[0].longPressOn.rightOf",
    "`image` cannot be combined with `rightOf`",
    None
);
case!(
    image_in_relative_selector,
    [
        (
            "case.yaml",
            "appId: com.example.app\n---\n- tapOn:\n    text: OK\n    below: {image: icons/ok.png}\n"
        ),
        ICON
    ],
    None,
    5,
    13,
    "steps[0].tapOn.below.image",
    "`image` cannot be used in a relative selector",
    Some("name it by `text` or `id`")
);
case!(
    threshold_without_image,
    "appId: com.example.app\n---\n- assertVisible: {text: OK, threshold: 0.8}\n",
    3,
    29,
    "steps[0].assertVisible.threshold",
    "`threshold` applies only to an `image` selector"
);
case!(
    threshold_out_of_range,
    [
        (
            "case.yaml",
            "appId: com.example.app\n---\n- tapOn: {image: icons/ok.png, threshold: 90}\n"
        ),
        ICON
    ],
    None,
    3,
    43,
    "steps[0].tapOn.threshold",
    "threshold `90` is outside 0..=1",
    None
);
case!(
    threshold_as_text,
    [
        (
            "case.yaml",
            "appId: com.example.app\n---\n- tapOn: {image: icons/ok.png, threshold: \"0.8\"}\n"
        ),
        ICON
    ],
    None,
    3,
    43,
    "steps[0].tapOn.threshold",
    "wrong type: found string \"0.8\"",
    None
);
case!(
    missing_image_file,
    "appId: com.example.app\n---\n- tapOn: {image: icons/settings.png}\n",
    3,
    18,
    "steps[0].tapOn.image",
    "template image `icons/settings.png` not found",
    help: "relative to the scenario's folder"
);
case!(
    missing_image_file_in_wait,
    "appId: com.example.app\n---\n- extendedWaitUntil:\n    visible: {image: icons/agree.png}\n    timeout: 5s\n",
    4,
    22,
    "steps[0].extendedWaitUntil.visible.image",
    "template image `icons/agree.png` not found"
);
case!(
    missing_image_file_in_dialog_handler,
    "appId: com.example.app\nonDialog:\n  custom:\n    - visible: {image: icons/update.png}\n      commands: [back]\n---\n- back\n",
    4,
    24,
    "onDialog.custom[0].visible.image",
    "template image `icons/update.png` not found"
);
case!(
    image_path_is_relative_to_the_file,
    [
        (
            "flows/case.yaml",
            "appId: com.example.app\n---\n- tapOn: {image: icons/ok.png}\n"
        ),
        ICON
    ],
    None,
    3,
    18,
    "steps[0].tapOn.image",
    "template image `icons/ok.png` not found",
    None
);

/// Image selectors where a selector names a target, with `threshold`,
/// `index`, `optional` and `label`: valid, no warning.
#[test]
fn image_selectors_validate() {
    let src = "appId: com.example.app\n\
        onDialog:\n  custom:\n    - visible: {image: icons/ok.png}\n      commands: [back]\n\
        ---\n\
        - tapOn: {image: icons/ok.png}\n\
        - tapOn:\n    image: icons/ok.png\n    threshold: 0.8\n    index: 1\n    optional: true\n    label: the second icon\n\
        - longPressOn: {image: icons/ok.png}\n\
        - doubleTapOn: {image: icons/ok.png, threshold: 1}\n\
        - assertVisible: {image: icons/ok.png}\n\
        - assertNotVisible: {image: icons/ok.png, threshold: 0.95}\n\
        - extendedWaitUntil:\n    visible: {image: icons/ok.png}\n    timeout: 10s\n\
        - scrollUntilVisible:\n    element: {image: icons/ok.png}\n\
        - runFlow:\n    when: {visible: {image: icons/ok.png}}\n    commands: [back]\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_files(dir.path(), &[("images.yaml", src), ICON]);
    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["errors"], 0, "{report}");
    assert_eq!(report["warnings"], 0, "{report}");
    assert_eq!(report["steps"], 11, "{report}");
}

case!(
    run_flow_cycle,
    [
        (
            "a.yaml",
            "appId: com.example.app\n---\n- back\n- runFlow: b.yaml\n"
        ),
        (
            "b.yaml",
            "appId: com.example.app\n---\n- runFlow:\n    file: a.yaml\n"
        )
    ],
    Some("b.yaml"),
    3,
    3,
    "steps[0].runFlow",
    "runFlow cycle: a.yaml → b.yaml → a.yaml",
    None
);
case!(
    run_flow_self_cycle,
    "appId: com.example.app\n---\n- back\n- runFlow: case.yaml\n",
    4,
    3,
    "steps[1].runFlow",
    "runFlow cycle: case.yaml → case.yaml"
);
case!(
    error_in_referenced_file,
    [
        (
            "main.yaml",
            "appId: com.example.app\n---\n- runFlow: sub.yaml\n"
        ),
        (
            "sub.yaml",
            "appId: com.example.app\n---\n- back\n- inputText: \"${A\"\n"
        )
    ],
    Some("sub.yaml"),
    4,
    14,
    "steps[1].inputText",
    "unterminated",
    None
);

// --- tests that need more than one assertion ---------------------------------

#[test]
fn every_error_in_a_file_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src =
        format!("{H}- tapOnn: a\n- idle: 3 sec\n- tapOn: {{txet: b}}\n- back\n- mark: \"a b\"\n");
    let path = write_files(dir.path(), &[("many.yaml", &src)]);
    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(2));
    let lines: Vec<u64> = report["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 7]);
    assert_eq!(report["errors"], 4);
}

#[test]
fn non_utf8_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("latin1.yaml");
    std::fs::write(
        &path,
        b"appId: com.example.app\n---\n- tapOn: \"caf\xe9\"\n",
    )
    .expect("write");
    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(2));
    let d = &report["diagnostics"][0];
    assert_eq!(d["line"], 3);
    assert!(
        d["message"]
            .as_str()
            .expect("message")
            .contains("not valid UTF-8")
    );
}

#[test]
fn missing_path_is_an_error() {
    let (code, report) = validate_json(&[], Path::new("/nonexistent/flow.yaml"));
    assert_eq!(code, Some(2));
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .expect("message")
            .contains("cannot read file")
    );
}

/// A 100 000-command file with one error at the end: validation finishes
/// (no quadratic blow-up, no hang) and still finds the error's line.
#[test]
fn very_large_file_does_not_hang() {
    use std::fmt::Write as _;
    let mut src = String::from(H);
    for i in 0..100_000 {
        writeln!(src, "- tapOn: \"Button {i}\"").expect("string write");
    }
    src.push_str("- tapOn: {txet: last}\n");
    let last_line = src.lines().count() as u64;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_files(dir.path(), &[("big.yaml", &src)]);
    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(2));
    let d = &report["diagnostics"][0];
    assert_eq!(d["line"], last_line);
    assert_eq!(d["key"], "steps[100000].tapOn.txet");
}

/// Aliases that expand exponentially are refused instead of exhausting memory.
#[test]
fn alias_bomb_is_refused() {
    use std::fmt::Write as _;
    let mut src =
        String::from("appId: com.example.app\nenv:\n  A0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        writeln!(src, "  A{i}: &a{i} [{refs}]").expect("string write");
    }
    src.push_str("---\n- back\n");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_files(dir.path(), &[("bomb.yaml", &src)]);
    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(2));
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .expect("message")
            .contains("nodes")
    );
}

#[test]
fn oversized_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.yaml");
    let mut src = String::from(H);
    src.push_str(&"# padding padding padding padding padding padding padding\n".repeat(300_000));
    std::fs::write(&path, src).expect("write");
    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(2));
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .expect("message")
            .contains("more than the limit")
    );
}

#[test]
fn undefined_variable_is_a_warning_not_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = format!("{H}- inputText: ${{PASWORD}}\n");
    let src = src.replace("---", "env:\n  PASSWORD: x\n---");
    let path = write_files(dir.path(), &[("warn.yaml", &src)]);
    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(0), "{report}");
    let d = &report["diagnostics"][0];
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["key"], "steps[0].inputText");
    assert_eq!(d["help"], "did you mean `PASSWORD`?");
    // Given on the command line, it is defined.
    let (_, report) = validate_json(&["-e", "PASWORD=y"], &path);
    assert_eq!(report["warnings"], 0);
}

/// Maestro runs a flow with `launchApp: {clearKeychain: true}` on Android
/// and ignores the key; consentry accepts it with a warning at the key, and
/// the command is the one without the key.
#[test]
fn clear_keychain_is_a_warning_on_android() {
    let mut with_key_flow = String::from(H);
    with_key_flow.push_str("- launchApp: {clearKeychain: true}\n- back\n");
    let mut with_key_long = String::from(H);
    with_key_long.push_str("- launchApp:\n    clearState: true\n    clearKeychain: true\n");
    let mut without_flow = String::from(H);
    without_flow.push_str("- launchApp\n- back\n");
    let mut without_long = String::from(H);
    without_long.push_str("- launchApp:\n    clearState: true\n");
    for (with_key, without, line, column) in [
        (&with_key_flow, &without_flow, 3, 15),
        (&with_key_long, &without_long, 5, 5),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_files(dir.path(), &[("keychain.yaml", with_key)]);
        let (code, report) = validate_json(&[], &path);
        assert_eq!(code, Some(0), "{report}");
        assert_eq!(
            (report["errors"].as_u64(), report["warnings"].as_u64()),
            (Some(0), Some(1)),
            "{report}"
        );
        let d = &report["diagnostics"][0];
        assert_eq!(d["severity"], "warning", "{report}");
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(line), Some(column)),
            "{report}"
        );
        assert_eq!(d["key"], "steps[0].launchApp.clearKeychain", "{report}");
        let message = d["message"].as_str().expect("message");
        assert!(
            message.contains("`clearKeychain` is ignored on Android"),
            "{message}"
        );

        let human = consentry()
            .args(["validate", "--color", "never"])
            .arg(&path)
            .output()
            .expect("runs");
        assert_eq!(human.status.code(), Some(0));
        let stderr = String::from_utf8_lossy(&human.stderr);
        let location = format!("{}:{line}:{column}", path.display());
        assert!(stderr.contains("warning"), "{stderr}");
        assert!(
            stderr.contains(&location),
            "human output lacks {location}:\n{stderr}"
        );
        assert!(
            stderr.contains("`clearKeychain` is ignored on Android"),
            "{stderr}"
        );
        let stdout = String::from_utf8_lossy(&human.stdout);
        assert!(stdout.contains("1 warning"), "{stdout}");

        let env = std::collections::BTreeMap::new();
        let load =
            |src: &str| consentry::scenario::load_str(&path, src, &env).expect("valid scenario");
        assert_eq!(load(with_key).steps, load(without).steps);
    }
    // `false` asks for nothing on any platform: no warning.
    let dir = tempfile::tempdir().expect("tempdir");
    let src = format!("{H}- launchApp: {{clearKeychain: false}}\n");
    let path = write_files(dir.path(), &[("keychain.yaml", &src)]);
    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["warnings"], 0, "{report}");
}

/// Negative controls for `tab_after_dash`: tabs in a quoted or plain value,
/// in comments and in a block scalar are not after a list item's `-`.
#[test]
fn tabs_inside_values_and_comments_validate() {
    for (name, body) in [
        ("quoted", "- tapOn: \"Agree\\tnow -\tthen\"\n"),
        ("plain", "- inputText: a\tb -\tc\n"),
        ("comments", "# -\tnot an item\n- back # -\tnot an item\n"),
        (
            "block_scalar",
            "- inputText: |\n    -\tline one\n    - \tline two\n- back\n",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = format!("{H}{body}");
        let path = write_files(dir.path(), &[("tabs.yaml", &src)]);
        let (code, report) = validate_json(&[], &path);
        assert_eq!(code, Some(0), "{name}: {report}");
        assert_eq!(report["errors"], 0, "{name}: {report}");
        assert_eq!(report["warnings"], 0, "{name}: {report}");
    }
}

#[test]
fn every_bad_header_key_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = "nmae: x\ntags: nightly\nchecks: [nope]\n---\n- back\n";
    let path = write_files(dir.path(), &[("header.yaml", src)]);
    let (code, report) = validate_json(&[], &path);
    assert_eq!(code, Some(2));
    let keys: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .map(|d| d["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, vec!["nmae", "appId", "tags", "checks[0]"]);
}

case!(
    empty_when_condition,
    "appId: com.example.app\n---\n- runFlow:\n    when: {}\n    commands: [back]\n",
    4,
    11,
    "steps[0].runFlow.when",
    "the condition is empty"
);
case!(
    platform_outside_when,
    "appId: com.example.app\n---\n- repeat:\n    times: 2\n    while: {visible: x, platform: android}\n    commands: [back]\n",
    5,
    25,
    "steps[0].repeat.while.platform",
    "only valid in `runFlow.when`"
);
