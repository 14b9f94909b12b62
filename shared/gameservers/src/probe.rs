//! Capacity probes: `GET http://<probe address><path>` on every running game server at
//! once, at most `concurrency` in flight, each bounded by a timeout. What the server
//! answers is read through a [`ProbeContract`]: the path and the JSON field names, from
//! a named built-in profile ([`ProbeProfile`]) or set one by one.

use std::collections::HashMap;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;

/// What one probe learned: the game-server contract, whatever its wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacityReport {
    /// Players the server can host in total.
    pub capacity: u32,
    /// Slots still open (capacity minus connected players).
    pub free_slots: u32,
    /// The server has no players and agrees to be stopped.
    pub ready_to_close: bool,
}

/// The named contracts game servers speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeProfile {
    /// Hangar's own: `GET /capacity` → `{"capacity", "freeSlots", "readyToClose"}`.
    Hangar,
    /// `GET /health/` → `{"available_capacity", "ready_to_close"}`, as servers written for
    /// the Django ECS game-server manager answer; the capacity is `SERVER_CAPACITY`.
    Health,
}

impl std::str::FromStr for ProbeProfile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hangar" => Ok(ProbeProfile::Hangar),
            "health" => Ok(ProbeProfile::Health),
            _ => Err("expected `hangar` (GET /capacity) or `health` (GET /health/)".into()),
        }
    }
}

/// Where a server is asked and which fields of its JSON answer mean what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeContract {
    /// Path of the request, starting with `/`.
    pub path: String,
    /// Field holding the total capacity; `None`: every server has `default_capacity`.
    pub capacity_field: Option<String>,
    /// Field holding the free slots.
    pub free_field: String,
    /// Field holding `true` when the server agrees to be stopped (absent reads false).
    pub ready_field: String,
    /// The capacity of a server whose answer carries none (`SERVER_CAPACITY`).
    pub default_capacity: u32,
}

impl ProbeContract {
    pub fn of(profile: ProbeProfile, default_capacity: u32) -> Self {
        match profile {
            ProbeProfile::Hangar => ProbeContract {
                path: "/capacity".into(),
                capacity_field: Some("capacity".into()),
                free_field: "freeSlots".into(),
                ready_field: "readyToClose".into(),
                default_capacity,
            },
            ProbeProfile::Health => ProbeContract {
                path: "/health/".into(),
                capacity_field: None,
                free_field: "available_capacity".into(),
                ready_field: "ready_to_close".into(),
                default_capacity,
            },
        }
    }

    /// Reads an answer. A missing or mistyped count is an invalid report naming the
    /// field; free slots over the capacity are invalid when the server states its
    /// capacity, and raise the assumed capacity when it does not.
    pub fn read(&self, body: &Value) -> Result<CapacityReport, ProbeError> {
        let count = |field: &str| -> Result<u32, ProbeError> {
            match body.get(field) {
                Some(v) => v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| ProbeError::Invalid(format!("`{field}` is not a count: {v}"))),
                None => Err(ProbeError::Invalid(format!("`{field}` is missing"))),
            }
        };
        let free_slots = count(&self.free_field)?;
        let ready_to_close = match body.get(&self.ready_field) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                return Err(ProbeError::Invalid(format!(
                    "`{}` is not true or false: {v}",
                    self.ready_field
                )))
            }
        };
        let capacity = match &self.capacity_field {
            Some(field) => {
                let capacity = count(field)?;
                if free_slots > capacity {
                    return Err(ProbeError::Invalid(format!(
                        "`{}` {free_slots} exceeds `{field}` {capacity}",
                        self.free_field
                    )));
                }
                capacity
            }
            None => self.default_capacity.max(free_slots),
        };
        Ok(CapacityReport {
            capacity,
            free_slots,
            ready_to_close,
        })
    }
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
    contract: ProbeContract,
    timeout: Duration,
    concurrency: usize,
}

impl Prober {
    pub fn new(
        contract: ProbeContract,
        timeout: Duration,
        concurrency: usize,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_max_idle_per_host(1)
            .no_proxy()
            .build()?;
        Ok(Prober {
            http,
            contract,
            timeout,
            concurrency: concurrency.max(1),
        })
    }

    /// Probes the server at `address` (`host:port`).
    pub async fn probe(&self, address: &str) -> Result<CapacityReport, ProbeError> {
        let url = format!("http://{address}{}", self.contract.path);
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
            let body: Value = resp
                .json()
                .await
                .map_err(|e| ProbeError::Invalid(e.to_string()))?;
            self.contract.read(&body)
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .unwrap_or(Err(ProbeError::Timeout(self.timeout)))
    }

    /// Probes every `(id, address)` with bounded concurrency; one result per id.
    pub async fn probe_all(
        &self,
        targets: Vec<(String, String)>,
    ) -> HashMap<String, Result<CapacityReport, ProbeError>> {
        // Futures built first (not mapped in the stream), so the caller's future stays
        // Send for every lifetime (see `GameServers::tick`).
        let probes: Vec<_> = targets
            .into_iter()
            .map(|(id, address)| async move {
                let r = self.probe(&address).await;
                (id, r)
            })
            .collect();
        stream::iter(probes)
            .buffer_unordered(self.concurrency)
            .collect()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hangar_answers_are_read_and_free_over_capacity_is_refused() {
        let c = ProbeContract::of(ProbeProfile::Hangar, 10);
        assert_eq!(
            c.read(&json!({"capacity": 8, "freeSlots": 3, "readyToClose": true}))
                .unwrap(),
            CapacityReport {
                capacity: 8,
                free_slots: 3,
                ready_to_close: true
            }
        );
        assert!(
            !c.read(&json!({"capacity": 8, "freeSlots": 8}))
                .unwrap()
                .ready_to_close
        );
        let e = c.read(&json!({"capacity": 2, "freeSlots": 3})).unwrap_err();
        assert!(e.to_string().contains("freeSlots"), "{e}");
        let e = c.read(&json!({"available_capacity": 3})).unwrap_err();
        assert!(e.to_string().contains("freeSlots` is missing"), "{e}");
    }

    #[test]
    fn health_answers_take_the_configured_capacity() {
        let c = ProbeContract::of(ProbeProfile::Health, 10);
        assert_eq!(c.path, "/health/");
        assert_eq!(
            c.read(&json!({"available_capacity": 4, "ready_to_close": false, "status": "ok"}))
                .unwrap(),
            CapacityReport {
                capacity: 10,
                free_slots: 4,
                ready_to_close: false
            }
        );
        // More free than configured: the server knows better.
        assert_eq!(
            c.read(&json!({"available_capacity": 12})).unwrap().capacity,
            12
        );
        for bad in [
            json!({"available_capacity": -1}),
            json!({"available_capacity": "4"}),
            json!({"available_capacity": 4, "ready_to_close": "yes"}),
            json!({"freeSlots": 4}),
        ] {
            assert!(c.read(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn profiles_parse_by_name() {
        assert_eq!("Health".parse::<ProbeProfile>(), Ok(ProbeProfile::Health));
        assert_eq!("hangar".parse::<ProbeProfile>(), Ok(ProbeProfile::Hangar));
        assert!("seed".parse::<ProbeProfile>().is_err());
    }
}
