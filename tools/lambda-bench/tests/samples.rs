//! Every Lambda binary fed its sample event from `events/`: the debug build of each
//! `[[bin]]` of the four function packages (`scripts/test` builds them with `cargo build
//! --bins`; `cargo test` does not, they are `test = false`), started under lambda-bench's
//! loopback Lambda Runtime API with its template configuration, its AWS calls answered
//! over TLS (test CA as `SSL_CERT_FILE`) by the moto server of `scripts/test`
//! (`AWS_ENDPOINT_URL`) and an in-process GameLift emulator. Each must give the answer
//! it is designed to give for that event on an empty stack, having made the AWS calls
//! that answer depends on.

use std::path::{Path, PathBuf};

use lambda_bench::measure::{cold_start, Outcome, Sample};
use lambda_bench::stack::Stack;
use lambda_bench::suite::{self, Suite};
use serde_json::Value;

/// What the function must answer to its sample event on an empty stack.
enum Designed {
    /// An API Gateway response with this status code.
    Status(u16),
    /// A successful response whose JSON body passes the check.
    Body(fn(&Value) -> Result<(), String>),
    /// An error diagnostic whose type and message contain these.
    Error(&'static str, &'static str),
}

/// The designed answer of each function, and why.
fn designed(name: &str) -> Option<Designed> {
    use Designed::*;
    Some(match name {
        // no such session / placement in the empty table: GetItem answers, nothing found
        "sessions-get" | "sessions-join" | "placement-status" => Status(404),
        "server-session-update" | "server-session-end" => Status(404),
        // an empty listing answered from the table's index
        "sessions-list" => Status(200),
        // placement started on the GameLift queue: 202 with the placement to poll
        "sessions-create" => Status(202),
        // no game server in the table: none to allocate
        "gameservers-allocate" => Status(503),
        "gameservers-list" => Status(200),
        "version" => Status(200),
        // two placement events written, the message that is not one failed alone
        "placement-events" => Body(|body| {
            let failed: Vec<&str> = body["batchItemFailures"]
                .as_array()
                .ok_or("no batchItemFailures")?
                .iter()
                .filter_map(|f| f["itemIdentifier"].as_str())
                .collect();
            if failed == ["00000003-aaaa-4bbb-8ccc-dddddddddddd"] {
                Ok(())
            } else {
                Err(format!("batch failures {failed:?}"))
            }
        }),
        // the queue has no destinations: nothing to reconcile, a report of zeros
        "reconciler" => Body(|_| Ok(())),
        // EventBridge Scheduler's default notification (`detail` the string "{}") decoded,
        // one run: the empty table rebuilt from the empty cluster, MinGameServers (1)
        // asked of RunTask, which refuses the sample's unregistered task definition; the
        // run reports that for the next one instead of failing
        "ecs-scaler" => Body(|body| {
            let errors = body["errors"].as_array().ok_or("no errors list")?;
            let refused = errors
                .iter()
                .any(|e| e.as_str().is_some_and(|e| e.contains("RunTask")));
            if body["rebuilt"] == true && body["servers"] == 0 && refused {
                Ok(())
            } else {
                Err(format!("report {body}"))
            }
        }),
        // the sample's alias does not exist in GameLift: refused before any change
        "fleet-validate" => Error("Hangar.Refused", "alias"),
        // the hooks' checks fail on an empty stack (no function versions to invoke, no
        // live API to call), and each says so to CodeDeploy: Failed, reported once
        "codedeploy-hook-pre-traffic" | "codedeploy-hook-post-traffic" => {
            Body(|body| match body["status"].as_str() {
                Some("Failed") => Ok(()),
                other => Err(format!("status {other:?}: {body}")),
            })
        }
        _ => return None,
    })
}

/// Functions without a sample in `events/` yet (events/README.md): the fleet stages
/// after `fleet-validate` (each needs the execution state of its point in the workflow).
/// Every other function must have a sample and a designed answer.
const NOT_YET: &[&str] = &[
    "fleet-create-build",
    "fleet-wait-build",
    "fleet-create-fleet",
    "fleet-wait-fleet",
    "fleet-match-capacity",
    "fleet-wait-capacity",
    "fleet-smoke-test",
    "fleet-swap-alias",
    "fleet-drain-old",
    "fleet-delete-old",
    "fleet-rollback",
    "fleet-release-lock",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `target/debug`: this test binary lives in `target/debug/deps`.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn check(name: &str, sample: &Sample, designed: &Designed) -> Result<(), String> {
    if !sample.init_calls.is_empty() {
        return Err(format!("called out during init: {:?}", sample.init_calls));
    }
    match (designed, &sample.outcome) {
        (Designed::Status(want), Outcome::Response { status_code, body }) => {
            if *status_code != Some(*want) {
                return Err(format!("answered {status_code:?}, not {want}: {body}"));
            }
        }
        (Designed::Body(check), Outcome::Response { body, .. }) => {
            let json: Value =
                serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body}"))?;
            check(&json)?;
        }
        (
            Designed::Error(kind, text),
            Outcome::Error {
                error_type,
                message,
            },
        ) => {
            if !error_type.contains(kind) || !message.contains(text) {
                return Err(format!("error {error_type}: {message}"));
            }
        }
        (_, other) => return Err(format!("answered {other:?}")),
    }
    if name != "version" && sample.invoke_calls == 0 {
        return Err("made no AWS call, so the answer proves nothing about the stack".into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_binary_answers_its_sample_event_as_designed_through_the_runtime_api() {
    let moto = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL is not set: run this test through scripts/test (it starts moto)")
    });
    let root = root();
    let bins = bin_dir();
    let suite = Suite::new(&root, bins.clone(), &[], "us-east-1").unwrap();
    let dir = std::env::temp_dir().join(format!("lambda-bench-samples-{}", std::process::id()));
    let stack = Stack::start(&moto, &dir, "us-east-1").await.unwrap();
    suite.create_resources(&stack).await.unwrap();

    let mut names = suite::function_binaries(&root.join("functions")).unwrap();
    assert_eq!(names.len(), 28, "{names:?}");
    // last: it records the placement that placement-status's sample asks for
    names.sort_by_key(|n| n == "placement-events");
    let mut problems = Vec::new();
    for name in names.iter().filter(|n| !NOT_YET.contains(&n.as_str())) {
        let start = suite.launch(name, Some(&stack)).unwrap();
        let Some(event) = &start.event else {
            problems.push(format!("{name}: no sample event in events/"));
            continue;
        };
        if !start.launch.binary.is_file() {
            problems.push(format!(
                "{name}: {} is missing: build the binaries with `cargo build --bins -p sessions-functions -p gameservers-functions -p fleet-functions -p deploy-functions -p version-function` (scripts/test does)",
                start.launch.binary.display()
            ));
            continue;
        }
        let Some(want) = designed(name) else {
            problems.push(format!(
                "{name}: no designed answer for {}",
                event.display()
            ));
            continue;
        };
        let reports_before = stack.codedeploy_reports().len();
        match cold_start(&start.launch, stack.log()).await {
            Ok(sample) => {
                if let Err(e) = check(name, &sample, &want) {
                    problems.push(format!("{name} ({}): {e}", event.display()));
                }
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
        if name.starts_with("codedeploy-hook-") {
            let sent: Value = serde_json::from_slice(&start.launch.event).unwrap();
            let reports = stack.codedeploy_reports();
            let new = &reports[reports_before..];
            let told = new.len() == 1
                && new[0]["deploymentId"] == sent["DeploymentId"]
                && new[0]["lifecycleEventHookExecutionId"] == sent["LifecycleEventHookExecutionId"]
                && new[0]["status"] == "Failed";
            if !told {
                problems.push(format!("{name}: CodeDeploy was told {new:?}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
