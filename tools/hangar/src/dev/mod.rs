//! `hangar dev`: the local stack. A moto server (child process from `.venv`), the GameLift
//! emulator (in-process), the resources of a local deployment, the local API gateway, the
//! local Step Functions endpoint, the CodeDeploy stand-in the traffic hooks report to
//! (`local-codedeploy`) and the console. Everything listens on 127.0.0.1 and stops on Ctrl-C or SIGTERM.

pub mod clock;
pub mod console;
mod emulator;
mod fleet;
pub mod gameservers;
pub mod info;
mod moto;
pub mod resource_names;
pub mod resources;
pub mod routes;
pub mod running;
pub mod sessions;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_types::region::Region;
use clap::{Args, Subcommand};

pub use clock::ClockPlan;
pub use emulator::LocalEmulator;
pub use info::{DevInfo, INFO_FILE, SECRET_FILE};
use local_gateway::{RunningGateway, TokenKey, TokenKind};
pub use moto::MotoProcess;
pub use resource_names::DevResources;

/// Exit code when a port is already in use (3 and 4 are `hangar fleet`'s).
pub const EXIT_PORT_IN_USE: i32 = 8;
/// Exit code when the project's tools are not installed.
pub const EXIT_NOT_BOOTSTRAPPED: i32 = 9;
/// Exit code when no running local stack was found (`hangar dev token`).
pub const EXIT_NO_STACK: i32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error("port {port} on 127.0.0.1 is already in use; stop whatever holds it or choose another port with {flag} <PORT>")]
    PortInUse { port: u16, flag: &'static str },
    #[error("moto server not found at {path}; run scripts/bootstrap first (scripts/dev does it for you)")]
    MotoMissing { path: PathBuf },
    #[error("the moto server exited during start-up ({status}); see {log}", log = .log.display())]
    MotoExited { status: String, log: PathBuf },
    #[error("the moto server at {url} did not answer within a minute; see {log}", log = .log.display())]
    MotoNotReady { url: String, log: PathBuf },
    #[error("the GameLift emulator did not start: {0}")]
    Emulator(String),
    #[error("the local ECS scaler did not start: {0}")]
    GameServers(String),
    #[error("creating the local resources failed: {0}")]
    Resources(#[from] resources::ResourceError),
    #[error(transparent)]
    Secret(#[from] local_gateway::auth::SecretError),
    #[error(transparent)]
    Lookup(#[from] running::LookupError),
    #[error(transparent)]
    Clock(#[from] clock::ClockError),
    #[error("{0}")]
    Usage(String),
    #[error("cannot {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl DevError {
    pub fn exit_code(&self) -> i32 {
        match self {
            DevError::PortInUse { .. } => EXIT_PORT_IN_USE,
            DevError::MotoMissing { .. } => EXIT_NOT_BOOTSTRAPPED,
            DevError::Lookup(_) => EXIT_NO_STACK,
            DevError::Usage(_) | DevError::Clock(_) => 2,
            _ => 1,
        }
    }
}

/// `hangar dev [flags]` starts the local stack; `hangar dev token ...` prints a token.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DevArgs {
    #[command(subcommand)]
    pub command: Option<DevCommand>,
    #[command(flatten)]
    pub stack: StackArgs,
}

#[derive(Subcommand, Debug)]
pub enum DevCommand {
    /// Print a token for the local API: a player token, or a game-server token with --server.
    Token(TokenArgs),
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Player id (the token's `sub`); with --server, the game server's name.
    pub subject: Option<String>,
    /// A game-server token (IAM-authorized routes) instead of a player token.
    #[arg(long)]
    pub server: bool,
    /// With --server: print instead the server credential of this session (its sessionId
    /// or GameLift ARN), as GameLift hands it to the game server hosting it; send it in the
    /// hangar-session-credential header. Reads the running stack's dev.json.
    #[arg(long, requires = "server")]
    pub session: Option<String>,
    /// How long the token is valid: 3600, 90s, 10m, 2h, 7d.
    #[arg(long, default_value = "1h", value_parser = crate::duration::parse_duration)]
    pub ttl: Duration,
    /// State folder of the running stack (default: the nearest .hangar/ from here
    /// upwards, else the one running stack recorded for this user).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct StackArgs {
    /// Port of the moto server (0: any free port).
    #[arg(long, default_value_t = 5000)]
    pub moto_port: u16,
    /// Port of the GameLift emulator (0: any free port).
    #[arg(long, default_value_t = 5100)]
    pub emulator_port: u16,
    /// Port of the local API (0: any free port).
    #[arg(long, default_value_t = 3000)]
    pub api_port: u16,
    /// Port of the console, a web page on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 3100)]
    pub console_port: u16,
    /// Do not serve the console.
    #[arg(long)]
    pub no_console: bool,
    /// Folder for dev.json, the token secret and logs.
    #[arg(long, default_value = ".hangar")]
    pub state_dir: PathBuf,
    /// Prefix of every resource name.
    #[arg(long, default_value = "hangar-dev")]
    pub prefix: String,
    /// Speed of the emulator's clock (60: a simulated minute per second).
    #[arg(long, default_value_t = 60.0)]
    pub clock_speed: f64,
    /// How long a game session lasts, in wall-clock seconds, unless its server ends it.
    #[arg(long, default_value_t = 600.0)]
    pub session_seconds: f64,
    /// The project's Python virtual environment (holds moto_server).
    #[arg(long, default_value = ".venv")]
    pub venv: PathBuf,
    /// AWS region the local clients use.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
}

/// Where the stack's moto server comes from.
#[derive(Debug, Clone)]
pub enum MotoSource {
    /// Start `<venv>/bin/moto_server` on this port (0: any free port).
    Spawn { venv: PathBuf, port: u16 },
    /// Use a moto server that is already running (tests use the suite's server).
    External { url: String },
}

/// Everything [`start`] needs.
#[derive(Debug, Clone)]
pub struct StackConfig {
    pub moto: MotoSource,
    pub emulator_port: u16,
    pub api_port: u16,
    /// Port of the console (`None`: no console).
    pub console_port: Option<u16>,
    pub state_dir: PathBuf,
    pub prefix: String,
    pub clock_speed: f64,
    /// Game session length in wall-clock seconds.
    pub session_seconds: f64,
    pub region: String,
    /// Where the stack records itself for `hangar dev token` (`None`: it does not).
    pub registry_dir: Option<PathBuf>,
}

impl From<&StackArgs> for StackConfig {
    fn from(a: &StackArgs) -> Self {
        Self {
            moto: MotoSource::Spawn {
                venv: a.venv.clone(),
                port: a.moto_port,
            },
            emulator_port: a.emulator_port,
            api_port: a.api_port,
            console_port: (!a.no_console).then_some(a.console_port),
            state_dir: a.state_dir.clone(),
            prefix: a.prefix.clone(),
            clock_speed: a.clock_speed,
            session_seconds: a.session_seconds,
            region: a.region.clone(),
            registry_dir: running::registry_dir(),
        }
    }
}

/// A running local stack; stop it with [`RunningStack::shutdown`].
pub struct RunningStack {
    pub info: DevInfo,
    moto: Option<MotoProcess>,
    emulator: Option<LocalEmulator>,
    api: Option<RunningGateway>,
    console: Option<console::RunningConsole>,
    fleet: Option<fleet::LocalFleet>,
    /// The CodeDeploy stand-in the traffic hooks report to (`AWS_ENDPOINT_URL_CODEDEPLOY`).
    codedeploy: Option<local_codedeploy::LocalCodeDeploy>,
    /// The record of this stack among the user's running stacks; removed on shutdown.
    registration: Option<running::Registration>,
    /// Background work of the areas (SQS pollers, timers); aborted on shutdown.
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningStack {
    /// Resolves if the moto server this stack started exits on its own; never otherwise.
    pub async fn moto_exited(&mut self) -> String {
        match self.moto.as_mut() {
            Some(moto) => moto.exited().await,
            None => std::future::pending().await,
        }
    }

    /// Stops the console, the API, the emulator and the moto server, in that order.
    pub async fn shutdown(mut self) {
        self.registration.take();
        for task in self.background.drain(..) {
            task.abort();
        }
        if let Some(console) = self.console.take() {
            console.shutdown().await;
        }
        if let Some(api) = self.api.take() {
            api.shutdown().await;
        }
        if let Some(fleet) = self.fleet.take() {
            fleet.engine.shutdown().await;
        }
        // Stops when dropped.
        self.codedeploy.take();
        if let Some(emulator) = self.emulator.take() {
            emulator.shutdown().await;
        }
        if let Some(moto) = self.moto.take() {
            moto.stop().await;
        }
    }
}

/// Binds 127.0.0.1:`port`, or explains which flag to change when it is taken.
pub fn check_port(port: u16, flag: &'static str) -> Result<std::net::TcpListener, DevError> {
    std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            DevError::PortInUse { port, flag }
        } else {
            DevError::Io {
                what: format!("listen on 127.0.0.1:{port} ({flag})"),
                source,
            }
        }
    })
}

fn tokio_listener(
    listener: std::net::TcpListener,
    what: &str,
) -> Result<tokio::net::TcpListener, DevError> {
    let io = |source| DevError::Io {
        what: what.to_string(),
        source,
    };
    listener.set_nonblocking(true).map_err(io)?;
    tokio::net::TcpListener::from_std(listener).map_err(io)
}

/// Starts the local stack. On error, whatever had started is stopped again.
pub async fn start(config: StackConfig) -> Result<RunningStack, DevError> {
    let io = |what: String| move |source| DevError::Io { what, source };
    let clock = ClockPlan::new(config.clock_speed, config.session_seconds)?;
    std::fs::create_dir_all(&config.state_dir)
        .map_err(io(format!("create {}", config.state_dir.display())))?;
    let key = TokenKey::load_or_create(&config.state_dir.join(SECRET_FILE))?;

    // Claim the API and console ports first, so a taken port is reported before anything
    // starts.
    let api_listener = check_port(config.api_port, "--api-port")?;
    let console_listener = config
        .console_port
        .map(|port| check_port(port, "--console-port"))
        .transpose()?;

    let mut stack = RunningStack {
        info: DevInfo {
            pid: std::process::id(),
            region: config.region.clone(),
            moto_url: String::new(),
            gamelift_url: String::new(),
            api_url: String::new(),
            console_url: String::new(),
            routes: Vec::new(),
            resources: DevResources::default(),
            clock: clock.clone(),
            env: Default::default(),
        },
        moto: None,
        emulator: None,
        api: None,
        console: None,
        fleet: None,
        codedeploy: None,
        registration: None,
        background: Vec::new(),
    };
    let listeners = Listeners {
        api: api_listener,
        console: console_listener,
    };
    match start_parts(&config, &clock, key, listeners, &mut stack).await {
        Ok(()) => Ok(stack),
        Err(e) => {
            stack.shutdown().await;
            Err(e)
        }
    }
}

struct Listeners {
    api: std::net::TcpListener,
    console: Option<std::net::TcpListener>,
}

async fn start_parts(
    config: &StackConfig,
    clock: &ClockPlan,
    key: TokenKey,
    listeners: Listeners,
    stack: &mut RunningStack,
) -> Result<(), DevError> {
    let moto_url = match &config.moto {
        MotoSource::Spawn { venv, port } => {
            let moto = MotoProcess::spawn(venv, *port, &config.state_dir.join("moto.log")).await?;
            let url = moto.url().to_string();
            stack.moto = Some(moto);
            url
        }
        MotoSource::External { url } => url.clone(),
    };
    let sdk_config = local_sdk_config(&moto_url, &config.region).await;

    let emulator = LocalEmulator::start(config.emulator_port, clock, &sdk_config).await?;
    let gamelift_url = emulator.url();
    stack.emulator = Some(emulator);

    let mut resources = resources::create(&sdk_config, &gamelift_url, &config.prefix).await?;
    let local_fleet = fleet::LocalFleet::start(&sdk_config, &gamelift_url, &config.prefix).await?;
    resources
        .tables
        .insert(fleet::AREA.into(), local_fleet.lock_table.clone());
    let fleet_env = local_fleet.environment();
    stack.fleet = Some(local_fleet);

    let context = routes::RouteContext {
        sdk_config: sdk_config.clone(),
        gamelift_endpoint: gamelift_url.clone(),
        resources: resources.clone(),
    };
    let api_routes = routes::api_routes(&context).await;
    let route_keys = api_routes.iter().map(|r| format!("{r:?}")).collect();
    let listener = tokio_listener(listeners.api, "serve the local API")?;
    let server_token = key.issue(
        TokenKind::Server,
        "gamelift-emulator",
        Duration::from_secs(30 * 86_400),
    );
    let api =
        local_gateway::serve(listener, api_routes, key.clone()).map_err(|source| DevError::Io {
            what: "serve the local API".into(),
            source,
        })?;
    let api_url = api.url();
    stack.api = Some(api);
    sessions::wire_game_servers(&gamelift_url, &api_url, &server_token)
        .await
        .map_err(DevError::Emulator)?;
    stack.background = sessions::spawn_background(&sdk_config, &gamelift_url, &resources);
    let scaler_task = gameservers::spawn_scaler(
        &sdk_config,
        &moto_url,
        &resources,
        &config.prefix,
        ecs_lab::Contract::Hangar,
    )
    .await
    .map_err(DevError::GameServers)?;
    stack.background.push(scaler_task);

    let mut env = DevInfo::environment(&config.region, &moto_url, &gamelift_url, &api_url);
    env.extend(fleet_env);
    // The traffic hooks report here (PutLifecycleEventHookExecutionStatus); `POST /hooks`
    // starts a hook execution, `GET /deployments` shows what each reported.
    let codedeploy = local_codedeploy::LocalCodeDeploy::start()
        .await
        .map_err(|source| DevError::Io {
            what: "serve the local CodeDeploy".into(),
            source,
        })?;
    env.insert("AWS_ENDPOINT_URL_CODEDEPLOY".into(), codedeploy.url());
    stack.codedeploy = Some(codedeploy);
    if let Some(listener) = listeners.console {
        let listener = tokio_listener(listener, "serve the console")?;
        let sources = console_sources(&sdk_config, &gamelift_url, &api_url, &resources, key);
        let console = console::serve(listener, sources).map_err(|source| DevError::Io {
            what: "serve the console".into(),
            source,
        })?;
        stack.info.console_url = console.url();
        stack.console = Some(console);
    }
    stack.info = DevInfo {
        pid: std::process::id(),
        region: config.region.clone(),
        moto_url,
        gamelift_url,
        api_url: api_url.clone(),
        console_url: stack.info.console_url.clone(),
        routes: route_keys,
        resources,
        clock: clock.clone(),
        env,
    };
    let info_path = config.state_dir.join(INFO_FILE);
    stack
        .info
        .write(&info_path)
        .map_err(|source| DevError::Io {
            what: format!("write {}", info_path.display()),
            source,
        })?;
    if let Some(dir) = &config.registry_dir {
        let record = running::RunningRecord {
            pid: std::process::id(),
            state_dir: std::path::absolute(&config.state_dir)
                .unwrap_or_else(|_| config.state_dir.clone()),
            api_url,
        };
        match running::Registration::create(dir, &record) {
            Ok(r) => stack.registration = Some(r),
            // Only `hangar dev token` from other folders needs it: say so, carry on.
            Err(e) => {
                tracing::warn!(error = %e, dir = %dir.display(), "cannot record the running stack")
            }
        }
    }
    Ok(())
}

/// What the console reads, all pointed at this stack.
fn console_sources(
    sdk: &aws_types::SdkConfig,
    gamelift_url: &str,
    api_url: &str,
    resources: &DevResources,
    key: TokenKey,
) -> console::snapshot::Sources {
    console::snapshot::Sources {
        gamelift: aws_sdk_gamelift::Client::from_conf(
            aws_sdk_gamelift::config::Builder::from(sdk)
                .endpoint_url(gamelift_url)
                .build(),
        ),
        dynamodb: aws_sdk_dynamodb::Client::new(sdk),
        sfn: aws_sdk_sfn::Client::new(sdk),
        admin: gamelift_emulator::AdminClient::new(gamelift_url),
        http: reqwest::Client::new(),
        api_url: api_url.to_string(),
        key,
        sessions_table: resources.tables.get(sessions::AREA).cloned(),
        gameservers_table: resources.tables.get(gameservers::AREA).cloned(),
    }
}

/// AWS configuration for the local stack: moto's endpoint for every service, test
/// credentials. GameLift clients override the endpoint with the emulator's.
pub async fn local_sdk_config(moto_url: &str, region: &str) -> aws_types::SdkConfig {
    hangar_aws::loader()
        .region(Region::new(region.to_string()))
        .endpoint_url(moto_url)
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "hangar-dev",
        ))
        .load()
        .await
}

/// `hangar dev`: start, print, wait for Ctrl-C / SIGTERM, stop.
pub async fn run(args: DevArgs) -> Result<(), DevError> {
    match args.command {
        Some(DevCommand::Token(token)) => match &token.session {
            Some(session) => {
                let (_, found) = running_key(token.state_dir.as_deref())?;
                let credential = sessions::server_credential(&found.info, session)
                    .await
                    .map_err(DevError::Usage)?;
                println!("{credential}");
                Ok(())
            }
            None => print_token(&token),
        },
        None => run_stack(&args.stack).await,
    }
}

/// The token secret of the running stack, found as [`running::find`] says.
pub fn running_key(state_dir: Option<&Path>) -> Result<(TokenKey, running::FoundStack), DevError> {
    let cwd = std::env::current_dir().map_err(|source| DevError::Io {
        what: "read the current folder".into(),
        source,
    })?;
    let found = running::find(state_dir, &cwd, running::registry_dir().as_deref())?;
    let key = TokenKey::load(&found.secret_path())?;
    Ok((key, found))
}

fn print_token(args: &TokenArgs) -> Result<(), DevError> {
    let (kind, subject) = match (&args.subject, args.server) {
        (Some(subject), server) => (
            if server {
                TokenKind::Server
            } else {
                TokenKind::Player
            },
            subject.clone(),
        ),
        (None, true) => (TokenKind::Server, "game-server-1".to_string()),
        (None, false) => return Err(DevError::Usage(
            "name the player: hangar dev token <PLAYER_ID> (or --server for a game-server token)"
                .into(),
        )),
    };
    let (key, _) = running_key(args.state_dir.as_deref())?;
    println!("{}", key.issue(kind, &subject, args.ttl));
    Ok(())
}

async fn run_stack(args: &StackArgs) -> Result<(), DevError> {
    let config = StackConfig::from(args);
    println!("hangar dev: starting the local stack");
    let started = Instant::now();
    let mut stack = start(config.clone()).await?;
    print_info(&stack.info, &config.state_dir);
    println!(
        "hangar dev: ready in {:.1} s (Ctrl-C or SIGTERM stops everything)",
        started.elapsed().as_secs_f64()
    );

    let reason = wait_for_stop(&mut stack).await;
    println!("hangar dev: {reason}; stopping");
    let moto_died = reason.starts_with("the moto server exited");
    stack.shutdown().await;
    println!("hangar dev: stopped");
    if moto_died {
        return Err(DevError::MotoExited {
            status: reason,
            log: config.state_dir.join("moto.log"),
        });
    }
    Ok(())
}

async fn wait_for_stop(stack: &mut RunningStack) -> String {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C".to_string(),
        _ = terminate => "SIGTERM".to_string(),
        status = stack.moto_exited() => format!("the moto server exited ({status})"),
    }
}

fn print_info(info: &DevInfo, state_dir: &Path) {
    let r = &info.resources;
    println!(
        "  moto server         {}  (DynamoDB, SQS, SNS, ECS, CodeDeploy, Step Functions)",
        info.moto_url
    );
    println!("  GameLift emulator   {}", info.gamelift_url);
    println!("  local API           {}", info.api_url);
    for route in &info.routes {
        println!("    {route}");
    }
    if !info.console_url.is_empty() {
        println!(
            "  console             {}  (loopback only; open it in a browser)",
            info.console_url
        );
    }
    println!("  region              {}", info.region);
    println!("  SNS topic           {}", r.placement_topic_arn);
    println!("  SQS queue           {}", r.placement_queue_url);
    println!("  SQS dead letters    {}", r.placement_dlq_url);
    println!("  GameLift build      {}", r.build_id);
    println!("  GameLift fleet      {}", r.fleet_id);
    println!("  GameLift alias      {} ({})", r.alias_id, r.alias_arn);
    println!(
        "  game session queue  {} ({})",
        r.game_session_queue_name, r.game_session_queue_arn
    );
    for (area, table) in &r.tables {
        println!("  DynamoDB table      {table} ({area})");
    }
    println!(
        "  state               {}",
        state_dir.join(INFO_FILE).display()
    );
    println!(
        "  tokens              hangar dev token <PLAYER_ID> | hangar dev token --server <NAME>  (signed with {})",
        state_dir.join(SECRET_FILE).display()
    );
    println!("  clock:");
    for line in info.clock.lines() {
        println!("    {line}");
    }
    println!("  environment:");
    for (k, v) in &info.env {
        println!("    export {k}={v}");
    }
}
