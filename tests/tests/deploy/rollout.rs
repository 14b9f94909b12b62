//! The local rollout rehearsal (`hangar rollout`'s engine) end to end: the API
//! functions of the local stack behind their aliases in the local API, the real
//! PreTraffic and PostTraffic hooks through the local Lambda service and CodeDeploy, the
//! template's alarm rules on the local metrics, and `hangar probe` calling `/version`
//! throughout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hangar::probe::{ProbeConfig, Report};
use hangar::rollout::{DeploymentType, Outcome, Rehearsal, RolloutConfig, Thresholds, Version};
use local_gateway::TokenKey;

use crate::stack;

/// The running version over `prefix`'s tables, whose `/version` reports an older build.
async fn running(prefix: &str) -> Version {
    let mut live = stack::version("1", stack::tables(prefix, true).await).await;
    live.handlers
        .insert("version".into(), stack::old_version_handler());
    live
}

async fn rehearsal(live: Version, new: Version) -> Rehearsal {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let key = TokenKey::load_or_create(
        &std::env::temp_dir().join(format!("{}-secret", stack::prefix("rollout"))),
    )
    .unwrap();
    Rehearsal::start(
        stack::api_functions(),
        live,
        new,
        key,
        listener,
        Vec::new(),
        "us-east-1",
    )
    .await
    .unwrap()
}

/// Rehearses `deployment_type` while `hangar probe` calls `/version`, from half a second
/// before the rehearsal until a second after it; the outcome, the printed steps and the
/// probe's report.
async fn rehearse(
    r: &Rehearsal,
    deployment_type: DeploymentType,
) -> (Outcome, Vec<String>, Report) {
    let probe = ProbeConfig {
        url: format!("{}/version", r.api_url()),
        rate: 50.0,
        duration: Duration::from_secs(600),
        concurrency: 2,
        timeout: Duration::from_secs(5),
        expect_version: None,
    };
    let samples = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&samples);
    let probing = tokio::spawn(async move {
        hangar::probe::run(&probe, |s| seen.lock().unwrap().push(s.clone()), |_, _| {}).await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut lines = Vec::new();
    let config = RolloutConfig {
        deployment_type,
        minute: Duration::from_millis(200),
        thresholds: Thresholds::default(),
    };
    let outcome = r.run(&config, |l| lines.push(l.to_string())).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    probing.abort();
    let samples = samples.lock().unwrap().clone();
    (outcome, lines, Report::from_samples(&samples, None))
}

fn versions(report: &Report) -> Vec<String> {
    report.versions.iter().map(|v| v.version.clone()).collect()
}

#[tokio::test]
async fn a_good_version_is_shifted_in_by_canary_and_the_probe_sees_the_switch_with_no_failures() {
    let prefix = stack::prefix("good");
    let new = stack::version("2", stack::tables(&prefix, true).await).await;
    let r = rehearsal(running(&prefix).await, new).await;
    let (outcome, lines, report) = rehearse(&r, DeploymentType::Canary10Percent5Minutes).await;
    assert_eq!(outcome, Outcome::Completed, "{lines:#?}");
    let text = lines.join("\n");
    assert!(
        text.contains("shift       10% of traffic to version 2"),
        "{text}"
    );
    assert!(
        text.contains("shift       100% of traffic to version 2"),
        "{text}"
    );
    assert_eq!(text.matches("PreTraffic ").count(), 10, "{text}");
    assert_eq!(text.matches("PostTraffic").count(), 10, "{text}");
    let reports = r.codedeploy().reports();
    assert_eq!(reports.len(), 20, "{reports:?}");
    assert!(
        reports.iter().all(|x| x.status == "Succeeded"),
        "{reports:?}"
    );
    assert_eq!(report.failures, 0, "{}", report.render());
    let seen = versions(&report);
    let current = hangar_deploy::BuildInfo::current();
    assert_eq!(
        seen.first().map(String::as_str),
        Some("0.0.9+0ld0ld0"),
        "{}",
        report.render()
    );
    assert!(
        seen.iter()
            .any(|v| v.starts_with(&format!("{}+", current.version)) && v != "0.0.9+0ld0ld0"),
        "{}",
        report.render()
    );
    assert!(report.versions[0].first_ms <= report.versions[1].first_ms);
    r.shutdown().await;
}

#[tokio::test]
async fn a_version_that_fails_its_pre_traffic_hook_is_rolled_back_before_any_traffic_moves() {
    let prefix = stack::prefix("bad");
    // The new version cannot reach its tables.
    let new = stack::version("2", stack::tables(&prefix, false).await).await;
    let r = rehearsal(running(&prefix).await, new).await;
    let (outcome, lines, report) = rehearse(&r, DeploymentType::AllAtOnce).await;
    let Outcome::RolledBack(reason) = &outcome else {
        panic!("not rolled back: {lines:#?}")
    };
    assert!(reason.starts_with("PreTraffic failed"), "{reason}");
    let text = lines.join("\n");
    assert!(!text.contains("shift"), "{text}");
    assert!(text.contains("rolled back"), "{text}");
    assert!(r
        .codedeploy()
        .reports()
        .iter()
        .any(|x| x.status == "Failed"));
    assert_eq!(report.failures, 0, "{}", report.render());
    assert_eq!(versions(&report), ["0.0.9+0ld0ld0"], "{}", report.render());
    r.shutdown().await;
}
