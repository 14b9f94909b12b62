//! Game sessions: CreateGameSession, DescribeGameSessions, DescribeGameSessionDetails,
//! UpdateGameSession, TerminateGameSession.

use crate::error::{ApiError, ApiResult};
use crate::model::{
    Fleet, FleetStatus, GameSession, GameSessionStatus, PlayerSessionCreationPolicy,
    ProtectionPolicy, State,
};
use crate::ops::aliases::{alias, terminal_check};
use crate::ops::context::Ctx;
use crate::ops::fleets::fleet;
use crate::ops::members::{game_properties, members_of, with_next};
use crate::paging::page;
use crate::wire::{ts, Input};
use serde_json::{json, Value};

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
pub fn target_fleet(s: &State, i: &Input<'_>) -> ApiResult<Option<String>> {
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

/// The CreateGameSession members a reused IdempotencyToken must repeat.
const IDEMPOTENT_MEMBERS: [&str; 6] = [
    "MaximumPlayerSessionCount",
    "Name",
    "GameProperties",
    "GameSessionData",
    "CreatorId",
    "Location",
];

/// The fleet's ResourceCreationLimitPolicy: at most `n` new game sessions per creator in
/// the last `period_ms`.
fn creation_limit(f: &Fleet) -> Option<(i64, i64)> {
    let p = f.attributes.get("ResourceCreationLimitPolicy")?;
    let n = p.get("NewGameSessionsPerCreator")?.as_i64()?;
    let minutes = p.get("PolicyPeriodInMinutes")?.as_i64()?;
    Some((n, minutes * 60_000))
}

pub fn create_game_session(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let fid =
        target_fleet(s, i)?.ok_or_else(|| ApiError::invalid("FleetId or AliasId is required"))?;
    let max = i.int_req("MaximumPlayerSessionCount")?;
    let props = game_properties(i)?;
    let request = members_of(i, &IDEMPOTENT_MEMBERS);
    let token = i
        .str_opt("IdempotencyToken")?
        .or(i.str_opt("GameSessionId")?);
    if let Some(t) = token {
        if let Some(g) = s
            .game_sessions
            .iter()
            .find(|g| g.fleet_id == fid && g.idempotency_token.as_deref() == Some(t))
        {
            if g.request != request {
                return Err(ApiError::new(
                    "IdempotentParameterMismatchException",
                    format!(
                        "a game session with IdempotencyToken {t} already exists in fleet {fid} \
                         with other parameters"
                    ),
                ));
            }
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
    if loc.status != FleetStatus::Active || f.is_gone() {
        return Err(ApiError::new(
            "InvalidFleetStatusException",
            format!("fleet {fid} is {} in {location}", loc.status),
        ));
    }
    let creator = i.str_opt("CreatorId")?;
    if let Some((limit, period_ms)) = creation_limit(f) {
        let Some(creator) = creator else {
            return Err(ApiError::invalid(format!(
                "CreatorId is required: fleet {fid} has a ResourceCreationLimitPolicy"
            )));
        };
        let recent = s
            .game_sessions
            .iter()
            .filter(|g| {
                g.fleet_id == fid
                    && g.creator_id.as_deref() == Some(creator)
                    && g.created > c.now - period_ms
            })
            .count() as i64;
        if recent >= limit {
            return Err(ApiError::new(
                "LimitExceededException",
                format!(
                    "creator {creator} has created {recent} game sessions on fleet {fid} in the \
                     last {} minutes, the most its ResourceCreationLimitPolicy allows",
                    period_ms / 60_000
                ),
            ));
        }
    }
    if s.free_slots(f, &location) == 0 {
        return Err(ApiError::new(
            "FleetCapacityExceededException",
            format!("fleet {fid} has no free game session slot in {location}"),
        ));
    }
    let never = c.faults.never_activates(&fid);
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
    let gs = &mut s.game_sessions[g];
    gs.creator_id = creator.map(str::to_string);
    gs.idempotency_token = token.map(str::to_string);
    gs.request = request;
    gs.never_activates = never;
    Ok(json!({"GameSession": gs_wire(s, &s.game_sessions[g])}))
}

/// The game sessions DescribeGameSessions / DescribeGameSessionDetails answer with.
pub fn game_sessions<'a>(
    s: &'a State,
    i: &Input<'_>,
) -> ApiResult<(Vec<&'a GameSession>, Option<String>)> {
    let gs_id = i.str_opt("GameSessionId")?;
    let status = i.parsed("StatusFilter", GameSessionStatus::from_wire)?;
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

pub fn update_game_session(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let id = i.str_req("GameSessionId")?;
    let max = i.int_opt("MaximumPlayerSessionCount")?;
    let name = i.str_opt("Name")?;
    let policy = i.parsed(
        "PlayerSessionCreationPolicy",
        PlayerSessionCreationPolicy::from_wire,
    )?;
    let protection = i.parsed("ProtectionPolicy", ProtectionPolicy::from_wire)?;
    let props = if i.present("GameProperties").is_some() {
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
    if !matches!(
        g.status,
        GameSessionStatus::Active | GameSessionStatus::Activating
    ) {
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
        g.creation_policy = p;
    }
    if let Some(p) = protection {
        g.protection = p;
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

pub fn terminate_game_session(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let id = i.str_req("GameSessionId")?;
    let mode = i.str_req("TerminationMode")?;
    let idx = s
        .game_sessions
        .iter()
        .position(|g| g.id == id)
        .ok_or_else(|| ApiError::not_found(format!("game session {id} not found")))?;
    let status = s.game_sessions[idx].status;
    if !matches!(
        status,
        GameSessionStatus::Active | GameSessionStatus::Activating
    ) {
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

pub fn describe_game_sessions(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let (items, next) = game_sessions(s, i)?;
    Ok(with_next(
        json!({"GameSessions": items.iter().map(|g| gs_wire(s, g)).collect::<Vec<_>>()}),
        next,
    ))
}

pub fn describe_game_session_details(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let (items, next) = game_sessions(s, i)?;
    let details: Vec<_> = items
        .iter()
        .map(|g| json!({"GameSession": gs_wire(s, g), "ProtectionPolicy": g.protection}))
        .collect();
    Ok(with_next(json!({"GameSessionDetails": details}), next))
}
