//! The clock-driven lifecycles: [`State::tick`] moves builds, fleets, game sessions,
//! player sessions and placements on to the current simulated time.

use crate::clock::SimMillis;
use crate::faults::Faults;
use crate::model::settings::{Identity, ServerSettings, Timing};
use crate::model::state::{Effect, State};
use crate::model::status::{FleetStatus, GameSessionStatus, PlayerSessionStatus};
use std::collections::HashMap;

impl State {
    /// Moves every lifecycle on to `now`.
    pub fn tick(
        &mut self,
        now: SimMillis,
        t: &Timing,
        settings: &ServerSettings,
        faults: &mut Faults,
        who: &Identity,
    ) -> Vec<Effect> {
        let mut effects = std::mem::take(&mut self.pending_effects);
        for b in &mut self.builds {
            b.advance(now);
        }
        let mut ended_fleets = Vec::new();
        for f in &mut self.fleets {
            f.advance(now, t);
            if f.status == FleetStatus::Error {
                ended_fleets.push(f.id.clone());
            }
        }
        self.tick_game_sessions(now, &ended_fleets, &mut effects);
        self.tick_player_sessions(now, t, settings, &mut effects);
        self.tick_placements(now, t, settings, faults, who, &mut effects);
        effects
    }

    fn tick_game_sessions(
        &mut self,
        now: SimMillis,
        ended_fleets: &[String],
        effects: &mut Vec<Effect>,
    ) {
        for i in 0..self.game_sessions.len() {
            let gs = &self.game_sessions[i];
            if !gs.occupies_capacity() {
                continue;
            }
            let fleet_broken = ended_fleets.contains(&gs.fleet_id)
                || self
                    .fleets
                    .iter()
                    .find(|f| f.id == gs.fleet_id)
                    .and_then(|f| f.location(&gs.location))
                    .map(|l| l.status == FleetStatus::Error)
                    .unwrap_or(false);
            match gs.status {
                GameSessionStatus::Activating | GameSessionStatus::Active if fleet_broken => {
                    let gs = &mut self.game_sessions[i];
                    gs.status = GameSessionStatus::Error;
                    gs.terminated = Some(now);
                    let id = gs.id.clone();
                    for p in self
                        .player_sessions
                        .iter_mut()
                        .filter(|p| p.game_session_id == id && p.counts())
                    {
                        p.status = PlayerSessionStatus::Completed;
                        p.terminated = Some(now);
                    }
                }
                GameSessionStatus::Activating
                    if gs.never_activates && now >= gs.activation_deadline =>
                {
                    self.end_game_session(i, now, effects);
                }
                GameSessionStatus::Activating if !gs.never_activates && now >= gs.active_at => {
                    self.game_sessions[i].status = GameSessionStatus::Active;
                }
                _ => {}
            }
            let gs = &self.game_sessions[i];
            if matches!(
                gs.status,
                GameSessionStatus::Active | GameSessionStatus::Terminating
            ) && gs.ends_at.is_some_and(|e| now >= e)
            {
                self.end_game_session(i, now, effects);
            }
        }
    }

    /// Player sessions accepted by the simulated server, or timed out; player counts
    /// reported by the simulated servers.
    fn tick_player_sessions(
        &mut self,
        now: SimMillis,
        t: &Timing,
        settings: &ServerSettings,
        effects: &mut Vec<Effect>,
    ) {
        let active_since: HashMap<&str, SimMillis> = self
            .game_sessions
            .iter()
            .filter(|g| g.status == GameSessionStatus::Active)
            .map(|g| (g.id.as_str(), g.active_at))
            .collect();
        let mut active_players: HashMap<String, i64> = HashMap::new();
        for p in &mut self.player_sessions {
            if p.status == PlayerSessionStatus::Reserved {
                let accept_at = match (
                    active_since.get(p.game_session_id.as_str()),
                    settings.accept_players_after_ms,
                ) {
                    (Some(active_at), Some(after)) => Some((*active_at).max(p.created) + after),
                    _ => None,
                };
                if accept_at.is_some_and(|a| now >= a) {
                    p.status = PlayerSessionStatus::Active;
                } else if now >= p.created + t.player_reservation_ms {
                    p.status = PlayerSessionStatus::Timedout;
                    p.terminated = Some(p.created + t.player_reservation_ms);
                }
            }
            if p.status == PlayerSessionStatus::Active {
                *active_players.entry(p.game_session_id.clone()).or_default() += 1;
            }
        }
        for gs in self
            .game_sessions
            .iter_mut()
            .filter(|g| g.status == GameSessionStatus::Active)
        {
            let count = active_players.get(&gs.id).copied().unwrap_or(0);
            if count != gs.reported_players {
                gs.reported_players = count;
                effects.push(Effect::PlayerCount {
                    game_session_id: gs.id.clone(),
                    count,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::faults::Faults;
    use crate::model::fleets::{Fleet, Location};
    use crate::model::placements::Placement;
    use crate::model::queues::Queue;
    use crate::model::settings::{Identity, ServerSettings, Timing};
    use crate::model::state::{Effect, State};
    use crate::model::status::{
        FleetStatus, GameSessionStatus, GameSessionStatusReason, PlacementStatus,
        PlayerSessionStatus,
    };

    fn world() -> (State, Timing, ServerSettings, Faults, Identity) {
        let who = Identity {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
        };
        (
            State::default(),
            Timing::default(),
            ServerSettings::default(),
            Faults::default(),
            who,
        )
    }

    fn add_fleet(s: &mut State, id: &str, active_instances: i64, per_instance: i64, t: &Timing) {
        let mut loc = Location::new("us-east-1", 0, t);
        loc.advance(10 * t.fleet_step_ms, t);
        loc.desired = active_instances;
        loc.active = active_instances;
        s.fleets.push(Fleet {
            id: id.into(),
            arn: format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{id}"),
            name: id.into(),
            attributes: serde_json::json!({}),
            runtime_configuration: serde_json::json!({}),
            sessions_per_instance: per_instance,
            created: 0,
            terminated: None,
            deleting_until: None,
            status: FleetStatus::Active,
            locations: vec![loc],
            events: Vec::new(),
        });
    }

    fn queue(dest: &[&str], timeout_seconds: i64) -> Queue {
        Queue {
            name: "q".into(),
            arn: "arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/q".into(),
            timeout_seconds,
            destinations: dest
                .iter()
                .map(|d| format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{d}"))
                .collect(),
            notification_target: None,
            custom_event_data: None,
            extra: serde_json::json!({}),
        }
    }

    fn pending(id: &str, players: &[&str]) -> Placement {
        Placement {
            desired: players.iter().map(|p| (p.to_string(), None)).collect(),
            ..Placement::pending(id, "q", 4, 0)
        }
    }

    fn open(s: &mut State, t: &Timing, set: &ServerSettings) -> usize {
        s.open_game_session(
            0,
            "us-east-1",
            None,
            2,
            None,
            serde_json::json!([]),
            None,
            0,
            t,
            set,
        )
    }

    #[test]
    fn capacity_is_instances_times_concurrent_executions_minus_open_sessions() {
        let (mut s, t, set, _, _) = world();
        add_fleet(&mut s, "fleet-a", 2, 3, &t);
        assert_eq!(s.free_slots(&s.fleets[0], "us-east-1"), 6);
        for _ in 0..4 {
            open(&mut s, &t, &set);
        }
        assert_eq!(s.free_slots(&s.fleets[0], "us-east-1"), 2);
        assert_eq!(s.free_slots(&s.fleets[0], "eu-west-1"), 0);
    }

    #[test]
    fn placement_takes_the_first_destination_with_room_and_fulfils_once_the_session_is_active() {
        let (mut s, t, set, mut f, who) = world();
        add_fleet(&mut s, "fleet-full", 0, 1, &t);
        add_fleet(&mut s, "fleet-free", 1, 1, &t);
        s.queues.push(queue(&["fleet-full", "fleet-free"], 60));
        s.placements.push(pending("p1", &["alice"]));
        s.tick(t.placement_delay_ms, &t, &set, &mut f, &who);
        let p = &s.placements[0];
        assert_eq!(
            p.status,
            PlacementStatus::Pending,
            "the game session is ACTIVATING"
        );
        assert!(p.game_session_id.as_deref().unwrap().contains("fleet-free"));
        assert!(s.player_sessions.is_empty());
        assert_eq!(s.outbox.len(), 0);
        let active = t.placement_delay_ms + t.session_activation_ms;
        s.tick(active - 1, &t, &set, &mut f, &who);
        assert_eq!(s.placements[0].status, PlacementStatus::Pending);
        s.tick(active, &t, &set, &mut f, &who);
        let p = &s.placements[0];
        assert_eq!(p.status, PlacementStatus::Fulfilled);
        assert_eq!(s.game_sessions[0].status, GameSessionStatus::Active);
        assert_eq!(s.player_sessions[0].status, PlayerSessionStatus::Reserved);
        assert_eq!(p.placed[0].1, s.player_sessions[0].id);
        assert_eq!(s.outbox.len(), 1);
    }

    #[test]
    fn a_placement_whose_session_never_activates_fails_at_the_activation_timeout() {
        let (mut s, t, set, mut f, who) = world();
        add_fleet(&mut s, "fleet-a", 1, 1, &t);
        s.queues.push(queue(&["fleet-a"], 600));
        s.placements.push(pending("p1", &["alice"]));
        f.never_activate.insert("fleet-a".into());
        s.tick(t.placement_delay_ms, &t, &set, &mut f, &who);
        s.tick(t.placement_delay_ms + 299_999, &t, &set, &mut f, &who);
        assert_eq!(s.game_sessions[0].status, GameSessionStatus::Activating);
        assert_eq!(s.placements[0].status, PlacementStatus::Pending);
        s.tick(t.placement_delay_ms + 300_000, &t, &set, &mut f, &who);
        assert_eq!(s.game_sessions[0].status, GameSessionStatus::Terminated);
        assert_eq!(s.placements[0].status, PlacementStatus::Failed);
        assert!(s.placements[0].game_session_id.is_none());
    }

    #[test]
    fn the_placement_failure_fault_fails_exactly_the_next_n_placements_of_its_queue() {
        let (mut s, t, set, mut f, who) = world();
        add_fleet(&mut s, "fleet-a", 3, 1, &t);
        s.queues.push(queue(&["fleet-a"], 600));
        f.placement_failures.insert("q".into(), 1);
        s.placements.push(pending("p1", &[]));
        s.placements.push(pending("p2", &[]));
        s.tick(
            t.placement_delay_ms + t.session_activation_ms,
            &t,
            &set,
            &mut f,
            &who,
        );
        s.tick(
            t.placement_delay_ms + t.session_activation_ms * 2,
            &t,
            &set,
            &mut f,
            &who,
        );
        assert_eq!(s.placements[0].status, PlacementStatus::Failed);
        assert_eq!(s.placements[1].status, PlacementStatus::Fulfilled);
    }

    #[test]
    fn player_latencies_order_the_locations_and_latency_policies_rule_some_out() {
        let (mut s, t, _, _, _) = world();
        add_fleet(&mut s, "fleet-a", 1, 1, &t);
        let mut west = s.fleets[0].locations[0].clone();
        west.name = "us-west-2".into();
        let mut eu = west.clone();
        eu.name = "eu-west-1".into();
        s.fleets[0].locations.push(west);
        s.fleets[0].locations.push(eu);
        let mut q = queue(&["fleet-a"], 600);
        let latencies = serde_json::json!([
            {"PlayerId": "a", "RegionIdentifier": "us-east-1", "LatencyInMilliseconds": 80.0},
            {"PlayerId": "a", "RegionIdentifier": "us-west-2", "LatencyInMilliseconds": 20.0},
            {"PlayerId": "b", "RegionIdentifier": "us-west-2", "LatencyInMilliseconds": 120.0},
            {"PlayerId": "b", "RegionIdentifier": "us-east-1", "LatencyInMilliseconds": 30.0}
        ]);
        let order = |s: &State, q: &Queue, cap| {
            s.candidates(q, &latencies, cap)
                .into_iter()
                .map(|c| c.location)
                .collect::<Vec<_>>()
        };
        // Averages: us-east-1 55, us-west-2 70; eu-west-1 has no data and comes last.
        assert_eq!(order(&s, &q, None), ["us-east-1", "us-west-2", "eu-west-1"]);
        // A 100 ms cap rules out us-west-2 (player b at 120 ms).
        assert_eq!(order(&s, &q, Some(100.0)), ["us-east-1", "eu-west-1"]);
        // Without latencies: alphabetical locations.
        assert_eq!(
            s.candidates(&q, &serde_json::json!([]), None)
                .into_iter()
                .map(|c| c.location)
                .collect::<Vec<_>>(),
            ["eu-west-1", "us-east-1", "us-west-2"]
        );
        // A PriorityConfiguration putting LOCATION first with its own order.
        q.extra = serde_json::json!({"PriorityConfiguration": {"PriorityOrder": ["LOCATION"], "LocationOrder": ["us-west-2"]}});
        assert_eq!(order(&s, &q, None), ["us-west-2", "us-east-1", "eu-west-1"]);
    }

    #[test]
    fn placement_without_room_stays_pending_until_the_queue_timeout() {
        let (mut s, t, set, mut f, who) = world();
        add_fleet(&mut s, "fleet-full", 0, 1, &t);
        s.queues.push(queue(&["fleet-full"], 30));
        s.placements.push(pending("p1", &[]));
        s.tick(29_999, &t, &set, &mut f, &who);
        assert_eq!(s.placements[0].status, PlacementStatus::Pending);
        s.tick(30_000, &t, &set, &mut f, &who);
        assert_eq!(s.placements[0].status, PlacementStatus::TimedOut);
    }

    fn one_session(s: &mut State, t: &Timing, set: &ServerSettings) -> usize {
        let gs = open(s, t, set);
        s.add_player_session(gs, "alice", None, 0);
        gs
    }

    #[test]
    fn force_terminate_ends_the_session_and_its_players_at_once() {
        let (mut s, t, set, _, _) = world();
        add_fleet(&mut s, "fleet-a", 1, 1, &t);
        let gs = one_session(&mut s, &t, &set);
        let mut effects = Vec::new();
        s.terminate_game_session(gs, true, 500, &t, &mut effects);
        let g = &s.game_sessions[gs];
        assert_eq!(
            (g.status, g.status_reason),
            (
                GameSessionStatus::Terminated,
                Some(GameSessionStatusReason::ForceTerminated)
            )
        );
        assert_eq!(g.terminated, Some(500));
        assert_eq!(s.player_sessions[0].status, PlayerSessionStatus::Timedout);
        assert_eq!(s.free_slots(&s.fleets[0], "us-east-1"), 1);
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::SessionEnded { .. })));
    }

    #[test]
    fn trigger_terminate_holds_capacity_while_terminating_then_ends_on_the_clock() {
        let (mut s, t, set, mut f, who) = world();
        add_fleet(&mut s, "fleet-a", 1, 1, &t);
        let gs = one_session(&mut s, &t, &set);
        s.tick(t.session_activation_ms + 1_000, &t, &set, &mut f, &who);
        assert_eq!(s.player_sessions[0].status, PlayerSessionStatus::Active);
        let at = t.session_activation_ms + 2_000;
        s.terminate_game_session(gs, false, at, &t, &mut Vec::new());
        s.tick(at + t.session_termination_ms - 1, &t, &set, &mut f, &who);
        assert_eq!(s.game_sessions[gs].status, GameSessionStatus::Terminating);
        assert_eq!(s.player_sessions[0].status, PlayerSessionStatus::Active);
        assert_eq!(s.free_slots(&s.fleets[0], "us-east-1"), 0);
        let effects = s.tick(at + t.session_termination_ms, &t, &set, &mut f, &who);
        let g = &s.game_sessions[gs];
        assert_eq!(
            (g.status, g.status_reason),
            (
                GameSessionStatus::Terminated,
                Some(GameSessionStatusReason::TriggeredOnProcessTerminate)
            )
        );
        assert_eq!(s.player_sessions[0].status, PlayerSessionStatus::Completed);
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::SessionEnded { .. })));
    }

    #[test]
    fn game_session_ends_after_the_configured_duration_and_reports_it() {
        let (mut s, t, mut set, mut f, who) = world();
        set.session_duration_ms = 10_000;
        add_fleet(&mut s, "fleet-a", 1, 1, &t);
        open(&mut s, &t, &set);
        s.tick(t.session_activation_ms, &t, &set, &mut f, &who);
        assert_eq!(s.game_sessions[0].status, GameSessionStatus::Active);
        let effects = s.tick(t.session_activation_ms + 10_000, &t, &set, &mut f, &who);
        assert_eq!(s.game_sessions[0].status, GameSessionStatus::Terminated);
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::SessionEnded { .. })));
    }
}
