//! How to run the emulator: [`Config`] with its defaults, and its checks naming the bad
//! [`Setting`]. Read by `main` (flags), `hangar dev` and tests; used by the server.

use crate::model::{ServerSettings, Timing};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listening address; must be a loopback address. Port 0 picks a free port.
    pub bind: SocketAddr,
    /// Simulated seconds per real second.
    pub speed: f64,
    pub region: String,
    pub account_id: String,
    pub timing: Timing,
    /// Simulated game-server behaviour (session duration, player acceptance, callback).
    pub server: ServerSettings,
    /// Publish placement events to SNS (the queue's NotificationTarget).
    pub publish_events: bool,
    /// AWS configuration for the SNS client; `None` loads `aws_config::defaults`, so
    /// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SNS` select a local SNS such as moto.
    pub aws: Option<aws_config::SdkConfig>,
    /// Real time between lifecycle ticks.
    pub tick: Duration,
}

pub const DEFAULT_PORT: u16 = 5100;

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            speed: 1.0,
            region: "us-east-1".to_string(),
            account_id: "123456789012".to_string(),
            timing: Timing::default(),
            server: ServerSettings::default(),
            publish_events: true,
            aws: None,
            tick: Duration::from_millis(10),
        }
    }
}

impl Config {
    /// Checks the settings; the error names the bad one.
    pub fn validate(&self) -> Result<(), String> {
        self.check().map_err(|e| e.to_string())
    }

    /// Like [`Config::validate`], saying which [`Setting`] is wrong.
    pub fn check(&self) -> Result<(), ConfigError> {
        let bad = |setting, message: String| Err(ConfigError { setting, message });
        if !self.bind.ip().is_loopback() {
            return bad(
                Setting::Bind,
                format!("bind address {} is not a loopback address", self.bind),
            );
        }
        if !self.speed.is_finite() || self.speed < 0.0 {
            return bad(
                Setting::Speed,
                format!("speed {} must be a number >= 0", self.speed),
            );
        }
        if self.region.is_empty()
            || !self
                .region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return bad(
                Setting::Region,
                format!("region {:?} is not a region name", self.region),
            );
        }
        if self.account_id.len() != 12 || !self.account_id.chars().all(|c| c.is_ascii_digit()) {
            return bad(
                Setting::AccountId,
                format!("account id {:?} must be 12 digits", self.account_id),
            );
        }
        if self.server.session_duration_ms <= 0 {
            return bad(
                Setting::SessionDuration,
                "session duration must be positive".to_string(),
            );
        }
        if let Some(url) = &self.server.callback_url {
            if let Err(e) = reqwest::Url::parse(url) {
                return bad(Setting::CallbackUrl, format!("callback URL {url:?}: {e}"));
            }
        }
        if self.tick.is_zero() {
            return bad(Setting::Tick, "tick must be positive".to_string());
        }
        Ok(())
    }
}

/// A configuration setting, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Bind,
    Speed,
    Region,
    AccountId,
    SessionDuration,
    CallbackUrl,
    Tick,
}

/// A bad configuration setting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub setting: Setting,
    pub message: String,
}
