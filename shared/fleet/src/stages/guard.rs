//! What every stage after validate checks first: this execution still holds the alias
//! lock (else it must not act on the alias), and no operator asked it to stop. A cancel
//! stops the stages up to and including the drain; after the drain only the delete of
//! the drained old fleet is left, which goes on.

use crate::error::FleetError;
use crate::fleet::Fleet;
use crate::lock;
use crate::state::ExecutionState;

/// Where in the workflow a stage is, for what a cancel request means to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before the alias moves: a cancel rolls the replacement back.
    BeforeSwap,
    /// Draining the old fleet: a cancel stops the drain, both fleets keep serving.
    Drain,
    /// After the drain: a cancel changes nothing.
    AfterDrain,
}

/// Fails with `LockLost` when this execution no longer holds the lock, with `Cancelled`
/// when an operator asked it to stop and `phase` still stops.
pub async fn hold(fleet: &Fleet, state: &ExecutionState, phase: Phase) -> Result<(), FleetError> {
    let me = state.execution_arn()?;
    let alias_id = &state.config()?.alias_id;
    match lock::get(&fleet.dynamodb, &fleet.lock_table, alias_id).await? {
        Some(l) if l.execution_arn == me => match (&l.cancel_requested_by, phase) {
            (Some(by), Phase::BeforeSwap) => Err(FleetError::Cancelled(format!(
                "cancelled by {by} before the alias swap"
            ))),
            (Some(by), Phase::Drain) => Err(FleetError::Cancelled(format!(
                "cancelled by {by} during the drain of the old fleet, after the alias swap"
            ))),
            _ => Ok(()),
        },
        Some(l) => Err(FleetError::LockLost(format!(
            "execution {me} no longer holds the lock on alias {alias_id}: execution {} does; \
             this one changes nothing more",
            l.execution_arn
        ))),
        None => Err(FleetError::LockLost(format!(
            "execution {me} no longer holds the lock on alias {alias_id} (nobody does); \
             this one changes nothing more"
        ))),
    }
}
