//! `hangar fleet cancel EXECUTION`: stop a running replacement at a safe point. The
//! execution holding the alias lock is marked cancelled in the lock table; its next
//! stage reads the mark: before the swap it rolls back (alias untouched, new fleet and
//! build deleted), during the drain it stops and leaves both fleets serving. An execution
//! that holds no lock (it has not validated yet, or lost its lock) changes nothing more
//! and is stopped with StopExecution. Then the execution is followed to its end.
//!
//! Who may cancel: whoever may write the lock table and call StopExecution (the
//! template's `FleetOperatorPolicy`); anyone else is refused by IAM.

use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::Value;

use super::aws::{aws_error, follow_execution, follow_until_interrupted, Follow};
use super::error::FleetCliError;
use super::view::code;

/// Who asks, as the lock item records it.
fn requester() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "an operator".into());
    format!("{user} (hangar fleet cancel)")
}

pub async fn cancel(
    sfn: &aws_sdk_sfn::Client,
    ddb: &aws_sdk_dynamodb::Client,
    lock_table: &str,
    arn: &str,
) -> Result<u8, FleetCliError> {
    match request(sfn, ddb, lock_table, arn).await? {
        Requested::Marked => follow_execution(sfn, arn, Follow::Detachable).await,
        Requested::Stopped => Ok(code::ROLLED_BACK),
    }
}

/// What a cancel request did.
enum Requested {
    /// The lock holder is marked: it stops at its next stage.
    Marked,
    /// It held no lock: stopped with StopExecution, nothing to undo.
    Stopped,
}

/// Follows `arn` to its end, Ctrl-C cancelling it instead of detaching: for an endpoint
/// that ends with this process (`--local`), where a detached replacement could not go on.
/// A second Ctrl-C leaves it where it is (exit 4): the lock stays with the ended
/// execution, and the same request run again takes it over and resumes.
pub(super) async fn follow_cancelling_on_ctrl_c(
    sfn: &aws_sdk_sfn::Client,
    ddb: &aws_sdk_dynamodb::Client,
    lock_table: &str,
    arn: &str,
) -> Result<u8, FleetCliError> {
    if let Some(code) = follow_until_interrupted(sfn, arn).await? {
        return Ok(code);
    }
    eprintln!(
        "\nInterrupted: the local endpoint ends with this command, so the replacement cannot \
         go on without it; cancelling it at its next stage (Ctrl-C again leaves it where it is)"
    );
    match request(sfn, ddb, lock_table, arn).await {
        Ok(Requested::Stopped) => return Ok(code::ROLLED_BACK),
        // It ended meanwhile: its history says how.
        Ok(Requested::Marked) | Err(FleetCliError::Refused(_)) => {}
        Err(e) => return Err(e),
    }
    match follow_until_interrupted(sfn, arn).await? {
        Some(code) => Ok(code),
        None => {
            eprintln!(
                "\nLeft where it was: execution {arn} ends with this command and keeps the alias \
                 lock; run the same command again to take the lock over and resume"
            );
            Ok(code::NEEDS_A_PERSON)
        }
    }
}

/// Asks the replacement `arn` to stop at a safe point.
async fn request(
    sfn: &aws_sdk_sfn::Client,
    ddb: &aws_sdk_dynamodb::Client,
    lock_table: &str,
    arn: &str,
) -> Result<Requested, FleetCliError> {
    let described = sfn.describe_execution().execution_arn(arn).send().await;
    let d = match described {
        Ok(d) => d,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_execution_does_not_exist() || s.is_invalid_arn()) =>
        {
            return Err(FleetCliError::Refused(format!(
                "execution {arn}: no such execution"
            )))
        }
        Err(e) => return Err(aws_error("DescribeExecution")(e)),
    };
    if d.status() != &ExecutionStatus::Running {
        return Err(FleetCliError::Refused(format!(
            "execution {arn} is {}; there is nothing to cancel",
            d.status().as_str()
        )));
    }
    let input: Value = d
        .input()
        .and_then(|i| serde_json::from_str(i).ok())
        .unwrap_or(Value::Null);
    let Some(alias_id) = input["alias_id"].as_str() else {
        return Err(FleetCliError::Refused(format!(
            "execution {arn} has no alias_id in its input: not a fleet replacement"
        )));
    };
    let marked = hangar_fleet::lock::request_cancel(
        ddb,
        lock_table,
        alias_id,
        arn,
        &requester(),
        hangar_lambda::clock::now_ms(),
    )
    .await
    .map_err(|e| FleetCliError::Aws(format!("lock table {lock_table}: {e}")))?;
    if marked {
        eprintln!(
            "cancel requested: execution {arn} stops at its next stage \
             (before the swap it rolls back; during the drain both fleets keep serving)"
        );
    } else {
        // It holds no lock, so it has changed nothing it could still undo or finish.
        sfn.stop_execution()
            .execution_arn(arn)
            .error("Hangar.Cancelled")
            .cause(format!(
                "cancelled by {} before it took the alias lock",
                requester()
            ))
            .send()
            .await
            .map_err(aws_error("StopExecution"))?;
        eprintln!("execution {arn} held no alias lock yet: stopped");
        return Ok(Requested::Stopped);
    }
    Ok(Requested::Marked)
}
