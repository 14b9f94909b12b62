//! Request and response helpers every resource's operations share: paging tokens in
//! answers, null stripping, ids from ARNs, game properties.

use crate::error::ApiResult;
use crate::wire::Input;
use serde_json::{json, Value};

pub fn with_next(mut v: Value, next: Option<String>) -> Value {
    if let Some(n) = next {
        v["NextToken"] = json!(n);
    }
    v
}

pub fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The id at the end of an ARN (`arn:...:build/build-1` -> `build-1`), or the id itself.
pub fn last_segment(id_or_arn: &str) -> &str {
    id_or_arn.rsplit('/').next().unwrap_or(id_or_arn)
}

/// The request's GameProperties as `[{"Key", "Value"}]` (limits checked by the model).
pub fn game_properties(i: &Input<'_>) -> ApiResult<Value> {
    let mut out = Vec::new();
    for p in i.structs_opt("GameProperties")? {
        out.push(json!({"Key": p.str_req("Key")?, "Value": p.str_req("Value")?}));
    }
    Ok(Value::Array(out))
}

/// The named members of the request, as sent (absent ones left out).
pub fn members_of(i: &Input<'_>, names: &[&str]) -> Value {
    Value::Object(
        names
            .iter()
            .filter_map(|n| i.present(n).map(|v| (n.to_string(), v.clone())))
            .collect(),
    )
}
