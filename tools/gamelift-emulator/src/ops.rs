//! GameLift operations: validate the request members, change the [`State`], build the
//! response members. Wire-format neutral (see `wire`).

use crate::clock::SimMillis;
use crate::error::{ApiError, ApiResult};
use crate::model::*;
use crate::paging::page;
use crate::wire::{ts, Input};
use serde_json::{json, Map, Value};

/// What an operation needs besides the state.
pub struct Ctx<'a> {
    pub now: SimMillis,
    pub timing: &'a Timing,
    pub settings: &'a ServerSettings,
    pub who: &'a Identity,
    pub faults: &'a crate::faults::Faults,
}

pub const OPERATIONS: &[&str] = &[
    "CreateBuild",
    "DescribeBuild",
    "ListBuilds",
    "DeleteBuild",
    "CreateFleet",
    "DescribeFleetAttributes",
    "DescribeFleetLocationAttributes",
    "DescribeFleetCapacity",
    "DescribeFleetLocationCapacity",
    "UpdateFleetCapacity",
    "DescribeRuntimeConfiguration",
    "DeleteFleet",
    "PutScalingPolicy",
    "DescribeScalingPolicies",
    "CreateAlias",
    "DescribeAlias",
    "UpdateAlias",
    "ListAliases",
    "ResolveAlias",
    "CreateGameSessionQueue",
    "DescribeGameSessionQueues",
    "StartGameSessionPlacement",
    "DescribeGameSessionPlacement",
    "StopGameSessionPlacement",
    "CreateGameSession",
    "DescribeGameSessions",
    "DescribeGameSessionDetails",
    "SearchGameSessions",
    "UpdateGameSession",
    "TerminateGameSession",
    "CreatePlayerSession",
    "CreatePlayerSessions",
    "DescribePlayerSessions",
    "TagResource",
    "ListTagsForResource",
];

const OPERATING_SYSTEMS: &[&str] = &[
    "WINDOWS_2012",
    "AMAZON_LINUX",
    "AMAZON_LINUX_2",
    "WINDOWS_2016",
    "AMAZON_LINUX_2023",
    "WINDOWS_2022",
];
const BUILD_STATUS: &[&str] = &["INITIALIZED", "READY", "FAILED"];
const ROUTING_TYPES: &[&str] = &["SIMPLE", "TERMINAL"];
const PROTECTION: &[&str] = &["NoProtection", "FullProtection"];
const FLEET_TYPES: &[&str] = &["ON_DEMAND", "SPOT"];
const COMPUTE_TYPES: &[&str] = &["EC2", "ANYWHERE"];
const CREATION_POLICY: &[&str] = &["ACCEPT_ALL", "DENY_ALL"];
const GS_STATUS: &[&str] = &["ACTIVE", "ACTIVATING", "TERMINATED", "TERMINATING", "ERROR"];
const TERMINATION_MODES: &[&str] = &["TRIGGER_ON_PROCESS_TERMINATE", "FORCE_TERMINATE"];
const PS_STATUS: &[&str] = &["RESERVED", "ACTIVE", "COMPLETED", "TIMEDOUT"];
const SCALING_ADJ: &[&str] = &[
    "ChangeInCapacity",
    "ExactCapacity",
    "PercentChangeInCapacity",
];
const COMPARISON: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];
const POLICY_TYPES: &[&str] = &["RuleBased", "TargetBased"];
const METRICS: &[&str] = &[
    "ActivatingGameSessions",
    "ActiveGameSessions",
    "ActiveInstances",
    "AvailableGameSessions",
    "AvailablePlayerSessions",
    "CurrentPlayerSessions",
    "IdleInstances",
    "PercentAvailableGameSessions",
    "PercentIdleInstances",
    "QueueDepth",
    "WaitTime",
    "ConcurrentActivatableGameSessions",
];
const SCALING_STATUS: &[&str] = &[
    "ACTIVE",
    "UPDATE_REQUESTED",
    "UPDATING",
    "DELETE_REQUESTED",
    "DELETING",
    "DELETED",
    "ERROR",
];

pub fn dispatch(s: &mut State, c: &Ctx<'_>, op: &str, body: &Value) -> ApiResult<Value> {
    let i = Input::new(body);
    match op {
        "CreateBuild" => create_build(s, c, &i),
        "DescribeBuild" => {
            let b = build(s, i.str_req("BuildId")?)?;
            Ok(json!({"Build": build_wire(b)}))
        }
        "ListBuilds" => list_builds(s, &i),
        "DeleteBuild" => {
            let id = i.str_req("BuildId")?;
            let b = build(s, id)?.id.clone();
            s.builds.retain(|x| x.id != b);
            Ok(json!({}))
        }
        "CreateFleet" => create_fleet(s, c, &i),
        "DescribeFleetAttributes" => describe_fleets(s, &i, fleet_wire)
            .map(|(items, next)| with_next(json!({"FleetAttributes": items}), next)),
        "DescribeFleetCapacity" => describe_fleets(s, &i, |s, f| {
            f.home()
                .map(|l| capacity_wire(s, f, l))
                .unwrap_or(Value::Null)
        })
        .map(|(items, next)| with_next(json!({"FleetCapacity": items}), next)),
        "DescribeFleetLocationAttributes" => describe_fleet_locations(s, &i),
        "DescribeFleetLocationCapacity" => {
            let f = fleet(s, i.str_req("FleetId")?)?;
            let name = i.str_req("Location")?;
            let l = f.location(name).ok_or_else(|| {
                ApiError::not_found(format!("fleet {} has no location {name}", f.id))
            })?;
            Ok(json!({"FleetCapacity": capacity_wire(s, f, l)}))
        }
        "UpdateFleetCapacity" => update_capacity(s, c, &i),
        "DescribeRuntimeConfiguration" => {
            let f = fleet(s, i.str_req("FleetId")?)?;
            Ok(json!({"RuntimeConfiguration": f.runtime_configuration}))
        }
        "DeleteFleet" => delete_fleet(s, c, &i),
        "PutScalingPolicy" => put_scaling_policy(s, &i),
        "DescribeScalingPolicies" => describe_scaling_policies(s, &i),
        "CreateAlias" => create_alias(s, c, &i),
        "DescribeAlias" => Ok(json!({"Alias": alias_wire(alias(s, i.str_req("AliasId")?)?)})),
        "UpdateAlias" => update_alias(s, c, &i),
        "ListAliases" => list_aliases(s, &i),
        "ResolveAlias" => {
            let a = alias(s, i.str_req("AliasId")?)?;
            let fid = terminal_check(a)?;
            let f = fleet(s, &fid)?;
            Ok(json!({"FleetId": f.id, "FleetArn": f.arn}))
        }
        "CreateGameSessionQueue" => create_queue(s, c, &i),
        "DescribeGameSessionQueues" => describe_queues(s, &i),
        "StartGameSessionPlacement" => start_placement(s, c, &i),
        "DescribeGameSessionPlacement" => {
            let p = placement(s, i.str_req("PlacementId")?)?;
            Ok(json!({"GameSessionPlacement": placement_wire(s, p)}))
        }
        "StopGameSessionPlacement" => stop_placement(s, c, &i),
        "CreateGameSession" => create_game_session(s, c, &i),
        "DescribeGameSessions" => {
            let (items, next) = game_sessions(s, &i)?;
            Ok(with_next(
                json!({"GameSessions": items.iter().map(|g| gs_wire(s, g)).collect::<Vec<_>>()}),
                next,
            ))
        }
        "DescribeGameSessionDetails" => {
            let (items, next) = game_sessions(s, &i)?;
            let details: Vec<_> = items
                .iter()
                .map(|g| json!({"GameSession": gs_wire(s, g), "ProtectionPolicy": g.protection}))
                .collect();
            Ok(with_next(json!({"GameSessionDetails": details}), next))
        }
        "SearchGameSessions" => crate::search::search_game_sessions(s, &i),
        "UpdateGameSession" => update_game_session(s, &i),
        "TerminateGameSession" => terminate_game_session(s, c, &i),
        "CreatePlayerSession" => {
            let gs = i.str_req("GameSessionId")?;
            let player = i.str_req("PlayerId")?;
            let data = i.str_opt("PlayerData")?.map(str::to_string);
            let out = create_player_sessions(s, c, gs, vec![(player.to_string(), data)])?;
            Ok(json!({"PlayerSession": out.into_iter().next().unwrap_or(Value::Null)}))
        }
        "CreatePlayerSessions" => {
            let gs = i.str_req("GameSessionId")?;
            let ids = i
                .strings_opt("PlayerIds")?
                .ok_or_else(|| ApiError::invalid("PlayerIds is required"))?;
            if ids.is_empty() || ids.len() > 25 {
                return Err(ApiError::invalid("PlayerIds must hold 1 to 25 player ids"));
            }
            let data = i.obj_opt("PlayerDataMap")?;
            let players = ids
                .iter()
                .map(|p| {
                    (
                        p.to_string(),
                        data.as_ref()
                            .and_then(|d| d.0.get(*p))
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    )
                })
                .collect();
            Ok(json!({"PlayerSessions": create_player_sessions(s, c, gs, players)?}))
        }
        "DescribePlayerSessions" => describe_player_sessions(s, &i),
        "TagResource" => tag_resource(s, &i),
        "ListTagsForResource" => {
            let arn = i.str_req("ResourceARN")?;
            resource_exists(s, arn)?;
            let tags = s
                .tags
                .iter()
                .find(|(a, _)| a == arn)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            Ok(
                json!({"Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()}),
            )
        }
        other => Err(ApiError::unknown_operation(other)),
    }
}

pub fn with_next(mut v: Value, next: Option<String>) -> Value {
    if let Some(n) = next {
        v["NextToken"] = json!(n);
    }
    v
}

fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

fn last_segment(id_or_arn: &str) -> &str {
    id_or_arn.rsplit('/').next().unwrap_or(id_or_arn)
}

// ---------------------------------------------------------------- builds

fn build<'a>(s: &'a State, id: &str) -> ApiResult<&'a Build> {
    let id = last_segment(id);
    s.builds
        .iter()
        .find(|b| b.id == id)
        .ok_or_else(|| ApiError::not_found(format!("build {id} not found")))
}

fn build_wire(b: &Build) -> Value {
    strip_nulls(json!({
        "BuildId": b.id, "BuildArn": b.arn, "Name": b.name, "Version": b.version, "Status": b.status,
        "SizeOnDisk": if b.status == "READY" { 1_048_576 } else { 0 }, "OperatingSystem": b.operating_system,
        "CreationTime": ts(b.created), "ServerSdkVersion": b.server_sdk_version,
    }))
}

fn create_build(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_opt("Name")?.map(str::to_string);
    let version = i.str_opt("Version")?.map(str::to_string);
    let os = i
        .enum_opt("OperatingSystem", OPERATING_SYSTEMS)?
        .map(str::to_string);
    let sdk = i.str_opt("ServerSdkVersion")?.map(str::to_string);
    if let Some(v) = &sdk {
        if v.split('.').count() != 3
            || !v
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(ApiError::invalid("ServerSdkVersion must look like 5.1.0"));
        }
    }
    let storage = i
        .obj_opt("StorageLocation")?
        .map(|o| Value::Object(o.0.clone()));
    let tags = parse_tags(i, "Tags")?;
    let id = format!("build-{}", uuid::Uuid::new_v4());
    let b = Build {
        arn: c.who.arn("build", &id),
        id,
        name,
        version,
        status: "INITIALIZED",
        operating_system: os,
        server_sdk_version: sdk,
        created: c.now,
        ready_at: c.now + c.timing.build_ready_ms,
    };
    let out = json!({
        "Build": build_wire(&b),
        "UploadCredentials": {"AccessKeyId": "AKIAEMULATOR", "SecretAccessKey": "emulator", "SessionToken": "emulator"},
        "StorageLocation": storage.unwrap_or_else(|| json!({"Bucket": "gamelift-emulator-builds", "Key": b.id})),
    });
    set_tags(s, &b.arn, tags);
    s.builds.push(b);
    Ok(out)
}

fn list_builds(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let status = i.enum_opt("Status", BUILD_STATUS)?;
    let items: Vec<_> = s
        .builds
        .iter()
        .filter(|b| status.is_none_or(|st| b.status == st))
        .collect();
    let (items, next) = page(&items, i, 100, usize::MAX)?;
    Ok(with_next(
        json!({"Builds": items.iter().map(|b| build_wire(b)).collect::<Vec<_>>()}),
        next,
    ))
}

// ---------------------------------------------------------------- tags

fn parse_tags(i: &Input<'_>, f: &str) -> ApiResult<Vec<(String, String)>> {
    i.structs_opt(f)?
        .iter()
        .map(|t| {
            Ok((
                t.str_req("Key")?.to_string(),
                t.0.get("Value")
                    .and_then(Value::as_str)
                    .ok_or_else(|| ApiError::invalid("Tags[].Value is required"))?
                    .to_string(),
            ))
        })
        .collect()
}

fn set_tags(s: &mut State, arn: &str, tags: Vec<(String, String)>) {
    if tags.is_empty() {
        return;
    }
    let idx = match s.tags.iter().position(|(a, _)| a == arn) {
        Some(i) => i,
        None => {
            s.tags.push((arn.to_string(), Vec::new()));
            s.tags.len() - 1
        }
    };
    for (k, v) in tags {
        let list = &mut s.tags[idx].1;
        match list.iter_mut().find(|(x, _)| *x == k) {
            Some(e) => e.1 = v,
            None => list.push((k, v)),
        }
    }
}

fn resource_exists(s: &State, arn: &str) -> ApiResult<()> {
    let found = s.builds.iter().any(|b| b.arn == arn)
        || s.fleets.iter().any(|f| f.arn == arn)
        || s.aliases.iter().any(|a| a.arn == arn)
        || s.queues.iter().any(|q| q.arn == arn);
    if !arn.starts_with("arn:") {
        return Err(ApiError::invalid("ResourceARN must be an ARN"));
    }
    if found {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("resource {arn} not found")))
    }
}

fn tag_resource(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let arn = i.str_req("ResourceARN")?;
    if i.list_opt("Tags")?.is_none() {
        return Err(ApiError::invalid("Tags is required"));
    }
    let tags = parse_tags(i, "Tags")?;
    resource_exists(s, arn)?;
    set_tags(s, arn, tags);
    Ok(json!({}))
}

// ---------------------------------------------------------------- fleets

pub fn fleet<'a>(s: &'a State, id: &str) -> ApiResult<&'a Fleet> {
    s.fleet_index(id)
        .map(|i| &s.fleets[i])
        .ok_or_else(|| ApiError::not_found(format!("fleet {id} not found")))
}

fn fleet_wire(_s: &State, f: &Fleet) -> Value {
    let mut a = f.attributes.clone();
    a["Status"] = json!(f.status);
    if let Some(t) = f.terminated {
        a["TerminationTime"] = ts(t);
    }
    a
}

fn capacity_wire(s: &State, f: &Fleet, l: &Location) -> Value {
    let sessions = s.sessions_in(&f.id, &l.name);
    let used = if f.sessions_per_instance > 0 {
        (sessions + f.sessions_per_instance - 1) / f.sessions_per_instance
    } else {
        0
    };
    let pending = (l.desired - l.active).max(0);
    let terminating = (l.active - l.desired)
        .max(0)
        .min(if l.instances_at.is_some() {
            i64::MAX
        } else {
            0
        });
    json!({
        "FleetId": f.id, "FleetArn": f.arn,
        "InstanceType": f.attributes.get("InstanceType").cloned().unwrap_or(json!("c5.large")),
        "InstanceCounts": {"DESIRED": l.desired, "MINIMUM": l.min, "MAXIMUM": l.max, "PENDING": if l.status == "ACTIVE" || l.instances_at.is_some() { pending } else { 0 },
            "ACTIVE": l.active, "IDLE": (l.active - used).max(0), "TERMINATING": terminating},
        "Location": l.name,
    })
}

fn create_fleet(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?.to_string();
    let build_id = i.str_opt("BuildId")?;
    if i.str_opt("ScriptId")?.is_some() {
        return Err(ApiError::invalid(
            "ScriptId (Realtime fleets) is not supported by the emulator; use BuildId",
        ));
    }
    let compute = i.enum_opt("ComputeType", COMPUTE_TYPES)?.unwrap_or("EC2");
    let b = match build_id {
        Some(id) => build(s, id)?.clone(),
        None => return Err(ApiError::invalid("BuildId is required for an EC2 fleet")),
    };
    if b.status != "READY" {
        return Err(ApiError::invalid(format!(
            "build {} is {}, not READY",
            b.id, b.status
        )));
    }
    let fleet_type = i.enum_opt("FleetType", FLEET_TYPES)?.unwrap_or("ON_DEMAND");
    let instance_type = i.str_opt("EC2InstanceType")?;
    if compute == "EC2" && instance_type.is_none() {
        return Err(ApiError::invalid("EC2InstanceType is required"));
    }
    let protection = i
        .enum_opt("NewGameSessionProtectionPolicy", PROTECTION)?
        .unwrap_or("NoProtection");
    let (runtime, per_instance) = runtime_configuration(i)?;
    let mut locations = vec![c.who.region.clone()];
    for l in i.structs_opt("Locations")? {
        let name = l.str_req("Location")?;
        if !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        {
            return Err(ApiError::invalid(
                "Locations[].Location must be a location name such as us-west-2",
            ));
        }
        if !locations.iter().any(|x| x == name) {
            locations.push(name.to_string());
        }
    }
    let tags = parse_tags(i, "Tags")?;
    let id = format!("fleet-{}", uuid::Uuid::new_v4());
    let arn = c.who.arn("fleet", &id);
    let mut attrs = json!({
        "FleetId": id, "FleetArn": arn, "FleetType": fleet_type, "Name": name, "CreationTime": ts(c.now),
        "BuildId": b.id, "BuildArn": b.arn, "NewGameSessionProtectionPolicy": protection,
        "ComputeType": compute, "StoppedActions": [], "MetricGroups": ["default"],
        "CertificateConfiguration": i.obj_opt("CertificateConfiguration")?.map(|o| Value::Object(o.0.clone())).unwrap_or(json!({"CertificateType": "DISABLED"})),
    });
    for (k, v) in [
        ("Description", i.str_opt("Description")?),
        ("InstanceType", instance_type),
        ("ServerLaunchPath", i.str_opt("ServerLaunchPath")?),
        (
            "ServerLaunchParameters",
            i.str_opt("ServerLaunchParameters")?,
        ),
        ("InstanceRoleArn", i.str_opt("InstanceRoleArn")?),
        ("OperatingSystem", b.operating_system.as_deref()),
    ] {
        if let Some(v) = v {
            attrs[k] = json!(v);
        }
    }
    if let Some(m) = i.strings_opt("MetricGroups")? {
        attrs["MetricGroups"] = json!(m);
    }
    if let Some(p) = i.obj_opt("ResourceCreationLimitPolicy")? {
        attrs["ResourceCreationLimitPolicy"] = Value::Object(p.0.clone());
    }
    if let Some(p) = i.strings_opt("LogPaths")? {
        attrs["LogPaths"] = json!(p);
    }
    let f = Fleet {
        id: id.clone(),
        arn: arn.clone(),
        name,
        attributes: attrs,
        runtime_configuration: runtime,
        sessions_per_instance: per_instance,
        created: c.now,
        terminated: None,
        deleting_until: None,
        status: "NEW",
        locations: locations
            .iter()
            .map(|l| Location {
                extra_activation: c.faults.activation_for(l),
                ..Location::new(l, c.now, c.timing)
            })
            .collect(),
    };
    let out = json!({
        "FleetAttributes": fleet_wire(s, &f),
        "LocationStates": f.locations.iter().map(|l| json!({"Location": l.name, "Status": l.status})).collect::<Vec<_>>(),
    });
    set_tags(s, &arn, tags);
    s.fleets.push(f);
    Ok(out)
}

fn runtime_configuration(i: &Input<'_>) -> ApiResult<(Value, i64)> {
    let Some(rc) = i.obj_opt("RuntimeConfiguration")? else {
        let default = json!({"ServerProcesses": [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 1}],
            "MaxConcurrentGameSessionActivations": 2147483647, "GameSessionActivationTimeoutSeconds": 300});
        return Ok((default, 1));
    };
    let procs = rc.structs_opt("ServerProcesses")?;
    if procs.is_empty() || procs.len() > 50 {
        return Err(ApiError::invalid(
            "RuntimeConfiguration.ServerProcesses must hold 1 to 50 entries",
        ));
    }
    let mut total = 0;
    for p in &procs {
        p.str_req("LaunchPath").map_err(|_| {
            ApiError::invalid("RuntimeConfiguration.ServerProcesses[].LaunchPath is required")
        })?;
        total += p.int_req("ConcurrentExecutions", 1).map_err(|e| {
            ApiError::invalid(format!(
                "RuntimeConfiguration.ServerProcesses[].{}",
                e.message
            ))
        })?;
    }
    if let Some(t) = rc.int_opt("GameSessionActivationTimeoutSeconds", 1)? {
        if t > 600 {
            return Err(ApiError::invalid(
                "RuntimeConfiguration.GameSessionActivationTimeoutSeconds must be at most 600",
            ));
        }
    }
    rc.int_opt("MaxConcurrentGameSessionActivations", 1)?;
    Ok((Value::Object(rc.0.clone()), total))
}

type Described = (Vec<Value>, Option<String>);

fn describe_fleets(
    s: &State,
    i: &Input<'_>,
    render: impl Fn(&State, &Fleet) -> Value,
) -> ApiResult<Described> {
    let ids = i.strings_opt("FleetIds")?;
    let fleets: Vec<&Fleet> = match &ids {
        Some(ids) => {
            if ids.is_empty() {
                return Err(ApiError::invalid("FleetIds must not be empty"));
            }
            ids.iter()
                .filter_map(|id| s.fleet_index(id).map(|x| &s.fleets[x]))
                .collect()
        }
        None => s.fleets.iter().collect(),
    };
    // GameLift ignores Limit and NextToken when FleetIds is set.
    if ids.is_some() {
        return Ok((fleets.iter().map(|f| render(s, f)).collect(), None));
    }
    let (page_items, next) = page(&fleets, i, 50, usize::MAX)?;
    Ok((page_items.iter().map(|f| render(s, f)).collect(), next))
}

fn describe_fleet_locations(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let f = fleet(s, i.str_req("FleetId")?)?;
    let wanted = i.strings_opt("Locations")?;
    let locs: Vec<&Location> = f
        .locations
        .iter()
        .filter(|l| wanted.as_ref().is_none_or(|w| w.contains(&l.name.as_str())))
        .collect();
    let (items, next) = page(&locs, i, 100, usize::MAX)?;
    let attrs: Vec<_> = items.iter().map(|l| json!({"LocationState": {"Location": l.name, "Status": l.status}, "StoppedActions": []})).collect();
    Ok(with_next(
        json!({"FleetId": f.id, "FleetArn": f.arn, "LocationAttributes": attrs}),
        next,
    ))
}

fn update_capacity(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let idx = s
        .fleet_index(i.str_req("FleetId")?)
        .ok_or_else(|| ApiError::not_found("fleet not found"))?;
    let desired = i.int_opt("DesiredInstances", 0)?;
    let min = i.int_opt("MinSize", 0)?;
    let max = i.int_opt("MaxSize", 0)?;
    let f = &mut s.fleets[idx];
    if f.is_gone() {
        return Err(ApiError::new(
            "InvalidFleetStatusException",
            format!("fleet {} is {}", f.id, f.status),
        ));
    }
    let home = f
        .locations
        .first()
        .map(|l| l.name.clone())
        .unwrap_or_default();
    let name = i.str_opt("Location")?.map(str::to_string).unwrap_or(home);
    let (fid, farn) = (f.id.clone(), f.arn.clone());
    let l = f
        .location_mut(&name)
        .ok_or_else(|| ApiError::not_found(format!("fleet {fid} has no location {name}")))?;
    let (d, lo, hi) = (
        desired.unwrap_or(l.desired),
        min.unwrap_or(l.min),
        max.unwrap_or(l.max),
    );
    if lo > hi {
        return Err(ApiError::invalid("MinSize must not exceed MaxSize"));
    }
    // An invalid request, not LimitExceededException: the AWS SDKs retry that code as
    // throttling.
    if d < lo || d > hi {
        return Err(ApiError::invalid(format!(
            "DesiredInstances {d} is outside MinSize {lo} .. MaxSize {hi}"
        )));
    }
    l.set_capacity(d, lo, hi, c.now, c.timing);
    Ok(json!({"FleetId": fid, "FleetArn": farn, "Location": name}))
}

fn delete_fleet(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let idx = s
        .fleet_index(i.str_req("FleetId")?)
        .ok_or_else(|| ApiError::not_found("fleet not found"))?;
    let f = &mut s.fleets[idx];
    if !matches!(f.status, "ACTIVE" | "ERROR") {
        return Err(ApiError::invalid(format!(
            "fleet {} is {}; only ACTIVE or ERROR fleets can be deleted",
            f.id, f.status
        )));
    }
    f.status = "DELETING";
    f.deleting_until = Some(c.now + c.timing.fleet_deleting_ms);
    for l in &mut f.locations {
        l.status = "DELETING";
        l.desired = 0;
    }
    let fid = f.id.clone();
    let mut effects = Vec::new();
    for g in 0..s.game_sessions.len() {
        if s.game_sessions[g].fleet_id == fid && s.game_sessions[g].occupies_capacity() {
            s.end_game_session(g, c.now, &mut effects);
        }
    }
    s.pending_effects.extend(effects);
    Ok(json!({}))
}

fn put_scaling_policy(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?.to_string();
    let f = fleet(s, i.str_req("FleetId")?)?;
    let (fid, farn) = (f.id.clone(), f.arn.clone());
    let location = f.home().map(|l| l.name.clone()).unwrap_or_default();
    let metric = i
        .enum_opt("MetricName", METRICS)?
        .ok_or_else(|| ApiError::invalid("MetricName is required"))?;
    let policy_type = i
        .enum_opt("PolicyType", POLICY_TYPES)?
        .unwrap_or("RuleBased");
    let mut wire = json!({"FleetId": fid, "FleetArn": farn, "Name": name, "Status": "ACTIVE", "MetricName": metric, "PolicyType": policy_type, "Location": location});
    if policy_type == "TargetBased" {
        let t = i.obj_opt("TargetConfiguration")?.ok_or_else(|| {
            ApiError::invalid("TargetConfiguration is required for a TargetBased policy")
        })?;
        let v = t
            .f64_opt("TargetValue")?
            .ok_or_else(|| ApiError::invalid("TargetConfiguration.TargetValue is required"))?;
        wire["TargetConfiguration"] = json!({"TargetValue": v});
    } else {
        let adj = i.int_opt("ScalingAdjustment", i64::MIN)?.ok_or_else(|| {
            ApiError::invalid("ScalingAdjustment is required for a RuleBased policy")
        })?;
        let adj_type = i
            .enum_opt("ScalingAdjustmentType", SCALING_ADJ)?
            .ok_or_else(|| {
                ApiError::invalid("ScalingAdjustmentType is required for a RuleBased policy")
            })?;
        let cmp = i
            .enum_opt("ComparisonOperator", COMPARISON)?
            .ok_or_else(|| {
                ApiError::invalid("ComparisonOperator is required for a RuleBased policy")
            })?;
        let threshold = i
            .f64_opt("Threshold")?
            .ok_or_else(|| ApiError::invalid("Threshold is required for a RuleBased policy"))?;
        let periods = i.int_opt("EvaluationPeriods", 1)?.ok_or_else(|| {
            ApiError::invalid("EvaluationPeriods is required for a RuleBased policy")
        })?;
        for (k, v) in [
            ("ScalingAdjustment", json!(adj)),
            ("ScalingAdjustmentType", json!(adj_type)),
            ("ComparisonOperator", json!(cmp)),
            ("Threshold", json!(threshold)),
            ("EvaluationPeriods", json!(periods)),
        ] {
            wire[k] = v;
        }
    }
    s.scaling_policies
        .retain(|p| !(p.fleet_id == fid && p.name == name));
    s.scaling_policies.push(ScalingPolicy {
        fleet_id: fid,
        name: name.clone(),
        location,
        wire,
    });
    Ok(json!({"Name": name}))
}

fn describe_scaling_policies(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let f = fleet(s, i.str_req("FleetId")?)?;
    let status = i.enum_opt("StatusFilter", SCALING_STATUS)?;
    let loc = i.str_opt("Location")?;
    let items: Vec<&ScalingPolicy> = s
        .scaling_policies
        .iter()
        .filter(|p| {
            p.fleet_id == f.id
                && status.is_none_or(|st| st == "ACTIVE")
                && loc.is_none_or(|l| l == p.location)
        })
        .collect();
    let (items, next) = page(&items, i, 50, usize::MAX)?;
    Ok(with_next(
        json!({"ScalingPolicies": items.iter().map(|p| p.wire.clone()).collect::<Vec<_>>()}),
        next,
    ))
}

// ---------------------------------------------------------------- aliases

fn alias<'a>(s: &'a State, id: &str) -> ApiResult<&'a Alias> {
    let id = last_segment(id);
    s.aliases
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::not_found(format!("alias {id} not found")))
}

fn alias_wire(a: &Alias) -> Value {
    let mut rs = json!({"Type": a.routing_type});
    if let Some(f) = &a.fleet_id {
        rs["FleetId"] = json!(f);
    }
    if let Some(m) = &a.message {
        rs["Message"] = json!(m);
    }
    strip_nulls(
        json!({"AliasId": a.id, "Name": a.name, "AliasArn": a.arn, "Description": a.description,
        "RoutingStrategy": rs, "CreationTime": ts(a.created), "LastUpdatedTime": ts(a.updated)}),
    )
}

fn terminal_check(a: &Alias) -> ApiResult<String> {
    match (&a.routing_type[..], &a.fleet_id) {
        ("SIMPLE", Some(f)) => Ok(f.clone()),
        _ => Err(ApiError::new(
            "TerminalRoutingStrategyException",
            a.message
                .clone()
                .unwrap_or_else(|| format!("alias {} has a terminal routing strategy", a.id)),
        )),
    }
}

fn routing(s: &State, rs: &Input<'_>) -> ApiResult<(String, Option<String>, Option<String>)> {
    let t = rs
        .enum_opt("Type", ROUTING_TYPES)?
        .unwrap_or("SIMPLE")
        .to_string();
    let fleet_id = rs.str_opt("FleetId")?.map(str::to_string);
    let message = rs.str_opt("Message")?.map(str::to_string);
    if t == "SIMPLE" {
        let Some(f) = &fleet_id else {
            return Err(ApiError::invalid(
                "RoutingStrategy.FleetId is required for a SIMPLE routing strategy",
            ));
        };
        if !f.starts_with("fleet-") {
            return Err(ApiError::invalid(
                "RoutingStrategy.FleetId must be a fleet id",
            ));
        }
        // CreateAlias has no NotFoundException: an unknown fleet is an invalid request.
        if s.fleet_index(f).is_none() {
            return Err(ApiError::invalid(format!(
                "RoutingStrategy.FleetId {f} is not a known fleet"
            )));
        }
    }
    Ok((t, fleet_id, message))
}

fn create_alias(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?.to_string();
    if name.trim().is_empty() {
        return Err(ApiError::invalid("Name must contain a non-blank character"));
    }
    let rs = i
        .obj_opt("RoutingStrategy")?
        .ok_or_else(|| ApiError::invalid("RoutingStrategy is required"))?;
    let (routing_type, fleet_id, message) = routing(s, &rs)?;
    let tags = parse_tags(i, "Tags")?;
    let id = format!("alias-{}", uuid::Uuid::new_v4());
    let a = Alias {
        arn: c.who.arn("alias", &id),
        id,
        name,
        description: i.str_opt("Description")?.map(str::to_string),
        routing_type,
        fleet_id,
        message,
        created: c.now,
        updated: c.now,
    };
    let out = json!({"Alias": alias_wire(&a)});
    set_tags(s, &a.arn, tags);
    s.aliases.push(a);
    Ok(out)
}

fn update_alias(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let id = alias(s, i.str_req("AliasId")?)?.id.clone();
    let rs = match i.obj_opt("RoutingStrategy")? {
        Some(rs) => Some(routing(s, &rs)?),
        None => None,
    };
    let name = i.str_opt("Name")?;
    let description = i.str_opt("Description")?;
    let a = s
        .aliases
        .iter_mut()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::not_found("alias not found"))?;
    if let Some(n) = name {
        a.name = n.to_string();
    }
    if let Some(d) = description {
        a.description = Some(d.to_string());
    }
    if let Some((t, f, m)) = rs {
        a.routing_type = t;
        a.fleet_id = f;
        a.message = m;
    }
    a.updated = c.now;
    Ok(json!({"Alias": alias_wire(a)}))
}

fn list_aliases(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let t = i.enum_opt("RoutingStrategyType", ROUTING_TYPES)?;
    let name = i.str_opt("Name")?;
    let items: Vec<&Alias> = s
        .aliases
        .iter()
        .filter(|a| t.is_none_or(|t| a.routing_type == t) && name.is_none_or(|n| a.name == n))
        .collect();
    let (items, next) = page(&items, i, 100, usize::MAX)?;
    Ok(with_next(
        json!({"Aliases": items.iter().map(|a| alias_wire(a)).collect::<Vec<_>>()}),
        next,
    ))
}

// ---------------------------------------------------------------- queues and placements

fn queue_wire(q: &Queue) -> Value {
    let mut v = q.extra.clone();
    v["Name"] = json!(q.name);
    v["GameSessionQueueArn"] = json!(q.arn);
    v["TimeoutInSeconds"] = json!(q.timeout_seconds);
    v["Destinations"] = json!(q
        .destinations
        .iter()
        .map(|d| json!({"DestinationArn": d}))
        .collect::<Vec<_>>());
    if let Some(t) = &q.notification_target {
        v["NotificationTarget"] = json!(t);
    }
    if let Some(d) = &q.custom_event_data {
        v["CustomEventData"] = json!(d);
    }
    v
}

fn queue<'a>(s: &'a State, name_or_arn: &str) -> ApiResult<&'a Queue> {
    let name = last_segment(name_or_arn);
    s.queues
        .iter()
        .find(|q| q.name == name)
        .ok_or_else(|| ApiError::not_found(format!("game session queue {name} not found")))
}

fn create_queue(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?.to_string();
    if name.len() > 128
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    {
        return Err(ApiError::invalid(
            "Name must be 1-128 letters, digits or '-'",
        ));
    }
    if s.queues.iter().any(|q| q.name == name) {
        return Err(ApiError::invalid(format!(
            "a game session queue named {name} already exists"
        )));
    }
    let mut destinations = Vec::new();
    for d in i.structs_opt("Destinations")? {
        let arn = d
            .str_req("DestinationArn")
            .map_err(|_| ApiError::invalid("Destinations[].DestinationArn is required"))?;
        let ok = if arn.contains(":alias/") {
            s.aliases.iter().any(|a| a.arn == arn)
        } else {
            s.fleets.iter().any(|f| f.arn == arn)
        };
        if !ok {
            return Err(ApiError::not_found(format!(
                "destination {arn} is not a known fleet or alias ARN"
            )));
        }
        destinations.push(arn.to_string());
    }
    let target = i.str_opt("NotificationTarget")?.map(str::to_string);
    if let Some(t) = &target {
        if !t.starts_with("arn:aws:sns:") {
            return Err(ApiError::invalid(
                "NotificationTarget must be an SNS topic ARN",
            ));
        }
    }
    let mut extra = Map::new();
    for k in [
        "PlayerLatencyPolicies",
        "FilterConfiguration",
        "PriorityConfiguration",
    ] {
        if let Some(v) = i.0.get(k).filter(|v| !v.is_null()) {
            extra.insert(k.to_string(), v.clone());
        }
    }
    let tags = parse_tags(i, "Tags")?;
    let q = Queue {
        arn: c.who.arn("gamesessionqueue", &name),
        name,
        timeout_seconds: i.int_opt("TimeoutInSeconds", 0)?.unwrap_or(600),
        destinations,
        notification_target: target,
        custom_event_data: i
            .0
            .get("CustomEventData")
            .and_then(Value::as_str)
            .map(str::to_string),
        extra: Value::Object(extra),
    };
    let out = json!({"GameSessionQueue": queue_wire(&q)});
    set_tags(s, &q.arn, tags);
    s.queues.push(q);
    Ok(out)
}

fn describe_queues(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let names = i.strings_opt("Names")?;
    let items: Vec<&Queue> = match &names {
        Some(n) => n.iter().map(|n| queue(s, n)).collect::<ApiResult<_>>()?,
        None => s.queues.iter().collect(),
    };
    let (items, next) = page(&items, i, 100, usize::MAX)?;
    Ok(with_next(
        json!({"GameSessionQueues": items.iter().map(|q| queue_wire(q)).collect::<Vec<_>>()}),
        next,
    ))
}

fn placement<'a>(s: &'a State, id: &str) -> ApiResult<&'a Placement> {
    s.placements
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found(format!("placement {id} not found")))
}

pub fn placement_wire(s: &State, p: &Placement) -> Value {
    let mut v = json!({"PlacementId": p.id, "GameSessionQueueName": p.queue_name, "Status": p.status,
        "GameProperties": p.game_properties, "MaximumPlayerSessionCount": p.maximum_player_session_count,
        "PlayerLatencies": p.player_latencies, "StartTime": ts(p.start)});
    for (k, val) in [
        ("GameSessionName", &p.game_session_name),
        ("GameSessionData", &p.game_session_data),
    ] {
        if let Some(x) = val {
            v[k] = json!(x);
        }
    }
    if let Some(e) = p.end {
        v["EndTime"] = ts(e);
    }
    if p.status == "FULFILLED" {
        if let Some(gs) = &p.game_session_id {
            v["GameSessionId"] = json!(gs);
            v["GameSessionArn"] = json!(gs);
        }
        v["GameSessionRegion"] = json!(p.location);
        v["IpAddress"] = json!(p.ip);
        v["DnsName"] = json!(p.dns);
        v["Port"] = json!(p.port);
        v["PlacedPlayerSessions"] = json!(p
            .placed
            .iter()
            .map(|(pl, ps)| json!({"PlayerId": pl, "PlayerSessionId": ps}))
            .collect::<Vec<_>>());
    }
    let _ = s;
    v
}

fn game_properties(i: &Input<'_>) -> ApiResult<Value> {
    let props = i.structs_opt("GameProperties")?;
    if props.len() > 16 {
        return Err(ApiError::invalid(
            "GameProperties must hold at most 16 properties",
        ));
    }
    let mut out = Vec::new();
    for p in props {
        let k = p
            .str_req("Key")
            .map_err(|_| ApiError::invalid("GameProperties[].Key is required"))?;
        let v =
            p.0.get("Value")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid("GameProperties[].Value is required"))?;
        if k.len() > 32 || v.len() > 96 {
            return Err(ApiError::invalid(
                "GameProperties keys are at most 32 and values at most 96 characters",
            ));
        }
        out.push(json!({"Key": k, "Value": v}));
    }
    Ok(Value::Array(out))
}

fn id_string(f: &str, v: &str) -> ApiResult<()> {
    if v.len() > 48 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ApiError::invalid(format!(
            "{f} must be 1-48 letters, digits or '-'"
        )));
    }
    Ok(())
}

fn start_placement(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let id = i.str_req("PlacementId")?;
    id_string("PlacementId", id)?;
    let q = queue(s, i.str_req("GameSessionQueueName")?)?.name.clone();
    let max = i.int_req("MaximumPlayerSessionCount", 0)?;
    let props = game_properties(i)?;
    if s.placements.iter().any(|p| p.id == id) {
        return Err(ApiError::invalid(format!("placement {id} already exists")));
    }
    let mut desired = Vec::new();
    for d in i.structs_opt("DesiredPlayerSessions")? {
        let player = d
            .str_req("PlayerId")
            .map_err(|_| ApiError::invalid("DesiredPlayerSessions[].PlayerId is required"))?;
        desired.push((
            player.to_string(),
            d.str_opt("PlayerData")?.map(str::to_string),
        ));
    }
    if desired.len() as i64 > max {
        return Err(ApiError::invalid(
            "DesiredPlayerSessions exceeds MaximumPlayerSessionCount",
        ));
    }
    let mut latencies = Vec::new();
    for l in i.structs_opt("PlayerLatencies")? {
        let mut v = Map::new();
        if let Some(p) = l.str_opt("PlayerId")? {
            v.insert("PlayerId".into(), json!(p));
        }
        if let Some(r) = l.str_opt("RegionIdentifier")? {
            v.insert("RegionIdentifier".into(), json!(r));
        }
        if let Some(ms) = l.f64_opt("LatencyInMilliseconds")? {
            v.insert("LatencyInMilliseconds".into(), json!(ms as f32 as f64));
        }
        latencies.push(Value::Object(v));
    }
    let p = Placement {
        game_properties: props,
        game_session_name: i.str_opt("GameSessionName")?.map(str::to_string),
        game_session_data: i.str_opt("GameSessionData")?.map(str::to_string),
        player_latencies: Value::Array(latencies),
        desired,
        ..Placement::pending(id, &q, max, c.now)
    };
    let out = json!({"GameSessionPlacement": placement_wire(s, &p)});
    s.placements.push(p);
    Ok(out)
}

fn stop_placement(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let id = i.str_req("PlacementId")?;
    let idx = s
        .placements
        .iter()
        .position(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found(format!("placement {id} not found")))?;
    if s.placements[idx].status == "PENDING" {
        s.placements[idx].status = "CANCELLED";
        s.placements[idx].end = Some(c.now);
        if let Some(q) = s
            .queues
            .iter()
            .find(|q| q.name == s.placements[idx].queue_name)
            .cloned()
        {
            s.emit(
                idx,
                "PlacementCancelled",
                &q,
                c.now,
                &c.faults.events,
                c.who,
            );
        }
    }
    Ok(json!({"GameSessionPlacement": placement_wire(s, &s.placements[idx])}))
}

// ---------------------------------------------------------------- game sessions

pub fn gs_wire(s: &State, g: &GameSession) -> Value {
    let mut v = json!({"GameSessionId": g.id, "FleetId": g.fleet_id, "FleetArn": g.fleet_arn, "CreationTime": ts(g.created),
        "CurrentPlayerSessionCount": s.player_count(&g.id), "MaximumPlayerSessionCount": g.maximum_player_session_count,
        "Status": g.status, "GameProperties": g.game_properties, "IpAddress": g.ip, "DnsName": g.dns, "Port": g.port,
        "PlayerSessionCreationPolicy": g.creation_policy, "Location": g.location});
    for (k, val) in [
        ("Name", &g.name),
        ("CreatorId", &g.creator_id),
        ("GameSessionData", &g.game_session_data),
    ] {
        if let Some(x) = val {
            v[k] = json!(x);
        }
    }
    if let Some(t) = g.terminated {
        v["TerminationTime"] = ts(t);
    }
    if let Some(r) = g.status_reason {
        v["StatusReason"] = json!(r);
    }
    v
}

/// Resolves FleetId / AliasId to a fleet id.
fn target_fleet(s: &State, i: &Input<'_>) -> ApiResult<Option<String>> {
    match (i.str_opt("FleetId")?, i.str_opt("AliasId")?) {
        (Some(_), Some(_)) => Err(ApiError::invalid("specify FleetId or AliasId, not both")),
        (Some(f), None) => Ok(Some(fleet(s, f)?.id.clone())),
        (None, Some(a)) => {
            let fid = terminal_check(alias(s, a)?)?;
            Ok(Some(fleet(s, &fid)?.id.clone()))
        }
        (None, None) => Ok(None),
    }
}

fn create_game_session(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let fid =
        target_fleet(s, i)?.ok_or_else(|| ApiError::invalid("FleetId or AliasId is required"))?;
    let max = i.int_req("MaximumPlayerSessionCount", 0)?;
    let props = game_properties(i)?;
    let token = i
        .str_opt("IdempotencyToken")?
        .or(i.str_opt("GameSessionId")?);
    if let Some(t) = token {
        id_string("IdempotencyToken", t)?;
        if let Some(g) = s
            .game_sessions
            .iter()
            .find(|g| g.fleet_id == fid && g.idempotency_token.as_deref() == Some(t))
        {
            return Ok(json!({"GameSession": gs_wire(s, g)}));
        }
    }
    let idx = s
        .fleet_index(&fid)
        .ok_or_else(|| ApiError::not_found("fleet not found"))?;
    let f = &s.fleets[idx];
    let location = i
        .str_opt("Location")?
        .map(str::to_string)
        .unwrap_or_else(|| f.home().map(|l| l.name.clone()).unwrap_or_default());
    let loc = f
        .location(&location)
        .ok_or_else(|| ApiError::not_found(format!("fleet {fid} has no location {location}")))?;
    if loc.status != "ACTIVE" || f.is_gone() {
        return Err(ApiError::new(
            "InvalidFleetStatusException",
            format!("fleet {fid} is {} in {location}", loc.status),
        ));
    }
    if s.free_slots(f, &location) == 0 {
        return Err(ApiError::new(
            "FleetCapacityExceededException",
            format!("fleet {fid} has no free game session slot in {location}"),
        ));
    }
    let g = s.open_game_session(
        idx,
        &location,
        token,
        max,
        i.str_opt("Name")?.map(str::to_string),
        props,
        i.str_opt("GameSessionData")?.map(str::to_string),
        c.now,
        c.timing,
        c.settings,
    );
    s.game_sessions[g].creator_id = i.str_opt("CreatorId")?.map(str::to_string);
    s.game_sessions[g].idempotency_token = token.map(str::to_string);
    Ok(json!({"GameSession": gs_wire(s, &s.game_sessions[g])}))
}

/// The game sessions DescribeGameSessions / DescribeGameSessionDetails answer with.
fn game_sessions<'a>(
    s: &'a State,
    i: &Input<'_>,
) -> ApiResult<(Vec<&'a GameSession>, Option<String>)> {
    let gs_id = i.str_opt("GameSessionId")?;
    let status = i.enum_opt("StatusFilter", GS_STATUS)?;
    let location = i.str_opt("Location")?;
    let fid = target_fleet(s, i)?;
    if fid.is_none() && gs_id.is_none() {
        return Err(ApiError::invalid(
            "one of FleetId, AliasId or GameSessionId is required",
        ));
    }
    let items: Vec<&GameSession> = s
        .game_sessions
        .iter()
        .filter(|g| {
            gs_id.is_none_or(|id| g.id == id)
                && fid.as_ref().is_none_or(|f| &g.fleet_id == f)
                && status.is_none_or(|st| g.status == st)
                && location.is_none_or(|l| g.location == l)
        })
        .collect();
    if let Some(id) = gs_id {
        if items.is_empty() && !s.game_sessions.iter().any(|g| g.id == id) {
            return Err(ApiError::not_found(format!("game session {id} not found")));
        }
    }
    let (items, next) = page(&items, i, 100, usize::MAX)?;
    Ok((items.to_vec(), next))
}

fn update_game_session(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let id = i.str_req("GameSessionId")?;
    let max = i.int_opt("MaximumPlayerSessionCount", 0)?;
    let name = i.str_opt("Name")?;
    let policy = i.enum_opt("PlayerSessionCreationPolicy", CREATION_POLICY)?;
    let protection = i.enum_opt("ProtectionPolicy", PROTECTION)?;
    let props = if i.0.contains_key("GameProperties") {
        Some(game_properties(i)?)
    } else {
        None
    };
    let idx = s
        .game_sessions
        .iter()
        .position(|g| g.id == id)
        .ok_or_else(|| ApiError::not_found(format!("game session {id} not found")))?;
    let g = &mut s.game_sessions[idx];
    if !matches!(g.status, "ACTIVE" | "ACTIVATING") {
        return Err(ApiError::new(
            "InvalidGameSessionStatusException",
            format!("game session is {}", g.status),
        ));
    }
    if let Some(m) = max {
        g.maximum_player_session_count = m;
    }
    if let Some(n) = name {
        g.name = Some(n.to_string());
    }
    if let Some(p) = policy {
        g.creation_policy = p.to_string();
    }
    if let Some(p) = protection {
        g.protection = p.to_string();
    }
    if let Some(Value::Array(new)) = props {
        // GameLift merges: a key with an empty value is removed.
        let mut cur: Vec<Value> = g.game_properties.as_array().cloned().unwrap_or_default();
        for p in new {
            let k = p["Key"].clone();
            cur.retain(|x| x["Key"] != k);
            if p["Value"].as_str().is_some_and(|v| !v.is_empty()) {
                cur.push(p);
            }
        }
        g.game_properties = Value::Array(cur);
    }
    Ok(json!({"GameSession": gs_wire(s, &s.game_sessions[idx])}))
}

fn terminate_game_session(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let id = i.str_req("GameSessionId")?;
    let mode = i
        .enum_opt("TerminationMode", TERMINATION_MODES)?
        .ok_or_else(|| {
            ApiError::invalid(
                "TerminationMode is required (TRIGGER_ON_PROCESS_TERMINATE or FORCE_TERMINATE)",
            )
        })?;
    let idx = s
        .game_sessions
        .iter()
        .position(|g| g.id == id)
        .ok_or_else(|| ApiError::not_found(format!("game session {id} not found")))?;
    let status = s.game_sessions[idx].status;
    if !matches!(status, "ACTIVE" | "ACTIVATING") {
        return Err(ApiError::new(
            "InvalidGameSessionStatusException",
            format!("game session {id} is {status}; only ACTIVE or ACTIVATING game sessions can be terminated"),
        ));
    }
    let mut effects = Vec::new();
    s.terminate_game_session(
        idx,
        mode == "FORCE_TERMINATE",
        c.now,
        c.timing,
        &mut effects,
    );
    s.pending_effects.extend(effects);
    Ok(json!({"GameSession": gs_wire(s, &s.game_sessions[idx])}))
}

fn ps_wire(p: &PlayerSession) -> Value {
    let mut v = json!({"PlayerSessionId": p.id, "PlayerId": p.player_id, "GameSessionId": p.game_session_id, "FleetId": p.fleet_id,
        "FleetArn": p.fleet_arn, "CreationTime": ts(p.created), "Status": p.status, "IpAddress": p.ip, "DnsName": p.dns, "Port": p.port});
    if let Some(t) = p.terminated {
        v["TerminationTime"] = ts(t);
    }
    if let Some(d) = &p.player_data {
        v["PlayerData"] = json!(d);
    }
    v
}

fn create_player_sessions(
    s: &mut State,
    c: &Ctx<'_>,
    gs_id: &str,
    players: Vec<(String, Option<String>)>,
) -> ApiResult<Vec<Value>> {
    let idx = s
        .game_sessions
        .iter()
        .position(|g| g.id == gs_id)
        .ok_or_else(|| ApiError::not_found(format!("game session {gs_id} not found")))?;
    let g = &s.game_sessions[idx];
    if g.status != "ACTIVE" {
        return Err(ApiError::new(
            "InvalidGameSessionStatusException",
            format!("game session is {}, not ACTIVE", g.status),
        ));
    }
    if g.creation_policy == "DENY_ALL" {
        return Err(ApiError::new(
            "GameSessionFullException",
            "game session does not accept new player sessions (DENY_ALL)",
        ));
    }
    if s.player_count(&g.id) + players.len() as i64 > g.maximum_player_session_count {
        return Err(ApiError::new(
            "GameSessionFullException",
            format!("game session {} is full", g.id),
        ));
    }
    let mut out = Vec::new();
    for (p, data) in players {
        let ps = s.add_player_session(idx, &p, data, c.now);
        out.push(ps_wire(&s.player_sessions[ps]));
    }
    Ok(out)
}

fn describe_player_sessions(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let gs = i.str_opt("GameSessionId")?;
    let player = i.str_opt("PlayerId")?;
    let psid = i.str_opt("PlayerSessionId")?;
    let status = i.enum_opt("PlayerSessionStatusFilter", PS_STATUS)?;
    if gs.is_none() && player.is_none() && psid.is_none() {
        return Err(ApiError::invalid(
            "one of GameSessionId, PlayerId or PlayerSessionId is required",
        ));
    }
    let items: Vec<&PlayerSession> = s
        .player_sessions
        .iter()
        .filter(|p| {
            gs.is_none_or(|g| p.game_session_id == g)
                && player.is_none_or(|x| p.player_id == x)
                && psid.is_none_or(|x| p.id == x)
                && status.is_none_or(|st| p.status == st)
        })
        .collect();
    let (items, next) = page(&items, i, 50, usize::MAX)?;
    Ok(with_next(
        json!({"PlayerSessions": items.iter().map(|p| ps_wire(p)).collect::<Vec<_>>()}),
        next,
    ))
}

/// The fleet a SIMPLE alias routes to (TerminalRoutingStrategyException for TERMINAL).
pub fn resolve_alias_fleet(s: &State, alias_id: &str) -> ApiResult<String> {
    terminal_check(alias(s, alias_id)?)
}
