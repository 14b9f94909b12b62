//! Pure scaling and allocation decisions: no clock, no network, no AWS. The tick
//! gathers facts (what ECS runs, what each server said about its capacity) and asks
//! this module what to do, and how the holds on each server stand after a probe.

use serde::{Deserialize, Serialize};

/// Where a server stands in the scaler's eyes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    /// Task started but no successful capacity probe yet: counts as capacity on its way.
    Launching,
    /// Probed healthy and eligible for allocation.
    Active,
    /// Taken out of allocation over the downscale margin; stopped once it reports
    /// `readyToClose`, or brought back when capacity runs short.
    Standby,
    /// Failed too many probes in a row; being stopped and replaced.
    Unhealthy,
}

impl ServerState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerState::Launching => "launching",
            ServerState::Active => "active",
            ServerState::Standby => "standby",
            ServerState::Unhealthy => "unhealthy",
        }
    }
}

/// How the allocator picks among servers with room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Fullest server with room first: keeps other servers empty so they can be retired.
    Packing,
    /// Emptiest server first: spreads load.
    Spread,
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "packing" | "pack" => Ok(Strategy::Packing),
            "spread" => Ok(Strategy::Spread),
            _ => Err("expected `packing` or `spread`".to_string()),
        }
    }
}

/// The margins and bounds a tick decides against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Margins {
    /// Launch (or bring back from standby) when free slots fall under this.
    pub upscale: u32,
    /// Move the emptiest server to standby when free slots rise over this.
    pub downscale: u32,
    /// Slots a new server brings (counted for servers still launching).
    pub server_capacity: u32,
    /// Never fewer than this many serving (launching + active) tasks.
    pub min_tasks: u32,
    /// Never more than this many tasks in total (launching + active + standby).
    pub max_tasks: u32,
}

/// What the tick knows about one server when it decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerView {
    pub id: String,
    pub state: ServerState,
    pub capacity: u32,
    /// Free slots net of outstanding reservations.
    pub free: u32,
    pub ready_to_close: bool,
    /// Whether ECS scale-in protection is currently on (as last set by us).
    pub protected: bool,
    /// Our protection ends soon (within half its period): renew it while players remain.
    pub protection_expiring: bool,
    /// Owned by an ECS service: ECS keeps its count, so the scaler never moves it to
    /// standby; only such tasks can carry scale-in protection.
    pub in_service: bool,
}

impl ServerView {
    pub fn players(&self) -> u32 {
        self.capacity.saturating_sub(self.free)
    }
}

/// What one tick does. Every list holds server ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// New tasks to run.
    pub launch: u32,
    /// Standby servers brought back to active.
    pub reactivate: Vec<String>,
    /// Active servers moved to standby.
    pub standby: Vec<String>,
    /// Tasks to stop: unhealthy ones and standby servers ready to close.
    pub stop: Vec<String>,
    /// Servers to protect from ECS scale-in (they have players).
    pub protect: Vec<String>,
    /// Servers whose protection to lift (no players any more).
    pub unprotect: Vec<String>,
    /// Free slots counted before acting (active free + launching capacity).
    pub free_before: u32,
}

/// Decides one tick. Order of concerns: replace the unhealthy, retire standby servers
/// that are ready, keep free capacity at or over the upscale margin (standby servers
/// first, then new tasks) and tasks at or over the minimum, never exceed the maximum,
/// and retire at most one server per tick when free capacity exceeds the downscale
/// margin without dropping under the upscale margin.
pub fn plan(servers: &[ServerView], m: &Margins) -> Plan {
    let mut p = Plan::default();

    let unhealthy: Vec<&ServerView> = servers
        .iter()
        .filter(|s| s.state == ServerState::Unhealthy)
        .collect();
    p.stop.extend(unhealthy.iter().map(|s| s.id.clone()));

    let mut free: u32 = 0;
    let mut serving: u32 = 0;
    for s in servers {
        match s.state {
            ServerState::Active => {
                free += s.free;
                serving += 1;
            }
            ServerState::Launching => {
                free += m.server_capacity;
                serving += 1;
            }
            _ => {}
        }
    }
    p.free_before = free;

    // Standby servers, those with most free slots first (best to bring back).
    let mut standby: Vec<&ServerView> = servers
        .iter()
        .filter(|s| s.state == ServerState::Standby)
        .collect();
    standby.sort_by(|a, b| b.free.cmp(&a.free).then_with(|| a.id.cmp(&b.id)));

    let short = |free: u32, serving: u32| free < m.upscale || serving < m.min_tasks;
    let mut reactivated: Vec<&str> = Vec::new();
    if short(free, serving) {
        for s in standby.iter().filter(|s| s.free > 0) {
            if !short(free, serving) {
                break;
            }
            free += s.free;
            serving += 1;
            reactivated.push(&s.id);
        }
    }
    p.reactivate = reactivated.iter().map(|s| s.to_string()).collect();

    for s in &standby {
        if s.ready_to_close && !reactivated.contains(&s.id.as_str()) {
            p.stop.push(s.id.clone());
        }
    }
    let standby_left = standby.len() as u32
        - reactivated.len() as u32
        - standby
            .iter()
            .filter(|s| s.ready_to_close && !reactivated.contains(&s.id.as_str()))
            .count() as u32;

    let total = serving + standby_left;
    let room = m.max_tasks.saturating_sub(total);
    if short(free, serving) || !unhealthy.is_empty() {
        let for_margin = m
            .upscale
            .saturating_sub(free)
            .div_ceil(m.server_capacity.max(1));
        let for_min = m.min_tasks.saturating_sub(serving);
        let want = for_margin.max(for_min).max(unhealthy.len() as u32);
        p.launch = want.min(room);
    } else if free > m.downscale && serving > m.min_tasks {
        // Emptiest active server (most free, then fewest players), only if what stays
        // still covers the upscale margin, so the next tick does not launch it back.
        let candidate = servers
            .iter()
            .filter(|s| s.state == ServerState::Active && !s.in_service)
            .max_by(|a, b| {
                a.free
                    .cmp(&b.free)
                    .then_with(|| b.players().cmp(&a.players()))
                    .then_with(|| b.id.cmp(&a.id))
            });
        if let Some(c) = candidate {
            if free - c.free >= m.upscale {
                p.standby.push(c.id.clone());
            }
        }
    }

    for s in servers {
        let stopping = p.stop.contains(&s.id);
        let wants =
            s.in_service && s.players() > 0 && !stopping && s.state != ServerState::Launching;
        if wants && (!s.protected || s.protection_expiring) {
            p.protect.push(s.id.clone());
        } else if !wants && s.protected && !stopping {
            p.unprotect.push(s.id.clone());
        }
    }
    p
}

/// A slot handed to a player and not yet seen taken on the server: it waits for its
/// player until `expires_at_ms`, on its own (a busy server's fresh holds do not keep
/// stale ones alive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub id: String,
    pub expires_at_ms: u64,
}

/// Reconciles the holds of a server with a new probe, slot by slot. Each player who
/// arrived (the server reports fewer free slots than before) takes the oldest hold;
/// holds past their expiry are released. Returns the holds kept, in their order, and the
/// free slots the allocator may still hand out.
pub fn reconcile_holds(
    previous_reported_free: u32,
    holds: &[Hold],
    reported_free: u32,
    now_ms: u64,
) -> (Vec<Hold>, u32) {
    let arrived = previous_reported_free.saturating_sub(reported_free) as usize;
    let mut oldest: Vec<usize> = (0..holds.len()).collect();
    oldest.sort_by_key(|&i| (holds[i].expires_at_ms, i));
    let taken: std::collections::HashSet<usize> = oldest.into_iter().take(arrived).collect();
    let kept: Vec<Hold> = holds
        .iter()
        .enumerate()
        .filter(|(i, h)| !taken.contains(i) && h.expires_at_ms > now_ms)
        .map(|(_, h)| h.clone())
        .collect();
    let free = reported_free.saturating_sub(kept.len() as u32);
    (kept, free)
}

/// A probe failure count reaching the threshold makes a server unhealthy.
pub fn next_state_after_probe(
    current: ServerState,
    ok: bool,
    failures: u32,
    threshold: u32,
) -> ServerState {
    match (current, ok) {
        (ServerState::Unhealthy, _) => ServerState::Unhealthy,
        (_, false) if failures >= threshold => ServerState::Unhealthy,
        (ServerState::Launching, true) => ServerState::Active,
        (s, _) => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ServerState::*;

    fn s(id: &str, state: ServerState, capacity: u32, free: u32) -> ServerView {
        ServerView {
            id: id.into(),
            state,
            capacity,
            free,
            ready_to_close: false,
            protected: false,
            protection_expiring: false,
            in_service: false,
        }
    }

    const M: Margins = Margins {
        upscale: 10,
        downscale: 30,
        server_capacity: 10,
        min_tasks: 1,
        max_tasks: 6,
    };

    struct Case {
        name: &'static str,
        servers: Vec<ServerView>,
        margins: Margins,
        launch: u32,
        reactivate: &'static [&'static str],
        standby: &'static [&'static str],
        stop: &'static [&'static str],
    }

    #[test]
    fn scaling_decisions_on_many_capacity_shapes() {
        let ready = |mut v: ServerView| {
            v.ready_to_close = true;
            v
        };
        let cases = vec![
            Case {
                name: "empty fleet launches to min and margin",
                servers: vec![],
                margins: M,
                launch: 1,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "empty fleet with big margin launches ceil(margin/capacity)",
                servers: vec![],
                margins: Margins { upscale: 25, ..M },
                launch: 3,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "free exactly at upscale margin holds",
                servers: vec![s("a", Active, 10, 10)],
                margins: M,
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "one under the margin launches one",
                servers: vec![s("a", Active, 10, 9)],
                margins: M,
                launch: 1,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "launching capacity counts, no double launch",
                servers: vec![s("a", Active, 10, 2), s("b", Launching, 0, 0)],
                margins: M,
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "deep shortfall is capped by max",
                servers: vec![
                    s("a", Active, 10, 0),
                    s("b", Active, 10, 0),
                    s("c", Active, 10, 0),
                    s("d", Active, 10, 0),
                ],
                margins: Margins { upscale: 100, ..M },
                launch: 2,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "at max launches nothing even when full",
                servers: (0..6).map(|i| s(&format!("s{i}"), Active, 10, 0)).collect(),
                margins: M,
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "standby counts toward max",
                servers: vec![
                    s("a", Active, 10, 0),
                    s("b", Standby, 10, 0),
                    s("c", Standby, 10, 0),
                ],
                margins: Margins { max_tasks: 3, ..M },
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "standby with room is brought back before launching",
                servers: vec![
                    s("a", Active, 10, 1),
                    s("b", Standby, 10, 4),
                    s("c", Standby, 10, 8),
                ],
                margins: M,
                launch: 0,
                reactivate: &["c", "b"],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "standby brought back then one launch for the rest",
                servers: vec![s("a", Active, 10, 0), s("b", Standby, 10, 3)],
                margins: M,
                launch: 1,
                reactivate: &["b"],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "over downscale margin the emptiest goes to standby",
                servers: vec![
                    s("a", Active, 10, 10),
                    s("b", Active, 10, 9),
                    s("c", Active, 10, 10),
                    s("d", Active, 10, 5),
                ],
                margins: Margins { downscale: 25, ..M },
                launch: 0,
                reactivate: &[],
                standby: &["a"],
                stop: &[],
            },
            Case {
                name: "at downscale margin nothing moves",
                servers: vec![
                    s("a", Active, 10, 10),
                    s("b", Active, 10, 10),
                    s("c", Active, 10, 10),
                ],
                margins: M,
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "no standby when it would drop under the upscale margin",
                servers: vec![s("a", Active, 40, 40)],
                margins: Margins {
                    upscale: 10,
                    downscale: 30,
                    min_tasks: 0,
                    ..M
                },
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "never below min tasks",
                servers: vec![
                    s("a", Active, 10, 10),
                    s("b", Active, 10, 10),
                    s("c", Active, 10, 10),
                    s("d", Active, 10, 10),
                ],
                margins: Margins { min_tasks: 4, ..M },
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "below min launches even with plenty free",
                servers: vec![s("a", Active, 100, 100)],
                margins: Margins {
                    min_tasks: 3,
                    downscale: 500,
                    ..M
                },
                launch: 2,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "standby ready to close is stopped",
                servers: vec![
                    s("a", Active, 10, 10),
                    ready(s("b", Standby, 10, 10)),
                    s("c", Standby, 10, 7),
                ],
                margins: M,
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &["b"],
            },
            Case {
                name: "ready standby is brought back instead of stopped when short",
                servers: vec![s("a", Active, 10, 2), ready(s("b", Standby, 10, 10))],
                margins: M,
                launch: 0,
                reactivate: &["b"],
                standby: &[],
                stop: &[],
            },
            Case {
                name: "unhealthy is stopped and replaced",
                servers: vec![
                    s("a", Active, 10, 10),
                    s("b", Active, 10, 10),
                    s("u", Unhealthy, 10, 10),
                ],
                margins: M,
                launch: 1,
                reactivate: &[],
                standby: &[],
                stop: &["u"],
            },
            Case {
                name: "unhealthy capacity is not counted",
                servers: vec![s("a", Active, 10, 2), s("u", Unhealthy, 10, 10)],
                margins: M,
                launch: 1,
                reactivate: &[],
                standby: &[],
                stop: &["u"],
            },
            Case {
                name: "replacement respects max",
                servers: vec![
                    s("a", Active, 10, 10),
                    s("b", Active, 10, 10),
                    s("u", Unhealthy, 10, 10),
                ],
                margins: Margins { max_tasks: 2, ..M },
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &["u"],
            },
            Case {
                name: "zero max launches nothing",
                servers: vec![],
                margins: Margins {
                    max_tasks: 0,
                    min_tasks: 0,
                    ..M
                },
                launch: 0,
                reactivate: &[],
                standby: &[],
                stop: &[],
            },
        ];
        for c in cases {
            let p = plan(&c.servers, &c.margins);
            assert_eq!(p.launch, c.launch, "{}: launch", c.name);
            assert_eq!(p.reactivate, c.reactivate, "{}: reactivate", c.name);
            assert_eq!(p.standby, c.standby, "{}: standby", c.name);
            assert_eq!(p.stop, c.stop, "{}: stop", c.name);
        }
    }

    #[test]
    fn service_tasks_are_never_moved_to_standby() {
        let svc = |id: &str| ServerView {
            in_service: true,
            ..s(id, Active, 10, 10)
        };
        let servers = vec![svc("a"), s("own", Active, 10, 6), svc("b"), svc("c")];
        let p = plan(&servers, &Margins { downscale: 20, ..M });
        assert_eq!(p.standby, vec!["own".to_string()]);
    }

    #[test]
    fn protection_follows_players_on_service_tasks() {
        let svc = |v: ServerView| ServerView {
            in_service: true,
            ..v
        };
        let with_players = svc(s("p", Active, 10, 4));
        let empty_protected = ServerView {
            protected: true,
            ..svc(s("e", Active, 10, 10))
        };
        let kept = ServerView {
            protected: true,
            ..svc(s("k", Standby, 10, 9))
        };
        let launching = svc(s("l", Launching, 0, 0));
        let standalone = s("x", Active, 10, 1);
        let p = plan(
            &[with_players, empty_protected, kept, launching, standalone],
            &M,
        );
        assert_eq!(p.protect, vec!["p".to_string()]);
        assert_eq!(p.unprotect, vec!["e".to_string()]);
    }

    #[test]
    fn protection_is_renewed_before_it_expires_while_players_remain() {
        let svc = |id: &str, free: u32, expiring: bool| ServerView {
            in_service: true,
            protected: true,
            protection_expiring: expiring,
            ..s(id, Active, 10, free)
        };
        let p = plan(
            &[
                svc("fresh", 5, false),
                svc("old", 5, true),
                svc("old-empty", 10, true),
            ],
            &M,
        );
        assert_eq!(p.protect, vec!["old".to_string()]);
        assert_eq!(p.unprotect, vec!["old-empty".to_string()]);
    }

    fn holds(expiries: &[u64]) -> Vec<Hold> {
        expiries
            .iter()
            .enumerate()
            .map(|(i, &e)| Hold {
                id: format!("h{i}"),
                expires_at_ms: e,
            })
            .collect()
    }

    fn ids(h: &[Hold]) -> Vec<&str> {
        h.iter().map(|h| h.id.as_str()).collect()
    }

    #[test]
    fn arrivals_take_the_oldest_holds_and_each_hold_expires_on_its_own() {
        let h = holds(&[300, 100, 200]);
        // 10 -> 8 free: two players arrived, taking the two oldest holds (h1, h2).
        let (kept, free) = reconcile_holds(10, &h, 8, 0);
        assert_eq!((ids(&kept), free), (vec!["h0"], 7));
        // Nobody arrived: all three wait.
        let (kept, free) = reconcile_holds(10, &h, 10, 0);
        assert_eq!((ids(&kept), free), (vec!["h0", "h1", "h2"], 7));
        // At 150 only h1 has expired; the others still wait.
        let (kept, free) = reconcile_holds(10, &h, 10, 150);
        assert_eq!((ids(&kept), free), (vec!["h0", "h2"], 8));
        // Players left (free went up): holds stay.
        let (kept, free) = reconcile_holds(5, &h[..2], 9, 0);
        assert_eq!((ids(&kept), free), (vec!["h0", "h1"], 7));
        // Never negative.
        let (kept, free) = reconcile_holds(1, &holds(&[9, 9, 9, 9, 9]), 1, 0);
        assert_eq!((kept.len(), free), (5, 0));
    }

    #[test]
    fn a_busy_server_still_releases_its_stale_holds() {
        // A fresh hold every second, an expiry of 60 s: the first ones lapse although
        // the server keeps getting new holds.
        let h = holds(&(0..120).map(|s| (s + 60) * 1000).collect::<Vec<_>>());
        let (kept, _) = reconcile_holds(200, &h, 200, 90_000);
        assert_eq!(kept.len(), 120 - 31, "holds created before 30 s lapsed");
        assert!(kept.iter().all(|h| h.expires_at_ms > 90_000));
    }

    #[test]
    fn probe_failures_reach_unhealthy_at_threshold() {
        assert_eq!(next_state_after_probe(Active, false, 2, 3), Active);
        assert_eq!(next_state_after_probe(Active, false, 3, 3), Unhealthy);
        assert_eq!(next_state_after_probe(Launching, true, 0, 3), Active);
        assert_eq!(next_state_after_probe(Standby, true, 0, 3), Standby);
        assert_eq!(next_state_after_probe(Unhealthy, true, 0, 3), Unhealthy);
    }

    #[test]
    fn strategy_parses_and_rejects_unknown() {
        assert_eq!("Packing".parse::<Strategy>(), Ok(Strategy::Packing));
        assert_eq!("spread".parse::<Strategy>(), Ok(Strategy::Spread));
        assert!("random".parse::<Strategy>().is_err());
    }
}
