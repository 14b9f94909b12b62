//! What the scaler asks a game server, and when a failed answer counts: the probe
//! contract (Hangar's `GET /capacity` or the seed-style `GET /health/` profile) and the
//! start-up grace of new servers.

use std::time::Duration;

use hangar_gameservers::decision::ServerState;
use hangar_tests::ecs::{self, Contract, Launch, Limits, NewServers, Sims};

use crate::support::{record, tick};

const TWO: Limits = Limits {
    capacity: 6,
    up: 1,
    down: 100,
    min: 0,
    max: 2,
};

#[tokio::test]
async fn servers_answering_get_health_are_read_with_the_health_profile_and_fail_hangars() {
    let lab = ecs::lab_with(
        Launch::Fargate,
        NewServers {
            contract: Contract::Health,
            ..NewServers::with_capacity(6)
        },
    )
    .await;
    let arns = lab.run_tasks(2, None, true).await.unwrap();
    lab.server(&arns[0]).set_free(4);
    lab.server(&arns[1]).set_ready_to_close(true);

    let (health, store) = ecs::scaler(&lab, TWO, &[("PROBE_PROFILE", "health")]).await;
    let r = tick(&health).await;
    assert_eq!((r.probed, r.probe_failures), (2, 0), "{r:?}");
    let busy = record(&store, &arns[0]).await;
    assert_eq!(
        (busy.state, busy.capacity, busy.free),
        (ServerState::Active, 6, 4),
        "available_capacity is the free slots; the capacity is SERVER_CAPACITY"
    );
    assert!(record(&store, &arns[1]).await.ready_to_close);

    // Hangar's own contract asks GET /capacity, which these servers do not answer.
    let (hangar, _) = ecs::scaler(
        &lab,
        TWO,
        &[
            ("PROBE_GRACE_SECONDS", "0"),
            ("PROBE_FAILURE_THRESHOLD", "5"),
        ],
    )
    .await;
    let r = tick(&hangar).await;
    assert_eq!((r.probed, r.probe_failures), (2, 2), "{r:?}");
}

#[tokio::test]
async fn probe_path_and_fields_can_be_set_one_by_one() {
    let lab = ecs::lab_with(
        Launch::Fargate,
        NewServers {
            contract: Contract::Health,
            ..NewServers::with_capacity(6)
        },
    )
    .await;
    let arns = lab.run_tasks(1, None, true).await.unwrap();
    lab.server(&arns[0]).set_free(2);
    // Hangar's profile with the seed's path and field names spelt out.
    let (scaler, store) = ecs::scaler(
        &lab,
        TWO,
        &[
            ("PROBE_PATH", "/health/"),
            ("PROBE_FREE_FIELD", "available_capacity"),
            ("PROBE_READY_FIELD", "ready_to_close"),
            ("PROBE_CAPACITY_FIELD", "available_capacity"),
        ],
    )
    .await;
    let r = tick(&scaler).await;
    assert_eq!(r.probe_failures, 0, "{r:?}");
    let rec = record(&store, &arns[0]).await;
    assert_eq!((rec.capacity, rec.free), (2, 2));
}

/// A server that needs a while to load: RUNNING at once, 503 until the test lets it
/// finish loading.
async fn slow_starter() -> (ecs::EcsLab, String) {
    let lab = ecs::lab_with(
        Launch::Fargate,
        NewServers {
            loading_ms: 600_000,
            ..NewServers::with_capacity(10)
        },
    )
    .await;
    let arn = lab.run_tasks(1, None, true).await.unwrap().remove(0);
    (lab, arn)
}

const ONE: Limits = Limits {
    capacity: 10,
    up: 5,
    down: 100,
    min: 0,
    max: 1,
};

#[tokio::test]
async fn a_slow_starting_server_is_left_alone_during_its_start_up_grace() {
    let (lab, arn) = slow_starter().await;
    let (scaler, store) = ecs::scaler(
        &lab,
        ONE,
        &[
            ("PROBE_FAILURE_THRESHOLD", "1"),
            ("PROBE_GRACE_SECONDS", "60"),
        ],
    )
    .await;
    for _ in 0..2 {
        let r = tick(&scaler).await;
        assert_eq!(r.probe_failures, 1, "still loading: {r:?}");
        assert!(r.unhealthy.is_empty() && r.stopped.is_empty(), "{r:?}");
        let rec = record(&store, &arn).await;
        assert_eq!((rec.state, rec.failures), (ServerState::Launching, 0));
    }
    lab.server(&arn).finish_loading();
    let r = tick(&scaler).await;
    assert_eq!(r.probe_failures, 0);
    assert_eq!(record(&store, &arn).await.state, ServerState::Active);
    assert_eq!(lab.running_tasks().await.unwrap(), vec![arn]);
}

#[tokio::test]
async fn without_a_grace_the_same_server_is_stopped_as_unhealthy_at_once() {
    let (lab, arn) = slow_starter().await;
    let (scaler, _) = ecs::scaler(
        &lab,
        Limits { max: 2, ..ONE },
        &[
            ("PROBE_FAILURE_THRESHOLD", "1"),
            ("PROBE_GRACE_SECONDS", "0"),
        ],
    )
    .await;
    let r = tick(&scaler).await;
    assert_eq!(
        (r.unhealthy.clone(), r.stopped.clone()),
        (vec![arn.clone()], vec![arn])
    );
}

#[tokio::test]
async fn a_server_that_never_answers_counts_its_failures_once_the_grace_is_over() {
    let lab = ecs::lab(10).await;
    let arn = lab.run_tasks(1, None, true).await.unwrap().remove(0);
    lab.server(&arn).set_healthy(false);
    let (scaler, _) = ecs::scaler(
        &lab,
        Limits { max: 2, ..ONE },
        &[
            ("PROBE_FAILURE_THRESHOLD", "1"),
            ("PROBE_GRACE_SECONDS", "1"),
        ],
    )
    .await;
    let r = tick(&scaler).await;
    assert!(r.stopped.is_empty(), "within the grace: {r:?}");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let r = tick(&scaler).await;
    assert_eq!(r.stopped, vec![arn], "{r:?}");
}
