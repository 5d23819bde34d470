//! Property test: any scenario the model can express, written out as
//! canonical YAML, loads back to the same model. This exercises quoting of
//! awkward text (YAML indicators, numbers-as-text, newlines, CJK) between
//! the writer (serde_yaml) and the loader (yaml-rust2).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use consentry::scenario::model::{
    Command, Expectation, Header, ImageRef, Location, OnDialog, Selector, Setup, Step,
};
use consentry::scenario::raw::SnapshotKind;
use consentry::scenario::values::{Direction, Duration, KEYS, Key, MatchMode, Pattern, Template};
use consentry::scenario::{self, Scenario};
use proptest::prelude::*;

const TEXT: &str = "[a-zA-Z0-9 _:#'\"%$.,!?*&|@`\\-\\[\\]\n同意不注销账号]{1,16}";

fn at() -> Location {
    Location {
        line: 0,
        column: 0,
        key: String::new(),
    }
}

fn step(command: Command, label: Option<String>, optional: bool) -> Step {
    Step {
        command,
        label,
        optional,
        at: at(),
    }
}

fn pattern(text: &str) -> Pattern {
    Pattern::parse(&regex::escape(text), MatchMode::Full, &BTreeMap::new())
        .expect("escaped text is a valid pattern")
}

/// Template names that need quoting or escaping in YAML.
const IMAGE_NAMES: &[&str] = &[
    "icons/ok.png",
    "icons/同意 button.png",
    "#1.png",
    ": colon.png",
    "- dash.png",
    "'quoted' \"twice\".png",
    "true",
    "1.5",
];

/// The folder the generated scenarios live in, with every template of
/// [`IMAGE_NAMES`] (the loader checks that they exist).
fn folder() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in IMAGE_NAMES {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("in the folder")).expect("mkdir");
            std::fs::write(&path, b"").expect("write template");
        }
        dir
    })
    .path()
}

fn file() -> PathBuf {
    folder().join("prop.yaml")
}

/// An image selector: any template, any threshold in 0..=1, maybe an index.
fn image_selector() -> impl Strategy<Value = Selector> {
    (
        prop::sample::select(IMAGE_NAMES),
        prop_oneof![
            Just(ImageRef::DEFAULT_THRESHOLD),
            0.0f32..=1.0,
            (0u16..=100).prop_map(|n| f32::from(n) / 100.0)
        ],
        prop::option::of(0u32..5),
    )
        .prop_map(|(name, threshold, index)| Selector {
            image: Some(ImageRef {
                written: name.to_string(),
                path: folder().join(name),
                threshold,
            }),
            index,
            ..Selector::default()
        })
}

fn leaf_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        TEXT.prop_map(|t| Command::Tap {
            gesture: consentry::scenario::model::Gesture::Tap,
            target: Selector {
                text: Some(pattern(&t)),
                ..Selector::default()
            },
            repeat: 1,
            delay: None,
            retry_if_no_change: false,
            settle_timeout: None,
        }),
        (TEXT, 0u32..5).prop_map(|(t, i)| Command::AssertVisible(Selector {
            id: Some(pattern(&t)),
            index: Some(i),
            enabled: Some(true),
            ..Selector::default()
        })),
        TEXT.prop_map(|t| Command::InputText {
            text: Template::parse(&t).expect("no ${ in text")
        }),
        (1u64..100_000_000).prop_map(|ms| Command::Idle {
            duration: Duration::from_millis(ms)
        }),
        "[a-z0-9][a-z0-9._-]{0,20}".prop_map(|name| Command::Mark { name }),
        prop::sample::select(vec![
            Direction::Up,
            Direction::Down,
            Direction::Left,
            Direction::Right
        ])
        .prop_map(|d| Command::Swipe {
            kind: consentry::scenario::model::SwipeKind::Direction(d),
            duration: None
        }),
        prop::sample::select(KEYS.to_vec()).prop_map(|(name, _)| Command::PressKey {
            key: Key::parse(name).expect("known key")
        }),
        Just(Command::Back),
        (
            image_selector(),
            prop::sample::select(vec![
                consentry::scenario::model::Gesture::Tap,
                consentry::scenario::model::Gesture::DoubleTap,
                consentry::scenario::model::Gesture::LongPress
            ]),
            any::<bool>()
        )
            .prop_map(|(target, gesture, assert)| if assert {
                Command::AssertNotVisible(target)
            } else {
                Command::Tap {
                    gesture,
                    target,
                    repeat: 1,
                    delay: None,
                    retry_if_no_change: false,
                    settle_timeout: None,
                }
            }),
        prop::sample::subsequence(
            vec![
                SnapshotKind::Appops,
                SnapshotKind::Package,
                SnapshotKind::ExitInfo,
                SnapshotKind::UiTree
            ],
            1..4
        )
        .prop_map(Command::Snapshot),
        (any::<bool>(), TEXT).prop_map(|(running, t)| Command::Expect(vec![
            Expectation::AppRunning(running),
            Expectation::NoLogcat(
                Pattern::parse(&regex::escape(&t), MatchMode::Search, &BTreeMap::new())
                    .expect("pattern")
            ),
        ])),
    ]
}

fn any_step() -> impl Strategy<Value = Step> {
    let leaf =
        (leaf_command(), prop::option::of(TEXT), any::<bool>()).prop_map(|(c, l, o)| step(c, l, o));
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop::collection::vec(inner, 1..4).prop_map(|steps| {
            step(
                Command::RunFlow {
                    source: consentry::scenario::model::FlowSource::Inline(steps),
                    when: None,
                    env: BTreeMap::new(),
                },
                None,
                false,
            )
        })
    })
}

fn any_scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(any_step(), 1..8),
        TEXT,
        prop::collection::vec("[a-z]{1,8}", 0..3),
        prop::collection::btree_map("[A-Z_][A-Z0-9_]{0,6}", TEXT, 0..3),
    )
        .prop_map(|(steps, name, tags, env)| Scenario {
            file: file(),
            header: Header {
                app_id: Template::parse("com.example.app").expect("template"),
                name,
                tags,
                env,
                on_flow_start: Vec::new(),
                on_flow_complete: Vec::new(),
                checks: Vec::new(),
                setup: Setup::default(),
                on_dialog: OnDialog::default(),
            },
            steps,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn render_then_load_is_identity(sc in any_scenario()) {
        let yaml = scenario::to_yaml(&sc).expect("renders");
        let loaded = scenario::load_str(&file(), &yaml, &BTreeMap::new());
        let loaded = match loaded {
            Ok(l) => l,
            Err(d) => return Err(TestCaseError::fail(format!("{d:#?}\n{yaml}"))),
        };
        prop_assert_eq!(common::scenario::without_positions(&sc), common::scenario::without_positions(&loaded), "yaml:\n{}", yaml);
    }
}
