//! `CodeDeployHook_PostTraffic`: after traffic has shifted, checks the function the
//! deployment shifted through its live alias (for the version function also the live
//! `API_URL/version`, `POST_TRAFFIC_REQUESTS` times) and reports Succeeded or Failed to
//! CodeDeploy, even if it panics. Called only by CodeDeploy (its
//! service role may invoke `CodeDeployHook_*`).

use hangar_deploy::config::PostTrafficConfig;
use hangar_deploy::post_traffic::PostTraffic;
use hangar_deploy::{codedeploy::CodeDeploy, lambda::Lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hangar_lambda::init_tracing();
    let sdk = hangar_aws::sdk_config().await;
    let checks = PostTrafficConfig::from_vars(&hangar_lambda::config::Env).map(|config| {
        PostTraffic::new(
            config,
            CodeDeploy::new(&sdk),
            Lambda::new(&sdk),
            reqwest::Client::new(),
        )
    });
    hangar_deploy::api::run_hook(&sdk, checks).await
}
