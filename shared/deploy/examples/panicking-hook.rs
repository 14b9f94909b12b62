//! A traffic hook whose checks panic, otherwise the hook binaries' own `main`
//! ([`hangar_deploy::api::run_hook`]: the guard, the area state, the entry point). The test
//! `deploy::panic::a_panicking_hook_reports_failed_in_the_abort_build` runs it, linked
//! with the release profile's panic strategy (scripts/rustc-wrapper adds `-C panic=abort`
//! when it compiles this crate), under a local Lambda Runtime API. Never deployed: examples are not Lambda binaries.

use std::time::Duration;

use hangar_deploy::checks::CheckReport;
use hangar_deploy::hook::Checks;

#[derive(Clone)]
struct Panicking;

impl Checks for Panicking {
    fn budget(&self) -> Duration {
        Duration::from_secs(30)
    }

    async fn run(self, _deployment_id: String) -> CheckReport {
        panic!("a check panicked")
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    hangar_deploy::api::run_hook(&sdk, Ok(Panicking)).await
}
