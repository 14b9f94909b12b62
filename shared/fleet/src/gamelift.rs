//! GameLift adapter: the reads and writes the stages need, paging through every list,
//! with errors classified for the state machine's Retry/Catch.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_gamelift::types::{FleetAttributes, RoutingStrategy, RoutingStrategyType};
use aws_sdk_gamelift::Client;

use crate::capacity::Counts;
use crate::error::{classify, error_code, StageError};
use crate::progress::LocationStatus;
use crate::request::{CapacityTarget, REPLACEMENT_TAG};
use crate::start::{AliasFacts, FleetFacts};

const NOT_FOUND: &str = "NotFoundException";

pub async fn alias(c: &Client, alias_id: &str) -> Result<Option<AliasFacts>, StageError> {
    match c.describe_alias().alias_id(alias_id).send().await {
        Ok(out) => Ok(out.alias().map(|a| {
            let r = a.routing_strategy();
            AliasFacts {
                routing_type: r
                    .and_then(|r| r.r#type())
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                fleet_id: r.and_then(|r| r.fleet_id()).map(str::to_string),
            }
        })),
        Err(e) if error_code(&e) == Some(NOT_FOUND) => Ok(None),
        Err(e) => Err(classify("DescribeAlias", e)),
    }
}

pub async fn point_alias(c: &Client, alias_id: &str, fleet_id: &str) -> Result<(), StageError> {
    let routing = RoutingStrategy::builder()
        .r#type(RoutingStrategyType::Simple)
        .fleet_id(fleet_id)
        .build();
    c.update_alias()
        .alias_id(alias_id)
        .routing_strategy(routing)
        .send()
        .await
        .map_err(|e| classify("UpdateAlias", e))?;
    Ok(())
}

/// Every alias with the fleet it routes to.
pub async fn all_aliases(c: &Client) -> Result<Vec<(String, Option<String>)>, StageError> {
    let pages = c
        .list_aliases()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify("ListAliases", e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.aliases())
        .map(|a| {
            (
                a.alias_id().unwrap_or_default().to_string(),
                a.routing_strategy()
                    .and_then(|r| r.fleet_id())
                    .map(str::to_string),
            )
        })
        .collect())
}

pub async fn fleet(c: &Client, fleet_id: &str) -> Result<Option<FleetAttributes>, StageError> {
    match c
        .describe_fleet_attributes()
        .fleet_ids(fleet_id)
        .send()
        .await
    {
        Ok(out) => Ok(out.fleet_attributes().first().cloned()),
        Err(e) if error_code(&e) == Some(NOT_FOUND) => Ok(None),
        Err(e) => Err(classify("DescribeFleetAttributes", e)),
    }
}

pub fn fleet_status(f: &FleetAttributes) -> String {
    f.status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

pub async fn fleet_facts(c: &Client, fleet_id: &str) -> Result<Option<FleetFacts>, StageError> {
    Ok(fleet(c, fleet_id).await?.map(|f| FleetFacts {
        fleet_id: fleet_id.to_string(),
        status: fleet_status(&f),
    }))
}

async fn tagged(c: &Client, arn: Option<&str>, replacement_id: &str) -> Result<bool, StageError> {
    let Some(arn) = arn else { return Ok(false) };
    match c.list_tags_for_resource().resource_arn(arn).send().await {
        Ok(out) => Ok(out
            .tags()
            .iter()
            .any(|t| t.key() == Some(REPLACEMENT_TAG) && t.value() == Some(replacement_id))),
        Err(e) if error_code(&e) == Some(NOT_FOUND) => Ok(false),
        Err(e) => Err(classify("ListTagsForResource", e)),
    }
}

/// The live fleet an earlier run of this replacement created: same name, our tag.
pub async fn find_our_fleet(
    c: &Client,
    name: &str,
    replacement_id: &str,
) -> Result<Option<FleetFacts>, StageError> {
    let pages = c
        .describe_fleet_attributes()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify("DescribeFleetAttributes", e))?;
    for f in pages.iter().flat_map(|p| p.fleet_attributes()) {
        let status = fleet_status(f);
        if f.name() != Some(name) || status == "DELETING" || status == "TERMINATED" {
            continue;
        }
        if tagged(c, f.fleet_arn(), replacement_id).await? {
            return Ok(Some(FleetFacts {
                fleet_id: f.fleet_id().unwrap_or_default().to_string(),
                status,
            }));
        }
    }
    Ok(None)
}

/// The build an earlier run of this replacement created: same name and version, our tag.
pub async fn find_our_build(
    c: &Client,
    name: &str,
    version: &str,
    replacement_id: &str,
) -> Result<Option<String>, StageError> {
    let pages = c
        .list_builds()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify("ListBuilds", e))?;
    for b in pages.iter().flat_map(|p| p.builds()) {
        if b.name() == Some(name)
            && b.version() == Some(version)
            && tagged(c, b.build_arn(), replacement_id).await?
        {
            return Ok(b.build_id().map(str::to_string));
        }
    }
    Ok(None)
}

/// Build status, `None` when the build does not exist.
pub async fn build_status(c: &Client, build_id: &str) -> Result<Option<String>, StageError> {
    match c.describe_build().build_id(build_id).send().await {
        Ok(out) => Ok(out
            .build_value()
            .and_then(|b| b.status())
            .map(|s| s.as_str().to_string())),
        Err(e) if error_code(&e) == Some(NOT_FOUND) => Ok(None),
        Err(e) => Err(classify("DescribeBuild", e)),
    }
}

/// Status of every location of a fleet (home and remote) that GameLift lists.
pub async fn locations(c: &Client, fleet_id: &str) -> Result<Vec<LocationStatus>, StageError> {
    let pages = c
        .describe_fleet_location_attributes()
        .fleet_id(fleet_id)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify("DescribeFleetLocationAttributes", e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.location_attributes())
        .filter_map(|a| a.location_state())
        .map(|s| LocationStatus {
            location: s.location().unwrap_or_default().to_string(),
            status: s
                .status()
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
        })
        .collect())
}

/// The fleet's home location plus every remote location.
pub async fn location_names(
    c: &Client,
    fleet_id: &str,
    home: &str,
) -> Result<Vec<String>, StageError> {
    let mut names: BTreeSet<String> = locations(c, fleet_id)
        .await?
        .into_iter()
        .map(|l| l.location)
        .collect();
    names.insert(home.to_string());
    Ok(names.into_iter().collect())
}

fn counts(fc: &aws_sdk_gamelift::types::FleetCapacity) -> Counts {
    let c = fc.instance_counts();
    Counts {
        desired: c.and_then(|c| c.desired()).unwrap_or(0),
        min: c.and_then(|c| c.minimum()).unwrap_or(0),
        max: c.and_then(|c| c.maximum()).unwrap_or(0),
        active: c.and_then(|c| c.active()).unwrap_or(0),
        pending: c.and_then(|c| c.pending()).unwrap_or(0),
    }
}

/// Instance counts per location (home and remote).
pub async fn capacities(
    c: &Client,
    fleet_id: &str,
    home: &str,
) -> Result<BTreeMap<String, Counts>, StageError> {
    let mut out = BTreeMap::new();
    for location in location_names(c, fleet_id, home).await? {
        let result = c
            .describe_fleet_location_capacity()
            .fleet_id(fleet_id)
            .location(&location)
            .send()
            .await;
        match result {
            Ok(r) => {
                if let Some(fc) = r.fleet_capacity() {
                    out.insert(location, counts(fc));
                }
            }
            Err(e) if error_code(&e) == Some(NOT_FOUND) => {}
            Err(e) => return Err(classify("DescribeFleetLocationCapacity", e)),
        }
    }
    Ok(out)
}

/// Sets desired/min/max of one location; the home location is set without `Location`.
pub async fn set_capacity(
    c: &Client,
    fleet_id: &str,
    location: &str,
    home: &str,
    t: CapacityTarget,
) -> Result<(), StageError> {
    let mut req = c
        .update_fleet_capacity()
        .fleet_id(fleet_id)
        .desired_instances(t.desired)
        .min_size(t.min)
        .max_size(t.max);
    if location != home {
        req = req.location(location);
    }
    req.send()
        .await
        .map_err(|e| classify("UpdateFleetCapacity", e))?;
    Ok(())
}

/// Copies the old fleet's scaling policies to the new fleet (PutScalingPolicy replaces a
/// policy of the same name, so a repeat is harmless). Returns the names copied.
pub async fn copy_scaling_policies(
    c: &Client,
    from: &str,
    to: &str,
) -> Result<Vec<String>, StageError> {
    let pages = c
        .describe_scaling_policies()
        .fleet_id(from)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify("DescribeScalingPolicies", e))?;
    let mut copied = BTreeSet::new();
    for p in pages.iter().flat_map(|p| p.scaling_policies()) {
        let Some(name) = p.name() else { continue };
        if p.status().is_some_and(|s| s.as_str().starts_with("DELET"))
            || !copied.insert(name.to_string())
        {
            continue;
        }
        c.put_scaling_policy()
            .fleet_id(to)
            .name(name)
            .set_metric_name(p.metric_name().cloned())
            .set_policy_type(p.policy_type().cloned())
            .set_target_configuration(p.target_configuration().cloned())
            .set_scaling_adjustment(p.scaling_adjustment())
            .set_scaling_adjustment_type(p.scaling_adjustment_type().cloned())
            .set_threshold(p.threshold())
            .set_comparison_operator(p.comparison_operator().cloned())
            .set_evaluation_periods(p.evaluation_periods())
            .send()
            .await
            .map_err(|e| classify("PutScalingPolicy", e))?;
    }
    Ok(copied.into_iter().collect())
}

/// Statuses of every game session of a fleet in every one of its locations, paging through all.
pub async fn session_statuses(
    c: &Client,
    fleet_id: &str,
    home: &str,
) -> Result<Vec<String>, StageError> {
    let mut seen = BTreeMap::new();
    for location in location_names(c, fleet_id, home).await? {
        let pages = c
            .describe_game_sessions()
            .fleet_id(fleet_id)
            .location(&location)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("DescribeGameSessions", e))?;
        for s in pages.iter().flat_map(|p| p.game_sessions()) {
            let id = s.game_session_id().unwrap_or_default().to_string();
            seen.insert(
                id,
                s.status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
            );
        }
    }
    Ok(seen.into_values().collect())
}

pub async fn delete_fleet(c: &Client, fleet_id: &str) -> Result<(), StageError> {
    match c.delete_fleet().fleet_id(fleet_id).send().await {
        Ok(_) => Ok(()),
        Err(e) if error_code(&e) == Some(NOT_FOUND) => Ok(()),
        Err(e) => Err(classify("DeleteFleet", e)),
    }
}

pub async fn delete_build(c: &Client, build_id: &str) -> Result<(), StageError> {
    match c.delete_build().build_id(build_id).send().await {
        Ok(_) => Ok(()),
        Err(e) if error_code(&e) == Some(NOT_FOUND) => Ok(()),
        Err(e) => Err(classify("DeleteBuild", e)),
    }
}
