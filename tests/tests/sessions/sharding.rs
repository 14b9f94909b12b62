//! Listing over sharded index partitions, against DynamoDB on moto with the real SDK:
//! every session exactly once, in order, across pages, for every sort order; rows written
//! before sharding still listed; a cursor outliving a change of the shard count; few
//! items read per item returned.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use hangar_sessions::config::{self, Need};
use hangar_sessions::model::{listing_shard, session_pk, SessionItem, SessionStatus, SESSION_SK};
use hangar_sessions::store::ensure_table;
use hangar_sessions::Sessions;
use hangar_tests::{aws_config, unique_name};

const SECRET: &str = "sharding-test-cursor-secret-of-32-bytes";

/// Session `i`: three created each 11 ms when `bursts`, else one each 7 ms.
fn session(i: usize, shards: u32, bursts: bool) -> SessionItem {
    let id = format!("arn:aws:gamelift:us-east-1::gamesession/fleet-shard/gsess-{i:05}");
    let mut s = SessionItem {
        pk: session_pk(&id),
        sk: SESSION_SK.into(),
        list_shard: listing_shard(&id, shards),
        game_session_id: id,
        name: None,
        status: SessionStatus::Active,
        maximum_sessions: 8,
        // about one in eight full (not in the open index), seat counts spread for sorting
        player_session_count: ((i * 5) % 9).min(8) as u32,
        properties: [("mode".to_string(), format!("m{}", i % 2))].into(),
        data: None,
        ip_address: None,
        dns_name: None,
        port: None,
        fleet_id: None,
        location: None,
        placement_id: None,
        creator_id: None,
        creation_time_millis: 1_700_000_000_000
            + if bursts {
                (i as u64 / 3) * 11
            } else {
                i as u64 * 7
            },
        updated_at_millis: 0,
        ended_at_millis: None,
        version: 0,
        open_pk: None,
        active_pk: None,
        list_sk: String::new(),
        ttl: None,
        credential_fingerprint: None,
    };
    s.refresh_index_keys();
    s
}

async fn put_all(client: &aws_sdk_dynamodb::Client, table: &str, sessions: &[SessionItem]) {
    let items: Vec<HashMap<String, AttributeValue>> = sessions
        .iter()
        .flat_map(|s| {
            let mut all = vec![s.clone()];
            all.extend(s.property_copies());
            all
        })
        .map(|s| serde_dynamo::to_item(&s).unwrap())
        .collect();
    for chunk in items.chunks(25) {
        let mut pending: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        while !pending.is_empty() {
            let out = client
                .batch_write_item()
                .request_items(table, pending.clone())
                .send()
                .await
                .unwrap();
            pending = out
                .unprocessed_items()
                .and_then(|u| u.get(table))
                .cloned()
                .unwrap_or_default();
        }
    }
}

struct Lab {
    sdk: aws_config::SdkConfig,
    table: String,
    all: Vec<SessionItem>,
}

/// `count` sessions written with `shards` shards, the first `legacy` of them as rows
/// written before sharding (shard 0's unsharded keys, no `listShard`).
async fn lab(count: usize, shards: u32, legacy: usize, bursts: bool) -> Lab {
    let sdk = aws_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = ensure_table(&client, &unique_name("shards")).await.unwrap();
    let all: Vec<SessionItem> = (0..count)
        .map(|i| session(i, if i < legacy { 1 } else { shards }, bursts))
        .collect();
    put_all(&client, &table, &all).await;
    Lab { sdk, table, all }
}

impl Lab {
    fn sessions(&self, shards: u32) -> Sessions {
        let table = self.table.clone();
        let vars = move |name: &str| match name {
            config::TABLE_VAR => Some(table.clone()),
            config::CURSOR_SECRET_VAR => Some(SECRET.to_string()),
            config::LISTING_SHARDS_VAR => Some(shards.to_string()),
            _ => None,
        };
        Sessions::from_vars(&vars, &self.sdk, &[Need::CursorKey]).unwrap()
    }
}

/// Pages through a listing; the game session ids in order, items read, pages.
async fn page_through(
    s: &Sessions,
    filter: Option<&str>,
    sort: Option<&str>,
    limit: usize,
) -> (Vec<String>, usize, usize) {
    let (mut ids, mut read, mut pages) = (Vec::new(), 0, 0);
    let mut cursor: Option<String> = None;
    loop {
        let listed = s
            .list(filter, sort, Some(&limit.to_string()), cursor.as_deref())
            .await
            .unwrap();
        assert!(listed.view.sessions.len() <= limit);
        read += listed.items_read;
        pages += 1;
        ids.extend(listed.view.sessions.into_iter().map(|v| v.game_session_id));
        match listed.view.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages < 1_000, "the listing does not end");
    }
    (ids, read, pages)
}

fn ids_in(
    mut sessions: Vec<&SessionItem>,
    key: impl Fn(&SessionItem) -> (u64, String),
) -> Vec<String> {
    sessions.sort_by_key(|s| key(s));
    sessions
        .into_iter()
        .map(|s| s.game_session_id.clone())
        .collect()
}

#[tokio::test]
async fn listing_four_shards_returns_every_session_once_in_order_for_each_sort_order() {
    // 40 of the 300 rows were written before sharding: they are listed with the others.
    let lab = lab(300, 4, 40, true).await;
    let s = lab.sessions(4);
    let open: Vec<&SessionItem> = lab.all.iter().filter(|x| x.open_pk.is_some()).collect();
    let by_time = |x: &SessionItem| (x.creation_time_millis, x.list_sk.clone());

    let (ids, _, pages) = page_through(&s, None, None, 20).await;
    assert!(pages > 5);
    assert_eq!(ids, ids_in(open.clone(), by_time), "oldest first");

    let (ids, _, _) = page_through(&s, None, Some("creationTimeMillis DESC"), 20).await;
    let mut newest_first = ids_in(open.clone(), by_time);
    newest_first.reverse();
    assert_eq!(ids, newest_first, "newest first");

    let (ids, _, _) = page_through(&s, None, Some("creationTimeMillis ASC"), 7).await;
    assert_eq!(
        ids,
        ids_in(open.clone(), by_time),
        "creation time ascending"
    );

    // Sorted in memory: every shard read.
    let (ids, _, _) = page_through(&s, None, Some("playerSessionCount DESC"), 25).await;
    let mut expected = open.clone();
    expected.sort_by(|a, b| {
        b.player_session_count
            .cmp(&a.player_session_count)
            .then(a.creation_time_millis.cmp(&b.creation_time_millis))
            .then(a.game_session_id.cmp(&b.game_session_id))
    });
    let expected: Vec<String> = expected.iter().map(|x| x.game_session_id.clone()).collect();
    assert_eq!(ids, expected, "player session count, descending");

    // A property's sharded copies, and the active index.
    let (ids, _, _) = page_through(&s, Some("gameSessionProperties.mode = 'm1'"), None, 20).await;
    let m1: Vec<&SessionItem> = lab
        .all
        .iter()
        .filter(|x| x.properties.get("mode").map(String::as_str) == Some("m1"))
        .collect();
    assert_eq!(ids, ids_in(m1, by_time), "by property");
    let (ids, _, _) = page_through(
        &s,
        Some("maximumSessions = 8"),
        Some("creationTimeMillis DESC"),
        30,
    )
    .await;
    let mut all = ids_in(lab.all.iter().collect(), by_time);
    all.reverse();
    assert_eq!(ids, all, "active index, newest first");
}

#[tokio::test]
async fn a_cursor_made_under_another_shard_count_resumes_without_loss_or_repeat() {
    let lab = lab(120, 2, 0, true).await;
    let open: Vec<&SessionItem> = lab.all.iter().filter(|x| x.open_pk.is_some()).collect();
    let expected = ids_in(open, |x| (x.creation_time_millis, x.list_sk.clone()));
    let first = lab
        .sessions(2)
        .list(None, None, Some("30"), None)
        .await
        .unwrap();
    let mut ids: Vec<String> = first
        .view
        .sessions
        .into_iter()
        .map(|v| v.game_session_id)
        .collect();
    // The setting raised from 2 to 5 between two pages.
    let wider = lab.sessions(5);
    let mut cursor = first.view.next_cursor;
    while let Some(c) = cursor {
        let page = wider.list(None, None, Some("30"), Some(&c)).await.unwrap();
        ids.extend(page.view.sessions.into_iter().map(|v| v.game_session_id));
        cursor = page.view.next_cursor;
    }
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn listing_eight_shards_reads_at_most_1_1_items_per_item_returned() {
    // Sessions created apart, as in the listing benchmark. Sessions created in the same
    // millisecond in several shards cannot be told apart by a window's edge: see
    // BENCHMARKS.md for what bursts cost.
    let lab = lab(1_200, 8, 0, false).await;
    let s = lab.sessions(8);
    for (sort, limit) in [
        (None, 20),
        (None, 100),
        (Some("creationTimeMillis DESC"), 20),
    ] {
        let (ids, read, _) = page_through(&s, None, sort, limit).await;
        let ratio = read as f64 / ids.len() as f64;
        assert!(
            ratio <= 1.1,
            "{sort:?} limit {limit}: {read} items read for {} returned ({ratio:.3})",
            ids.len()
        );
    }
}
