//! The allocation API (`GET /v1/gameservers/available`, `GET /v1/gameservers`): the
//! Lambda handlers called with API Gateway v2 events, against servers a real scaler run
//! put into the table (moto ECS + simulated game servers on loopback).

use std::collections::HashMap;
use std::sync::Arc;

use hangar_gameservers::allocate::{CANDIDATES, PASSES};
use hangar_gameservers::decision::ServerState;
use hangar_gameservers::store::Store;
use hangar_gameservers::GameServers;
use hangar_tests::ecs::{self, allocator, EcsLab, Limits, Sims};

use lambda_http::{Body, Request, Response};
use serde_json::Value;

use crate::support::{allocate, body, record, request, tick, ALLOCATE_EVENT, LIST_EVENT};

/// The operator route's sample (an IAM caller), or the same request from a player or
/// from nobody.
fn list_request(caller: Option<&str>) -> Request {
    let mut v: Value = serde_json::from_str(LIST_EVENT).unwrap();
    match caller {
        Some("operator") => {}
        Some(player) => {
            v["requestContext"]["authorizer"] =
                serde_json::json!({"jwt": {"claims": {"sub": player}, "scopes": null}})
        }
        None => {
            v["requestContext"]
                .as_object_mut()
                .unwrap()
                .remove("authorizer");
        }
    }
    lambda_http::request::from_str(&v.to_string()).unwrap()
}

/// `servers` game servers with `capacity` slots each, probed into the table by one run.
/// Reserved slots wait ten minutes for their players here, so no reservation lapses
/// while a test (on a loaded machine) is still handing out slots.
async fn fleet(servers: i32, capacity: u32) -> (EcsLab, GameServers, Store) {
    let lab = ecs::lab(capacity).await;
    lab.run_tasks(servers, None, true).await.unwrap();
    let n = servers as u32;
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 0,
            down: 100_000,
            min: n,
            max: n,
        },
        &[("RESERVATION_HOLD_SECONDS", "600")],
    )
    .await;
    tick(&scaler).await;
    (lab, scaler, store)
}

#[tokio::test]
async fn hundred_concurrent_allocations_against_forty_free_slots_give_exactly_forty() {
    let (lab, scaler, store) = fleet(4, 10).await;
    let app = Arc::new(allocator(&lab, &store, &[]).await);

    let calls = (0..100).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            hangar_gameservers::api::allocate(
                &app,
                request(ALLOCATE_EVENT, Some(&format!("player-{i}"))),
            )
            .await
        })
    });
    let responses: Vec<Response<Body>> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let ok: Vec<&Response<Body>> = responses.iter().filter(|r| r.status() == 200).collect();
    let unavailable: Vec<&Response<Body>> =
        responses.iter().filter(|r| r.status() == 503).collect();
    assert_eq!(ok.len(), 40);
    assert_eq!(unavailable.len(), 60);
    assert!(unavailable
        .iter()
        .all(|r| r.headers()["retry-after"] == "5"));
    assert_eq!(body(unavailable[0])["error"]["code"], "ServiceUnavailable");

    let mut per_server: HashMap<String, u32> = HashMap::new();
    for r in &ok {
        let b = body(r);
        assert_eq!(b["backup"], false);
        *per_server
            .entry(b["address"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let expected: HashMap<String, u32> = lab
        .servers()
        .iter()
        .map(|(_, s)| (s.addr.to_string(), 10))
        .collect();
    assert_eq!(
        per_server, expected,
        "every slot handed out once, none twice"
    );
    for r in store.servers().await.unwrap() {
        assert_eq!((r.free, r.reserved), (0, 10));
    }

    // The servers still report 10 free (nobody connected yet): reservations hold across
    // a scaler run, so no slot is handed out a second time.
    tick(&scaler).await;
    let again =
        hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some("late"))).await;
    assert_eq!(again.status(), 503);
}

#[tokio::test]
async fn reservations_are_released_as_players_arrive() {
    let (lab, scaler, store) = fleet(1, 4).await;
    let app = allocator(&lab, &store, &[]).await;
    for p in ["a", "b", "c"] {
        assert_eq!(
            hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some(p)))
                .await
                .status(),
            200
        );
    }
    // Two of the three arrive: the server reports 2 free; one reservation is outstanding.
    lab.servers()[0].1.set_free(2);
    tick(&scaler).await;
    let r = &store.servers().await.unwrap()[0];
    assert_eq!((r.reported_free, r.reserved, r.free), (2, 1, 1));
    assert_eq!(
        hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some("d")))
            .await
            .status(),
        200
    );
    assert_eq!(
        hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some("e")))
            .await
            .status(),
        503
    );
}

#[tokio::test]
async fn backup_server_is_answered_when_every_server_is_full() {
    let (lab, _scaler, store) = fleet(1, 2).await;
    let app = allocator(
        &lab,
        &store,
        &[("BACKUP_SERVER", "backup.example.net:7777")],
    )
    .await;
    for p in ["a", "b"] {
        let r = hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some(p))).await;
        assert_eq!(body(&r)["backup"], false);
    }
    let r = hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some("c"))).await;
    assert_eq!(r.status(), 200);
    let b = body(&r);
    assert_eq!(
        (b["address"].as_str(), b["backup"].as_bool()),
        (Some("backup.example.net:7777"), Some(true))
    );
    assert!(b["taskArn"].is_null());
}

#[tokio::test]
async fn standby_and_unhealthy_servers_are_never_handed_out() {
    let lab = ecs::lab(10).await;
    let arns = lab.run_tasks(3, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 1,
            down: 12,
            min: 0,
            max: 3,
        },
        &[("PROBE_FAILURE_THRESHOLD", "1")],
    )
    .await;
    lab.server(&arns[0]).set_free(2);
    lab.server(&arns[1]).set_free(10);
    lab.server(&arns[2]).set_free(3);
    tick(&scaler).await; // 15 free > 12: arns[1] (emptiest) to standby
    assert_eq!(
        store.server(&arns[1]).await.unwrap().unwrap().state,
        ServerState::Standby
    );
    lab.server(&arns[2]).set_healthy(false);
    tick(&scaler).await; // arns[2] fails its probe: unhealthy, stopped
    assert!(store
        .server(&arns[2])
        .await
        .unwrap()
        .is_none_or(|r| r.state == ServerState::Unhealthy));

    let app = allocator(&lab, &store, &[]).await;
    let only = lab.server(&arns[0]).addr.to_string();
    let mut handed = Vec::new();
    for player in 0..20 {
        let player = format!("p{player}");
        let r =
            hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some(&player))).await;
        if r.status() != 200 {
            assert_eq!(r.status(), 503);
            break;
        }
        handed.push(body(&r)["address"].as_str().unwrap().to_string());
    }
    assert_eq!(
        handed,
        vec![only.clone(), only],
        "only the active server's 2 slots"
    );
}

#[tokio::test]
async fn packing_fills_the_fullest_server_first_and_spread_the_emptiest() {
    let lab = ecs::lab(10).await;
    let arns = lab.run_tasks(2, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 0,
            down: 1000,
            min: 0,
            max: 2,
        },
        &[],
    )
    .await;
    lab.server(&arns[0]).set_free(3);
    lab.server(&arns[1]).set_free(7);
    tick(&scaler).await;
    let addr = |arn: &str| lab.server(arn).addr.to_string();

    let packing = allocator(&lab, &store, &[("ALLOCATION_STRATEGY", "packing")]).await;
    let r = hangar_gameservers::api::allocate(&packing, request(ALLOCATE_EVENT, Some("p"))).await;
    assert_eq!(body(&r)["address"], Value::String(addr(&arns[0])));

    let spread = allocator(&lab, &store, &[("ALLOCATION_STRATEGY", "spread")]).await;
    let r = hangar_gameservers::api::allocate(&spread, request(ALLOCATE_EVENT, Some("q"))).await;
    assert_eq!(body(&r)["address"], Value::String(addr(&arns[1])));
}

#[tokio::test]
async fn allocation_refuses_callers_without_a_player_token_and_listing_callers_without_iam() {
    let (lab, _scaler, store) = fleet(1, 5).await;
    let app = allocator(&lab, &store, &[]).await;
    let r = hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, None)).await;
    assert_eq!(r.status(), 401);
    assert_eq!(body(&r)["error"]["code"], "Unauthorized");
    assert_eq!(
        store.servers().await.unwrap()[0].reserved,
        0,
        "nothing reserved for a refused caller"
    );

    let list = allocator(&lab, &store, &[]).await;
    assert_eq!(
        hangar_gameservers::api::list(&list, list_request(None))
            .await
            .status(),
        401
    );

    // A game server (IAM caller) may not take player slots either.
    let mut v: Value = serde_json::from_str(ALLOCATE_EVENT).unwrap();
    v["requestContext"]["authorizer"] = serde_json::json!({"iam": {"userArn": "arn:aws:sts::123456789012:assumed-role/gs/i-1", "callerId": "AROA:i-1"}});
    let r = hangar_gameservers::api::allocate(
        &app,
        lambda_http::request::from_str(&v.to_string()).unwrap(),
    )
    .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn operators_list_every_server_with_its_task_and_the_free_addresses_and_players_see_neither()
{
    let (lab, _scaler, store) = fleet(2, 8).await;
    let app = allocator(&lab, &store, &[]).await;
    let handed =
        body(&hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some("p"))).await);
    assert_eq!(
        handed.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["address", "backup"],
        "a player is handed an address, nothing about the task behind it"
    );

    let list = allocator(&lab, &store, &[]).await;
    let player = hangar_gameservers::api::list(&list, list_request(Some("viewer"))).await;
    assert_eq!(player.status(), 200);
    let seen = body(&player);
    let text = seen.to_string();
    assert!(
        !text.contains("arn:aws:ecs") && !text.contains("127."),
        "no task ARN or address for players: {text}"
    );
    assert_eq!(seen["freeSlots"], 15);
    assert_eq!(seen["servers"].as_array().unwrap().len(), 2);
    for s in seen["servers"].as_array().unwrap() {
        let mut keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["capacity", "free", "players", "state"]);
    }
    let r = hangar_gameservers::api::list(&list, list_request(Some("operator"))).await;
    assert_eq!(r.status(), 200);
    let servers = body(&r)["servers"].as_array().unwrap().clone();
    assert_eq!(servers.len(), 2);
    let arns: Vec<String> = lab.servers().into_iter().map(|(a, _)| a).collect();
    for s in &servers {
        assert!(arns.contains(&s["taskArn"].as_str().unwrap().to_string()));
        assert_eq!(s["state"], "active");
        assert_eq!(s["capacity"], 8);
        assert_eq!(s["players"], 0);
    }
    let reserved: u64 = servers
        .iter()
        .map(|s| s["reserved"].as_u64().unwrap())
        .sum();
    let free: u64 = servers.iter().map(|s| s["free"].as_u64().unwrap()).sum();
    assert_eq!((reserved, free), (1, 15));
    let mut available: Vec<String> = body(&r)["available"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    available.sort();
    let mut addresses: Vec<String> = lab
        .servers()
        .iter()
        .map(|(_, s)| s.addr.to_string())
        .collect();
    addresses.sort();
    assert_eq!(available, addresses, "both servers still have a free slot");
}

#[tokio::test]
async fn a_player_asking_again_gets_the_same_slot_not_a_second_one() {
    let (lab, _scaler, store) = fleet(1, 20).await;
    let app = allocator(&lab, &store, &[]).await;
    let first = body(
        &hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some("alice"))).await,
    );
    for _ in 0..3 {
        let again = body(
            &hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some("alice"))).await,
        );
        assert_eq!(again, first);
    }
    assert_eq!(
        store.servers().await.unwrap()[0].reserved,
        1,
        "one slot for alice however often she asks"
    );

    // Concurrent requests of one player also end with a single slot (the losers give
    // theirs back).
    let app = Arc::new(app);
    let calls = (0..10).map(|_| {
        let app = app.clone();
        tokio::spawn(async move {
            hangar_gameservers::api::allocate(&app, request(ALLOCATE_EVENT, Some("bob"))).await
        })
    });
    let answers: Vec<Value> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| body(&r.unwrap()))
        .collect();
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    let r = &store.servers().await.unwrap()[0];
    assert_eq!((r.reserved, r.free), (2, 18));
}

#[tokio::test]
async fn an_allocation_reads_a_few_items_whatever_the_size_of_the_fleet() {
    let (lab, _scaler, store) = fleet(24, 3).await;
    let app = allocator(&lab, &store, &[]).await;
    let per_allocation = 1 + CANDIDATES as u64; // the player's hold, one page of the open index
    for player in 0..6 {
        let (before, _) = lab.dynamodb_reads();
        let r = allocate(&app, &format!("p{player}")).await;
        assert_eq!(r.status(), 200);
        let (after, _) = lab.dynamodb_reads();
        assert!(
            after - before <= per_allocation,
            "allocation {player} read {} items of a 24-server fleet",
            after - before
        );
    }
    // Full: at most every pass over the open index, never the whole group per pass.
    let app = allocator(&lab, &store, &[]).await;
    for r in store.servers().await.unwrap() {
        let mut full = r.clone();
        full.free = 0;
        assert!(store.save(&full, Some(&r.holds)).await.unwrap());
    }
    let (before, _) = lab.dynamodb_reads();
    assert_eq!(allocate(&app, "late").await.status(), 503);
    let (after, _) = lab.dynamodb_reads();
    assert!(
        after - before <= 2,
        "nothing free in the index: {} items",
        after - before
    );
    assert!(PASSES as u64 * CANDIDATES as u64 + 2 < 24);
}

#[tokio::test]
async fn each_reserved_slot_waits_for_its_own_player_and_lapses_on_its_own() {
    let (lab, scaler, store) = fleet(1, 4).await;
    let app = allocator(&lab, &store, &[("RESERVATION_HOLD_SECONDS", "6")]).await;
    let first = std::time::Instant::now();
    assert_eq!(allocate(&app, "early").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(allocate(&app, "late").await.status(), 200);
    let arn = lab.servers()[0].0.clone();
    assert_eq!(record(&store, &arn).await.reserved, 2);

    // Past the early hold, within the late one; neither player connected. A hold per
    // server would keep both (the last reservation is recent); each slot keeps its own.
    tokio::time::sleep(std::time::Duration::from_millis(6_500).saturating_sub(first.elapsed()))
        .await;
    tick(&scaler).await;
    let r = record(&store, &arn).await;
    assert_eq!((r.reserved, r.free, r.holds.len()), (1, 3, 1), "{r:?}");
    assert!(
        first.elapsed() < std::time::Duration::from_secs(9),
        "the late hold was still due when the run checked it"
    );
}
