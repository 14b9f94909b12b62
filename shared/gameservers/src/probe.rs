//! Capacity probes: `GET http://<task ip>:<capacity port>/capacity` on every running
//! game server at once, at most `concurrency` in flight, each bounded by a timeout.

use std::collections::HashMap;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

/// What a game server answers on `GET /capacity` (the game-server contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacityReport {
    /// Players the server can host in total.
    pub capacity: u32,
    /// Slots still open (capacity minus connected players).
    pub free_slots: u32,
    /// The server has no players and agrees to be stopped.
    #[serde(default)]
    pub ready_to_close: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("request failed: {0}")]
    Request(String),
    #[error("answered HTTP {0}")]
    Status(u16),
    #[error("invalid capacity report: {0}")]
    Invalid(String),
}

#[derive(Clone)]
pub struct Prober {
    http: reqwest::Client,
    port: u16,
    timeout: Duration,
    concurrency: usize,
}

impl Prober {
    pub fn new(port: u16, timeout: Duration, concurrency: usize) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_max_idle_per_host(1)
            .no_proxy()
            .build()?;
        Ok(Prober {
            http,
            port,
            timeout,
            concurrency: concurrency.max(1),
        })
    }

    pub async fn probe(&self, host: &str) -> Result<CapacityReport, ProbeError> {
        let url = format!("http://{host}:{}/capacity", self.port);
        let fut = async {
            let resp = self.http.get(&url).send().await.map_err(|e| {
                if e.is_timeout() {
                    ProbeError::Timeout(self.timeout)
                } else {
                    ProbeError::Request(e.to_string())
                }
            })?;
            if !resp.status().is_success() {
                return Err(ProbeError::Status(resp.status().as_u16()));
            }
            let report: CapacityReport = resp
                .json()
                .await
                .map_err(|e| ProbeError::Invalid(e.to_string()))?;
            if report.free_slots > report.capacity {
                return Err(ProbeError::Invalid(format!(
                    "freeSlots {} exceeds capacity {}",
                    report.free_slots, report.capacity
                )));
            }
            Ok(report)
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .unwrap_or(Err(ProbeError::Timeout(self.timeout)))
    }

    /// Probes every `(id, host)` with bounded concurrency; one result per id.
    pub async fn probe_all(
        &self,
        targets: Vec<(String, String)>,
    ) -> HashMap<String, Result<CapacityReport, ProbeError>> {
        stream::iter(targets)
            .map(|(id, host)| async move {
                let r = self.probe(&host).await;
                (id, r)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await
    }
}
