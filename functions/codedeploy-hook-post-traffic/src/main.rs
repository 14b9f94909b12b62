//! `CodeDeployHook_PostTraffic`: after traffic has shifted, calls the live API's `/version`
//! (`POST_TRAFFIC_URL`) `POST_TRAFFIC_REQUESTS` times, checks the error rate and that the
//! new build answers, and reports Succeeded or Failed to CodeDeploy. Called only by CodeDeploy (its service role may invoke `CodeDeployHook_*`).

use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use hangar_deploy::post_traffic::{handle, PostTrafficConfig};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hangar_lambda::init_tracing();
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let codedeploy = aws_sdk_codedeploy::Client::new(&sdk);
    let http = reqwest::Client::new();
    // A bad configuration is reported to CodeDeploy as a failure on every event, so the
    // deployment stops at once instead of waiting out CodeDeploy's timeout.
    let config = PostTrafficConfig::from_vars(&hangar_lambda::config::Env);
    if let Err(e) = &config {
        tracing::error!("{e}");
    }
    run(service_fn(|event: LambdaEvent<CodeDeployLifecycleEvent>| {
        let (codedeploy, http, config) = (&codedeploy, &http, &config);
        async move {
            let outcome = handle(codedeploy, http, config, &event.payload, event.context.deadline).await?;
            Ok::<_, Error>(serde_json::json!({ "status": outcome.status().as_str(), "reason": outcome.reason() }))
        }
    }))
    .await
}
