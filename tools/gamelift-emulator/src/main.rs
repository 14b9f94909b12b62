//! `gamelift-emulator`: runs the local GameLift on loopback until SIGINT/SIGTERM.

use clap::Parser;
use gamelift_emulator::{start, Config, Setting};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "gamelift-emulator",
    about = "A local Amazon GameLift on loopback (see docs/gamelift-emulator.md)"
)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free port).
    #[arg(long, env = "GAMELIFT_EMULATOR_PORT", default_value_t = gamelift_emulator::DEFAULT_PORT)]
    port: u16,
    /// Loopback address to listen on.
    #[arg(long, env = "GAMELIFT_EMULATOR_HOST", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Simulated seconds per real second.
    #[arg(long, env = "GAMELIFT_EMULATOR_SPEED", default_value_t = 1.0)]
    speed: f64,
    #[arg(long, env = "GAMELIFT_EMULATOR_REGION", default_value = "us-east-1")]
    region: String,
    #[arg(
        long,
        env = "GAMELIFT_EMULATOR_ACCOUNT_ID",
        default_value = "123456789012"
    )]
    account_id: String,
    /// Simulated seconds a game session runs before it ends.
    #[arg(
        long,
        env = "GAMELIFT_EMULATOR_SESSION_SECONDS",
        default_value_t = 3600.0
    )]
    session_duration_seconds: f64,
    /// Base URL of the server API that receives player counts and session ends.
    #[arg(long, env = "GAMELIFT_EMULATOR_CALLBACK_URL")]
    callback_url: Option<String>,
    /// Bearer token sent with callbacks.
    #[arg(long, env = "GAMELIFT_EMULATOR_SERVER_TOKEN", hide_env_values = true)]
    server_token: Option<String>,
    /// Do not publish placement events to SNS.
    #[arg(long)]
    no_sns: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let a = Args::parse();
    if !a.session_duration_seconds.is_finite() || a.session_duration_seconds <= 0.0 {
        eprintln!("gamelift-emulator: --session-duration-seconds (GAMELIFT_EMULATOR_SESSION_SECONDS) must be > 0");
        return ExitCode::from(2);
    }
    let mut config = Config {
        bind: SocketAddr::new(a.host, a.port),
        speed: a.speed,
        region: a.region,
        account_id: a.account_id,
        publish_events: !a.no_sns,
        ..Config::default()
    };
    config.server.session_duration_ms = (a.session_duration_seconds * 1000.0) as i64;
    config.server.callback_url = a.callback_url;
    config.server.callback_token = a.server_token;
    if let Err(e) = config.check() {
        let flag = match e.setting {
            Setting::Bind => "--host/--port (GAMELIFT_EMULATOR_HOST/GAMELIFT_EMULATOR_PORT)",
            Setting::Speed => "--speed (GAMELIFT_EMULATOR_SPEED)",
            Setting::Region => "--region (GAMELIFT_EMULATOR_REGION)",
            Setting::AccountId => "--account-id (GAMELIFT_EMULATOR_ACCOUNT_ID)",
            Setting::SessionDuration => {
                "--session-duration-seconds (GAMELIFT_EMULATOR_SESSION_SECONDS)"
            }
            Setting::CallbackUrl => "--callback-url (GAMELIFT_EMULATOR_CALLBACK_URL)",
            Setting::Tick => "tick",
        };
        eprintln!("gamelift-emulator: {flag}: {e}");
        return ExitCode::from(2);
    }
    let emulator = match start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("gamelift-emulator: {e}");
            return ExitCode::from(1);
        }
    };
    println!(
        "gamelift-emulator listening on {} (admin: {})",
        emulator.endpoint_url(),
        emulator.admin_url()
    );
    shutdown_signal().await;
    tracing::info!("stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
