//! Request bodies, checked against GameLift's limits. Every error names the field.
//!
//! Lengths are counted in UTF-8 bytes, as GameLift and DynamoDB count them, so every
//! value accepted here is one they accept too (and an item stays inside DynamoDB's
//! 400 KB). One of GameLift's 16 game properties carries the server credential
//! ([`crate::credential::PROPERTY`]), so a session has at most 15 of its own.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Largest `maxPlayers` GameLift accepts for one game session.
pub const MAX_PLAYERS: u64 = 200;
/// GameLift: at most 25 desired player sessions per placement.
pub const MAX_PLACEMENT_PLAYERS: usize = 25;
/// GameLift takes 16 game properties; one is the server credential.
pub const MAX_PROPERTIES: usize = 15;
pub const MAX_PROPERTY_KEY: usize = 32;
pub const MAX_PROPERTY_VALUE: usize = 96;
pub const MAX_NAME: usize = 1024;
pub const MAX_SESSION_DATA: usize = 262_144;
pub const MAX_PLAYER_ID: usize = 1024;
pub const MAX_PLAYER_DATA: usize = 2048;
pub const MAX_LATENCIES: usize = 100;
pub const MAX_REGION: usize = 64;
/// GameLift's `IdStringModel`, the shape of a `PlacementId`.
pub const MAX_PLACEMENT_ID: usize = 48;

/// A field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlayerSeat {
    pub player_id: String,
    pub data: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Latency {
    pub player_id: String,
    pub region: String,
    pub ms: f32,
}

/// `POST /v1/sessions`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSession {
    /// The caller's own placement id (idempotent, like an `Idempotency-Key`).
    pub placement_id: Option<String>,
    pub max_players: u32,
    pub name: Option<String>,
    pub properties: BTreeMap<String, String>,
    pub data: Option<String>,
    /// Always holds the caller.
    pub players: Vec<PlayerSeat>,
    pub latencies: Vec<Latency>,
}

/// `PUT /v1/server/sessions/{id}`: every field optional, at least one present.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerUpdate {
    pub player_count: Option<u32>,
    pub name: Option<String>,
    pub data: Option<String>,
    /// Merged into the session's properties.
    pub properties: BTreeMap<String, String>,
}

/// `POST /v1/sessions/{id}/join`: the caller alone, or a party the caller is in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Join {
    /// The caller's player data (a join of the caller alone).
    pub data: Option<String>,
    /// The party, the caller among them; empty for a join of the caller alone.
    pub players: Vec<PlayerSeat>,
}

/// A `players` array of `{playerId, data}`: 1 to 25 distinct players, the caller among
/// them; just the caller when absent.
fn party(v: Option<&Value>, caller: &str) -> Result<Vec<PlayerSeat>, FieldError> {
    let raw = array("players", v)?;
    if raw.len() > MAX_PLACEMENT_PLAYERS {
        return Err(err(
            "players",
            format!("at most {MAX_PLACEMENT_PLAYERS} players, got {}", raw.len()),
        ));
    }
    let mut players: Vec<PlayerSeat> = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        let field = format!("players[{i}]");
        let o = item_object(&field, p, &["playerId", "data"])?;
        let player_id = member(o, &field, "playerId", 1, MAX_PLAYER_ID)?;
        let data = opt_string(o, "data", 1, MAX_PLAYER_DATA)
            .map_err(|e| err(format!("{field}.data"), e.message))?;
        if players.iter().any(|s| s.player_id == player_id) {
            return Err(err(format!("{field}.playerId"), "appears twice"));
        }
        players.push(PlayerSeat { player_id, data });
    }
    if players.is_empty() {
        player_id("caller (the token's sub)", caller)?;
        players.push(PlayerSeat {
            player_id: caller.to_string(),
            data: None,
        });
    } else if !players.iter().any(|p| p.player_id == caller) {
        return Err(err("players", "must include the caller"));
    }
    Ok(players)
}

fn object(body: &[u8]) -> Result<Map<String, Value>, FieldError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| err("body", format!("is not valid JSON ({e})")))?;
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(err("body", "must be a JSON object")),
    }
}

fn only_known(m: &Map<String, Value>, known: &[&str]) -> Result<(), FieldError> {
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(err(
            k.as_str(),
            format!("unknown field; expected one of {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn string(field: &str, v: &Value, min: usize, max: usize) -> Result<String, FieldError> {
    let s = v.as_str().ok_or_else(|| err(field, "must be a string"))?;
    check_len(field, s, min, max)?;
    Ok(s.to_string())
}

/// `s` is `min` to `max` UTF-8 bytes long.
fn check_len(field: &str, s: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let n = s.len();
    if n < min || n > max {
        return Err(err(
            field,
            format!("length must be {min} to {max} bytes (UTF-8), got {n}"),
        ));
    }
    Ok(())
}

/// A player id GameLift accepts: 1 to 1,024 bytes. The caller's id is the token's `sub`.
pub fn player_id(field: &str, id: &str) -> Result<(), FieldError> {
    check_len(field, id, 1, MAX_PLAYER_ID)
}

fn opt_string(
    m: &Map<String, Value>,
    field: &str,
    min: usize,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string(field, v, min, max).map(Some),
    }
}

fn properties(field: &str, v: Option<&Value>) -> Result<BTreeMap<String, String>, FieldError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let m = v
        .as_object()
        .ok_or_else(|| err(field, "must be an object of string values"))?;
    if m.len() > MAX_PROPERTIES {
        return Err(err(
            field,
            format!("at most {MAX_PROPERTIES} properties, got {}", m.len()),
        ));
    }
    let mut out = BTreeMap::new();
    for (k, val) in m {
        let name = format!("{field}.{k}");
        let n = k.len();
        if n == 0 || n > MAX_PROPERTY_KEY {
            return Err(err(
                name,
                format!("key length must be 1 to {MAX_PROPERTY_KEY} bytes (UTF-8), got {n}"),
            ));
        }
        if k == crate::credential::PROPERTY {
            return Err(err(name, "is reserved for the server credential"));
        }
        out.insert(k.clone(), string(&name, val, 0, MAX_PROPERTY_VALUE)?);
    }
    Ok(out)
}

fn array<'a>(field: &str, v: Option<&'a Value>) -> Result<&'a [Value], FieldError> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(err(field, "must be an array")),
    }
}

/// An element of an array of objects (`field` names it, e.g. `players[2]`) with only
/// `known` members; errors name the member (`players[2].nmae`).
fn item_object<'a>(
    field: &str,
    v: &'a Value,
    known: &[&str],
) -> Result<&'a Map<String, Value>, FieldError> {
    let o = v
        .as_object()
        .ok_or_else(|| err(field, "must be an object"))?;
    only_known(o, known).map_err(|e| err(format!("{field}.{}", e.field), e.message))?;
    Ok(o)
}

/// The required string member `name` of the array element `field`.
fn member(
    o: &Map<String, Value>,
    field: &str,
    name: &str,
    min: usize,
    max: usize,
) -> Result<String, FieldError> {
    string(
        &format!("{field}.{name}"),
        o.get(name).unwrap_or(&Value::Null),
        min,
        max,
    )
}

/// Parses and checks a create request for `caller`.
pub fn create_session(body: &[u8], caller: &str) -> Result<CreateSession, FieldError> {
    let m = object(body)?;
    only_known(
        &m,
        &[
            "maxPlayers",
            "name",
            "properties",
            "data",
            "players",
            "latencies",
            "placementId",
        ],
    )?;
    let placement_id = opt_string(&m, "placementId", 1, MAX_PLACEMENT_ID)?;
    if let Some(id) = &placement_id {
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(err("placementId", "may hold only letters, digits and '-'"));
        }
    }
    let max_players = match m.get("maxPlayers") {
        None | Some(Value::Null) => return Err(err("maxPlayers", "is required")),
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=MAX_PLAYERS).contains(n))
            .ok_or_else(|| {
                err(
                    "maxPlayers",
                    format!("must be an integer from 1 to {MAX_PLAYERS}"),
                )
            })? as u32,
    };
    let name = opt_string(&m, "name", 1, MAX_NAME)?;
    let properties = properties("properties", m.get("properties"))?;
    let data = opt_string(&m, "data", 1, MAX_SESSION_DATA)?;

    let players = party(m.get("players"), caller)?;
    if players.len() as u32 > max_players {
        return Err(err("players", "more players than maxPlayers"));
    }

    let raw = array("latencies", m.get("latencies"))?;
    if raw.len() > MAX_LATENCIES {
        return Err(err("latencies", format!("at most {MAX_LATENCIES} entries")));
    }
    let mut latencies = Vec::new();
    for (i, l) in raw.iter().enumerate() {
        let field = format!("latencies[{i}]");
        let o = item_object(&field, l, &["playerId", "region", "ms"])?;
        let player_id = member(o, &field, "playerId", 1, MAX_PLAYER_ID)?;
        if !players.iter().any(|p| p.player_id == player_id) {
            return Err(err(format!("{field}.playerId"), "is not one of players"));
        }
        let region = member(o, &field, "region", 1, MAX_REGION)?;
        let ms = o
            .get("ms")
            .and_then(Value::as_f64)
            .filter(|ms| ms.is_finite() && *ms >= 0.0 && *ms <= 60_000.0)
            .ok_or_else(|| err(format!("{field}.ms"), "must be a number from 0 to 60000"))?;
        latencies.push(Latency {
            player_id,
            region,
            ms: ms as f32,
        });
    }
    Ok(CreateSession {
        placement_id,
        max_players,
        name,
        properties,
        data,
        players,
        latencies,
    })
}

/// Parses and checks a game server's partial update.
pub fn server_update(body: &[u8]) -> Result<ServerUpdate, FieldError> {
    let m = object(body)?;
    only_known(&m, &["playerCount", "name", "data", "properties"])?;
    if m.values().all(Value::is_null) {
        return Err(err(
            "body",
            "needs at least one of playerCount, name, data, properties",
        ));
    }
    let player_count = match m.get("playerCount") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| *n <= MAX_PLAYERS).ok_or_else(|| {
            err(
                "playerCount",
                format!("must be an integer from 0 to {MAX_PLAYERS}"),
            )
        })? as u32),
    };
    Ok(ServerUpdate {
        player_count,
        name: opt_string(&m, "name", 1, MAX_NAME)?,
        data: opt_string(&m, "data", 1, MAX_SESSION_DATA)?,
        properties: properties("properties", m.get("properties"))?,
    })
}

/// Parses a join body for `caller` (an empty body is allowed).
pub fn join(body: &[u8], caller: &str) -> Result<Join, FieldError> {
    player_id("caller (the token's sub)", caller)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Join::default());
    }
    let m = object(body)?;
    only_known(&m, &["data", "players"])?;
    let data = opt_string(&m, "data", 1, MAX_PLAYER_DATA)?;
    let players = match m.get("players") {
        None | Some(Value::Null) => Vec::new(),
        v => party(v, caller)?,
    };
    if data.is_some() && !players.is_empty() {
        return Err(err(
            "data",
            "give each player's data in players, not beside them",
        ));
    }
    Ok(Join { data, players })
}

/// Merges `update` into existing properties, checking GameLift's count limit.
pub fn merge_properties(
    existing: &BTreeMap<String, String>,
    update: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, FieldError> {
    let mut merged = existing.clone();
    merged.extend(update.iter().map(|(k, v)| (k.clone(), v.clone())));
    if merged.len() > MAX_PROPERTIES {
        return Err(err(
            "properties",
            format!(
                "the merged session would have {} properties; at most {MAX_PROPERTIES}",
                merged.len()
            ),
        ));
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<CreateSession, FieldError>) -> String {
        r.unwrap_err().field
    }

    #[test]
    fn minimal_create_reserves_the_callers_seat() {
        let c = create_session(br#"{"maxPlayers":8}"#, "alice").unwrap();
        assert_eq!(c.max_players, 8);
        assert_eq!(
            c.players,
            vec![PlayerSeat {
                player_id: "alice".into(),
                data: None
            }]
        );
    }

    #[test]
    fn full_create_is_parsed() {
        let c = create_session(
            br#"{"maxPlayers":4,"name":"r","properties":{"mode":"ranked"},"data":"x",
                "players":[{"playerId":"alice","data":"d"},{"playerId":"bob"}],
                "latencies":[{"playerId":"bob","region":"us-east-1","ms":20.5}]}"#,
            "alice",
        )
        .unwrap();
        assert_eq!(c.players.len(), 2);
        assert_eq!(c.latencies[0].ms, 20.5);
        assert_eq!(c.properties["mode"], "ranked");
    }

    #[test]
    fn create_errors_name_the_field() {
        assert_eq!(field_of(create_session(b"{", "a")), "body");
        assert_eq!(field_of(create_session(b"[]", "a")), "body");
        assert_eq!(field_of(create_session(b"{}", "a")), "maxPlayers");
        assert_eq!(
            field_of(create_session(br#"{"maxPlayers":0}"#, "a")),
            "maxPlayers"
        );
        assert_eq!(
            field_of(create_session(br#"{"maxPlayers":201}"#, "a")),
            "maxPlayers"
        );
        assert_eq!(
            field_of(create_session(br#"{"maxPlayers":"8"}"#, "a")),
            "maxPlayers"
        );
        assert_eq!(
            field_of(create_session(br#"{"maxPlayers":8,"nmae":"x"}"#, "a")),
            "nmae"
        );
        assert_eq!(
            field_of(create_session(br#"{"maxPlayers":8,"name":""}"#, "a")),
            "name"
        );
        let long_key = format!(
            r#"{{"maxPlayers":8,"properties":{{"{}":"v"}}}}"#,
            "k".repeat(33)
        );
        assert!(field_of(create_session(long_key.as_bytes(), "a")).starts_with("properties."));
        let many: Vec<String> = (0..16).map(|i| format!(r#""k{i}":"v""#)).collect();
        let many = format!(r#"{{"maxPlayers":8,"properties":{{{}}}}}"#, many.join(","));
        assert_eq!(field_of(create_session(many.as_bytes(), "a")), "properties");
        assert_eq!(
            field_of(create_session(
                br#"{"maxPlayers":8,"properties":{"m":1}}"#,
                "a"
            )),
            "properties.m"
        );
        assert_eq!(
            field_of(create_session(
                br#"{"maxPlayers":8,"players":[{"playerId":"b"}]}"#,
                "a"
            )),
            "players"
        );
        assert_eq!(
            field_of(create_session(
                br#"{"maxPlayers":1,"players":[{"playerId":"a"},{"playerId":"b"}]}"#,
                "a"
            )),
            "players"
        );
        assert_eq!(
            field_of(create_session(
                br#"{"maxPlayers":8,"players":[{"playerId":"a"},{"playerId":"a"}]}"#,
                "a"
            )),
            "players[1].playerId"
        );
        assert_eq!(
            field_of(create_session(
                br#"{"maxPlayers":8,"latencies":[{"playerId":"z","region":"r","ms":1}]}"#,
                "a"
            )),
            "latencies[0].playerId"
        );
        assert_eq!(
            field_of(create_session(
                br#"{"maxPlayers":8,"latencies":[{"playerId":"a","region":"r","ms":-1}]}"#,
                "a"
            )),
            "latencies[0].ms"
        );
        assert_eq!(
            field_of(create_session(
                br#"{"maxPlayers":8,"players":[{"playerId":"a","nmae":"x"}]}"#,
                "a"
            )),
            "players[0].nmae"
        );
        assert_eq!(
            field_of(create_session(
                br#"{"maxPlayers":8,"latencies":[{"playerId":"a","ms":1}]}"#,
                "a"
            )),
            "latencies[0].region"
        );
    }

    #[test]
    fn server_update_needs_a_field_and_checks_each() {
        assert_eq!(server_update(b"{}").unwrap_err().field, "body");
        assert_eq!(
            server_update(br#"{"playerCount":-1}"#).unwrap_err().field,
            "playerCount"
        );
        let u = server_update(br#"{"playerCount":3,"properties":{"map":"dune"}}"#).unwrap();
        assert_eq!(u.player_count, Some(3));
        assert_eq!(u.properties["map"], "dune");
    }

    #[test]
    fn properties_merge_and_respect_the_limit() {
        let existing: BTreeMap<_, _> = (0..15)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        let same = BTreeMap::from([("k0".to_string(), "w".to_string())]);
        assert_eq!(merge_properties(&existing, &same).unwrap()["k0"], "w");
        let new = BTreeMap::from([("x".to_string(), "y".to_string())]);
        assert_eq!(
            merge_properties(&existing, &new).unwrap_err().field,
            "properties"
        );
    }

    #[test]
    fn join_body_is_optional() {
        assert_eq!(join(b"", "a").unwrap(), Join::default());
        assert_eq!(
            join(br#"{"data":"x"}"#, "a").unwrap().data.as_deref(),
            Some("x")
        );
        assert_eq!(join(br#"{"data":""}"#, "a").unwrap_err().field, "data");
        assert_eq!(join(br#"{"seat":1}"#, "a").unwrap_err().field, "seat");
    }

    #[test]
    fn lengths_are_counted_in_bytes_as_gamelift_counts_them() {
        // 32 two-byte characters: 32 characters, 64 bytes, over GameLift's 96-byte value? no:
        // 48 of them are 96 bytes (accepted), 49 are 98 bytes (refused).
        let ok = format!(
            r#"{{"maxPlayers":2,"properties":{{"m":"{}"}}}}"#,
            "é".repeat(48)
        );
        assert!(create_session(ok.as_bytes(), "a").is_ok());
        let over = format!(
            r#"{{"maxPlayers":2,"properties":{{"m":"{}"}}}}"#,
            "é".repeat(49)
        );
        let e = create_session(over.as_bytes(), "a").unwrap_err();
        assert_eq!(e.field, "properties.m");
        assert!(e.message.contains("bytes"), "{e}");
        let key = format!(
            r#"{{"maxPlayers":2,"properties":{{"{}":"v"}}}}"#,
            "ü".repeat(17)
        );
        assert_eq!(
            create_session(key.as_bytes(), "a").unwrap_err().field,
            format!("properties.{}", "ü".repeat(17))
        );
        let data = format!(r#"{{"maxPlayers":2,"data":"{}"}}"#, "€".repeat(87_382));
        assert_eq!(
            create_session(data.as_bytes(), "a").unwrap_err().field,
            "data"
        );
        let long_caller = "ж".repeat(513);
        assert!(create_session(br#"{"maxPlayers":2}"#, &long_caller)
            .unwrap_err()
            .field
            .starts_with("caller"));
    }

    #[test]
    fn the_credential_property_is_reserved() {
        let body = format!(
            r#"{{"maxPlayers":2,"properties":{{"{}":"x"}}}}"#,
            crate::credential::PROPERTY
        );
        assert_eq!(
            create_session(body.as_bytes(), "a").unwrap_err().field,
            format!("properties.{}", crate::credential::PROPERTY)
        );
    }

    #[test]
    fn a_party_join_holds_the_caller_and_at_most_25_distinct_players() {
        let j = join(
            br#"{"players":[{"playerId":"a"},{"playerId":"b","data":"x"}]}"#,
            "a",
        )
        .unwrap();
        assert_eq!(j.players.len(), 2);
        assert_eq!(
            join(br#"{"players":[{"playerId":"b"}]}"#, "a")
                .unwrap_err()
                .field,
            "players"
        );
        let many: Vec<String> = (0..26)
            .map(|i| format!(r#"{{"playerId":"p{i}"}}"#))
            .collect();
        let many = format!(r#"{{"players":[{{"playerId":"a"}},{}]}}"#, many.join(","));
        assert_eq!(join(many.as_bytes(), "a").unwrap_err().field, "players");
        assert_eq!(
            join(br#"{"players":[{"playerId":"a"},{"playerId":"a"}]}"#, "a")
                .unwrap_err()
                .field,
            "players[1].playerId"
        );
    }

    #[test]
    fn a_caller_placement_id_has_gamelifts_shape() {
        let ok = create_session(br#"{"maxPlayers":2,"placementId":"my-id-1"}"#, "a").unwrap();
        assert_eq!(ok.placement_id.as_deref(), Some("my-id-1"));
        for bad in [r#""a b""#, r#""""#, &format!(r#""{}""#, "x".repeat(49))] {
            let body = format!(r#"{{"maxPlayers":2,"placementId":{bad}}}"#);
            assert_eq!(
                create_session(body.as_bytes(), "a").unwrap_err().field,
                "placementId"
            );
        }
    }
}
