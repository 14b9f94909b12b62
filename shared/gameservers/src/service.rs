//! The area's state, [`GameServers`]: built once in `main` (or by `hangar dev`, or a
//! test) from the configuration and SDK clients, then borrowed by every entry point.
//! The allocator and the listing use the table; the scaler run also needs ECS and the
//! capacity prober, present when the configuration asked for scaling.

use crate::config::{AllocationSettings, Config, TickSettings};
use crate::ec2::Ec2;
use crate::ecs::Ecs;
use crate::error::GameServersError;
use crate::probe::Prober;
use crate::store::Store;

#[derive(Clone)]
pub struct GameServers {
    pub store: Store,
    pub allocation: AllocationSettings,
    /// The scaler's adapters and settings; `None` in the allocation functions.
    pub scaling: Option<Scaling>,
}

/// What a scaler run needs beyond the table.
#[derive(Clone)]
pub struct Scaling {
    pub ecs: Ecs,
    pub ec2: Ec2,
    pub prober: Prober,
    pub settings: TickSettings,
}

impl GameServers {
    /// The state for `config`, with clients from the one SDK configuration (they honour
    /// `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`).
    pub fn new(config: Config, sdk: &aws_config::SdkConfig) -> Result<Self, GameServersError> {
        Self::with_clients(config, Clients::new(sdk))
    }

    /// The state for `config` over the given clients (tests point them at the ECS lab).
    pub fn with_clients(config: Config, clients: Clients) -> Result<Self, GameServersError> {
        let scaling = match &config.scaling {
            None => None,
            Some(s) => Some(Scaling {
                ecs: Ecs::new(clients.ecs, s.ecs.clone()),
                ec2: Ec2::new(clients.ec2),
                prober: Prober::new(s.probe.clone(), s.probe_timeout, s.probe_concurrency)
                    .map_err(GameServersError::ProbeClient)?,
                settings: TickSettings::new(s, &config.allocation),
            }),
        };
        Ok(GameServers {
            store: Store::new(clients.dynamodb, &config.table, &config.group),
            allocation: config.allocation,
            scaling,
        })
    }
}

/// The SDK clients the area uses (built once; no I/O until the first call).
#[derive(Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub ec2: hangar_aws::ec2::Ec2Client,
}

impl Clients {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Clients {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            ecs: aws_sdk_ecs::Client::new(sdk),
            ec2: hangar_aws::ec2::Ec2Client::new(sdk),
        }
    }
}
