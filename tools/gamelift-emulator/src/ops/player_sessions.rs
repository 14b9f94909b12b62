//! Player sessions: CreatePlayerSession, CreatePlayerSessions, DescribePlayerSessions.

use crate::error::{ApiError, ApiResult};
use crate::model::{
    GameSessionStatus, PlayerSession, PlayerSessionCreationPolicy, PlayerSessionStatus, State,
};
use crate::ops::context::Ctx;
use crate::ops::members::with_next;
use crate::paging::page;
use crate::wire::{ts, Input};
use serde_json::{json, Value};

pub fn ps_wire(p: &PlayerSession) -> Value {
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

pub fn seat_players(
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
    if g.status != GameSessionStatus::Active {
        return Err(ApiError::new(
            "InvalidGameSessionStatusException",
            format!("game session is {}, not ACTIVE", g.status),
        ));
    }
    if g.creation_policy == PlayerSessionCreationPolicy::DenyAll {
        return Err(ApiError::new(
            "GameSessionFullException",
            "game session does not accept new player sessions (DENY_ALL)",
        ));
    }
    if !c.settings.admit_over_maximum
        && s.player_count(&g.id) + players.len() as i64 > g.maximum_player_session_count
    {
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

pub fn describe_player_sessions(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let gs = i.str_opt("GameSessionId")?;
    let player = i.str_opt("PlayerId")?;
    let psid = i.str_opt("PlayerSessionId")?;
    let status = i.parsed("PlayerSessionStatusFilter", PlayerSessionStatus::from_wire)?;
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

pub fn create_player_session(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let gs = i.str_req("GameSessionId")?;
    let player = i.str_req("PlayerId")?;
    let data = i.str_opt("PlayerData")?.map(str::to_string);
    let out = seat_players(s, c, gs, vec![(player.to_string(), data)])?;
    Ok(json!({"PlayerSession": out.into_iter().next().unwrap_or(Value::Null)}))
}

pub fn create_player_sessions(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let gs = i.str_req("GameSessionId")?;
    let ids = i.strings_opt("PlayerIds")?.unwrap_or_default();
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
    Ok(json!({"PlayerSessions": seat_players(s, c, gs, players)?}))
}
