//! Players' holds: the slot a player was last handed (`player#<id>`), so repeated
//! requests get the same slot instead of a second one.

use aws_sdk_dynamodb::types::AttributeValue;
use hangar_aws::AwsError;
use serde::{Deserialize, Serialize};

use super::{written, Store};
use crate::error::GameServersError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerHold {
    pub pk: String,
    pub sk: String,
    pub player: String,
    pub task_arn: String,
    pub address: String,
    /// The slot's hold on the server item (see [`crate::decision::Hold`]).
    #[serde(default)]
    pub hold_id: String,
    pub expires_at_ms: u64,
    /// DynamoDB TTL (epoch seconds): expired holds are deleted a day later.
    pub ttl: u64,
}

pub fn player_key(player: &str) -> String {
    format!("player#{player}")
}

impl PlayerHold {
    pub fn new(
        group: &str,
        player: &str,
        task_arn: &str,
        address: &str,
        hold_id: &str,
        expires_at_ms: u64,
    ) -> Self {
        PlayerHold {
            pk: super::group_key(group),
            sk: player_key(player),
            player: player.into(),
            task_arn: task_arn.into(),
            address: address.into(),
            hold_id: hold_id.into(),
            expires_at_ms,
            ttl: expires_at_ms / 1000 + 86_400,
        }
    }
}

impl Store {
    /// The player's last hold, expired or not.
    pub async fn hold(&self, player: &str) -> Result<Option<PlayerHold>, GameServersError> {
        let r = self
            .client
            .get_item()
            .table_name(&self.table)
            .consistent_read(true)
            .key("pk", AttributeValue::S(self.pk()))
            .key("sk", AttributeValue::S(player_key(player)))
            .send()
            .await
            .map_err(|e| AwsError::new("GetItem", e))?;
        Ok(match r.item {
            Some(i) => Some(serde_dynamo::from_item(i)?),
            None => None,
        })
    }

    /// Records a hold unless the player holds an unexpired one. `Ok(false)`: they do.
    pub async fn put_hold(&self, hold: &PlayerHold, now_ms: u64) -> Result<bool, GameServersError> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(hold)?))
            .condition_expression("attribute_not_exists(sk) OR expires_at_ms <= :now")
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .send()
            .await;
        written(r.map_err(|e| AwsError::new("PutItem", e)))
    }
}
