//! Request and response helpers every resource's operations share: paging tokens in
//! answers, null stripping, ids from ARNs, game properties and id strings.

use crate::error::{ApiError, ApiResult};
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

pub fn last_segment(id_or_arn: &str) -> &str {
    id_or_arn.rsplit('/').next().unwrap_or(id_or_arn)
}

pub fn game_properties(i: &Input<'_>) -> ApiResult<Value> {
    let props = i.structs_opt("GameProperties")?;
    if props.len() > 16 {
        return Err(ApiError::invalid(
            "GameProperties must hold at most 16 properties",
        ));
    }
    let mut out = Vec::new();
    for p in props {
        let k = p
            .str_req("Key")
            .map_err(|_| ApiError::invalid("GameProperties[].Key is required"))?;
        let v =
            p.0.get("Value")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid("GameProperties[].Value is required"))?;
        if k.len() > 32 || v.len() > 96 {
            return Err(ApiError::invalid(
                "GameProperties keys are at most 32 and values at most 96 characters",
            ));
        }
        out.push(json!({"Key": k, "Value": v}));
    }
    Ok(Value::Array(out))
}

pub fn id_string(f: &str, v: &str) -> ApiResult<()> {
    if v.len() > 48 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ApiError::invalid(format!(
            "{f} must be 1-48 letters, digits or '-'"
        )));
    }
    Ok(())
}
