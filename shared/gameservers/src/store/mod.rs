//! The game servers' DynamoDB table (adapter; the only module that calls DynamoDB).
//!
//! Key schema (also in template.yaml, `GameServersTable`): partition key `pk` (S) =
//! `group#<group>`, sort key `sk` (S) = `server#<task arn>` ([`servers`]),
//! `player#<id>` ([`holds`]) or `lease` ([`lease`]). The sparse index `open`
//! (partition `open_pk`, set only on active servers; sort `free`, N) lets an allocation
//! read a few servers with free slots instead of the whole group ([`table`]).
//!
//! Invariants: a slot is reserved by one conditional update (`state = active AND
//! free > 0`), so concurrent allocators never hand out more slots than exist; the
//! scaler rewrites a server only if its holds are still those it read.

mod holds;
mod lease;
mod servers;
mod table;

pub use holds::PlayerHold;
pub use servers::{OpenServer, ServerRecord};
pub use table::{create_table, OPEN_INDEX};

use aws_sdk_dynamodb::Client;
use hangar_aws::AwsError;

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

pub fn group_key(group: &str) -> String {
    format!("group#{group}")
}

/// The servers, holds and lease of one group in one table.
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

    fn pk(&self) -> String {
        group_key(&self.group)
    }
}
