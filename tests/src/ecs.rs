//! An ECS lab for the scaler tests: moto's ECS behind a small loopback front that plays
//! the ECS data plane moto lacks.
//!
//! - Every task moto starts gets a simulated game server: an HTTP server answering
//!   `GET /capacity` that the test controls (capacity, free slots, readyToClose, health,
//!   answer delay). StopTask stops it.
//! - moto gives tasks random `10.x.y.z` private IPs; the front rewrites each to
//!   `127.x.y.z` in RunTask/DescribeTasks answers and binds the game server there, so the
//!   scaler's real address path (ENI attachment + game port) is used and every probe
//!   stays on loopback. Nothing ever connects to the `10.x` address.
//! - moto has no UpdateTaskProtection; the front answers it like ECS (service tasks
//!   only, `TASK_NOT_VALID` for standalone tasks) and records what was set.
//! - moto checks DynamoDB write conditions and writes without a lock; DynamoDB applies
//!   each conditional write atomically. The front passes writes to moto one at a time
//!   (reads stay concurrent), so races in our code still show, moto's own do not.
//! - moto advances a task's status each time it is described; the lab pins
//!   `ecs::task` transitions to manual so RUNNING tasks stay RUNNING.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hangar_gameservers::config::{self, Need, TABLE_VAR};
use hangar_gameservers::store::{create_table, Store};
use hangar_gameservers::GameServers;
use serde_json::{json, Value};

const TARGET_PREFIX: &str = "AmazonEC2ContainerServiceV20141113.";
const DYNAMODB_PREFIX: &str = "DynamoDB_20120810.";
const DYNAMODB_WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

/// Sends a request on to moto; answers status, content type and body.
async fn forward(
    f: &Front,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, String, Bytes), Response> {
    let mut fwd = f.http.post(&f.moto).body(body);
    for (k, v) in headers.iter() {
        if k != "host" && k != "content-length" {
            fwd = fwd.header(k, v);
        }
    }
    let resp = fwd
        .send()
        .await
        .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()).into_response())?;
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-amz-json-1.1")
        .to_string();
    let bytes = resp.bytes().await.unwrap_or_default();
    Ok((status, content_type, bytes))
}

/// The knobs of one simulated game server.
#[derive(Debug)]
pub struct SimServer {
    pub host: Ipv4Addr,
    pub capacity: AtomicU32,
    pub free: AtomicU32,
    pub ready_to_close: AtomicBool,
    pub healthy: AtomicBool,
    pub delay_ms: AtomicU64,
    pub probes: AtomicU64,
    pub group: String,
    /// Probes in flight across the lab, and the most seen at once.
    in_flight: Arc<(AtomicU64, AtomicU64)>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl SimServer {
    pub fn set_free(&self, free: u32) {
        self.free.store(free, Ordering::SeqCst);
    }
    pub fn set_ready_to_close(&self, ready: bool) {
        self.ready_to_close.store(ready, Ordering::SeqCst);
    }
    pub fn set_healthy(&self, healthy: bool) {
        self.healthy.store(healthy, Ordering::SeqCst);
    }
    pub fn probes(&self) -> u64 {
        self.probes.load(Ordering::SeqCst)
    }
    fn shut_down(&self) {
        if let Ok(mut t) = self.task.lock() {
            if let Some(h) = t.take() {
                h.abort();
            }
        }
    }
}

async fn capacity(State(s): State<Arc<SimServer>>) -> Response {
    s.probes.fetch_add(1, Ordering::SeqCst);
    let now = s.in_flight.0.fetch_add(1, Ordering::SeqCst) + 1;
    s.in_flight.1.fetch_max(now, Ordering::SeqCst);
    let delay = s.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    s.in_flight.0.fetch_sub(1, Ordering::SeqCst);
    if !s.healthy.load(Ordering::SeqCst) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "sick").into_response();
    }
    Json(json!({
        "capacity": s.capacity.load(Ordering::SeqCst),
        "freeSlots": s.free.load(Ordering::SeqCst),
        "readyToClose": s.ready_to_close.load(Ordering::SeqCst),
    }))
    .into_response()
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

/// Settings for servers started from now on.
#[derive(Debug, Clone, Copy)]
pub struct NewServers {
    pub capacity: u32,
    pub delay_ms: u64,
}

struct Front {
    moto: String,
    http: reqwest::Client,
    game_port: u16,
    new_servers: Mutex<NewServers>,
    servers: Mutex<HashMap<String, Arc<SimServer>>>,
    protection: Mutex<HashMap<String, bool>>,
    run_task_calls: AtomicU64,
    stop_task_calls: AtomicU64,
    /// Task ARNs named in DescribeTasks requests, over all calls.
    described_tasks: AtomicU64,
    in_flight: Arc<(AtomicU64, AtomicU64)>,
    dynamodb_writes: tokio::sync::Mutex<()>,
}

/// moto's `10.a.b.c` becomes `127.a.b.c`: always loopback, whatever moto answered.
pub fn loopback_for(ip: &str) -> Option<Ipv4Addr> {
    let v4: Ipv4Addr = ip.parse().ok()?;
    let [_, b, c, d] = v4.octets();
    Some(Ipv4Addr::new(127, b, c, d))
}

fn rewrite_ips(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("name").and_then(Value::as_str) == Some("privateIPv4Address") {
                if let Some(ip) = map
                    .get("value")
                    .and_then(Value::as_str)
                    .and_then(loopback_for)
                {
                    map.insert("value".into(), Value::String(ip.to_string()));
                }
            }
            for (_, child) in map.iter_mut() {
                rewrite_ips(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_ips),
        _ => {}
    }
}

fn task_host(task: &Value) -> Option<Ipv4Addr> {
    task["attachments"]
        .as_array()?
        .iter()
        .flat_map(|a| a["details"].as_array().cloned().unwrap_or_default())
        .find_map(|d| {
            (d["name"] == "privateIPv4Address")
                .then(|| d["value"].as_str().and_then(|s| s.parse().ok()))
                .flatten()
        })
}

fn amz_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        body.to_string(),
    )
        .into_response()
}

impl Front {
    async fn start_server(&self, arn: &str, host: Ipv4Addr, group: &str) {
        let settings = *self.new_servers.lock().unwrap();
        let sim = Arc::new(SimServer {
            host,
            capacity: AtomicU32::new(settings.capacity),
            free: AtomicU32::new(settings.capacity),
            ready_to_close: AtomicBool::new(false),
            healthy: AtomicBool::new(true),
            delay_ms: AtomicU64::new(settings.delay_ms),
            probes: AtomicU64::new(0),
            group: group.to_string(),
            in_flight: self.in_flight.clone(),
            task: Mutex::new(None),
        });
        assert!(
            host.is_loopback(),
            "simulated game servers bind loopback only"
        );
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((host, self.game_port)))
            .await
            .unwrap_or_else(|e| panic!("bind {host}:{}: {e}", self.game_port));
        let app = Router::new()
            .route("/capacity", get(capacity))
            .with_state(sim.clone());
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        *sim.task.lock().unwrap() = Some(handle);
        self.servers.lock().unwrap().insert(arn.to_string(), sim);
    }

    fn update_task_protection(&self, body: &Value) -> Response {
        let enabled = body["protectionEnabled"].as_bool().unwrap_or(false);
        let minutes = body["expiresInMinutes"].as_i64().unwrap_or(120);
        let servers = self.servers.lock().unwrap();
        let mut protected = Vec::new();
        let mut failures = Vec::new();
        for t in body["tasks"].as_array().cloned().unwrap_or_default() {
            let arn = t.as_str().unwrap_or_default().to_string();
            match servers.get(&arn) {
                Some(s) if s.group.starts_with("service:") => {
                    self.protection.lock().unwrap().insert(arn.clone(), enabled);
                    let mut p = json!({"taskArn": arn, "protectionEnabled": enabled});
                    if enabled {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs();
                        p["expirationDate"] = json!(now as i64 + minutes * 60);
                    }
                    protected.push(p);
                }
                Some(_) => failures.push(json!({"arn": arn, "reason": "TASK_NOT_VALID"})),
                None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
            }
        }
        amz_json(
            StatusCode::OK,
            json!({"protectedTasks": protected, "failures": failures}),
        )
    }
}

async fn front_door(State(f): State<Arc<Front>>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if let Some(op) = target.strip_prefix(DYNAMODB_PREFIX) {
        // DynamoDB applies each conditional write atomically; moto checks and writes
        // without a lock, so concurrent writes are passed to it one at a time.
        let _one_at_a_time = if DYNAMODB_WRITES.contains(&op) {
            Some(f.dynamodb_writes.lock().await)
        } else {
            None
        };
        return match forward(&f, &headers, body).await {
            Ok((status, content_type, bytes)) => {
                (status, [("content-type", content_type)], bytes).into_response()
            }
            Err(e) => e,
        };
    }
    let op = target
        .strip_prefix(TARGET_PREFIX)
        .unwrap_or_default()
        .to_string();
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if op == "UpdateTaskProtection" {
        return f.update_task_protection(&request);
    }
    if op == "DescribeTasks" {
        let n = request["tasks"].as_array().map_or(0, Vec::len) as u64;
        f.described_tasks.fetch_add(n, Ordering::SeqCst);
    }
    let (status, content_type, bytes) = match forward(&f, &headers, body).await {
        Ok(r) => r,
        Err(e) => return e,
    };
    if !status.is_success() || !matches!(op.as_str(), "RunTask" | "DescribeTasks" | "StopTask") {
        return (status, [("content-type", content_type)], bytes).into_response();
    }
    let mut v: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return (status, [("content-type", content_type)], bytes).into_response(),
    };
    rewrite_ips(&mut v);
    match op.as_str() {
        "RunTask" => {
            f.run_task_calls.fetch_add(1, Ordering::SeqCst);
            for t in v["tasks"].as_array().cloned().unwrap_or_default() {
                if let (Some(arn), Some(host)) = (t["taskArn"].as_str(), task_host(&t)) {
                    f.start_server(arn, host, t["group"].as_str().unwrap_or_default())
                        .await;
                }
            }
        }
        "StopTask" => {
            f.stop_task_calls.fetch_add(1, Ordering::SeqCst);
            if let Some(arn) = v["task"]["taskArn"].as_str() {
                if let Some(s) = f.servers.lock().unwrap().remove(arn) {
                    s.shut_down();
                }
            }
        }
        _ => {}
    }
    amz_json(status, v)
}

/// One test's ECS world: its own cluster and task-definition family on the shared moto.
pub struct EcsLab {
    pub cluster: String,
    pub family: String,
    pub subnet: String,
    pub security_group: String,
    pub game_port: u16,
    /// ECS endpoint (the front) for clients under test.
    pub endpoint: String,
    /// An ECS client talking to the front, for setting up and inspecting tasks.
    pub ecs: aws_sdk_ecs::Client,
    front: Arc<Front>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for EcsLab {
    fn drop(&mut self) {
        self.server.abort();
        for s in self
            .front
            .servers
            .lock()
            .map(|m| m.values().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            s.shut_down();
        }
    }
}

async fn ec2_first(http: &reqwest::Client, moto: &str, action: &str, tag: &str) -> String {
    let body = http
        .post(moto)
        .header("authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=x")
        .form(&[("Action", action), ("Version", "2016-11-15")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let open = format!("<{tag}>");
    let start = body
        .find(&open)
        .unwrap_or_else(|| panic!("{action}: no {tag} in {body}"))
        + open.len();
    let end = body[start..].find('<').unwrap() + start;
    body[start..end].to_string()
}

impl EcsLab {
    /// A cluster and a game-server task definition (awsvpc, Fargate) on moto, behind a
    /// fresh front on 127.0.0.1:0. New servers start with `capacity` slots.
    pub async fn start(capacity: u32) -> EcsLab {
        let moto = crate::moto_endpoint();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        http.post(format!("{moto}/moto-api/state-manager/set-transition"))
            .json(&json!({"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1_000_000_000}}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let subnet = ec2_first(&http, &moto, "DescribeSubnets", "subnetId").await;
        let security_group = ec2_first(&http, &moto, "DescribeSecurityGroups", "groupId").await;

        // A port free on 127.0.0.1 is used as the game port of every server of this lab.
        let game_port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let front = Arc::new(Front {
            moto: moto.clone(),
            http,
            game_port,
            new_servers: Mutex::new(NewServers {
                capacity,
                delay_ms: 0,
            }),
            servers: Mutex::new(HashMap::new()),
            protection: Mutex::new(HashMap::new()),
            run_task_calls: AtomicU64::new(0),
            stop_task_calls: AtomicU64::new(0),
            described_tasks: AtomicU64::new(0),
            in_flight: Arc::new((AtomicU64::new(0), AtomicU64::new(0))),
            dynamodb_writes: tokio::sync::Mutex::new(()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new().fallback(front_door).with_state(front.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let conf = aws_sdk_ecs::config::Builder::from(&crate::aws_config().await)
            .endpoint_url(&endpoint)
            .build();
        let ecs = aws_sdk_ecs::Client::from_conf(conf);

        let cluster = crate::unique_name("gs");
        let family = crate::unique_name("gsfam");
        ecs.create_cluster()
            .cluster_name(&cluster)
            .send()
            .await
            .unwrap();
        ecs.register_task_definition()
            .family(&family)
            .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
            .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(
                aws_sdk_ecs::types::ContainerDefinition::builder()
                    .name("game")
                    .image("game:1")
                    .cpu(256)
                    .memory(512)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        EcsLab {
            cluster,
            family,
            subnet,
            security_group,
            game_port,
            endpoint,
            ecs,
            front,
            server,
        }
    }

    /// Environment for `config::from_vars` matching this lab; tests add margins.
    pub fn scaler_vars(&self, table: &str) -> HashMap<String, String> {
        HashMap::from([
            (TABLE_VAR.into(), table.into()),
            ("GAMESERVER_GROUP".into(), self.cluster.clone()),
            ("ECS_CLUSTER".into(), self.cluster.clone()),
            ("ECS_TASK_DEFINITION".into(), self.family.clone()),
            ("ECS_SUBNETS".into(), self.subnet.clone()),
            ("ECS_SECURITY_GROUPS".into(), self.security_group.clone()),
            ("GAMESERVER_TAGS".into(), "game=chess".into()),
            ("GAME_PORT".into(), self.game_port.to_string()),
            ("PROBE_TIMEOUT_MS".into(), "500".into()),
        ])
    }

    /// A scaling [`GameServers`] for this lab with its own fresh table: `limits` plus `extra` settings
    /// (probe settings, service) on top of [`EcsLab::scaler_vars`].
    pub async fn scaler(&self, limits: Limits, extra: &[(&str, &str)]) -> (GameServers, Store) {
        let aws = crate::aws_config().await;
        let dynamodb = self.dynamodb().await;
        let table = crate::unique_name("gameservers");
        create_table(&dynamodb, &table).await.unwrap();
        let mut env = self.scaler_vars(&table);
        for (k, v) in limits
            .vars()
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(extra.iter().copied())
        {
            env.insert(k.to_string(), v.to_string());
        }
        let lookup = move |name: &str| env.get(name).cloned();
        let cfg = config::from_vars(&lookup, &[Need::Scaling]).unwrap();
        let conf = aws_sdk_ecs::config::Builder::from(&aws)
            .endpoint_url(&self.endpoint)
            .build();
        let store = Store::new(dynamodb.clone(), &cfg.table, &cfg.group);
        let scaler =
            GameServers::with_clients(cfg, dynamodb, aws_sdk_ecs::Client::from_conf(conf)).unwrap();
        (scaler, store)
    }

    /// A DynamoDB client through the front (moto, with atomic conditional writes).
    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let conf = aws_sdk_dynamodb::config::Builder::from(&crate::aws_config().await)
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_dynamodb::Client::from_conf(conf)
    }

    pub fn set_new_servers(&self, s: NewServers) {
        *self.front.new_servers.lock().unwrap() = s;
    }

    /// Starts `count` game-server tasks directly (as an operator or an ECS service
    /// would); `group` e.g. `service:lobby` makes them service tasks. ARNs sorted.
    pub async fn run_tasks(&self, count: i32, group: Option<&str>, tagged: bool) -> Vec<String> {
        let vpc = aws_sdk_ecs::types::AwsVpcConfiguration::builder()
            .subnets(&self.subnet)
            .security_groups(&self.security_group)
            .build()
            .unwrap();
        let mut req = self
            .ecs
            .run_task()
            .cluster(&self.cluster)
            .task_definition(&self.family)
            .count(count)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .set_group(group.map(str::to_string))
            .network_configuration(
                aws_sdk_ecs::types::NetworkConfiguration::builder()
                    .awsvpc_configuration(vpc)
                    .build(),
            );
        if tagged {
            req = req.tags(
                aws_sdk_ecs::types::Tag::builder()
                    .key("game")
                    .value("chess")
                    .build(),
            );
        }
        let r = req.send().await.unwrap();
        let mut arns: Vec<String> = r
            .tasks()
            .iter()
            .filter_map(|t| t.task_arn.clone())
            .collect();
        arns.sort();
        arns
    }

    /// Task ARNs ECS (moto) wants running in this lab's cluster.
    pub async fn running_tasks(&self) -> Vec<String> {
        let r = self
            .ecs
            .list_tasks()
            .cluster(&self.cluster)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
            .send()
            .await
            .unwrap();
        let mut v = r.task_arns.unwrap_or_default();
        v.sort();
        v
    }

    pub fn server(&self, arn: &str) -> Arc<SimServer> {
        self.front
            .servers
            .lock()
            .unwrap()
            .get(arn)
            .cloned()
            .unwrap_or_else(|| panic!("no game server for {arn}"))
    }

    pub fn servers(&self) -> Vec<(String, Arc<SimServer>)> {
        let mut v: Vec<_> = self
            .front
            .servers
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    pub fn protection(&self, arn: &str) -> Option<bool> {
        self.front.protection.lock().unwrap().get(arn).copied()
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

    /// Stops a task as an operator or ECS itself would (desired status STOPPED).
    pub async fn stop_task(&self, arn: &str) {
        self.ecs
            .stop_task()
            .cluster(&self.cluster)
            .task(arn)
            .reason("stopped outside the scaler")
            .send()
            .await
            .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_ipv4_is_mapped_into_loopback() {
        assert_eq!(
            loopback_for("10.110.36.55"),
            Some(Ipv4Addr::new(127, 110, 36, 55))
        );
        assert!(loopback_for("192.168.1.1").unwrap().is_loopback());
        assert_eq!(loopback_for("not-an-ip"), None);
    }

    #[test]
    fn private_ips_in_ecs_answers_are_rewritten() {
        let mut v = json!({"tasks": [{"attachments": [{"details": [
            {"name": "subnetId", "value": "subnet-1"},
            {"name": "privateIPv4Address", "value": "10.1.2.3"}
        ]}]}]});
        rewrite_ips(&mut v);
        assert_eq!(task_host(&v["tasks"][0]), Some(Ipv4Addr::new(127, 1, 2, 3)));
        assert_eq!(
            v["tasks"][0]["attachments"][0]["details"][0]["value"],
            "subnet-1"
        );
    }
}
