//! Typed access to a request's members, with errors naming the member. Both protocols
//! decode into the same `serde_json::Value`, so operations are wire-format neutral.
//! Requests reach the operations validated against GameLift's model (`validate`), so
//! these errors are a second line only; constraints live in the model, not here.

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

    /// A member's value; `null` is absent.
    pub fn present(&self, f: &str) -> Option<&'a Value> {
        self.0.get(f).filter(|v| !v.is_null())
    }

    pub fn str_opt(&self, f: &str) -> ApiResult<Option<&'a str>> {
        match self.present(f) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::invalid(format!("{f} must be a string"))),
        }
    }

    pub fn str_req(&self, f: &str) -> ApiResult<&'a str> {
        self.str_opt(f)?
            .ok_or_else(|| ApiError::invalid(format!("{f} is required")))
    }

    pub fn int_opt(&self, f: &str) -> ApiResult<Option<i64>> {
        match self.present(f) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{f} must be an integer"))),
        }
    }

    pub fn int_req(&self, f: &str) -> ApiResult<i64> {
        self.int_opt(f)?
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

    /// A member holding one of an enum's wire names.
    pub fn parsed<T>(&self, f: &str, from_wire: fn(&str) -> Option<T>) -> ApiResult<Option<T>> {
        match self.str_opt(f)? {
            None => Ok(None),
            Some(s) => from_wire(s)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{f} has an unknown value {s:?}"))),
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
            i.int_opt("Limit").unwrap_err().message,
            "Limit must be an integer"
        );
    }
}
