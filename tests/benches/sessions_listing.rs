//! Listing cost at scale: DynamoDB items read per item returned, for the default listing
//! (active sessions with a free seat) and listings by one property, at 100,000 sessions.
//! Items read are DynamoDB's ScannedCount of every Query the listing made.
//!
//! ```sh
//! AWS_ENDPOINT_URL=http://127.0.0.1:5013 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
//!   AWS_REGION=us-east-1 cargo bench -p hangar-tests --bench sessions_listing --profile dev
//! ```
//! BENCH_SESSIONS (100000), BENCH_PAGES (20), LISTING_SHARDS (4) and BENCH_CASES (all;
//! a comma-separated list of case numbers, 1 to 7) change the shape.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use futures::stream::{self, StreamExt};
use hangar_sessions::config::{self, Need};
use hangar_sessions::model::{listing_shard, session_pk, SessionItem, SessionStatus, SESSION_SK};
use hangar_sessions::store::ensure_table;
use hangar_sessions::Sessions;

const MODES: usize = 10;

fn session(i: usize, shards: u32) -> SessionItem {
    let id = format!("arn:aws:gamelift:us-east-1::gamesession/fleet-bench/gsess-{i:07}");
    let list_shard = listing_shard(&id, shards);
    // Deterministic spread: ~1 in 9 full, modes round-robin.
    let count = ((i * 7919) % 9) as u32;
    let mut s = SessionItem {
        pk: session_pk(&id),
        sk: SESSION_SK.into(),
        game_session_id: id.clone(),
        name: Some(format!("room-{i}")),
        status: SessionStatus::Active,
        maximum_sessions: 8,
        player_session_count: count,
        properties: [("mode".to_string(), format!("mode-{}", i % MODES))].into(),
        data: None,
        ip_address: Some("10.0.0.1".into()),
        dns_name: None,
        port: Some(7777),
        fleet_id: Some("fleet-bench".into()),
        location: None,
        placement_id: None,
        creator_id: None,
        creation_time_millis: 1_700_000_000_000 + i as u64,
        updated_at_millis: 0,
        ended_at_millis: None,
        version: 0,
        list_shard,
        open_pk: None,
        active_pk: None,
        list_sk: String::new(),
        ttl: None,
        credential_fingerprint: None,
    };
    s.refresh_index_keys();
    s
}

async fn load(client: &aws_sdk_dynamodb::Client, table: &str, n: usize, shards: u32) {
    let items: Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> = (0..n)
        .flat_map(|i| {
            let s = session(i, shards);
            let mut all = vec![s.clone()];
            all.extend(s.property_copies());
            all
        })
        .map(|s| serde_dynamo::to_item(&s).unwrap())
        .collect();
    let total = items.len();
    let chunks: Vec<Vec<_>> = items.chunks(25).map(|c| c.to_vec()).collect();
    stream::iter(chunks)
        .for_each_concurrent(8, |chunk| async move {
            let mut pending: Vec<WriteRequest> = chunk
                .into_iter()
                .map(|item| {
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                        .build()
                })
                .collect();
            while !pending.is_empty() {
                let out = client
                    .batch_write_item()
                    .request_items(table, pending.clone())
                    .send()
                    .await
                    .expect("BatchWriteItem");
                pending = out
                    .unprocessed_items()
                    .and_then(|u| u.get(table))
                    .cloned()
                    .unwrap_or_default();
            }
        })
        .await;
    println!("loaded {n} sessions ({total} items with listing copies)");
}

async fn measure(
    s: &Sessions,
    label: &str,
    filter: Option<&str>,
    sort: Option<&str>,
    limit: &str,
    pages: usize,
) {
    let mut cursor: Option<String> = None;
    let (mut read, mut returned) = (0usize, 0usize);
    let started = Instant::now();
    for _ in 0..pages {
        let listed = s
            .list(filter, sort, Some(limit), cursor.as_deref())
            .await
            .expect("list");
        read += listed.items_read;
        returned += listed.view.sessions.len();
        cursor = listed.view.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let ms = started.elapsed().as_millis();
    println!(
        "| {label} | {limit} | {returned} | {read} | {:.3} | {ms} ms |",
        read as f64 / returned.max(1) as f64
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let pages: usize = std::env::var("BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let shards: u32 = std::env::var(config::LISTING_SHARDS_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(config::DEFAULT_LISTING_SHARDS);
    println!("{shards} listing shards");
    let sdk = hangar_aws::sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!(
        "bench-sessions-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    ensure_table(&client, &table).await.expect("table");
    let started = Instant::now();
    load(&client, &table, n, shards).await;
    println!("load took {} s", started.elapsed().as_secs());
    let vars = |name: &str| match name {
        config::TABLE_VAR => Some(table.clone()),
        config::CURSOR_SECRET_VAR => Some("bench-cursor-secret-of-at-least-32-bytes".to_string()),
        config::LISTING_SHARDS_VAR => Some(shards.to_string()),
        _ => None,
    };
    let sessions = Sessions::from_vars(&vars, &sdk, &[Need::CursorKey]).expect("configuration");
    println!("| listing | limit | returned | items read | read / returned | time |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let cases: [(&str, Option<&str>, Option<&str>, &str); 7] = [
        ("default (active, free seat)", None, None, "20"),
        ("default (active, free seat)", None, None, "100"),
        (
            "by one property: mode = 'mode-3'",
            Some("gameSessionProperties.mode = 'mode-3'"),
            None,
            "20",
        ),
        (
            "by one property: mode = 'mode-3'",
            Some("gameSessionProperties.mode = 'mode-3'"),
            None,
            "100",
        ),
        (
            "property AND free seat",
            Some("gameSessionProperties.mode = 'mode-3' AND hasAvailablePlayerSessions = true"),
            None,
            "100",
        ),
        (
            "property AND playerSessionCount < 2 (post-filter)",
            Some("gameSessionProperties.mode = 'mode-3' AND playerSessionCount < 2"),
            None,
            "100",
        ),
        (
            "default, newest first",
            None,
            Some("creationTimeMillis DESC"),
            "20",
        ),
    ];
    let chosen: Vec<usize> = std::env::var("BENCH_CASES")
        .ok()
        .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect())
        .unwrap_or_else(|| (1..=cases.len()).collect());
    for (i, (label, filter, sort, limit)) in cases.iter().enumerate() {
        if chosen.contains(&(i + 1)) {
            measure(&sessions, label, *filter, *sort, limit, pages).await;
        }
    }
    let _ = client.delete_table().table_name(&table).send().await;
}
