//! DynamoDB adapter of the alias lock: one execution acts on an alias at a time. The
//! item, keyed by `alias_id`, names the execution that holds it (and its replacement);
//! taking it over from an execution that has ended is conditional on that execution
//! still being the holder, so two takers never both win. An operator's cancel request
//! is a mark on the item, which the holder's stages read. Release deletes the item only
//! if this execution holds it. Failed conditions are asked of
//! [`AwsError::is_condition_failed`].

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use hangar_aws::error::AwsError;
use serde::{Deserialize, Serialize};

use crate::error::FleetError;
use crate::start::LockFacts;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LockItem {
    alias_id: String,
    replacement_id: String,
    execution_arn: String,
    old_fleet_id: String,
    acquired_at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancel_requested_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancel_requested_by: Option<String>,
}

fn key(alias_id: &str) -> (String, AttributeValue) {
    (
        "alias_id".to_string(),
        AttributeValue::S(alias_id.to_string()),
    )
}

pub async fn get(c: &Client, table: &str, alias_id: &str) -> Result<Option<LockFacts>, FleetError> {
    let (k, v) = key(alias_id);
    let out = c
        .get_item()
        .table_name(table)
        .key(k, v)
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| AwsError::new("GetItem", e))?;
    let Some(item) = out.item else {
        return Ok(None);
    };
    let item: LockItem = serde_dynamo::from_item(item).map_err(|e| {
        FleetError::Malformed(format!(
            "lock item for {alias_id} in {table} is malformed: {e}"
        ))
    })?;
    Ok(Some(LockFacts {
        replacement_id: item.replacement_id,
        execution_arn: item.execution_arn,
        old_fleet_id: item.old_fleet_id,
        acquired_at_ms: item.acquired_at_ms,
        cancel_requested_by: item.cancel_requested_at_ms.map(|_| {
            item.cancel_requested_by
                .unwrap_or_else(|| "an operator".into())
        }),
    }))
}

/// The lock this execution asks for.
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    pub alias_id: &'a str,
    pub replacement_id: &'a str,
    pub execution_arn: &'a str,
    pub old_fleet_id: &'a str,
    pub now_ms: u64,
    /// The ended execution whose lock this one takes over; `None`: the alias is unlocked.
    pub takes_over: Option<&'a str>,
}

/// Takes the lock for `claim.execution_arn` (free, or held by the ended execution
/// `claim.takes_over`). A holder that changed in between (someone else took it, or
/// released it) is a contention the state machine retries; this execution already
/// holding it (a retried validate) succeeds.
pub async fn acquire(c: &Client, table: &str, claim: &Claim<'_>) -> Result<(), FleetError> {
    let item = LockItem {
        alias_id: claim.alias_id.to_string(),
        replacement_id: claim.replacement_id.to_string(),
        execution_arn: claim.execution_arn.to_string(),
        old_fleet_id: claim.old_fleet_id.to_string(),
        acquired_at_ms: claim.now_ms,
        cancel_requested_at_ms: None,
        cancel_requested_by: None,
    };
    let item = serde_dynamo::to_item(item)
        .map_err(|e| FleetError::Malformed(format!("cannot encode the lock item: {e}")))?;
    let put = c.put_item().table_name(table).set_item(Some(item));
    let put = match claim.takes_over {
        None => put.condition_expression("attribute_not_exists(alias_id)"),
        Some(stale) => put
            .condition_expression("execution_arn = :stale")
            .expression_attribute_values(":stale", AttributeValue::S(stale.to_string())),
    };
    match put.send().await.map_err(|e| AwsError::new("PutItem", e)) {
        Ok(_) => Ok(()),
        Err(e) if e.is_condition_failed() => match get(c, table, claim.alias_id).await? {
            Some(held) if held.execution_arn == claim.execution_arn => Ok(()),
            _ => Err(FleetError::Contended(format!(
                "the lock on alias {} changed while taking it; retry",
                claim.alias_id
            ))),
        },
        Err(e) => Err(e.into()),
    }
}

/// Marks the lock held by `execution_arn` as cancelled by `by`. Returns false when that
/// execution does not hold the lock (nothing was marked).
pub async fn request_cancel(
    c: &Client,
    table: &str,
    alias_id: &str,
    execution_arn: &str,
    by: &str,
    now_ms: u64,
) -> Result<bool, FleetError> {
    let (k, v) = key(alias_id);
    let updated = c
        .update_item()
        .table_name(table)
        .key(k, v)
        .update_expression("SET cancel_requested_at_ms = :at, cancel_requested_by = :by")
        .condition_expression("execution_arn = :me")
        .expression_attribute_values(":at", AttributeValue::N(now_ms.to_string()))
        .expression_attribute_values(":by", AttributeValue::S(by.to_string()))
        .expression_attribute_values(":me", AttributeValue::S(execution_arn.to_string()))
        .send()
        .await
        .map_err(|e| AwsError::new("UpdateItem", e));
    match updated {
        Ok(_) => Ok(true),
        Err(e) if e.is_condition_failed() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Releases the lock if `execution_arn` holds it. Returns whether it did.
pub async fn release(
    c: &Client,
    table: &str,
    alias_id: &str,
    execution_arn: &str,
) -> Result<bool, FleetError> {
    let (k, v) = key(alias_id);
    let deleted = c
        .delete_item()
        .table_name(table)
        .key(k, v)
        .condition_expression("execution_arn = :me")
        .expression_attribute_values(":me", AttributeValue::S(execution_arn.to_string()))
        .send()
        .await
        .map_err(|e| AwsError::new("DeleteItem", e));
    match deleted {
        Ok(_) => Ok(true),
        Err(e) if e.is_condition_failed() => Ok(false),
        Err(e) => Err(e.into()),
    }
}
