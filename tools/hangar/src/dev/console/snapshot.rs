//! What the console shows, read fresh for every poll from the same interfaces any client
//! uses: the local API (sessions, with the page's filter and sort), the GameLift API of
//! the emulator (fleets, capacity, aliases, queues), the emulator's admin interface
//! (clock, faults, the placement events it published), DynamoDB (Hangar's placement
//! records, the game-server table) and the Step Functions API (fleet replacements).
//!
//! Each part is read on its own; a part that fails carries its error and the others are
//! still shown.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use local_gateway::{TokenKey, TokenKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The subject of the player token the console lists sessions with.
pub const CONSOLE_PLAYER: &str = "hangar-console";
/// Most placement records and executions shown.
const MAX_ROWS: usize = 100;

/// Clients and names the console reads with.
#[derive(Clone)]
pub struct Sources {
    pub gamelift: aws_sdk_gamelift::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub admin: gamelift_emulator::AdminClient,
    pub http: reqwest::Client,
    pub api_url: String,
    pub key: TokenKey,
    pub sessions_table: Option<String>,
    pub gameservers_table: Option<String>,
}

/// The page's query: the sessions filter and sort, passed to the API as they are.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StateQuery {
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub sort: Option<String>,
}

/// One part of the snapshot: its rows, or why they could not be read.
#[derive(Debug, Serialize)]
pub struct Part {
    pub items: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Part {
    fn from(result: Result<Value, String>) -> Self {
        match result {
            Ok(items) => Part { items, error: None },
            Err(e) => Part {
                items: Value::Array(Vec::new()),
                error: Some(e),
            },
        }
    }
}

/// Everything the console shows at one moment.
pub async fn snapshot(src: &Sources, query: &StateQuery) -> Value {
    let (
        clock,
        sessions,
        placements,
        events,
        fleets,
        aliases,
        queues,
        servers,
        replacements,
        faults,
    ) = tokio::join!(
        src.admin.get("clock"),
        sessions(src, query),
        placement_records(src),
        src.admin.events(),
        fleets(&src.gamelift),
        aliases(&src.gamelift),
        queues(&src.gamelift),
        game_servers(src),
        replacements(&src.sfn),
        src.admin.state(),
    );
    let events = events.map_err(|e| e.to_string());
    let placements = placements.map(|records| {
        let events = events.as_deref().unwrap_or(&[]);
        Value::Array(join_events(records, events))
    });
    let faults = faults
        .map(|state| state.get("faults").cloned().unwrap_or(Value::Null))
        .map_err(|e| e.to_string());
    json!({
        "clock": Part::from(clock.map_err(|e| e.to_string())),
        "sessions": Part::from(sessions),
        "placements": Part::from(placements),
        "events": Part::from(events.map(Value::Array)),
        "fleets": Part::from(fleets),
        "aliases": Part::from(aliases),
        "queues": Part::from(queues),
        "gameServers": Part::from(servers),
        "replacements": Part::from(replacements),
        "faults": Part::from(faults),
    })
}

fn sdk_error(e: impl std::error::Error) -> String {
    aws_sdk_gamelift::error::DisplayErrorContext(e).to_string()
}

/// `GET /v1/sessions` of the local API with a console player token.
async fn sessions(src: &Sources, query: &StateQuery) -> Result<Value, String> {
    let token = src
        .key
        .issue(TokenKind::Player, CONSOLE_PLAYER, Duration::from_secs(60));
    let mut params: Vec<(&str, &str)> = vec![("limit", "100")];
    if let Some(f) = query.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        params.push(("filter", f));
    }
    if let Some(s) = query.sort.as_deref().filter(|s| !s.trim().is_empty()) {
        params.push(("sort", s));
    }
    let response = src
        .http
        .get(format!("{}/v1/sessions", src.api_url))
        .bearer_auth(token)
        .query(&params)
        .send()
        .await
        .map_err(|e| format!("the local API did not answer: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| {
        format!("the local API answered {status} with a body that is not JSON: {e}")
    })?;
    if !status.is_success() {
        let message = body["error"]["message"]
            .as_str()
            .or(body["message"].as_str())
            .unwrap_or("no message");
        return Err(format!("GET /v1/sessions answered {status}: {message}"));
    }
    Ok(body
        .get("sessions")
        .cloned()
        .unwrap_or(Value::Array(Vec::new())))
}

/// Every item of `table` matching `filter` (a Scan; the local tables are small).
async fn scan(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    filter: Option<(&str, HashMapValues)>,
) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut start: Option<std::collections::HashMap<String, AttributeValue>> = None;
    for _ in 0..20 {
        let mut request = dynamodb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start);
        if let Some((expression, values)) = &filter {
            request = request.filter_expression(*expression);
            for (k, v) in values {
                request = request.expression_attribute_values(*k, AttributeValue::S(v.to_string()));
            }
        }
        let out = request.send().await.map_err(sdk_error)?;
        for item in out.items() {
            let value: Value = serde_dynamo::from_item(item.clone()).map_err(|e| e.to_string())?;
            items.push(value);
        }
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    Ok(items)
}

type HashMapValues = Vec<(&'static str, &'static str)>;

/// The fields of a stored placement the console shows (never data or player lists).
const PLACEMENT_FIELDS: &[&str] = &[
    "placementId",
    "status",
    "creatorId",
    "gameSessionId",
    "ipAddress",
    "port",
    "createdAtMillis",
    "updatedAtMillis",
    "eventTimeMillis",
];

/// Hangar's placement records (`P#<id>` items of the sessions table), newest first.
async fn placement_records(src: &Sources) -> Result<Vec<Value>, String> {
    let Some(table) = &src.sessions_table else {
        return Ok(Vec::new());
    };
    let items = scan(
        &src.dynamodb,
        table,
        Some(("begins_with(pk, :p)", vec![(":p", "P#")])),
    )
    .await?;
    let mut rows: Vec<Value> = items
        .into_iter()
        .map(|item| pick(&item, PLACEMENT_FIELDS))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r["createdAtMillis"].as_i64().unwrap_or(0)));
    rows.truncate(MAX_ROWS);
    Ok(rows)
}

fn pick(item: &Value, fields: &[&str]) -> Value {
    let mut out = Map::new();
    for f in fields {
        if let Some(v) = item.get(*f) {
            out.insert((*f).to_string(), v.clone());
        }
    }
    Value::Object(out)
}

/// Each placement record with the GameLift events (as the emulator published them to
/// SNS) that carry its placement id, oldest first.
pub fn join_events(records: Vec<Value>, events: &[Value]) -> Vec<Value> {
    let mut by_placement: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for sent in events {
        let detail = &sent["event"]["detail"];
        let Some(id) = detail["placementId"].as_str() else {
            continue;
        };
        by_placement.entry(id).or_default().push(json!({
            "type": detail["type"],
            "time": sent["event"]["time"],
            "gameSessionArn": detail["gameSessionArn"],
            "published": sent["published"],
            "error": sent["error"],
        }));
    }
    records
        .into_iter()
        .map(|mut r| {
            let id = r["placementId"].as_str().unwrap_or("").to_string();
            r["events"] = Value::Array(by_placement.remove(id.as_str()).unwrap_or_default());
            r
        })
        .collect()
}

/// Fleets with status, build, instance counts and game-session slots.
async fn fleets(gl: &aws_sdk_gamelift::Client) -> Result<Value, String> {
    let mut attributes = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = gl
            .describe_fleet_attributes()
            .limit(50)
            .set_next_token(next)
            .send()
            .await
            .map_err(sdk_error)?;
        attributes.extend(out.fleet_attributes().iter().cloned());
        next = out.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    let mut capacity = BTreeMap::new();
    let mut next: Option<String> = None;
    loop {
        let out = gl
            .describe_fleet_capacity()
            .limit(50)
            .set_next_token(next)
            .send()
            .await
            .map_err(sdk_error)?;
        for c in out.fleet_capacity() {
            if let (Some(id), Some(counts)) = (c.fleet_id(), c.instance_counts()) {
                capacity.insert(id.to_string(), counts.clone());
            }
        }
        next = out.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    let mut rows = Vec::new();
    for f in &attributes {
        let id = f.fleet_id().unwrap_or_default();
        let status = f.status().map(|s| s.as_str().to_string());
        let counts = capacity.get(id);
        let gone = matches!(status.as_deref(), Some("TERMINATED") | Some("DELETING"));
        let (per_instance, sessions) = if gone {
            (None, None)
        } else {
            (
                sessions_per_instance(gl, id).await.ok(),
                game_sessions_in_use(gl, id).await.ok(),
            )
        };
        let active = counts.and_then(|c| c.active()).unwrap_or(0);
        let slots = per_instance.map(|p| i64::from(p) * i64::from(active));
        rows.push(json!({
            "fleetId": id,
            "name": f.name(),
            "status": status,
            "buildId": f.build_id(),
            "instanceType": f.instance_type().map(|t| t.as_str()),
            "desired": counts.and_then(|c| c.desired()),
            "active": counts.and_then(|c| c.active()),
            "pending": counts.and_then(|c| c.pending()),
            "idle": counts.and_then(|c| c.idle()),
            "minimum": counts.and_then(|c| c.minimum()),
            "maximum": counts.and_then(|c| c.maximum()),
            "sessionsPerInstance": per_instance,
            "gameSessions": sessions,
            "freeSessionSlots": match (slots, sessions) {
                (Some(s), Some(used)) => Some((s - used).max(0)),
                _ => None,
            },
            "creationTime": f.creation_time().map(|t| t.secs()),
        }));
    }
    Ok(Value::Array(rows))
}

async fn sessions_per_instance(gl: &aws_sdk_gamelift::Client, fleet: &str) -> Result<i32, String> {
    let out = gl
        .describe_runtime_configuration()
        .fleet_id(fleet)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(out
        .runtime_configuration()
        .map(|r| {
            r.server_processes()
                .iter()
                .filter_map(|p| p.concurrent_executions())
                .sum()
        })
        .unwrap_or(0))
}

/// Game sessions that hold a server process (ACTIVATING or ACTIVE).
async fn game_sessions_in_use(gl: &aws_sdk_gamelift::Client, fleet: &str) -> Result<i64, String> {
    use aws_sdk_gamelift::types::GameSessionStatus as S;
    let mut count = 0;
    let mut next: Option<String> = None;
    for _ in 0..50 {
        let out = gl
            .describe_game_sessions()
            .fleet_id(fleet)
            .limit(100)
            .set_next_token(next)
            .send()
            .await
            .map_err(sdk_error)?;
        count += out
            .game_sessions()
            .iter()
            .filter(|g| matches!(g.status(), Some(S::Active) | Some(S::Activating)))
            .count() as i64;
        next = out.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    Ok(count)
}

async fn aliases(gl: &aws_sdk_gamelift::Client) -> Result<Value, String> {
    let out = gl
        .list_aliases()
        .limit(100)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(out
        .aliases()
        .iter()
        .map(|a| {
            let r = a.routing_strategy();
            json!({
                "aliasId": a.alias_id(),
                "name": a.name(),
                "routing": r.and_then(|r| r.r#type()).map(|t| t.as_str()),
                "fleetId": r.and_then(|r| r.fleet_id()),
                "message": r.and_then(|r| r.message()),
                "lastUpdatedTime": a.last_updated_time().map(|t| t.secs()),
            })
        })
        .collect())
}

async fn queues(gl: &aws_sdk_gamelift::Client) -> Result<Value, String> {
    let out = gl
        .describe_game_session_queues()
        .limit(100)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(out
        .game_session_queues()
        .iter()
        .map(|q| {
            json!({
                "name": q.name(),
                "timeoutInSeconds": q.timeout_in_seconds(),
                "destinations": q.destinations().iter().filter_map(|d| d.destination_arn()).collect::<Vec<_>>(),
                "notificationTarget": q.notification_target(),
            })
        })
        .collect())
}

/// The game servers the ECS scaler keeps in its table (one item per task).
async fn game_servers(src: &Sources) -> Result<Value, String> {
    let Some(table) = &src.gameservers_table else {
        return Ok(Value::Array(Vec::new()));
    };
    let items = scan(&src.dynamodb, table, None).await?;
    Ok(items
        .into_iter()
        .filter(|i| i.get("state").is_some())
        .collect())
}

/// Executions of every state machine, newest first, each with its stages.
async fn replacements(sfn: &aws_sdk_sfn::Client) -> Result<Value, String> {
    let machines = sfn
        .list_state_machines()
        .max_results(100)
        .send()
        .await
        .map_err(sdk_error)?;
    let mut rows = Vec::new();
    for m in machines.state_machines() {
        let arn = m.state_machine_arn();
        let executions = sfn
            .list_executions()
            .state_machine_arn(arn)
            .max_results(20)
            .send()
            .await
            .map_err(sdk_error)?;
        for e in executions.executions() {
            let history = sfn
                .get_execution_history()
                .execution_arn(e.execution_arn())
                .max_results(1000)
                .send()
                .await
                .map_err(sdk_error)?;
            let steps: Vec<HistoryStep> = history
                .events()
                .iter()
                .map(|ev| HistoryStep {
                    kind: ev.r#type().as_str().to_string(),
                    time_secs: ev.timestamp().secs(),
                    entered: ev
                        .state_entered_event_details()
                        .map(|d| d.name().to_string()),
                    exited: ev
                        .state_exited_event_details()
                        .map(|d| d.name().to_string()),
                })
                .collect();
            rows.push(json!({
                "stateMachine": m.name(),
                "name": e.name(),
                "executionArn": e.execution_arn(),
                "status": e.status().as_str(),
                "startDate": e.start_date().secs(),
                "stopDate": e.stop_date().map(|d| d.secs()),
                "stages": stages(&steps),
            }));
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r["startDate"].as_i64().unwrap_or(0)));
    rows.truncate(MAX_ROWS);
    Ok(Value::Array(rows))
}

/// One event of an execution's history, as far as stages are concerned.
#[derive(Debug, Clone)]
pub struct HistoryStep {
    pub kind: String,
    pub time_secs: i64,
    pub entered: Option<String>,
    pub exited: Option<String>,
}

/// The states an execution went through, in the order it first entered them; a state
/// entered again (a polling loop) is one stage with its number of visits. A stage is
/// `done` once exited, `failed` when the execution failed while in it, else `running`.
pub fn stages(steps: &[HistoryStep]) -> Vec<Value> {
    let mut order: Vec<String> = Vec::new();
    let mut info: BTreeMap<String, (i64, Option<i64>, u32, &'static str)> = BTreeMap::new();
    let mut current: Option<String> = None;
    for s in steps {
        if let Some(name) = &s.entered {
            let e = info.entry(name.clone()).or_insert_with(|| {
                order.push(name.clone());
                (s.time_secs, None, 0, "running")
            });
            e.2 += 1;
            e.3 = "running";
            current = Some(name.clone());
        } else if let Some(name) = &s.exited {
            if let Some(e) = info.get_mut(name) {
                e.1 = Some(s.time_secs);
                e.3 = "done";
            }
            current = None;
        } else if matches!(
            s.kind.as_str(),
            "ExecutionFailed"
                | "ExecutionTimedOut"
                | "ExecutionAborted"
                | "TaskFailed"
                | "LambdaFunctionFailed"
        ) {
            if let Some(e) = current.as_ref().and_then(|c| info.get_mut(c)) {
                e.3 = "failed";
            }
        }
    }
    order
        .into_iter()
        .filter_map(|name| {
            let (entered, exited, visits, status) = info.get(&name).copied()?;
            Some(json!({
                "name": name,
                "enteredAt": entered,
                "exitedAt": exited,
                "visits": visits,
                "status": status,
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(kind: &str, t: i64, entered: Option<&str>, exited: Option<&str>) -> HistoryStep {
        HistoryStep {
            kind: kind.into(),
            time_secs: t,
            entered: entered.map(str::to_string),
            exited: exited.map(str::to_string),
        }
    }

    #[test]
    fn a_polling_loop_is_one_stage_with_its_visits_and_the_failed_state_is_marked() {
        let steps = [
            step("ExecutionStarted", 0, None, None),
            step("TaskStateEntered", 1, Some("Validate"), None),
            step("TaskStateExited", 2, None, Some("Validate")),
            step("TaskStateEntered", 3, Some("WaitFleet"), None),
            step("TaskStateExited", 4, None, Some("WaitFleet")),
            step("WaitStateEntered", 4, Some("Pause"), None),
            step("WaitStateExited", 5, None, Some("Pause")),
            step("TaskStateEntered", 6, Some("WaitFleet"), None),
            step("TaskFailed", 7, None, None),
            step("ExecutionFailed", 7, None, None),
        ];
        let s = stages(&steps);
        let names: Vec<&str> = s.iter().map(|v| v["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Validate", "WaitFleet", "Pause"]);
        assert_eq!(s[0]["status"], "done");
        assert_eq!(s[1]["visits"], 2);
        assert_eq!(s[1]["status"], "failed");
        assert_eq!(s[2]["status"], "done");
    }

    #[test]
    fn events_are_joined_to_their_placement_and_others_are_left_out() {
        let records = vec![
            json!({"placementId": "p-1", "status": "FULFILLED"}),
            json!({"placementId": "p-2"}),
        ];
        let events = vec![
            json!({"event": {"time": "t1", "detail": {"placementId": "p-1", "type": "PlacementFulfilled"}}, "published": true}),
            json!({"event": {"time": "t0", "detail": {"placementId": "p-9", "type": "PlacementTimedOut"}}, "published": true}),
        ];
        let joined = join_events(records, &events);
        assert_eq!(joined[0]["events"][0]["type"], "PlacementFulfilled");
        assert_eq!(joined[1]["events"], json!([]));
    }
}
