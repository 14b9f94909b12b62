//! The game servers' DynamoDB table (adapter; the only module that calls DynamoDB): one
//! item per game server, one per player hold and one lease item per group.
//!
//! Key schema (also in template.yaml, `GameServersTable`): partition key `pk` (S) =
//! `group#<group>`, sort key `sk` (S) = `server#<task arn>` or `lease`.
//! Allocation is a single conditional update (`state = active AND free > 0`), so
//! concurrent allocators never hand out more slots than exist. The tick rewrites a
//! server under the condition that nobody reserved a slot since it read the item.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};

use hangar_aws::AwsError;

use crate::decision::{ServerState, ServerView};
use crate::error::GameServersError;

/// The outcome of a conditional write: `Ok(true)` written, `Ok(false)` the condition
/// did not hold, `Err` any other failure.
fn written<T>(result: Result<T, AwsError>) -> Result<bool, GameServersError> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.is_condition_failed() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// One game server (an ECS task) as stored.
///
/// Items are kept small: the task ARN lives only in `sk`, and flags and counters that
/// are mostly false or zero are left out while they are (absent reads as false / 0).
/// Every tick and every allocation reads all items of the group, so item size is what
/// those reads cost (DynamoDB read units; moto serialises every attribute value).
/// `reserved` and `free` are always present: conditional writes compare them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRecord {
    pub pk: String,
    /// `server#<task arn>`; see [`ServerRecord::task_arn`].
    pub sk: String,
    /// Game address host (the task's private IP); absent until ECS assigned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub port: u16,
    pub state: ServerState,
    pub capacity: u32,
    /// Free slots the server reported at its last successful probe.
    pub reported_free: u32,
    /// Slots handed out since, not yet seen as players by the server.
    pub reserved: u32,
    /// Slots the allocator may still hand out: `reported_free - reserved`.
    pub free: u32,
    #[serde(default, skip_serializing_if = "is_false")]
    pub ready_to_close: bool,
    /// Consecutive failed probes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures: u32,
    #[serde(default, skip_serializing_if = "is_false")]
    pub protected: bool,
    /// When the scale-in protection we set ends (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub protected_until_ms: u64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub in_service: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_reserved_at_ms: u64,
    pub updated_at_ms: u64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

impl ServerRecord {
    pub fn new(
        group: &str,
        task_arn: &str,
        host: Option<String>,
        port: u16,
        in_service: bool,
        now_ms: u64,
    ) -> Self {
        ServerRecord {
            pk: group_key(group),
            sk: server_key(task_arn),
            host,
            port,
            state: ServerState::Launching,
            capacity: 0,
            reported_free: 0,
            reserved: 0,
            free: 0,
            ready_to_close: false,
            failures: 0,
            protected: false,
            protected_until_ms: 0,
            in_service,
            last_reserved_at_ms: 0,
            updated_at_ms: now_ms,
        }
    }

    /// The ECS task behind this server.
    pub fn task_arn(&self) -> &str {
        self.sk.strip_prefix(SERVER_PREFIX).unwrap_or(&self.sk)
    }

    /// ECS has reported this task RUNNING: the scaler probes only tasks ECS describes as
    /// RUNNING, and a server leaves `Launching` only through a probe. A task leaves
    /// RUNNING only by stopping, and stopping sets its desired status to STOPPED, so
    /// while ListTasks (desired status RUNNING) names it, it needs no DescribeTasks.
    pub fn seen_running(&self) -> bool {
        self.state != ServerState::Launching
    }

    pub fn address(&self) -> Option<String> {
        self.host.as_ref().map(|h| format!("{h}:{}", self.port))
    }

    pub fn view(&self) -> ServerView {
        ServerView {
            id: self.task_arn().to_string(),
            state: self.state,
            capacity: self.capacity,
            free: self.free,
            ready_to_close: self.ready_to_close,
            protected: self.protected,
            protection_expiring: false,
            in_service: self.in_service,
        }
    }
}

/// The slot a player was last handed, so repeated requests get the same one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerHold {
    pub pk: String,
    pub sk: String,
    pub player: String,
    pub task_arn: String,
    pub address: String,
    pub expires_at_ms: u64,
    /// DynamoDB TTL (epoch seconds): expired holds are deleted a day later.
    pub ttl: u64,
}

impl PlayerHold {
    pub fn new(
        group: &str,
        player: &str,
        task_arn: &str,
        address: &str,
        expires_at_ms: u64,
    ) -> Self {
        PlayerHold {
            pk: group_key(group),
            sk: player_key(player),
            player: player.into(),
            task_arn: task_arn.into(),
            address: address.into(),
            expires_at_ms,
            ttl: expires_at_ms / 1000 + 86_400,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct LeaseItem {
    pk: String,
    sk: String,
    owner: String,
    expires_at_ms: u64,
}

pub fn group_key(group: &str) -> String {
    format!("group#{group}")
}

const SERVER_PREFIX: &str = "server#";

pub fn server_key(task_arn: &str) -> String {
    format!("{SERVER_PREFIX}{task_arn}")
}

pub fn player_key(player: &str) -> String {
    format!("player#{player}")
}

const LEASE_SK: &str = "lease";

/// Creates the table with the schema template.yaml declares (tests, `hangar dev`); a
/// table of that name that already exists is left as it is.
pub async fn create_table(client: &Client, table: &str) -> Result<(), GameServersError> {
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(GameServersError::request("CreateTable"))
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .map_err(GameServersError::request("CreateTable"))
    };
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk")?)
        .attribute_definitions(attr("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), CreateTableError::ResourceInUseException(_)) =>
        {
            return Ok(())
        }
        Err(e) => return Err(AwsError::new("CreateTable", e).into()),
    }
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name("ttl")
        .enabled(true)
        .build()
        .map_err(GameServersError::request("UpdateTimeToLive"))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| AwsError::new("UpdateTimeToLive", e))?;
    Ok(())
}

/// The servers and lease of one group in one table.
#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
    group: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>, group: impl Into<String>) -> Self {
        Store {
            client,
            table: table.into(),
            group: group.into(),
        }
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Takes the group's lease for `ttl_ms` unless another owner holds an unexpired one.
    pub async fn acquire_lease(
        &self,
        owner: &str,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<bool, GameServersError> {
        let item = serde_dynamo::to_item(LeaseItem {
            pk: group_key(&self.group),
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
            .key("pk", AttributeValue::S(group_key(&self.group)))
            .key("sk", AttributeValue::S(LEASE_SK.into()))
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":me", AttributeValue::S(owner.into()))
            .send()
            .await;
        written(r.map_err(|e| AwsError::new("DeleteItem", e))).map(|_| ())
    }

    /// Every server of the group (strongly consistent, all pages).
    pub async fn servers(&self) -> Result<Vec<ServerRecord>, GameServersError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let r = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("pk = :pk AND begins_with(sk, :s)")
                .expression_attribute_values(":pk", AttributeValue::S(group_key(&self.group)))
                .expression_attribute_values(":s", AttributeValue::S(SERVER_PREFIX.into()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| AwsError::new("Query", e))?;
            for item in r.items.unwrap_or_default() {
                out.push(serde_dynamo::from_item(item)?);
            }
            match r.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok(out)
    }

    pub async fn server(&self, task_arn: &str) -> Result<Option<ServerRecord>, GameServersError> {
        let r = self
            .client
            .get_item()
            .table_name(&self.table)
            .consistent_read(true)
            .key("pk", AttributeValue::S(group_key(&self.group)))
            .key("sk", AttributeValue::S(server_key(task_arn)))
            .send()
            .await
            .map_err(|e| AwsError::new("GetItem", e))?;
        Ok(match r.item {
            Some(i) => Some(serde_dynamo::from_item(i)?),
            None => None,
        })
    }

    /// Writes a server the tick has looked at. A new server is created only if absent;
    /// an existing one only if its reservation count is still `seen_reserved` (no slot
    /// was handed out since the tick read it). `Ok(false)` means: re-read and retry.
    pub async fn save(
        &self,
        record: &ServerRecord,
        seen_reserved: Option<u32>,
    ) -> Result<bool, GameServersError> {
        let item = serde_dynamo::to_item(record)?;
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        req = match seen_reserved {
            None => req.condition_expression("attribute_not_exists(sk)"),
            Some(n) => req
                .condition_expression("attribute_exists(sk) AND reserved = :r")
                .expression_attribute_values(":r", AttributeValue::N(n.to_string())),
        };
        written(req.send().await.map_err(|e| AwsError::new("PutItem", e)))
    }

    pub async fn delete(&self, task_arn: &str) -> Result<(), GameServersError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(group_key(&self.group)))
            .key("sk", AttributeValue::S(server_key(task_arn)))
            .send()
            .await
            .map_err(|e| AwsError::new("DeleteItem", e))?;
        Ok(())
    }

    /// Reserves one slot on an active server with room. `Ok(false)`: the server filled
    /// up, left active state or vanished meanwhile.
    pub async fn reserve_slot(
        &self,
        task_arn: &str,
        now_ms: u64,
    ) -> Result<bool, GameServersError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(group_key(&self.group)))
            .key("sk", AttributeValue::S(server_key(task_arn)))
            .update_expression(
                "SET #f = #f - :one, reserved = reserved + :one, last_reserved_at_ms = :now",
            )
            .condition_expression("attribute_exists(sk) AND #s = :active AND #f > :zero")
            .expression_attribute_names("#s", "state")
            .expression_attribute_names("#f", "free")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .expression_attribute_values(
                ":active",
                AttributeValue::S(ServerState::Active.as_str().into()),
            )
            .send()
            .await;
        written(r.map_err(|e| AwsError::new("UpdateItem", e)))
    }

    /// The player's last hold, expired or not.
    pub async fn hold(&self, player: &str) -> Result<Option<PlayerHold>, GameServersError> {
        let r = self
            .client
            .get_item()
            .table_name(&self.table)
            .consistent_read(true)
            .key("pk", AttributeValue::S(group_key(&self.group)))
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

    /// Gives back a slot taken by [`Store::reserve_slot`] that could not be handed out.
    pub async fn release_slot(&self, task_arn: &str) -> Result<(), GameServersError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(group_key(&self.group)))
            .key("sk", AttributeValue::S(server_key(task_arn)))
            .update_expression("SET #f = #f + :one, reserved = reserved - :one")
            .condition_expression("attribute_exists(sk) AND reserved > :zero")
            .expression_attribute_names("#f", "free")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .send()
            .await;
        written(r.map_err(|e| AwsError::new("UpdateItem", e))).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use super::*;

    const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task/gs/0123456789abcdef0123456789abcdef";

    fn names(item: &HashMap<String, AttributeValue>) -> BTreeSet<&str> {
        item.keys().map(String::as_str).collect()
    }

    #[test]
    fn a_quiet_server_is_stored_without_its_zero_counters_false_flags_or_a_second_arn() {
        let mut r = ServerRecord::new("g", ARN, Some("10.0.0.7".into()), 7777, false, 5);
        r.state = ServerState::Active;
        (r.capacity, r.reported_free, r.free) = (10, 10, 10);
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&r).unwrap();
        assert_eq!(
            names(&item),
            BTreeSet::from([
                "pk",
                "sk",
                "host",
                "port",
                "state",
                "capacity",
                "reported_free",
                "reserved",
                "free",
                "updated_at_ms"
            ])
        );
        let back: ServerRecord = serde_dynamo::from_item(item).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.task_arn(), ARN);
    }

    #[test]
    fn set_flags_and_counters_are_stored_and_read_back() {
        let mut r = ServerRecord::new("g", ARN, None, 7777, true, 5);
        (r.ready_to_close, r.protected, r.failures) = (true, true, 2);
        (r.protected_until_ms, r.last_reserved_at_ms) = (9, 8);
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&r).unwrap();
        for name in [
            "ready_to_close",
            "protected",
            "failures",
            "protected_until_ms",
            "in_service",
            "last_reserved_at_ms",
        ] {
            assert!(item.contains_key(name), "{name} missing");
        }
        assert!(!item.contains_key("host"));
        assert_eq!(serde_dynamo::from_item::<_, ServerRecord>(item).unwrap(), r);
    }

    #[test]
    fn items_written_with_every_attribute_and_a_task_arn_copy_still_read() {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(ServerRecord::new("g", ARN, None, 1, false, 5)).unwrap();
        for (k, v) in [
            ("task_arn", AttributeValue::S(ARN.into())),
            ("launched_at_ms", AttributeValue::N("5".into())),
            ("failures", AttributeValue::N("0".into())),
            ("protected", AttributeValue::Bool(false)),
        ] {
            item.insert(k.into(), v);
        }
        let r: ServerRecord = serde_dynamo::from_item(item).unwrap();
        assert_eq!((r.task_arn(), r.failures, r.protected), (ARN, 0, false));
    }
}
