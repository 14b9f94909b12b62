//! Fleet replacement in `hangar dev`: the local Step Functions endpoint with the
//! fleet-replacement state machine created from `template.yaml`'s definition, its stage
//! functions on this stack's GameLift emulator and moto, and the alias lock table. The
//! printed environment points `hangar fleet replace` (and any SDK) at it.

use std::collections::BTreeMap;

use local_stepfunctions::LocalEngine;

use super::DevError;

/// Every Wait state of a local replacement lasts this long (milliseconds).
pub const WAIT_MS: u64 = 1000;

/// The area's key in `DevResources::tables`.
pub const AREA: &str = "fleet";

/// The running endpoint and the names the environment gives out.
pub struct LocalFleet {
    pub engine: LocalEngine,
    pub lock_table: String,
}

impl LocalFleet {
    pub async fn start(
        sdk: &aws_types::SdkConfig,
        gamelift_url: &str,
        prefix: &str,
    ) -> Result<LocalFleet, DevError> {
        let gamelift = aws_sdk_gamelift::Client::from_conf(
            aws_sdk_gamelift::config::Builder::from(sdk)
                .endpoint_url(gamelift_url)
                .build(),
        );
        let lock_table = format!("{prefix}-fleet-replacement-locks");
        let engine = crate::fleet::start_engine(
            sdk,
            gamelift,
            &lock_table,
            0,
            // The emulator's clock runs fast: a poll a second is plenty, the defaults
            // (15-30 s between polls) would only make a newcomer wait.
            crate::fleet::Pauses {
                wait_ms: Some(WAIT_MS),
                retry_ms: None,
            },
        )
        .await
        .map_err(|e| DevError::Usage(format!("the local Step Functions endpoint: {e}")))?;
        Ok(LocalFleet { engine, lock_table })
    }

    /// What `hangar fleet` reads: the endpoint, the state machine and the lock table.
    pub fn environment(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "AWS_ENDPOINT_URL_SFN".into(),
                self.engine.sfn_endpoint_url(),
            ),
            (
                "HANGAR_FLEET_STATE_MACHINE_ARN".into(),
                self.engine.state_machine_arn().to_string(),
            ),
            ("FLEET_LOCK_TABLE".into(), self.lock_table.clone()),
        ])
    }
}
