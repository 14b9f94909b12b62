//! Stage `fleet-rollback`: after a failure, undo what the replacement did before the
//! alias swap (the decision is `crate::rollback::plan_rollback`), or after the swap say
//! what is left to do; its result is the execution's error and cause.

use serde::Serialize;

use super::guard::{self, Phase};
use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::request::BuildSource;
use crate::rollback::{plan_rollback, Action, RollbackFacts};
use crate::state::ExecutionState;

/// Result of the rollback stage; the state machine fails with `error` and `cause`.
#[derive(Debug, Serialize)]
pub struct RollbackOut {
    pub error: String,
    pub cause: String,
    pub actions: Vec<Action>,
    pub leftovers: Vec<String>,
}

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<RollbackOut, FleetError> {
    let failure = state.error.as_ref().map(|e| (e.error.clone(), e.message()));
    let (failed_error, failed_message) =
        failure.unwrap_or_else(|| ("Hangar.Failed".into(), "a stage failed".into()));
    let config = state.config()?;
    // An execution that lost the lock undoes nothing: another one acts on the alias.
    if let Err(lost) = guard::hold(fleet, state, Phase::AfterDrain).await {
        if !matches!(lost, FleetError::LockLost(_)) {
            return Err(lost);
        }
        return Ok(RollbackOut {
            error: "Hangar.LockLost".into(),
            cause: format!("{failed_message}. Nothing was undone: {lost}"),
            actions: vec![],
            leftovers: vec![],
        });
    }
    let gl = &fleet.gamelift;
    let old_id = state.old_fleet_id()?;
    let new_fleet_id = match state.new_fleet_id() {
        Some(id) => Some(id.to_string()),
        None => gl::find_our_fleet(gl, &config.fleet.name, &config.replacement_id)
            .await?
            .map(|f| f.fleet_id),
    };
    let new_fleet = match &new_fleet_id {
        Some(id) => Some((
            id.clone(),
            gl::fleet_facts(gl, id)
                .await?
                .map(|f| f.status)
                .unwrap_or_else(|| "TERMINATED".into()),
        )),
        None => None,
    };
    let created_build = match (&state.build, &config.build) {
        (Some(b), _) if b.created => Some(b.build_id.clone()),
        (Some(_), _) | (None, BuildSource::Existing { .. }) => None,
        (None, BuildSource::Upload(u)) => {
            gl::find_our_build(gl, &u.name, &u.version, &config.replacement_id).await?
        }
    };
    let facts = RollbackFacts {
        alias_id: config.alias_id.clone(),
        old_fleet_id: old_id.to_string(),
        committed: state.committed(),
        alias_fleet: gl::alias(gl, &config.alias_id)
            .await?
            .and_then(|a| a.fleet_id),
        new_fleet,
        created_build,
    };
    let plan = plan_rollback(&facts);
    let mut done = Vec::new();
    let mut leftovers = plan.leftovers.clone();
    for action in &plan.actions {
        let result = match action {
            Action::PointAlias { alias_id, fleet_id } => {
                gl::point_alias(gl, alias_id, fleet_id).await
            }
            Action::DeleteFleet { fleet_id } => gl::delete_fleet(gl, fleet_id).await,
            Action::DeleteBuild { build_id } => gl::delete_build(gl, build_id).await,
        };
        match result {
            Ok(()) => done.push(action.describe()),
            Err(e) if e.is_retryable() => return Err(e),
            Err(e) => leftovers.push(format!("could not {}: {e}", action.describe())),
        }
    }
    let (error, cause) = if facts.committed {
        (
            failed_error,
            format!("{failed_message}. {}", leftovers.join(" ")),
        )
    } else {
        let undone = if done.is_empty() {
            "nothing had to be undone".to_string()
        } else {
            done.join("; ")
        };
        let summary = format!(
            "{failed_message}. Rolled back: {undone}. Alias {} serves from {old_id}.",
            config.alias_id
        );
        if leftovers.is_empty() {
            ("Hangar.RolledBack".into(), summary)
        } else {
            (
                "Hangar.RollbackIncomplete".into(),
                format!("{summary} Still to do by hand: {}", leftovers.join("; ")),
            )
        }
    };
    tracing::warn!(error, cause, "replacement failed");
    Ok(RollbackOut {
        error,
        cause: cause.trim().to_string(),
        actions: plan.actions,
        leftovers,
    })
}
