//! The reconciler covers every fleet with sessions in our table, not only the fleets
//! behind the queue now: after a fleet replacement, the old fleet's sessions end.

use std::time::Duration;

use crate::support::{api_id, Options, Stack};
use aws_sdk_gamelift::types::{
    Ec2InstanceType, FleetStatus, FleetType, RoutingStrategy, RoutingStrategyType,
    RuntimeConfiguration, ServerProcess,
};
use hangar_tests::wait_until;
use reqwest::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_ends_a_replaced_fleets_sessions() {
    let stack = Stack::start_with(Options {
        poller: false,
        ..Default::default()
    })
    .await;
    let old = stack.gamelift_sessions(2, 4, &[]).await;
    let gl = stack.gamelift();

    // A replacement: a new fleet from the same build, the alias moved to it, the old
    // fleet deleted (which ends its game sessions).
    let fleet = gl
        .create_fleet()
        .name("replacement")
        .build_id(&stack.resources.build_id)
        .ec2_instance_type(Ec2InstanceType::C5Large)
        .fleet_type(FleetType::OnDemand)
        .runtime_configuration(
            RuntimeConfiguration::builder()
                .server_processes(
                    ServerProcess::builder()
                        .launch_path("/local/game/server")
                        .concurrent_executions(2)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let new_fleet = fleet
        .fleet_attributes()
        .unwrap()
        .fleet_id()
        .unwrap()
        .to_string();
    wait_until(
        Duration::from_secs(30),
        Duration::from_millis(50),
        || async {
            let out = gl
                .describe_fleet_attributes()
                .fleet_ids(&new_fleet)
                .send()
                .await
                .ok()?;
            (out.fleet_attributes().first()?.status() == Some(&FleetStatus::Active)).then_some(())
        },
    )
    .await
    .expect("the new fleet is ACTIVE");
    gl.update_alias()
        .alias_id(&stack.resources.alias_id)
        .routing_strategy(
            RoutingStrategy::builder()
                .r#type(RoutingStrategyType::Simple)
                .fleet_id(&new_fleet)
                .build(),
        )
        .send()
        .await
        .unwrap();
    gl.delete_fleet()
        .fleet_id(&stack.resources.fleet_id)
        .send()
        .await
        .unwrap();

    let report = stack.sessions.reconcile().await.unwrap();
    assert_eq!(report.ended, 2, "{report:?}");
    let p = stack.player("alice");
    for id in &old {
        let (_, s) = stack
            .call(
                Method::GET,
                &format!("/v1/sessions/{}", api_id(id)),
                Some(&p),
                None,
            )
            .await;
        assert_ne!(s["status"], "ACTIVE", "{s}");
    }
    let (_, listed) = stack
        .call(Method::GET, "/v1/sessions", Some(&p), None)
        .await;
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 0, "{listed}");
}
