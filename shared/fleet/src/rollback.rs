//! What rollback does after a stage failed. Pure.
//!
//! Before the alias swap is committed, rollback restores the starting point: the alias
//! back on the old fleet if it moved, the new fleet deleted, a build the workflow
//! created deleted, the old fleet untouched and serving. After the swap (drain or
//! delete failed), the new fleet has passed its smoke test and serves players, so
//! rollback moves nothing: it leaves both fleets running and says what remains to do.

use serde::{Deserialize, Serialize};

use crate::drain::GONE_STATUSES;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackFacts {
    pub alias_id: String,
    pub old_fleet_id: String,
    /// The alias swap completed (in this run or an earlier one).
    pub committed: bool,
    /// Where the alias routes now (None if GameLift could not say).
    pub alias_fleet: Option<String>,
    /// The new fleet and its status, if one was created.
    pub new_fleet: Option<(String, String)>,
    /// A build this replacement created (not one the operator reused).
    pub created_build: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    PointAlias { alias_id: String, fleet_id: String },
    DeleteFleet { fleet_id: String },
    DeleteBuild { build_id: String },
}

impl Action {
    /// What the action did, for the operator.
    pub fn describe(&self) -> String {
        match self {
            Action::PointAlias { alias_id, fleet_id } => {
                format!("pointed alias {alias_id} back at {fleet_id}")
            }
            Action::DeleteFleet { fleet_id } => format!("deleted new fleet {fleet_id}"),
            Action::DeleteBuild { build_id } => format!("deleted build {build_id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackPlan {
    pub actions: Vec<Action>,
    /// Things a person must finish by hand.
    pub leftovers: Vec<String>,
}

/// GameLift deletes fleets only in these statuses.
const DELETABLE: [&str; 2] = ["ACTIVE", "ERROR"];

pub fn plan_rollback(f: &RollbackFacts) -> RollbackPlan {
    let mut actions = Vec::new();
    let mut leftovers = Vec::new();
    if f.committed {
        if let Some((new_id, _)) = &f.new_fleet {
            leftovers.push(format!(
                "alias {} stays on the new fleet {new_id}; the old fleet {} was left running: \
                 delete it once it has no game sessions",
                f.alias_id, f.old_fleet_id
            ));
        }
        return RollbackPlan { actions, leftovers };
    }
    let new_id = f.new_fleet.as_ref().map(|(id, _)| id.as_str());
    if new_id.is_some() && f.alias_fleet.as_deref() == new_id {
        actions.push(Action::PointAlias {
            alias_id: f.alias_id.clone(),
            fleet_id: f.old_fleet_id.clone(),
        });
    }
    let mut build_in_use = false;
    if let Some((id, status)) = &f.new_fleet {
        if DELETABLE.contains(&status.as_str()) {
            actions.push(Action::DeleteFleet {
                fleet_id: id.clone(),
            });
        } else if !GONE_STATUSES.contains(&status.as_str()) {
            build_in_use = true;
            leftovers.push(format!(
                "new fleet {id} is {status} and GameLift deletes fleets only when ACTIVE or ERROR: \
                 delete it (aws gamelift delete-fleet --fleet-id {id}) once it settles"
            ));
        }
    }
    if let Some(build_id) = &f.created_build {
        if build_in_use {
            leftovers.push(format!(
                "build {build_id} was kept because fleet {} still uses it",
                new_id.unwrap_or("?")
            ));
        } else {
            actions.push(Action::DeleteBuild {
                build_id: build_id.clone(),
            });
        }
    }
    RollbackPlan { actions, leftovers }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> RollbackFacts {
        RollbackFacts {
            alias_id: "alias-1".into(),
            old_fleet_id: "fleet-old".into(),
            committed: false,
            alias_fleet: Some("fleet-old".into()),
            new_fleet: Some(("fleet-new".into(), "ACTIVE".into())),
            created_build: Some("build-new".into()),
        }
    }

    #[test]
    fn before_the_swap_the_new_fleet_and_our_build_are_deleted_and_the_alias_left_alone() {
        let p = plan_rollback(&facts());
        assert_eq!(
            p.actions,
            vec![
                Action::DeleteFleet {
                    fleet_id: "fleet-new".into()
                },
                Action::DeleteBuild {
                    build_id: "build-new".into()
                }
            ]
        );
        assert!(p.leftovers.is_empty());
    }

    #[test]
    fn an_alias_that_moved_goes_back_to_the_old_fleet_first() {
        let mut f = facts();
        f.alias_fleet = Some("fleet-new".into());
        let p = plan_rollback(&f);
        assert_eq!(
            p.actions[0],
            Action::PointAlias {
                alias_id: "alias-1".into(),
                fleet_id: "fleet-old".into()
            }
        );
        assert_eq!(
            p.actions[1],
            Action::DeleteFleet {
                fleet_id: "fleet-new".into()
            }
        );
    }

    #[test]
    fn a_reused_build_is_never_deleted() {
        let mut f = facts();
        f.created_build = None;
        assert_eq!(
            plan_rollback(&f).actions,
            vec![Action::DeleteFleet {
                fleet_id: "fleet-new".into()
            }]
        );
    }

    #[test]
    fn a_fleet_gamelift_cannot_delete_yet_is_reported_and_keeps_its_build() {
        let mut f = facts();
        f.new_fleet = Some(("fleet-new".into(), "ACTIVATING".into()));
        let p = plan_rollback(&f);
        assert!(p.actions.is_empty(), "{:?}", p.actions);
        assert_eq!(p.leftovers.len(), 2);
        assert!(p.leftovers[0].contains("ACTIVATING"));
    }

    #[test]
    fn an_errored_fleet_is_deleted_and_a_gone_fleet_is_skipped() {
        let mut f = facts();
        f.new_fleet = Some(("fleet-new".into(), "ERROR".into()));
        assert!(plan_rollback(&f).actions.contains(&Action::DeleteFleet {
            fleet_id: "fleet-new".into()
        }));
        f.new_fleet = Some(("fleet-new".into(), "TERMINATED".into()));
        assert_eq!(
            plan_rollback(&f).actions,
            vec![Action::DeleteBuild {
                build_id: "build-new".into()
            }]
        );
    }

    #[test]
    fn nothing_created_means_nothing_to_undo() {
        let mut f = facts();
        f.new_fleet = None;
        f.created_build = None;
        assert_eq!(
            plan_rollback(&f),
            RollbackPlan {
                actions: vec![],
                leftovers: vec![]
            }
        );
    }

    #[test]
    fn after_the_swap_nothing_moves_and_the_old_fleet_is_reported() {
        let mut f = facts();
        f.committed = true;
        f.alias_fleet = Some("fleet-new".into());
        let p = plan_rollback(&f);
        assert!(p.actions.is_empty());
        assert!(p.leftovers[0].contains("stays on the new fleet fleet-new"));
    }
}
