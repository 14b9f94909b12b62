//! `CodeDeployHook_PostTraffic`: after traffic has shifted, calls the live API's `/version`
//! (`API_URL`) `POST_TRAFFIC_REQUESTS` times, checks the error rate and that the new build
//! answers, and reports Succeeded or Failed to CodeDeploy. Called only by CodeDeploy (its
//! service role may invoke `CodeDeployHook_*`).

use hangar_deploy::config::PostTrafficConfig;
use hangar_deploy::post_traffic::PostTraffic;
use hangar_deploy::{codedeploy::CodeDeploy, Deploy};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let checks = PostTrafficConfig::from_vars(&hangar_lambda::config::Env)
        .map(|config| PostTraffic::new(config, reqwest::Client::new()));
    let deploy = Deploy::new(CodeDeploy::new(&sdk), checks);
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        hangar_deploy::api::hook(&deploy, event)
    }))
    .await
}
