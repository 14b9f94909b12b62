//! `hangar sessions`: client commands for people trying the sessions API: create (and wait
//! for the placement), list with filter and sort, get, join, placement, and end as a game
//! server. Against `HANGAR_API_URL` (or `--api-url`); with a token of the running local
//! stack unless `--token` / `HANGAR_TOKEN` gives one. Tables by default, the API's JSON
//! with `--json`.
//!
//! Exit codes: 0 done; 1 the API could not be reached or answered 5xx; 2 bad input (a flag
//! of ours, or the API's 400/413/422 naming the field); 5 no running local stack to take
//! the URL or a token from; 6 the API refused the request otherwise (401, 403, 404, 409,
//! 410); 7 the placement ended without a session (TIMED_OUT, CANCELLED, FAILED) or did not
//! end within `--wait`.

pub mod client;
pub mod table;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use local_gateway::TokenKind;
use serde_json::{json, Map, Value};

use client::{segment, CallError, Client};
use table::Table;

pub const EXIT_UNREACHABLE: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;
pub const EXIT_NO_STACK: i32 = crate::dev::EXIT_NO_STACK;
pub const EXIT_REFUSED: i32 = 6;
pub const EXIT_NOT_PLACED: i32 = 7;

#[derive(Args, Debug)]
pub struct SessionsArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(subcommand)]
    pub command: SessionsCommand,
}

/// Where to send requests and as whom.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// Base URL of the API (default: the running local stack's).
    #[arg(long, env = "HANGAR_API_URL", global = true)]
    pub api_url: Option<String>,
    /// Bearer token to send (default: one issued with the running local stack's secret).
    #[arg(long, env = "HANGAR_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// Player id the local token is issued for.
    #[arg(long, default_value = "player-1", global = true)]
    pub player: String,
    /// State folder of the running local stack (default: found as `hangar dev token` finds it).
    #[arg(long, global = true)]
    pub state_dir: Option<PathBuf>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum SessionsCommand {
    /// Start a placement for a new game session and wait until it is placed.
    Create(CreateArgs),
    /// List active sessions (GameLift's FilterExpression / SortExpression grammar).
    List(ListArgs),
    /// Show one session.
    Get { session_id: String },
    /// Reserve a seat in a session for the player.
    Join(JoinArgs),
    /// Show a placement (its creator and reserved players only).
    Placement { placement_id: String },
    /// End a session as its game server (server API, game-server token).
    End(EndArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Most players the session holds (1-200).
    #[arg(long, default_value_t = 4)]
    pub max_players: u32,
    /// Session name.
    #[arg(long)]
    pub name: Option<String>,
    /// Game property KEY=VALUE (repeatable, at most 16).
    #[arg(long = "property", value_name = "KEY=VALUE")]
    pub properties: Vec<String>,
    /// Game session data passed to the server.
    #[arg(long)]
    pub data: Option<String>,
    /// Idempotency-Key header: a retry with the same key returns the same placement.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// How long to wait for the placement to end: 0 returns at once; 30s, 2m.
    #[arg(long, default_value = "60s", value_parser = parse_wait)]
    pub wait: Duration,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// FilterExpression, e.g. "gameSessionProperties.mode = 'ranked' AND playerSessionCount < 8".
    #[arg(long)]
    pub filter: Option<String>,
    /// SortExpression, e.g. "creationTimeMillis DESC".
    #[arg(long)]
    pub sort: Option<String>,
    /// Sessions per page (1-100).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Follow nextCursor and list every page.
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct JoinArgs {
    pub session_id: String,
    /// Player data passed to the game server.
    #[arg(long)]
    pub data: Option<String>,
}

#[derive(Args, Debug)]
pub struct EndArgs {
    pub session_id: String,
    /// Name of the game server (the server token's subject).
    #[arg(long, default_value = "game-server-1")]
    pub server: String,
    /// The session's server credential, as GameLift handed it to the hosting game server
    /// (default: read from the running local stack, as `hangar dev token --server
    /// --session` prints it).
    #[arg(long, env = "HANGAR_SESSION_CREDENTIAL", hide_env_values = true)]
    pub credential: Option<String>,
}

fn parse_wait(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    crate::duration::parse_duration(text)
}

/// A command's failure: its exit code and message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SessionsError {
    pub code: i32,
    pub message: String,
}

fn bad_input(message: impl Into<String>) -> SessionsError {
    SessionsError {
        code: EXIT_BAD_INPUT,
        message: message.into(),
    }
}

impl From<CallError> for SessionsError {
    fn from(e: CallError) -> Self {
        let code = match &e {
            CallError::Unreachable { .. } | CallError::NotJson { .. } => EXIT_UNREACHABLE,
            CallError::Refused { status, .. } if *status >= 500 => EXIT_UNREACHABLE,
            CallError::Refused {
                status: 400 | 413 | 422,
                ..
            } => EXIT_BAD_INPUT,
            CallError::Refused { .. } => EXIT_REFUSED,
        };
        let mut message = e.to_string();
        if let CallError::Refused {
            hint: Some(hint), ..
        } = &e
        {
            message.push_str(&format!(" ({hint})"));
        }
        SessionsError { code, message }
    }
}

impl From<crate::dev::DevError> for SessionsError {
    fn from(e: crate::dev::DevError) -> Self {
        SessionsError {
            code: EXIT_NO_STACK,
            message: e.to_string(),
        }
    }
}

/// Resolves the URL and token: given ones win; the running stack supplies the rest.
fn client(target: &Target, kind: TokenKind, subject: &str) -> Result<Client, SessionsError> {
    if let (Some(url), Some(token)) = (&target.api_url, &target.token) {
        return Ok(Client::new(url, token.clone()));
    }
    let (key, found) = crate::dev::running_key(target.state_dir.as_deref())?;
    let url = target
        .api_url
        .clone()
        .unwrap_or_else(|| found.info.api_url.clone());
    let token = match &target.token {
        Some(t) => t.clone(),
        None => key.issue(kind, subject, Duration::from_secs(3600)),
    };
    Ok(Client::new(&url, token))
}

/// Runs one command and prints its result; the exit code on success is 0.
pub async fn run(args: SessionsArgs) -> Result<i32, SessionsError> {
    let t = &args.target;
    match &args.command {
        SessionsCommand::Create(c) => {
            let body = create_body(c)?;
            let api = client(t, TokenKind::Player, &t.player)?;
            create(&api, c, body, t.json).await
        }
        SessionsCommand::List(l) => {
            let api = client(t, TokenKind::Player, &t.player)?;
            list(&api, l, t.json).await
        }
        SessionsCommand::Get { session_id } => {
            let api = client(t, TokenKind::Player, &t.player)?;
            let path = format!("/v1/sessions/{}", segment(session_id));
            let session = api.call("GET", &path, &[], None, &[]).await?;
            print(t.json, &session, || {
                sessions_table(std::slice::from_ref(&session))
            });
            Ok(0)
        }
        SessionsCommand::Join(j) => {
            let api = client(t, TokenKind::Player, &t.player)?;
            let body = match &j.data {
                Some(d) => json!({ "data": d }),
                None => json!({}),
            };
            let path = format!("/v1/sessions/{}/join", segment(&j.session_id));
            let joined = api.call("POST", &path, &[], Some(&body), &[]).await?;
            print(t.json, &joined, || {
                let mut tb = Table::new(&["session", "player session", "address"]);
                tb.row(vec![
                    table::cell(&joined["sessionId"]),
                    table::cell(&joined["playerSessionId"]),
                    table::address(&joined),
                ]);
                tb.render()
            });
            Ok(0)
        }
        SessionsCommand::Placement { placement_id } => {
            let api = client(t, TokenKind::Player, &t.player)?;
            let path = format!("/v1/placements/{}", segment(placement_id));
            let placement = api.call("GET", &path, &[], None, &[]).await?;
            print(t.json, &placement, || placement_table(&placement));
            Ok(0)
        }
        SessionsCommand::End(e) => {
            let api = client(t, TokenKind::Server, &e.server)?;
            let credential = match &e.credential {
                Some(c) => c.clone(),
                None => local_credential(t, &e.session_id).await?,
            };
            let path = format!("/v1/server/sessions/{}", segment(&e.session_id));
            let header = [(hangar_sessions::credential::HEADER, credential)];
            let ended = api.call("DELETE", &path, &[], None, &header).await?;
            print(t.json, &ended, || {
                sessions_table(std::slice::from_ref(&ended))
            });
            Ok(0)
        }
    }
}

/// The server credential of a session of the running local stack.
async fn local_credential(target: &Target, session_id: &str) -> Result<String, SessionsError> {
    let (_, found) = crate::dev::running_key(target.state_dir.as_deref())?;
    crate::dev::sessions::server_credential(&found.info, session_id)
        .await
        .map_err(|message| SessionsError {
            code: EXIT_REFUSED,
            message: format!("{message} (give the session's credential with --credential)"),
        })
}

fn print(json: bool, value: &Value, table: impl FnOnce() -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
        );
    } else {
        print!("{}", table());
    }
}

/// The create request's body, checked before anything is sent (messages name the flag).
pub fn create_body(c: &CreateArgs) -> Result<Value, SessionsError> {
    let mut body = Map::new();
    body.insert("maxPlayers".into(), json!(c.max_players));
    if let Some(name) = &c.name {
        body.insert("name".into(), json!(name));
    }
    if !c.properties.is_empty() {
        let mut props = Map::new();
        for p in &c.properties {
            let Some((k, v)) = p.split_once('=') else {
                return Err(bad_input(format!("--property {p:?}: expected KEY=VALUE")));
            };
            if k.is_empty() {
                return Err(bad_input(format!("--property {p:?}: the key is empty")));
            }
            if props.insert(k.to_string(), json!(v)).is_some() {
                return Err(bad_input(format!("--property: key {k:?} given twice")));
            }
        }
        body.insert("properties".into(), Value::Object(props));
    }
    if let Some(d) = &c.data {
        body.insert("data".into(), json!(d));
    }
    Ok(Value::Object(body))
}

async fn create(
    api: &Client,
    c: &CreateArgs,
    body: Value,
    json: bool,
) -> Result<i32, SessionsError> {
    let headers: Vec<(&str, String)> = c
        .idempotency_key
        .iter()
        .map(|k| ("idempotency-key", k.clone()))
        .collect();
    let mut placement = api
        .call("POST", "/v1/sessions", &[], Some(&body), &headers)
        .await?;
    let id = placement["placementId"].as_str().unwrap_or("").to_string();
    if !c.wait.is_zero() && placement["status"] == "PENDING" {
        let progress = indicatif::ProgressBar::new_spinner();
        progress.set_message(format!("placement {id}: PENDING"));
        progress.enable_steady_tick(Duration::from_millis(120));
        let deadline = Instant::now() + c.wait;
        let path = format!("/v1/placements/{}", segment(&id));
        while placement["status"] == "PENDING" && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(250)).await;
            placement = api.call("GET", &path, &[], None, &[]).await?;
        }
        progress.finish_and_clear();
    }
    print(json, &placement, || placement_table(&placement));
    match placement["status"].as_str() {
        Some("FULFILLED") => Ok(0),
        Some("PENDING") if c.wait.is_zero() => Ok(0),
        Some("PENDING") => Err(SessionsError {
            code: EXIT_NOT_PLACED,
            message: format!(
                "placement {id} is still PENDING after {} s; follow it with: hangar sessions placement {id}",
                c.wait.as_secs()
            ),
        }),
        other => Err(SessionsError {
            code: EXIT_NOT_PLACED,
            message: format!(
                "placement {id} ended {} without a session",
                other.unwrap_or("in an unknown status")
            ),
        }),
    }
}

async fn list(api: &Client, l: &ListArgs, json: bool) -> Result<i32, SessionsError> {
    if let Some(limit) = l.limit {
        if !(1..=100).contains(&limit) {
            return Err(bad_input(format!("--limit {limit}: must be 1 to 100")));
        }
    }
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(f) = &l.filter {
        query.push(("filter", f.clone()));
    }
    if let Some(s) = &l.sort {
        query.push(("sort", s.clone()));
    }
    if let Some(n) = l.limit {
        query.push(("limit", n.to_string()));
    }
    let mut sessions: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = query.clone();
        if let Some(c) = &cursor {
            q.push(("cursor", c.clone()));
        }
        let page = api.call("GET", "/v1/sessions", &q, None, &[]).await?;
        sessions.extend(page["sessions"].as_array().cloned().unwrap_or_default());
        cursor = page["nextCursor"].as_str().map(str::to_string);
        if !l.all || cursor.is_none() {
            break;
        }
    }
    let out = match (&cursor, l.all) {
        (Some(c), false) => json!({ "sessions": sessions, "nextCursor": c }),
        _ => json!({ "sessions": sessions }),
    };
    print(json, &out, || {
        let mut text = sessions_table(&sessions);
        if let (Some(_), false) = (&cursor, l.all) {
            text.push_str("(more: --all lists every page)\n");
        }
        text
    });
    Ok(0)
}

fn sessions_table(sessions: &[Value]) -> String {
    let mut t = Table::new(&[
        "session",
        "name",
        "status",
        "players",
        "properties",
        "address",
        "created (UTC)",
    ]);
    for s in sessions {
        t.row(vec![
            table::cell(&s["sessionId"]),
            table::cell(&s["name"]),
            table::cell(&s["status"]),
            format!(
                "{}/{}",
                table::cell(&s["currentPlayerSessionCount"]),
                table::cell(&s["maximumPlayerSessionCount"])
            ),
            table::properties(&s["properties"]),
            table::address(s),
            table::millis(&s["creationTimeMillis"]),
        ]);
    }
    t.render()
}

fn placement_table(p: &Value) -> String {
    let mut t = Table::new(&[
        "placement",
        "status",
        "session",
        "player session",
        "address",
    ]);
    t.row(vec![
        table::cell(&p["placementId"]),
        table::cell(&p["status"]),
        table::cell(&p["sessionId"]),
        table::cell(&p["playerSessionId"]),
        table::address(p),
    ]);
    t.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(props: &[&str]) -> CreateArgs {
        CreateArgs {
            max_players: 4,
            name: Some("n".into()),
            properties: props.iter().map(|s| s.to_string()).collect(),
            data: None,
            idempotency_key: None,
            wait: Duration::ZERO,
        }
    }

    #[test]
    fn create_body_carries_properties_and_refuses_bad_ones_naming_the_flag() {
        let body = create_body(&args(&["mode=ranked", "map=a=b"])).unwrap();
        assert_eq!(
            body,
            json!({"maxPlayers": 4, "name": "n", "properties": {"mode": "ranked", "map": "a=b"}})
        );
        for bad in [&["mode"][..], &["=x"][..], &["a=1", "a=2"][..]] {
            let e = create_body(&args(bad)).unwrap_err();
            assert_eq!(e.code, EXIT_BAD_INPUT);
            assert!(e.message.contains("--property"), "{}", e.message);
        }
    }

    #[test]
    fn api_refusals_map_to_documented_exit_codes() {
        let refused = |status| CallError::Refused {
            method: "GET",
            path: "/v1/sessions".into(),
            status,
            code: Some("X".into()),
            message: "m".into(),
            hint: None,
        };
        assert_eq!(SessionsError::from(refused(400)).code, EXIT_BAD_INPUT);
        assert_eq!(SessionsError::from(refused(422)).code, EXIT_BAD_INPUT);
        for s in [401, 403, 404, 409, 410] {
            assert_eq!(SessionsError::from(refused(s)).code, EXIT_REFUSED, "{s}");
        }
        assert_eq!(SessionsError::from(refused(503)).code, EXIT_UNREACHABLE);
    }
}
