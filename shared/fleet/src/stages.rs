//! The stages of the workflow, one per Lambda function. Each takes the execution state,
//! gathers facts from GameLift/DynamoDB, lets the pure modules decide, and applies the
//! decision. Every stage is safe to run again with the same state (Retry, resume).

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_gamelift::types::{
    IpPermission, IpProtocol, LocationConfiguration, OperatingSystem, RuntimeConfiguration,
    S3Location, ServerProcess, Tag, TerminationMode,
};
use serde::Serialize;
use serde_json::Value;

use crate::capacity;
use crate::drain::{aliases_routing_to, drain_decision, live_sessions, Drain};
use crate::error::{classify, StageError};
use crate::gamelift as gl;
use crate::lock;
use crate::plan::plan;
use crate::progress::{
    build_progress, fleet_progress, smoke_progress, smoke_session_ended_by_us, timeout_message,
    PollClock, Progress,
};
use crate::request::{
    parse_request, validate_request, BuildSource, BuildUpload, Config, ALIAS_TAG, REPLACEMENT_TAG,
};
use crate::rollback::{plan_rollback, Action, RollbackFacts};
use crate::start::{decide_start, Refusal, Start, StartFacts};
use crate::state::{BuildOut, CapacityOut, ExecutionState, FleetOut, PollOut, SwapOut, Validated};

/// Clients and settings every stage uses, built once at start-up.
#[derive(Clone)]
pub struct Deps {
    pub gamelift: aws_sdk_gamelift::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// DynamoDB table holding the alias locks (`LOCK_TABLE`).
    pub lock_table: String,
    /// The region the workflow runs in: the new fleet's home location.
    pub region: String,
}

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

    /// The Lambda function (and crate, and binary) name.
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
    pub async fn run(self, deps: &Deps, input: Value) -> Result<Value, StageError> {
        let state: ExecutionState = serde_json::from_value(input).map_err(|e| {
            StageError::BadState(format!(
                "{}: unreadable execution state: {e}",
                self.function_name()
            ))
        })?;
        match self {
            Stage::Validate => out(validate(deps, &state).await?),
            Stage::CreateBuild => out(create_build(deps, &state).await?),
            Stage::WaitBuild => out(wait_build(deps, &state).await?),
            Stage::CreateFleet => out(create_fleet(deps, &state).await?),
            Stage::WaitFleet => out(wait_fleet(deps, &state).await?),
            Stage::MatchCapacity => out(match_capacity(deps, &state).await?),
            Stage::WaitCapacity => out(wait_capacity(deps, &state).await?),
            Stage::SmokeTest => out(smoke_test(deps, &state).await?),
            Stage::SwapAlias => out(swap_alias(deps, &state).await?),
            Stage::DrainOldFleet => out(drain_old_fleet(deps, &state).await?),
            Stage::DeleteOldFleet => out(delete_old_fleet(deps, &state).await?),
            Stage::Rollback => out(rollback(deps, &state).await?),
            Stage::ReleaseLock => out(release_lock(deps, &state).await?),
        }
    }
}

fn out<T: Serialize>(v: T) -> Result<Value, StageError> {
    serde_json::to_value(v)
        .map_err(|e| StageError::BadState(format!("cannot encode the stage result: {e}")))
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One poll of a polling stage: done, waiting (until the timeout), or failed.
fn poll(
    stage: &str,
    previous: Option<&PollOut>,
    timeout: u64,
    progress: Progress,
    fail: fn(String) -> StageError,
) -> Result<PollOut, StageError> {
    let t = now();
    let clock = PollClock::tick(previous.map(|p| p.clock), t);
    match progress {
        Progress::Done => Ok(PollOut::new(true, clock, "done")),
        Progress::Failed(m) => Err(fail(m)),
        Progress::Waiting(m) if clock.expired(t, timeout) => Err(StageError::StageTimeout(
            timeout_message(stage, timeout, &m),
        )),
        Progress::Waiting(m) => Ok(PollOut::new(false, clock, m)),
    }
}

async fn validate(deps: &Deps, state: &ExecutionState) -> Result<Validated, StageError> {
    let raw = state
        .request
        .as_ref()
        .ok_or_else(|| StageError::Refused("input: the execution has no input".into()))?;
    let req = parse_request(raw).map_err(|e| StageError::Refused(e.to_string()))?;
    let config =
        validate_request(&req, &deps.region).map_err(|e| StageError::Refused(e.to_string()))?;
    let gl = &deps.gamelift;
    let alias = gl::alias(gl, &config.alias_id).await?;
    let routed_fleet = match alias.as_ref().and_then(|a| a.fleet_id.as_deref()) {
        Some(id) => gl::fleet_facts(gl, id).await?,
        None => None,
    };
    let facts = StartFacts {
        alias_id: config.alias_id.clone(),
        replacement_id: config.replacement_id.clone(),
        alias,
        requested_fleet_id: config.fleet_id.clone(),
        routed_fleet,
        our_fleet: gl::find_our_fleet(gl, &config.fleet.name, &config.replacement_id).await?,
        lock: lock::get(&deps.dynamodb, &deps.lock_table, &config.alias_id).await?,
    };
    let start = decide_start(&facts).map_err(|r| match r {
        Refusal::Refused(m) => StageError::Refused(m),
        Refusal::Locked(m) => StageError::Locked(m),
    })?;
    let resume_after_swap = matches!(start, Start::ResumeAfterSwap { .. });
    if let (BuildSource::Existing { build_id }, false) = (&config.build, resume_after_swap) {
        match gl::build_status(gl, build_id).await?.as_deref() {
            None => {
                return Err(StageError::Refused(format!(
                    "build.BuildId: build {build_id} does not exist"
                )))
            }
            Some("FAILED") => {
                return Err(StageError::Refused(format!(
                    "build.BuildId: build {build_id} is FAILED"
                )))
            }
            Some(_) => {}
        }
    }
    let locked = !config.dry_run;
    if locked {
        lock::acquire(
            &deps.dynamodb,
            &deps.lock_table,
            &config.alias_id,
            &config.replacement_id,
            start.old_fleet_id(),
            now(),
        )
        .await?;
    }
    Ok(Validated {
        plan: plan(&config, &start),
        dry_run: config.dry_run,
        resume_after_swap,
        locked,
        home_region: deps.region.clone(),
        start,
        config,
    })
}

fn tags(config: &Config) -> [Tag; 2] {
    [
        Tag::builder()
            .key(REPLACEMENT_TAG)
            .value(&config.replacement_id)
            .build(),
        Tag::builder()
            .key(ALIAS_TAG)
            .value(&config.alias_id)
            .build(),
    ]
}

async fn create_build(deps: &Deps, state: &ExecutionState) -> Result<BuildOut, StageError> {
    let config = state.config()?;
    let upload: &BuildUpload = match &config.build {
        BuildSource::Existing { build_id } => {
            return Ok(BuildOut {
                build_id: build_id.clone(),
                created: false,
            })
        }
        BuildSource::Upload(u) => u,
    };
    let gl = &deps.gamelift;
    if let Some(build_id) =
        gl::find_our_build(gl, &upload.name, &upload.version, &config.replacement_id).await?
    {
        return Ok(BuildOut {
            build_id,
            created: true,
        });
    }
    let s3 = &upload.storage_location;
    let location = S3Location::builder()
        .bucket(&s3.bucket)
        .key(&s3.key)
        .role_arn(&s3.role_arn)
        .set_object_version(s3.object_version.clone())
        .build();
    let out = gl
        .create_build()
        .name(&upload.name)
        .version(&upload.version)
        .storage_location(location)
        .set_operating_system(
            upload
                .operating_system
                .as_deref()
                .map(OperatingSystem::from),
        )
        .set_server_sdk_version(upload.server_sdk_version.clone())
        .set_tags(Some(tags(config).to_vec()))
        .send()
        .await
        .map_err(|e| classify("CreateBuild", e))?;
    let build_id = out
        .build_value()
        .and_then(|b| b.build_id())
        .map(str::to_string);
    let build_id =
        build_id.ok_or_else(|| StageError::Aws("CreateBuild returned no BuildId".into()))?;
    tracing::info!(build_id, "created build");
    Ok(BuildOut {
        build_id,
        created: true,
    })
}

async fn wait_build(deps: &Deps, state: &ExecutionState) -> Result<PollOut, StageError> {
    let config = state.config()?;
    let build_id = state.build_id()?;
    let progress = match gl::build_status(&deps.gamelift, build_id).await? {
        Some(status) => build_progress(build_id, &status),
        None => Progress::Failed(format!("build {build_id} no longer exists")),
    };
    poll(
        "waiting for the build",
        state.build_wait.as_ref(),
        config.timeouts.build,
        progress,
        StageError::BuildFailed,
    )
}

async fn create_fleet(deps: &Deps, state: &ExecutionState) -> Result<FleetOut, StageError> {
    let config = state.config()?;
    let gl = &deps.gamelift;
    if let Some(id) = state.validated()?.start.new_fleet_id() {
        return Ok(FleetOut {
            fleet_id: id.to_string(),
        });
    }
    // A CreateFleet whose response was lost (timeout, crash) left a tagged fleet: reuse it.
    if let Some(found) = gl::find_our_fleet(gl, &config.fleet.name, &config.replacement_id).await? {
        return Ok(FleetOut {
            fleet_id: found.fleet_id,
        });
    }
    let f = &config.fleet;
    let runtime = RuntimeConfiguration::builder()
        .set_server_processes(Some(
            f.runtime_configuration
                .server_processes
                .iter()
                .map(|p| {
                    ServerProcess::builder()
                        .launch_path(&p.launch_path)
                        .set_parameters(p.parameters.clone())
                        .concurrent_executions(p.concurrent_executions)
                        .build()
                })
                .collect(),
        ))
        .set_max_concurrent_game_session_activations(
            f.runtime_configuration
                .max_concurrent_game_session_activations,
        )
        .set_game_session_activation_timeout_seconds(
            f.runtime_configuration
                .game_session_activation_timeout_seconds,
        )
        .build();
    let permissions: Vec<IpPermission> = f
        .ec2_inbound_permissions
        .iter()
        .map(|p| {
            IpPermission::builder()
                .from_port(p.from_port)
                .to_port(p.to_port)
                .ip_range(&p.ip_range)
                .protocol(IpProtocol::from(p.protocol.as_str()))
                .build()
        })
        .collect();
    let mut tag_list: Vec<Tag> = f
        .tags
        .iter()
        .map(|t| Tag::builder().key(&t.key).value(&t.value).build())
        .collect();
    tag_list.extend(tags(config));
    let limit = f.resource_creation_limit_policy.as_ref().map(|l| {
        aws_sdk_gamelift::types::ResourceCreationLimitPolicy::builder()
            .set_new_game_sessions_per_creator(l.new_game_sessions_per_creator)
            .set_policy_period_in_minutes(l.policy_period_in_minutes)
            .build()
    });
    let out = gl
        .create_fleet()
        .name(&f.name)
        .set_description(f.description.clone())
        .build_id(state.build_id()?)
        .ec2_instance_type(aws_sdk_gamelift::types::Ec2InstanceType::from(
            f.ec2_instance_type.as_str(),
        ))
        .set_fleet_type(
            f.fleet_type
                .as_deref()
                .map(aws_sdk_gamelift::types::FleetType::from),
        )
        .set_ec2_inbound_permissions((!permissions.is_empty()).then_some(permissions))
        .set_new_game_session_protection_policy(
            f.new_game_session_protection_policy
                .as_deref()
                .map(aws_sdk_gamelift::types::ProtectionPolicy::from),
        )
        .runtime_configuration(runtime)
        .set_resource_creation_limit_policy(limit)
        .set_metric_groups((!f.metric_groups.is_empty()).then(|| f.metric_groups.clone()))
        .set_instance_role_arn(f.instance_role_arn.clone())
        .set_locations((!f.locations.is_empty()).then(|| {
            f.locations
                .iter()
                .map(|l| {
                    LocationConfiguration::builder()
                        .location(&l.location)
                        .build()
                })
                .collect()
        }))
        .set_tags(Some(tag_list))
        .send()
        .await
        .map_err(|e| classify("CreateFleet", e))?;
    let fleet_id = out
        .fleet_attributes()
        .and_then(|a| a.fleet_id())
        .map(str::to_string);
    let fleet_id =
        fleet_id.ok_or_else(|| StageError::Aws("CreateFleet returned no FleetId".into()))?;
    tracing::info!(fleet_id, "created fleet");
    Ok(FleetOut { fleet_id })
}

async fn wait_fleet(deps: &Deps, state: &ExecutionState) -> Result<PollOut, StageError> {
    let config = state.config()?;
    let fleet_id = state.require_new_fleet_id()?;
    let gl = &deps.gamelift;
    let (status, locations, progress) = match gl::fleet(gl, fleet_id).await? {
        None => (
            None,
            vec![],
            Progress::Failed(format!("fleet {fleet_id} no longer exists")),
        ),
        Some(f) => {
            let status = gl::fleet_status(&f);
            let locations = gl::locations(gl, fleet_id).await?;
            let progress = fleet_progress(fleet_id, &status, &locations);
            (Some(status), locations, progress)
        }
    };
    let mut out = poll(
        "waiting for the fleet",
        state.fleet_wait.as_ref(),
        config.timeouts.fleet,
        progress,
        StageError::FleetFailed,
    )?;
    out.fleet_status = status;
    out.locations = locations;
    Ok(out)
}

async fn match_capacity(deps: &Deps, state: &ExecutionState) -> Result<CapacityOut, StageError> {
    let config = state.config()?;
    let new_id = state.require_new_fleet_id()?;
    let old_id = state.old_fleet_id()?;
    let gl = &deps.gamelift;
    let home = &deps.region;
    let new_locations = gl::location_names(gl, new_id, home).await?;
    let old = match &config.capacity {
        Some(_) => Default::default(),
        None => gl::capacities(gl, old_id, home).await?,
    };
    let targets = capacity::targets(&old, &new_locations, config.capacity.as_ref(), home);
    for (location, target) in &targets {
        gl::set_capacity(gl, new_id, location, home, *target).await?;
    }
    Ok(CapacityOut { targets })
}

async fn wait_capacity(deps: &Deps, state: &ExecutionState) -> Result<PollOut, StageError> {
    let config = state.config()?;
    let new_id = state.require_new_fleet_id()?;
    let targets = &state
        .capacity
        .as_ref()
        .ok_or_else(|| StageError::BadState("the state has no `capacity` result".into()))?
        .targets;
    let gl = &deps.gamelift;
    let now_counts = gl::capacities(gl, new_id, &deps.region).await?;
    let short = capacity::shortfall(targets, &now_counts);
    let progress = if short.is_empty() {
        Progress::Done
    } else {
        Progress::Waiting(format!("waiting for instances: {}", short.join(", ")))
    };
    let mut out = poll(
        "waiting for capacity",
        state.capacity_wait.as_ref(),
        config.timeouts.capacity,
        progress,
        StageError::FleetFailed,
    )?;
    if out.done {
        // Policies go on only now: a policy acting on an empty fleet could move the
        // desired counts before the matched instances are up.
        if config.capacity.is_none() {
            let copied = gl::copy_scaling_policies(gl, state.old_fleet_id()?, new_id).await?;
            out.status = if copied.is_empty() {
                "capacity reached; the old fleet has no scaling policies".into()
            } else {
                format!(
                    "capacity reached; scaling policies copied: {}",
                    copied.join(", ")
                )
            };
        } else {
            out.status = "capacity reached".into();
        }
    }
    Ok(out)
}

async fn smoke_test(deps: &Deps, state: &ExecutionState) -> Result<PollOut, StageError> {
    let config = state.config()?;
    let fleet_id = state.require_new_fleet_id()?;
    let gl = &deps.gamelift;
    let previous = state.smoke.as_ref();
    let Some(session_id) = previous.and_then(|p| p.game_session_id.clone()) else {
        let t = now();
        let out = gl
            .create_game_session()
            .fleet_id(fleet_id)
            .maximum_player_session_count(1)
            .name("hangar-smoke-test")
            .idempotency_token(format!("{}-smoke-{t}", config.replacement_id))
            .send()
            .await
            .map_err(|e| classify("CreateGameSession", e))?;
        let session_id = out
            .game_session()
            .and_then(|s| s.game_session_id())
            .map(str::to_string);
        let session_id = session_id
            .ok_or_else(|| StageError::Aws("CreateGameSession returned no GameSessionId".into()))?;
        let mut out = PollOut::new(
            false,
            PollClock::tick(None, t),
            format!("smoke-test session {session_id} placed"),
        );
        out.game_session_id = Some(session_id);
        return Ok(out);
    };
    let described = gl
        .describe_game_sessions()
        .game_session_id(&session_id)
        .send()
        .await
        .map_err(|e| classify("DescribeGameSessions", e))?;
    let session = described.game_sessions().first();
    let status = session
        .and_then(|s| s.status())
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "MISSING".into());
    let reason = session
        .and_then(|s| s.status_reason())
        .map(|r| r.as_str().to_string());
    let progress = smoke_progress(fleet_id, &session_id, &status, reason.as_deref());
    let mut out = poll(
        "smoke test",
        previous,
        config.timeouts.smoke,
        progress,
        StageError::SmokeTestFailed,
    )?;
    if out.done && smoke_session_ended_by_us(&status, reason.as_deref()) {
        out.status = format!("smoke-test session {session_id} was ACTIVE and has been ended");
    } else if out.done {
        // The session proved the build serves; end it so it holds no capacity. A failure
        // to end it does not condemn a fleet that works: it is reported, not fatal.
        //
        // FORCE_TERMINATE, not TRIGGER_ON_PROCESS_TERMINATE: the session has no players and
        // no state worth a graceful shutdown, and FORCE ends it (and frees its server
        // process) at once, before the alias moves. TRIGGER only asks the server process
        // to end (OnProcessTerminate -> ProcessEnding); a build that does not implement
        // that callback would leave the session TERMINATING, holding a slot on the fleet
        // that is about to take all the players. Its StatusReason FORCE_TERMINATED also
        // lets a retried poll recognise the session as ended by this stage.
        out.status = match gl
            .terminate_game_session()
            .game_session_id(&session_id)
            .termination_mode(TerminationMode::ForceTerminate)
            .send()
            .await
        {
            Ok(_) => format!("smoke-test session {session_id} was ACTIVE and has been ended"),
            Err(e) => {
                let e = classify("TerminateGameSession", e);
                if e.is_retryable() {
                    return Err(e);
                }
                tracing::warn!(error = %e, session_id, "could not end the smoke-test session");
                format!("smoke-test session {session_id} was ACTIVE; ending it failed ({e}); it ends with its server process")
            }
        };
    }
    out.game_session_id = Some(session_id);
    Ok(out)
}

async fn swap_alias(deps: &Deps, state: &ExecutionState) -> Result<SwapOut, StageError> {
    let config = state.config()?;
    let old_id = state.old_fleet_id()?;
    let new_id = state.require_new_fleet_id()?;
    let gl = &deps.gamelift;
    let routed = gl::alias(gl, &config.alias_id)
        .await?
        .and_then(|a| a.fleet_id);
    match routed.as_deref() {
        Some(id) if id == new_id => {}
        Some(id) if id == old_id => gl::point_alias(gl, &config.alias_id, new_id).await?,
        other => {
            return Err(StageError::Unsafe(format!(
                "alias {} now routes to {} instead of {old_id}: someone changed it during the replacement; \
                 it was left as it is",
                config.alias_id,
                other.unwrap_or("no fleet")
            )))
        }
    }
    tracing::info!(
        alias_id = config.alias_id,
        from = old_id,
        to = new_id,
        "alias swapped"
    );
    Ok(SwapOut {
        alias_id: config.alias_id.clone(),
        from_fleet_id: old_id.to_string(),
        to_fleet_id: new_id.to_string(),
    })
}

const GONE: [&str; 2] = ["DELETING", "TERMINATED"];

async fn drain_old_fleet(deps: &Deps, state: &ExecutionState) -> Result<PollOut, StageError> {
    let config = state.config()?;
    let old_id = state.old_fleet_id()?;
    let gl = &deps.gamelift;
    let t = now();
    let clock = PollClock::tick(state.drain.as_ref().map(|p| p.clock), t);
    let status = gl::fleet(gl, old_id).await?.map(|f| gl::fleet_status(&f));
    if status.as_deref().is_none_or(|s| GONE.contains(&s)) {
        return Ok(PollOut::new(
            true,
            clock,
            format!("old fleet {old_id} is already gone"),
        ));
    }
    let statuses = gl::session_statuses(gl, old_id, &deps.region).await?;
    let live = live_sessions(statuses.iter().map(String::as_str));
    match drain_decision(live, clock.expired(t, config.timeouts.drain)) {
        Drain::Drained => {
            let locations = gl::location_names(gl, old_id, &deps.region).await?;
            for (location, target) in capacity::zero(&locations) {
                gl::set_capacity(gl, old_id, &location, &deps.region, target).await?;
            }
            let mut out = PollOut::new(true, clock, format!("old fleet {old_id} drained and scaled to zero"));
            out.live_sessions = Some(0);
            Ok(out)
        }
        Drain::Waiting(n) => {
            let mut out = PollOut::new(false, clock, format!("old fleet {old_id}: {n} live game session(s)"));
            out.live_sessions = Some(n);
            Ok(out)
        }
        Drain::TimedOut(n) => Err(StageError::DrainTimedOut(format!(
            "old fleet {old_id} still had {n} ACTIVE/ACTIVATING game session(s) after the {}s drain timeout",
            config.timeouts.drain
        ))),
    }
}

#[derive(Debug, Serialize)]
struct DeleteOut {
    fleet_id: String,
    deleted: bool,
    status: String,
}

async fn delete_old_fleet(deps: &Deps, state: &ExecutionState) -> Result<DeleteOut, StageError> {
    let config = state.config()?;
    let old_id = state.old_fleet_id()?.to_string();
    let gl = &deps.gamelift;
    if config.keep_old_fleet {
        let status = format!("old fleet {old_id} kept (scaled to zero) as asked");
        return Ok(DeleteOut {
            fleet_id: old_id,
            deleted: false,
            status,
        });
    }
    let status = gl::fleet(gl, &old_id).await?.map(|f| gl::fleet_status(&f));
    if status.as_deref().is_none_or(|s| GONE.contains(&s)) {
        let status = format!("old fleet {old_id} is already gone");
        return Ok(DeleteOut {
            fleet_id: old_id,
            deleted: true,
            status,
        });
    }
    let routing = aliases_routing_to(&gl::all_aliases(gl).await?, &old_id);
    if !routing.is_empty() {
        return Err(StageError::Unsafe(format!(
            "old fleet {old_id} was not deleted: alias(es) {} still route to it",
            routing.join(", ")
        )));
    }
    gl::delete_fleet(gl, &old_id).await?;
    tracing::info!(fleet_id = old_id, "old fleet deleted");
    Ok(DeleteOut {
        status: format!("old fleet {old_id} deleted"),
        fleet_id: old_id,
        deleted: true,
    })
}

/// Result of the rollback stage; the state machine fails with `error` and `cause`.
#[derive(Debug, Serialize)]
pub struct RollbackOut {
    pub error: String,
    pub cause: String,
    pub actions: Vec<Action>,
    pub leftovers: Vec<String>,
}

async fn rollback(deps: &Deps, state: &ExecutionState) -> Result<RollbackOut, StageError> {
    let failure = state.error.as_ref().map(|e| (e.error.clone(), e.message()));
    let (failed_error, failed_message) =
        failure.unwrap_or_else(|| ("Hangar.Failed".into(), "a stage failed".into()));
    let config = state.config()?;
    let gl = &deps.gamelift;
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
            Ok(()) => done.push(describe(action)),
            Err(e) if e.is_retryable() => return Err(e),
            Err(e) => leftovers.push(format!("could not {}: {e}", describe(action))),
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

fn describe(action: &Action) -> String {
    match action {
        Action::PointAlias { alias_id, fleet_id } => {
            format!("pointed alias {alias_id} back at {fleet_id}")
        }
        Action::DeleteFleet { fleet_id } => format!("deleted new fleet {fleet_id}"),
        Action::DeleteBuild { build_id } => format!("deleted build {build_id}"),
    }
}

#[derive(Debug, Serialize)]
struct ReleaseOut {
    released: bool,
}

async fn release_lock(deps: &Deps, state: &ExecutionState) -> Result<ReleaseOut, StageError> {
    let Some(v) = state.validated.as_ref().filter(|v| v.locked) else {
        return Ok(ReleaseOut { released: false });
    };
    let released = lock::release(
        &deps.dynamodb,
        &deps.lock_table,
        &v.config.alias_id,
        &v.config.replacement_id,
    )
    .await?;
    Ok(ReleaseOut { released })
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
