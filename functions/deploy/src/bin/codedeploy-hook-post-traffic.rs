//! `CodeDeployHook_PostTraffic`: after traffic has shifted, calls the live API's `/version`
//! (`POST_TRAFFIC_URL`) `POST_TRAFFIC_REQUESTS` times, checks the error rate and that the
//! new build answers, and reports Succeeded or Failed to CodeDeploy. Called only by
//! CodeDeploy (its service role may invoke `CodeDeployHook_*`).

use hangar_deploy::post_traffic::PostTrafficConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let config = PostTrafficConfig::from_vars(&hangar_lambda::config::Env);
    hangar_deploy::hook::serve(&sdk, reqwest::Client::new(), config).await
}
