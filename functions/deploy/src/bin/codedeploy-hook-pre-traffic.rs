//! `CodeDeployHook_PreTraffic`: before traffic shifts, invokes the new version of every API
//! function (`API_FUNCTION_VERSIONS`) with its smoke-test requests and reports Succeeded or
//! Failed to CodeDeploy, even if it panics. Called only by CodeDeploy (its service role may invoke `CodeDeployHook_*`).

use hangar_deploy::config::PreTrafficConfig;
use hangar_deploy::lambda::Lambda;
use hangar_deploy::pre_traffic::PreTraffic;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let checks = PreTrafficConfig::from_vars(&hangar_lambda::config::Env)
        .map(|config| PreTraffic::new(config, Lambda::new(&sdk)));
    hangar_deploy::api::run_hook(&sdk, checks).await
}
