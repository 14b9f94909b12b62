//! The stage functions' configuration, read once at start-up through `from_vars`
//! (errors name the variable): the lock table, named for the resource it points at.

use hangar_lambda::config::{required, ConfigError, Vars};

/// The DynamoDB table holding the alias locks (the template's `FleetReplacementLockTable`).
pub const LOCK_TABLE_VAR: &str = "FLEET_LOCK_TABLE";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetConfig {
    pub lock_table: String,
}

impl FleetConfig {
    pub fn from_vars(vars: &impl Vars) -> Result<FleetConfig, ConfigError> {
        Ok(FleetConfig {
            lock_table: required(vars, LOCK_TABLE_VAR)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_table_variable_is_required_and_named_in_the_error() {
        let none = |_: &str| None;
        let e = FleetConfig::from_vars(&none).unwrap_err().to_string();
        assert!(e.contains("FLEET_LOCK_TABLE"), "{e}");
        let set = |n: &str| (n == LOCK_TABLE_VAR).then(|| "locks".to_string());
        assert_eq!(FleetConfig::from_vars(&set).unwrap().lock_table, "locks");
    }
}
