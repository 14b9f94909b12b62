//! Game servers (`server#<task arn>`): the scaler's view of each ECS task, and the
//! allocator's atomic slot reservation on it.

use aws_sdk_dynamodb::types::AttributeValue;
use hangar_aws::AwsError;
use serde::{Deserialize, Serialize};

use super::{table::OPEN_INDEX, written, Store};
use crate::decision::{Hold, ServerState, ServerView, Strategy};
use crate::error::GameServersError;

const SERVER_PREFIX: &str = "server#";

pub fn server_key(task_arn: &str) -> String {
    format!("{SERVER_PREFIX}{task_arn}")
}

/// One game server (an ECS task) as stored.
///
/// Items are kept small: the task ARN lives only in `sk`, and flags and counters that
/// are mostly false or zero are left out while they are (absent reads as false / 0).
/// Every scaler run reads all items of the group, so item size is what those reads cost.
/// `reserved` and `free` are always present: updates count on them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRecord {
    pub pk: String,
    /// `server#<task arn>`; see [`ServerRecord::task_arn`].
    pub sk: String,
    /// The host players connect to (private or public IP, as configured); absent until
    /// known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The port players connect to (the host port under bridge networking).
    #[serde(default)]
    pub port: u16,
    /// `host:port` the scaler probes (always the private address). Items written before
    /// it was stored are probed on `host` and the capacity port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
    pub state: ServerState,
    pub capacity: u32,
    /// Free slots the server reported at its last successful probe.
    pub reported_free: u32,
    /// Slots handed out since, not yet seen as players by the server (`holds.len()`).
    pub reserved: u32,
    /// Slots the allocator may still hand out: `reported_free - reserved`.
    pub free: u32,
    /// The reserved slots, each with its own expiry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holds: Vec<Hold>,
    /// Partition key of the open index: the group while the server is active and has an
    /// address, absent otherwise (so only servers that may be handed out are indexed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_pk: Option<String>,
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
    /// When the scaler first saw the task RUNNING (the start of its start-up grace).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub running_since_ms: u64,
    /// Items written before holds expired one by one: when the last slot was reserved.
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
    /// A task the scaler has just found or started; its addresses come from ECS.
    pub fn new(group: &str, task_arn: &str, in_service: bool, now_ms: u64) -> Self {
        ServerRecord {
            pk: super::group_key(group),
            sk: server_key(task_arn),
            host: None,
            port: 0,
            probe: None,
            state: ServerState::Launching,
            capacity: 0,
            reported_free: 0,
            reserved: 0,
            free: 0,
            holds: Vec::new(),
            open_pk: None,
            ready_to_close: false,
            failures: 0,
            protected: false,
            protected_until_ms: 0,
            in_service,
            running_since_ms: 0,
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

    /// `host:port` players connect to.
    pub fn address(&self) -> Option<String> {
        self.host.as_ref().map(|h| format!("{h}:{}", self.port))
    }

    /// `host:port` the scaler probes; `capacity_port` for items without a stored one.
    pub fn probe_address(&self, capacity_port: u16) -> Option<String> {
        self.probe
            .clone()
            .or_else(|| self.host.as_ref().map(|h| format!("{h}:{capacity_port}")))
    }

    /// Sets the open index's key from the state: indexed while active with an address.
    pub fn sync_index(&mut self) {
        self.open_pk =
            (self.state == ServerState::Active && self.host.is_some()).then(|| self.pk.clone());
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

/// A server of the open index: what an allocation needs to try it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OpenServer {
    sk: String,
    pub free: u32,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub port: u16,
}

impl OpenServer {
    pub fn task_arn(&self) -> &str {
        self.sk.strip_prefix(SERVER_PREFIX).unwrap_or(&self.sk)
    }

    pub fn address(&self) -> Option<String> {
        self.host.as_ref().map(|h| format!("{h}:{}", self.port))
    }
}

impl Store {
    fn server_key_of(&self, task_arn: &str) -> [(String, AttributeValue); 2] {
        [
            ("pk".into(), AttributeValue::S(self.pk())),
            ("sk".into(), AttributeValue::S(server_key(task_arn))),
        ]
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
                .expression_attribute_values(":pk", AttributeValue::S(self.pk()))
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

    /// At most `limit` active servers with a free slot, in the strategy's order (fewest
    /// free first for packing, most for spread), from the open index: an allocation
    /// reads these few items whatever the size of the fleet. The index is eventually
    /// consistent; the reservation itself checks the server item.
    pub async fn open_servers(
        &self,
        strategy: Strategy,
        limit: i32,
    ) -> Result<Vec<OpenServer>, GameServersError> {
        let r = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(OPEN_INDEX)
            .key_condition_expression("open_pk = :pk AND #f > :zero")
            .expression_attribute_names("#f", "free")
            .expression_attribute_values(":pk", AttributeValue::S(self.pk()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .scan_index_forward(strategy == Strategy::Packing)
            .limit(limit)
            .send()
            .await
            .map_err(|e| AwsError::new("Query", e))?;
        r.items
            .unwrap_or_default()
            .into_iter()
            .map(|i| serde_dynamo::from_item(i).map_err(GameServersError::from))
            .collect()
    }

    pub async fn server(&self, task_arn: &str) -> Result<Option<ServerRecord>, GameServersError> {
        let r = self
            .client
            .get_item()
            .table_name(&self.table)
            .consistent_read(true)
            .set_key(Some(self.server_key_of(task_arn).into_iter().collect()))
            .send()
            .await
            .map_err(|e| AwsError::new("GetItem", e))?;
        Ok(match r.item {
            Some(i) => Some(serde_dynamo::from_item(i)?),
            None => None,
        })
    }

    /// Writes a server the scaler has looked at, with its open-index key in step with
    /// its state. A new server is created only if absent; an existing one only if its
    /// holds are still `seen_holds` (no slot was handed out or given back since the
    /// scaler read it). `Ok(false)` means: re-read and retry.
    pub async fn save(
        &self,
        record: &ServerRecord,
        seen_holds: Option<&[Hold]>,
    ) -> Result<bool, GameServersError> {
        let mut record = record.clone();
        record.sync_index();
        let item = serde_dynamo::to_item(&record)?;
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        req = match seen_holds {
            None => req.condition_expression("attribute_not_exists(sk)"),
            Some([]) => req
                .condition_expression(
                    "attribute_exists(sk) AND (attribute_not_exists(holds) OR size(holds) = :zero)",
                )
                .expression_attribute_values(":zero", AttributeValue::N("0".into())),
            Some(holds) => req
                .condition_expression("attribute_exists(sk) AND holds = :h")
                .expression_attribute_values(":h", serde_dynamo::to_attribute_value(holds)?),
        };
        written(req.send().await.map_err(|e| AwsError::new("PutItem", e)))
    }

    pub async fn delete(&self, task_arn: &str) -> Result<(), GameServersError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(self.server_key_of(task_arn).into_iter().collect()))
            .send()
            .await
            .map_err(|e| AwsError::new("DeleteItem", e))?;
        Ok(())
    }

    /// Reserves one slot on an active server with room, adding `hold` to its holds.
    /// `Ok(false)`: the server filled up, left active state or vanished meanwhile.
    pub async fn reserve_slot(
        &self,
        task_arn: &str,
        hold: &Hold,
    ) -> Result<bool, GameServersError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.server_key_of(task_arn).into_iter().collect()))
            .update_expression(
                "SET #f = #f - :one, reserved = reserved + :one, \
                 holds = list_append(if_not_exists(holds, :none), :hold)",
            )
            .condition_expression("attribute_exists(sk) AND #s = :active AND #f > :zero")
            .expression_attribute_names("#s", "state")
            .expression_attribute_names("#f", "free")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(
                ":hold",
                AttributeValue::L(vec![serde_dynamo::to_attribute_value(hold)?]),
            )
            .expression_attribute_values(
                ":active",
                AttributeValue::S(ServerState::Active.as_str().into()),
            )
            .send()
            .await;
        written(r.map_err(|e| AwsError::new("UpdateItem", e)))
    }

    /// Gives back a slot taken by [`Store::reserve_slot`] that could not be handed out:
    /// removes hold `hold_id` (wherever the scaler's rewrites moved it in the list) and
    /// frees its slot. A hold already gone (consumed or expired) is left alone.
    pub async fn release_slot(
        &self,
        task_arn: &str,
        hold_id: &str,
    ) -> Result<(), GameServersError> {
        for attempt in 0..RELEASE_ATTEMPTS {
            if attempt > 0 {
                // Others moved the holds: let them finish before reading again.
                let jitter_ms = rand_ms(5 + 5 * attempt as u64);
                tokio::time::sleep(std::time::Duration::from_millis(jitter_ms)).await;
            }
            let Some(server) = self.server(task_arn).await? else {
                return Ok(());
            };
            let Some(index) = server.holds.iter().position(|h| h.id == hold_id) else {
                return Ok(());
            };
            let r = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(self.server_key_of(task_arn).into_iter().collect()))
                .update_expression(format!(
                    "REMOVE holds[{index}] SET #f = #f + :one, reserved = reserved - :one"
                ))
                .condition_expression(format!("holds[{index}].id = :id"))
                .expression_attribute_names("#f", "free")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":id", AttributeValue::S(hold_id.into()))
                .send()
                .await;
            if written(r.map_err(|e| AwsError::new("UpdateItem", e)))? {
                return Ok(());
            }
        }
        Err(GameServersError::Contended {
            task_arn: task_arn.to_string(),
        })
    }
}

/// How often a release re-reads a server whose holds moved under it (each concurrent
/// release that succeeds removes one contender).
const RELEASE_ATTEMPTS: usize = 16;

/// A pause of up to `max_ms`, different for concurrent callers.
fn rand_ms(max_ms: u64) -> u64 {
    u64::from(uuid::Uuid::new_v4().as_u128() as u16) % max_ms.max(1)
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
        let mut r = ServerRecord::new("g", ARN, false, 5);
        (r.host, r.port, r.probe) = (Some("10.0.0.7".into()), 7777, Some("10.0.0.7:7778".into()));
        r.state = ServerState::Active;
        (r.capacity, r.reported_free, r.free) = (10, 10, 10);
        r.sync_index();
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&r).unwrap();
        assert_eq!(
            names(&item),
            BTreeSet::from([
                "pk",
                "sk",
                "host",
                "port",
                "probe",
                "state",
                "capacity",
                "reported_free",
                "reserved",
                "free",
                "open_pk",
                "updated_at_ms"
            ])
        );
        let back: ServerRecord = serde_dynamo::from_item(item).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.task_arn(), ARN);
    }

    #[test]
    fn only_active_servers_with_an_address_are_in_the_open_index() {
        let mut r = ServerRecord::new("g", ARN, false, 5);
        r.state = ServerState::Active;
        r.sync_index();
        assert_eq!(r.open_pk, None, "no address yet");
        r.host = Some("10.0.0.7".into());
        r.sync_index();
        assert_eq!(r.open_pk.as_deref(), Some("group#g"));
        for state in [
            ServerState::Launching,
            ServerState::Standby,
            ServerState::Unhealthy,
        ] {
            r.state = state;
            r.sync_index();
            assert_eq!(r.open_pk, None, "{state:?}");
        }
    }

    #[test]
    fn set_flags_counters_and_holds_are_stored_and_read_back() {
        let mut r = ServerRecord::new("g", ARN, true, 5);
        (r.ready_to_close, r.protected, r.failures) = (true, true, 2);
        (r.protected_until_ms, r.running_since_ms) = (9, 8);
        r.holds = vec![Hold {
            id: "a".into(),
            expires_at_ms: 7,
        }];
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&r).unwrap();
        for name in [
            "ready_to_close",
            "protected",
            "failures",
            "protected_until_ms",
            "in_service",
            "running_since_ms",
            "holds",
        ] {
            assert!(item.contains_key(name), "{name} missing");
        }
        assert!(!item.contains_key("host"));
        assert_eq!(serde_dynamo::from_item::<_, ServerRecord>(item).unwrap(), r);
    }

    #[test]
    fn items_written_by_earlier_versions_still_read() {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(ServerRecord::new("g", ARN, false, 5)).unwrap();
        item.remove("port");
        for (k, v) in [
            ("task_arn", AttributeValue::S(ARN.into())),
            ("launched_at_ms", AttributeValue::N("5".into())),
            ("failures", AttributeValue::N("0".into())),
            ("protected", AttributeValue::Bool(false)),
            ("host", AttributeValue::S("10.0.0.9".into())),
            ("last_reserved_at_ms", AttributeValue::N("4".into())),
        ] {
            item.insert(k.into(), v);
        }
        let r: ServerRecord = serde_dynamo::from_item(item).unwrap();
        assert_eq!((r.task_arn(), r.failures, r.protected), (ARN, 0, false));
        assert_eq!(r.probe_address(7778).as_deref(), Some("10.0.0.9:7778"));
        assert_eq!(r.last_reserved_at_ms, 4);
    }
}
