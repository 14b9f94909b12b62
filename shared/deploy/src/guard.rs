//! A panic in a hook still reports Failed to CodeDeploy, in the build that ships.
//!
//! The release profile aborts on panic (`panic = "abort"`), so nothing can catch a panic
//! and no code after it runs; CodeDeploy would wait out its hook timeout (about an hour).
//! [`install`], called once by a hook binary's `main`, sets a panic hook that runs before
//! the abort: it reports Failed for every hook execution still in progress, from a fresh
//! thread with its own runtime and HTTP client (the panicking thread may be the
//! runtime's only worker), then lets the process end.
//!
//! Exactly one report per hook execution: [`begin`] marks an execution in progress,
//! and whoever [`claim`]s it first reports it, the hook's normal path or the panic hook.
//! Under the unwind strategy (tests, `hangar dev`) the normal path sees the crash as a
//! `JoinError` too, finds the execution claimed, and does not report it again.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use aws_sdk_codedeploy::types::LifecycleEventStatus;

use crate::codedeploy::CodeDeploy;

/// How long the panic hook waits for its report before the process ends anyway.
const REPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Hook executions in progress: execution id -> deployment id.
static IN_PROGRESS: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

fn in_progress() -> std::sync::MutexGuard<'static, BTreeMap<String, String>> {
    IN_PROGRESS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Marks a hook execution in progress.
pub(crate) fn begin(deployment_id: &str, execution_id: &str) {
    in_progress().insert(execution_id.to_string(), deployment_id.to_string());
}

/// Takes the execution for reporting: `false` when the panic hook already reported it.
pub(crate) fn claim(execution_id: &str) -> bool {
    in_progress().remove(execution_id).is_some()
}

/// Installs the panic hook; `sdk` is the hook's SDK configuration (region, credentials,
/// endpoint). The previous hook (which prints the panic) still runs first.
pub fn install(sdk: &aws_config::SdkConfig) {
    let sdk = sdk.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        let pending: Vec<(String, String)> =
            std::mem::take(&mut *in_progress()).into_iter().collect();
        if pending.is_empty() {
            return;
        }
        let sdk = sdk
            .to_builder()
            .http_client(hangar_aws::https_client())
            .build();
        let reported = std::thread::spawn(move || report_failed(&sdk, pending)).join();
        if reported.is_err() {
            eprintln!("the report of a panicking hook failed itself");
        }
    }));
}

fn report_failed(sdk: &aws_config::SdkConfig, pending: Vec<(String, String)>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot report a panicking hook: no runtime: {e}");
            return;
        }
    };
    runtime.block_on(async {
        let codedeploy = CodeDeploy::new(sdk);
        for (execution_id, deployment_id) in pending {
            let report =
                codedeploy.report(&deployment_id, &execution_id, LifecycleEventStatus::Failed);
            match tokio::time::timeout(REPORT_TIMEOUT, report).await {
                Ok(Ok(())) => eprintln!("hook panicked: reported Failed for {deployment_id}"),
                Ok(Err(e)) => {
                    eprintln!("hook panicked: reporting Failed for {deployment_id} failed: {e}")
                }
                Err(_) => {
                    eprintln!("hook panicked: reporting Failed for {deployment_id} timed out")
                }
            }
        }
    });
}
