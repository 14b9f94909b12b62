//! The execution state the state machine carries from stage to stage. Every Task gets
//! the whole state and its result is stored under its own key (`ResultPath`):
//!
//! ```text
//! { "request": <execution input>, "execution_arn": <$$.Execution.Id>, "validated": Validated, "build": BuildOut,
//!   "build_wait": PollOut, "fleet": FleetOut, "fleet_wait": PollOut,
//!   "capacity": CapacityOut, "capacity_wait": PollOut, "smoke": PollOut,
//!   "swap": SwapOut, "drain": PollOut, "delete": DeleteOut,
//!   "error": {"Error", "Cause"} (set by Catch), "rollback": RollbackOut }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::FleetError;
use crate::plan::Plan;
use crate::progress::{LocationStatus, PollClock};
use crate::request::{CapacityTarget, Config};
use crate::start::Start;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExecutionState {
    #[serde(default)]
    pub request: Option<serde_json::Value>,
    /// This execution (the Start state copies `$$.Execution.Id`): the lock names it.
    #[serde(default)]
    pub execution_arn: Option<String>,
    #[serde(default)]
    pub validated: Option<Validated>,
    #[serde(default)]
    pub build: Option<BuildOut>,
    #[serde(default)]
    pub build_wait: Option<PollOut>,
    #[serde(default)]
    pub fleet: Option<FleetOut>,
    #[serde(default)]
    pub fleet_wait: Option<PollOut>,
    #[serde(default)]
    pub capacity: Option<CapacityOut>,
    #[serde(default)]
    pub capacity_wait: Option<PollOut>,
    #[serde(default)]
    pub smoke: Option<PollOut>,
    #[serde(default)]
    pub swap: Option<SwapOut>,
    #[serde(default)]
    pub drain: Option<PollOut>,
    #[serde(default)]
    pub error: Option<CaughtError>,
}

/// Output of the validate stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validated {
    pub config: Config,
    pub start: Start,
    pub plan: Plan,
    pub home_region: String,
    /// Copied to the top so the state machine's Choice states can test them.
    pub dry_run: bool,
    pub resume_after_swap: bool,
    /// True when this run holds the alias lock (false for a dry run).
    pub locked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildOut {
    pub build_id: String,
    /// True when this replacement created the build (rollback deletes it then).
    pub created: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetOut {
    /// Always made by this replacement (created now, or found by its tag).
    pub fleet_id: String,
}

/// Output of one poll of a polling stage. `done` ends the state machine's loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOut {
    pub done: bool,
    pub clock: PollClock,
    /// What the stage saw, for a person watching.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet_status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<LocationStatus>,
    /// The smoke test's game session per location (placed so far).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub game_sessions: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_sessions: Option<usize>,
}

impl PollOut {
    pub fn new(done: bool, clock: PollClock, status: impl Into<String>) -> Self {
        PollOut {
            done,
            clock,
            status: status.into(),
            fleet_status: None,
            locations: Vec::new(),
            game_sessions: BTreeMap::new(),
            live_sessions: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityOut {
    pub targets: BTreeMap<String, CapacityTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapOut {
    pub alias_id: String,
    pub from_fleet_id: String,
    pub to_fleet_id: String,
}

/// What a Catch stores: the failed state's error name and cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaughtError {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: Option<serde_json::Value>,
}

impl CaughtError {
    /// The human message: Lambda errors arrive as a JSON cause with `errorMessage`.
    pub fn message(&self) -> String {
        let text = match &self.cause {
            None => return self.error.clone(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let parsed: Option<serde_json::Value> = serde_json::from_str(&text).ok();
        let from_json = |v: &serde_json::Value| {
            v.get("errorMessage")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        };
        match parsed
            .as_ref()
            .and_then(from_json)
            .or_else(|| self.cause.as_ref().and_then(from_json))
        {
            Some(m) => m,
            None => text
                .strip_prefix(&format!("{}: ", self.error))
                .unwrap_or(&text)
                .to_string(),
        }
    }
}

impl ExecutionState {
    pub fn validated(&self) -> Result<&Validated, FleetError> {
        self.validated
            .as_ref()
            .ok_or_else(|| FleetError::BadState("the state has no `validated` result".into()))
    }

    pub fn execution_arn(&self) -> Result<&str, FleetError> {
        self.execution_arn.as_deref().ok_or_else(|| {
            FleetError::BadState(
                "the state has no `execution_arn`: the Start state copies $$.Execution.Id there"
                    .into(),
            )
        })
    }

    pub fn config(&self) -> Result<&Config, FleetError> {
        Ok(&self.validated()?.config)
    }

    pub fn old_fleet_id(&self) -> Result<&str, FleetError> {
        Ok(self.validated()?.start.old_fleet_id())
    }

    /// The new fleet: created in this run, or found by validate from an earlier run.
    pub fn new_fleet_id(&self) -> Option<&str> {
        self.fleet
            .as_ref()
            .map(|f| f.fleet_id.as_str())
            .or_else(|| self.validated.as_ref().and_then(|v| v.start.new_fleet_id()))
    }

    pub fn require_new_fleet_id(&self) -> Result<&str, FleetError> {
        self.new_fleet_id()
            .ok_or_else(|| FleetError::BadState("the state has no new fleet".into()))
    }

    pub fn build_id(&self) -> Result<&str, FleetError> {
        self.build
            .as_ref()
            .map(|b| b.build_id.as_str())
            .ok_or_else(|| FleetError::BadState("the state has no `build` result".into()))
    }

    /// The alias swap is done (in this run, or an earlier run this one resumes).
    pub fn committed(&self) -> bool {
        self.swap.is_some() || self.validated.as_ref().is_some_and(|v| v.resume_after_swap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caught_lambda_errors_yield_the_function_message() {
        let e = CaughtError {
            error: "Hangar.BuildFailed".into(),
            cause: Some(serde_json::json!(
                "{\"errorType\":\"Hangar.BuildFailed\",\"errorMessage\":\"build b is FAILED\"}"
            )),
        };
        assert_eq!(e.message(), "build b is FAILED");
        let e = CaughtError {
            error: "Hangar.BuildFailed".into(),
            cause: Some(serde_json::json!("Hangar.BuildFailed: oops")),
        };
        assert_eq!(e.message(), "oops");
        let e = CaughtError {
            error: "States.Timeout".into(),
            cause: None,
        };
        assert_eq!(e.message(), "States.Timeout");
    }
}
