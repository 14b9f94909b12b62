//! Timestamps inside response values: operations write `{"$ts": <epoch seconds>}` with
//! [`ts`]; each protocol's encoder turns the marker into its own timestamp form.

use crate::clock::SimMillis;
use serde_json::{json, Map, Value};

const TS_KEY: &str = "$ts";

/// A timestamp member value.
pub fn ts(ms: SimMillis) -> Value {
    json!({ TS_KEY: ms as f64 / 1000.0 })
}

/// The epoch seconds of a timestamp marker, `None` for any other map.
pub fn as_ts(map: &Map<String, Value>) -> Option<f64> {
    if map.len() == 1 {
        map.get(TS_KEY).and_then(Value::as_f64)
    } else {
        None
    }
}
