//! `hangar`: the operator's and developer's command line.

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "hangar",
    version,
    about = "Hangar: game-session and fleet orchestration for Amazon GameLift"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// One variant per subcommand; each lives in its own module of the library.
#[derive(Subcommand, Debug)]
enum Command {
    /// Run the local stack (moto, GameLift emulator, local API), or print a local token.
    Dev(hangar::dev::DevArgs),
    /// Call a URL (normally /version) at a steady rate during a deployment and report
    /// failures, latency and when each version answered.
    Probe(hangar::probe::ProbeArgs),
    /// Replace the GameLift fleet behind an alias (`replace`), or follow a replacement (`status`).
    #[command(subcommand)]
    Fleet(hangar::fleet::FleetCommand),
    /// Try the sessions API: create (and wait for the placement), list, get, join,
    /// placement, end as a game server.
    Sessions(hangar::sessions::SessionsArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse_from(hangar::fleet::legacy_flags(std::env::args_os()));
    let result = match cli.command {
        Command::Dev(args) => hangar::dev::run(args)
            .await
            .map(|()| 0)
            .map_err(|e| (e.exit_code(), e.to_string())),
        Command::Fleet(command) => hangar::fleet::run(command)
            .await
            .map(i32::from)
            .map_err(|e| (i32::from(e.exit_code()), e.to_string())),
        Command::Sessions(args) => hangar::sessions::run(args)
            .await
            .map_err(|e| (e.code, e.to_string())),
        Command::Probe(args) => hangar::probe::main(args)
            .await
            .map_err(|e| (2, e.to_string())),
    };
    match result {
        Ok(code) => std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err((code, message)) => {
            eprintln!("hangar: {message}");
            std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
    }
}
