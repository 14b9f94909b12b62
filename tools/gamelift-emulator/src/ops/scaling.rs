//! Scaling policies: PutScalingPolicy, DescribeScalingPolicies, DeleteScalingPolicy.
//! Policies are kept and described; the emulator does not scale fleets by them.

use crate::error::{ApiError, ApiResult};
use crate::model::{ScalingPolicy, ScalingStatus, State};
use crate::ops::fleets::fleet;
use crate::ops::members::with_next;
use crate::paging::page;
use crate::wire::Input;
use serde_json::{json, Value};

pub fn put_scaling_policy(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?.to_string();
    let f = fleet(s, i.str_req("FleetId")?)?;
    let (fid, farn) = (f.id.clone(), f.arn.clone());
    let location = f.home().map(|l| l.name.clone()).unwrap_or_default();
    let metric = i.str_req("MetricName")?;
    let policy_type = i.str_opt("PolicyType")?.unwrap_or("RuleBased");
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
        for k in [
            "ScalingAdjustment",
            "ScalingAdjustmentType",
            "ComparisonOperator",
            "Threshold",
            "EvaluationPeriods",
        ] {
            let v = i.present(k).ok_or_else(|| {
                ApiError::invalid(format!("{k} is required for a RuleBased policy"))
            })?;
            wire[k] = v.clone();
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
    let status = i.parsed("StatusFilter", ScalingStatus::from_wire)?;
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

pub fn delete_scaling_policy(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_req("Name")?;
    let fid = fleet(s, i.str_req("FleetId")?)?.id.clone();
    let before = s.scaling_policies.len();
    s.scaling_policies
        .retain(|p| !(p.fleet_id == fid && p.name == name));
    if s.scaling_policies.len() == before {
        return Err(ApiError::not_found(format!(
            "fleet {fid} has no scaling policy {name}"
        )));
    }
    Ok(json!({}))
}
