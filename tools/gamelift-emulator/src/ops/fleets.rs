//! Fleets and their locations: CreateFleet, ListFleets, DescribeFleetAttributes,
//! UpdateFleetAttributes, DescribeFleetLocationAttributes, DescribeFleetCapacity,
//! DescribeFleetLocationCapacity, UpdateFleetCapacity, DescribeFleetUtilization,
//! DescribeFleetEvents, DescribeInstances, DescribeRuntimeConfiguration,
//! StopFleetActions, StartFleetActions, DeleteFleet.

use crate::error::{ApiError, ApiResult};
use crate::model::{
    BuildStatus, Fleet, FleetStatus, GameSessionStatus, Location, ProtectionPolicy, State,
};
use crate::ops::builds::build;
use crate::ops::context::Ctx;
use crate::ops::members::{last_segment, with_next};
use crate::ops::tags::{parse_tags, set_tags};
use crate::paging::page;
use crate::wire::{ts, Input};
use serde_json::{json, Value};

pub fn fleet<'a>(s: &'a State, id: &str) -> ApiResult<&'a Fleet> {
    s.fleet_index(id)
        .map(|i| &s.fleets[i])
        .ok_or_else(|| ApiError::not_found(format!("fleet {id} not found")))
}

fn fleet_idx(s: &State, id: &str) -> ApiResult<usize> {
    s.fleet_index(id)
        .ok_or_else(|| ApiError::not_found(format!("fleet {id} not found")))
}

fn invalid_status(f: &Fleet) -> ApiError {
    ApiError::new(
        "InvalidFleetStatusException",
        format!("fleet {} is {}", f.id, f.status),
    )
}

pub fn fleet_wire(_s: &State, f: &Fleet) -> Value {
    let mut a = f.attributes.clone();
    a["Status"] = json!(f.status);
    a["StoppedActions"] = json!(f
        .home()
        .map(|l| l.stopped_actions.clone())
        .unwrap_or_default());
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
    if i.str_opt("ScriptId")?.is_some() {
        return Err(ApiError::invalid(
            "ScriptId (Realtime fleets) is not supported by the emulator; use BuildId",
        ));
    }
    let compute = i.str_opt("ComputeType")?.unwrap_or("EC2");
    let b = match i.str_opt("BuildId")? {
        Some(id) => build(s, id)?.clone(),
        None => return Err(ApiError::invalid("BuildId is required for an EC2 fleet")),
    };
    if b.status != BuildStatus::Ready {
        return Err(ApiError::invalid(format!(
            "build {} is {}, not READY",
            b.id, b.status
        )));
    }
    let fleet_type = i.str_opt("FleetType")?.unwrap_or("ON_DEMAND");
    let instance_type = i.str_opt("EC2InstanceType")?;
    if compute == "EC2" && instance_type.is_none() {
        return Err(ApiError::invalid("EC2InstanceType is required"));
    }
    let protection = i
        .str_opt("NewGameSessionProtectionPolicy")?
        .unwrap_or(ProtectionPolicy::NoProtection.as_str());
    let (runtime, per_instance) = runtime_configuration(i)?;
    let mut locations = vec![c.who.region.clone()];
    for l in i.structs_opt("Locations")? {
        let name = l.str_req("Location")?;
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
        "ComputeType": compute, "MetricGroups": ["default"],
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
    for k in ["MetricGroups", "ResourceCreationLimitPolicy", "LogPaths"] {
        if let Some(v) = i.present(k) {
            attrs[k] = v.clone();
        }
    }
    let mut f = Fleet {
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
        events: Vec::new(),
    };
    f.record("FLEET_CREATED", format!("Fleet {id} created"), c.now);
    let out = json!({
        "FleetAttributes": fleet_wire(s, &f),
        "LocationStates": f.locations.iter().map(|l| json!({"Location": l.name, "Status": l.status})).collect::<Vec<_>>(),
    });
    set_tags(s, &arn, tags);
    s.fleets.push(f);
    Ok(out)
}

/// The runtime configuration as sent (or GameLift's default) and the game-session slots
/// per instance (the sum of ConcurrentExecutions).
pub fn runtime_configuration(i: &Input<'_>) -> ApiResult<(Value, i64)> {
    let Some(rc) = i.obj_opt("RuntimeConfiguration")? else {
        let default = json!({"ServerProcesses": [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 1}],
            "MaxConcurrentGameSessionActivations": 2147483647, "GameSessionActivationTimeoutSeconds": 300});
        return Ok((default, 1));
    };
    let mut total = 0;
    for p in rc.structs_opt("ServerProcesses")? {
        total += p.int_req("ConcurrentExecutions")?;
    }
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
        Some(ids) => ids
            .iter()
            .filter_map(|id| s.fleet_index(id).map(|x| &s.fleets[x]))
            .collect(),
        None => s.fleets.iter().collect(),
    };
    // GameLift ignores Limit and NextToken when FleetIds is set.
    if ids.is_some() {
        return Ok((fleets.iter().map(|f| render(s, f)).collect(), None));
    }
    let (page_items, next) = page(&fleets, i, 50, usize::MAX)?;
    Ok((page_items.iter().map(|f| render(s, f)).collect(), next))
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

fn utilization_wire(s: &State, f: &Fleet) -> Value {
    let Some(home) = f.home() else {
        return Value::Null;
    };
    let sessions: Vec<_> = s
        .game_sessions
        .iter()
        .filter(|g| {
            g.fleet_id == f.id && g.location == home.name && g.status == GameSessionStatus::Active
        })
        .collect();
    let processes = if home.status == FleetStatus::Active {
        home.active * f.sessions_per_instance
    } else {
        0
    };
    json!({
        "FleetId": f.id, "FleetArn": f.arn, "Location": home.name,
        "ActiveServerProcessCount": processes,
        "ActiveGameSessionCount": sessions.len(),
        "CurrentPlayerSessionCount": sessions.iter().map(|g| s.player_count(&g.id)).sum::<i64>(),
        "MaximumPlayerSessionCount": sessions.iter().map(|g| g.maximum_player_session_count).sum::<i64>(),
    })
}

pub fn describe_fleet_utilization(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    describe_fleets(s, i, utilization_wire)
        .map(|(items, next)| with_next(json!({"FleetUtilization": items}), next))
}

pub fn list_fleets(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let build_id = i.str_opt("BuildId")?.map(last_segment);
    let script = i.str_opt("ScriptId")?;
    let ids: Vec<&str> = s
        .fleets
        .iter()
        .filter(|f| f.status != FleetStatus::Terminated)
        .filter(|f| build_id.is_none_or(|b| f.attributes["BuildId"] == b))
        .filter(|_| script.is_none())
        .map(|f| f.id.as_str())
        .collect();
    let (ids, next) = page(&ids, i, 100, usize::MAX)?;
    Ok(with_next(json!({"FleetIds": ids}), next))
}

pub fn update_fleet_attributes(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let idx = fleet_idx(s, i.str_req("FleetId")?)?;
    let f = &mut s.fleets[idx];
    if f.is_gone() {
        return Err(invalid_status(f));
    }
    for k in [
        "Name",
        "Description",
        "NewGameSessionProtectionPolicy",
        "MetricGroups",
        "ResourceCreationLimitPolicy",
        "AnywhereConfiguration",
    ] {
        if let Some(v) = i.present(k) {
            f.attributes[k] = v.clone();
        }
    }
    if let Some(n) = i.str_opt("Name")? {
        f.name = n.to_string();
    }
    Ok(json!({"FleetId": f.id, "FleetArn": f.arn}))
}

/// DescribeFleetLocationAttributes: the fleet's remote locations (never the home
/// region), in the order asked for or the fleet's order.
pub fn describe_fleet_locations(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let f = fleet(s, i.str_req("FleetId")?)?;
    let remote = f.locations.get(1..).unwrap_or_default();
    let locs: Vec<&Location> = match i.strings_opt("Locations")? {
        Some(wanted) => wanted
            .iter()
            .filter_map(|w| remote.iter().find(|l| l.name == *w))
            .collect(),
        None => remote.iter().collect(),
    };
    let (items, next) = page(&locs, i, 100, usize::MAX)?;
    let attrs: Vec<_> = items
        .iter()
        .map(|l| json!({"LocationState": {"Location": l.name, "Status": l.status}, "StoppedActions": l.stopped_actions}))
        .collect();
    Ok(with_next(
        json!({"FleetId": f.id, "FleetArn": f.arn, "LocationAttributes": attrs}),
        next,
    ))
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

pub fn update_capacity(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let idx = fleet_idx(s, i.str_req("FleetId")?)?;
    let desired = i.int_opt("DesiredInstances")?;
    let min = i.int_opt("MinSize")?;
    let max = i.int_opt("MaxSize")?;
    let f = &mut s.fleets[idx];
    if f.is_gone() {
        return Err(invalid_status(f));
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
    f.record(
        "FLEET_SCALING_EVENT",
        format!("Desired instances of fleet {fid} in {name} set to {d} (min {lo}, max {hi})"),
        c.now,
    );
    Ok(json!({"FleetId": fid, "FleetArn": farn, "Location": name}))
}

pub fn describe_fleet_events(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let f = fleet(s, i.str_req("FleetId")?)?;
    let from = i.f64_opt("StartTime")?.map(|x| (x * 1000.0) as i64);
    let to = i.f64_opt("EndTime")?.map(|x| (x * 1000.0) as i64);
    let events: Vec<_> = f
        .events
        .iter()
        .filter(|e| from.is_none_or(|t| e.time >= t) && to.is_none_or(|t| e.time <= t))
        .collect();
    let (items, next) = page(&events, i, 100, usize::MAX)?;
    let wire: Vec<_> = items
        .iter()
        .map(|e| json!({"EventId": e.id, "ResourceId": f.id, "EventCode": e.code, "Message": e.message, "EventTime": ts(e.time)}))
        .collect();
    Ok(with_next(json!({"Events": wire}), next))
}

/// A stable instance id (`i-` and 17 letters or digits) for the n-th instance of a
/// fleet location.
fn instance_id(fleet: &str, location: &str, n: i64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in fleet.bytes().chain(location.bytes()).chain(n.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut id = String::from("i-");
    for _ in 0..17 {
        id.push(char::from(DIGITS[(h % 36) as usize]));
        h = (h / 36) ^ h.rotate_left(17);
    }
    id
}

pub fn describe_instances(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let f = fleet(s, i.str_req("FleetId")?)?;
    let wanted_location = i.str_opt("Location")?;
    let wanted_id = i.str_opt("InstanceId")?;
    let mut instances = Vec::new();
    for l in &f.locations {
        if wanted_location.is_some_and(|w| w != l.name) || l.status.is_gone() {
            continue;
        }
        let scaling = l.instances_at.is_some();
        let count = if scaling {
            l.active.max(l.desired)
        } else {
            l.active
        };
        for n in 0..count {
            let status = match (n < l.active, n < l.desired) {
                (true, true) => "ACTIVE",
                (true, false) => "TERMINATING",
                (false, _) => "PENDING",
            };
            let id = instance_id(&f.id, &l.name, n);
            if wanted_id.is_some_and(|w| w != id) {
                continue;
            }
            let mut v = json!({
                "FleetId": f.id, "FleetArn": f.arn, "InstanceId": id,
                "IpAddress": "127.0.0.1", "DnsName": "localhost",
                "Type": f.attributes.get("InstanceType").cloned().unwrap_or(json!("c5.large")),
                "Status": status, "CreationTime": ts(l.active_since.unwrap_or(f.created)),
                "Location": l.name,
            });
            if let Some(os) = f.attributes.get("OperatingSystem") {
                v["OperatingSystem"] = os.clone();
            }
            instances.push(v);
        }
    }
    let (items, next) = page(&instances, i, 100, usize::MAX)?;
    Ok(with_next(json!({"Instances": items}), next))
}

/// StopFleetActions (`stop`) and StartFleetActions: suspends or resumes the listed
/// actions (AUTO_SCALING) in one location, home by default.
pub fn fleet_actions(s: &mut State, i: &Input<'_>, stop: bool) -> ApiResult<Value> {
    let idx = fleet_idx(s, i.str_req("FleetId")?)?;
    let actions = i.strings_opt("Actions")?.unwrap_or_default();
    let f = &mut s.fleets[idx];
    let name = match i.str_opt("Location")? {
        Some(l) => l.to_string(),
        None => f.home().map(|l| l.name.clone()).unwrap_or_default(),
    };
    let (fid, farn) = (f.id.clone(), f.arn.clone());
    let l = f
        .location_mut(&name)
        .ok_or_else(|| ApiError::not_found(format!("fleet {fid} has no location {name}")))?;
    for a in actions {
        let has = l.stopped_actions.iter().any(|x| x == a);
        if stop && !has {
            l.stopped_actions.push(a.to_string());
        } else if !stop {
            l.stopped_actions.retain(|x| x != a);
        }
    }
    let mut out = json!({"FleetId": fid, "FleetArn": farn});
    if i.present("Location").is_some() {
        out["Location"] = json!(name);
    }
    Ok(out)
}

pub fn delete_fleet(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let idx = fleet_idx(s, i.str_req("FleetId")?)?;
    let f = &mut s.fleets[idx];
    if !matches!(f.status, FleetStatus::Active | FleetStatus::Error) {
        return Err(ApiError::new(
            "InvalidFleetStatusException",
            format!(
                "fleet {} is {}; only ACTIVE or ERROR fleets can be deleted",
                f.id, f.status
            ),
        ));
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
