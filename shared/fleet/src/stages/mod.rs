//! The stages of the workflow, one per Lambda function and one file each. Each takes
//! the execution state, gathers facts from GameLift/DynamoDB (through the adapters),
//! lets the pure modules decide, and applies the decision. Every stage is safe to run
//! again with the same state (Retry, resume). This module composes them: [`Stage`]
//! names each one once and runs it.

mod create_build;
mod create_fleet;
mod delete_old;
mod drain_old;
mod guard;
mod match_capacity;
mod poll;
mod release_lock;
mod rollback;
mod smoke_test;
mod swap_alias;
mod validate;
mod wait_build;
mod wait_capacity;
mod wait_fleet;

use serde::Serialize;
use serde_json::Value;

use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::state::ExecutionState;

/// The stages, named as their Lambda functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Validate,
    CreateBuild,
    WaitBuild,
    CreateFleet,
    WaitFleet,
    MatchCapacity,
    WaitCapacity,
    SmokeTest,
    SwapAlias,
    DrainOldFleet,
    DeleteOldFleet,
    Rollback,
    ReleaseLock,
}

impl Stage {
    pub const ALL: [Stage; 13] = [
        Stage::Validate,
        Stage::CreateBuild,
        Stage::WaitBuild,
        Stage::CreateFleet,
        Stage::WaitFleet,
        Stage::MatchCapacity,
        Stage::WaitCapacity,
        Stage::SmokeTest,
        Stage::SwapAlias,
        Stage::DrainOldFleet,
        Stage::DeleteOldFleet,
        Stage::Rollback,
        Stage::ReleaseLock,
    ];

    /// The Lambda function (and binary) name: the one place each stage's name is spelled.
    pub fn function_name(self) -> &'static str {
        match self {
            Stage::Validate => "fleet-validate",
            Stage::CreateBuild => "fleet-create-build",
            Stage::WaitBuild => "fleet-wait-build",
            Stage::CreateFleet => "fleet-create-fleet",
            Stage::WaitFleet => "fleet-wait-fleet",
            Stage::MatchCapacity => "fleet-match-capacity",
            Stage::WaitCapacity => "fleet-wait-capacity",
            Stage::SmokeTest => "fleet-smoke-test",
            Stage::SwapAlias => "fleet-swap-alias",
            Stage::DrainOldFleet => "fleet-drain-old",
            Stage::DeleteOldFleet => "fleet-delete-old",
            Stage::Rollback => "fleet-rollback",
            Stage::ReleaseLock => "fleet-release-lock",
        }
    }

    /// The `DefinitionSubstitutions` key the state machine uses for this function's ARN.
    pub fn substitution_key(self) -> String {
        let camel: String = self
            .function_name()
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        format!("{camel}FunctionArn")
    }

    /// Runs the stage on the execution state and returns its result (stored by the
    /// state machine under the stage's key).
    pub async fn run(self, fleet: &Fleet, input: Value) -> Result<Value, FleetError> {
        let state: ExecutionState = serde_json::from_value(input).map_err(|e| {
            FleetError::BadState(format!(
                "{}: unreadable execution state: {e}",
                self.function_name()
            ))
        })?;
        match self {
            Stage::Validate => out(validate::run(fleet, &state).await?),
            Stage::CreateBuild => out(create_build::run(fleet, &state).await?),
            Stage::WaitBuild => out(wait_build::run(fleet, &state).await?),
            Stage::CreateFleet => out(create_fleet::run(fleet, &state).await?),
            Stage::WaitFleet => out(wait_fleet::run(fleet, &state).await?),
            Stage::MatchCapacity => out(match_capacity::run(fleet, &state).await?),
            Stage::WaitCapacity => out(wait_capacity::run(fleet, &state).await?),
            Stage::SmokeTest => out(smoke_test::run(fleet, &state).await?),
            Stage::SwapAlias => out(swap_alias::run(fleet, &state).await?),
            Stage::DrainOldFleet => out(drain_old::run(fleet, &state).await?),
            Stage::DeleteOldFleet => out(delete_old::run(fleet, &state).await?),
            Stage::Rollback => out(rollback::run(fleet, &state).await?),
            Stage::ReleaseLock => out(release_lock::run(fleet, &state).await?),
        }
    }
}

fn out<T: Serialize>(v: T) -> Result<Value, FleetError> {
    serde_json::to_value(v)
        .map_err(|e| FleetError::BadState(format!("cannot encode the stage result: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_keys_follow_the_function_names() {
        assert_eq!(
            Stage::Validate.substitution_key(),
            "FleetValidateFunctionArn"
        );
        assert_eq!(
            Stage::DrainOldFleet.substitution_key(),
            "FleetDrainOldFunctionArn"
        );
        let names: std::collections::BTreeSet<_> =
            Stage::ALL.iter().map(|s| s.function_name()).collect();
        assert_eq!(names.len(), Stage::ALL.len());
    }
}
