//! Game session queues: CreateGameSessionQueue, DescribeGameSessionQueues,
//! UpdateGameSessionQueue, DeleteGameSessionQueue.

use crate::error::{ApiError, ApiResult};
use crate::model::{Queue, State};
use crate::ops::context::Ctx;
use crate::ops::members::{last_segment, with_next};
use crate::ops::tags::{drop_tags, parse_tags, set_tags};
use crate::paging::page;
use crate::wire::Input;
use serde_json::{json, Map, Value};

pub fn queue_wire(q: &Queue) -> Value {
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

pub fn queue<'a>(s: &'a State, name_or_arn: &str) -> ApiResult<&'a Queue> {
    let name = last_segment(name_or_arn);
    s.queues
        .iter()
        .find(|q| q.name == name)
        .ok_or_else(|| ApiError::not_found(format!("game session queue {name} not found")))
}

/// Members kept as sent, for placement: latency policies, filter and priority.
const KEPT: [&str; 3] = [
    "PlayerLatencyPolicies",
    "FilterConfiguration",
    "PriorityConfiguration",
];

/// The request's destinations, each a known fleet or alias ARN.
fn destinations(s: &State, i: &Input<'_>) -> ApiResult<Option<Vec<String>>> {
    let Some(list) = i.list_opt("Destinations")? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(list.len());
    for d in i.structs_opt("Destinations")? {
        let arn = d.str_req("DestinationArn")?;
        let known = if arn.contains(":alias/") {
            s.aliases.iter().any(|a| a.arn == arn)
        } else {
            s.fleets.iter().any(|f| f.arn == arn)
        };
        if !known {
            return Err(ApiError::not_found(format!(
                "destination {arn} is not a known fleet or alias ARN"
            )));
        }
        out.push(arn.to_string());
    }
    Ok(Some(out))
}

fn notification_target(i: &Input<'_>) -> ApiResult<Option<String>> {
    let target = i.str_opt("NotificationTarget")?;
    if let Some(t) = target {
        if !t.is_empty() && !t.starts_with("arn:aws:sns:") {
            return Err(ApiError::invalid(
                "NotificationTarget must be an SNS topic ARN",
            ));
        }
    }
    Ok(target.map(str::to_string))
}

pub fn create_queue(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?.to_string();
    if s.queues.iter().any(|q| q.name == name) {
        return Err(ApiError::invalid(format!(
            "a game session queue named {name} already exists"
        )));
    }
    let mut extra = Map::new();
    for k in KEPT {
        if let Some(v) = i.present(k) {
            extra.insert(k.to_string(), v.clone());
        }
    }
    let tags = parse_tags(i, "Tags")?;
    let q = Queue {
        arn: c.who.arn("gamesessionqueue", &name),
        name,
        timeout_seconds: i.int_opt("TimeoutInSeconds")?.unwrap_or(600),
        destinations: destinations(s, i)?.unwrap_or_default(),
        notification_target: notification_target(i)?.filter(|t| !t.is_empty()),
        custom_event_data: i.str_opt("CustomEventData")?.map(str::to_string),
        extra: Value::Object(extra),
    };
    let out = json!({"GameSessionQueue": queue_wire(&q)});
    set_tags(s, &q.arn, tags);
    s.queues.push(q);
    Ok(out)
}

/// UpdateGameSessionQueue: every member given replaces the queue's; an empty
/// NotificationTarget or CustomEventData removes it.
pub fn update_queue(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let name = queue(s, i.str_req("Name")?)?.name.clone();
    let destinations = destinations(s, i)?;
    let target = notification_target(i)?;
    let timeout = i.int_opt("TimeoutInSeconds")?;
    let data = i.str_opt("CustomEventData")?.map(str::to_string);
    let q = s
        .queues
        .iter_mut()
        .find(|q| q.name == name)
        .ok_or_else(|| ApiError::not_found(format!("game session queue {name} not found")))?;
    if let Some(d) = destinations {
        q.destinations = d;
    }
    if let Some(t) = target {
        q.notification_target = Some(t).filter(|t| !t.is_empty());
    }
    if let Some(t) = timeout {
        q.timeout_seconds = t;
    }
    if let Some(d) = data {
        q.custom_event_data = Some(d).filter(|d| !d.is_empty());
    }
    for k in KEPT {
        if let Some(v) = i.present(k) {
            q.extra[k] = v.clone();
        }
    }
    Ok(json!({"GameSessionQueue": queue_wire(q)}))
}

pub fn delete_queue(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let q = queue(s, i.str_req("Name")?)?;
    let (name, arn) = (q.name.clone(), q.arn.clone());
    s.queues.retain(|q| q.name != name);
    drop_tags(s, &arn);
    Ok(json!({}))
}

pub fn describe_queues(s: &State, i: &Input<'_>) -> ApiResult<Value> {
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
