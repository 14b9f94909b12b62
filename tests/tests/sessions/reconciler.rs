//! The reconciler repairs drift across every page of DescribeGameSessions, resolving the
//! queue's alias to its fleet, and keeps going when GameLift throttles.

use crate::support::{api_id, Options, Stack};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_ends_added_and_missing_sessions_across_pages_under_throttling() {
    // Simulated servers end their session after an hour of (simulated) play.
    let mut stack = Stack::start_with(Options {
        poller: false,
        adjust: |c| c.server.session_duration_ms = 3_600_000,
    })
    .await;
    stack.sessions.settings.reconcile_page_size = 2;
    let admin = stack.emulator.admin();
    let gl = stack.gamelift();
    let p = stack.player("alice");
    stack.scale_fleet(4).await;

    // Three sessions we record, which GameLift then ends (the simulated servers stop after
    // the configured session duration; the emulator's clock is moved past it).
    let doomed = stack.gamelift_sessions(3, 4, &[("mode", "old")]).await;
    admin.set_speed(0.0).await.unwrap();
    admin.advance(4_000.0).await.unwrap();
    // Three sessions GameLift starts that we never heard of.
    let mut fresh = Vec::new();
    for i in 0..3 {
        let out = gl
            .create_game_session()
            .fleet_id(&stack.resources.fleet_id)
            .maximum_player_session_count(4)
            .name(format!("fresh-{i}"))
            .send()
            .await
            .unwrap();
        fresh.push(
            out.game_session()
                .unwrap()
                .game_session_id()
                .unwrap()
                .to_string(),
        );
    }
    admin.advance(10.0).await.unwrap();
    stack.wait_gamelift_active(&fresh).await;
    for id in &doomed {
        let out = gl
            .describe_game_sessions()
            .game_session_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.game_sessions()[0].status().unwrap().as_str(),
            "TERMINATED"
        );
    }
    let listed = |body: serde_json::Value| body["sessions"].as_array().unwrap().len();
    let (_, before) = stack
        .call(Method::GET, "/v1/sessions?limit=100", Some(&p), None)
        .await;
    assert_eq!(
        listed(before),
        3,
        "before: the three doomed sessions, still active for us"
    );

    // A session in our table that GameLift has no record of (in a fleet we cover).
    let phantom_arn = format!(
        "arn:aws:gamelift:us-east-1::gamesession/{}/gsess-phantom",
        stack.resources.fleet_id
    );
    let phantom = hangar_sessions::service::session_from_gamelift(
        &hangar_sessions::gamelift::GameSessionInfo {
            game_session_id: phantom_arn.clone(),
            name: None,
            status: Some(hangar_sessions::model::SessionStatus::Active),
            maximum_sessions: 4,
            current_sessions: 0,
            properties: Default::default(),
            data: None,
            ip_address: None,
            dns_name: None,
            port: None,
            fleet_id: None,
            location: None,
            creator_id: None,
            creation_time_millis: 1,
            credential: None,
        },
        1,
        stack.sessions.settings.listing_shards,
    );
    assert!(stack
        .sessions
        .store
        .insert_session(&phantom, &[])
        .await
        .unwrap());

    admin.throttle("DescribeGameSessions", 0.5).await.unwrap();
    let report = stack
        .sessions
        .reconcile()
        .await
        .expect("reconcile completes despite throttling");
    admin.clear_faults().await.unwrap();
    assert_eq!(report.fleets, 1, "{report:?}");
    assert!(
        report.pages >= 3,
        "six sessions at two per page: {report:?}"
    );
    assert_eq!(report.seen, 6, "{report:?}");
    assert_eq!(report.added, 3, "{report:?}");
    assert_eq!(
        report.ended, 4,
        "three GameLift ended and the phantom: {report:?}"
    );

    let (_, after) = stack
        .call(Method::GET, "/v1/sessions?limit=100", Some(&p), None)
        .await;
    let ids: Vec<String> = after["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["gameSessionId"].as_str().unwrap().to_string())
        .collect();
    let mut want = fresh.clone();
    want.sort();
    let mut got = ids.clone();
    got.sort();
    assert_eq!(got, want);
    for id in doomed.iter().chain([&phantom_arn]) {
        let (_, s) = stack
            .call(
                Method::GET,
                &format!("/v1/sessions/{}", api_id(id)),
                Some(&p),
                None,
            )
            .await;
        assert_eq!(s["status"], "TERMINATED", "{s}");
    }
    let (status, _) = stack
        .call(
            Method::POST,
            &format!("/v1/sessions/{}/join", api_id(&doomed[0])),
            Some(&p),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 410);

    // A second pass finds nothing to do.
    let again = stack.sessions.reconcile().await.unwrap();
    assert_eq!((again.added, again.ended), (0, 0), "{again:?}");
}
