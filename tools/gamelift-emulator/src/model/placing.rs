//! Queue placement: finding a free game-session slot across a queue's destinations,
//! fulfilling or timing out pending placements, and queueing their events.

use crate::clock::SimMillis;
use crate::events::{self, Fulfilled, PlacementOutcome};
use crate::faults::{EventFaults, Faults};
use crate::model::queues::Queue;
use crate::model::settings::{Identity, ServerSettings, Timing};
use crate::model::state::State;
use crate::model::status::PlacementStatus;
use serde_json::Value;

impl State {
    pub(crate) fn tick_placements(
        &mut self,
        now: SimMillis,
        t: &Timing,
        settings: &ServerSettings,
        faults: &Faults,
        who: &Identity,
    ) {
        for i in 0..self.placements.len() {
            let p = &self.placements[i];
            if p.status != PlacementStatus::Pending || now < p.start + t.placement_delay_ms {
                continue;
            }
            let Some(queue) = self.queues.iter().find(|q| q.name == p.queue_name).cloned() else {
                continue;
            };
            match self.find_capacity(&queue) {
                Some((fleet_idx, location)) => {
                    let p = self.placements[i].clone();
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
                    let mut placed = Vec::new();
                    for (player, data) in &p.desired {
                        let ps = self.add_player_session(gs_idx, player, data.clone(), now);
                        placed.push((player.clone(), self.player_sessions[ps].id.clone()));
                    }
                    let gs = &self.game_sessions[gs_idx];
                    let pl = &mut self.placements[i];
                    pl.status = PlacementStatus::Fulfilled;
                    pl.end = Some(now);
                    pl.game_session_id = Some(gs.id.clone());
                    pl.location = Some(location.clone());
                    pl.ip = Some(gs.ip.clone());
                    pl.dns = Some(gs.dns.clone());
                    pl.port = Some(gs.port);
                    pl.placed = placed;
                    self.emit(i, "PlacementFulfilled", &queue, now, &faults.events, who);
                }
                None if now >= p.start + queue.timeout_seconds * 1000 => {
                    let pl = &mut self.placements[i];
                    pl.status = PlacementStatus::TimedOut;
                    pl.end = Some(now);
                    self.emit(i, "PlacementTimedOut", &queue, now, &faults.events, who);
                }
                None => {}
            }
        }
    }

    /// The first destination (in queue order) with a free game-session slot, and where.
    pub fn find_capacity(&self, queue: &Queue) -> Option<(usize, String)> {
        let allowed: Option<Vec<&str>> = queue
            .extra
            .get("FilterConfiguration")
            .and_then(|f| f.get("AllowedLocations"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect());
        for dest in &queue.destinations {
            let fleet_id = if dest.contains(":alias/") {
                let alias = self.aliases.iter().find(|a| &a.arn == dest)?;
                match alias.routed_fleet() {
                    Some(f) => f.to_string(),
                    None => continue,
                }
            } else {
                dest.clone()
            };
            let Some(idx) = self.fleet_index(&fleet_id) else {
                continue;
            };
            let fleet = &self.fleets[idx];
            for loc in &fleet.locations {
                if allowed
                    .as_ref()
                    .is_some_and(|a| !a.contains(&loc.name.as_str()))
                {
                    continue;
                }
                if self.free_slots(fleet, &loc.name) > 0 {
                    return Some((idx, loc.name.clone()));
                }
            }
        }
        None
    }

    /// Queues the placement event of placement `i` for publishing.
    pub fn emit(
        &mut self,
        i: usize,
        kind: &'static str,
        queue: &Queue,
        now: SimMillis,
        faults: &EventFaults,
        who: &Identity,
    ) {
        let p = &self.placements[i];
        let fulfilled = match (&p.game_session_id, &p.ip, &p.dns, p.port, &p.location) {
            (Some(gs), Some(ip), Some(dns), Some(port), Some(loc))
                if kind == "PlacementFulfilled" =>
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
