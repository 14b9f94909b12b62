//! Where a replacement starts: fresh, or resuming an earlier run of the same request.
//! Pure: the validate stage gathers the facts, this decides.

use serde::{Deserialize, Serialize};

/// What GameLift says about the alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasFacts {
    /// `SIMPLE` or `TERMINAL`.
    pub routing_type: String,
    pub fleet_id: Option<String>,
}

/// A fleet's id and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetFacts {
    pub fleet_id: String,
    pub status: String,
}

/// The lock on the alias, if an execution holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockFacts {
    pub replacement_id: String,
    /// The execution that holds it.
    pub execution_arn: String,
    pub old_fleet_id: String,
    pub acquired_at_ms: u64,
    /// Who asked the holder to stop (`hangar fleet cancel`), if anyone did.
    pub cancel_requested_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartFacts {
    pub alias_id: String,
    pub replacement_id: String,
    /// This execution.
    pub execution_arn: String,
    /// `None` when GameLift does not know the alias.
    pub alias: Option<AliasFacts>,
    /// The fleet id the operator gave, if any.
    pub requested_fleet_id: Option<String>,
    /// The fleet the alias routes to (None when unknown to GameLift).
    pub routed_fleet: Option<FleetFacts>,
    /// A fleet an earlier run of this replacement created (found by its tag).
    pub our_fleet: Option<FleetFacts>,
    pub lock: Option<LockFacts>,
    /// Whether the execution holding `lock` (when it is not this one) still runs.
    pub holder_running: bool,
}

/// How the replacement proceeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Start {
    /// Nothing exists yet: build, fleet, capacity, smoke test, swap, drain, delete.
    Fresh { old_fleet_id: String },
    /// An earlier run created the new fleet but did not move the alias: continue with it.
    ResumeBeforeSwap {
        old_fleet_id: String,
        new_fleet_id: String,
    },
    /// An earlier run already moved the alias: only drain and delete remain.
    ResumeAfterSwap {
        old_fleet_id: String,
        new_fleet_id: String,
    },
}

impl Start {
    pub fn old_fleet_id(&self) -> &str {
        match self {
            Start::Fresh { old_fleet_id }
            | Start::ResumeBeforeSwap { old_fleet_id, .. }
            | Start::ResumeAfterSwap { old_fleet_id, .. } => old_fleet_id,
        }
    }

    pub fn new_fleet_id(&self) -> Option<&str> {
        match self {
            Start::Fresh { .. } => None,
            Start::ResumeBeforeSwap { new_fleet_id, .. }
            | Start::ResumeAfterSwap { new_fleet_id, .. } => Some(new_fleet_id),
        }
    }
}

/// Why the workflow refuses to start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Refused(String),
    /// Another replacement holds the alias.
    #[error("{0}")]
    Locked(String),
}

/// The ended execution whose lock this one takes over, if the alias is locked by one.
pub fn stale_holder(f: &StartFacts) -> Option<&str> {
    f.lock
        .as_ref()
        .filter(|l| l.execution_arn != f.execution_arn && !f.holder_running)
        .map(|l| l.execution_arn.as_str())
}

/// Decides how to start, or refuses before anything is created.
pub fn decide_start(f: &StartFacts) -> Result<Start, Refusal> {
    let alias_id = &f.alias_id;
    let Some(alias) = &f.alias else {
        return Err(Refusal::Refused(format!("alias {alias_id} does not exist")));
    };
    if let Some(lock) = &f.lock {
        if lock.execution_arn != f.execution_arn && f.holder_running {
            let e = &lock.execution_arn;
            return Err(Refusal::Locked(format!(
                "alias {alias_id} is being replaced by execution {e} (replacement {}, old fleet {}); \
                 follow it with `hangar fleet status {e}` or stop it with `hangar fleet cancel {e}`",
                lock.replacement_id, lock.old_fleet_id
            )));
        }
    }
    // The lock of an earlier run of this replacement knows its old fleet.
    let our_lock = f
        .lock
        .as_ref()
        .filter(|l| l.replacement_id == f.replacement_id);
    if alias.routing_type != "SIMPLE" {
        return Err(Refusal::Refused(format!(
            "alias {alias_id} is {} and routes to no fleet; point it at the serving fleet first",
            alias.routing_type
        )));
    }
    let Some(routed) = alias.fleet_id.as_deref() else {
        return Err(Refusal::Refused(format!(
            "alias {alias_id} routes to no fleet"
        )));
    };
    if let Some(ours) = &f.our_fleet {
        if ours.fleet_id == routed {
            // An earlier run moved the alias; the old fleet is the one it recorded.
            let old = our_lock
                .map(|l| l.old_fleet_id.clone())
                .or_else(|| f.requested_fleet_id.clone().filter(|id| id != routed));
            return match old {
                Some(old_fleet_id) => Ok(Start::ResumeAfterSwap { old_fleet_id, new_fleet_id: ours.fleet_id.clone() }),
                None => Err(Refusal::Refused(format!(
                    "alias {alias_id} already routes to the new fleet {routed} and the old fleet is unknown; \
                     pass the old fleet's id as fleet_id to finish its drain"
                ))),
            };
        }
    }
    if let Some(requested) = &f.requested_fleet_id {
        if requested != routed {
            return Err(Refusal::Refused(format!(
                "alias {alias_id} routes to {routed}, not to fleet {requested}; check the fleet id"
            )));
        }
    }
    match &f.routed_fleet {
        None => {
            return Err(Refusal::Refused(format!(
                "fleet {routed} (behind alias {alias_id}) does not exist"
            )));
        }
        Some(fleet) if fleet.status != "ACTIVE" => {
            return Err(Refusal::Refused(format!(
                "fleet {routed} is {}; a replacement starts only from an ACTIVE fleet",
                fleet.status
            )));
        }
        Some(_) => {}
    }
    Ok(match &f.our_fleet {
        Some(ours) => Start::ResumeBeforeSwap {
            old_fleet_id: routed.to_string(),
            new_fleet_id: ours.fleet_id.clone(),
        },
        None => Start::Fresh {
            old_fleet_id: routed.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> StartFacts {
        StartFacts {
            alias_id: "alias-1".into(),
            replacement_id: "r-1".into(),
            alias: Some(AliasFacts {
                routing_type: "SIMPLE".into(),
                fleet_id: Some("fleet-old".into()),
            }),
            requested_fleet_id: None,
            routed_fleet: Some(FleetFacts {
                fleet_id: "fleet-old".into(),
                status: "ACTIVE".into(),
            }),
            our_fleet: None,
            lock: None,
            holder_running: false,
            execution_arn: "arn:exec:1".into(),
        }
    }

    fn lock(replacement_id: &str, execution_arn: &str) -> Option<LockFacts> {
        Some(LockFacts {
            replacement_id: replacement_id.into(),
            execution_arn: execution_arn.into(),
            old_fleet_id: "fleet-old".into(),
            acquired_at_ms: 1,
            cancel_requested_by: None,
        })
    }

    fn refused(f: &StartFacts) -> String {
        match decide_start(f).unwrap_err() {
            Refusal::Refused(m) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn fresh_start_resolves_the_old_fleet_from_the_alias() {
        assert_eq!(
            decide_start(&facts()).unwrap(),
            Start::Fresh {
                old_fleet_id: "fleet-old".into()
            }
        );
        let mut f = facts();
        f.requested_fleet_id = Some("fleet-old".into());
        assert_eq!(decide_start(&f).unwrap().old_fleet_id(), "fleet-old");
    }

    #[test]
    fn missing_alias_terminal_alias_and_wrong_fleet_are_refused() {
        let mut f = facts();
        f.alias = None;
        assert!(refused(&f).contains("does not exist"));
        let mut f = facts();
        f.alias = Some(AliasFacts {
            routing_type: "TERMINAL".into(),
            fleet_id: None,
        });
        assert!(refused(&f).contains("TERMINAL"));
        let mut f = facts();
        f.requested_fleet_id = Some("fleet-other".into());
        assert!(refused(&f).contains("routes to fleet-old, not to fleet fleet-other"));
    }

    #[test]
    fn old_fleet_must_exist_and_be_active() {
        let mut f = facts();
        f.routed_fleet = Some(FleetFacts {
            fleet_id: "fleet-old".into(),
            status: "ERROR".into(),
        });
        assert!(refused(&f).contains("ERROR"));
        f.routed_fleet = None;
        assert!(refused(&f).contains("does not exist"));
    }

    #[test]
    fn a_lock_held_by_a_running_execution_refuses_and_names_it() {
        let mut f = facts();
        f.lock = lock("r-other", "arn:exec:other");
        f.holder_running = true;
        assert!(matches!(decide_start(&f),
            Err(Refusal::Locked(m)) if m.contains("r-other") && m.contains("hangar fleet cancel arn:exec:other")));
        // The same replacement in another execution that still runs is refused as well.
        f.lock = lock("r-1", "arn:exec:other");
        assert!(matches!(decide_start(&f), Err(Refusal::Locked(_))));
        assert_eq!(stale_holder(&f), None);
    }

    #[test]
    fn a_lock_whose_execution_ended_is_taken_over_and_our_own_lock_is_kept() {
        let mut f = facts();
        f.lock = lock("r-other", "arn:exec:gone");
        f.holder_running = false;
        assert!(decide_start(&f).is_ok());
        assert_eq!(stale_holder(&f), Some("arn:exec:gone"));
        f.lock = lock("r-1", "arn:exec:1");
        f.holder_running = true;
        assert!(
            decide_start(&f).is_ok(),
            "a retried validate keeps its own lock"
        );
        assert_eq!(stale_holder(&f), None);
    }

    #[test]
    fn a_fleet_from_an_earlier_run_is_reused_never_created_twice() {
        let mut f = facts();
        f.our_fleet = Some(FleetFacts {
            fleet_id: "fleet-new".into(),
            status: "ACTIVATING".into(),
        });
        assert_eq!(
            decide_start(&f).unwrap(),
            Start::ResumeBeforeSwap {
                old_fleet_id: "fleet-old".into(),
                new_fleet_id: "fleet-new".into()
            }
        );
    }

    #[test]
    fn an_alias_already_on_our_fleet_resumes_at_the_drain_with_the_recorded_old_fleet() {
        let mut f = facts();
        f.alias = Some(AliasFacts {
            routing_type: "SIMPLE".into(),
            fleet_id: Some("fleet-new".into()),
        });
        f.our_fleet = Some(FleetFacts {
            fleet_id: "fleet-new".into(),
            status: "ACTIVE".into(),
        });
        f.lock = lock("r-1", "arn:exec:crashed");
        assert_eq!(
            decide_start(&f).unwrap(),
            Start::ResumeAfterSwap {
                old_fleet_id: "fleet-old".into(),
                new_fleet_id: "fleet-new".into()
            }
        );
        f.lock = None;
        assert!(refused(&f).contains("old fleet is unknown"));
        f.requested_fleet_id = Some("fleet-old".into());
        assert_eq!(decide_start(&f).unwrap().old_fleet_id(), "fleet-old");
    }
}
