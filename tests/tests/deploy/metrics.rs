//! The metric that gates deployments (`Hangar/UnexpectedErrors`) counts faults only:
//! designed answers (a 503 asking to retry, 4xx) replayed through the API functions of
//! the local stack leave it at zero; a fault (a version whose tables do not exist) moves
//! it. The data points are the EMF lines the handlers write, read as CloudWatch reads
//! them, by the recorder the local rollout's alarms read.

use hangar::rollout::function::invoke_as;
use hangar::rollout::metrics::Recorder;
use hangar_deploy::smoke::{Caller, Request, MISSING_PLACEMENT_ID, MISSING_SESSION_ID};
use hangar_lambda::metrics::FunctionVersion;
use serde_json::Value;

use crate::stack;

const SESSION: &[(&str, &str)] = &[("sessionId", MISSING_SESSION_ID)];

/// Sends `request` to `binary` of `version` as function version `id`; the status.
async fn status(
    version: &hangar::rollout::Version,
    binary: &str,
    id: &FunctionVersion,
    request: Request,
) -> u64 {
    let handler = &version.handlers[binary];
    let (answer, invocation) = invoke_as(
        handler,
        id.clone(),
        request.event(hangar_lambda::clock::now_ms()),
    )
    .await;
    assert!(!invocation.failed, "{binary}: {answer:?}");
    answer.unwrap()["statusCode"].as_u64().unwrap_or_default()
}

fn player(
    method: &'static str,
    route: &'static str,
    path: &'static [(&'static str, &'static str)],
    query: &'static [(&'static str, &'static str)],
) -> Request {
    Request {
        method,
        route,
        path_parameters: path,
        query,
        caller: Caller::Player,
    }
}

#[tokio::test]
async fn designed_503s_and_4xx_leave_the_gating_metric_at_zero_and_a_fault_moves_it() {
    let recorder = Recorder::global();
    let prefix = stack::prefix("metric");
    let good = stack::version("1", stack::tables(&prefix, true).await).await;
    let id = FunctionVersion {
        function: format!("{prefix}-designed"),
        version: "1".into(),
    };

    // No game server has a free slot (the table is empty): a designed 503.
    let allocate = player("GET", "/v1/gameservers/available", &[], &[]);
    assert_eq!(
        status(&good, "gameservers-allocate", &id, allocate).await,
        503
    );
    let missing_session = player("GET", "/v1/sessions/{sessionId}", SESSION, &[]);
    assert_eq!(
        status(&good, "sessions-get", &id, missing_session).await,
        404
    );
    let missing_placement = player(
        "GET",
        "/v1/placements/{placementId}",
        &[("placementId", MISSING_PLACEMENT_ID)],
        &[],
    );
    assert_eq!(
        status(&good, "placement-status", &id, missing_placement).await,
        404
    );
    let bad_filter = player("GET", "/v1/sessions", &[], &[("filter", "((")]);
    assert_eq!(status(&good, "sessions-list", &id, bad_filter).await, 400);
    let no_body = player("POST", "/v1/sessions", &[], &[]);
    assert_eq!(status(&good, "sessions-create", &id, no_body).await, 400);
    let mut anonymous = player("GET", "/v1/gameservers", &[], &[]);
    anonymous.caller = Caller::Anonymous;
    assert_eq!(status(&good, "gameservers-list", &id, anonymous).await, 401);
    let period = recorder.period(&id, std::time::Duration::from_secs(600));
    assert_eq!(period.unexpected_errors, 0, "designed answers were counted");

    // The same reads from a version whose tables do not exist: two faults, two points.
    let broken = stack::version("2", stack::tables(&prefix, false).await).await;
    let faulty = FunctionVersion {
        function: format!("{prefix}-faulty"),
        version: "2".into(),
    };
    let missing_session = player("GET", "/v1/sessions/{sessionId}", SESSION, &[]);
    assert_eq!(
        status(&broken, "sessions-get", &faulty, missing_session).await,
        500
    );
    let list = player("GET", "/v1/gameservers", &[], &[]);
    assert_eq!(
        status(&broken, "gameservers-list", &faulty, list).await,
        500
    );
    let period = recorder.period(&faulty, std::time::Duration::from_secs(600));
    assert_eq!(period.unexpected_errors, 2);
    assert_eq!(
        recorder
            .period(&id, std::time::Duration::from_secs(600))
            .unexpected_errors,
        0
    );
}

#[test]
fn only_emf_lines_of_the_hangar_namespace_are_read_as_data_points() {
    let recorder = Recorder::default();
    let id = FunctionVersion {
        function: "f".into(),
        version: "1".into(),
    };
    recorder.emf(&hangar_lambda::metrics::emf_line(
        &id,
        "UnexpectedErrors",
        1,
        0,
    ));
    let mut other: Value = serde_json::from_str(&hangar_lambda::metrics::emf_line(
        &id,
        "UnexpectedErrors",
        1,
        0,
    ))
    .unwrap();
    other["_aws"]["CloudWatchMetrics"][0]["Namespace"] = "Other".into();
    recorder.emf(&other.to_string());
    recorder.emf("{\"level\":\"ERROR\",\"FunctionName\":\"f\",\"ExecutedVersion\":\"1\",\"UnexpectedErrors\":1}");
    recorder.emf("not json");
    assert_eq!(
        recorder
            .period(&id, std::time::Duration::from_secs(60))
            .unexpected_errors,
        1
    );
}
