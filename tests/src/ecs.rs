//! The ECS lab (`tools/ecs-lab`) on the suite's moto server, and the game-servers state
//! built on it the way the functions build theirs (configuration through
//! `config::from_vars`, clients pointed at the lab's front).

use std::collections::HashMap;
use std::sync::Arc;

pub use ecs_lab::{Contract, EcsLab, LabConfig, Launch, NewServers, SimServer};
use hangar_gameservers::config::{self, Need, GROUP_VAR, TABLE_VAR};
use hangar_gameservers::store::{create_table, Store};
use hangar_gameservers::{Clients, GameServers};

/// A Fargate (awsvpc) lab with its own cluster and family; new servers have `capacity`
/// slots and speak Hangar's contract.
pub async fn lab(capacity: u32) -> EcsLab {
    lab_with(Launch::Fargate, NewServers::with_capacity(capacity)).await
}

/// A lab of the given shape on the suite's moto.
pub async fn lab_with(launch: Launch, servers: NewServers) -> EcsLab {
    EcsLab::start(LabConfig {
        moto_url: crate::moto_endpoint(),
        sdk: crate::aws_config().await,
        launch,
        servers,
        cluster: crate::unique_name("gs"),
        family: crate::unique_name("gsfam"),
    })
    .await
    .unwrap_or_else(|e| panic!("ECS lab did not start: {e}"))
}

/// The scaler's margins and bounds for a test.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub capacity: u32,
    pub up: u32,
    pub down: u32,
    pub min: u32,
    pub max: u32,
}

impl Limits {
    fn vars(&self) -> [(&'static str, String); 5] {
        [
            ("SERVER_CAPACITY", self.capacity.to_string()),
            ("UPSCALE_MARGIN", self.up.to_string()),
            ("DOWNSCALE_MARGIN", self.down.to_string()),
            ("MIN_TASKS", self.min.to_string()),
            ("MAX_TASKS", self.max.to_string()),
        ]
    }
}

/// SDK clients of the area pointed at the lab's front.
pub async fn clients(lab: &EcsLab) -> Clients {
    Clients::new(&lab.sdk_config(&crate::aws_config().await))
}

/// A DynamoDB client through the front (moto, with atomic conditional writes).
pub async fn dynamodb(lab: &EcsLab) -> aws_sdk_dynamodb::Client {
    clients(lab).await.dynamodb
}

/// A scaling [`GameServers`] for `lab` with its own fresh table: the lab's variables,
/// `limits`, then `extra` (probe settings, service, ...), read by `config::from_vars`.
/// The group is the lab's cluster.
pub async fn scaler(lab: &EcsLab, limits: Limits, extra: &[(&str, &str)]) -> (GameServers, Store) {
    let clients = clients(lab).await;
    let table = crate::unique_name("gameservers");
    create_table(&clients.dynamodb, &table).await.unwrap();
    let mut env = lab.scaler_vars();
    env.insert(TABLE_VAR.into(), table);
    env.insert(GROUP_VAR.into(), lab.cluster.clone());
    for (k, v) in limits
        .vars()
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(extra.iter().copied())
    {
        env.insert(k.to_string(), v.to_string());
    }
    let cfg =
        config::from_vars(&move |name: &str| env.get(name).cloned(), &[Need::Scaling]).unwrap();
    let store = Store::new(clients.dynamodb.clone(), &cfg.table, &cfg.group);
    (GameServers::with_clients(cfg, clients).unwrap(), store)
}

/// The state of an allocation (or listing) function on `store`'s table, configured
/// from its environment as in Lambda.
pub async fn allocator(lab: &EcsLab, store: &Store, extra: &[(&str, &str)]) -> GameServers {
    let mut env: HashMap<String, String> = HashMap::from([
        (TABLE_VAR.into(), store.table().to_string()),
        (GROUP_VAR.into(), store.group().into()),
    ]);
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    let cfg = config::from_vars(&move |n: &str| env.get(n).cloned(), &[]).unwrap();
    GameServers::with_clients(cfg, clients(lab).await).unwrap()
}

/// Test shorthands over the lab: a task's server must exist.
pub trait Sims {
    fn server(&self, arn: &str) -> Arc<SimServer>;
}

impl Sims for EcsLab {
    fn server(&self, arn: &str) -> Arc<SimServer> {
        self.find_server(arn)
            .unwrap_or_else(|| panic!("no game server for {arn}"))
    }
}
