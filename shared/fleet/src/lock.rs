//! DynamoDB adapter of the alias lock: one replacement per alias at a time. The item is
//! keyed by `alias_id`; a run of the same replacement (resume) may take it again, any
//! other is refused. Release deletes the item only if this replacement holds it.
//! Failed conditions are asked of [`AwsError::is_condition_failed`].

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
    old_fleet_id: String,
    acquired_at_ms: u64,
}

pub async fn get(c: &Client, table: &str, alias_id: &str) -> Result<Option<LockFacts>, FleetError> {
    let out = c
        .get_item()
        .table_name(table)
        .key("alias_id", AttributeValue::S(alias_id.to_string()))
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
        old_fleet_id: item.old_fleet_id,
        acquired_at_ms: item.acquired_at_ms,
    }))
}

/// Takes the lock for `replacement_id`, or keeps it if this replacement already holds it.
pub async fn acquire(
    c: &Client,
    table: &str,
    alias_id: &str,
    replacement_id: &str,
    old_fleet_id: &str,
    now_ms: u64,
) -> Result<(), FleetError> {
    if let Some(held) = get(c, table, alias_id).await? {
        if held.replacement_id == replacement_id {
            return Ok(());
        }
        return Err(locked(alias_id, &held));
    }
    let item = LockItem {
        alias_id: alias_id.to_string(),
        replacement_id: replacement_id.to_string(),
        old_fleet_id: old_fleet_id.to_string(),
        acquired_at_ms: now_ms,
    };
    let item = serde_dynamo::to_item(item)
        .map_err(|e| FleetError::Malformed(format!("cannot encode the lock item: {e}")))?;
    let put = c
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(alias_id)")
        .send()
        .await
        .map_err(|e| AwsError::new("PutItem", e));
    match put {
        Ok(_) => Ok(()),
        Err(e) if e.is_condition_failed() => match get(c, table, alias_id).await? {
            Some(held) if held.replacement_id == replacement_id => Ok(()),
            Some(held) => Err(locked(alias_id, &held)),
            None => Err(FleetError::Contended(format!(
                "the lock on {alias_id} changed while taking it; retry"
            ))),
        },
        Err(e) => Err(e.into()),
    }
}

fn locked(alias_id: &str, held: &LockFacts) -> FleetError {
    FleetError::Locked(format!(
        "alias {alias_id} is being replaced by replacement {} (old fleet {}); wait for it to finish",
        held.replacement_id, held.old_fleet_id
    ))
}

/// Releases the lock if `replacement_id` holds it. Returns whether it did.
pub async fn release(
    c: &Client,
    table: &str,
    alias_id: &str,
    replacement_id: &str,
) -> Result<bool, FleetError> {
    let deleted = c
        .delete_item()
        .table_name(table)
        .key("alias_id", AttributeValue::S(alias_id.to_string()))
        .condition_expression("replacement_id = :me")
        .expression_attribute_values(":me", AttributeValue::S(replacement_id.to_string()))
        .send()
        .await
        .map_err(|e| AwsError::new("DeleteItem", e));
    match deleted {
        Ok(_) => Ok(true),
        Err(e) if e.is_condition_failed() => Ok(false),
        Err(e) => Err(e.into()),
    }
}
