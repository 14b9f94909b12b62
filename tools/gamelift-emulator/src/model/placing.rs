//! Queue placement: where a queue's destinations have room, in the order GameLift
//! documents (lowest average player latency, cost, destination order, location — or the
//! queue's PriorityConfiguration), within the queue's PlayerLatencyPolicies; then a game
//! session started there, and the placement FULFILLED once that game session is ACTIVE
//! and its player sessions exist. Each ending queues its event.

use crate::clock::SimMillis;
use crate::events::{self, Fulfilled, PlacementEventType, PlacementOutcome};
use crate::faults::{EventFaults, Faults};
use crate::model::queues::Queue;
use crate::model::settings::{Identity, ServerSettings, Timing};
use crate::model::state::{Effect, State};
use crate::model::status::{GameSessionStatus, PlacementStatus};
use serde_json::Value;
use std::cmp::Ordering;

/// One fleet location a placement could go to.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub fleet_idx: usize,
    pub location: String,
    /// Position of its destination in the queue.
    pub destination: usize,
    /// Average and highest latency the players report for the location.
    pub latency: Option<(f64, f64)>,
}

/// The criteria of a queue's priority order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Priority {
    Latency,
    Cost,
    Destination,
    Location,
}

const DEFAULT_PRIORITY: [Priority; 4] = [
    Priority::Latency,
    Priority::Cost,
    Priority::Destination,
    Priority::Location,
];

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The queue's priority order: its PriorityOrder, then the missing criteria in the
/// default order.
fn priority_order(queue: &Queue) -> Vec<Priority> {
    let config = queue.extra.get("PriorityConfiguration");
    let mut order: Vec<Priority> = strings(config.and_then(|c| c.get("PriorityOrder")))
        .into_iter()
        .filter_map(|p| match p {
            "LATENCY" => Some(Priority::Latency),
            "COST" => Some(Priority::Cost),
            "DESTINATION" => Some(Priority::Destination),
            "LOCATION" => Some(Priority::Location),
            _ => None,
        })
        .collect();
    for p in DEFAULT_PRIORITY {
        if !order.contains(&p) {
            order.push(p);
        }
    }
    order
}

/// The latency cap in force `elapsed_ms` into a placement: policies apply from the
/// lowest cap up, each for its PolicyDurationSeconds, one without a duration until the
/// queue times out; after the last timed policy there is no cap.
pub fn latency_cap(policies: &Value, elapsed_ms: i64) -> Option<f64> {
    let mut list: Vec<(f64, Option<i64>)> = policies
        .as_array()?
        .iter()
        .filter_map(|p| {
            let cap = p
                .get("MaximumIndividualPlayerLatencyMilliseconds")?
                .as_f64()?;
            let secs = p.get("PolicyDurationSeconds").and_then(Value::as_i64);
            Some((cap, secs))
        })
        .collect();
    list.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal));
    let mut until = 0i64;
    for (cap, secs) in list {
        match secs {
            None => return Some(cap),
            Some(s) => {
                until = until.saturating_add(s.saturating_mul(1000));
                if elapsed_ms < until {
                    return Some(cap);
                }
            }
        }
    }
    None
}

/// Average and highest latency of the players for `location`, if any reported one.
fn latency_for(latencies: &Value, location: &str) -> Option<(f64, f64)> {
    let values: Vec<f64> = latencies
        .as_array()?
        .iter()
        .filter(|l| l.get("RegionIdentifier").and_then(Value::as_str) == Some(location))
        .filter_map(|l| l.get("LatencyInMilliseconds").and_then(Value::as_f64))
        .collect();
    if values.is_empty() {
        return None;
    }
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    Some((values.iter().sum::<f64>() / values.len() as f64, max))
}

impl State {
    /// Every fleet location of the queue's destinations (unknown destinations and
    /// TERMINAL aliases skipped, FilterConfiguration.AllowedLocations applied), best
    /// first, without those a latency cap rules out.
    pub fn candidates(&self, queue: &Queue, latencies: &Value, cap: Option<f64>) -> Vec<Candidate> {
        let allowed = queue
            .extra
            .get("FilterConfiguration")
            .and_then(|f| f.get("AllowedLocations"))
            .map(|a| strings(Some(a)));
        let mut out = Vec::new();
        for (destination, dest) in queue.destinations.iter().enumerate() {
            let fleet_id = if dest.contains(":alias/") {
                match self
                    .aliases
                    .iter()
                    .find(|a| &a.arn == dest)
                    .and_then(|a| a.routed_fleet())
                {
                    Some(f) => f.to_string(),
                    None => continue,
                }
            } else {
                dest.clone()
            };
            let Some(fleet_idx) = self.fleet_index(&fleet_id) else {
                continue;
            };
            for loc in &self.fleets[fleet_idx].locations {
                if allowed
                    .as_ref()
                    .is_some_and(|a| !a.contains(&loc.name.as_str()))
                {
                    continue;
                }
                let latency = latency_for(latencies, &loc.name);
                if let (Some(cap), Some((_, max))) = (cap, latency) {
                    if max > cap {
                        continue;
                    }
                }
                out.push(Candidate {
                    fleet_idx,
                    location: loc.name.clone(),
                    destination,
                    latency,
                });
            }
        }
        let order = priority_order(queue);
        let location_order = strings(
            queue
                .extra
                .get("PriorityConfiguration")
                .and_then(|c| c.get("LocationOrder")),
        );
        let location_rank = |l: &str| {
            location_order
                .iter()
                .position(|x| *x == l)
                .unwrap_or(usize::MAX)
        };
        out.sort_by(|a, b| {
            for p in &order {
                let o = match p {
                    Priority::Latency => match (a.latency, b.latency) {
                        (Some(x), Some(y)) => x.0.partial_cmp(&y.0).unwrap_or(Ordering::Equal),
                        (Some(_), None) => Ordering::Less,
                        (None, Some(_)) => Ordering::Greater,
                        (None, None) => Ordering::Equal,
                    },
                    // The emulator has no prices: every destination costs the same.
                    Priority::Cost => Ordering::Equal,
                    Priority::Destination => a.destination.cmp(&b.destination),
                    // The queue's LocationOrder, or alphabetical without one.
                    Priority::Location if location_order.is_empty() => a.location.cmp(&b.location),
                    Priority::Location => {
                        location_rank(&a.location).cmp(&location_rank(&b.location))
                    }
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.location.cmp(&b.location)
        });
        out
    }

    /// The best candidate with a free game-session slot.
    pub fn find_capacity(
        &self,
        queue: &Queue,
        latencies: &Value,
        cap: Option<f64>,
    ) -> Option<(usize, String)> {
        self.candidates(queue, latencies, cap)
            .into_iter()
            .find(|c| self.free_slots(&self.fleets[c.fleet_idx], &c.location) > 0)
            .map(|c| (c.fleet_idx, c.location))
    }

    pub(crate) fn tick_placements(
        &mut self,
        now: SimMillis,
        t: &Timing,
        settings: &ServerSettings,
        faults: &mut Faults,
        who: &Identity,
        effects: &mut Vec<Effect>,
    ) {
        for i in 0..self.placements.len() {
            let p = &self.placements[i];
            if p.status != PlacementStatus::Pending || now < p.start + t.placement_delay_ms {
                continue;
            }
            let Some(queue) = self.queues.iter().find(|q| q.name == p.queue_name).cloned() else {
                continue;
            };
            let timed_out = now >= p.start + queue.timeout_seconds * 1000;
            match p.game_session_id.clone() {
                Some(gs_id) => {
                    self.tick_starting(i, &gs_id, timed_out, &queue, now, faults, who, effects)
                }
                None if timed_out => self.end_placement(
                    i,
                    PlacementStatus::TimedOut,
                    &queue,
                    now,
                    &faults.events,
                    who,
                ),
                None if faults.take_placement_failure(&queue.name) => {
                    self.end_placement(i, PlacementStatus::Failed, &queue, now, &faults.events, who)
                }
                None => {
                    let cap = queue
                        .extra
                        .get("PlayerLatencyPolicies")
                        .filter(|_| !p.player_latencies.as_array().is_none_or(Vec::is_empty))
                        .and_then(|policies| latency_cap(policies, now - p.start));
                    let latencies = p.player_latencies.clone();
                    if let Some((fleet_idx, location)) = self.find_capacity(&queue, &latencies, cap)
                    {
                        let p = self.placements[i].clone();
                        let never = faults.never_activates(&self.fleets[fleet_idx].id);
                        let gs_idx = self.open_game_session(
                            fleet_idx,
                            &location,
                            None,
                            p.maximum_player_session_count,
                            p.game_session_name.clone(),
                            p.game_properties.clone(),
                            p.game_session_data.clone(),
                            now,
                            t,
                            settings,
                        );
                        self.game_sessions[gs_idx].never_activates = never;
                        self.placements[i].game_session_id =
                            Some(self.game_sessions[gs_idx].id.clone());
                        self.placements[i].location = Some(location);
                        // An activation within this tick fulfils it at once.
                        if self.game_sessions[gs_idx].status == GameSessionStatus::Active {
                            let gs_id = self.game_sessions[gs_idx].id.clone();
                            self.tick_starting(i, &gs_id, false, &queue, now, faults, who, effects);
                        }
                    }
                }
            }
        }
    }

    /// A placement whose game session is starting: FULFILLED with its player sessions
    /// once the session is ACTIVE, FAILED if the session ended first, TIMED_OUT (and the
    /// session stopped) when the queue's time runs out first.
    #[allow(clippy::too_many_arguments)]
    fn tick_starting(
        &mut self,
        i: usize,
        gs_id: &str,
        timed_out: bool,
        queue: &Queue,
        now: SimMillis,
        faults: &Faults,
        who: &Identity,
        effects: &mut Vec<Effect>,
    ) {
        let Some(gs_idx) = self.game_sessions.iter().position(|g| g.id == gs_id) else {
            self.end_placement(i, PlacementStatus::Failed, queue, now, &faults.events, who);
            return;
        };
        match self.game_sessions[gs_idx].status {
            GameSessionStatus::Active => {
                let desired = self.placements[i].desired.clone();
                let mut placed = Vec::new();
                for (player, data) in desired {
                    let ps = self.add_player_session(gs_idx, &player, data, now);
                    placed.push((player, self.player_sessions[ps].id.clone()));
                }
                let gs = &self.game_sessions[gs_idx];
                let pl = &mut self.placements[i];
                pl.ip = Some(gs.ip.clone());
                pl.dns = Some(gs.dns.clone());
                pl.port = Some(gs.port);
                pl.placed = placed;
                self.end_placement(
                    i,
                    PlacementStatus::Fulfilled,
                    queue,
                    now,
                    &faults.events,
                    who,
                );
            }
            GameSessionStatus::Activating if timed_out => {
                self.end_game_session(gs_idx, now, effects);
                self.end_placement(
                    i,
                    PlacementStatus::TimedOut,
                    queue,
                    now,
                    &faults.events,
                    who,
                );
            }
            GameSessionStatus::Activating => {}
            GameSessionStatus::Terminating
            | GameSessionStatus::Terminated
            | GameSessionStatus::Error => {
                self.end_placement(i, PlacementStatus::Failed, queue, now, &faults.events, who);
            }
        }
    }

    /// Ends placement `i` with `status` and queues its event. A placement that did not
    /// fulfil keeps no game session.
    pub fn end_placement(
        &mut self,
        i: usize,
        status: PlacementStatus,
        queue: &Queue,
        now: SimMillis,
        faults: &EventFaults,
        who: &Identity,
    ) {
        let kind = match status {
            PlacementStatus::Fulfilled => PlacementEventType::Fulfilled,
            PlacementStatus::Cancelled => PlacementEventType::Cancelled,
            PlacementStatus::TimedOut => PlacementEventType::TimedOut,
            PlacementStatus::Failed => PlacementEventType::Failed,
            PlacementStatus::Pending => return,
        };
        let pl = &mut self.placements[i];
        pl.status = status;
        pl.end = Some(now);
        if status != PlacementStatus::Fulfilled {
            pl.game_session_id = None;
            pl.location = None;
        }
        self.emit(i, kind, queue, now, faults, who);
    }

    /// Queues the placement event of placement `i` for publishing.
    pub fn emit(
        &mut self,
        i: usize,
        kind: PlacementEventType,
        queue: &Queue,
        now: SimMillis,
        faults: &EventFaults,
        who: &Identity,
    ) {
        let p = &self.placements[i];
        let fulfilled = match (&p.game_session_id, &p.ip, &p.dns, p.port, &p.location) {
            (Some(gs), Some(ip), Some(dns), Some(port), Some(loc))
                if kind == PlacementEventType::Fulfilled =>
            {
                Some(Fulfilled {
                    game_session_arn: gs,
                    ip_address: ip,
                    dns_name: dns,
                    port,
                    game_session_region: loc,
                    placed: &p.placed,
                })
            }
            _ => None,
        };
        let outcome = PlacementOutcome {
            kind,
            placement_id: &p.id,
            start: p.start,
            end: p.end.unwrap_or(now),
            custom_event_data: queue.custom_event_data.as_deref(),
            fulfilled,
        };
        let event = events::placement_event(
            &uuid::Uuid::new_v4().to_string(),
            now,
            &who.account_id,
            &who.region,
            &queue.arn,
            &outcome,
        );
        self.outbox
            .push(queue.notification_target.clone(), event, now, faults);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn latency_policies_apply_from_the_lowest_cap_each_for_its_duration() {
        let p = json!([
            {"MaximumIndividualPlayerLatencyMilliseconds": 200},
            {"MaximumIndividualPlayerLatencyMilliseconds": 50, "PolicyDurationSeconds": 120},
            {"MaximumIndividualPlayerLatencyMilliseconds": 100, "PolicyDurationSeconds": 120}
        ]);
        assert_eq!(latency_cap(&p, 0), Some(50.0));
        assert_eq!(latency_cap(&p, 119_999), Some(50.0));
        assert_eq!(latency_cap(&p, 120_000), Some(100.0));
        assert_eq!(latency_cap(&p, 240_000), Some(200.0));
        assert_eq!(latency_cap(&p, 10_000_000), Some(200.0));
        let timed = json!([{"MaximumIndividualPlayerLatencyMilliseconds": 50, "PolicyDurationSeconds": 10}]);
        assert_eq!(
            latency_cap(&timed, 10_000),
            None,
            "no cap after the last timed policy"
        );
    }
}
