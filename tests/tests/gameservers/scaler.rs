//! The ECS scaler against moto's ECS, with simulated game servers on loopback
//! (see `hangar_tests::ecs`). Every test has its own cluster, family and table.

use std::time::Duration;

use hangar_gameservers::decision::ServerState;
use hangar_gameservers::store::ServerRecord;
use hangar_gameservers::{TickOutcome, TickReport};
use hangar_lambda::clock::now_ms;
use hangar_tests::ecs::{self, Limits, NewServers, Sims};

use crate::support::{record, tick};

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn scales_up_under_the_upscale_margin_and_new_tasks_become_active_servers() {
    let lab = ecs::lab(10).await;
    let first = lab.run_tasks(1, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 15,
            down: 40,
            min: 0,
            max: 5,
        },
        &[],
    )
    .await;

    // 10 free < 15: one more server (ceil(5 / 10)).
    let r = tick(&scaler).await;
    assert!(r.rebuilt, "the empty table is filled from ECS");
    assert_eq!(r.servers, 1);
    assert_eq!(r.free_before, 10);
    assert_eq!(r.launched.len(), 1);
    assert_eq!(
        lab.running_tasks().await.unwrap(),
        sorted([first.clone(), r.launched.clone()].concat())
    );

    // The launched task carries the game-server tag and is found again by the next run.
    let described = lab
        .ecs
        .describe_tasks()
        .cluster(&lab.cluster)
        .tasks(&r.launched[0])
        .include(aws_sdk_ecs::types::TaskField::Tags)
        .send()
        .await
        .unwrap();
    let tags = described.tasks()[0].tags();
    assert!(
        tags.iter()
            .any(|t| t.key() == Some("game") && t.value() == Some("chess")),
        "{tags:?}"
    );

    // The new server is probed and becomes active; 20 free >= 15: nothing more to launch.
    let r2 = tick(&scaler).await;
    assert!(!r2.rebuilt);
    assert_eq!(r2.launched, Vec::<String>::new());
    assert_eq!(r2.free_before, 20);
    for arn in lab.running_tasks().await.unwrap() {
        let rec = record(&store, &arn).await;
        assert_eq!(rec.state, ServerState::Active, "{arn}");
        assert_eq!(rec.free, 10);
        let host = rec.host.clone().unwrap();
        assert!(
            host.starts_with("127."),
            "address from the task's ENI, on loopback: {host}"
        );
        assert_eq!(rec.address(), Some(lab.server(&arn).addr.to_string()));
        assert!(lab.server(&arn).probes() >= 1);
    }
}

#[tokio::test]
async fn moves_the_emptiest_server_to_standby_over_the_downscale_margin_then_stops_it_when_ready_to_close(
) {
    let lab = ecs::lab(10).await;
    let arns = lab.run_tasks(3, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 5,
            down: 15,
            min: 1,
            max: 5,
        },
        &[],
    )
    .await;
    lab.server(&arns[0]).set_free(4);
    lab.server(&arns[1]).set_free(10);
    lab.server(&arns[2]).set_free(6);

    // 20 free > 15; the emptiest (10 free) leaves 10 >= 5.
    let r = tick(&scaler).await;
    assert_eq!(r.free_before, 20);
    assert_eq!(r.standby, vec![arns[1].clone()]);
    assert!(r.launched.is_empty() && r.stopped.is_empty());
    assert_eq!(record(&store, &arns[1]).await.state, ServerState::Standby);

    // Still has players: stays in standby, keeps running.
    lab.server(&arns[1]).set_free(9);
    let r = tick(&scaler).await;
    assert!(r.stopped.is_empty() && r.standby.is_empty(), "{r:?}");
    assert_eq!(record(&store, &arns[1]).await.state, ServerState::Standby);

    // Empty and ready to close: stopped and forgotten.
    lab.server(&arns[1]).set_free(10);
    lab.server(&arns[1]).set_ready_to_close(true);
    let r = tick(&scaler).await;
    assert_eq!(r.stopped, vec![arns[1].clone()]);
    assert_eq!(
        lab.running_tasks().await.unwrap(),
        vec![arns[0].clone(), arns[2].clone()]
    );
    assert!(store.server(&arns[1]).await.unwrap().is_none());
}

#[tokio::test]
async fn steady_tick_describes_only_new_tasks_and_still_drops_a_stopped_task_unprobed() {
    let lab = ecs::lab(10).await;
    let arns = lab.run_tasks(3, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 5,
            down: 1000,
            min: 0,
            max: 10,
        },
        &[],
    )
    .await;

    // Rebuild: every task is new to the table, so every task is described.
    let r = tick(&scaler).await;
    assert_eq!((r.servers, r.described, r.probed), (3, 3, 3));
    assert_eq!(lab.described_tasks(), 3);

    // Steady: all three were seen RUNNING; ListTasks alone says they still run.
    let r = tick(&scaler).await;
    assert_eq!((r.servers, r.described, r.probed), (3, 0, 3));
    assert_eq!(
        lab.described_tasks(),
        3,
        "no DescribeTasks for known running tasks"
    );

    // One task is stopped outside the scaler, another one starts.
    lab.stop_task(&arns[0]).await.unwrap();
    let added = lab.run_tasks(1, None, true).await.unwrap();
    let r = tick(&scaler).await;
    assert_eq!(r.removed, 1, "{r:?}");
    assert_eq!(r.described, 1, "only the new task is described");
    assert_eq!(lab.described_tasks(), 4);
    assert_eq!(
        (r.servers, r.probed, r.probe_failures),
        (3, 3, 0),
        "the stopped task is neither kept nor probed"
    );
    assert!(
        store.server(&arns[0]).await.unwrap().is_none(),
        "the stopped task can no longer be handed out"
    );
    assert_eq!(record(&store, &added[0]).await.state, ServerState::Active);
}

#[tokio::test]
async fn never_launches_above_max_tasks() {
    let lab = ecs::lab(10).await;
    lab.run_tasks(1, None, true).await.unwrap();
    let (scaler, _) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 100,
            down: 200,
            min: 0,
            max: 3,
        },
        &[],
    )
    .await;
    let r = tick(&scaler).await;
    assert_eq!(
        r.launched.len(),
        2,
        "9 would cover the margin, max allows 2"
    );
    for (_, s) in lab.servers() {
        s.set_free(0);
    }
    let r = tick(&scaler).await;
    assert_eq!(r.free_before, 0);
    assert!(r.launched.is_empty(), "at max: {r:?}");
    assert_eq!(lab.running_tasks().await.unwrap().len(), 3);
}

#[tokio::test]
async fn launches_up_to_min_tasks_and_never_moves_servers_to_standby_below_it() {
    let lab = ecs::lab(10).await;
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 5,
            down: 8,
            min: 2,
            max: 4,
        },
        &[],
    )
    .await;
    let r = tick(&scaler).await;
    assert_eq!(r.launched.len(), 2, "empty cluster gets MIN_TASKS servers");
    // 20 free > 8, but a standby would leave one serving task, under the minimum.
    for _ in 0..2 {
        let r = tick(&scaler).await;
        assert!(r.standby.is_empty() && r.stopped.is_empty(), "{r:?}");
    }
    let servers = store.servers().await.unwrap();
    assert_eq!(servers.len(), 2);
    assert!(servers.iter().all(|s| s.state == ServerState::Active));
}

#[tokio::test]
async fn unhealthy_server_is_stopped_and_replaced_after_the_failure_threshold() {
    let lab = ecs::lab(10).await;
    let arns = lab.run_tasks(2, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 5,
            down: 100,
            min: 0,
            max: 5,
        },
        &[("PROBE_FAILURE_THRESHOLD", "2")],
    )
    .await;
    tick(&scaler).await;
    let sick = &arns[0];
    lab.server(sick).set_healthy(false);

    let r = tick(&scaler).await;
    assert_eq!(r.probe_failures, 1);
    assert!(r.stopped.is_empty(), "one failure is under the threshold");
    assert_eq!(record(&store, sick).await.failures, 1);
    assert_eq!(record(&store, sick).await.state, ServerState::Active);

    let r = tick(&scaler).await;
    assert_eq!(r.unhealthy, vec![sick.clone()]);
    assert_eq!(r.stopped, vec![sick.clone()]);
    assert_eq!(r.launched.len(), 1, "replaced");
    let running = lab.running_tasks().await.unwrap();
    assert!(!running.contains(sick));
    assert_eq!(
        running,
        sorted(vec![arns[1].clone(), r.launched[0].clone()])
    );
    assert!(store.server(sick).await.unwrap().is_none());
}

#[tokio::test]
async fn state_is_rebuilt_from_ecs_after_the_table_is_wiped() {
    let lab = ecs::lab(10).await;
    let servers = lab.run_tasks(3, None, true).await.unwrap();
    let untagged = lab.run_tasks(1, None, false).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 5,
            down: 100,
            min: 0,
            max: 5,
        },
        &[],
    )
    .await;
    lab.server(&servers[1]).set_free(3);
    tick(&scaler).await;
    let before: Vec<ServerRecord> = store.servers().await.unwrap();
    assert_eq!(before.len(), 3);

    for r in &before {
        store.delete(r.task_arn()).await.unwrap();
    }
    assert!(store.servers().await.unwrap().is_empty());

    let r = tick(&scaler).await;
    assert!(r.rebuilt);
    assert!(
        r.launched.is_empty(),
        "nothing launched: the running tasks were found again"
    );
    let after = store.servers().await.unwrap();
    let mut arns: Vec<String> = after.iter().map(|r| r.task_arn().to_string()).collect();
    arns.sort();
    assert_eq!(
        arns, servers,
        "only tagged tasks of the family are game servers: {untagged:?} left out"
    );
    for (b, a) in before.iter().zip(after.iter()) {
        assert_eq!(
            (a.state, a.free, a.address()),
            (ServerState::Active, b.free, b.address())
        );
    }
}

#[tokio::test]
async fn two_overlapping_scaler_runs_never_double_launch() {
    let lab = ecs::lab(10).await;
    lab.run_tasks(1, None, true).await.unwrap();
    // A slow server keeps the first run busy while the second starts.
    lab.servers()[0].1.set_delay_ms(300);
    let (scaler_a, _) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 40,
            down: 100,
            min: 0,
            max: 10,
        },
        &[],
    )
    .await;
    // A second scaler instance (another Lambda invocation) on the same table.
    let scaler_b = scaler_a.clone();

    let (a, b) = tokio::join!(scaler_a.tick(), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        scaler_b.tick().await
    });
    let outcomes = [a.unwrap(), b.unwrap()];
    let done: Vec<&TickReport> = outcomes
        .iter()
        .filter_map(|o| {
            if let TickOutcome::Done(r) = o {
                Some(r.as_ref())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(done.len(), 1, "exactly one run acts: {outcomes:?}");
    assert_eq!(done[0].launched.len(), 3);
    assert_eq!(
        lab.run_task_calls(),
        1 + 1,
        "one RunTask by the test, one by the acting run"
    );
    assert_eq!(lab.running_tasks().await.unwrap().len(), 4);

    // The lease was given back: the next run acts and launches nothing more.
    match scaler_b.tick().await.unwrap() {
        TickOutcome::Done(r) => assert!(r.launched.is_empty(), "{r:?}"),
        TickOutcome::Skipped => panic!("lease not released"),
    }
}

#[tokio::test]
async fn protects_service_tasks_with_players_from_scale_in_and_lifts_it_when_empty() {
    let lab = ecs::lab(10).await;
    let svc = lab.run_tasks(2, Some("service:lobby"), true).await.unwrap();
    let standalone = lab.run_tasks(1, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 5,
            down: 100,
            min: 0,
            max: 5,
        },
        &[("ECS_SERVICE", "lobby")],
    )
    .await;
    lab.server(&svc[0]).set_free(7);
    lab.server(&standalone[0]).set_free(2);

    let r = tick(&scaler).await;
    assert_eq!(r.protected, vec![svc[0].clone()]);
    assert_eq!(lab.protection(&svc[0]), Some(true));
    assert_eq!(lab.protection(&svc[1]), None, "no players, never protected");
    assert_eq!(
        lab.protection(&standalone[0]),
        None,
        "standalone tasks are not subject to service scale-in"
    );
    assert!(record(&store, &svc[0]).await.protected);
    assert!(record(&store, &svc[0]).await.in_service);
    let until = record(&store, &svc[0]).await.protected_until_ms;
    let hour = now_ms() + 3_600_000;
    assert!(
        until > hour - 60_000 && until <= hour,
        "protected for PROTECTION_MINUTES (60)"
    );

    // Unchanged: no new call.
    let r = tick(&scaler).await;
    assert!(r.protected.is_empty() && r.unprotected.is_empty());

    lab.server(&svc[0]).set_free(10);
    let r = tick(&scaler).await;
    assert_eq!(r.unprotected, vec![svc[0].clone()]);
    assert_eq!(lab.protection(&svc[0]), Some(false));
    assert!(!record(&store, &svc[0]).await.protected);
}

#[tokio::test]
async fn probes_run_concurrently_within_the_configured_bound() {
    let lab = ecs::lab(10).await;
    lab.set_new_servers(NewServers {
        delay_ms: 200,
        ..NewServers::with_capacity(10)
    });
    lab.run_tasks(10, None, true).await.unwrap();
    let (scaler, _) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 5,
            down: 1000,
            min: 0,
            max: 20,
        },
        &[("PROBE_CONCURRENCY", "5"), ("PROBE_TIMEOUT_MS", "2000")],
    )
    .await;
    let r = tick(&scaler).await;
    assert_eq!((r.probed, r.probe_failures), (10, 0));
    let peak = lab.peak_concurrent_probes();
    assert!(peak > 1 && peak <= 5, "probes in flight at once: {peak}");
}

#[tokio::test]
async fn slow_servers_count_as_failed_probes_after_the_timeout() {
    let lab = ecs::lab(10).await;
    let arns = lab.run_tasks(1, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 5,
            down: 100,
            min: 0,
            max: 1,
        },
        // No start-up grace: a new server's first failed probe counts.
        &[("PROBE_TIMEOUT_MS", "100"), ("PROBE_GRACE_SECONDS", "0")],
    )
    .await;
    lab.server(&arns[0]).set_delay_ms(1000);
    let r = tick(&scaler).await;
    assert_eq!(r.probe_failures, 1);
    let rec = record(&store, &arns[0]).await;
    assert_eq!(
        (rec.state, rec.failures),
        (ServerState::Launching, 1),
        "never answered: not active"
    );

    // Never reached, so not known to run: the next run describes it again.
    let r = tick(&scaler).await;
    assert_eq!((r.described, r.probe_failures), (1, 1));
    assert_eq!(record(&store, &arns[0]).await.failures, 2);
}

#[tokio::test]
async fn standby_server_is_brought_back_before_launching_when_capacity_runs_short() {
    let lab = ecs::lab(10).await;
    let arns = lab.run_tasks(3, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 5,
            down: 15,
            min: 1,
            max: 5,
        },
        &[],
    )
    .await;
    lab.server(&arns[0]).set_free(4);
    lab.server(&arns[2]).set_free(6);
    let r = tick(&scaler).await;
    assert_eq!(r.standby, vec![arns[1].clone()]);

    // Players fill the two active servers: 1 free < 5. The standby server (10 free) comes
    // back instead of a new task being started.
    lab.server(&arns[0]).set_free(0);
    lab.server(&arns[2]).set_free(1);
    let r = tick(&scaler).await;
    assert_eq!(r.reactivated, vec![arns[1].clone()]);
    assert!(r.launched.is_empty());
    assert_eq!(record(&store, &arns[1]).await.state, ServerState::Active);
}

#[tokio::test]
async fn scheduled_event_runs_one_tick_and_a_held_lease_answers_skipped() {
    let lab = ecs::lab(10).await;
    lab.run_tasks(1, None, true).await.unwrap();
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits {
            capacity: 10,
            up: 15,
            down: 40,
            min: 0,
            max: 5,
        },
        &[],
    )
    .await;
    let event: aws_lambda_events::eventbridge::EventBridgeEvent =
        serde_json::from_str(include_str!("../../../events/ecs-scaler.json")).unwrap();
    let invoke = || async {
        serde_json::to_value(
            hangar_gameservers::api::scale(&scaler, event.clone())
                .await
                .unwrap(),
        )
        .unwrap()
    };
    let out = invoke().await;
    assert_eq!(out["servers"], 1);
    assert_eq!(out["launched"].as_array().unwrap().len(), 1);

    // Another run holds the lease: this invocation does nothing.
    assert!(store
        .acquire_lease("other-run", now_ms(), 60_000)
        .await
        .unwrap());
    let out = invoke().await;
    assert_eq!(out, serde_json::json!({"skipped": true}));
    assert_eq!(lab.running_tasks().await.unwrap().len(), 2);
}
