//! A small client for the emulator's admin interface (used by tests and `hangar dev`).
//! Every method is one HTTP call to a route documented in `docs/gamelift-emulator.md`.

use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("admin request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("admin request refused with {status}: {body}")]
    Refused { status: u16, body: String },
}

#[derive(Debug, Clone)]
pub struct AdminClient {
    base: String,
    http: reqwest::Client,
}

impl AdminClient {
    /// `endpoint` is the emulator's endpoint URL, e.g. `http://127.0.0.1:5100`.
    pub fn new(endpoint: &str) -> Self {
        Self {
            base: format!("{}/admin", endpoint.trim_end_matches('/')),
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value, AdminError> {
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            return Err(AdminError::Refused {
                status: status.as_u16(),
                body: text,
            });
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Value, AdminError> {
        self.send(self.http.post(format!("{}/{path}", self.base)).json(&body))
            .await
    }

    pub async fn get(&self, path: &str) -> Result<Value, AdminError> {
        self.send(self.http.get(format!("{}/{path}", self.base)))
            .await
    }

    pub async fn reset(&self) -> Result<Value, AdminError> {
        self.send(self.http.post(format!("{}/reset", self.base)))
            .await
    }
    pub async fn state(&self) -> Result<Value, AdminError> {
        self.get("state").await
    }
    /// Placement events handed to SNS so far (with publish outcome).
    pub async fn events(&self) -> Result<Vec<Value>, AdminError> {
        Ok(self.get("events").await?["events"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }
    /// Requests the emulator received for `operation` (including refused ones).
    pub async fn calls(&self, operation: &str) -> Result<u64, AdminError> {
        Ok(self.state().await?["calls"][operation]
            .as_u64()
            .unwrap_or(0))
    }
    pub async fn set_speed(&self, speed: f64) -> Result<Value, AdminError> {
        self.post("clock", json!({"speed": speed})).await
    }
    pub async fn advance(&self, seconds: f64) -> Result<Value, AdminError> {
        self.post("clock", json!({"advanceSeconds": seconds})).await
    }
    pub async fn throttle(&self, operation: &str, fraction: f64) -> Result<Value, AdminError> {
        self.post(
            "faults/throttle",
            json!({"operation": operation, "fraction": fraction}),
        )
        .await
    }
    pub async fn fail_next(&self, operation: &str, count: u32) -> Result<Value, AdminError> {
        self.post(
            "faults/fail-next",
            json!({"operation": operation, "count": count}),
        )
        .await
    }
    pub async fn fleet_error(
        &self,
        fleet_id: &str,
        location: Option<&str>,
    ) -> Result<Value, AdminError> {
        self.post(
            "faults/fleet-error",
            json!({"fleetId": fleet_id, "location": location}),
        )
        .await
    }
    pub async fn build_failed(&self, build_id: &str) -> Result<Value, AdminError> {
        self.post("faults/build-failed", json!({"buildId": build_id}))
            .await
    }
    /// Extra simulated seconds in ACTIVATING for one fleet, or (`None`) every new fleet.
    pub async fn slow_activation(
        &self,
        fleet_id: Option<&str>,
        extra_seconds: f64,
    ) -> Result<Value, AdminError> {
        self.post(
            "faults/slow-activation",
            json!({"fleetId": fleet_id, "extraSeconds": extra_seconds}),
        )
        .await
    }
    /// Slow activation of one location: of that fleet, or (`fleet_id` `None`) of every
    /// fleet created from now on. `extra_seconds` `None`: the location never leaves
    /// ACTIVATING until this fault is changed.
    pub async fn slow_location_activation(
        &self,
        fleet_id: Option<&str>,
        location: &str,
        extra_seconds: Option<f64>,
    ) -> Result<Value, AdminError> {
        let mut body = json!({"fleetId": fleet_id, "location": location});
        match extra_seconds {
            Some(x) => body["extraSeconds"] = json!(x),
            None => body["forever"] = json!(true),
        }
        self.post("faults/slow-activation", body).await
    }
    pub async fn event_faults(
        &self,
        duplicate: u32,
        delay_seconds: f64,
        reorder_window: u32,
    ) -> Result<Value, AdminError> {
        self.post("faults/events", json!({"duplicate": duplicate, "delaySeconds": delay_seconds, "reorderWindow": reorder_window})).await
    }
    /// The next `count` placements of `queue` (`None`: of every queue) fail with
    /// PlacementFailed; 0 removes the fault.
    pub async fn placement_failed(
        &self,
        queue: Option<&str>,
        count: u32,
    ) -> Result<Value, AdminError> {
        self.post(
            "faults/placement-failed",
            json!({"queueName": queue, "count": count}),
        )
        .await
    }
    /// Game sessions started from now on on `fleet_id` (`None`: every fleet) never
    /// activate (`never`), or activate as usual again.
    pub async fn never_activate(
        &self,
        fleet_id: Option<&str>,
        never: bool,
    ) -> Result<Value, AdminError> {
        self.post(
            "faults/game-session-activation",
            json!({"fleetId": fleet_id, "never": never}),
        )
        .await
    }
    pub async fn clear_faults(&self) -> Result<Value, AdminError> {
        self.send(self.http.delete(format!("{}/faults", self.base)))
            .await
    }
    /// Changes simulated game-server behaviour; see `docs/gamelift-emulator.md` for members.
    pub async fn game_servers(&self, settings: Value) -> Result<Value, AdminError> {
        self.post("game-servers", settings).await
    }
}
