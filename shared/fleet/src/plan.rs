//! The plan a dry run prints and every run records: what the replacement will do. Pure.

use serde::{Deserialize, Serialize};

use crate::request::{BuildSource, Config};
use crate::start::Start;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub replacement_id: String,
    pub alias_id: String,
    pub old_fleet_id: String,
    pub start: Start,
    pub steps: Vec<String>,
}

pub fn plan(config: &Config, start: &Start) -> Plan {
    let old = start.old_fleet_id();
    let mut steps = Vec::new();
    let after_swap = matches!(start, Start::ResumeAfterSwap { .. });
    if !after_swap {
        steps.push(match &config.build {
            BuildSource::Existing { build_id } => format!("use build {build_id} (wait until READY)"),
            BuildSource::Upload(u) => format!(
                "create build {} {} from s3://{}/{} (or reuse the one an earlier run created) and wait until READY",
                u.name, u.version, u.storage_location.bucket, u.storage_location.key
            ),
        });
        let locations: Vec<&str> = config
            .fleet
            .locations
            .iter()
            .map(|l| l.location.as_str())
            .collect();
        steps.push(match start.new_fleet_id() {
            Some(id) => format!("continue with fleet {id} created by an earlier run"),
            None => format!(
                "create fleet {} ({}{}) on the new build{}",
                config.fleet.name,
                config.fleet.ec2_instance_type,
                if locations.is_empty() {
                    String::new()
                } else {
                    format!(", remote locations {}", locations.join(", "))
                },
                match &config.fleet.replaced_build_id {
                    Some(id) => format!(" (the fleet JSON's BuildId {id:?} is replaced by it)"),
                    None => String::new(),
                }
            ),
        });
        steps.push(format!(
            "wait until the fleet and every location are ACTIVE (at most {}s)",
            config.timeouts.fleet
        ));
        steps.push(match &config.capacity {
            Some(c) => format!(
                "copy the scaling policies and suspended actions of {old}; set capacity {}",
                c.iter()
                    .map(|(l, t)| format!("{l}={}/{}/{}", t.desired, t.min, t.max))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            None => format!(
                "match capacity, scaling policies and suspended actions of {old} per location"
            ),
        });
        steps.push(format!(
            "wait for the instances (at most {}s)",
            config.timeouts.capacity
        ));
        steps.push(
            "smoke test: place a game session on the new fleet, see it ACTIVE, end it".to_string(),
        );
        steps.push(format!("point alias {} at the new fleet", config.alias_id));
    }
    steps.push(format!(
        "drain {old}: wait until no ACTIVE or ACTIVATING game session (at most {}s), then scale it to zero",
        config.timeouts.drain
    ));
    steps.push(if config.keep_old_fleet {
        format!("keep {old} (scaled to zero)")
    } else {
        format!("delete {old} (refused if any alias routes to it)")
    });
    Plan {
        replacement_id: config.replacement_id.clone(),
        alias_id: config.alias_id.clone(),
        old_fleet_id: old.to_string(),
        start: start.clone(),
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{validate_request, ReplacementRequest};

    fn config(keep: bool) -> Config {
        let req = ReplacementRequest {
            alias_id: "alias-1".into(),
            build: serde_json::json!({"BuildId": "build-1"}),
            fleet: serde_json::json!({"Name": "arena", "EC2InstanceType": "c5.large",
                "RuntimeConfiguration": {"ServerProcesses": [{"LaunchPath": "/s", "ConcurrentExecutions": 1}]}}),
            keep_old_fleet: keep,
            ..Default::default()
        };
        validate_request(&req, "us-east-1").unwrap()
    }

    #[test]
    fn a_fresh_plan_lists_every_stage_in_order() {
        let p = plan(
            &config(false),
            &Start::Fresh {
                old_fleet_id: "fleet-old".into(),
            },
        );
        assert_eq!(p.steps.len(), 9);
        assert!(p.steps[0].contains("build-1"));
        assert!(p.steps[3].contains("match capacity"));
        assert!(p.steps[6].contains("alias-1"));
        assert!(p.steps[8].starts_with("delete fleet-old"));
    }

    #[test]
    fn a_resume_after_the_swap_plans_only_drain_and_delete_and_keep_is_honoured() {
        let start = Start::ResumeAfterSwap {
            old_fleet_id: "fleet-old".into(),
            new_fleet_id: "fleet-new".into(),
        };
        let p = plan(&config(true), &start);
        assert_eq!(p.steps.len(), 2);
        assert!(p.steps[1].starts_with("keep fleet-old"));
    }
}
