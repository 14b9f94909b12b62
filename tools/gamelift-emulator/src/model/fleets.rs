//! A fleet and its locations (home region first): each location walks GameLift's fleet
//! statuses on the clock and holds its own instance counts; the fleet keeps the event
//! log DescribeFleetEvents reads.

use crate::clock::SimMillis;
use crate::faults::ExtraActivation;
use crate::model::settings::Timing;
use crate::model::status::FleetStatus;
use serde::Serialize;
use serde_json::Value;

/// The statuses a new location walks through, one `timing.fleet_step_ms` each.
pub const FLEET_STEPS: [FleetStatus; 6] = [
    FleetStatus::New,
    FleetStatus::Downloading,
    FleetStatus::Validating,
    FleetStatus::Building,
    FleetStatus::Activating,
    FleetStatus::Active,
];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub name: String,
    pub status: FleetStatus,
    /// When the next lifecycle step happens (for ACTIVATING, before `extra_activation`).
    pub next_at: SimMillis,
    pub extra_activation: ExtraActivation,
    pub desired: i64,
    pub min: i64,
    pub max: i64,
    pub active: i64,
    /// When `active` reaches `desired`.
    pub instances_at: Option<SimMillis>,
    /// When the location's instances first became active.
    pub active_since: Option<SimMillis>,
    /// Suspended fleet actions (StopFleetActions): `AUTO_SCALING`.
    pub stopped_actions: Vec<String>,
}

/// One entry of a fleet's event log.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetEvent {
    pub id: String,
    /// GameLift's `EventCode`, e.g. `FLEET_STATE_ACTIVE`.
    pub code: String,
    pub message: String,
    pub time: SimMillis,
}

impl Location {
    pub fn new(name: &str, now: SimMillis, t: &Timing) -> Self {
        Self {
            name: name.to_string(),
            status: FleetStatus::New,
            next_at: now + t.fleet_step_ms,
            extra_activation: ExtraActivation::default(),
            desired: 1,
            min: 0,
            max: 1,
            active: 0,
            instances_at: None,
            active_since: None,
            stopped_actions: Vec::new(),
        }
    }

    /// Moves the lifecycle on to `now`; `extra_activation` lengthens ACTIVATING. Changing
    /// `extra_activation` while the location is ACTIVATING applies to it at once. Returns
    /// the statuses entered, with when.
    pub fn advance(&mut self, now: SimMillis, t: &Timing) -> Vec<(FleetStatus, SimMillis)> {
        let mut entered = Vec::new();
        while let Some(i) = FLEET_STEPS.iter().position(|s| *s == self.status) {
            if i + 1 >= FLEET_STEPS.len() {
                break;
            }
            let due = match (self.status, self.extra_activation) {
                (FleetStatus::Activating, ExtraActivation::Forever) => break,
                (FleetStatus::Activating, ExtraActivation::Millis(extra)) => {
                    self.next_at + extra.max(0)
                }
                _ => self.next_at,
            };
            if now < due {
                break;
            }
            self.status = FLEET_STEPS[i + 1];
            let at = due;
            entered.push((self.status, at));
            self.next_at = at + t.fleet_step_ms;
            if self.status == FleetStatus::Active {
                self.instances_at = Some(at);
            }
        }
        if self.status == FleetStatus::Active {
            if let Some(at) = self.instances_at {
                if now >= at {
                    self.active = self.desired;
                    self.instances_at = None;
                    if self.active > 0 && self.active_since.is_none() {
                        self.active_since = Some(at);
                    }
                }
            }
        }
        entered
    }

    pub fn set_capacity(&mut self, desired: i64, min: i64, max: i64, now: SimMillis, t: &Timing) {
        self.desired = desired;
        self.min = min;
        self.max = max;
        if self.status == FleetStatus::Active && self.active != desired {
            self.instances_at = Some(now + t.instance_change_ms);
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fleet {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub attributes: Value,
    pub runtime_configuration: Value,
    pub sessions_per_instance: i64,
    pub created: SimMillis,
    pub terminated: Option<SimMillis>,
    pub deleting_until: Option<SimMillis>,
    pub status: FleetStatus,
    pub locations: Vec<Location>,
    pub events: Vec<FleetEvent>,
}

impl Fleet {
    pub fn home(&self) -> Option<&Location> {
        self.locations.first()
    }
    pub fn location(&self, name: &str) -> Option<&Location> {
        self.locations.iter().find(|l| l.name == name)
    }
    pub fn location_mut(&mut self, name: &str) -> Option<&mut Location> {
        self.locations.iter_mut().find(|l| l.name == name)
    }
    pub fn is_gone(&self) -> bool {
        self.status.is_gone()
    }

    /// Appends an entry to the fleet's event log.
    pub fn record(&mut self, code: &str, message: String, time: SimMillis) {
        self.events.push(FleetEvent {
            id: format!("{}-{}", self.id, self.events.len() + 1),
            code: code.to_string(),
            message,
            time,
        });
    }

    /// Moves the fleet on to `now`: a deleted fleet ends TERMINATED; otherwise each
    /// location advances and the fleet's status is its home location's. Status changes
    /// go to the event log.
    pub fn advance(&mut self, now: SimMillis, t: &Timing) {
        if let Some(until) = self.deleting_until {
            if now >= until && self.status == FleetStatus::Deleting {
                self.status = FleetStatus::Terminated;
                self.terminated = Some(until);
                for l in &mut self.locations {
                    l.status = FleetStatus::Terminated;
                    l.active = 0;
                }
                self.record("FLEET_DELETED", format!("Fleet {} deleted", self.id), until);
            }
            return;
        }
        let mut entered = Vec::new();
        for (i, l) in self.locations.iter_mut().enumerate() {
            for (status, at) in l.advance(now, t) {
                entered.push((i == 0, l.name.clone(), status, at));
            }
        }
        for (home, location, status, at) in entered {
            let code = match (home, status) {
                (true, _) => format!("FLEET_STATE_{status}"),
                (false, FleetStatus::Activating | FleetStatus::Active | FleetStatus::Error) => {
                    format!("LOCATION_STATE_{status}")
                }
                (false, _) => continue,
            };
            let message = format!("Fleet {} changed status to {status} in {location}", self.id);
            self.record(&code, message, at);
        }
        self.status = self.home().map(|l| l.status).unwrap_or(FleetStatus::Error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_walks_every_fleet_status_in_order_then_reaches_desired_instances() {
        let t = Timing::default();
        let mut l = Location::new("us-east-1", 0, &t);
        let mut seen = vec![l.status];
        for k in 1..=6 {
            l.advance(k * t.fleet_step_ms, &t);
            seen.push(l.status);
        }
        assert_eq!(seen[..6], FLEET_STEPS);
        assert_eq!(l.active, 1);
    }

    #[test]
    fn extra_activation_time_keeps_a_location_activating_longer() {
        let t = Timing::default();
        let mut l = Location::new("x", 0, &t);
        l.extra_activation = ExtraActivation::Millis(30_000);
        l.advance(5 * t.fleet_step_ms + 29_999, &t);
        assert_eq!(l.status, FleetStatus::Activating);
        l.advance(5 * t.fleet_step_ms + 30_000, &t);
        assert_eq!(l.status, FleetStatus::Active);
    }

    #[test]
    fn a_location_activating_forever_stays_until_the_fault_is_lifted() {
        let t = Timing::default();
        let mut l = Location::new("x", 0, &t);
        l.extra_activation = ExtraActivation::Forever;
        l.advance(1_000_000_000, &t);
        assert_eq!(l.status, FleetStatus::Activating);
        assert_eq!(l.active, 0);
        l.extra_activation = ExtraActivation::Millis(0);
        l.advance(1_000_000_000, &t);
        assert_eq!(l.status, FleetStatus::Active);
        assert_eq!(l.active, 1);
    }

    #[test]
    fn a_capacity_change_takes_effect_after_the_instance_change_time() {
        let t = Timing::default();
        let mut l = Location::new("x", 0, &t);
        l.advance(60_000, &t);
        l.set_capacity(3, 0, 5, 60_000, &t);
        l.advance(60_000 + t.instance_change_ms - 1, &t);
        assert_eq!(l.active, 1);
        l.advance(60_000 + t.instance_change_ms, &t);
        assert_eq!(l.active, 3);
    }
}
