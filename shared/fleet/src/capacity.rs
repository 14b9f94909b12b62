//! Capacity matching: which desired/min/max each location of the new fleet gets, and
//! whether the instances are there. Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::request::CapacityTarget;

/// GameLift's instance counts of one fleet location (EC2InstanceCounts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub desired: i32,
    pub min: i32,
    pub max: i32,
    pub active: i32,
    pub pending: i32,
}

/// Targets per location of the new fleet.
///
/// With `explicit` targets those are used as given (validated against the fleet's
/// locations beforehand). Otherwise every location the new fleet shares with the old
/// one gets the old one's desired/min/max; a location the old fleet lacks keeps
/// GameLift's default and is not listed. The smoke test needs one instance, so when all
/// targets would be zero the home location gets desired 1 (max raised to 1 if needed).
pub fn targets(
    old: &BTreeMap<String, Counts>,
    new_locations: &[String],
    explicit: Option<&BTreeMap<String, CapacityTarget>>,
    home: &str,
) -> BTreeMap<String, CapacityTarget> {
    let mut out: BTreeMap<String, CapacityTarget> = match explicit {
        Some(explicit) => explicit.clone(),
        None => new_locations
            .iter()
            .filter_map(|l| {
                old.get(l).map(|c| {
                    (
                        l.clone(),
                        CapacityTarget {
                            desired: c.desired,
                            min: c.min,
                            max: c.max,
                        },
                    )
                })
            })
            .collect(),
    };
    if out.values().all(|t| t.desired == 0) {
        let home_target = out.entry(home.to_string()).or_insert(CapacityTarget {
            desired: 0,
            min: 0,
            max: 0,
        });
        home_target.desired = 1;
        home_target.max = home_target.max.max(1);
    }
    out
}

/// Locations whose active instances are still below the target, as `"loc 1/3"`.
pub fn shortfall(
    targets: &BTreeMap<String, CapacityTarget>,
    now: &BTreeMap<String, Counts>,
) -> Vec<String> {
    targets
        .iter()
        .filter_map(|(location, target)| {
            let active = now.get(location).map(|c| c.active).unwrap_or(0);
            (active < target.desired)
                .then(|| format!("{location} {active}/{} active", target.desired))
        })
        .collect()
}

/// Scale-to-zero targets for every location of a drained fleet.
pub fn zero(locations: &[String]) -> BTreeMap<String, CapacityTarget> {
    locations
        .iter()
        .map(|l| {
            (
                l.clone(),
                CapacityTarget {
                    desired: 0,
                    min: 0,
                    max: 0,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(desired: i32, min: i32, max: i32, active: i32) -> Counts {
        Counts {
            desired,
            min,
            max,
            active,
            pending: 0,
        }
    }

    #[test]
    fn shared_locations_copy_the_old_fleets_desired_min_max() {
        let old = BTreeMap::from([
            ("us-east-1".to_string(), counts(4, 2, 10, 4)),
            ("eu-west-1".to_string(), counts(2, 1, 5, 2)),
            ("ap-south-1".to_string(), counts(3, 3, 3, 3)),
        ]);
        let new = vec![
            "us-east-1".to_string(),
            "eu-west-1".to_string(),
            "sa-east-1".to_string(),
        ];
        let t = targets(&old, &new, None, "us-east-1");
        assert_eq!(t.len(), 2, "only shared locations: {t:?}");
        assert_eq!(
            t["us-east-1"],
            CapacityTarget {
                desired: 4,
                min: 2,
                max: 10
            }
        );
        assert_eq!(
            t["eu-west-1"],
            CapacityTarget {
                desired: 2,
                min: 1,
                max: 5
            }
        );
    }

    #[test]
    fn explicit_targets_win_over_the_old_fleet() {
        let old = BTreeMap::from([("us-east-1".to_string(), counts(4, 2, 10, 4))]);
        let explicit = BTreeMap::from([(
            "us-east-1".to_string(),
            CapacityTarget {
                desired: 1,
                min: 1,
                max: 2,
            },
        )]);
        let t = targets(
            &old,
            &["us-east-1".to_string()],
            Some(&explicit),
            "us-east-1",
        );
        assert_eq!(t, explicit);
    }

    #[test]
    fn an_old_fleet_at_zero_still_gets_one_instance_for_the_smoke_test() {
        let old = BTreeMap::from([("us-east-1".to_string(), counts(0, 0, 0, 0))]);
        let t = targets(&old, &["us-east-1".to_string()], None, "us-east-1");
        assert_eq!(
            t["us-east-1"],
            CapacityTarget {
                desired: 1,
                min: 0,
                max: 1
            }
        );
    }

    #[test]
    fn capacity_is_ready_only_when_every_location_has_its_desired_active_instances() {
        let t = BTreeMap::from([
            (
                "us-east-1".to_string(),
                CapacityTarget {
                    desired: 2,
                    min: 1,
                    max: 4,
                },
            ),
            (
                "eu-west-1".to_string(),
                CapacityTarget {
                    desired: 1,
                    min: 1,
                    max: 1,
                },
            ),
        ]);
        let mut now = BTreeMap::from([("us-east-1".to_string(), counts(2, 1, 4, 1))]);
        assert_eq!(
            shortfall(&t, &now),
            vec!["eu-west-1 0/1 active", "us-east-1 1/2 active"]
        );
        now.insert("us-east-1".into(), counts(2, 1, 4, 2));
        now.insert("eu-west-1".into(), counts(1, 1, 1, 1));
        assert!(shortfall(&t, &now).is_empty());
    }

    #[test]
    fn zero_scales_every_location_down() {
        let z = zero(&["a".to_string(), "b".to_string()]);
        assert!(z.values().all(|t| *t
            == CapacityTarget {
                desired: 0,
                min: 0,
                max: 0
            }));
        assert_eq!(z.len(), 2);
    }
}
