//! The ECS lab: moto's ECS, EC2 and DynamoDB behind a loopback front that plays the ECS
//! data plane moto lacks, with a simulated game server for every task. The scaler runs
//! against it in the integration tests and in `hangar dev`.
//!
//! - Every task gets a simulated game server ([`server`]) answering the contract it was
//!   started with; StopTask stops it. Addresses are loopback ones (see
//!   [`front::loopback_for`]), so nothing ever leaves 127.0.0.0/8.
//! - Two launch shapes: Fargate tasks with awsvpc networking (each task its own IP, the
//!   game port), and EC2 tasks with bridge networking on container instances the lab
//!   registers (the instance's IP, a host port per task).
//! - moto's gaps are filled in the front ([`front`]): UpdateTaskProtection, network
//!   bindings, public IPs, atomic conditional writes.
//! - moto advances a task's status each time it is described; the lab pins `ecs::task`
//!   transitions to manual so RUNNING tasks stay RUNNING.
//!
//! The lab models ECS, not Hangar: it depends on no area crate.

pub mod front;
pub mod server;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_ecs::types::{
    AwsVpcConfiguration, Compatibility, ContainerDefinition, DesiredStatus, LaunchType,
    NetworkConfiguration, NetworkMode, PortMapping, Tag, TransportProtocol,
};
use aws_types::SdkConfig;
use axum::Router;
use serde_json::json;

pub use front::loopback_for;
use front::Front;
pub use server::{Contract, NewServers, SimServer};

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("{what}: {message}")]
    Aws { what: String, message: String },
    #[error("the moto server at {url}: {message}")]
    Moto { url: String, message: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(String),
}

fn aws<E: std::error::Error>(what: impl Into<String>) -> impl FnOnce(E) -> LabError {
    let what = what.into();
    move |e| LabError::Aws {
        what,
        message: aws_sdk_ecs::error::DisplayErrorContext(e).to_string(),
    }
}

/// How the lab's game-server tasks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// Fargate, awsvpc networking: each task its own IP, servers on the game port.
    Fargate,
    /// EC2 launch type, bridge networking, on `instances` container instances (EC2
    /// instances with a private and a public IP); each task on its own host port.
    Ec2Bridge { instances: usize },
}

/// What a lab needs to start.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// The moto server, e.g. `http://127.0.0.1:5000`.
    pub moto_url: String,
    /// Credentials and region for the lab's own clients (the endpoint is set here).
    pub sdk: SdkConfig,
    pub launch: Launch,
    pub servers: NewServers,
    /// Cluster and task-definition family.
    pub cluster: String,
    pub family: String,
}

/// One ECS world: a cluster and a game-server task definition on moto, behind a front.
pub struct EcsLab {
    pub cluster: String,
    pub family: String,
    pub launch: Launch,
    pub subnet: String,
    pub security_group: String,
    /// The container port game servers listen on (and are probed on).
    pub game_port: u16,
    /// The front's URL: the endpoint of ECS, EC2 and DynamoDB for clients under test.
    pub endpoint: String,
    /// An ECS client talking to the front, for setting up and inspecting tasks.
    pub ecs: aws_sdk_ecs::Client,
    front: Arc<Front>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for EcsLab {
    fn drop(&mut self) {
        self.server.abort();
        for s in self.servers() {
            s.1.shut_down();
        }
    }
}

impl EcsLab {
    /// Starts the front on 127.0.0.1:0 and creates the cluster and task definition (and,
    /// for [`Launch::Ec2Bridge`], the container instances) on moto.
    pub async fn start(config: LabConfig) -> Result<EcsLab, LabError> {
        let moto = config.moto_url.trim_end_matches('/').to_string();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| LabError::Setup(format!("HTTP client: {e}")))?;
        let moto_err = |message: String| LabError::Moto {
            url: moto.clone(),
            message,
        };
        http.post(format!("{moto}/moto-api/state-manager/set-transition"))
            .json(&json!({"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1_000_000_000}}))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| moto_err(e.to_string()))?;
        let ec2 = hangar_aws::ec2::Ec2Client::new(&config.sdk).with_endpoint(&moto);
        let first = |action: &'static str, path: &'static str| {
            let ec2 = ec2.clone();
            async move {
                let answer = ec2
                    .call(action, &[])
                    .await
                    .map_err(|e| aws(format!("{action} on moto"))(e))?;
                Ok::<_, LabError>(answer.text_of(path).map(str::to_string))
            }
        };
        let subnet = first("DescribeSubnets", "subnetSet/item/subnetId")
            .await?
            .ok_or_else(|| moto_err("no default subnet".into()))?;
        let security_group = first("DescribeSecurityGroups", "securityGroupInfo/item/groupId")
            .await?
            .ok_or_else(|| moto_err("no default security group".into()))?;

        // A port free on 127.0.0.1 is the game port of every awsvpc server of this lab.
        let game_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|source| LabError::Io {
                what: "find a free game port".into(),
                source,
            })?
            .port();
        let front = Arc::new(Front {
            moto: moto.clone(),
            http,
            game_port,
            ec2: ec2.clone(),
            new_servers: Mutex::new(config.servers),
            servers: Mutex::new(HashMap::new()),
            bindings: Mutex::new(HashMap::new()),
            instances: Mutex::new(HashMap::new()),
            protection: Mutex::new(HashMap::new()),
            run_task_calls: AtomicU64::new(0),
            stop_task_calls: AtomicU64::new(0),
            described_tasks: AtomicU64::new(0),
            items_read: AtomicU64::new(0),
            read_requests: AtomicU64::new(0),
            in_flight: Arc::new((AtomicU64::new(0), AtomicU64::new(0))),
            dynamodb_writes: tokio::sync::Mutex::new(()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| LabError::Io {
                what: "listen on 127.0.0.1".into(),
                source,
            })?;
        let endpoint = format!(
            "http://{}",
            listener.local_addr().map_err(|source| LabError::Io {
                what: "listen on 127.0.0.1".into(),
                source,
            })?
        );
        let app = Router::new()
            .fallback(front::front_door)
            .with_state(front.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let ecs = aws_sdk_ecs::Client::from_conf(
            aws_sdk_ecs::config::Builder::from(&config.sdk)
                .endpoint_url(&endpoint)
                .build(),
        );
        let lab = EcsLab {
            cluster: config.cluster,
            family: config.family,
            launch: config.launch,
            subnet,
            security_group,
            game_port,
            endpoint,
            ecs,
            front,
            server,
        };
        lab.create_cluster().await?;
        if let Launch::Ec2Bridge { instances } = config.launch {
            lab.register_instances(&ec2, instances).await?;
        }
        Ok(lab)
    }

    async fn create_cluster(&self) -> Result<(), LabError> {
        self.ecs
            .create_cluster()
            .cluster_name(&self.cluster)
            .send()
            .await
            .map_err(aws("CreateCluster"))?;
        let game = ContainerDefinition::builder().name("game").image("game:1");
        let req = self.ecs.register_task_definition().family(&self.family);
        let req = match self.launch {
            Launch::Fargate => req
                .network_mode(NetworkMode::Awsvpc)
                .requires_compatibilities(Compatibility::Fargate)
                .cpu("256")
                .memory("512")
                .container_definitions(game.cpu(256).memory(512).build()),
            Launch::Ec2Bridge { .. } => req
                .network_mode(NetworkMode::Bridge)
                .requires_compatibilities(Compatibility::Ec2)
                .container_definitions(
                    game.cpu(128)
                        .memory(256)
                        .port_mappings(
                            PortMapping::builder()
                                .container_port(i32::from(self.game_port))
                                .host_port(0)
                                .protocol(TransportProtocol::Tcp)
                                .build(),
                        )
                        .build(),
                ),
        };
        req.send().await.map_err(aws("RegisterTaskDefinition"))?;
        Ok(())
    }

    /// EC2 instances (with public IPs) registered as the cluster's container instances.
    async fn register_instances(
        &self,
        ec2: &hangar_aws::ec2::Ec2Client,
        count: usize,
    ) -> Result<(), LabError> {
        let params: Vec<(String, String)> = [
            ("ImageId", "ami-12c6146b".to_string()),
            ("MinCount", count.to_string()),
            ("MaxCount", count.to_string()),
            ("NetworkInterface.1.DeviceIndex", "0".to_string()),
            ("NetworkInterface.1.SubnetId", self.subnet.clone()),
            (
                "NetworkInterface.1.AssociatePublicIpAddress",
                "true".to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let run = ec2
            .call("RunInstances", &params)
            .await
            .map_err(aws("RunInstances on moto"))?;
        for i in run.find("instancesSet/item") {
            let (Some(id), Some(ip)) = (i.text_of("instanceId"), i.text_of("privateIpAddress"))
            else {
                return Err(LabError::Setup("RunInstances: no id or private IP".into()));
            };
            let document = json!({"instanceId": id, "privateIp": ip}).to_string();
            let registered = self
                .ecs
                .register_container_instance()
                .cluster(&self.cluster)
                .instance_identity_document(document)
                .send()
                .await
                .map_err(aws("RegisterContainerInstance"))?;
            let arn = registered
                .container_instance()
                .and_then(|c| c.container_instance_arn())
                .ok_or_else(|| LabError::Setup("RegisterContainerInstance: no ARN".into()))?;
            let host = loopback_for(ip)
                .ok_or_else(|| LabError::Setup(format!("instance IP {ip} is not IPv4")))?;
            if let Ok(mut m) = self.front.instances.lock() {
                m.insert(arn.to_string(), host);
            }
        }
        Ok(())
    }

    /// Environment for the scaler's configuration matching this lab (cluster, task
    /// definition, networking, tags `game=chess`, game port); callers add the table,
    /// the group and the margins.
    pub fn scaler_vars(&self) -> HashMap<String, String> {
        let mut v = HashMap::from([
            ("ECS_CLUSTER".to_string(), self.cluster.clone()),
            ("ECS_TASK_DEFINITION".into(), self.family.clone()),
            ("GAMESERVER_TAGS".into(), "game=chess".into()),
            ("GAME_PORT".into(), self.game_port.to_string()),
            ("PROBE_TIMEOUT_MS".into(), "500".into()),
        ]);
        match self.launch {
            Launch::Fargate => {
                v.insert("ECS_SUBNETS".into(), self.subnet.clone());
                v.insert("ECS_SECURITY_GROUPS".into(), self.security_group.clone());
            }
            Launch::Ec2Bridge { .. } => {
                v.insert("ECS_LAUNCH_TYPE".into(), "EC2".into());
                v.insert("ECS_NETWORK_MODE".into(), "bridge".into());
            }
        }
        v
    }

    /// Client configuration pointing at the front (ECS, EC2, DynamoDB).
    pub fn sdk_config(&self, base: &SdkConfig) -> SdkConfig {
        base.to_builder().endpoint_url(&self.endpoint).build()
    }

    pub fn set_new_servers(&self, s: NewServers) {
        if let Ok(mut n) = self.front.new_servers.lock() {
            *n = s;
        }
    }

    /// Starts `count` game-server tasks directly (as an operator or an ECS service
    /// would); `group` e.g. `service:lobby` makes them service tasks; `public` asks for
    /// public IPs (awsvpc). ARNs sorted.
    pub async fn run_tasks(
        &self,
        count: i32,
        group: Option<&str>,
        tagged: bool,
    ) -> Result<Vec<String>, LabError> {
        let mut req = self
            .ecs
            .run_task()
            .cluster(&self.cluster)
            .task_definition(&self.family)
            .count(count)
            .set_group(group.map(str::to_string));
        req = match self.launch {
            Launch::Fargate => {
                let vpc = AwsVpcConfiguration::builder()
                    .subnets(&self.subnet)
                    .security_groups(&self.security_group)
                    .build()
                    .map_err(aws("RunTask"))?;
                req.launch_type(LaunchType::Fargate).network_configuration(
                    NetworkConfiguration::builder()
                        .awsvpc_configuration(vpc)
                        .build(),
                )
            }
            Launch::Ec2Bridge { .. } => req.launch_type(LaunchType::Ec2),
        };
        if tagged {
            req = req.tags(Tag::builder().key("game").value("chess").build());
        }
        let r = req.send().await.map_err(aws("RunTask"))?;
        let mut arns: Vec<String> = r
            .tasks()
            .iter()
            .filter_map(|t| t.task_arn.clone())
            .collect();
        arns.sort();
        Ok(arns)
    }

    /// Task ARNs ECS (moto) wants running in this lab's cluster.
    pub async fn running_tasks(&self) -> Result<Vec<String>, LabError> {
        let r = self
            .ecs
            .list_tasks()
            .cluster(&self.cluster)
            .desired_status(DesiredStatus::Running)
            .send()
            .await
            .map_err(aws("ListTasks"))?;
        let mut v = r.task_arns.unwrap_or_default();
        v.sort();
        Ok(v)
    }

    /// Stops a task as an operator or ECS itself would (desired status STOPPED).
    pub async fn stop_task(&self, arn: &str) -> Result<(), LabError> {
        self.ecs
            .stop_task()
            .cluster(&self.cluster)
            .task(arn)
            .reason("stopped outside the scaler")
            .send()
            .await
            .map_err(aws("StopTask"))?;
        Ok(())
    }

    /// The simulated game server of task `arn`.
    pub fn find_server(&self, arn: &str) -> Option<Arc<SimServer>> {
        self.front.servers.lock().ok()?.get(arn).cloned()
    }

    /// Every simulated game server, by task ARN (sorted).
    pub fn servers(&self) -> Vec<(String, Arc<SimServer>)> {
        let mut v: Vec<_> = self
            .front
            .servers
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    pub fn protection(&self, arn: &str) -> Option<bool> {
        self.front.protection.lock().ok()?.get(arn).copied()
    }

    /// The most capacity probes the lab's servers were answering at the same time.
    pub fn peak_concurrent_probes(&self) -> u64 {
        self.front.in_flight.1.load(Ordering::SeqCst)
    }

    pub fn run_task_calls(&self) -> u64 {
        self.front.run_task_calls.load(Ordering::SeqCst)
    }

    pub fn stop_task_calls(&self) -> u64 {
        self.front.stop_task_calls.load(Ordering::SeqCst)
    }

    /// How many task ARNs DescribeTasks requests named so far (all callers).
    pub fn described_tasks(&self) -> u64 {
        self.front.described_tasks.load(Ordering::SeqCst)
    }

    /// DynamoDB items read through the front so far (Query `ScannedCount`, one per
    /// GetItem), and the read requests.
    pub fn dynamodb_reads(&self) -> (u64, u64) {
        (
            self.front.items_read.load(Ordering::SeqCst),
            self.front.read_requests.load(Ordering::SeqCst),
        )
    }
}
