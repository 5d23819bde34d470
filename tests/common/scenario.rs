//! Scenario-model helpers for tests.

use consentry::scenario::Scenario;
use serde_json::Value;

/// The model as JSON without source positions, which a round trip changes.
pub fn without_positions(s: &Scenario) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("at");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(s).expect("model serialises");
    strip(&mut v);
    v
}
