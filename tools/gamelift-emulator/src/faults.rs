//! Fault injection settings, changed through the admin interface and read by the
//! operations (call faults), the model (activation, placement) and the event outbox.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Extra time a fleet location spends in ACTIVATING (the slow-activation fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExtraActivation {
    /// This many simulated milliseconds longer than `timing.fleet_step_ms`.
    Millis(i64),
    /// The location never leaves ACTIVATING (until the fault is changed).
    Forever,
}

impl Default for ExtraActivation {
    fn default() -> Self {
        Self::Millis(0)
    }
}

/// Wildcard name (of an operation, location, queue or fleet): the setting applies to all.
pub const ANY_OPERATION: &str = "*";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Faults {
    /// Fraction (0..=1) of calls answered with ThrottlingException, per operation or "*".
    pub throttle: BTreeMap<String, f64>,
    /// The next N calls of an operation (or "*") fail with InternalServiceException.
    pub fail_next: BTreeMap<String, u32>,
    /// Extra time in ACTIVATING for fleets created from now on, per location name or
    /// "*" (every location without its own entry).
    pub slow_activation: BTreeMap<String, ExtraActivation>,
    /// Placement event delivery faults.
    pub events: EventFaults,
    /// The next N placements of a queue (or "*") fail (FAILED, PlacementFailed).
    #[serde(default)]
    pub placement_failures: BTreeMap<String, u32>,
    /// Game sessions started on these fleets (or "*") from now on never activate: they
    /// stay ACTIVATING until the fleet's GameSessionActivationTimeoutSeconds ends them.
    #[serde(default)]
    pub never_activate: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EventFaults {
    /// Extra copies of every placement event (1 = each event is published twice).
    #[serde(default)]
    pub duplicate: u32,
    /// Simulated milliseconds every placement event is held back before publishing.
    #[serde(default)]
    pub delay_ms: i64,
    /// Events are held until this many are waiting and then published newest first.
    #[serde(default)]
    pub reorder_window: u32,
}

impl Faults {
    /// The slow-activation fault a new fleet's location starts with.
    pub fn activation_for(&self, location: &str) -> ExtraActivation {
        self.slow_activation
            .get(location)
            .or_else(|| self.slow_activation.get(ANY_OPERATION))
            .copied()
            .unwrap_or_default()
    }

    /// Takes one injected placement failure for `queue`, if any is left.
    pub fn take_placement_failure(&mut self, queue: &str) -> bool {
        for key in [queue, ANY_OPERATION] {
            if let Some(n) = self.placement_failures.get_mut(key) {
                if *n > 0 {
                    *n -= 1;
                    return true;
                }
            }
        }
        false
    }

    /// Whether game sessions started on `fleet_id` now never activate.
    pub fn never_activates(&self, fleet_id: &str) -> bool {
        self.never_activate.contains(fleet_id) || self.never_activate.contains(ANY_OPERATION)
    }

    /// Decides whether this call fails because of an injected fault. `roll` is a uniform
    /// random number in [0, 1).
    pub fn check(&mut self, operation: &str, roll: f64) -> Result<(), ApiError> {
        for key in [operation, ANY_OPERATION] {
            if let Some(n) = self.fail_next.get_mut(key) {
                if *n > 0 {
                    *n -= 1;
                    return Err(ApiError::internal(format!(
                        "injected internal failure of {operation}"
                    )));
                }
            }
        }
        let fraction = self
            .throttle
            .get(operation)
            .or_else(|| self.throttle.get(ANY_OPERATION))
            .copied()
            .unwrap_or(0.0);
        if roll < fraction {
            return Err(ApiError::throttling(format!(
                "Rate exceeded for {operation}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_next_fails_exactly_n_calls_of_that_operation() {
        let mut f = Faults::default();
        f.fail_next.insert("DescribeBuild".into(), 2);
        assert_eq!(f.check("ListBuilds", 0.5), Ok(()));
        assert_eq!(
            f.check("DescribeBuild", 0.5).unwrap_err().code,
            "InternalServiceException"
        );
        assert!(f.check("DescribeBuild", 0.5).is_err());
        assert_eq!(f.check("DescribeBuild", 0.5), Ok(()));
    }

    #[test]
    fn throttle_fraction_compares_against_the_roll_and_falls_back_to_wildcard() {
        let mut f = Faults::default();
        f.throttle.insert(ANY_OPERATION.into(), 0.25);
        f.throttle.insert("ListBuilds".into(), 1.0);
        assert_eq!(
            f.check("ListBuilds", 0.99).unwrap_err().code,
            "ThrottlingException"
        );
        assert!(f.check("DescribeBuild", 0.2).is_err());
        assert!(f.check("DescribeBuild", 0.3).is_ok());
    }
}
