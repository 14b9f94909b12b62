//! Simulated game servers: one HTTP server per task on a loopback address, answering
//! the game-server contract its task was started with, with knobs a test or a person
//! turns (free slots, ready to close, health, answer delay, start-up time).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// Which contract a simulated server speaks (it answers only that one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    /// `GET /capacity` → `{"capacity", "freeSlots", "readyToClose"}`.
    Hangar,
    /// `GET /health/` → `{"available_capacity", "ready_to_close"}`.
    Health,
}

/// Settings for servers started from now on.
#[derive(Debug, Clone, Copy)]
pub struct NewServers {
    pub capacity: u32,
    /// Every answer waits this long.
    pub delay_ms: u64,
    pub contract: Contract,
    /// For this long after the task starts the server is still loading and answers 503.
    pub loading_ms: u64,
}

impl NewServers {
    pub fn with_capacity(capacity: u32) -> Self {
        NewServers {
            capacity,
            delay_ms: 0,
            contract: Contract::Hangar,
            loading_ms: 0,
        }
    }
}

/// The knobs of one simulated game server.
#[derive(Debug)]
pub struct SimServer {
    /// Where it listens (loopback).
    pub addr: SocketAddr,
    pub contract: Contract,
    pub capacity: AtomicU32,
    pub free: AtomicU32,
    pub ready_to_close: AtomicBool,
    pub healthy: AtomicBool,
    pub delay_ms: AtomicU64,
    pub probes: AtomicU64,
    /// The task's group (`service:<name>` for service tasks).
    pub group: String,
    ready_at: Mutex<Instant>,
    /// Probes in flight across the lab, and the most seen at once.
    in_flight: Arc<(AtomicU64, AtomicU64)>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl SimServer {
    pub fn set_free(&self, free: u32) {
        self.free.store(free, Ordering::SeqCst);
    }
    pub fn set_ready_to_close(&self, ready: bool) {
        self.ready_to_close.store(ready, Ordering::SeqCst);
    }
    pub fn set_healthy(&self, healthy: bool) {
        self.healthy.store(healthy, Ordering::SeqCst);
    }
    pub fn set_delay_ms(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }
    /// Ends the start-up load now (instead of after `loading_ms`).
    pub fn finish_loading(&self) {
        if let Ok(mut at) = self.ready_at.lock() {
            *at = Instant::now();
        }
    }
    pub fn probes(&self) -> u64 {
        self.probes.load(Ordering::SeqCst)
    }
    pub fn free(&self) -> u32 {
        self.free.load(Ordering::SeqCst)
    }
    pub(crate) fn shut_down(&self) {
        if let Ok(mut t) = self.task.lock() {
            if let Some(h) = t.take() {
                h.abort();
            }
        }
    }

    /// Starts a server on `listener` with `settings`.
    pub(crate) fn serve(
        listener: tokio::net::TcpListener,
        settings: NewServers,
        group: &str,
        in_flight: Arc<(AtomicU64, AtomicU64)>,
    ) -> std::io::Result<Arc<SimServer>> {
        let addr = listener.local_addr()?;
        let sim = Arc::new(SimServer {
            addr,
            contract: settings.contract,
            capacity: AtomicU32::new(settings.capacity),
            free: AtomicU32::new(settings.capacity),
            ready_to_close: AtomicBool::new(false),
            healthy: AtomicBool::new(true),
            delay_ms: AtomicU64::new(settings.delay_ms),
            probes: AtomicU64::new(0),
            group: group.to_string(),
            ready_at: Mutex::new(Instant::now() + Duration::from_millis(settings.loading_ms)),
            in_flight,
            task: Mutex::new(None),
        });
        let path = match settings.contract {
            Contract::Hangar => "/capacity",
            Contract::Health => "/health/",
        };
        let app = Router::new()
            .route(path, get(answer))
            .with_state(sim.clone());
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        if let Ok(mut t) = sim.task.lock() {
            *t = Some(handle);
        }
        Ok(sim)
    }
}

async fn answer(State(s): State<Arc<SimServer>>) -> Response {
    s.probes.fetch_add(1, Ordering::SeqCst);
    let now = s.in_flight.0.fetch_add(1, Ordering::SeqCst) + 1;
    s.in_flight.1.fetch_max(now, Ordering::SeqCst);
    let delay = s.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    s.in_flight.0.fetch_sub(1, Ordering::SeqCst);
    let loading = s
        .ready_at
        .lock()
        .map(|at| Instant::now() < *at)
        .unwrap_or(false);
    if loading {
        return (StatusCode::SERVICE_UNAVAILABLE, "still loading").into_response();
    }
    if !s.healthy.load(Ordering::SeqCst) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "sick").into_response();
    }
    let (capacity, free, ready) = (
        s.capacity.load(Ordering::SeqCst),
        s.free.load(Ordering::SeqCst),
        s.ready_to_close.load(Ordering::SeqCst),
    );
    Json(match s.contract {
        Contract::Hangar => json!({"capacity": capacity, "freeSlots": free, "readyToClose": ready}),
        Contract::Health => {
            json!({"status": "ok", "available_capacity": free, "ready_to_close": ready})
        }
    })
    .into_response()
}
