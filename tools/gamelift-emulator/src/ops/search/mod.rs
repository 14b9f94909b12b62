//! SearchGameSessions: the ACTIVE game sessions of one fleet (all its locations, or one)
//! that match a `FilterExpression`, ordered by a `SortExpression` (creation order
//! without one), at most 20 per page. The language is in [`expression`].

pub mod expression;

use crate::error::{ApiError, ApiResult};
use crate::model::{GameSession, GameSessionStatus, PlayerSessionCreationPolicy, State};
use crate::ops::aliases::resolve_alias_fleet;
use crate::ops::fleets::fleet;
use crate::ops::game_sessions::gs_wire;
use crate::ops::members::with_next;
use crate::paging::page;
use crate::wire::Input;
use expression::{parse_filter, parse_sort, Subject};
use serde_json::{json, Value};

/// A game session as the search language sees it.
struct Searched<'a> {
    gs: &'a GameSession,
    players: i64,
}

impl Subject for Searched<'_> {
    fn id(&self) -> &str {
        &self.gs.id
    }
    fn name(&self) -> Option<&str> {
        self.gs.name.as_deref()
    }
    fn property(&self, key: &str) -> Option<&str> {
        self.gs
            .game_properties
            .as_array()?
            .iter()
            .find(|p| p["Key"] == key)
            .and_then(|p| p["Value"].as_str())
    }
    fn maximum_sessions(&self) -> i64 {
        self.gs.maximum_player_session_count
    }
    fn creation_time_millis(&self) -> i64 {
        self.gs.created
    }
    fn player_session_count(&self) -> i64 {
        self.players
    }
    fn has_available_player_sessions(&self) -> bool {
        self.gs.creation_policy == PlayerSessionCreationPolicy::AcceptAll
            && self.players < self.gs.maximum_player_session_count
    }
}

pub fn search_game_sessions(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let fid = match (i.str_opt("FleetId")?, i.str_opt("AliasId")?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("specify FleetId or AliasId, not both"))
        }
        (Some(f), None) => fleet(s, f)?.id.clone(),
        (None, Some(a)) => {
            let a = resolve_alias_fleet(s, a)?;
            fleet(s, &a)?.id.clone()
        }
        (None, None) => return Err(ApiError::invalid("FleetId or AliasId is required")),
    };
    let location = i.str_opt("Location")?;
    let filter = i
        .str_opt("FilterExpression")?
        .map(parse_filter)
        .transpose()
        .map_err(|e| ApiError::invalid(format!("FilterExpression: {e}")))?;
    let sort = i
        .str_opt("SortExpression")?
        .map(parse_sort)
        .transpose()
        .map_err(|e| ApiError::invalid(format!("SortExpression: {e}")))?;
    let mut items: Vec<Searched<'_>> = s
        .game_sessions
        .iter()
        .filter(|g| {
            g.fleet_id == fid
                && g.status == GameSessionStatus::Active
                && location.is_none_or(|l| g.location == l)
        })
        .map(|gs| Searched {
            gs,
            players: s.player_count(&gs.id),
        })
        .filter(|x| filter.as_ref().is_none_or(|f| f.holds(x)))
        .collect();
    if let Some(sort) = &sort {
        items.sort_by(|a, b| sort.order(a, b));
    }
    let (items, next) = page(&items, i, 20, 20)?;
    Ok(with_next(
        json!({"GameSessions": items.iter().map(|x| gs_wire(s, x.gs)).collect::<Vec<_>>()}),
        next,
    ))
}
