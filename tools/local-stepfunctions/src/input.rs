//! Reading an operation's JSON input the way Step Functions validates it: required
//! members, lengths, ranges; every refusal names the member.

use serde_json::{Map, Value};

use crate::error::SfnError;

pub struct Input<'a>(pub &'a Map<String, Value>);

impl<'a> Input<'a> {
    pub fn new(v: &'a Value) -> Result<Input<'a>, SfnError> {
        v.as_object()
            .map(Input)
            .ok_or_else(|| SfnError::new("SerializationException", "the body is not a JSON object"))
    }

    pub fn str_opt(&self, name: &str, max: usize) -> Result<Option<&'a str>, SfnError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() > max => Err(SfnError::validation(format!(
                "1 validation error detected: Value at '{name}' failed to satisfy constraint: \
                 Member must have length less than or equal to {max}"
            ))),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(SfnError::new(
                "SerializationException",
                format!("{name} must be a string"),
            )),
        }
    }

    pub fn str(&self, name: &str, max: usize) -> Result<&'a str, SfnError> {
        match self.str_opt(name, max)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(SfnError::validation(format!(
                "1 validation error detected: Value at '{name}' failed to satisfy constraint: \
                 Member must not be null"
            ))),
        }
    }

    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, SfnError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(SfnError::new(
                "SerializationException",
                format!("{name} must be a boolean"),
            )),
        }
    }

    /// A page size: 0 or absent means the default; at most 1000.
    pub fn page_size(&self, name: &str, default: usize) -> Result<usize, SfnError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => match v.as_u64() {
                Some(0) => Ok(default),
                Some(n) if n <= 1000 => Ok(n as usize),
                _ => Err(SfnError::validation(format!(
                    "1 validation error detected: Value at '{name}' failed to satisfy constraint: \
                     Member must have value less than or equal to 1000"
                ))),
            },
        }
    }
}

/// A name Step Functions accepts for a state machine or an execution: 1 to 80
/// characters, no white space, brackets, wildcards, listed punctuation or control
/// characters.
pub fn check_name(name: &str) -> Result<(), SfnError> {
    const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    let bad = name.is_empty()
        || name.chars().count() > 80
        || name.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || FORBIDDEN.contains(c)
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || c == '\u{fffe}'
                || c == '\u{ffff}'
        });
    if bad {
        Err(SfnError::new(
            "InvalidName",
            format!("Invalid Name: '{name}'"),
        ))
    } else {
        Ok(())
    }
}

/// An opaque page token for position `at` of a listing.
pub fn token(at: usize) -> String {
    format!("page-{at}")
}

pub fn parse_token(t: Option<&str>) -> Result<usize, SfnError> {
    match t {
        None => Ok(0),
        Some(t) => t
            .strip_prefix("page-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| SfnError::new("InvalidToken", format!("Invalid Token: '{t}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_step_functions_rules() {
        for ok in ["alias-1.r-abc.1", "a_b-c", &"x".repeat(80)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a/b", "a:b", "a{b", &"x".repeat(81), "a\u{85}b"] {
            assert_eq!(check_name(bad).unwrap_err().code, "InvalidName", "{bad:?}");
        }
    }

    #[test]
    fn tokens_round_trip_and_forged_ones_are_refused() {
        assert_eq!(parse_token(Some(&token(7))).unwrap(), 7);
        assert_eq!(parse_token(None).unwrap(), 0);
        assert_eq!(parse_token(Some("nope")).unwrap_err().code, "InvalidToken");
    }
}
