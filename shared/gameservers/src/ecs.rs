//! ECS adapter (the only module that calls ECS): finds the game-server tasks, starts and stops them, sets scale-in
//! protection. Game servers are the tasks of the cluster that run the configured
//! task-definition family (or belong to the configured service) and carry every
//! configured tag.

use std::collections::{HashMap, HashSet};

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DesiredStatus, LaunchType, NetworkConfiguration, Tag,
    Task, TaskField,
};
use aws_sdk_ecs::Client;
use futures::stream::{self, StreamExt};

use hangar_aws::AwsError;

use crate::config::{EcsTarget, NetworkMode};
use crate::error::GameServersError;

/// A game-server task as ECS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameServerTask {
    pub arn: String,
    pub last_status: String,
    /// awsvpc: the private IPv4 address of the task's network interface, once attached.
    pub private_ip: Option<String>,
    /// awsvpc: that network interface (its public IP, if any, is EC2's to tell).
    pub eni_id: Option<String>,
    /// EC2 launch type: the container instance the task runs on.
    pub container_instance: Option<String>,
    /// Ports ECS bound on the host: (container port, host port), TCP.
    pub bindings: Vec<(u16, u16)>,
    /// Belongs to the configured ECS service (ECS owns its count).
    pub in_service: bool,
}

impl GameServerTask {
    pub fn is_running(&self) -> bool {
        self.last_status == "RUNNING"
    }
}

/// ECS API calls take at most this many tasks at a time.
const DESCRIBE_BATCH: usize = 100;
/// DescribeTasks pages fetched at once.
const DESCRIBE_CONCURRENCY: usize = 5;
const RUN_BATCH: u32 = 10;
const PROTECT_BATCH: usize = 10;

#[derive(Clone)]
pub struct Ecs {
    client: Client,
    target: EcsTarget,
}

impl Ecs {
    pub fn new(client: Client, target: EcsTarget) -> Self {
        Ecs { client, target }
    }

    /// ARNs of the tasks ECS wants running (desired status RUNNING) in the configured
    /// family or service. Whether each is a game server (tags) is up to [`Ecs::describe`].
    pub async fn listed(&self) -> Result<Vec<String>, GameServersError> {
        let mut arns = self.list_arns(Some(&self.target.family), None).await?;
        if let Some(service) = &self.target.service {
            let mut seen: HashSet<String> = arns.iter().cloned().collect();
            for arn in self.list_arns(None, Some(service)).await? {
                if seen.insert(arn.clone()) {
                    arns.push(arn);
                }
            }
        }
        Ok(arns)
    }

    /// Describes `arns` (pages of 100, a few at once) and keeps the game servers among
    /// them; tasks ECS no longer knows are left out.
    pub async fn describe(&self, arns: &[String]) -> Result<Vec<GameServerTask>, GameServersError> {
        let mut out = Vec::with_capacity(arns.len());
        let requests: Vec<_> = arns
            .chunks(DESCRIBE_BATCH)
            .map(|chunk| {
                self.client
                    .describe_tasks()
                    .cluster(&self.target.cluster)
                    .set_tasks(Some(chunk.to_vec()))
                    .include(TaskField::Tags)
                    .send()
            })
            .collect();
        let pages = stream::iter(requests)
            .buffer_unordered(DESCRIBE_CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        for page in pages {
            let r = page.map_err(|e| AwsError::new("DescribeTasks", e))?;
            out.extend(
                r.tasks
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|t| self.game_server(t)),
            );
        }
        Ok(out)
    }

    async fn list_arns(
        &self,
        family: Option<&str>,
        service: Option<&str>,
    ) -> Result<Vec<String>, GameServersError> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let r = self
                .client
                .list_tasks()
                .cluster(&self.target.cluster)
                .set_family(family.map(str::to_string))
                .set_service_name(service.map(str::to_string))
                .desired_status(DesiredStatus::Running)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::new("ListTasks", e))?;
            arns.extend(r.task_arns.unwrap_or_default());
            match r.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => break,
            }
        }
        Ok(arns)
    }

    /// Keeps a described task if it is one of ours: the family or the service, every
    /// configured tag, and not on its way out.
    fn game_server(&self, t: &Task) -> Option<GameServerTask> {
        let arn = t.task_arn.clone()?;
        if t.desired_status.as_deref() != Some("RUNNING") {
            return None;
        }
        let service_group = self.target.service.as_ref().map(|s| format!("service:{s}"));
        let in_service = service_group.is_some() && t.group.as_deref() == service_group.as_deref();
        let in_family = t
            .task_definition_arn
            .as_deref()
            .is_some_and(|d| d.contains(&format!("task-definition/{}:", self.target.family)));
        if !in_family && !in_service {
            return None;
        }
        let tags = t.tags();
        let tagged = self.target.tags.iter().all(|(k, v)| {
            tags.iter()
                .any(|tag| tag.key() == Some(k.as_str()) && tag.value() == Some(v.as_str()))
        });
        if !tagged {
            return None;
        }
        Some(GameServerTask {
            arn,
            last_status: t.last_status.clone().unwrap_or_default(),
            private_ip: eni_detail(t, "privateIPv4Address"),
            eni_id: eni_detail(t, "networkInterfaceId"),
            container_instance: t.container_instance_arn.clone(),
            bindings: bindings(t),
            in_service,
        })
    }

    /// The EC2 instance behind each container instance (pages of 100).
    pub async fn instances_of(
        &self,
        container_instances: &[String],
    ) -> Result<HashMap<String, String>, GameServersError> {
        let mut out = HashMap::new();
        for chunk in container_instances.chunks(DESCRIBE_BATCH) {
            let r = self
                .client
                .describe_container_instances()
                .cluster(&self.target.cluster)
                .set_container_instances(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::new("DescribeContainerInstances", e))?;
            for ci in r.container_instances() {
                if let (Some(arn), Some(ec2)) = (ci.container_instance_arn(), ci.ec2_instance_id())
                {
                    out.insert(arn.to_string(), ec2.to_string());
                }
            }
        }
        Ok(out)
    }

    /// Starts `count` tasks; returns the ARNs of those ECS accepted. Their addresses are
    /// learnt when they are described on a later run.
    pub async fn run(&self, count: u32) -> Result<Vec<String>, GameServersError> {
        let mut out = Vec::new();
        let mut left = count;
        while left > 0 {
            let n = left.min(RUN_BATCH);
            let mut req = self
                .client
                .run_task()
                .cluster(&self.target.cluster)
                .task_definition(&self.target.task_definition)
                .count(n as i32)
                .launch_type(LaunchType::from(self.target.launch_type.as_str()))
                .started_by("hangar-scaler")
                .enable_ecs_managed_tags(true);
            if self.target.network_mode == NetworkMode::Awsvpc {
                let vpc = AwsVpcConfiguration::builder()
                    .set_subnets(Some(self.target.subnets.clone()))
                    .set_security_groups(Some(self.target.security_groups.clone()))
                    .assign_public_ip(if self.target.assign_public_ip {
                        AssignPublicIp::Enabled
                    } else {
                        AssignPublicIp::Disabled
                    })
                    .build()
                    .map_err(GameServersError::request("RunTask"))?;
                req = req.network_configuration(
                    NetworkConfiguration::builder()
                        .awsvpc_configuration(vpc)
                        .build(),
                );
            }
            for (k, v) in &self.target.tags {
                req = req.tags(Tag::builder().key(k).value(v).build());
            }
            let r = req.send().await.map_err(|e| AwsError::new("RunTask", e))?;
            for f in r.failures() {
                tracing::warn!(arn = ?f.arn(), reason = ?f.reason(), detail = ?f.detail(), "RunTask placement failure");
            }
            let started: Vec<String> = r
                .tasks()
                .iter()
                .filter_map(|t| t.task_arn.clone())
                .collect();
            let placed = started.len() as u32;
            out.extend(started);
            if placed < n {
                break; // no room in the cluster: try again next tick
            }
            left -= n;
        }
        Ok(out)
    }

    pub async fn stop(&self, arn: &str, reason: &str) -> Result<(), GameServersError> {
        self.client
            .stop_task()
            .cluster(&self.target.cluster)
            .task(arn)
            .reason(reason)
            .send()
            .await
            .map_err(|e| AwsError::new("StopTask", e))?;
        Ok(())
    }

    /// Sets scale-in protection; returns the tasks ECS confirmed.
    pub async fn protect(
        &self,
        arns: &[String],
        enabled: bool,
        minutes: i32,
    ) -> Result<Vec<String>, GameServersError> {
        let mut done = Vec::new();
        for chunk in arns.chunks(PROTECT_BATCH) {
            let mut req = self
                .client
                .update_task_protection()
                .cluster(&self.target.cluster)
                .set_tasks(Some(chunk.to_vec()))
                .protection_enabled(enabled);
            if enabled {
                req = req.expires_in_minutes(minutes);
            }
            let r = req
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateTaskProtection", e))?;
            for f in r.failures() {
                tracing::warn!(arn = ?f.arn(), reason = ?f.reason(), "UpdateTaskProtection failure");
            }
            done.extend(
                r.protected_tasks()
                    .iter()
                    .filter_map(|p| p.task_arn.clone()),
            );
        }
        Ok(done)
    }
}

/// A detail of the task's elastic network interface attachment (awsvpc).
fn eni_detail(t: &Task, name: &str) -> Option<String> {
    t.attachments()
        .iter()
        .filter(|a| a.r#type() == Some("ElasticNetworkInterface"))
        .flat_map(|a| a.details())
        .find(|d| d.name() == Some(name))
        .and_then(|d| d.value().map(str::to_string))
        .filter(|v| !v.is_empty())
}

/// The TCP ports ECS bound on the host for the task's containers.
fn bindings(t: &Task) -> Vec<(u16, u16)> {
    t.containers()
        .iter()
        .flat_map(|c| c.network_bindings())
        .filter(|b| b.protocol().is_none_or(|p| p.as_str() == "tcp"))
        .filter_map(|b| {
            let container = u16::try_from(b.container_port()?).ok()?;
            let host = u16::try_from(b.host_port()?).ok()?;
            Some((container, host))
        })
        .collect()
}
