//! `CodeDeployHook_PreTraffic`: before traffic shifts, invokes the new version of every API
//! function (`HOOK_TARGETS`) with sample requests and reports Succeeded or Failed to
//! CodeDeploy. Called only by CodeDeploy (its service role may invoke `CodeDeployHook_*`).

use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use hangar_deploy::pre_traffic::{handle, PreTrafficConfig};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hangar_lambda::init_tracing();
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let codedeploy = aws_sdk_codedeploy::Client::new(&sdk);
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    // A bad configuration is reported to CodeDeploy as a failure on every event, so the
    // deployment stops at once instead of waiting out CodeDeploy's timeout.
    let config = PreTrafficConfig::from_vars(&hangar_lambda::config::Env);
    if let Err(e) = &config {
        tracing::error!("{e}");
    }
    run(service_fn(|event: LambdaEvent<CodeDeployLifecycleEvent>| {
        let (codedeploy, lambda, config) = (&codedeploy, &lambda, &config);
        async move {
            let outcome = handle(codedeploy, lambda, config, &event.payload, event.context.deadline).await?;
            Ok::<_, Error>(serde_json::json!({ "status": outcome.status().as_str(), "reason": outcome.reason() }))
        }
    }))
    .await
}
