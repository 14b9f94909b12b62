//! The GameLift emulator of the local stack, run in-process.

use std::net::{Ipv4Addr, SocketAddr};

use super::clock::ClockPlan;
use super::{check_port, DevError};

/// The in-process GameLift emulator.
pub struct LocalEmulator {
    running: gamelift_emulator::RunningEmulator,
}

impl LocalEmulator {
    /// Starts the emulator on 127.0.0.1:`port` (0: any free port) with its clock and
    /// session length as `clock` says, publishing placement events through `aws` (moto's SNS).
    pub async fn start(
        port: u16,
        clock: &ClockPlan,
        aws: &aws_types::SdkConfig,
    ) -> Result<Self, DevError> {
        // Report a taken port in the same words as the other ports.
        drop(check_port(port, "--emulator-port")?);
        let mut config = gamelift_emulator::Config {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            speed: clock.speed,
            region: aws
                .region()
                .map_or_else(|| "us-east-1".to_string(), |r| r.to_string()),
            aws: Some(aws.clone()),
            ..gamelift_emulator::Config::default()
        };
        config.server.session_duration_ms = clock.session_sim_ms;
        config.validate().map_err(DevError::Emulator)?;
        let running = gamelift_emulator::start(config)
            .await
            .map_err(|e| DevError::Emulator(e.to_string()))?;
        Ok(Self { running })
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        self.running.endpoint_url()
    }

    pub async fn shutdown(self) {
        self.running.shutdown().await;
    }
}
