//! The JSON 1.1 protocol's bodies (`POST /`, `X-Amz-Target: GameLift.<Operation>`):
//! timestamps as epoch seconds.

use crate::error::{ApiError, ApiResult};
use crate::wire::timestamp::as_ts;
use serde_json::{Map, Number, Value};

/// Replaces timestamp markers by epoch seconds.
pub fn to_json(v: &Value) -> Value {
    match v {
        Value::Object(m) => match as_ts(m) {
            Some(secs) => Number::from_f64(secs)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            None => Value::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        },
        Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        other => other.clone(),
    }
}

pub fn encode_json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(&to_json(v)).unwrap_or_else(|_| b"{}".to_vec())
}

pub fn decode_json(body: &[u8]) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            "SerializationException",
            format!("request body is not valid JSON: {e}"),
        )
    })?;
    if !v.is_object() {
        return Err(ApiError::new(
            "SerializationException",
            "request body must be a JSON object",
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::timestamp::ts;
    use serde_json::json;

    #[test]
    fn json_encoding_writes_timestamps_as_epoch_seconds() {
        let v = json!({"CreationTime": ts(2_000)});
        assert_eq!(to_json(&v), json!({"CreationTime": 2.0}));
    }
}
