//! The JSON Schema of scenario files, generated from the `Raw*` types. YAML
//! language servers apply a schema to each document of a multi-document
//! file, so the root accepts either the header map or the command list.

use schemars::generate::SchemaSettings;

use super::raw::{RawCommands, RawHeader};

/// The schema as pretty-printed JSON, ending with a newline. The committed
/// copy is `schemas/scenario.schema.json`; a test fails when it is stale.
pub fn schema_json() -> String {
    let mut generator = SchemaSettings::draft07().into_generator();
    let header = generator.subschema_for::<RawHeader>();
    let commands = generator.subschema_for::<RawCommands>();
    let mut root = serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "consentry scenario",
        "description": "A consentry scenario file: a header document (appId, name, tags, env, checks, setup, onDialog), then `---`, then a list of commands. Each YAML document is checked against this schema.",
        "anyOf": [header, commands],
    });
    let defs = generator.take_definitions(true);
    root["definitions"] = serde_json::Value::Object(defs);
    let mut text = serde_json::to_string_pretty(&root).unwrap_or_default();
    text.push('\n');
    text
}
