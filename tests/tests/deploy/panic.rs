//! A panicking hook still reports Failed to CodeDeploy in the build that ships: the
//! release profile aborts on panic. The hook (`shared/deploy/examples/panicking-hook.rs`:
//! the hook binaries' `main` with checks that panic) is linked with the release profile's
//! panic strategy, `-C panic=abort`, without its optimisations (scripts/test builds it into
//! `target/panic-abort/`), and runs as Lambda runs it: a
//! process polling a local Lambda Runtime API for a CodeDeploy lifecycle event, its
//! CodeDeploy calls going to the local CodeDeploy.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use lambda_bench::runtime_api::{Invocation, RuntimeApi};
use local_codedeploy::{LambdaTarget, LocalCodeDeploy};

/// SIGABRT: what `panic = "abort"` ends a process with.
const SIGABRT: i32 = 6;

fn hook_binary() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| hangar_tests::functions::repo_root().join("target"));
    target.join("panic-abort/panicking-hook")
}

#[tokio::test]
async fn a_panicking_hook_reports_failed_in_the_abort_build() {
    let binary = hook_binary();
    assert!(
        binary.is_file(),
        "{} is missing: scripts/test builds it (scripts/rustc-wrapper compiles the panicking-hook example with -C panic=abort) and copies target/debug/examples/panicking-hook there",
        binary.display()
    );
    let codedeploy = LocalCodeDeploy::start().await.unwrap();
    let deployment = codedeploy.create_deployment(LambdaTarget {
        function_name: "version".into(),
        alias: "live".into(),
        current_version: "1".into(),
        target_version: "2".into(),
    });
    let execution = codedeploy
        .start_hook(&deployment, "BeforeAllowTraffic")
        .unwrap();
    let invocation = Invocation::new(
        "CodeDeployHook_hangar-test-PreTraffic",
        "us-east-1",
        axum::body::Bytes::from(execution.event().to_string()),
        Duration::from_secs(60),
    );
    let (api, _events) = RuntimeApi::start(invocation).await.unwrap();
    let mut child = tokio::process::Command::new(&binary)
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env(
            "AWS_LAMBDA_FUNCTION_NAME",
            "CodeDeployHook_hangar-test-PreTraffic",
        )
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/hook")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "hook")
        .env("AWS_ENDPOINT_URL_CODEDEPLOY", codedeploy.url())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("the hook process ends after its panic")
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(SIGABRT),
        "the build aborts on panic: {status:?}"
    );
    let reports = codedeploy.reports();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].deployment_id, deployment);
    assert_eq!(reports[0].execution_id, execution.execution_id);
    assert_eq!(reports[0].status, "Failed");
}
