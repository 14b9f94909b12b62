//! Fleets and their locations: CreateFleet, DescribeFleetAttributes,
//! DescribeFleetLocationAttributes, DescribeFleetCapacity, DescribeFleetLocationCapacity,
//! UpdateFleetCapacity, DescribeRuntimeConfiguration, DeleteFleet.

use crate::error::{ApiError, ApiResult};
use crate::model::{BuildStatus, Fleet, FleetStatus, Location, ProtectionPolicy, State};
use crate::ops::builds::build;
use crate::ops::context::Ctx;
use crate::ops::members::with_next;
use crate::ops::tags::{parse_tags, set_tags};
use crate::paging::page;
use crate::wire::{ts, Input};
use serde_json::{json, Value};

const FLEET_TYPES: &[&str] = &["ON_DEMAND", "SPOT"];

const COMPUTE_TYPES: &[&str] = &["EC2", "ANYWHERE"];

pub fn fleet<'a>(s: &'a State, id: &str) -> ApiResult<&'a Fleet> {
    s.fleet_index(id)
        .map(|i| &s.fleets[i])
        .ok_or_else(|| ApiError::not_found(format!("fleet {id} not found")))
}

pub fn fleet_wire(_s: &State, f: &Fleet) -> Value {
    let mut a = f.attributes.clone();
    a["Status"] = json!(f.status);
    if let Some(t) = f.terminated {
        a["TerminationTime"] = ts(t);
    }
    a
}

pub fn capacity_wire(s: &State, f: &Fleet, l: &Location) -> Value {
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
        "InstanceCounts": {"DESIRED": l.desired, "MINIMUM": l.min, "MAXIMUM": l.max, "PENDING": if l.status == FleetStatus::Active || l.instances_at.is_some() { pending } else { 0 },
            "ACTIVE": l.active, "IDLE": (l.active - used).max(0), "TERMINATING": terminating},
        "Location": l.name,
    })
}

pub fn create_fleet(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
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
    if b.status != BuildStatus::Ready {
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
        .enum_opt("NewGameSessionProtectionPolicy", ProtectionPolicy::NAMES)?
        .unwrap_or(ProtectionPolicy::NoProtection.as_str());
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
        status: FleetStatus::New,
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

pub fn runtime_configuration(i: &Input<'_>) -> ApiResult<(Value, i64)> {
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

pub fn describe_fleets(
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

pub fn describe_fleet_locations(s: &State, i: &Input<'_>) -> ApiResult<Value> {
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

pub fn update_capacity(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
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

pub fn delete_fleet(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let idx = s
        .fleet_index(i.str_req("FleetId")?)
        .ok_or_else(|| ApiError::not_found("fleet not found"))?;
    let f = &mut s.fleets[idx];
    if !matches!(f.status, FleetStatus::Active | FleetStatus::Error) {
        return Err(ApiError::invalid(format!(
            "fleet {} is {}; only ACTIVE or ERROR fleets can be deleted",
            f.id, f.status
        )));
    }
    f.status = FleetStatus::Deleting;
    f.deleting_until = Some(c.now + c.timing.fleet_deleting_ms);
    for l in &mut f.locations {
        l.status = FleetStatus::Deleting;
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

pub fn describe_fleet_attributes(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    describe_fleets(s, i, fleet_wire)
        .map(|(items, next)| with_next(json!({"FleetAttributes": items}), next))
}

pub fn describe_fleet_capacity(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    describe_fleets(s, i, |s, f| {
        f.home()
            .map(|l| capacity_wire(s, f, l))
            .unwrap_or(Value::Null)
    })
    .map(|(items, next)| with_next(json!({"FleetCapacity": items}), next))
}

pub fn describe_fleet_location_capacity(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let f = fleet(s, i.str_req("FleetId")?)?;
    let name = i.str_req("Location")?;
    let l = f
        .location(name)
        .ok_or_else(|| ApiError::not_found(format!("fleet {} has no location {name}", f.id)))?;
    Ok(json!({"FleetCapacity": capacity_wire(s, f, l)}))
}

pub fn describe_runtime_configuration(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let f = fleet(s, i.str_req("FleetId")?)?;
    Ok(json!({"RuntimeConfiguration": f.runtime_configuration}))
}
