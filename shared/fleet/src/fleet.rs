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
    /// Step Functions: whether the execution holding a lock still runs.
    pub sfn: aws_sdk_sfn::Client,
    /// DynamoDB table holding the alias locks (`FLEET_LOCK_TABLE`).
    pub lock_table: String,
    /// The region the workflow runs in: the new fleet's home location.
    pub region: String,
}

impl Fleet {
    /// Clients from `sdk` (so `AWS_ENDPOINT_URL_GAMELIFT` / `AWS_ENDPOINT_URL_DYNAMODB` /
    /// `AWS_ENDPOINT_URL_SFN` / `AWS_ENDPOINT_URL` select local endpoints); the home
    /// region is the SDK's region.
    pub fn new(config: &FleetConfig, sdk: &aws_config::SdkConfig) -> Result<Fleet, FleetError> {
        Fleet::with_clients(
            config,
            Clients {
                gamelift: aws_sdk_gamelift::Client::new(sdk),
                dynamodb: aws_sdk_dynamodb::Client::new(sdk),
                sfn: aws_sdk_sfn::Client::new(sdk),
            },
            sdk.region().map(|r| r.to_string()),
        )
    }

    /// The same with clients built elsewhere (`hangar dev` and tests point each at its
    /// local endpoint, tests give GameLift their own retry settings).
    pub fn with_clients(
        config: &FleetConfig,
        clients: Clients,
        region: Option<String>,
    ) -> Result<Fleet, FleetError> {
        let region = region.ok_or_else(|| ConfigError::Missing {
            name: "AWS_REGION".into(),
        })?;
        Ok(Fleet {
            gamelift: clients.gamelift,
            dynamodb: clients.dynamodb,
            sfn: clients.sfn,
            lock_table: config.lock_table.clone(),
            region,
        })
    }
}

/// The SDK clients of [`Fleet`].
#[derive(Clone)]
pub struct Clients {
    pub gamelift: aws_sdk_gamelift::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sfn: aws_sdk_sfn::Client,
}
