//! `hangar rollout [flags]`: starts the local stack (as `hangar dev` does), puts every
//! API function of template.yaml behind its alias in the local API, with the running
//! version and the new one both served by this build's handlers, and rehearses the
//! deployment: PreTraffic, the shifts of `--deployment-type` (a minute lasting
//! `--minute`), the alarms, PostTraffic, or the rollback. Exit code 0 when it completed,
//! 3 when it rolled back (the running version serves), as README's table of exit codes says. Point `hangar probe --url <api>/version` at the local API to
//! watch it.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{DeploymentType, Outcome, Rehearsal, RolloutConfig, Thresholds, Version};
use crate::dev::{DevError, StackArgs, StackConfig};

#[derive(Args, Debug)]
pub struct RolloutArgs {
    /// How traffic shifts, as the template's DeploymentType parameter.
    #[arg(long, value_enum, default_value = "Canary10Percent5Minutes")]
    pub deployment_type: DeploymentType,
    /// How long a simulated minute lasts: 1s, 500ms, 2m.
    #[arg(long, default_value = "2s", value_parser = parse_minute)]
    pub minute: Duration,
    /// AlarmP99DurationMs: p99 duration (ms) of a new version that rolls it back.
    #[arg(long, default_value_t = 3000)]
    pub alarm_p99_duration_ms: u64,
    /// AlarmApi5xxPerMinute: unexpected 5xx per minute of a new version that roll it back.
    #[arg(long, default_value_t = 0)]
    pub alarm_unexpected_errors_per_minute: u64,
    /// The SAM template whose API functions are rolled out.
    #[arg(long, default_value = "template.yaml")]
    pub template: PathBuf,
    #[command(flatten)]
    pub stack: StackArgs,
}

fn parse_minute(text: &str) -> Result<Duration, String> {
    if let Some(ms) = text.strip_suffix("ms") {
        return ms
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| format!("{text:?} is not a duration like 500ms, 2s or 1m"));
    }
    crate::duration::parse_duration(text)
}

/// Runs the rehearsal; the process exit code.
pub async fn run(args: &RolloutArgs) -> Result<i32, DevError> {
    let text = std::fs::read_to_string(&args.template).map_err(|source| DevError::Io {
        what: format!("read {}", args.template.display()),
        source,
    })?;
    let functions = super::template::api_functions(&text).map_err(DevError::Usage)?;
    let mut config = StackConfig::from(&args.stack);
    let api_port = config.api_port;
    // The stack's own API is not used; the rehearsal serves the local API on --api-port.
    config.api_port = 0;
    let listener = crate::dev::check_port(api_port, "--api-port")?;
    listener
        .set_nonblocking(true)
        .map_err(|source| DevError::Io {
            what: "configure the API listener".into(),
            source,
        })?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|source| DevError::Io {
        what: "serve the local API".into(),
        source,
    })?;
    println!("hangar rollout: starting the local stack");
    let stack = crate::dev::start(config.clone()).await?;
    let outcome = rehearse(args, &config, &stack.info, functions, listener).await;
    stack.shutdown().await;
    outcome
}

async fn rehearse(
    args: &RolloutArgs,
    config: &StackConfig,
    info: &crate::dev::DevInfo,
    functions: Vec<super::ApiFunction>,
    listener: tokio::net::TcpListener,
) -> Result<i32, DevError> {
    let ctx = crate::dev::routes::RouteContext {
        sdk_config: crate::dev::local_sdk_config(&info.moto_url, &info.region).await,
        gamelift_endpoint: info.gamelift_url.clone(),
        resources: info.resources.clone(),
    };
    let version = |number: &str, routes: Vec<local_gateway::Route>| Version {
        number: number.to_string(),
        handlers: functions
            .iter()
            .filter_map(|f| {
                let route = routes.iter().find(|r| r.route_key() == f.route_key())?;
                Some((f.binary.clone(), route.handler.clone()))
            })
            .collect(),
    };
    let live = version("1", crate::dev::routes::api_routes(&ctx).await);
    let new = version("2", crate::dev::routes::api_routes(&ctx).await);
    let key = local_gateway::TokenKey::load_or_create(&config.state_dir.join("dev-secret"))?;
    let rehearsal = Rehearsal::start(
        functions,
        live,
        new,
        key,
        listener,
        Vec::new(),
        &info.region,
    )
    .await
    .map_err(DevError::Usage)?;
    println!("  local API           {}", rehearsal.api_url());
    println!(
        "  watch it            hangar probe --url {}/version",
        rehearsal.api_url()
    );
    let rollout = RolloutConfig {
        deployment_type: args.deployment_type,
        minute: args.minute,
        thresholds: Thresholds {
            p99_duration_ms: args.alarm_p99_duration_ms,
            unexpected_errors_per_minute: args.alarm_unexpected_errors_per_minute,
        },
    };
    let outcome = rehearsal.run(&rollout, |line| println!("{line}")).await;
    rehearsal.shutdown().await;
    Ok(match outcome {
        Outcome::Completed => 0,
        Outcome::RolledBack(_) => 3,
    })
}
