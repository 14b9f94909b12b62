//! Configuration from environment variables, read once at start-up. Every error names
//! the variable, so a bad deployment stops with a message a person can act on.

use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {name} is required but not set")]
    Missing { name: String },
    #[error("environment variable {name} has an invalid value {value:?}: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
}

impl ConfigError {
    pub fn invalid(name: &str, value: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            name: name.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// A source of variables; the process environment in functions, a map in tests.
pub trait Vars {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct Env;

impl Vars for Env {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Vars for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// A required, non-empty variable.
pub fn required(vars: &impl Vars, name: &str) -> Result<String, ConfigError> {
    match vars.var(name) {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing {
            name: name.to_string(),
        }),
    }
}

/// An optional variable parsed as `T`, `default` when unset or empty.
pub fn parsed_or<T>(vars: &impl Vars, name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match vars.var(name) {
        Some(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<T>()
            .map_err(|e| ConfigError::invalid(name, &v, e.to_string())),
        _ => Ok(default),
    }
}

/// A required variable parsed as `T`.
pub fn parsed<T>(vars: &impl Vars, name: &str) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let v = required(vars, name)?;
    v.trim()
        .parse::<T>()
        .map_err(|e| ConfigError::invalid(name, &v, e.to_string()))
}

/// Shorthand for [`required`] on the process environment.
pub fn required_env(name: &str) -> Result<String, ConfigError> {
    required(&Env, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn missing_or_blank_required_variable_names_the_variable() {
        let v = vars(&[("BLANK", "  ")]);
        assert_eq!(
            required(&v, "TABLE").unwrap_err().to_string(),
            "environment variable TABLE is required but not set"
        );
        assert!(required(&v, "BLANK")
            .unwrap_err()
            .to_string()
            .contains("BLANK"));
    }

    #[test]
    fn unparsable_value_names_variable_value_and_reason() {
        let v = vars(&[("LIMIT", "ten")]);
        let err = parsed_or::<u32>(&v, "LIMIT", 5).unwrap_err().to_string();
        assert!(
            err.contains("LIMIT") && err.contains("\"ten\"") && err.contains("invalid digit"),
            "{err}"
        );
        assert_eq!(parsed_or::<u32>(&v, "OTHER", 5).unwrap(), 5);
        assert!(parsed::<u32>(&v, "OTHER").is_err());
    }
}
