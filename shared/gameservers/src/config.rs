//! The area's configuration, read from environment variables once at start-up (in
//! Lambda, in `hangar dev` and in tests alike). Every error names the variable.
//!
//! Every function reads the table, the group and the allocation settings; the scaler
//! also needs the ECS settings ([`Need::Scaling`]).

use std::time::Duration;

use hangar_lambda::config::{parsed, parsed_or, required, ConfigError, Vars};

use crate::decision::{Margins, Strategy};
use crate::probe::{ProbeContract, ProbeProfile};

/// Where the game-server tasks live and how new ones are started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsTarget {
    pub cluster: String,
    /// Task definition new tasks run (family, family:revision or ARN).
    pub task_definition: String,
    /// Family whose tasks are game servers (from the task definition unless set).
    pub family: String,
    /// Optional ECS service whose tasks also count as game servers.
    pub service: Option<String>,
    /// Tags every game-server task carries; new tasks are started with them.
    pub tags: Vec<(String, String)>,
    /// How the tasks are networked, which decides where their address comes from.
    pub network_mode: NetworkMode,
    /// Subnets and security groups of new tasks (awsvpc only).
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
    pub launch_type: String,
}

/// The task definition's network mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    /// Each task has its own network interface: the task's IP, the container port.
    Awsvpc,
    /// Containers share the container instance's address, each on the host port ECS
    /// bound to the container port (`networkBindings`; dynamic host ports work).
    Bridge,
    /// Containers use the container instance's network: its address, the container
    /// port (or the host port ECS reports).
    Host,
}

impl std::str::FromStr for NetworkMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "awsvpc" => Ok(NetworkMode::Awsvpc),
            "bridge" => Ok(NetworkMode::Bridge),
            "host" => Ok(NetworkMode::Host),
            _ => Err("expected awsvpc, bridge or host".into()),
        }
    }
}

/// Which address players are handed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAddress {
    /// The private IP (clients in the same network).
    Private,
    /// The public IP (clients on the internet); a server without one is not handed out.
    Public,
}

impl std::str::FromStr for ClientAddress {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "private" => Ok(ClientAddress::Private),
            "public" => Ok(ClientAddress::Public),
            _ => Err("expected private or public".into()),
        }
    }
}

/// The game servers' table: one item per server, per player hold, and the scaler lease.
pub const TABLE_VAR: &str = "GAMESERVERS_TABLE";
/// The group of servers one deployment manages (a partition of the table).
pub const GROUP_VAR: &str = "GAMESERVER_GROUP";

/// What a function needs beyond the table and the allocation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The ECS target, margins and probe settings (the scaler).
    Scaling,
}

/// Everything the area reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub table: String,
    pub group: String,
    pub allocation: AllocationSettings,
    /// Present when [`Need::Scaling`] was asked for.
    pub scaling: Option<ScalingConfig>,
}

/// How slots are handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationSettings {
    pub strategy: Strategy,
    /// `host:port` answered when no server has a free slot.
    pub backup_server: Option<String>,
    pub retry_after_seconds: u32,
    /// How long a player keeps the slot handed out (repeat requests get the same one),
    /// and how long a reserved slot waits for its player before the scaler frees it.
    pub hold: Duration,
}

/// What the scaler needs beyond the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalingConfig {
    pub ecs: EcsTarget,
    /// The container port players connect to.
    pub game_port: u16,
    /// The container port the scaler probes.
    pub capacity_port: u16,
    pub client_address: ClientAddress,
    pub margins: Margins,
    pub probe: ProbeContract,
    /// How long a new server may fail its probes before the failures count.
    pub startup_grace: Duration,
    pub probe_timeout: Duration,
    pub probe_concurrency: usize,
    pub failure_threshold: u32,
    pub lease: Duration,
    pub protection_minutes: i32,
    pub write_concurrency: usize,
}

/// The settings one scaler run needs beyond its adapters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickSettings {
    pub margins: Margins,
    pub game_port: u16,
    pub capacity_port: u16,
    pub network_mode: NetworkMode,
    pub client_address: ClientAddress,
    pub failure_threshold: u32,
    pub startup_grace: Duration,
    /// How long reservations of items written before per-slot holds still wait.
    pub reservation_hold: Duration,
    pub lease: Duration,
    pub protection_minutes: i32,
    pub write_concurrency: usize,
}

impl TickSettings {
    pub fn new(s: &ScalingConfig, a: &AllocationSettings) -> Self {
        TickSettings {
            margins: s.margins,
            game_port: s.game_port,
            capacity_port: s.capacity_port,
            network_mode: s.ecs.network_mode,
            client_address: s.client_address,
            failure_threshold: s.failure_threshold,
            startup_grace: s.startup_grace,
            reservation_hold: a.hold,
            lease: s.lease,
            protection_minutes: s.protection_minutes,
            write_concurrency: s.write_concurrency,
        }
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn required_list(vars: &impl Vars, name: &str) -> Result<Vec<String>, ConfigError> {
    let v = required(vars, name)?;
    let items = list(&v);
    if items.is_empty() {
        return Err(ConfigError::invalid(
            name,
            &v,
            "expected a comma-separated list",
        ));
    }
    Ok(items)
}

fn tags(vars: &impl Vars, name: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(v) = vars.var(name) else {
        return Ok(Vec::new());
    };
    list(&v)
        .into_iter()
        .map(|pair| match pair.split_once('=') {
            Some((k, val)) if !k.trim().is_empty() => {
                Ok((k.trim().to_string(), val.trim().to_string()))
            }
            _ => Err(ConfigError::invalid(
                name,
                &v,
                format!("`{pair}` is not key=value"),
            )),
        })
        .collect()
}

fn family_of(task_definition: &str) -> String {
    let tail = task_definition
        .rsplit_once("task-definition/")
        .map(|(_, t)| t)
        .unwrap_or(task_definition);
    match tail.rsplit_once(':') {
        Some((family, rev)) if rev.chars().all(|c| c.is_ascii_digit()) => family.to_string(),
        _ => tail.to_string(),
    }
}

fn positive<T: PartialOrd + Default + Copy + ToString>(name: &str, v: T) -> Result<T, ConfigError> {
    if v > T::default() {
        Ok(v)
    } else {
        Err(ConfigError::invalid(
            name,
            &v.to_string(),
            "must be greater than zero",
        ))
    }
}

fn group(vars: &impl Vars) -> Result<String, ConfigError> {
    let g = parsed_or(vars, GROUP_VAR, "default".to_string())?;
    if g.contains('#') {
        return Err(ConfigError::invalid(GROUP_VAR, &g, "must not contain '#'"));
    }
    Ok(g)
}

/// Reads the table, the group, the allocation settings and what `needs` asks for.
pub fn from_vars(vars: &impl Vars, needs: &[Need]) -> Result<Config, ConfigError> {
    let scaling = if needs.contains(&Need::Scaling) {
        Some(ScalingConfig::from_vars(vars)?)
    } else {
        None
    };
    Ok(Config {
        table: required(vars, TABLE_VAR)?,
        group: group(vars)?,
        allocation: AllocationSettings::from_vars(vars)?,
        scaling,
    })
}

impl ScalingConfig {
    fn from_vars(vars: &impl Vars) -> Result<Self, ConfigError> {
        let task_definition = required(vars, "ECS_TASK_DEFINITION")?;
        let family = parsed_or(vars, "ECS_TASK_FAMILY", family_of(&task_definition))?;
        let launch_type =
            parsed_or(vars, "ECS_LAUNCH_TYPE", "FARGATE".to_string())?.to_ascii_uppercase();
        if !["FARGATE", "EC2", "EXTERNAL"].contains(&launch_type.as_str()) {
            return Err(ConfigError::invalid(
                "ECS_LAUNCH_TYPE",
                &launch_type,
                "expected FARGATE, EC2 or EXTERNAL",
            ));
        }
        let network_mode = parsed_or(vars, "ECS_NETWORK_MODE", NetworkMode::Awsvpc)?;
        if network_mode != NetworkMode::Awsvpc && launch_type != "EC2" {
            return Err(ConfigError::invalid(
                "ECS_NETWORK_MODE",
                &vars.var("ECS_NETWORK_MODE").unwrap_or_default(),
                format!("bridge and host networking need ECS_LAUNCH_TYPE EC2, not {launch_type}"),
            ));
        }
        let (subnets, security_groups) = if network_mode == NetworkMode::Awsvpc {
            (
                required_list(vars, "ECS_SUBNETS")?,
                required_list(vars, "ECS_SECURITY_GROUPS")?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let client_address = parsed_or(vars, "GAMESERVER_ADDRESS", ClientAddress::Private)?;
        let ecs = EcsTarget {
            cluster: required(vars, "ECS_CLUSTER")?,
            task_definition,
            family,
            service: vars.var("ECS_SERVICE").filter(|s| !s.trim().is_empty()),
            tags: tags(vars, "GAMESERVER_TAGS")?,
            network_mode,
            subnets,
            security_groups,
            // Clients on the internet need the tasks' public IPs: on by default then.
            assign_public_ip: parsed_or(
                vars,
                "ECS_ASSIGN_PUBLIC_IP",
                client_address == ClientAddress::Public,
            )?,
            launch_type,
        };
        let game_port: u16 = positive("GAME_PORT", parsed(vars, "GAME_PORT")?)?;
        let capacity_port: u16 = positive(
            "CAPACITY_PORT",
            parsed_or(vars, "CAPACITY_PORT", game_port)?,
        )?;
        let server_capacity: u32 = positive("SERVER_CAPACITY", parsed(vars, "SERVER_CAPACITY")?)?;
        let upscale: u32 = parsed(vars, "UPSCALE_MARGIN")?;
        let downscale: u32 = parsed(vars, "DOWNSCALE_MARGIN")?;
        if downscale <= upscale {
            return Err(ConfigError::invalid(
                "DOWNSCALE_MARGIN",
                &downscale.to_string(),
                format!("must be greater than UPSCALE_MARGIN ({upscale})"),
            ));
        }
        let min_tasks: u32 = parsed_or(vars, "MIN_TASKS", 0)?;
        let max_tasks: u32 = parsed(vars, "MAX_TASKS")?;
        if max_tasks < min_tasks {
            return Err(ConfigError::invalid(
                "MAX_TASKS",
                &max_tasks.to_string(),
                format!("must be at least MIN_TASKS ({min_tasks})"),
            ));
        }
        let protection_minutes: i32 = parsed_or(vars, "PROTECTION_MINUTES", 60)?;
        if !(1..=2880).contains(&protection_minutes) {
            return Err(ConfigError::invalid(
                "PROTECTION_MINUTES",
                &protection_minutes.to_string(),
                "must be 1..=2880",
            ));
        }
        let profile = parsed_or(vars, "PROBE_PROFILE", ProbeProfile::Hangar)?;
        let mut probe = ProbeContract::of(profile, server_capacity);
        if let Some(path) = vars.var("PROBE_PATH").filter(|v| !v.trim().is_empty()) {
            if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c == '#') {
                return Err(ConfigError::invalid(
                    "PROBE_PATH",
                    &path,
                    "expected a path starting with / (no spaces, no #)",
                ));
            }
            probe.path = path;
        }
        if let Some(f) = vars
            .var("PROBE_CAPACITY_FIELD")
            .filter(|v| !v.trim().is_empty())
        {
            probe.capacity_field = Some(f.trim().to_string());
        }
        if let Some(f) = vars
            .var("PROBE_FREE_FIELD")
            .filter(|v| !v.trim().is_empty())
        {
            probe.free_field = f.trim().to_string();
        }
        if let Some(f) = vars
            .var("PROBE_READY_FIELD")
            .filter(|v| !v.trim().is_empty())
        {
            probe.ready_field = f.trim().to_string();
        }
        Ok(ScalingConfig {
            ecs,
            game_port,
            capacity_port,
            client_address,
            probe,
            startup_grace: Duration::from_secs(parsed_or(vars, "PROBE_GRACE_SECONDS", 120u64)?),
            margins: Margins {
                upscale,
                downscale,
                server_capacity,
                min_tasks,
                max_tasks,
            },
            probe_timeout: Duration::from_millis(positive(
                "PROBE_TIMEOUT_MS",
                parsed_or(vars, "PROBE_TIMEOUT_MS", 1000u64)?,
            )?),
            probe_concurrency: positive(
                "PROBE_CONCURRENCY",
                parsed_or(vars, "PROBE_CONCURRENCY", 100usize)?,
            )?,
            failure_threshold: positive(
                "PROBE_FAILURE_THRESHOLD",
                parsed_or(vars, "PROBE_FAILURE_THRESHOLD", 3u32)?,
            )?,
            lease: Duration::from_secs(positive(
                "LEASE_SECONDS",
                parsed_or(vars, "LEASE_SECONDS", 120u64)?,
            )?),
            protection_minutes,
            write_concurrency: positive(
                "WRITE_CONCURRENCY",
                parsed_or(vars, "WRITE_CONCURRENCY", 32usize)?,
            )?,
        })
    }
}

impl AllocationSettings {
    fn from_vars(vars: &impl Vars) -> Result<Self, ConfigError> {
        let backup_server = match vars.var("BACKUP_SERVER").filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(v) => {
                let ok = v.rsplit_once(':').is_some_and(|(host, port)| {
                    !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
                });
                if !ok {
                    return Err(ConfigError::invalid(
                        "BACKUP_SERVER",
                        &v,
                        "expected host:port",
                    ));
                }
                Some(v.trim().to_string())
            }
        };
        Ok(AllocationSettings {
            strategy: parsed_or(vars, "ALLOCATION_STRATEGY", Strategy::Packing)?,
            backup_server,
            retry_after_seconds: positive(
                "RETRY_AFTER_SECONDS",
                parsed_or(vars, "RETRY_AFTER_SECONDS", 5u32)?,
            )?,
            hold: Duration::from_secs(positive(
                "RESERVATION_HOLD_SECONDS",
                parsed_or(vars, "RESERVATION_HOLD_SECONDS", 60u64)?,
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            (TABLE_VAR, "gs"),
            ("ECS_CLUSTER", "games"),
            (
                "ECS_TASK_DEFINITION",
                "arn:aws:ecs:us-east-1:1:task-definition/chess:7",
            ),
            ("ECS_SUBNETS", "subnet-1, subnet-2"),
            ("ECS_SECURITY_GROUPS", "sg-1"),
            ("GAME_PORT", "7777"),
            ("SERVER_CAPACITY", "10"),
            ("UPSCALE_MARGIN", "10"),
            ("DOWNSCALE_MARGIN", "30"),
            ("MAX_TASKS", "20"),
            ("GAMESERVER_TAGS", "game=chess,stage=dev"),
        ])
    }

    fn load(map: &HashMap<&'static str, &'static str>) -> Result<ScalingConfig, ConfigError> {
        let f = |n: &str| map.get(n).map(|v| v.to_string());
        let config = from_vars(&f, &[Need::Scaling])?;
        assert_eq!(config.table, "gs");
        config.scaling.ok_or(ConfigError::Missing {
            name: "scaling".into(),
        })
    }

    #[test]
    fn complete_config_parses_with_defaults() {
        let c = load(&base()).unwrap();
        assert_eq!(c.ecs.family, "chess");
        assert_eq!(c.ecs.subnets, vec!["subnet-1", "subnet-2"]);
        assert_eq!(
            c.ecs.tags,
            vec![
                ("game".into(), "chess".into()),
                ("stage".into(), "dev".into())
            ]
        );
        assert_eq!(c.capacity_port, 7777);
        assert_eq!(c.margins.min_tasks, 0);
        assert_eq!(c.failure_threshold, 3);
        let f = |n: &str| base().get(n).map(|v| v.to_string());
        assert_eq!(from_vars(&f, &[]).unwrap().group, "default");
        assert_eq!(family_of("chess"), "chess");
        assert_eq!(family_of("chess:3"), "chess");
    }

    #[test]
    fn each_bad_value_is_reported_with_its_variable() {
        let cases: &[(&str, Option<&str>)] = &[
            (TABLE_VAR, None),
            ("ECS_CLUSTER", None),
            ("ECS_SUBNETS", Some(" , ")),
            ("GAME_PORT", Some("0")),
            ("GAME_PORT", Some("99999")),
            ("SERVER_CAPACITY", Some("0")),
            ("UPSCALE_MARGIN", Some("-1")),
            ("DOWNSCALE_MARGIN", Some("5")),
            ("MAX_TASKS", Some("x")),
            ("PROBE_CONCURRENCY", Some("0")),
            ("PROBE_FAILURE_THRESHOLD", Some("0")),
            ("PROTECTION_MINUTES", Some("3000")),
            ("GAMESERVER_TAGS", Some("game")),
            ("ECS_LAUNCH_TYPE", Some("LAMBDA")),
        ];
        for (name, value) in cases {
            let mut m = base();
            match value {
                Some(v) => m.insert(name, v),
                None => m.remove(name),
            };
            let err = load(&m).unwrap_err().to_string();
            assert!(err.contains(name), "{name}={value:?}: {err}");
        }
        let mut m = base();
        m.insert("MIN_TASKS", "30");
        assert!(load(&m).unwrap_err().to_string().contains("MAX_TASKS"));
    }

    #[test]
    fn allocator_config_checks_strategy_and_backup() {
        let get = |pairs: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let ok = from_vars(
            &get(&[
                (TABLE_VAR, "t"),
                ("ALLOCATION_STRATEGY", "spread"),
                ("BACKUP_SERVER", "backup.example:7777"),
            ]),
            &[],
        )
        .unwrap()
        .allocation;
        assert_eq!(ok.strategy, Strategy::Spread);
        assert_eq!(ok.backup_server.as_deref(), Some("backup.example:7777"));
        let bad = from_vars(
            &get(&[(TABLE_VAR, "t"), ("ALLOCATION_STRATEGY", "random")]),
            &[],
        )
        .unwrap_err();
        assert!(bad.to_string().contains("ALLOCATION_STRATEGY"));
        let bad =
            from_vars(&get(&[(TABLE_VAR, "t"), ("BACKUP_SERVER", "nohost")]), &[]).unwrap_err();
        assert!(bad.to_string().contains("BACKUP_SERVER"));
    }

    #[test]
    fn allocation_functions_need_only_the_table_and_the_scaler_names_what_it_lacks() {
        let f = |n: &str| (n == TABLE_VAR).then(|| "t".to_string());
        let c = from_vars(&f, &[]).unwrap();
        assert_eq!((c.table.as_str(), c.group.as_str()), ("t", "default"));
        assert!(c.scaling.is_none());
        assert_eq!(c.allocation.hold, Duration::from_secs(60));
        let e = from_vars(&f, &[Need::Scaling]).unwrap_err().to_string();
        assert!(e.contains("ECS_TASK_DEFINITION"), "{e}");
        let e = from_vars(&|_: &str| None, &[]).unwrap_err().to_string();
        assert!(e.contains("GAMESERVERS_TABLE"), "{e}");
    }
}
