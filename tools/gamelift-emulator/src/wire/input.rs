//! Typed access to a request's members, with errors naming the member. Both protocols
//! decode into the same `serde_json::Value`, so operations are wire-format neutral.

use crate::error::{ApiError, ApiResult};
use serde_json::{Map, Value};

/// Typed access to a request's members, with errors naming the member.
pub struct Input<'a>(pub &'a Map<String, Value>);

static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();

impl<'a> Input<'a> {
    pub fn new(v: &'a Value) -> Self {
        match v.as_object() {
            Some(m) => Input(m),
            None => Input(EMPTY.get_or_init(Map::new)),
        }
    }

    fn present(&self, f: &str) -> Option<&'a Value> {
        self.0.get(f).filter(|v| !v.is_null())
    }

    pub fn str_opt(&self, f: &str) -> ApiResult<Option<&'a str>> {
        match self.present(f) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => {
                Err(ApiError::invalid(format!("{f} must not be empty")))
            }
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::invalid(format!("{f} must be a string"))),
        }
    }

    pub fn str_req(&self, f: &str) -> ApiResult<&'a str> {
        self.str_opt(f)?
            .ok_or_else(|| ApiError::invalid(format!("{f} is required")))
    }

    pub fn int_opt(&self, f: &str, min: i64) -> ApiResult<Option<i64>> {
        match self.present(f) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(i) if i >= min => Ok(Some(i)),
                Some(_) => Err(ApiError::invalid(format!("{f} must be at least {min}"))),
                None => Err(ApiError::invalid(format!("{f} must be an integer"))),
            },
        }
    }

    pub fn int_req(&self, f: &str, min: i64) -> ApiResult<i64> {
        self.int_opt(f, min)?
            .ok_or_else(|| ApiError::invalid(format!("{f} is required")))
    }

    pub fn f64_opt(&self, f: &str) -> ApiResult<Option<f64>> {
        match self.present(f) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{f} must be a number"))),
        }
    }

    pub fn list_opt(&self, f: &str) -> ApiResult<Option<&'a Vec<Value>>> {
        match self.present(f) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(ApiError::invalid(format!("{f} must be a list"))),
        }
    }

    pub fn obj_opt(&self, f: &str) -> ApiResult<Option<Input<'a>>> {
        match self.present(f) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Input(m))),
            Some(_) => Err(ApiError::invalid(format!("{f} must be a structure"))),
        }
    }

    pub fn enum_opt(&self, f: &str, allowed: &[&str]) -> ApiResult<Option<&'a str>> {
        match self.str_opt(f)? {
            Some(s) if !allowed.contains(&s) => Err(ApiError::invalid(format!(
                "{f} must be one of {}",
                allowed.join(", ")
            ))),
            other => Ok(other),
        }
    }

    /// A list of strings.
    pub fn strings_opt(&self, f: &str) -> ApiResult<Option<Vec<&'a str>>> {
        match self.list_opt(f)? {
            None => Ok(None),
            Some(items) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| ApiError::invalid(format!("{f} must be a list of strings")))
                })
                .collect::<ApiResult<Vec<_>>>()
                .map(Some),
        }
    }

    /// A list of structures.
    pub fn structs_opt(&self, f: &str) -> ApiResult<Vec<Input<'a>>> {
        match self.list_opt(f)? {
            None => Ok(Vec::new()),
            Some(items) => items
                .iter()
                .map(|v| {
                    v.as_object().map(Input).ok_or_else(|| {
                        ApiError::invalid(format!("{f} must be a list of structures"))
                    })
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_or_mistyped_members_are_named_in_the_error() {
        let v = json!({"Limit": "ten"});
        let i = Input::new(&v);
        assert_eq!(i.str_req("Name").unwrap_err().message, "Name is required");
        assert_eq!(
            i.int_opt("Limit", 1).unwrap_err().message,
            "Limit must be an integer"
        );
    }
}
