//! Game session queues: CreateGameSessionQueue, DescribeGameSessionQueues.

use crate::error::{ApiError, ApiResult};
use crate::model::{Queue, State};
use crate::ops::context::Ctx;
use crate::ops::members::{last_segment, with_next};
use crate::ops::tags::{parse_tags, set_tags};
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

pub fn create_queue(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?.to_string();
    if name.len() > 128
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    {
        return Err(ApiError::invalid(
            "Name must be 1-128 letters, digits or '-'",
        ));
    }
    if s.queues.iter().any(|q| q.name == name) {
        return Err(ApiError::invalid(format!(
            "a game session queue named {name} already exists"
        )));
    }
    let mut destinations = Vec::new();
    for d in i.structs_opt("Destinations")? {
        let arn = d
            .str_req("DestinationArn")
            .map_err(|_| ApiError::invalid("Destinations[].DestinationArn is required"))?;
        let ok = if arn.contains(":alias/") {
            s.aliases.iter().any(|a| a.arn == arn)
        } else {
            s.fleets.iter().any(|f| f.arn == arn)
        };
        if !ok {
            return Err(ApiError::not_found(format!(
                "destination {arn} is not a known fleet or alias ARN"
            )));
        }
        destinations.push(arn.to_string());
    }
    let target = i.str_opt("NotificationTarget")?.map(str::to_string);
    if let Some(t) = &target {
        if !t.starts_with("arn:aws:sns:") {
            return Err(ApiError::invalid(
                "NotificationTarget must be an SNS topic ARN",
            ));
        }
    }
    let mut extra = Map::new();
    for k in [
        "PlayerLatencyPolicies",
        "FilterConfiguration",
        "PriorityConfiguration",
    ] {
        if let Some(v) = i.0.get(k).filter(|v| !v.is_null()) {
            extra.insert(k.to_string(), v.clone());
        }
    }
    let tags = parse_tags(i, "Tags")?;
    let q = Queue {
        arn: c.who.arn("gamesessionqueue", &name),
        name,
        timeout_seconds: i.int_opt("TimeoutInSeconds", 0)?.unwrap_or(600),
        destinations,
        notification_target: target,
        custom_event_data: i
            .0
            .get("CustomEventData")
            .and_then(Value::as_str)
            .map(str::to_string),
        extra: Value::Object(extra),
    };
    let out = json!({"GameSessionQueue": queue_wire(&q)});
    set_tags(s, &q.arn, tags);
    s.queues.push(q);
    Ok(out)
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
