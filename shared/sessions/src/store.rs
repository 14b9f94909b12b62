//! DynamoDB adapter: one table holds sessions (main item + listing copies), player
//! reservations, placements and idempotency records. Items go through `serde_dynamo`.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | session | `S#<gameSessionId>` | `S` |
//! | reservation | `S#<gameSessionId>` | `R#<playerId>` |
//! | listing copy (per property, while active) | `X[<shard>]#<n>#<key>=<value>` | `listSk` |
//! | placement | `P#<placementId>` | `P` |
//! | idempotency record | `I#<n>#<player>#<key>` | `I` |
//!
//! GSIs (sparse, projection ALL): `open` (`openPk`, `listSk`) and `active`
//! (`activePk`, `listSk`). TTL attribute: `ttl`.
//!
//! Listing partitions are sharded ([`crate::model::listing_shard`]): `OPEN`, `OPEN#1`, ...
//! `OPEN#<shards - 1>`, the same for `ACTIVE`, `PENDING` and each property's copies, so
//! writes spread over `shards` index partitions; shard 0 keeps the unsharded keys.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType,
    TimeToLiveSpecification, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use hangar_aws::AwsError;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cursor::Position;
use crate::events::PlacementEvent;
use crate::listing::Source;
use crate::model::*;
use crate::SessionsError;

pub const INDEX_OPEN: &str = "open";
pub const INDEX_ACTIVE: &str = "active";
pub const TTL_ATTRIBUTE: &str = "ttl";

/// The outcome of a conditional write: applied, or refused by its condition (nothing
/// written). Every other failure is an error.
fn conditional<T, E>(
    operation: &'static str,
    result: Result<
        T,
        aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
    >,
) -> Result<bool, SessionsError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata
        + aws_smithy_types::retry::ProvideErrorKind
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = AwsError::new(operation, e);
            if e.is_condition_failed() {
                Ok(false)
            } else {
                Err(e.into())
            }
        }
    }
}

/// A request the SDK could not build (a bug of ours, never the caller's input).
fn build_error(e: impl std::fmt::Display) -> SessionsError {
    SessionsError::Decode(format!("building a DynamoDB request: {e}"))
}

fn to_item<T: Serialize>(v: &T) -> Result<HashMap<String, AttributeValue>, SessionsError> {
    serde_dynamo::to_item(v).map_err(|e| SessionsError::Decode(e.to_string()))
}

fn from_item<T: DeserializeOwned>(
    item: HashMap<String, AttributeValue>,
) -> Result<T, SessionsError> {
    serde_dynamo::from_item(item).map_err(|e| SessionsError::Decode(e.to_string()))
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// What [`Store::insert_placement`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Both written.
    Inserted,
    /// The caller used this `Idempotency-Key` before: its record (nothing written).
    KeyTaken(IdempotencyItem),
    /// A placement with this id exists (nothing written).
    PlacementTaken,
}

/// What [`Store::reserve_seats`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    /// The seats are taken and the reservations written.
    Taken,
    /// Not enough free seats, or the session is not ACTIVE (nothing written).
    NoSeat,
    /// The player at this index of the reservations already holds one (nothing written).
    AlreadyReserved(usize),
    /// Another transaction touched the session at the same time: read again and retry.
    Conflict,
}

/// What a reservation must still be for [`Store::release_seats`] to give its seat back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held<'a> {
    /// Not yet confirmed by GameLift, and created at this time.
    Pending { created_at_millis: u64 },
    /// Confirmed with this GameLift player session.
    Confirmed { player_session_id: &'a str },
}

fn key(pk: impl Into<String>, sk: impl Into<String>) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

/// Creates the table with the key schema, GSIs and TTL the template declares.
pub async fn create_table(client: &Client, table: &str) -> Result<(), SessionsError> {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(build_error)
    };
    let key_el = |name: &str, kt: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kt)
            .build()
            .map_err(build_error)
    };
    let gsi = |name: &str, pk: &str| -> Result<GlobalSecondaryIndex, SessionsError> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key_el(pk, KeyType::Hash)?)
            .key_schema(key_el("listSk", KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(build_error)
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk")?)
        .attribute_definitions(attr("sk")?)
        .attribute_definitions(attr("openPk")?)
        .attribute_definitions(attr("activePk")?)
        .attribute_definitions(attr("listSk")?)
        .key_schema(key_el("pk", KeyType::Hash)?)
        .key_schema(key_el("sk", KeyType::Range)?)
        .global_secondary_indexes(gsi(INDEX_OPEN, "openPk")?)
        .global_secondary_indexes(gsi(INDEX_ACTIVE, "activePk")?)
        .send()
        .await
        .map_err(|e| AwsError::new("CreateTable", e))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build()
                .map_err(build_error)?,
        )
        .send()
        .await
        .map_err(|e| AwsError::new("UpdateTimeToLive", e))?;
    Ok(())
}

/// Why a transaction did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxOutcome {
    Applied,
    /// A condition failed (nothing was written).
    ConditionFailed,
    /// Another transaction touched the same items; retry.
    Conflict,
}

/// A page read from a listing index.
pub struct Page {
    pub items: Vec<SessionItem>,
    pub last_key: Option<Position>,
    /// Items DynamoDB read (ScannedCount) for this page.
    pub scanned: usize,
}

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
    /// Listing shards new rows go to and listings read (1 or more).
    shards: u32,
}

/// Where a listing query of one shard starts, in listing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edge {
    /// At the start of the index.
    Start,
    /// Past this `listSk`, which no item of the shard has (a window edge, or the key of an
    /// item in another shard): the bound is inclusive in the key condition.
    Past(String),
    /// Past this item of the shard (its key as `ExclusiveStartKey`).
    Item { key: Position, list_sk: String },
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>, shards: u32) -> Self {
        Self {
            client,
            table: table.into(),
            shards: shards.max(1),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn shards(&self) -> u32 {
        self.shards
    }

    async fn get<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, SessionsError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::new("GetItem", e))?;
        out.item.map(from_item).transpose()
    }

    /// Deletes the item with this key (nothing happens when there is none).
    async fn remove(
        &self,
        pk: impl Into<String>,
        sk: impl Into<String>,
    ) -> Result<(), SessionsError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .send()
            .await
            .map_err(|e| AwsError::new("DeleteItem", e))?;
        Ok(())
    }

    fn put(
        &self,
        item: HashMap<String, AttributeValue>,
        condition: Option<&str>,
    ) -> Result<TransactWriteItem, SessionsError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn delete(&self, pk: &str, sk: &str) -> Result<TransactWriteItem, SessionsError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<TxOutcome, SessionsError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(TxOutcome::Applied),
            Err(e) => {
                let cancelled = matches!(
                    e.as_service_error(),
                    Some(TransactWriteItemsError::TransactionCanceledException(_))
                );
                let e = AwsError::new("TransactWriteItems", e);
                if e.is_condition_failed() {
                    Ok(TxOutcome::ConditionFailed)
                } else if cancelled {
                    // Cancelled by another transaction on the same items: retry.
                    Ok(TxOutcome::Conflict)
                } else {
                    Err(e.into())
                }
            }
        }
    }

    /// Runs a transaction; `None` when it applied, else the indexes of the actions whose
    /// condition failed (empty: cancelled by a conflicting transaction, worth a retry).
    async fn transact_reasons(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<usize>>, SessionsError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(e) => {
                let failed: Option<Vec<usize>> = match e.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(c)) => Some(
                        c.cancellation_reasons()
                            .iter()
                            .enumerate()
                            .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                            .map(|(i, _)| i)
                            .collect(),
                    ),
                    _ => None,
                };
                let e = AwsError::new("TransactWriteItems", e);
                match failed {
                    Some(failed) if e.is_condition_failed() || !e.is_retryable() => {
                        Ok(Some(failed))
                    }
                    _ => Err(e.into()),
                }
            }
        }
    }

    // ---- sessions ----

    pub async fn get_session(
        &self,
        game_session_id: &str,
    ) -> Result<Option<SessionItem>, SessionsError> {
        self.get(session_pk(game_session_id), SESSION_SK).await
    }

    pub async fn get_reservation(
        &self,
        game_session_id: &str,
        player_id: &str,
    ) -> Result<Option<ReservationItem>, SessionsError> {
        self.get(session_pk(game_session_id), &reservation_sk(player_id))
            .await
    }

    /// Stores a session we did not have, with its listing copies and reservations.
    /// `Ok(false)` when the session already exists (nothing written).
    pub async fn insert_session(
        &self,
        session: &SessionItem,
        reservations: &[ReservationItem],
    ) -> Result<bool, SessionsError> {
        let mut items = vec![self.put(to_item(session)?, Some("attribute_not_exists(pk)"))?];
        for copy in session.property_copies() {
            items.push(self.put(to_item(&copy)?, None)?);
        }
        for r in reservations.iter().take(90 - items.len().min(90)) {
            items.push(self.put(to_item(r)?, None)?);
        }
        match self.transact(items).await? {
            TxOutcome::Applied => Ok(true),
            TxOutcome::ConditionFailed => Ok(false),
            TxOutcome::Conflict => Err(SessionsError::Busy(
                "another write touched the session being recorded",
            )),
        }
    }

    /// Replaces `old` by `new` if nobody wrote the session since `old` was read
    /// (same `version`); keeps listing copies in step. `Ok(false)` on a lost race.
    pub async fn replace_session(
        &self,
        old: &SessionItem,
        new: &SessionItem,
    ) -> Result<bool, SessionsError> {
        let mut new = new.clone();
        new.version = old.version + 1;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&new)?))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(old.version))
            .build()
            .map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        let new_copies = new.property_copies();
        for copy in old.property_copies() {
            if !new_copies
                .iter()
                .any(|c| c.pk == copy.pk && c.sk == copy.sk)
            {
                items.push(self.delete(&copy.pk, &copy.sk)?);
            }
        }
        for copy in &new_copies {
            items.push(self.put(to_item(copy)?, None)?);
        }
        Ok(self.transact(items).await? == TxOutcome::Applied)
    }

    /// Takes one seat per reservation and records the reservations, in one transaction:
    /// the session's counter moves only while the seats fit below its maximum and the
    /// session is ACTIVE, and each reservation is written only if its player holds none.
    /// So concurrent joins never take more seats than the session has, and a pending
    /// reservation always holds its seat (an abandoned one can give it back).
    pub async fn reserve_seats(
        &self,
        session: &SessionItem,
        reservations: &[ReservationItem],
    ) -> Result<Reserve, SessionsError> {
        let seats = reservations.len() as u32;
        let Some(most) = session.maximum_sessions.checked_sub(seats) else {
            return Ok(Reserve::NoSeat);
        };
        let take = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(&session.pk, SESSION_SK)))
            .update_expression("SET #c = #c + :n, #v = #v + :one")
            .condition_expression("#c <= :most AND #s = :active")
            .expression_attribute_names("#c", "playerSessionCount")
            .expression_attribute_names("#v", "version")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":n", n(seats))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":most", n(most))
            .expression_attribute_values(":active", s(SessionStatus::Active.as_str()))
            .build()
            .map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().update(take).build()];
        for r in reservations {
            items.push(self.put(to_item(r)?, Some("attribute_not_exists(pk)"))?);
        }
        match self.transact_reasons(items).await? {
            None => {
                self.adjust_copies(session, seats as i32).await?;
                Ok(Reserve::Taken)
            }
            Some(failed) => Ok(match failed.first() {
                Some(0) => Reserve::NoSeat,
                Some(i) => Reserve::AlreadyReserved(i - 1),
                None => Reserve::Conflict,
            }),
        }
    }

    /// Gives back the seats of `players`' reservations and removes them, in one
    /// transaction, each only while it is still as `held` says (so two requests never
    /// give back the same seat). `false` when a reservation had changed (nothing done).
    pub async fn release_seats(
        &self,
        session: &SessionItem,
        players: &[(&str, Held<'_>)],
    ) -> Result<bool, SessionsError> {
        let seats = players.len() as u32;
        let give_back = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(&session.pk, SESSION_SK)))
            .update_expression("SET #c = #c - :n, #v = #v + :one")
            .condition_expression("#c >= :n")
            .expression_attribute_names("#c", "playerSessionCount")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":n", n(seats))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(build_error)?;
        let mut deletes = Vec::new();
        for (player, held) in players {
            let mut d = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(&session.pk, reservation_sk(player))));
            d = match held {
                Held::Pending { created_at_millis } => d
                    .condition_expression(
                        "createdAtMillis = :c AND attribute_not_exists(playerSessionId)",
                    )
                    .expression_attribute_values(":c", n(created_at_millis)),
                Held::Confirmed { player_session_id } => d
                    .condition_expression("playerSessionId = :p")
                    .expression_attribute_values(":p", s(*player_session_id)),
            };
            deletes.push(
                TransactWriteItem::builder()
                    .delete(d.build().map_err(build_error)?)
                    .build(),
            );
        }
        let mut items = vec![TransactWriteItem::builder().update(give_back).build()];
        items.extend(deletes.iter().cloned());
        match self.transact_reasons(items).await? {
            None => {}
            // The counter is already lower (the reconciler took GameLift's count): remove
            // the reservations alone.
            Some(failed) if failed == [0] => {
                if self.transact_reasons(deletes).await?.is_some() {
                    return Ok(false);
                }
                return Ok(true);
            }
            Some(_) => return Ok(false),
        }
        self.adjust_copies(session, -(seats as i32)).await?;
        Ok(true)
    }

    /// Records when a confirmed reservation's GameLift player session was last checked.
    pub async fn touch_reservation(
        &self,
        game_session_id: &str,
        player_id: &str,
        checked_at_millis: u64,
    ) -> Result<(), SessionsError> {
        let u = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                session_pk(game_session_id),
                reservation_sk(player_id),
            )))
            .update_expression("SET checkedAtMillis = :t")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":t", n(checked_at_millis));
        conditional("UpdateItem", u.send().await).map(|_| ())
    }

    /// Moves the seat counter of the listing copies (they follow the main item; a copy
    /// replaced meanwhile by a server update already carries the new count).
    async fn adjust_copies(&self, session: &SessionItem, delta: i32) -> Result<(), SessionsError> {
        for copy in session.property_copies() {
            let mut u = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(&copy.pk, &copy.sk)))
                .update_expression("SET #c = #c + :d")
                .expression_attribute_names("#c", "playerSessionCount")
                .expression_attribute_values(":d", n(delta));
            u = if delta < 0 {
                u.condition_expression("attribute_exists(pk) AND #c >= :floor")
                    .expression_attribute_values(":floor", n(-delta))
            } else {
                u.condition_expression("attribute_exists(pk)")
            };
            conditional("UpdateItem", u.send().await)?;
        }
        Ok(())
    }

    /// Records the GameLift player session id on a reservation.
    pub async fn confirm_reservation(
        &self,
        game_session_id: &str,
        player_id: &str,
        player_session_id: &str,
    ) -> Result<(), SessionsError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                session_pk(game_session_id),
                reservation_sk(player_id),
            )))
            .update_expression("SET playerSessionId = :p")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":p", s(player_session_id))
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateItem", e))?;
        Ok(())
    }

    async fn conditional_update(
        &self,
        game_session_id: &str,
        update: &str,
        condition: &str,
        open: Option<u32>,
    ) -> Result<(), SessionsError> {
        let mut u = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(session_pk(game_session_id), SESSION_SK)))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":active", s(SessionStatus::Active.as_str()));
        if let Some(shard) = open {
            u = u.expression_attribute_values(":open", s(index_pk(OPEN_INDEX_PK, shard)));
        }
        conditional("UpdateItem", u.send().await).map(|_| ())
    }

    /// Takes a session that just filled up out of the `open` index (a conditional
    /// no-op otherwise).
    pub async fn close_if_full(&self, game_session_id: &str) -> Result<(), SessionsError> {
        self.conditional_update(
            game_session_id,
            "REMOVE openPk",
            "attribute_exists(openPk) AND (playerSessionCount >= maximumSessions OR #s <> :active)",
            None,
        )
        .await
    }

    /// Puts a session with a free seat again back into (its shard of) the `open` index.
    pub async fn reopen_if_free(&self, session: &SessionItem) -> Result<(), SessionsError> {
        self.conditional_update(
            &session.game_session_id,
            "SET openPk = :open",
            "attribute_exists(pk) AND attribute_not_exists(openPk) AND playerSessionCount < maximumSessions AND #s = :active",
            Some(session.list_shard),
        )
        .await
    }

    /// One page of shard `shard` of a listing index, in listing order (newest first when
    /// `descending`), from `from` up to and including `until` (a `listSk` no item has;
    /// `None`: to the end of the index), at most `limit` items.
    pub async fn list_page(
        &self,
        source: &Source,
        shard: u32,
        descending: bool,
        from: &Edge,
        until: Option<&str>,
        limit: usize,
    ) -> Result<Page, SessionsError> {
        let (index, pk_name, pk_value, sk_name) = match source {
            Source::Open => (
                Some(INDEX_OPEN),
                "openPk",
                index_pk(OPEN_INDEX_PK, shard),
                "listSk",
            ),
            Source::Active => (
                Some(INDEX_ACTIVE),
                "activePk",
                index_pk(ACTIVE_INDEX_PK, shard),
                "listSk",
            ),
            Source::Property { key, value } => (None, "pk", property_pk(key, value, shard), "sk"),
        };
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_string))
            .scan_index_forward(!descending)
            .limit(limit.clamp(1, 1000) as i32)
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", s(pk_value));
        // One sort-key condition: both ends with BETWEEN, else the one end there is.
        let lower_bound = match from {
            Edge::Past(sk) => Some(sk.as_str()),
            Edge::Start | Edge::Item { .. } => None,
        };
        let (low, high) = if descending {
            (until, lower_bound)
        } else {
            (lower_bound, until)
        };
        let condition = match (low, high) {
            (Some(low), Some(high)) => {
                q = q
                    .expression_attribute_values(":low", s(low))
                    .expression_attribute_values(":high", s(high));
                "#pk = :pk AND #sk BETWEEN :low AND :high"
            }
            (Some(low), None) => {
                q = q.expression_attribute_values(":low", s(low));
                "#pk = :pk AND #sk >= :low"
            }
            (None, Some(high)) => {
                q = q.expression_attribute_values(":high", s(high));
                "#pk = :pk AND #sk <= :high"
            }
            (None, None) => "#pk = :pk",
        };
        if low.is_some() || high.is_some() {
            q = q.expression_attribute_names("#sk", sk_name);
        }
        q = q.key_condition_expression(condition);
        if let Edge::Item { key, .. } = from {
            q = q.set_exclusive_start_key(Some(
                key.iter().map(|(k, v)| (k.clone(), s(v.clone()))).collect(),
            ));
        }
        let out = q.send().await.map_err(|e| AwsError::new("Query", e))?;
        let scanned = out.scanned_count().max(0) as usize;
        let last_key = out.last_evaluated_key.map(|k| {
            k.into_iter()
                .filter_map(|(name, v)| v.as_s().ok().map(|v| (name, v.clone())))
                .collect()
        });
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<SessionItem>, _>>()?;
        Ok(Page {
            items,
            last_key,
            scanned,
        })
    }

    /// Every item of `source`, shard after shard, in pages of `page_size`, each page
    /// handed to `each` (the reconciler's sweeps and in-memory sorts; not a listing order).
    pub async fn for_each_page<F>(
        &self,
        source: &Source,
        page_size: usize,
        mut each: F,
    ) -> Result<(), SessionsError>
    where
        F: FnMut(Page) -> Result<(), SessionsError>,
    {
        for shard in 0..self.shards {
            let mut from = Edge::Start;
            loop {
                let page = self
                    .list_page(source, shard, false, &from, None, page_size)
                    .await?;
                let next = page.last_key.clone();
                each(page)?;
                match next {
                    Some(key) => {
                        let list_sk = key
                            .get("listSk")
                            .or_else(|| key.get("sk"))
                            .cloned()
                            .unwrap_or_default();
                        from = Edge::Item { key, list_sk };
                    }
                    None => break,
                }
            }
        }
        Ok(())
    }

    // ---- placements ----

    pub async fn get_placement(
        &self,
        placement_id: &str,
    ) -> Result<Option<PlacementItem>, SessionsError> {
        self.get(placement_pk(placement_id), PLACEMENT_SK).await
    }

    /// Stores a new PENDING placement and, with an `Idempotency-Key`, its claim, in one
    /// transaction: both or neither.
    pub async fn insert_placement(
        &self,
        p: &PlacementItem,
        claim: Option<&IdempotencyItem>,
    ) -> Result<Claim, SessionsError> {
        let mut items = vec![self.put(to_item(p)?, Some("attribute_not_exists(pk)"))?];
        if let Some(c) = claim {
            items.push(self.put(to_item(c)?, Some("attribute_not_exists(pk)"))?);
        }
        loop {
            match self.transact_reasons(items.clone()).await? {
                None => return Ok(Claim::Inserted),
                Some(failed) if failed.contains(&1) => {
                    if let Some(c) = claim {
                        if let Some(existing) = self.get(c.pk.clone(), IDEMPOTENCY_SK).await? {
                            return Ok(Claim::KeyTaken(existing));
                        }
                    }
                    // The claim expired meanwhile: try again.
                }
                Some(failed) if failed.contains(&0) => return Ok(Claim::PlacementTaken),
                Some(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    }

    /// Removes a placement GameLift never placed, and its idempotency claim.
    pub async fn delete_placement(
        &self,
        placement_id: &str,
        claim_pk: Option<&str>,
    ) -> Result<(), SessionsError> {
        self.remove(placement_pk(placement_id), PLACEMENT_SK)
            .await?;
        if let Some(pk) = claim_pk {
            self.remove(pk, IDEMPOTENCY_SK).await?;
        }
        Ok(())
    }

    /// Claims the right to ask GameLift about a PENDING placement now: at most once per
    /// `interval_ms` per placement, however many readers ask. `false`: another did.
    pub async fn claim_lookup(
        &self,
        placement_id: &str,
        now_ms: u64,
        interval_ms: u64,
    ) -> Result<bool, SessionsError> {
        let u = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(placement_pk(placement_id), PLACEMENT_SK)))
            .update_expression("SET describedAtMillis = :now")
            .condition_expression(
                "attribute_exists(pk) AND #st = :pending AND (attribute_not_exists(describedAtMillis) OR describedAtMillis < :cutoff)",
            )
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":pending", s("PENDING"))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":cutoff", n(now_ms.saturating_sub(interval_ms)));
        conditional("UpdateItem", u.send().await)
    }

    /// Takes one of `per_second` tokens of the current second for `operation`, shared by
    /// every function instance: a global rate limit. `false` when they are spent.
    pub async fn take_rate_token(
        &self,
        operation: &str,
        now_ms: u64,
        per_second: u32,
    ) -> Result<bool, SessionsError> {
        let second = now_ms / 1000;
        let u = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("RATE#{operation}"), second.to_string())))
            .update_expression("ADD #n :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(#n) OR #n < :limit")
            .expression_attribute_names("#n", "taken")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(per_second))
            .expression_attribute_values(":ttl", n(second + 120));
        conditional("UpdateItem", u.send().await)
    }

    /// PENDING placements created before `before_ms`, oldest first, at most `limit`.
    /// (The oldest `limit` of every shard, merged.)
    pub async fn pending_placements(
        &self,
        before_ms: u64,
        limit: usize,
    ) -> Result<Vec<PlacementItem>, SessionsError> {
        let mut all: Vec<PlacementItem> = Vec::new();
        for shard in 0..self.shards {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(INDEX_ACTIVE)
                .key_condition_expression("activePk = :k AND listSk < :before")
                .expression_attribute_values(":k", s(index_pk(PENDING_INDEX_PK, shard)))
                .expression_attribute_values(":before", s(list_sk(before_ms, "")))
                .limit(limit.clamp(1, 1000) as i32)
                .send()
                .await
                .map_err(|e| AwsError::new("Query", e))?;
            for item in out.items.unwrap_or_default() {
                all.push(from_item(item)?);
            }
        }
        all.sort_by(|a, b| a.list_sk.cmp(&b.list_sk));
        all.truncate(limit);
        Ok(all)
    }

    /// Applies a placement event if it moves the placement forward (a higher rank).
    /// Duplicates and stale events change nothing: `Ok(false)`.
    pub async fn apply_placement_event(
        &self,
        e: &PlacementEvent,
        now_ms: u64,
        ttl_secs: u64,
    ) -> Result<bool, SessionsError> {
        let status = serde_json::to_value(e.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut set = vec![
            "#st = :st",
            "#rank = :rank",
            "eventTimeMillis = :t",
            "updatedAtMillis = :now",
            "#ttl = :ttl",
            "placementId = :pid",
            "createdAtMillis = if_not_exists(createdAtMillis, :now)",
            "creatorId = if_not_exists(creatorId, :empty)",
            "maximumSessions = if_not_exists(maximumSessions, :zero)",
        ];
        let mut u = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(placement_pk(&e.placement_id), PLACEMENT_SK)))
            .condition_expression("attribute_not_exists(#rank) OR #rank < :rank")
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#rank", "rank")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":st", s(status))
            .expression_attribute_values(":rank", n(e.status.rank()))
            .expression_attribute_values(":t", n(e.time_millis))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":ttl", n(now_ms / 1000 + ttl_secs))
            .expression_attribute_values(":pid", s(&e.placement_id))
            .expression_attribute_values(":empty", s(""))
            .expression_attribute_values(":zero", n(0));
        if let Some(f) = &e.fulfilment {
            set.push("gameSessionId = :gs");
            set.push("playerSessions = :ps");
            u = u
                .expression_attribute_values(":gs", s(&f.game_session_id))
                .expression_attribute_values(
                    ":ps",
                    AttributeValue::M(
                        f.player_sessions
                            .iter()
                            .map(|p| (p.player_id.clone(), s(&p.player_session_id)))
                            .collect(),
                    ),
                );
            if let Some(ip) = &f.ip_address {
                set.push("ipAddress = :ip");
                u = u.expression_attribute_values(":ip", s(ip));
            }
            if let Some(dns) = &f.dns_name {
                set.push("dnsName = :dns");
                u = u.expression_attribute_values(":dns", s(dns));
            }
            if let Some(port) = f.port {
                set.push("port = :port");
                u = u.expression_attribute_values(":port", n(port));
            }
        }
        let r = u
            .update_expression(format!("SET {} REMOVE activePk, listSk", set.join(", ")))
            .send()
            .await;
        conditional("UpdateItem", r)
    }
}

/// The edge right after `item` (read from its shard of `source`): its base-table key plus
/// its index key, to resume that shard from, and its `listSk`, to resume the others from.
pub fn edge_after(source: &Source, item: &SessionItem) -> Edge {
    let mut key = Position::from([
        ("pk".to_string(), item.pk.clone()),
        ("sk".to_string(), item.sk.clone()),
    ]);
    match source {
        Source::Open => {
            key.insert("openPk".into(), index_pk(OPEN_INDEX_PK, item.list_shard));
            key.insert("listSk".into(), item.list_sk.clone());
        }
        Source::Active => {
            key.insert(
                "activePk".into(),
                index_pk(ACTIVE_INDEX_PK, item.list_shard),
            );
            key.insert("listSk".into(), item.list_sk.clone());
        }
        Source::Property { .. } => {}
    }
    Edge::Item {
        key,
        list_sk: item.list_sk.clone(),
    }
}

/// Creates the table unless it exists; returns its name. Used by `hangar dev` and tests.
pub async fn ensure_table(client: &Client, table: &str) -> Result<String, SessionsError> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => Ok(table.to_string()),
        Err(_) => create_table(client, table).await.map(|_| table.to_string()),
    }
}
