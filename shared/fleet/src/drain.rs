//! Drain and delete guards for the old fleet. Pure.

/// Fleet statuses of a fleet that is going or gone: nothing left to drain or delete.
pub const GONE_STATUSES: [&str; 2] = ["DELETING", "TERMINATED"];

/// Game session statuses that still have (or will have) players.
pub const LIVE_STATUSES: [&str; 2] = ["ACTIVE", "ACTIVATING"];

/// Counts live game sessions. Terminated, terminating and errored sessions are kept by
/// GameLift for a while and must not hold the drain up.
pub fn live_sessions<'a>(statuses: impl IntoIterator<Item = &'a str>) -> usize {
    statuses
        .into_iter()
        .filter(|s| LIVE_STATUSES.contains(s))
        .count()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drain {
    Drained,
    Waiting(usize),
    TimedOut(usize),
}

/// Drained with no live session; otherwise waiting until the drain timeout.
pub fn drain_decision(live: usize, expired: bool) -> Drain {
    match (live, expired) {
        (0, _) => Drain::Drained,
        (n, false) => Drain::Waiting(n),
        (n, true) => Drain::TimedOut(n),
    }
}

/// The aliases (id, routed fleet) that route to `fleet_id`. A fleet any alias routes
/// to is never deleted.
pub fn aliases_routing_to(aliases: &[(String, Option<String>)], fleet_id: &str) -> Vec<String> {
    aliases
        .iter()
        .filter(|(_, f)| f.as_deref() == Some(fleet_id))
        .map(|(a, _)| a.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_active_and_activating_sessions_hold_the_drain() {
        let statuses = [
            "ACTIVE",
            "TERMINATED",
            "ACTIVATING",
            "TERMINATING",
            "ERROR",
            "TERMINATED",
        ];
        assert_eq!(live_sessions(statuses), 2);
        assert_eq!(live_sessions(["TERMINATED", "ERROR"]), 0);
    }

    #[test]
    fn drain_waits_until_empty_and_times_out_with_the_live_count() {
        assert_eq!(drain_decision(0, false), Drain::Drained);
        assert_eq!(drain_decision(0, true), Drain::Drained);
        assert_eq!(drain_decision(3, false), Drain::Waiting(3));
        assert_eq!(drain_decision(3, true), Drain::TimedOut(3));
    }

    #[test]
    fn a_fleet_behind_any_alias_is_found() {
        let aliases = vec![
            ("alias-a".to_string(), Some("fleet-old".to_string())),
            ("alias-b".to_string(), Some("fleet-new".to_string())),
            ("alias-c".to_string(), None),
            ("alias-d".to_string(), Some("fleet-old".to_string())),
        ];
        assert_eq!(
            aliases_routing_to(&aliases, "fleet-old"),
            vec!["alias-a", "alias-d"]
        );
        assert!(aliases_routing_to(&aliases, "fleet-x").is_empty());
    }
}
