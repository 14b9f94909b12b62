//! `CodeDeployHook_PreTraffic`: before traffic shifts, invokes the new version of every API
//! function (`HOOK_TARGETS`) with sample requests and reports Succeeded or Failed to
//! CodeDeploy. Called only by CodeDeploy (its service role may invoke `CodeDeployHook_*`).

use hangar_deploy::pre_traffic::PreTrafficConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let config = PreTrafficConfig::from_vars(&hangar_lambda::config::Env);
    hangar_deploy::hook::serve(&sdk, aws_sdk_lambda::Client::new(&sdk), config).await
}
