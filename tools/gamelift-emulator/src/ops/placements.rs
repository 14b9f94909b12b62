//! Game session placements: StartGameSessionPlacement, DescribeGameSessionPlacement,
//! StopGameSessionPlacement.

use crate::error::{ApiError, ApiResult};
use crate::model::{GameSessionStatus, Placement, PlacementStatus, State};
use crate::ops::context::Ctx;
use crate::ops::members::game_properties;
use crate::ops::queues::queue;
use crate::wire::{ts, Input};
use serde_json::{json, Map, Value};

pub fn placement<'a>(s: &'a State, id: &str) -> ApiResult<&'a Placement> {
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
    if p.status == PlacementStatus::Fulfilled {
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

pub fn start_placement(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let id = i.str_req("PlacementId")?;
    let q = queue(s, i.str_req("GameSessionQueueName")?)?.name.clone();
    let max = i.int_req("MaximumPlayerSessionCount")?;
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

/// StopGameSessionPlacement: a PENDING placement is CANCELLED (a game session it was
/// starting is stopped); any other is answered as it is.
pub fn stop_placement(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let id = i.str_req("PlacementId")?;
    let idx = s
        .placements
        .iter()
        .position(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found(format!("placement {id} not found")))?;
    if s.placements[idx].status == PlacementStatus::Pending {
        if let Some(gs) = s.placements[idx].game_session_id.clone() {
            if let Some(g) = s
                .game_sessions
                .iter()
                .position(|g| g.id == gs && g.status == GameSessionStatus::Activating)
            {
                let mut effects = Vec::new();
                s.end_game_session(g, c.now, &mut effects);
                s.pending_effects.extend(effects);
            }
        }
        match s
            .queues
            .iter()
            .find(|q| q.name == s.placements[idx].queue_name)
            .cloned()
        {
            Some(q) => s.end_placement(
                idx,
                PlacementStatus::Cancelled,
                &q,
                c.now,
                &c.faults.events,
                c.who,
            ),
            None => {
                let p = &mut s.placements[idx];
                p.status = PlacementStatus::Cancelled;
                p.end = Some(c.now);
                p.game_session_id = None;
                p.location = None;
            }
        }
    }
    Ok(json!({"GameSessionPlacement": placement_wire(s, &s.placements[idx])}))
}

pub fn describe_game_session_placement(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let p = placement(s, i.str_req("PlacementId")?)?;
    Ok(json!({"GameSessionPlacement": placement_wire(s, p)}))
}
