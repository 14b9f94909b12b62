//! `CodeDeployHook_PreTraffic`: before traffic shifts, invokes the new version of every API
//! function (`API_FUNCTION_VERSIONS`) with its smoke-test requests and reports Succeeded or
//! Failed to CodeDeploy, even if it panics. Called only by CodeDeploy (its service role may invoke `CodeDeployHook_*`).

use hangar_deploy::config::PreTrafficConfig;
use hangar_deploy::pre_traffic::PreTraffic;
use hangar_deploy::{codedeploy::CodeDeploy, lambda::Lambda, Deploy};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    hangar_deploy::guard::install(&sdk);
    let checks = PreTrafficConfig::from_vars(&hangar_lambda::config::Env)
        .map(|config| PreTraffic::new(config, Lambda::new(&sdk)));
    let deploy = Deploy::new(CodeDeploy::new(&sdk), checks);
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        hangar_deploy::api::hook(&deploy, event)
    }))
    .await
}
