//! The scaler's lease: one item per group, so overlapping scaler runs never act twice.

use aws_sdk_dynamodb::types::AttributeValue;
use hangar_aws::AwsError;
use serde::{Deserialize, Serialize};

use super::{written, Store};
use crate::error::GameServersError;

const LEASE_SK: &str = "lease";

#[derive(Debug, Serialize, Deserialize)]
struct LeaseItem {
    pk: String,
    sk: String,
    owner: String,
    expires_at_ms: u64,
}

impl Store {
    /// Takes the group's lease for `ttl_ms` unless another owner holds an unexpired one.
    pub async fn acquire_lease(
        &self,
        owner: &str,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<bool, GameServersError> {
        let item = serde_dynamo::to_item(LeaseItem {
            pk: self.pk(),
            sk: LEASE_SK.into(),
            owner: owner.into(),
            expires_at_ms: now_ms + ttl_ms,
        })?;
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR expires_at_ms < :now")
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .send()
            .await;
        written(r.map_err(|e| AwsError::new("PutItem", e)))
    }

    /// Gives the lease back if we still hold it.
    pub async fn release_lease(&self, owner: &str) -> Result<(), GameServersError> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(self.pk()))
            .key("sk", AttributeValue::S(LEASE_SK.into()))
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":me", AttributeValue::S(owner.into()))
            .send()
            .await;
        written(r.map_err(|e| AwsError::new("DeleteItem", e))).map(|_| ())
    }
}
