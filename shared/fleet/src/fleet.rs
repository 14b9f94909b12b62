//! [`Fleet`], the state every stage function shares: the SDK clients and the settings,
//! built once in `main` (or by `hangar dev`, the local engine and tests) from the
//! configuration and the SDK configuration.

use hangar_lambda::ConfigError;

use crate::config::FleetConfig;
use crate::error::FleetError;

#[derive(Clone)]
pub struct Fleet {
    pub gamelift: aws_sdk_gamelift::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// DynamoDB table holding the alias locks (`FLEET_LOCK_TABLE`).
    pub lock_table: String,
    /// The region the workflow runs in: the new fleet's home location.
    pub region: String,
}

impl Fleet {
    /// Clients from `sdk` (so `AWS_ENDPOINT_URL_GAMELIFT` / `AWS_ENDPOINT_URL_DYNAMODB` /
    /// `AWS_ENDPOINT_URL` select local endpoints); the home region is the SDK's region.
    pub fn new(config: &FleetConfig, sdk: &aws_config::SdkConfig) -> Result<Fleet, FleetError> {
        Fleet::with_clients(
            config,
            aws_sdk_gamelift::Client::new(sdk),
            aws_sdk_dynamodb::Client::new(sdk),
            sdk.region().map(|r| r.to_string()),
        )
    }

    /// The same with clients built elsewhere (tests give GameLift their own retry settings).
    pub fn with_clients(
        config: &FleetConfig,
        gamelift: aws_sdk_gamelift::Client,
        dynamodb: aws_sdk_dynamodb::Client,
        region: Option<String>,
    ) -> Result<Fleet, FleetError> {
        let region = region.ok_or_else(|| ConfigError::Missing {
            name: "AWS_REGION".into(),
        })?;
        Ok(Fleet {
            gamelift,
            dynamodb,
            lock_table: config.lock_table.clone(),
            region,
        })
    }
}
