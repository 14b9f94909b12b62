//! Aliases: CreateAlias, DescribeAlias, UpdateAlias, ListAliases, ResolveAlias,
//! DeleteAlias, and
//! resolving an alias to its fleet for other operations.

use crate::error::{ApiError, ApiResult};
use crate::model::{Alias, RoutingStrategyType, State};
use crate::ops::context::Ctx;
use crate::ops::fleets::fleet;
use crate::ops::members::{last_segment, strip_nulls, with_next};
use crate::ops::tags::{drop_tags, parse_tags, set_tags};
use crate::paging::page;
use crate::wire::{ts, Input};
use serde_json::{json, Value};

pub fn alias<'a>(s: &'a State, id: &str) -> ApiResult<&'a Alias> {
    let id = last_segment(id);
    s.aliases
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::not_found(format!("alias {id} not found")))
}

pub fn alias_wire(a: &Alias) -> Value {
    let mut rs = json!({"Type": a.routing_type});
    if let Some(f) = &a.fleet_id {
        rs["FleetId"] = json!(f);
    }
    if let Some(m) = &a.message {
        rs["Message"] = json!(m);
    }
    strip_nulls(
        json!({"AliasId": a.id, "Name": a.name, "AliasArn": a.arn, "Description": a.description,
        "RoutingStrategy": rs, "CreationTime": ts(a.created), "LastUpdatedTime": ts(a.updated)}),
    )
}

pub fn terminal_check(a: &Alias) -> ApiResult<String> {
    match a.routed_fleet() {
        Some(f) => Ok(f.to_string()),
        None => Err(ApiError::new(
            "TerminalRoutingStrategyException",
            a.message
                .clone()
                .unwrap_or_else(|| format!("alias {} has a terminal routing strategy", a.id)),
        )),
    }
}

/// A routing strategy: its type, fleet and message.
pub type Routing = (RoutingStrategyType, Option<String>, Option<String>);

pub fn routing(s: &State, rs: &Input<'_>) -> ApiResult<Routing> {
    let t = rs
        .parsed("Type", RoutingStrategyType::from_wire)?
        .unwrap_or(RoutingStrategyType::Simple);
    let fleet_id = rs.str_opt("FleetId")?.map(str::to_string);
    let message = rs.str_opt("Message")?.map(str::to_string);
    if t == RoutingStrategyType::Simple {
        let Some(f) = &fleet_id else {
            return Err(ApiError::invalid(
                "RoutingStrategy.FleetId is required for a SIMPLE routing strategy",
            ));
        };
        // CreateAlias has no NotFoundException: an unknown fleet is an invalid request.
        if s.fleet_index(f).is_none() {
            return Err(ApiError::invalid(format!(
                "RoutingStrategy.FleetId {f} is not a known fleet"
            )));
        }
    }
    Ok((t, fleet_id, message))
}

pub fn create_alias(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?.to_string();
    let rs = i
        .obj_opt("RoutingStrategy")?
        .ok_or_else(|| ApiError::invalid("RoutingStrategy is required"))?;
    let (routing_type, fleet_id, message) = routing(s, &rs)?;
    let tags = parse_tags(i, "Tags")?;
    let id = format!("alias-{}", uuid::Uuid::new_v4());
    let a = Alias {
        arn: c.who.arn("alias", &id),
        id,
        name,
        description: i.str_opt("Description")?.map(str::to_string),
        routing_type,
        fleet_id,
        message,
        created: c.now,
        updated: c.now,
    };
    let out = json!({"Alias": alias_wire(&a)});
    set_tags(s, &a.arn, tags);
    s.aliases.push(a);
    Ok(out)
}

pub fn update_alias(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let id = alias(s, i.str_req("AliasId")?)?.id.clone();
    let rs = match i.obj_opt("RoutingStrategy")? {
        Some(rs) => Some(routing(s, &rs)?),
        None => None,
    };
    let name = i.str_opt("Name")?;
    let description = i.str_opt("Description")?;
    let a = s
        .aliases
        .iter_mut()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::not_found("alias not found"))?;
    if let Some(n) = name {
        a.name = n.to_string();
    }
    if let Some(d) = description {
        a.description = Some(d.to_string());
    }
    if let Some((t, f, m)) = rs {
        a.routing_type = t;
        a.fleet_id = f;
        a.message = m;
    }
    a.updated = c.now;
    Ok(json!({"Alias": alias_wire(a)}))
}

pub fn list_aliases(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let t = i.parsed("RoutingStrategyType", RoutingStrategyType::from_wire)?;
    let name = i.str_opt("Name")?;
    let items: Vec<&Alias> = s
        .aliases
        .iter()
        .filter(|a| t.is_none_or(|t| a.routing_type == t) && name.is_none_or(|n| a.name == n))
        .collect();
    let (items, next) = page(&items, i, 100, usize::MAX)?;
    Ok(with_next(
        json!({"Aliases": items.iter().map(|a| alias_wire(a)).collect::<Vec<_>>()}),
        next,
    ))
}

/// The fleet a SIMPLE alias routes to (TerminalRoutingStrategyException for TERMINAL).
pub fn resolve_alias_fleet(s: &State, alias_id: &str) -> ApiResult<String> {
    terminal_check(alias(s, alias_id)?)
}

pub fn describe_alias(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    Ok(json!({"Alias": alias_wire(alias(s, i.str_req("AliasId")?)?)}))
}

pub fn resolve_alias(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let a = alias(s, i.str_req("AliasId")?)?;
    let fid = terminal_check(a)?;
    let f = fleet(s, &fid)?;
    Ok(json!({"FleetId": f.id, "FleetArn": f.arn}))
}

pub fn delete_alias(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let a = alias(s, i.str_req("AliasId")?)?;
    let (id, arn) = (a.id.clone(), a.arn.clone());
    s.aliases.retain(|a| a.id != id);
    drop_tags(s, &arn);
    Ok(json!({}))
}
