//! The example scenarios: they validate, their parsed model is pinned by
//! snapshots, they survive a round trip through the canonical YAML writer,
//! and every document in them satisfies the committed JSON Schema.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use consentry::scenario::{self, Scenario};
use serde_json::Value;

/// The example scenarios and the built-in suite's (data files left out).
fn examples() -> Vec<PathBuf> {
    let mut files =
        scenario::scenario_files(Path::new("scenarios/examples")).expect("examples dir");
    assert!(
        files.len() >= 4,
        "expected the example scenarios, found {files:?}"
    );
    let builtin = scenario::scenario_files(Path::new("scenarios/builtin")).expect("builtin dir");
    assert!(
        builtin.len() >= 6,
        "expected the built-in suite's scenarios, found {builtin:?}"
    );
    files.extend(builtin);
    files
}

fn load(path: &Path) -> Scenario {
    let report = scenario::load_file(path, &BTreeMap::new())
        .unwrap_or_else(|r| panic!("{} does not validate: {:#?}", path.display(), r.diagnostics));
    report
        .scenarios
        .get(path)
        .cloned()
        .expect("scenario loaded")
}

#[test]
fn examples_have_no_diagnostics_at_all() {
    let mut loader = scenario::Loader::new(BTreeMap::new());
    loader.load_paths(&[PathBuf::from("scenarios")]);
    let report = loader.finish();
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    assert_eq!(report.scenarios.len(), examples().len());
}

#[test]
fn parsed_models_match_snapshots() {
    for path in examples() {
        let model = load(&path);
        let name = match path.strip_prefix("scenarios/examples") {
            Ok(rel) => rel.to_string_lossy().replace(['/', '.'], "_"),
            Err(_) => format!(
                "builtin_{}",
                path.strip_prefix("scenarios/builtin")
                    .expect("under examples or builtin")
                    .to_string_lossy()
                    .replace(['/', '.'], "_")
            ),
        };
        insta::assert_yaml_snapshot!(name, model);
    }
}

#[test]
fn examples_round_trip_through_canonical_yaml() {
    for path in examples() {
        let first = load(&path);
        let yaml = scenario::to_yaml(&first).expect("renders");
        let second = scenario::load_str(&path, &yaml, &BTreeMap::new()).unwrap_or_else(|d| {
            panic!("rendered {} does not load: {d:#?}\n{yaml}", path.display())
        });
        assert_eq!(
            common::scenario::without_positions(&first),
            common::scenario::without_positions(&second),
            "model changed:\n{yaml}"
        );
        assert_eq!(
            scenario::to_yaml(&second).expect("renders"),
            yaml,
            "rendering is not stable"
        );
    }
}

#[test]
fn committed_evidence_schema_is_current() {
    let committed =
        std::fs::read_to_string("schemas/evidence.schema.json").expect("evidence schema file");
    assert!(
        committed == consentry::evidence::schema_json(),
        "schemas/evidence.schema.json is stale: run `make schema` and commit the result"
    );
}

#[test]
fn committed_schema_is_current() {
    let committed = std::fs::read_to_string("schemas/scenario.schema.json").expect("schema file");
    assert!(
        committed == scenario::schema_json(),
        "schemas/scenario.schema.json is stale: run `make schema` and commit the result"
    );
}

/// Converts a YAML document to JSON through serde_yaml (a parser other than
/// the one consentry loads with, so that the schema is checked independently).
fn documents_as_json(text: &str) -> Vec<Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| {
            let v = serde_yaml::Value::deserialize(doc).expect("yaml");
            serde_json::to_value(v).expect("json")
        })
        .collect()
}

#[test]
fn every_example_document_satisfies_the_schema() {
    let schema: Value = serde_json::from_str(&scenario::schema_json()).expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for path in examples() {
        let text = std::fs::read_to_string(&path).expect("read");
        let docs = documents_as_json(&text);
        assert_eq!(docs.len(), 2, "{}", path.display());
        for doc in docs {
            let errors: Vec<String> = validator
                .iter_errors(&doc)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        }
    }
}

#[test]
fn schema_rejects_what_validation_rejects() {
    let schema: Value = serde_json::from_str(&scenario::schema_json()).expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let bad = [
        "- tapOn: {txet: a}",
        "- tapOnn: a",
        "- swipe: UP",
        "- tapOn: {index: first}",
        "- snapshot: [memory]",
        "appId: com.x\nsetup: {install: fressh}",
        "tags: [a]",
        "- tapOn: {text: OK, threshold: 0.8}",
        "- tapOn: {image: icons/ok.png, threshold: 1.5}",
        "- assertVisible: {image: icons/ok.png, threshold: \"0.8\"}",
    ];
    for text in bad {
        for doc in documents_as_json(text) {
            assert!(!validator.is_valid(&doc), "schema accepts {text:?}");
        }
    }
    let good = [
        "- back",
        "- tapOn: Agree",
        "- tapOn: {id: x, optional: true}",
        "- snapshot: [appops, exit-info]",
        "- idle: 30s",
        "appId: ${APP_ID}",
        "- tapOn: {image: icons/ok.png}",
        "- assertVisible: {image: icons/ok.png, threshold: 0.8, index: 1, optional: true}",
        "- extendedWaitUntil: {visible: {image: icons/ok.png}, timeout: 5s}",
    ];
    for text in good {
        for doc in documents_as_json(text) {
            assert!(validator.is_valid(&doc), "schema rejects {text:?}");
        }
    }
}
