//! Scaling policies: PutScalingPolicy, DescribeScalingPolicies.

use crate::error::{ApiError, ApiResult};
use crate::model::{ScalingPolicy, ScalingStatus, State};
use crate::ops::fleets::fleet;
use crate::ops::members::with_next;
use crate::paging::page;
use crate::wire::Input;
use serde_json::{json, Value};

const SCALING_ADJ: &[&str] = &[
    "ChangeInCapacity",
    "ExactCapacity",
    "PercentChangeInCapacity",
];

const COMPARISON: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];

const POLICY_TYPES: &[&str] = &["RuleBased", "TargetBased"];

const METRICS: &[&str] = &[
    "ActivatingGameSessions",
    "ActiveGameSessions",
    "ActiveInstances",
    "AvailableGameSessions",
    "AvailablePlayerSessions",
    "CurrentPlayerSessions",
    "IdleInstances",
    "PercentAvailableGameSessions",
    "PercentIdleInstances",
    "QueueDepth",
    "WaitTime",
    "ConcurrentActivatableGameSessions",
];

pub fn put_scaling_policy(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?.to_string();
    let f = fleet(s, i.str_req("FleetId")?)?;
    let (fid, farn) = (f.id.clone(), f.arn.clone());
    let location = f.home().map(|l| l.name.clone()).unwrap_or_default();
    let metric = i
        .enum_opt("MetricName", METRICS)?
        .ok_or_else(|| ApiError::invalid("MetricName is required"))?;
    let policy_type = i
        .enum_opt("PolicyType", POLICY_TYPES)?
        .unwrap_or("RuleBased");
    let mut wire = json!({"FleetId": fid, "FleetArn": farn, "Name": name, "Status": ScalingStatus::Active, "MetricName": metric, "PolicyType": policy_type, "Location": location});
    if policy_type == "TargetBased" {
        let t = i.obj_opt("TargetConfiguration")?.ok_or_else(|| {
            ApiError::invalid("TargetConfiguration is required for a TargetBased policy")
        })?;
        let v = t
            .f64_opt("TargetValue")?
            .ok_or_else(|| ApiError::invalid("TargetConfiguration.TargetValue is required"))?;
        wire["TargetConfiguration"] = json!({"TargetValue": v});
    } else {
        let adj = i.int_opt("ScalingAdjustment", i64::MIN)?.ok_or_else(|| {
            ApiError::invalid("ScalingAdjustment is required for a RuleBased policy")
        })?;
        let adj_type = i
            .enum_opt("ScalingAdjustmentType", SCALING_ADJ)?
            .ok_or_else(|| {
                ApiError::invalid("ScalingAdjustmentType is required for a RuleBased policy")
            })?;
        let cmp = i
            .enum_opt("ComparisonOperator", COMPARISON)?
            .ok_or_else(|| {
                ApiError::invalid("ComparisonOperator is required for a RuleBased policy")
            })?;
        let threshold = i
            .f64_opt("Threshold")?
            .ok_or_else(|| ApiError::invalid("Threshold is required for a RuleBased policy"))?;
        let periods = i.int_opt("EvaluationPeriods", 1)?.ok_or_else(|| {
            ApiError::invalid("EvaluationPeriods is required for a RuleBased policy")
        })?;
        for (k, v) in [
            ("ScalingAdjustment", json!(adj)),
            ("ScalingAdjustmentType", json!(adj_type)),
            ("ComparisonOperator", json!(cmp)),
            ("Threshold", json!(threshold)),
            ("EvaluationPeriods", json!(periods)),
        ] {
            wire[k] = v;
        }
    }
    s.scaling_policies
        .retain(|p| !(p.fleet_id == fid && p.name == name));
    s.scaling_policies.push(ScalingPolicy {
        fleet_id: fid,
        name: name.clone(),
        location,
        wire,
    });
    Ok(json!({"Name": name}))
}

pub fn describe_scaling_policies(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let f = fleet(s, i.str_req("FleetId")?)?;
    let status = i
        .enum_opt("StatusFilter", ScalingStatus::NAMES)?
        .and_then(ScalingStatus::from_wire);
    let loc = i.str_opt("Location")?;
    let items: Vec<&ScalingPolicy> = s
        .scaling_policies
        .iter()
        .filter(|p| {
            p.fleet_id == f.id
                && status.is_none_or(|st| st == ScalingStatus::Active)
                && loc.is_none_or(|l| l == p.location)
        })
        .collect();
    let (items, next) = page(&items, i, 50, usize::MAX)?;
    Ok(with_next(
        json!({"ScalingPolicies": items.iter().map(|p| p.wire.clone()).collect::<Vec<_>>()}),
        next,
    ))
}
