//! The HTTP server: binds the loopback address, resolves the local AWS services
//! ([`local_aws`]), starts the background workers and composes the routes of the two
//! GameLift protocols ([`protocols`]) and the admin interface ([`admin_routes`]) over one
//! [`core::Core`].

mod admin_routes;
mod core;
pub mod local_aws;
mod local_s3;
mod protocols;
mod workers;

use self::core::{Core, Inner};
use crate::clock::SimClock;
use crate::config::Config;
use crate::faults::Faults;
use crate::model::{Identity, State};
use crate::ops::UploadCredentials;
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    #[error("port {port} on {ip} is already in use; choose another port (for example --port 0 for any free port)")]
    PortInUse { ip: std::net::IpAddr, port: u16 },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Aws(#[from] local_aws::LocalAwsError),
}

/// A running emulator. Dropping it does not stop it; call [`RunningEmulator::shutdown`].
pub struct RunningEmulator {
    addr: SocketAddr,
    core: Arc<Core>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
}

impl RunningEmulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The GameLift endpoint URL, for an SDK's `endpoint_url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Base URL of the admin interface (`.../admin`).
    pub fn admin_url(&self) -> String {
        format!("http://{}/admin", self.addr)
    }
    /// A client for the admin interface of this emulator.
    pub fn admin(&self) -> crate::admin::AdminClient {
        crate::admin::AdminClient::new(&self.endpoint_url())
    }
    /// Current simulated time, epoch milliseconds.
    pub fn now_millis(&self) -> i64 {
        self.core.clock.now()
    }
    /// Stops serving and the background tasks.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Open connections get a few seconds to finish; then the server is stopped hard.
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
        for w in &self.workers {
            w.abort();
        }
    }
}

/// Starts the emulator on `config.bind`.
pub async fn start(config: Config) -> Result<RunningEmulator, StartError> {
    config.validate().map_err(StartError::Config)?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AddrInUse {
                StartError::PortInUse {
                    ip: config.bind.ip(),
                    port: config.bind.port(),
                }
            } else {
                StartError::Bind {
                    addr: config.bind,
                    source,
                }
            }
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.bind,
        source,
    })?;

    let sdk = match &config.aws {
        Some(c) => c.clone(),
        None => hangar_aws::sdk_config().await,
    };
    let aws = local_aws::resolve(sdk, config.publish_events).await?;
    let sns = config
        .publish_events
        .then(|| aws_sdk_sns::Client::new(&aws.sdk));
    let upload_credentials = aws.uploads.as_ref().map(|(_, c)| UploadCredentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().to_string(),
        session_token: c.session_token().unwrap_or("emulator").to_string(),
    });
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (effects_tx, effects_rx) = mpsc::unbounded_channel();
    let core = Arc::new(Core {
        inner: Mutex::new(Inner {
            state: State::default(),
            calls: Default::default(),
            faults: Faults::default(),
            settings: config.server.clone(),
        }),
        clock: SimClock::new(config.speed),
        timing: config.timing.clone(),
        who: Identity {
            region: config.region.clone(),
            account_id: config.account_id.clone(),
        },
        initial_settings: config.server.clone(),
        publish_events: config.publish_events,
        uploads: upload_credentials,
        events_tx,
        effects_tx,
    });

    let mut workers = Vec::new();
    let ticker = core.clone();
    let period = config.tick;
    workers.push(tokio::spawn(async move {
        let mut iv = tokio::time::interval(period);
        iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            iv.tick().await;
            ticker.tick();
        }
    }));
    workers.push(tokio::spawn(workers::publisher(
        core.clone(),
        sns,
        events_rx,
    )));
    workers.push(tokio::spawn(workers::callbacks(core.clone(), effects_rx)));
    if let Some((s3, credentials)) = aws.uploads {
        let s3 = local_s3::LocalS3::new(s3, config.region.clone(), credentials);
        workers.push(tokio::spawn(workers::uploads(core.clone(), s3)));
    }

    let app = router(core.clone());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let r = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "emulator server stopped with an error");
        }
    });
    tracing::info!(%addr, "GameLift emulator listening");
    Ok(RunningEmulator {
        addr,
        core,
        stop: Some(stop_tx),
        server,
        workers,
    })
}

/// A web page open in the developer's browser could send simple (no-preflight) requests to
/// the admin routes on loopback and switch faults; browsers mark such requests with
/// `Origin`, which tests and SDK clients never send, so any admin request carrying it is
/// refused.
async fn refuse_browser_pages(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request.uri().path().starts_with("/admin")
        && request.headers().contains_key(axum::http::header::ORIGIN)
    {
        return (
            axum::http::StatusCode::FORBIDDEN,
            axum::Json(serde_json::json!({"error": {"code": "CrossOrigin", "message": "the admin interface does not answer web pages (Origin header present)"}})),
        )
            .into_response();
    }
    next.run(request).await
}

fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route("/", post(protocols::json_protocol))
        .route(
            "/service/{service}/operation/{op}",
            post(protocols::cbor_protocol),
        )
        .route("/admin/state", get(admin_routes::admin_state))
        .route("/admin/events", get(admin_routes::admin_events))
        .route("/admin/reset", post(admin_routes::admin_reset))
        .route(
            "/admin/clock",
            get(admin_routes::admin_get_clock).post(admin_routes::admin_clock),
        )
        .route(
            "/admin/faults",
            axum::routing::delete(admin_routes::admin_clear_faults),
        )
        .route("/admin/faults/throttle", post(admin_routes::admin_throttle))
        .route(
            "/admin/faults/fail-next",
            post(admin_routes::admin_fail_next),
        )
        .route(
            "/admin/faults/fleet-error",
            post(admin_routes::admin_fleet_error),
        )
        .route(
            "/admin/faults/build-failed",
            post(admin_routes::admin_build_failed),
        )
        .route(
            "/admin/faults/slow-activation",
            post(admin_routes::admin_slow_activation),
        )
        .route(
            "/admin/faults/events",
            post(admin_routes::admin_event_faults),
        )
        .route(
            "/admin/faults/placement-failed",
            post(admin_routes::admin_placement_failed),
        )
        .route(
            "/admin/faults/game-session-activation",
            post(admin_routes::admin_game_session_activation),
        )
        .route(
            "/admin/game-servers",
            post(admin_routes::admin_game_servers),
        )
        .fallback(admin_routes::not_found)
        .layer(axum::middleware::from_fn(refuse_browser_pages))
        .with_state(core)
}
