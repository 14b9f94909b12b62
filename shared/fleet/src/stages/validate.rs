//! Stage `fleet-validate`: validate the request, refuse unsafe starts, decide fresh or
//! resume, and take the alias lock (unless dry run): free, or from an execution that
//! has ended; never from one that still runs.

use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::gamelift as gl;
use crate::lock;
use crate::plan::plan;
use crate::request::{parse_request, validate_request, BuildSource};
use crate::start::{decide_start, stale_holder, Refusal, Start, StartFacts};
use crate::state::{ExecutionState, Validated};
use crate::stepfunctions::{liveness, Liveness};

pub async fn run(fleet: &Fleet, state: &ExecutionState) -> Result<Validated, FleetError> {
    let raw = state
        .request
        .as_ref()
        .ok_or_else(|| FleetError::Refused("input: the execution has no input".into()))?;
    let req = parse_request(raw).map_err(|e| FleetError::Refused(e.to_string()))?;
    let config =
        validate_request(&req, &fleet.region).map_err(|e| FleetError::Refused(e.to_string()))?;
    let me = state.execution_arn()?;
    let gl = &fleet.gamelift;
    let alias = gl::alias(gl, &config.alias_id).await?;
    let routed_fleet = match alias.as_ref().and_then(|a| a.fleet_id.as_deref()) {
        Some(id) => gl::fleet_facts(gl, id).await?,
        None => None,
    };
    let lock = lock::get(&fleet.dynamodb, &fleet.lock_table, &config.alias_id).await?;
    let holder_running = match &lock {
        Some(l) if l.execution_arn != me => {
            liveness(&fleet.sfn, &l.execution_arn).await? == Liveness::Running
        }
        _ => false,
    };
    let facts = StartFacts {
        alias_id: config.alias_id.clone(),
        replacement_id: config.replacement_id.clone(),
        execution_arn: me.to_string(),
        alias,
        requested_fleet_id: config.fleet_id.clone(),
        routed_fleet,
        our_fleet: gl::find_our_fleet(gl, &config.fleet.name, &config.replacement_id).await?,
        lock,
        holder_running,
    };
    let start = decide_start(&facts).map_err(|r| match r {
        Refusal::Refused(m) => FleetError::Refused(m),
        Refusal::Locked(m) => FleetError::Locked(m),
    })?;
    let resume_after_swap = matches!(start, Start::ResumeAfterSwap { .. });
    if let (BuildSource::Existing { build_id }, false) = (&config.build, resume_after_swap) {
        match gl::build_status(gl, build_id).await?.as_deref() {
            None => {
                return Err(FleetError::Refused(format!(
                    "build.BuildId: build {build_id} does not exist"
                )))
            }
            Some("FAILED") => {
                return Err(FleetError::Refused(format!(
                    "build.BuildId: build {build_id} is FAILED"
                )))
            }
            Some(_) => {}
        }
    }
    let locked = !config.dry_run;
    if locked {
        let claim = lock::Claim {
            alias_id: &config.alias_id,
            replacement_id: &config.replacement_id,
            execution_arn: me,
            old_fleet_id: start.old_fleet_id(),
            now_ms: hangar_lambda::clock::now_ms(),
            takes_over: stale_holder(&facts),
        };
        if let Some(stale) = claim.takes_over {
            tracing::info!(
                alias_id = claim.alias_id,
                stale,
                "taking over the lock of an ended execution"
            );
        }
        lock::acquire(&fleet.dynamodb, &fleet.lock_table, &claim).await?;
    }
    Ok(Validated {
        plan: plan(&config, &start),
        dry_run: config.dry_run,
        resume_after_swap,
        locked,
        home_region: fleet.region.clone(),
        start,
        config,
    })
}
